"""The public page's history per sector and territory, its Atom feeds and its JSON API, on a real SQLite file, served
over real HTTP on 127.0.0.1: feeds read by feedparser (the reader most feed tools are built on) without a fault,
with one entry per public update under ids that never change; the API's documents valid against the schema the
package ships; the same response path as the pages (ETag and 304, caching, security headers, the right type);
the same 404 for whatever is not public; and hostile text inert everywhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import feedparser
import jsonschema
import pytest

from bot.common.actor import Actor
from bot.incidents.rules.model import Severity, Status
from bot.incidents.use_cases.typed_input import DeclareInput, UpdateInput
from bot.public.presentation import api
from bot.public.use_cases import PublicPages
from bot.settings import store as settings_store
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, configure, lifecycle
from tests.services.test_public_pages import ADMIN, OTHER_GUILD, Clock, get, serving

LIBRAIRIE = DeclareInput(title="Dilicom indisponible", sector="librairie", territories="13", severity=Severity.MINOR)
PRIVATE = replace(CERP, title="Panne privée du standard")
SERVER_NAME = "Coordination Bretagne"


@pytest.fixture
async def clock() -> Clock:
    return Clock(NOW + timedelta(hours=2))


@pytest.fixture
async def pages(store: Store, clock: Clock) -> PublicPages:
    await configure(store)
    pages = PublicPages(store, clock)  # type: ignore[arg-type]
    await pages.configure(ADMIN, server_name=SERVER_NAME, enabled=True, slug="cerp", default_public=True)
    return pages


@pytest.fixture
async def served(pages: PublicPages) -> AsyncIterator[str]:
    async with serving(pages) as address:
        yield address


async def declare_three(store: Store, pages: PublicPages) -> None:
    """#1 public (pharmacie, Brittany and beyond) with a note, #2 private with a note, #3 public (librairie, 13)."""
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Commandes par téléphone possibles."), now=NOW)
    await lifecycle(store).declare(ANNE, PRIVATE, now=NOW)
    await pages.set_visibility(ANNE, 2, False)
    await lifecycle(store).update(ANNE, 2, UpdateInput(note="Note du standard privé."), now=NOW)
    await lifecycle(store).declare(ANNE, LIBRAIRIE, now=NOW + timedelta(minutes=5))


def parsed(body: str) -> Any:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


async def update_ids(pages: PublicPages, *numbers: int) -> set[str]:
    ids: set[str] = set()
    for number in numbers:
        view = await pages.incident_page("cerp", number)
        assert view is not None
        ids |= {update.uid for update in view.incident.updates}
    return ids


async def test_each_feed_has_one_entry_per_public_update_of_what_its_page_lists(
    store: Store, pages: PublicPages, served: str
) -> None:
    await declare_three(store, pages)
    wanted = {
        "/cerp/feed.atom": await update_ids(pages, 1, 3),
        "/cerp/sectors/pharmacie/feed.atom": await update_ids(pages, 1),
        "/cerp/sectors/librairie/feed.atom": await update_ids(pages, 3),
        "/cerp/territories/13/feed.atom": await update_ids(pages, 3),
        "/cerp/territories/R93/feed.atom": await update_ids(pages, 3),  # Provence-Alpes-Côte d'Azur holds 13
        "/cerp/territories/FR/feed.atom": await update_ids(pages, 1, 3),
        "/cerp/territories/R53/feed.atom": await update_ids(pages, 1),
        "/cerp/territories/29/feed.atom": await update_ids(pages, 1),  # in Brittany, which #1 covers whole
    }
    assert len(wanted["/cerp/sectors/pharmacie/feed.atom"]) >= 2
    for path, ids in wanted.items():
        status, body, headers = await get(f"{served}{path}", **{"Accept-Language": "en"})
        assert status == 200, path
        assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert headers["X-Content-Type-Options"] == "nosniff" and "max-age=30" in headers["Cache-Control"]
        assert headers["Content-Security-Policy"].endswith("frame-ancestors 'none'") and "ETag" in headers
        feed = parsed(body)
        assert {entry.id for entry in feed.entries} == ids, path
        assert feed.feed.id.startswith("urn:uuid:") and feed.feed.author == SERVER_NAME
        newest = max(entry.updated_parsed for entry in feed.entries)
        assert feed.feed.updated_parsed == newest, "the feed's updated is its newest entry's"
        assert [e.updated_parsed for e in feed.entries] == sorted(
            (e.updated_parsed for e in feed.entries), reverse=True
        )
        for entry in feed.entries:
            assert entry.author == SERVER_NAME and entry.id.startswith("urn:uuid:")
            assert entry.link.startswith("/cerp/incidents/")
        assert "Panne privée" not in body and "standard privé" not in body and str(ANNE.user_id) not in body
        # The server's language (French), whatever the reader's.
        assert feed.feed.language == "fr" and "Incident déclaré" in body
    feed = parsed((await get(f"{served}/cerp/feed.atom"))[1])
    note = next(e for e in feed.entries if "téléphone" in e.content[0].value)
    assert (
        note.title.startswith("Incident n° 1 · Cerp Bretagne Atlantique") and note.link == "/cerp/incidents/1?lang=fr"
    )
    assert note.content[0].type == "text/plain"


