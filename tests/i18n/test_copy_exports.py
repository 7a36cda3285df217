"""The copy gate on what the exports assemble: the Markdown and HTML reports and the CSV export's README, of the
three scenarios and of a period without any outage, in French and in English, read line by line with the gate's
checks (tests/i18n/test_copy_gate.py). The gate reads each message alone; here the sentences are read as the code
fills them: a figure that does not exist, a count, a period, the zone."""

from __future__ import annotations

import asyncio
import html
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from bot.common.i18n import LANGUAGES, Catalogue, Language
from bot.exports.presentation.markdown import md
from bot.exports.use_cases import ExportRequest, export
from bot.storage.store import Store
from tests.exports.scenarios import EVERYTHING, EXPORT_NOW, GUILD, play_scenarios
from tests.i18n.test_copy_gate import Rendering, command_names, faults_of

pytestmark = pytest.mark.long

NO_OUTAGE = "du 01/01/2020 au 31/01/2020"


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[Language, Path]:
    """The scenarios' server, once speaking French and once English."""
    folder = tmp_path_factory.mktemp("copy")

    async def fill(language: Language) -> Path:
        path = folder / f"{language}.db"
        store = await Store.open(path)
        try:
            await store.migrate()
            await play_scenarios(store)
            async with store.unit_of_work() as conn:
                await conn.execute("UPDATE guild_settings SET language = ? WHERE guild_id = ?", (language, GUILD))
        finally:
            await store.close()
        return path

    return {language: asyncio.run(fill(language)) for language in LANGUAGES}


@pytest.fixture(scope="module")
def typed(databases: dict[Language, Path]) -> list[str]:
    return asyncio.run(typed_text(databases["fr"]))


def _typed(value: object) -> set[str]:
    """What people typed, found in the JSON export: titles, organisations, notes, workarounds, service names…"""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _TYPED_KEYS and isinstance(item, str):
                found |= {line.strip() for line in item.splitlines() if line.strip()}
            elif key != "timeline" or isinstance(item, list):
                found |= _typed(item)
    elif isinstance(value, list):
        for item in value:
            found |= _typed(item)
    return found


_TYPED_KEYS = {"title", "organisation", "description", "impact", "sector", "text", "resolution_note", "name", "note"}


async def typed_text(database: Path) -> list[str]:
    request = ExportRequest(guild_id=GUILD, format="json", period=EVERYTHING)
    result = await export(database, request, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris")
    incidents = json.loads(result.files[0].data)["incidents"]
    worded = {entry["text"] for incident in incidents for entry in incident["timeline"]}
    return sorted(_typed(incidents) - worded, key=len, reverse=True)


def _text_lines(fmt: str, data: bytes) -> list[str]:
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("README.txt").decode("utf-8-sig").splitlines()
    text = data.decode("utf-8")
    if fmt == "html":
        body = text.split("<body>", 1)[1]
        body = re.sub(r"<svg.*?</svg>", "", body, flags=re.DOTALL)
        # Cells and items apart, so that a cell reads as what it is: a figure, alone.
        text = html.unescape(re.sub(r"</?(?:td|th|li|p|h\d|dt|dd|tr|div)[^>]*>", "\n", body))
        text = re.sub(r"<[^>]+>", "", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("period", "fmt"),
    [(EVERYTHING, "md"), (EVERYTHING, "html"), (EVERYTHING, "csv"), (NO_OUTAGE, "md"), (NO_OUTAGE, "html")],
    ids=["scenarios-md", "scenarios-html", "scenarios-csv", "no-outage-md", "no-outage-html"],
)
async def test_exports_read_right(
    databases: dict[Language, Path], typed: list[str], fmt: str, language: Language, period: str
) -> None:
    request = ExportRequest(guild_id=GUILD, format=fmt, period=period)  # type: ignore[arg-type]
    result = await export(
        databases[language], request, now=EXPORT_NOW, default_language=language, default_time_zone="Europe/Paris"
    )
    names = command_names(Catalogue.load())
    found = []
    for line in _text_lines(fmt, result.files[0].data):
        for text in typed:  # what people typed is theirs: only Tocsin's own words are read
            line = line.replace(md(text), "T").replace(text, "T")
        cells = [cell.strip() for cell in line.strip("|").split("|")] if line.startswith("|") else [line]
        for cell in cells:
            if cell.lower() in {"aucun", "aucune", "none"}:
                found.append(f"a figure worded as “none”: {line}")
            if not cell or cell.startswith("---"):
                continue
            for fault in faults_of(Rendering(f"export.{fmt}", language, {}, cell), names):
                if "Markdown" not in fault:  # the Markdown export is Markdown
                    found.append(f"{fault}: {cell}")
    assert found == []
