"""How the public pages are served, over real HTTP on 127.0.0.1 (and 127.0.0.2 for a second client): rendered once
per change and served from memory until something they show changes (an incident made private is gone at the next
request), `Last-Modified` and `If-Modified-Since`, `HEAD`, a short `Cache-Control`, and the per-client request
limit, the client being the peer unless the peer is the trusted reverse proxy."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from multidict import CIMultiDict

from bot.common.i18n import default_catalogue
from bot.public import store as public_store
from bot.public.presentation import PublicPresenter
from bot.public.use_cases import PublicPages
from bot.settings import store as settings_store
from bot.storage.store import Store
from bot.web.cache import RenderedCache
from bot.web.limits import RequestLimit
from bot.web.public import MAX_AGE_S, serve_public
from bot.web.server import Site
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, UpdateInput, configure, lifecycle
from tests.services.test_public_pages import ADMIN, Clock

Answer = tuple[int, str, CIMultiDict[str]]


class CountingPresenter(PublicPresenter):
    """Counts the pages rendered, to tell a page served from memory from one rendered again."""

    renders = 0

    def server_page(self, *args: Any, **kwargs: Any) -> str:
        self.renders += 1
        return super().server_page(*args, **kwargs)

    def incident_page(self, *args: Any, **kwargs: Any) -> str:
        self.renders += 1
        return super().incident_page(*args, **kwargs)


class Ticks:
    """The request limit's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@dataclass
class Served:
    base: str
    clock: Clock
    presenter: CountingPresenter
    ticks: Ticks
    pages: PublicPages
    cache: RenderedCache


async def serve(
    store: Store, *, limit: Callable[[Ticks], RequestLimit | None], trusted: frozenset[str] = frozenset()
) -> AsyncIterator[Served]:
    await configure(store)
    clock = Clock(NOW + timedelta(hours=2))
    pages = PublicPages(store, clock)  # type: ignore[arg-type]
    presenter = CountingPresenter(default_catalogue(), ZoneInfo("Europe/Paris"))
    ticks = Ticks()
    cache = RenderedCache(clock.now)
    site = Site("public", ("127.0.0.1", 0))
    serve_public(site, pages, presenter, "fr", cache=cache, limit=limit(ticks), trusted_proxies=trusted)
    assert await site.start()
    try:
        yield Served(f"http://127.0.0.1:{site.port}", clock, presenter, ticks, pages, cache)
    finally:
        await site.stop()


@pytest.fixture
async def served(store: Store) -> AsyncIterator[Served]:
    async for served in serve(store, limit=lambda _: None):
        yield served