async def test_entry_ids_never_change_across_renders_updates_and_a_renamed_address(
    store: Store, pages: PublicPages, served: str, clock: Clock
) -> None:
    await declare_three(store, pages)
    first = parsed((await get(f"{served}/cerp/feed.atom"))[1])
    again = parsed((await get(f"{served}/cerp/feed.atom"))[1])
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    clock.at += timedelta(hours=1)
    await lifecycle(store).update(
        ANNE, 1, UpdateInput(status=Status.MONITORING, note="Livraisons reprises."), now=clock.at
    )
    await pages.configure(ADMIN, server_name=SERVER_NAME, slug="grand-ouest")
    later = parsed((await get(f"{served}/grand-ouest/feed.atom"))[1])
    added = [e for e in later.entries if e.id not in {f.id for f in first.entries}]
    assert added and later.entries[: len(added)] == added, "the new entries come first, under new ids"
    assert len(later.entries) == len(first.entries) + len(added)
    assert any("Livraisons reprises." in e.content[0].value for e in added)
    # An entry never changes after its `updated`: what the incident became since is in newer entries only.
    before = {e.id: (e.title, e.content[0].value, e.updated) for e in first.entries}
    assert {e.id: (e.title, e.content[0].value, e.updated) for e in later.entries[len(added) :]} == before
    assert later.feed.id == first.feed.id and later.feed.updated_parsed > first.feed.updated_parsed
    for path in ("/grand-ouest/feed.atom", "/grand-ouest/api/v1/summary"):
        etag = (await get(f"{served}{path}"))[2]["ETag"]
        status, body, headers = await get(f"{served}{path}", **{"If-None-Match": etag})
        assert status == 304 and body == "" and headers["X-Content-Type-Options"] == "nosniff"


async def test_a_feed_with_no_entry_is_still_valid(store: Store, pages: PublicPages, served: str) -> None:
    status, body, _ = await get(f"{served}/cerp/territories/29/feed.atom")
    assert status == 200
    feed = parsed(body)
    assert feed.entries == [] and feed.feed.updated_parsed is not None


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(api.schema())
    jsonschema.Draft202012Validator(api.schema(), format_checker=jsonschema.FormatChecker()).validate(document)


async def get_json(url: str) -> Any:
    import json

    status, body, headers = await get(url)
    assert status == 200, url
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff" and "max-age=30" in headers["Cache-Control"]
    assert body.isascii() and "<" not in body and ">" not in body
    document = json.loads(body)
    validate(document)
    return document


