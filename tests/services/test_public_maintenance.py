"""Planned maintenance beyond the server, on a real SQLite file: public maintenance on the server's page (in its
own section after the open incidents, ended ones apart from the history of incidents), on the sector and territory
pages it matches, and in the JSON API's summary (valid against the shipped schema), served over real HTTP on
127.0.0.1; private, cancelled and converted ones nowhere, nor their owner. And its webhook events, planned in the
maintenance change's own unit of work, in a lane per webhook and maintenance, public ones only unless the webhook
takes private ones too. And each public message of a maintenance (scheduled, rescheduled, extended, started,
ended, cancelled, turned into an incident), recorded in the unit of work of its change, as one entry of the feeds
where it applies, under an id that never changes, `updated` at the message's time, telling the times as they were
then, in the server's language, read by feedparser without a fault; a private maintenance's in none."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.maintenance.use_cases import Maintenances
from bot.public.use_cases import PublicPages
from bot.settings import store as settings_store
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from bot.web.cache import RenderedCache
from bot.webhooks.rules import EVENTS, EventKind, maintenance_body
from bot.webhooks.use_cases import Webhooks
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, configure
from tests.services.test_maintenance import END, START, WEEKEND
from tests.services.test_public_feeds import get_json, parsed
from tests.services.test_public_pages import ADMIN, Clock, get, serving
from tests.services.test_webhooks import accept, sent

PRIVATE = replace(WEEKEND, organisation="Grossiste interne Ouest", territories="29", services="standard interne")
CANCELLED = replace(WEEKEND, organisation="Dépositaire annulé", services="expéditions")
LIBRAIRIE = replace(WEEKEND, organisation="Dilicom", sector="librairie", territories="13", services="commandes")


@pytest.fixture
async def clock() -> Clock:
    return Clock(NOW + timedelta(hours=2))


@pytest.fixture
async def pages(store: Store, clock: Clock) -> PublicPages:
    await configure(store)
    pages = PublicPages(store, clock)  # type: ignore[arg-type]
    await pages.configure(ADMIN, server_name="Coordination Bretagne", enabled=True, slug="cerp", default_public=True)
    return pages


@pytest.fixture
async def cache(clock: Clock) -> RenderedCache:
    """Pages kept on the test's clock: times on them (what starts within the week) move as it moves."""
    return RenderedCache(clock.now)


@pytest.fixture
async def served(pages: PublicPages, cache: RenderedCache) -> AsyncIterator[str]:
    async with serving(pages, cache) as address:
        yield address


def maintenances(store: Store) -> Maintenances:
    lifecycle = Lifecycle(store, ServerDefaults())
    return Maintenances(store, ServerDefaults(), incident_changed=lifecycle.run_after_commit)


async def scheduled_four(store: Store, pages: PublicPages) -> Maintenances:
    """M1 public (pharmacie, 53), M2 private (the page's default turned off meanwhile), M3 public then cancelled,
    M4 public (librairie, 13)."""
    service = maintenances(store)
    await service.schedule(ANNE, WEEKEND, now=NOW)
    await pages.configure(ADMIN, server_name="Coordination Bretagne", default_public=False)
    await service.schedule(ANNE, PRIVATE, now=NOW)
    await pages.configure(ADMIN, server_name="Coordination Bretagne", default_public=True)
    await service.schedule(ANNE, CANCELLED, now=NOW)
    await service.cancel(ANNE, 3, now=NOW + timedelta(minutes=5))
    await service.schedule(ANNE, LIBRAIRIE, now=NOW)
    return service