async def request(url: str, method: str = "GET", *, source: str = "127.0.0.1", **headers: str) -> Answer:
    """One request from the local address `source` (the whole of 127.0.0.0/8 is this machine's)."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.request(method, url, headers=headers) as response,
    ):
        return response.status, await response.text(), response.headers.copy()


async def test_a_page_is_rendered_once_then_again_only_when_what_it_shows_changes(store: Store, served: Served) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    for _ in range(5):
        assert (await request(f"{served.base}/cerp"))[0] == 200
    assert served.presenter.renders == 1, "five requests, one rendering"
    assert (await request(f"{served.base}/cerp?lang=en"))[0] == 200
    assert served.presenter.renders == 2, "each language is its own page"

    await lifecycle(store).update(ANNE, 1, UpdateInput(workaround="Commandes par téléphone."), now=NOW)
    status, body, _ = await request(f"{served.base}/cerp/incidents/1")
    assert status == 200 and "Commandes par téléphone." in body
    assert "Commandes par téléphone." in (await request(f"{served.base}/cerp"))[1], "the update shows at once"
    renders = served.presenter.renders
    _, before, _ = await request(f"{served.base}/cerp")
    served.clock.at += timedelta(minutes=5)
    assert (await request(f"{served.base}/cerp"))[1] == before, "the kept page answers while the next is made"
    await asyncio.gather(*served.cache.pending())
    assert served.presenter.renders == renders + 1, "times and durations on the page are brought up to date"
    assert (await request(f"{served.base}/cerp"))[1] != before


async def test_an_incident_made_private_vanishes_at_the_next_request(store: Store, served: Served) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await lifecycle(store).declare(ANNE, replace(CERP, title="Standard de la coordination en panne"), now=NOW)
    title = escape(CERP.title, quote=True)
    for language in ("fr", "en"):
        assert title in (await request(f"{served.base}/cerp?lang={language}"))[1]
    assert (await request(f"{served.base}/cerp/incidents/1"))[0] == 200

    await served.pages.set_visibility(ANNE, 1, False)
    for language in ("fr", "en"):
        body = (await request(f"{served.base}/cerp?lang={language}"))[1]
        assert title not in body and "Standard de la coordination" in body
    assert (await request(f"{served.base}/cerp/incidents/1"))[0] == 404
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=False)
    assert (await request(f"{served.base}/cerp/incidents/2"))[0] == 404, "a page turned off is gone at once"


async def test_last_modified_answers_if_modified_since_and_moves_with_the_page(store: Store, served: Served) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    for path in ("/cerp", "/cerp/incidents/1"):
        status, _, headers = await request(f"{served.base}{path}")
        assert status == 200 and headers["Last-Modified"].endswith(" GMT")
        modified = parsedate_to_datetime(headers["Last-Modified"])
        status, body, again = await request(f"{served.base}{path}", **{"If-Modified-Since": headers["Last-Modified"]})
        assert (status, body) == (304, "") and again["ETag"] == headers["ETag"]
        assert again["Last-Modified"] == headers["Last-Modified"]
        earlier = format_datetime(modified - timedelta(seconds=1), usegmt=True)
        assert (await request(f"{served.base}{path}", **{"If-Modified-Since": earlier}))[0] == 200
        # If-None-Match wins over If-Modified-Since (RFC 9110): a stale tag is a new page whatever the date.
        stale = {"If-None-Match": '"stale"', "If-Modified-Since": headers["Last-Modified"]}
        assert (await request(f"{served.base}{path}", **stale))[0] == 200
        assert (await request(f"{served.base}{path}", **{"If-Modified-Since": "not a date"}))[0] == 200

    _, _, before = await request(f"{served.base}/cerp")
    await served.pages.set_visibility(ANNE, 1, False)
    status, _, after = await request(f"{served.base}/cerp", **{"If-Modified-Since": before["Last-Modified"]})
    assert status == 200, "a page that lost an incident is not 'unchanged' for a cache holding the old one"
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(before["Last-Modified"])


async def test_every_public_route_answers_head_and_caches_briefly(store: Store, served: Served) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    assert MAX_AGE_S <= 60
    for path in ("/cerp", "/cerp/incidents/1", "/cerp/incidents/9", "/nope", "/"):
        got_status, got_body, got = await request(f"{served.base}{path}")
        status, body, headers = await request(f"{served.base}{path}", "HEAD")
        assert (status, body) == (got_status, ""), path
        assert headers.get("ETag") == got.get("ETag") and headers["Content-Type"] == got["Content-Type"]
        assert headers["Content-Length"] == got["Content-Length"] and got_body, path
        max_age = int(headers["Cache-Control"].split("max-age=")[1].split(",")[0])
        assert 0 < max_age <= 60 and headers["X-Content-Type-Options"] == "nosniff", path


async def test_a_kept_page_is_sent_compressed_to_whoever_accepts_it(store: Store, served: Served) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(f"{served.base}/cerp", headers={"Accept-Encoding": "identity"}) as response:
            plain, plain_tag = await response.read(), response.headers["ETag"]
            assert "Content-Encoding" not in response.headers and b"<html" in plain
        async with session.get(f"{served.base}/cerp", headers={"Accept-Encoding": "br, gzip;q=0.8"}) as response:
            packed, packed_tag = await response.read(), response.headers["ETag"]
            assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(packed) == plain and len(packed) < len(plain) and packed_tag != plain_tag
        for tag in (plain_tag, packed_tag):
            async with session.get(f"{served.base}/cerp", headers={"If-None-Match": tag}) as response:
                assert response.status == 304
        async with session.get(f"{served.base}/cerp", headers={"Accept-Encoding": "gzip;q=0"}) as response:
            assert "Content-Encoding" not in response.headers


async def test_a_client_over_its_limit_is_told_when_to_come_back(store: Store) -> None:
    async for served in serve(store, limit=lambda ticks: RequestLimit(1.0, 3, clock=ticks)):
        for _ in range(3):
            assert (await request(f"{served.base}/nope"))[0] == 404
        status, body, headers = await request(f"{served.base}/nope")
        assert status == 429 and headers["Retry-After"] == "1"
        assert "Trop de requêtes" in body and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store", "a proxy never answers another client with this refusal"
        assert (await request(f"{served.base}/nope", source="127.0.0.2"))[0] == 404, "another client has its own"
        served.ticks.at += 1.0
        assert (await request(f"{served.base}/nope"))[0] == 404, "one token back after a second"
        assert (await request(f"{served.base}/nope"))[0] == 429


async def test_the_client_is_the_proxys_forwarded_one_only_when_the_peer_is_the_trusted_proxy(
    store: Store,
) -> None:
    limited = serve(store, limit=lambda ticks: RequestLimit(1.0, 2, clock=ticks), trusted=frozenset({"127.0.0.2"}))
    async for served in limited:
        url = f"{served.base}/nope"

        def through_proxy(client: str) -> dict[str, str]:
            return {"X-Forwarded-For": f"203.0.113.50, {client}", "source": "127.0.0.2"}

        # Behind the proxy, each forwarded client has its own allowance (the proxy's own address never runs out).
        for _ in range(2):
            assert (await request(url, **through_proxy("198.51.100.1")))[0] == 404
        assert (await request(url, **through_proxy("198.51.100.1")))[0] == 429
        assert (await request(url, **through_proxy("198.51.100.2")))[0] == 404
        standard = {"Forwarded": 'for="[2001:db8::7]:4711";proto=https', "source": "127.0.0.2"}
        for _ in range(2):
            assert (await request(url, **standard))[0] == 404
        assert (await request(url, **standard))[0] == 429, "Forwarded: for= names the client too"

        # Anyone else claiming to forward is the client it is: its headers are ignored.
        for forged in ("198.51.100.3", "198.51.100.4"):
            assert (await request(url, **{"X-Forwarded-For": forged}))[0] == 404
        assert (await request(url, **{"X-Forwarded-For": "198.51.100.5"}))[0] == 429
        assert (await request(url, Forwarded="for=198.51.100.6"))[0] == 429


def test_the_limit_remembers_a_bounded_number_of_clients() -> None:
    ticks = Ticks()
    limit = RequestLimit(1.0, 2, clock=ticks, max_clients=100)
    for n in range(10_000):
        assert limit.wait_for(f"198.51.{n // 256}.{n % 256}") is None
    assert len(limit) <= 100
    assert limit.wait_for("192.0.2.1") is None and limit.wait_for("192.0.2.1") is None
    assert limit.wait_for("192.0.2.1") == pytest.approx(1.0)
    assert RequestLimit(0, 1).wait_for("anyone") is None, "a rate of 0 turns the limit off"


async def test_an_update_marked_internal_stays_off_the_page_and_a_declaration_chooses_its_visibility(
    store: Store, served: Served
) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Relancé le fournisseur.", internal=True), now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Commandes reprises en partie."), now=NOW)
    body = (await request(f"{served.base}/cerp/incidents/1"))[1]
    assert "Commandes reprises en partie." in body and "Relancé le fournisseur" not in body

    await lifecycle(store).declare(ANNE, replace(CERP, title="Standard en panne", public=False), now=NOW)
    await served.pages.configure(ADMIN, server_name="Coordination", default_public=False)
    await lifecycle(store).declare(ANNE, replace(CERP, title="Messagerie en panne", public=True), now=NOW)
    page = (await request(f"{served.base}/cerp"))[1]
    assert "Standard en panne" not in page and "Messagerie en panne" in page
    assert (await request(f"{served.base}/cerp/incidents/2"))[0] == 404


async def test_a_burst_of_changes_costs_one_rendering_after_another() -> None:
    opened, renders = asyncio.Event(), []

    async def render() -> tuple[bytes, str]:
        renders.append(len(renders))
        await opened.wait()
        return f"rendering {len(renders)}".encode(), "text/plain"

    cache = RenderedCache(lambda: NOW)
    first = asyncio.ensure_future(cache.get("page", 1, render))
    await asyncio.sleep(0)  # the first rendering under way
    later = [asyncio.ensure_future(cache.get("page", version, render)) for version in range(2, 12)]
    await asyncio.sleep(0)
    opened.set()
    answers = await asyncio.gather(first, *later)
    assert len(renders) == 2, "ten changes during one rendering: one more rendering, not ten"
    assert answers[0] is not None and answers[0].version == 1
    assert {(a.version, a.body) for a in answers[1:] if a is not None} == {(11, b"rendering 2")}


async def test_a_kept_body_is_never_served_past_its_until_even_when_its_refresh_began_before() -> None:
    """A page showing a maintenance's start or end changes then with no write: from that moment on, the first
    request waits for a rendering from now (not the kept body, nor a background one begun before the moment)."""
    clock = Clock(NOW)
    until = NOW + timedelta(seconds=5)
    opened, renders = asyncio.Event(), []

    async def render() -> tuple[bytes, str, datetime | None]:
        began = clock.now()  # what it shows is read when it begins
        renders.append(began)
        if len(renders) == 2:
            await opened.wait()  # the background rendering, begun before `until`, ends after it
        return f"as of {began.isoformat()}".encode(), "text/plain", until if began < until else None

    cache = RenderedCache(clock.now, fresh_for=timedelta(seconds=2))
    assert (first := await cache.get("page", 1, render)) is not None and first.until == until
    clock.at = NOW + timedelta(seconds=3)
    assert await cache.get("page", 1, render) is first, "fresh enough: kept, its refresh made in the background"
    await asyncio.sleep(0)
    assert len(renders) == 2
    clock.at = until
    answer = asyncio.ensure_future(cache.get("page", 1, render))
    await asyncio.sleep(0)
    assert not answer.done(), "past its until, the kept body is not served"
    opened.set()
    got = await answer
    assert got is not None and got.body == f"as of {until.isoformat()}".encode() and got.until is None
    assert renders == [NOW, NOW + timedelta(seconds=3), until]
    assert await cache.get("page", 1, render) is got, "then kept as any body"


async def test_a_kept_feed_and_sector_page_follow_the_servers_language_and_sector_names(
    store: Store, served: Served
) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    status, feed, headers = await request(f"{served.base}/cerp/feed.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert "État des services" in feed
    assert (await request(f"{served.base}/cerp/feed.atom"))[1] == feed, "kept while nothing changed"

    async with store.unit_of_work() as conn:
        await settings_store.set_setting(conn, GUILD, "language", "en", now=NOW)
    feed = (await request(f"{served.base}/cerp/feed.atom"))[1]
    assert "Service status" in feed and "État des services" not in feed, "a feed is written in the server's words"

    async with store.unit_of_work() as conn:
        await settings_store.add_sector(conn, GUILD, "pharmacie", "Officines de pharmacie", now=NOW)
    assert "Officines de pharmacie" in (await request(f"{served.base}/cerp/sectors/pharmacie"))[1]
    assert "Officines de pharmacie" in (await request(f"{served.base}/cerp/sectors/pharmacie/feed.atom"))[1]


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE guild_settings SET language = 'en' WHERE guild_id = 1",
        "UPDATE guild_settings SET time_zone = 'America/Cayenne' WHERE guild_id = 1",
        "INSERT INTO sectors (guild_id, key, name, created_at) VALUES (1, 'librairie', 'Librairie', '2024-01-01')",
        "UPDATE sectors SET name = 'Pharmacies' WHERE guild_id = 1",
        "DELETE FROM sectors WHERE guild_id = 1",
        # a forget (bot/privacy) turning a member's id into a pseudonym in the timeline, in its own transaction
        "INSERT INTO privacy_forgetting (guild_id) VALUES (1); UPDATE updates SET by = -1 WHERE incident_id = 1",
    ],
)
async def test_every_change_a_page_feed_or_api_shows_moves_the_servers_version(
    store: Store, served: Served, change: str
) -> None:
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Commandes par téléphone possibles."), now=NOW)
    async with store.unit_of_work() as conn:
        await settings_store.add_sector(conn, GUILD, "pharmacie", "Pharmacie", now=NOW)
    async with store.reading() as conn:
        before = await public_store.page_version(conn, "cerp")
    async with store.unit_of_work() as conn:
        for statement in change.split("; "):
            cursor = await conn.execute(statement)
            assert cursor.rowcount >= 1, "the change changes something"
        await conn.execute("DELETE FROM privacy_forgetting")
    async with store.reading() as conn:
        after = await public_store.page_version(conn, "cerp")
    assert before is not None and after is not None and after > before


MAINTENANCE = (
    "INSERT INTO maintenance (id, guild_id, number, organisation, starts_at, ends_at, scheduled_at, scheduled_by, "
    "owner_id, reminder_lead_s, public, updated_at) VALUES (7, 1, 1, 'Cerp', '2024-10-20T20:00:00+00:00', "
    "'2024-10-21T04:00:00+00:00', '2024-10-18T09:00:00+00:00', 5, 5, 3600, 1, '2024-10-18T09:00:00+00:00')"
)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE maintenance SET stage = 'started' WHERE id = 7",
        "UPDATE maintenance SET public = 0 WHERE id = 7",
        "DELETE FROM maintenance_territories WHERE maintenance_id = 7",
        "DELETE FROM maintenance_services WHERE maintenance_id = 7",
        "INSERT INTO maintenance_services (maintenance_id, position, name) VALUES (7, 1, 'Livraisons')",
        "INSERT INTO maintenance_territories (maintenance_id, territory) VALUES (7, '35')",
        # Its messages are its feed entries (migration 0015).
        (
            "INSERT INTO maintenance_messages (maintenance_id, place, kind, at, starts_at, ends_at) VALUES (7, 1, "
            "'started', '2024-10-20T20:00:00+00:00', '2024-10-20T20:00:00+00:00', '2024-10-21T04:00:00+00:00')"
        ),
        "UPDATE maintenance_messages SET kind = 'rescheduled' WHERE maintenance_id = 7",
        "DELETE FROM maintenance_messages WHERE maintenance_id = 7",
    ],
)
async def test_every_change_to_a_maintenance_moves_the_servers_version(
    store: Store, served: Served, change: str
) -> None:
    """Public maintenance is on the page and in the API (kept by bot/web/cache.py): its changes move the version."""
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    async with store.unit_of_work() as conn:
        await conn.execute(MAINTENANCE)
        await conn.execute("INSERT INTO maintenance_services (maintenance_id, position, name) VALUES (7, 0, 'Site')")
        await conn.execute("INSERT INTO maintenance_territories (maintenance_id, territory) VALUES (7, '22')")
        await conn.execute(
            "INSERT INTO maintenance_messages (maintenance_id, place, kind, at, starts_at, ends_at) VALUES (7, 0, "
            "'scheduled', '2024-10-18T09:00:00+00:00', '2024-10-20T20:00:00+00:00', '2024-10-21T04:00:00+00:00')"
        )
    async with store.reading() as conn:
        before = await public_store.page_version(conn, "cerp")
    async with store.unit_of_work() as conn:
        cursor = await conn.execute(change)
        assert cursor.rowcount >= 1, "the change changes something"
    async with store.reading() as conn:
        after = await public_store.page_version(conn, "cerp")
    assert before is not None and after is not None and after > before