async def test_the_api_serves_the_summary_the_incidents_and_one_incident_valid_against_its_schema(
    store: Store, pages: PublicPages, served: str
) -> None:
    await declare_three(store, pages)
    await lifecycle(store).declare(ANNE, replace(LIBRAIRIE, title="Deuxième librairie"), now=NOW)

    summary = await get_json(f"{served}/cerp/api/v1/summary")
    assert summary["kind"] == "summary" and summary["state"] == "disrupted"
    assert [i["number"] for i in summary["open_incidents"]] == [3, 4, 1] or {
        i["number"] for i in summary["open_incidents"]
    } == {1, 3, 4}
    assert summary["server"] == {"name": SERVER_NAME, "page": "/cerp", "language": "fr"}

    first = await get_json(f"{served}/cerp/api/v1/incidents?per_page=2")
    assert first["total"] == 3 and [i["number"] for i in first["incidents"]] == [4, 3]
    assert first["next"] == "/cerp/api/v1/incidents?page=2&per_page=2"
    second = await get_json(f"{served}{first['next']}")
    assert [i["number"] for i in second["incidents"]] == [1] and second["next"] is None
    beyond = await get_json(f"{served}/cerp/api/v1/incidents?page=9&per_page=2")
    assert beyond["incidents"] == [] and beyond["next"] is None and beyond["total"] == 3
    default = await get_json(f"{served}/cerp/api/v1/incidents")
    assert default["per_page"] == 50 and [i["number"] for i in default["incidents"]] == [4, 3, 1]

    one = await get_json(f"{served}/cerp/api/v1/incidents/1")
    incident = one["incident"]
    assert incident["title"] == CERP.title and incident["sector"]["key"] == "pharmacie"
    assert {u["id"] for u in incident["updates"]} == await update_ids(pages, 1)
    assert {u["author"] for u in incident["updates"]} == {SERVER_NAME}
    feed = parsed((await get(f"{served}/cerp/feed.atom"))[1])
    assert {u["id"] for u in incident["updates"]} <= {e.id for e in feed.entries}, "the API's ids are the feed's"
    for document in (summary, first, one):
        assert str(ANNE.user_id) not in str(document) and "Panne privée" not in str(document)


async def test_the_server_page_and_incident_pages_link_the_history_pages_and_feeds(
    store: Store, pages: PublicPages, served: str
) -> None:
    await declare_three(store, pages)
    for path in ("/cerp", "/cerp/incidents/1"):
        body = (await get(f"{served}{path}?lang=en"))[1]
        assert '<link rel="alternate" type="application/atom+xml" href="/cerp/feed.atom"' in body
        assert 'href="/cerp/sectors/pharmacie?lang=en"' in body and 'href="/cerp/territories/R53?lang=en"' in body
    status, body, _ = await get(f"{served}/cerp/sectors/librairie?lang=en")
    assert status == 200 and "Sector: librairie" in body and "Dilicom" in body and "Cerp Bretagne" not in body
    assert '<link rel="alternate" type="application/atom+xml" href="/cerp/sectors/librairie/feed.atom"' in body
    assert 'href="/cerp?lang=en"' in body
    status, body, _ = await get(f"{served}/cerp/territories/R53")
    assert status == 200 and "Territoire : Bretagne (53)" in body and "Cerp Bretagne" in body and "Dilicom" not in body
    assert 'href="/cerp/territories/R53/feed.atom"' in body and "Panne privée" not in body


async def test_whatever_is_not_public_gets_the_same_404(store: Store, pages: PublicPages, served: str) -> None:
    await declare_three(store, pages)
    # A sector only a private incident has, and another server's page and public incident.
    await lifecycle(store).declare(ANNE, replace(PRIVATE, sector="santé"), now=NOW)
    await pages.set_visibility(ANNE, 4, False)
    other = Actor(guild_id=OTHER_GUILD, user_id=5)
    await pages.configure(other, server_name="Autre", enabled=True, slug="autre", default_public=True)
    paths = [
        "/cerp/sectors/sante",
        "/cerp/sectors/sante/feed.atom",
        "/cerp/sectors/nope",
        "/cerp/sectors/Pharmacie",
        "/cerp/sectors/pharmacie%2F..",
        "/cerp/territories/99x",
        "/cerp/territories/r53",
        "/cerp/territories/R53%00",
        "/nope/feed.atom",
        "/nope/territories/29",
        "/autre/incidents/1",
        "/autre/api/v1/incidents/1",
        "/cerp/api/v1/incidents/2",
        "/cerp/api/v1/incidents/4",
        "/cerp/api/v1/incidents/99",
        "/cerp/api/v1/incidents/1x",
        "/cerp/api/v1/incidents/-1",
        "/cerp/api/v1/incidents/0",
        "/cerp/api/v1/incidents?page=0",
        "/cerp/api/v1/incidents?page=x",
        "/cerp/api/v1/incidents?per_page=101",
        "/cerp/api/v2/summary",
        "/nope/api/v1/summary",
        "/CERP/api/v1/summary",
        "/cerp/feed.rss",
    ]
    missing = await get(f"{served}/nope")
    for path in paths:
        status, body, _ = await get(f"{served}{path}")
        assert (status, body) == (404, missing[1]), path
    await pages.configure(ADMIN, server_name=SERVER_NAME, enabled=False)
    for path in ("/cerp/feed.atom", "/cerp/api/v1/summary", "/cerp/sectors/pharmacie", "/cerp/territories/29"):
        assert (await get(f"{served}{path}"))[:2] == (404, missing[1]), path