async def test_public_maintenance_shows_after_the_open_incidents_and_nothing_private_does(
    store: Store, pages: PublicPages, served: str
) -> None:
    await Lifecycle(store, ServerDefaults()).declare(ANNE, CERP, now=NOW)
    await scheduled_four(store, pages)

    status, body, _ = await get(f"{served}/cerp")
    assert status == 200
    assert body.index('id="open"') < body.index('id="maintenance"') < body.index('id="history"')
    section = body[body.index('id="maintenance"') : body.index('id="history"')]
    assert "Maintenance M1" in section and "Maintenance M4" in section
    assert "Cerp Bretagne Atlantique" in section and "Dilicom" in section
    assert f'<time datetime="{START.isoformat()}">' in section and f'<time datetime="{END.isoformat()}">' in section
    assert 'id="past_maintenance"' not in body, "nothing ended yet"
    for hidden in ("Grossiste interne", "standard interne", "Dépositaire annulé", "M2", "M3", str(ANNE.user_id)):
        assert hidden not in body

    # The sector's and territory's pages list the maintenance that matches them only.
    _, sector, _ = await get(f"{served}/cerp/sectors/pharmacie")
    assert "Maintenance M1" in sector and "Maintenance M4" not in sector and "Grossiste" not in sector
    _, territory, _ = await get(f"{served}/cerp/territories/29")
    assert "Maintenance M1" in territory and "Maintenance M4" not in territory and "Grossiste" not in territory

    summary = await get_json(f"{served}/cerp/api/v1/summary")
    listed = summary["maintenance"]
    assert [(m["number"], m["state"]) for m in listed] == [(1, "planned"), (4, "planned")]
    assert listed[0]["starts_at"] == START.isoformat() and listed[0]["ended_at"] is None
    assert listed[0]["services"] == ["commandes", "livraisons"] and listed[0]["sector"]["key"] == "pharmacie"
    assert "Grossiste" not in json.dumps(summary) and str(ANNE.user_id) not in json.dumps(summary)


