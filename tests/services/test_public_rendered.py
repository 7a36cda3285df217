"""The public pages as a person sees them: fetched over HTTP on 127.0.0.1, then rendered by headless Chromium at a
phone's and a desktop's width, in French and English (a screenshot that is not blank, the headings and sections
in the DOM Chromium built, the language declared), with no member and no private incident in what it shows; the
same for the history of one sector and of one territory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.public.use_cases import PublicPages
from bot.storage.store import Store
from tests.exports.tools import chromium
from tests.services.test_lifecycle import ANNE, CERP, NOW, UpdateInput, configure, lifecycle
from tests.services.test_public_pages import ADMIN, Clock, get, serving

pytestmark = [pytest.mark.needs_apt, pytest.mark.long]  # headless Chromium

WIDTHS = {"phone": "390,1600", "desktop": "1280,1600"}


@pytest.fixture
async def served(store: Store) -> AsyncIterator[str]:
    await configure(store)
    pages = PublicPages(store, Clock(NOW))  # type: ignore[arg-type]
    await pages.configure(ADMIN, server_name="Coordination Grand Ouest", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Commandes par téléphone possibles."), now=NOW)
    await lifecycle(store).declare(ANNE, replace(CERP, title="Panne privée du standard"), now=NOW)
    await pages.set_visibility(ANNE, 2, False)
    async with serving(pages) as address:
        yield address


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_server_and_incident_pages_render_for_a_person(served: str, tmp_path: Path, language: str) -> None:
    headings = {
        "fr": ("Incidents en cours", "Les 90 derniers jours", "Chronologie", "Services touchés"),
        "en": ("Ongoing incidents", "The last 90 days", "Timeline", "Services affected"),
    }[language]
    pages = (
        ("server", "/cerp"),
        ("incident", "/cerp/incidents/1"),
        ("sector", "/cerp/sectors/pharmacie"),
        ("territory", "/cerp/territories/R53"),
    )
    for name, path in pages:
        status, html, _ = await get(f"{served}{path}", **{"Accept-Language": language})
        assert status == 200
        page = tmp_path / f"{name}-{language}.html"
        page.write_text(html, encoding="utf-8")
        for width, size in WIDTHS.items():
            shot = tmp_path / f"{name}-{language}-{width}.png"
            chromium(page, tmp_path / f"profile-{name}-{width}", f"--screenshot={shot}", f"--window-size={size}")
            with Image.open(shot) as image:
                assert image.size == tuple(int(n) for n in size.split(","))
                colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, f"{shot.name}: {len(colours or [])} colours, blank?"
        dom = chromium(page, tmp_path / f"profile-{name}-dom", "--dump-dom").stdout.decode("utf-8")
        assert f'<html lang="{language}">' in dom
        assert re.search(r"<h1>[^<]*\S", dom), "the page has a main heading"
        assert "Cerp Bretagne Atlantique" in dom and "Panne privée" not in dom
        assert str(ANNE.user_id) not in dom
        assert re.search(r'<time datetime="2024-10-19T\d\d:\d\d:\d\d\+00:00">', dom)
        assert not re.search(r"<(script|img|iframe)\b", dom), "one request: nothing else loaded"
        links = re.findall(r"<link\b[^>]*>", dom)
        assert all('rel="alternate"' in link for link in links), f"only feeds announced, nothing loaded: {links}"
        wanted = headings[2:] if name == "incident" else headings[:2]
        for heading in wanted:
            assert re.search(rf"<h2[^>]*>{heading}</h2>", dom), f"{heading} missing from {name} ({language})"
        if name in ("sector", "territory"):
            named = {"sector": ("Secteur : pharmacie", "Sector: pharmacie"), "territory": ("Bretagne (53)",) * 2}
            assert re.search(rf"<h1>[^<]*{re.escape(named[name][language == 'en'])}", dom), f"{name} not named"