HOSTILE = "<script>alert(1)</script>" + '"><img src=x onerror=alert(1)>' + "\u202ejavascript:alert(1)&amp;\x1b\x00"
LONG = HOSTILE + "x" * 10_000


async def test_hostile_text_in_every_public_field_is_inert_in_feeds_and_json(
    store: Store, pages: PublicPages, served: str
) -> None:
    await pages.configure(ADMIN, server_name=LONG, enabled=True, slug="cerp", default_public=True)
    hostile = replace(
        CERP,
        title=HOSTILE[:100],
        organisation=HOSTILE,
        impact=HOSTILE,
        workaround=HOSTILE,
        services=HOSTILE[:60],
    )
    await lifecycle(store).declare(ANNE, hostile, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note=(HOSTILE + "x" * 1500)[:1500]), now=NOW)
    for path in ("/cerp/feed.atom", "/cerp/sectors/pharmacie/feed.atom", "/cerp/territories/R53/feed.atom"):
        status, body, _ = await get(f"{served}{path}")
        assert status == 200
        feed = parsed(body)
        assert "<script" not in body and "<img" not in body and "\x1b" not in body and "\x00" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "\u202ejavascript:alert(1)&amp;amp;" in body
        assert feed.feed.author == LONG.replace("\x1b", "").replace("\x00", "")
        for entry in feed.entries:
            assert entry.link.startswith("/cerp/incidents/") and entry.content[0].type == "text/plain"
    for path in ("/cerp/api/v1/summary", "/cerp/api/v1/incidents", "/cerp/api/v1/incidents/1"):
        document = await get_json(f"{served}{path}")
        assert document["server"]["name"] == LONG
    one = await get_json(f"{served}/cerp/api/v1/incidents/1")
    typed = re.sub("[\x00\x1b\u202e]", "", HOSTILE)  # typed fields lose controls and direction overrides
    assert one["incident"]["workaround"] == typed and one["incident"]["impact"] == typed


async def test_a_sector_is_named_as_its_admins_wrote_it_at_an_address_of_its_key(
    store: Store, pages: PublicPages, served: str
) -> None:
    async with store.unit_of_work() as conn:
        await settings_store.add_sector(conn, GUILD, "grande distribution", "Grande Distribution", now=NOW)
        await settings_store.add_sector(conn, GUILD, "sante", "santé", now=NOW)
    await lifecycle(store).declare(ANNE, replace(LIBRAIRIE, sector="Grande Distribution"), now=NOW)
    body = (await get(f"{served}/cerp/incidents/1"))[1]
    assert '<a href="/cerp/sectors/grande%20distribution?lang=fr"><bdi>Grande Distribution</bdi></a>' in body
    status, body, _ = await get(f"{served}/cerp/sectors/grande%20distribution")
    assert status == 200 and "<h1>Secteur : Grande Distribution" in body and "Dilicom" in body
    feed = parsed((await get(f"{served}/cerp/sectors/grande%20distribution/feed.atom"))[1])
    assert feed.feed.title == "État des services : Coordination Bretagne, Grande Distribution" and feed.entries
    one = await get_json(f"{served}/cerp/api/v1/incidents/1")
    assert one["incident"]["sector"] == {"key": "grande distribution", "name": "Grande Distribution"}
    assert (await get(f"{served}/cerp/sectors/Grande%20Distribution"))[0] == 404
    await lifecycle(store).declare(ANNE, replace(LIBRAIRIE, title="Centre 15 saturé", sector="Sante"), now=NOW)
    body = (await get(f"{served}/cerp/incidents/2"))[1]
    assert '<a href="/cerp/sectors/sante?lang=fr"><bdi>santé</bdi></a>' in body
    status, body, _ = await get(f"{served}/cerp/sectors/sante")
    assert status == 200 and "<h1>Secteur : santé" in body and "Centre 15" in body and "Dilicom" not in body
    assert (await get(f"{served}/cerp/sectors/sant%C3%A9"))[0] == 404, "one address per sector"