async def test_maintenance_in_progress_then_ended_moves_to_its_history(
    store: Store, pages: PublicPages, clock: Clock, served: str
) -> None:
    service = await scheduled_four(store, pages)
    clock.at = START + timedelta(minutes=1)
    await service.advance(1, now=clock.at)
    await service.advance(4, now=clock.at)
    summary = await get_json(f"{served}/cerp/api/v1/summary")
    assert [(m["number"], m["state"]) for m in summary["maintenance"]] == [(1, "in_progress"), (4, "in_progress")]
    _, body, _ = await get(f"{served}/cerp?lang=en")
    assert "In progress" in body and "Maintenance in progress and coming up" in body

    # M4 runs late: its owner extends it (what a reader sees follows its times, not the timers).
    await service.extend(ANNE, 4, ends="lundi 9h", now=clock.at)
    clock.at = END + timedelta(minutes=1)
    await service.advance(1, now=clock.at)
    _, body, _ = await get(f"{served}/cerp")
    assert body.index('id="history"') < body.index('id="past_maintenance"')
    past = body[body.index('id="past_maintenance"') :]
    assert "Maintenance M1" in past and "Terminée" in past and "Maintenance M4" not in past
    summary = await get_json(f"{served}/cerp/api/v1/summary")
    assert [(m["number"], m["state"]) for m in summary["maintenance"]] == [(4, "in_progress"), (1, "ended")]
    assert summary["maintenance"][1]["ended_at"] == END.isoformat()

    # Past the 90 days, it is gone.
    await service.advance(4, now=clock.at)
    clock.at = END + timedelta(days=91)
    assert (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"] == []


async def test_what_a_reader_sees_follows_the_clock_when_no_timer_ran_even_on_a_kept_page(
    store: Store, pages: PublicPages, clock: Clock, served: str, cache: RenderedCache
) -> None:
    """The bot down or late: its timer has not moved the stage, nothing was written; the page, the API and the
    summary still say in progress from the start and ended from the end, on the first request after each (a kept
    page whose times are passed is rendered again, not served while the next is made)."""
    await scheduled_four(store, pages)
    clock.at = START - timedelta(seconds=5)
    assert [m["state"] for m in (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"]] == ["planned"] * 2
    _, body, _ = await get(f"{served}/cerp?lang=en")
    assert "Planned" in body and "In progress" not in body

    clock.at = START + timedelta(seconds=1)  # within FRESH_FOR of the kept bodies
    assert [m["state"] for m in (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"]] == [
        "in_progress",
        "in_progress",
    ]
    _, body, _ = await get(f"{served}/cerp?lang=en")
    assert "In progress" in body and "Planned" not in body
    _, territory, _ = await get(f"{served}/cerp/territories/29?lang=en")
    assert "In progress" in territory and "Planned" not in territory

    clock.at = END
    summary = await get_json(f"{served}/cerp/api/v1/summary")
    assert [(m["number"], m["state"], m["ended_at"]) for m in summary["maintenance"]] == [
        (4, "ended", END.isoformat()),
        (1, "ended", END.isoformat()),
    ]
    _, body, _ = await get(f"{served}/cerp")
    assert 'id="maintenance"' not in body and "Maintenance M1" in body[body.index('id="past_maintenance"') :]
    # Only the clock moved it: no stage was written.
    async with store.reading() as conn, conn.execute("SELECT DISTINCT stage FROM maintenance WHERE public = 1") as rows:
        assert {row[0] for row in await rows.fetchall()} <= {"scheduled", "cancelled"}


async def test_maintenance_planned_beyond_the_week_is_not_listed_yet(
    store: Store, pages: PublicPages, clock: Clock, served: str, cache: RenderedCache
) -> None:
    await maintenances(store).schedule(ANNE, replace(WEEKEND, starts="dans 10 jours", ends="dans 11 jours"), now=NOW)
    assert (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"] == []
    clock.at = NOW + timedelta(days=4)
    # Nothing was written: the kept summary answers while the next is made (bot/web/cache.py, FRESH_FOR).
    assert (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"] == []
    await asyncio.gather(*cache.pending())
    assert [m["number"] for m in (await get_json(f"{served}/cerp/api/v1/summary"))["maintenance"]] == [1]


# -- webhooks


@pytest.fixture
async def webhooks(store: Store, pages: PublicPages) -> Webhooks:
    return Webhooks(store, accept)


async def test_each_maintenance_change_plans_its_event_in_its_own_lane(
    store: Store, pages: PublicPages, webhooks: Webhooks
) -> None:
    await webhooks.add(ADMIN, "https://hooks.example.org/public", frozenset(EVENTS), public_only=True, now=NOW)
    await webhooks.add(ADMIN, "https://hooks.example.org/all", frozenset(EVENTS), public_only=False, now=NOW)
    incidents_only = frozenset({EventKind.DECLARED, EventKind.UPDATED, EventKind.RESOLVED})
    await webhooks.add(ADMIN, "https://hooks.example.org/incidents", incidents_only, public_only=False, now=NOW)
    service = await scheduled_four(store, pages)
    await service.reschedule(ANNE, 1, starts="dimanche 23h", ends="lundi 6h", now=NOW + timedelta(minutes=10))
    for at in (START + timedelta(hours=1, minutes=1), END + timedelta(minutes=1)):
        await service.advance(1, now=at)

    found = [(r.lane, r.payload["event"]) for r in await sent(store)]
    assert found == [
        ("webhook:1:m1", "maintenance_scheduled"),
        ("webhook:2:m1", "maintenance_scheduled"),
        ("webhook:2:m2", "maintenance_scheduled"),  # private: only to the webhook that takes private ones
        ("webhook:1:m3", "maintenance_scheduled"),
        ("webhook:2:m3", "maintenance_scheduled"),
        ("webhook:1:m3", "maintenance_cancelled"),
        ("webhook:2:m3", "maintenance_cancelled"),
        ("webhook:1:m4", "maintenance_scheduled"),
        ("webhook:2:m4", "maintenance_scheduled"),
        ("webhook:1:m1", "maintenance_rescheduled"),
        ("webhook:2:m1", "maintenance_rescheduled"),
        ("webhook:1:m1", "maintenance_started"),
        ("webhook:2:m1", "maintenance_started"),
        ("webhook:1:m1", "maintenance_ended"),
        ("webhook:2:m1", "maintenance_ended"),
    ]
    rows = await sent(store)
    bodies = [json.loads(r.payload["body"]) for r in rows]
    assert len({b["idempotency_key"] for b in bodies}) == len(bodies)
    assert all(b["schema_version"] == 1 and b["event"] == r.payload["event"] for b, r in zip(bodies, rows, strict=True))
    assert bodies[0]["maintenance"]["public"] is True and bodies[2]["maintenance"]["public"] is False
    assert bodies[-1]["maintenance"]["stage"] == "ended" and bodies[-1]["maintenance"]["number"] == 1
    assert bodies[9]["maintenance"]["starts_at"] == "2024-10-20T21:00:00Z"
    assert all(str(ANNE.user_id) not in r.payload["body"] for r in rows)


def test_a_maintenance_body_names_neither_its_owner_nor_its_thread() -> None:
    from bot.maintenance.rules import Maintenance

    m = Maintenance(
        guild_id=5,
        number=2,
        organisation="Cerp",
        sector="Pharmacie",
        territories=("29",),
        services=("commandes",),
        starts_at=START,
        ends_at=END,
        scheduled_at=NOW,
        owner_id=123456789012345678,
        thread_id=223456789012345678,
        public=True,
    )
    body = maintenance_body(EventKind.MAINTENANCE_SCHEDULED, m, key="k", occurred_at=NOW, server="Coordination")
    assert b"123456789012345678" not in body and b"223456789012345678" not in body
    assert set(json.loads(body)) == {
        "schema_version",
        "idempotency_key",
        "event",
        "occurred_at",
        "server",
        "maintenance",
    }


# -- feeds


def maintenance_entries(feed: Any) -> list[tuple[str, str, str]]:
    """(title, updated, id) of the feed's maintenance entries, in the feed's order."""
    return [(e.title, e.updated, e.id) for e in feed.entries if e.title.startswith("Maintenance M")]


async def feed_of(address: str) -> Any:
    status, body, _ = await get(address)
    assert status == 200
    return parsed(body)


def stamp(at: Any) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def test_each_public_maintenance_message_is_an_entry_of_the_feeds_where_it_applies(
    store: Store, pages: PublicPages, clock: Clock, served: str
) -> None:
    await Lifecycle(store, ServerDefaults()).declare(ANNE, CERP, now=NOW)  # the pharmacie sector's page exists
    service = await scheduled_four(store, pages)  # M1 public, M2 private, M3 public cancelled, M4 public (13)
    moved = NOW + timedelta(minutes=10)
    await service.reschedule(ANNE, 1, starts="dimanche 23h", ends="lundi 6h", now=moved)
    new_start = START + timedelta(hours=1)
    clock.at = new_start + timedelta(minutes=1)
    await service.advance(1, now=clock.at)
    await service.extend(ANNE, 1, ends="lundi 8h", now=clock.at + timedelta(minutes=1))
    new_end = END + timedelta(hours=2)
    clock.at = new_end + timedelta(minutes=2)
    await service.advance(1, now=clock.at)

    feed = await feed_of(f"{served}/cerp/feed.atom")
    entries = maintenance_entries(feed)
    titles = [title for title, _, _ in entries]
    assert titles == [
        "Maintenance M1 · commandes, livraisons · Maintenance terminée",
        "Maintenance M1 · commandes, livraisons · Maintenance prolongée",
        "Maintenance M1 · commandes, livraisons · Maintenance commencée",
        "Maintenance M1 · commandes, livraisons · Maintenance reprogrammée",
        "Maintenance M3 · expéditions · Maintenance annulée",
        # Scheduled at the same moment: the latest written first, as an incident's entries of one moment.
        "Maintenance M4 · commandes · Maintenance programmée",
        "Maintenance M3 · expéditions · Maintenance programmée",
        "Maintenance M1 · commandes, livraisons · Maintenance programmée",
    ]
    updated = [at for _, at, _ in entries]
    assert updated == sorted(updated, reverse=True), "newest first"
    assert updated[0] == stamp(clock.at) and updated[3] == stamp(moved) and updated[-1] == stamp(NOW)
    assert len({uid for _, _, uid in entries}) == len(entries)
    assert all(uid.startswith("urn:uuid:") for _, _, uid in entries)
    body = (await get(f"{served}/cerp/feed.atom"))[1]
    for hidden in ("Grossiste interne", "standard interne", "M2 ", str(ANNE.user_id)):
        assert hidden not in body

    # Each entry tells the times as they were when it was written: the scheduling's still says 20 h.
    by_title = {e.title: e for e in feed.entries}
    scheduling = by_title["Maintenance M1 · commandes, livraisons · Maintenance programmée"].summary
    rescheduling = by_title["Maintenance M1 · commandes, livraisons · Maintenance reprogrammée"].summary
    assert "22:00" in scheduling and "23:00" not in scheduling, scheduling
    assert "23:00" in rescheduling, rescheduling
    extension = by_title["Maintenance M1 · commandes, livraisons · Maintenance prolongée"].summary
    assert "08:00" in extension or "10:00" in extension, extension

    # The sector's and territory's feeds carry what applies to them only.
    sector = maintenance_entries(await feed_of(f"{served}/cerp/sectors/pharmacie/feed.atom"))
    assert {t.split(" · ")[0] for t, _, _ in sector} == {"Maintenance M1", "Maintenance M3"}
    territory = maintenance_entries(await feed_of(f"{served}/cerp/territories/13/feed.atom"))
    assert {t.split(" · ")[0] for t, _, _ in territory} == {"Maintenance M4"}


async def test_entry_ids_and_times_never_change_as_the_maintenance_goes_on(
    store: Store, pages: PublicPages, clock: Clock, served: str
) -> None:
    service = maintenances(store)
    await service.schedule(ANNE, LIBRAIRIE, now=NOW)
    first = maintenance_entries(await feed_of(f"{served}/cerp/feed.atom"))
    assert [t for t, _, _ in first] == ["Maintenance M1 · commandes · Maintenance programmée"]

    await service.reschedule(ANNE, 1, starts="dimanche 23h", ends="lundi 7h", now=NOW + timedelta(hours=1))
    clock.at = START + timedelta(hours=1)
    await service.advance(1, now=clock.at)
    later = maintenance_entries(await feed_of(f"{served}/cerp/feed.atom"))
    assert later[-1] == first[0], "the scheduling's entry is the same entry: id, title and updated"
    assert len(later) == 3

    # Turned into an incident: its feed says so, and what it said before stays.
    await service.convert(ANNE, 1, now=clock.at + timedelta(minutes=5))
    converted = maintenance_entries(await feed_of(f"{served}/cerp/feed.atom"))
    assert converted[0][0] == "Maintenance M1 · commandes · Maintenance transformée en incident"
    assert converted[1:] == later


async def test_a_feed_in_english_for_an_english_server_and_the_cap_holds(
    store: Store, pages: PublicPages, served: str
) -> None:
    async with store.unit_of_work() as conn:
        await settings_store.set_setting(conn, GUILD, "language", "en", now=NOW)
    service = maintenances(store)
    for hours in range(60):
        await service.schedule(
            ANNE, replace(LIBRAIRIE, services=f"service {hours}"), now=NOW + timedelta(minutes=hours)
        )
    for number in range(1, 61):
        await service.cancel(ANNE, number, now=NOW + timedelta(hours=2, minutes=number))
    feed = await feed_of(f"{served}/cerp/feed.atom")
    assert len(feed.entries) == 100
    assert feed.entries[0].title == "Maintenance M60 · service 59 · Maintenance cancelled"
    assert feed.entries[-1].title == "Maintenance M21 · service 20 · Maintenance scheduled"
