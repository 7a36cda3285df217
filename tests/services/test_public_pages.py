"""The public pages on a real SQLite file, served over real HTTP on 127.0.0.1: the server's page and an incident's,
what a server's default visibility gives a new incident, the same 404 for whatever is not public, the language
chosen, caching and the security headers, and typed text served inert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from multidict import CIMultiDict

from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.common.i18n import default_catalogue
from bot.public.presentation import PublicPresenter
from bot.public.use_cases import PublicPages
from bot.storage.store import Store
from bot.web.cache import RenderedCache
from bot.web.public import choose_language, public_routes
from bot.web.server import Site
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, UpdateInput, configure, lifecycle

OTHER_GUILD = 2
ADMIN = Actor(guild_id=GUILD, user_id=1009)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def pages(store: Store) -> PublicPages:
    await configure(store)
    return PublicPages(store, Clock(NOW + timedelta(hours=2)))  # type: ignore[arg-type]


@asynccontextmanager
async def serving(pages: PublicPages, cache: RenderedCache | None = None) -> AsyncIterator[str]:
    """The public routes served on a free port of 127.0.0.1; yields the address. Without `cache`, pages are kept
    by a cache whose clock never moves: rendered again only when the server's version moves."""
    site = Site("public", ("127.0.0.1", 0))
    site.add_routes(
        "public",
        public_routes(
            pages,
            PublicPresenter(default_catalogue(), ZoneInfo("Europe/Paris")),
            "fr",
            cache=cache if cache is not None else RenderedCache(Clock(NOW + timedelta(hours=2)).now),
        ),
    )
    assert await site.start()
    try:
        yield f"http://127.0.0.1:{site.port}"
    finally:
        await site.stop()


@pytest.fixture
async def served(pages: PublicPages) -> AsyncIterator[str]:
    async with serving(pages) as address:
        yield address


async def get(url: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text(), response.headers.copy()


async def test_new_incidents_take_the_servers_default_and_only_public_ones_show(
    store: Store, pages: PublicPages, served: str
) -> None:
    await pages.configure(ADMIN, server_name="Coordination Bretagne", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await pages.configure(ADMIN, server_name="Coordination Bretagne", default_public=False)
    await lifecycle(store).declare(ANNE, replace(CERP, title="Panne interne du standard"), now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Commandes reprises en partie."), now=NOW)

    status, body, headers = await get(f"{served}/cerp", **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert status == 200 and '<html lang="en">' in body
    assert "Cerp Bretagne Atlantique" in body and "Panne interne" not in body
    assert "Ongoing incidents" in body and "/cerp/incidents/1?lang=en" in body
    assert '<a href="/cerp?lang=fr" hreflang="fr" lang="fr">Version française</a>' in body
    assert "<time datetime=" in body
    assert headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff" and "max-age=30" in headers["Cache-Control"]

    status, body, _ = await get(f"{served}/cerp/incidents/1?lang=fr", **{"Accept-Language": "en"})
    assert status == 200 and '<html lang="fr">' in body
    assert "Commandes reprises en partie." in body and "Publié par Coordination Bretagne" in body
    assert "Chronologie" in body and "Temps à l&#x27;arrêt" in body
    assert str(ANNE.user_id) not in body

    # A private incident, another server's, one that does not exist and a forged path give the same answer.
    paths = ("/cerp/incidents/2", "/cerp/incidents/99", "/nope/incidents/1", "/cerp/incidents/1x", "/cerp/../etc")
    answers = [(await get(f"{served}{path}"))[:2] for path in (*paths, "/CERP%2F1", "/", "/cerp/incidents/-1")]
    assert set(answers) == {(404, (await get(f"{served}/nope"))[1])}


async def test_a_private_incident_made_public_shows_and_hidden_again_vanishes(
    store: Store, pages: PublicPages, served: str
) -> None:
    await pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp")
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    assert (await get(f"{served}/cerp/incidents/1"))[0] == 404, "the default is private"
    await pages.set_visibility(ANNE, 1, True)
    assert (await get(f"{served}/cerp/incidents/1"))[0] == 200
    await pages.set_visibility(ANNE, 1, False)
    assert (await get(f"{served}/cerp/incidents/1"))[0] == 404
    assert "Cerp" not in (await get(f"{served}/cerp"))[1]
    await pages.configure(ADMIN, server_name="Coordination", enabled=False)
    assert (await get(f"{served}/cerp"))[0] == 404, "a page turned off is not found"


async def test_an_unchanged_page_answers_304(store: Store, pages: PublicPages, served: str) -> None:
    await pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    _, _, headers = await get(f"{served}/cerp/incidents/1")
    status, body, _ = await get(f"{served}/cerp/incidents/1", **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Du nouveau."), now=NOW)
    assert (await get(f"{served}/cerp/incidents/1", **{"If-None-Match": headers["ETag"]}))[0] == 200


async def test_hostile_text_is_served_inert(store: Store, pages: PublicPages, served: str) -> None:
    await pages.configure(ADMIN, server_name="<b>Coord</b>", enabled=True, slug="cerp", default_public=True)
    hostile = replace(
        CERP,
        title="<script>alert(1)</script>",
        organisation='"><img src=x onerror=alert(1)>',
        workaround="\u202ejavascript:alert(1)",
    )
    await lifecycle(store).declare(ANNE, hostile, now=NOW)
    for path in ("/cerp", "/cerp/incidents/1"):
        status, body, _ = await get(f"{served}{path}")
        assert status == 200
        assert "<script>" not in body and "<img" not in body and "<b>Coord" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "javascript:alert(1)" in body and 'href="javascript' not in body


async def test_a_short_name_is_checked_and_unique(store: Store, pages: PublicPages) -> None:
    with pytest.raises(TocsinError, match=r"public\.error\.slug_needed"):
        await pages.configure(ADMIN, server_name="Coordination", enabled=True)
    with pytest.raises(TocsinError, match=r"public\.error\.slug$"):
        await pages.configure(ADMIN, server_name="Coordination", slug="../admin")
    await pages.configure(ADMIN, server_name="Coordination", slug="cerp")
    with pytest.raises(TocsinError, match=r"public\.error\.slug_taken"):
        await pages.configure(Actor(guild_id=OTHER_GUILD, user_id=5), server_name="Autre", slug="CERP")


@pytest.mark.parametrize(
    ("query", "header", "chosen"),
    [
        ("", "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("", "de-DE,en;q=0.5", "en"),
        ("", "en;q=0.2,fr;q=0.8", "fr"),
        ("", "de", "fr"),
        ("", "fr;q=0, en", "en"),
        ("?lang=en", "fr", "en"),
        ("?lang=xx", "en", "en"),
    ],
)
def test_the_language_is_the_switchs_then_the_browsers(query: str, header: str, chosen: str) -> None:
    from aiohttp.test_utils import make_mocked_request

    request = make_mocked_request("GET", f"/cerp{query}", headers={"Accept-Language": header})
    assert choose_language(request, "fr") == chosen
