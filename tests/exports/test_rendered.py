"""The exports opened as people open them: the HTML report rendered by headless Chromium (a screenshot that is
not blank, the sections present in the DOM it built), and the CSV opened by LibreOffice Calc without any formula
evaluated. Both tools come from Debian (`chromium`, `libreoffice-calc-nogui`), installed by .ci/run."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.exports.use_cases import ExportRequest, export
from bot.storage.store import Store
from tests.exports.scenarios import (
    EVERYTHING,
    EXPORT_NOW,
    FORMULA_TITLES,
    GUILD,
    add_formula_titles,
    play_scenarios,
)
from tests.exports.tools import chromium, libreoffice_to_csv

# Chromium and LibreOffice come from Debian, not from pip: outside the quick subset (README).
pytestmark = pytest.mark.needs_apt


@pytest.fixture
async def played(store: Store) -> AsyncIterator[Store]:
    life = await play_scenarios(store)
    await add_formula_titles(store, life)
    yield store


async def exported(store: Store, fmt: str, period: str = EVERYTHING) -> bytes:
    request = ExportRequest(guild_id=GUILD, format=fmt, period=period)  # type: ignore[arg-type]
    result = await export(store.path, request, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris")
    (file,) = result.files
    return file.data


async def test_the_html_report_renders_in_chromium_with_every_section(played: Store, tmp_path: Path) -> None:
    page = tmp_path / "rapport.html"
    page.write_bytes(await exported(played, "html"))

    shot = tmp_path / "rapport.png"
    chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400")
    with Image.open(shot) as image:
        assert image.format == "PNG" and image.size == (1280, 2400)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    # A blank page is one colour; text, tables and the chart's severity colours make hundreds.
    assert colours is None or len(colours) > 50, f"the screenshot has {len(colours or [])} colours: blank?"

    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom").stdout.decode("utf-8")
    for section in ("definitions", "summary", "figures", "chart", "incidents"):
        assert re.search(rf'<section[^>]* id="{section}"', dom), f"section {section} missing from the rendered DOM"
    for number in (1, 2, 3):
        assert f'id="incident-{number}"' in dom
    assert "<svg" in dom or "<img" in dom, "the timeline chart is not in the page"
    assert "Cerp Bretagne Atlantique à l'arrêt" in dom and "2 j 23 h" in dom
    # Self-contained: nothing loaded from elsewhere (links to Discord threads are only links).
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=\"https?:", dom)
    # What people typed is shown, not run: the formula titles are text in the page.
    assert "=HYPERLINK(" in dom


async def test_libreoffice_opens_the_csv_without_running_a_formula(played: Store, tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(await exported(played, "csv", "octobre 2024"))) as archive:
        (tmp_path / "incidents.csv").write_bytes(archive.read("incidents.csv"))
    # The control: the same pipeline on a cell left as typed runs it (=1+1 comes back as 2).
    (tmp_path / "control.csv").write_text("title;n\r\n=1+1;1\r\n", encoding="utf-8")
    out = tmp_path / "out"
    libreoffice_to_csv([tmp_path / "incidents.csv", tmp_path / "control.csv"], out, tmp_path / "lo-profile")

    control = list(csv.reader(io.StringIO((out / "control.csv").read_text("utf-8"), newline=""), delimiter=";"))
    assert control[1][0] == "2", f"the control formula was not evaluated, the check proves nothing: {control}"

    text = (out / "incidents.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    titles = {row["title"] for row in rows}
    for typed in FORMULA_TITLES:
        assert f"'{typed}" in titles, (typed, titles)  # kept as the text typed, behind its quote
    assert "y" not in titles and "2" not in titles, titles
    assert {row["organisation"] for row in rows} >= {"'@SUM(A1:A2)"}
    assert "Cerp Bretagne Atlantique à l'arrêt" in titles
