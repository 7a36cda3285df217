"""Planned maintenance's use cases on a real SQLite file: what scheduling plans (thread, status message, one message
per route channel pinging its role), what each stage plans when its timer wakes (and whom it pings), the boards
planned with each change, reschedule/extend/cancel refused or announced, and an overrun turned into an incident
that keeps the thread and is counted as an incident from then on (never before)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.board.use_cases import Boards
from bot.delivery.kinds import OutboxKind
from bot.digests.rules import Every, WhenQuiet
from bot.digests.use_cases import Digests
from bot.exports.use_cases import ExportRequest, export
from bot.incidents import store as incidents
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.interactions.access import NotAllowedError
from bot.maintenance import store as repo
from bot.maintenance.rules import MaintenanceError, Stage
from bot.maintenance.use_cases import Maintenances, ScheduleInput, parse_maintenance_number
from bot.public.use_cases import PublicPages
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from tests.services.test_board import ADMIN, TABLEAU, board_rows, channel, described
from tests.services.test_lifecycle import ANNE, BRETAGNE, GUILD, NOW, PHARMA, PHARMACIES, YANN, configure
from tests.services.test_public_pages import Clock as PageClock

WEEKEND = ScheduleInput(
    organisation="Cerp Bretagne Atlantique",
    sector="Pharmacie",
    territories="53",
    starts="dimanche 22h",
    ends="lundi 6h",
    services="commandes, livraisons",
    workaround="Passer les commandes urgentes par téléphone.",
)
# Sunday 20 October 2024 22:00 and Monday 21 October 06:00 in Paris (summer time).
START = NOW.replace(day=20, hour=20, minute=0)
END = NOW.replace(day=21, hour=4, minute=0)


async def rows(store: Store, after: int = 0) -> list[dict[str, Any]]:
    async with (
        store.reading() as conn,
        conn.execute("SELECT id, lane, kind, payload FROM outbox WHERE id > ? ORDER BY id", (after,)) as cursor,
    ):
        found = await cursor.fetchall()
    return [{"id": r[0], "lane": r[1], "kind": r[2], "payload": json.loads(r[3])} for r in found]


async def last_row(store: Store) -> int:
    async with store.reading() as conn, conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def channel_posts(found: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {
        r["payload"]["channel_id"]: r["payload"]
        for r in found
        if r["kind"] == OutboxKind.SEND_MESSAGE
        and isinstance(r["payload"]["channel_id"], int)
        and r["lane"].startswith("channel:")
    }


def pinged(posts: dict[int, dict[str, Any]]) -> set[int]:
    """The channels whose post may ping a role, each exactly the roles its content mentions."""
    for payload in posts.values():
        roles = payload["allowed_mentions"]["roles"]
        assert [f"<@&{r}>" for r in roles] == [w for w in payload["content"].split() if w.startswith("<@&")]
    return {c for c, p in posts.items() if p["allowed_mentions"]["roles"]}


@pytest.fixture
async def ready(store: Store) -> tuple[Store, Maintenances, Lifecycle]:
    await configure(store)
    lifecycle = Lifecycle(store, ServerDefaults())
    return store, Maintenances(store, ServerDefaults(), incident_changed=lifecycle.run_after_commit), lifecycle


async def test_scheduling_opens_a_thread_and_pings_each_route_role_once(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    m = result.maintenance
    assert (m.label, m.starts_at, m.ends_at) == ("M1", START, END)
    assert result.wake_at == START - timedelta(hours=24), "it wakes first to enter the boards' horizon"
    planned = await rows(store)
    kinds = [r["kind"] for r in planned if r["lane"] == f"maintenance:{GUILD}:1"]
    assert kinds == [OutboxKind.SEND_MESSAGE, OutboxKind.CREATE_THREAD]
    posts = channel_posts(planned)
    assert set(posts) == set(result.channels) == {BRETAGNE, PHARMACIES}
    for payload in posts.values():
        roles = payload["allowed_mentions"]["roles"]
        assert payload["allowed_mentions"]["parse"] == [] and payload["allowed_mentions"]["users"] == []
        assert all(f"<@&{role}>" in payload["content"] for role in roles)
        assert "Maintenance planifiée chez Cerp Bretagne Atlantique" in payload["content"]


async def test_each_stage_plans_its_message_pinging_only_whom_it_should(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    mid = result.maintenance_id
    seen: list[tuple[int, ...]] = []  # per stage that posted where routes lead: the channels whose role it pinged
    silent: list[set[bool]] = []  # and whether its posts leave notifications off
    wake = result.wake_at
    steps = 0
    while wake is not None and steps < 10:
        steps += 1
        before = await last_row(store)
        wake = await maintenance.advance(mid, now=wake)
        found = await rows(store, before)
        posts = channel_posts(found)
        if posts:
            assert set(posts) == {BRETAGNE, PHARMACIES}
            seen.append(tuple(sorted(c for c, p in posts.items() if p["allowed_mentions"]["roles"])))
            silent.append({bool(p.get("silent")) for p in posts.values()})
        asks = [
            r
            for r in found
            if r["kind"] == OutboxKind.SEND_MESSAGE and r["payload"].get("allowed_mentions", {}).get("users")
        ]
        for ask in asks:
            assert ask["payload"]["allowed_mentions"] == {"parse": [], "users": [ANNE.user_id], "roles": []}
            assert ask["payload"]["content"].startswith(f"<@{ANNE.user_id}>")
    async with store.reading() as conn:
        stored = await repo.get_by_id(conn, mid)
    assert stored is not None and stored.maintenance.stage == Stage.ENDED
    # The reminder pings the pharmacies' role (Bretagne's route names none); the start and the end ping nobody.
    assert seen == [(PHARMACIES,), (), ()]
    assert silent == [{False}, {True}, {True}], "the start and the end notify nobody, in any channel"


async def test_a_bot_down_across_several_times_acts_once_on_the_furthest(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    before = await last_row(store)
    wake = await maintenance.advance(result.maintenance_id, now=START + timedelta(hours=1))
    found = channel_posts(await rows(store, before))
    assert all("a commencé" in p["content"] and not p["allowed_mentions"]["roles"] for p in found.values())
    assert len(found) == 2, "the start, once per channel; the reminder whose time passed is not sent"
    assert wake == END - timedelta(minutes=15)
    before = await last_row(store)
    assert await maintenance.advance(result.maintenance_id, now=END + timedelta(hours=3)) is None
    found = channel_posts(await rows(store, before))
    assert all("est terminée" in p["content"] for p in found.values())
    assert await maintenance.advance(result.maintenance_id, now=END + timedelta(hours=4)) is None
    assert await last_row(store) == max(r["id"] for r in await rows(store)), "nothing more once over"


async def test_only_coordinators_schedule_and_the_rules_refuse_bad_times(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    _, maintenance, _ = ready
    with pytest.raises(NotAllowedError):
        await maintenance.schedule(PHARMA, WEEKEND, now=NOW)
    with pytest.raises(MaintenanceError):
        await maintenance.schedule(ANNE, replace(WEEKEND, starts="lundi 6h", ends="dimanche 22h"), now=NOW)


async def test_reschedule_extend_and_cancel_are_announced(ready: tuple[Store, Maintenances, Lifecycle]) -> None:
    store, maintenance, _ = ready
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    before = await last_row(store)
    moved = await maintenance.reschedule(YANN, 1, starts="samedi 22h", ends="dimanche 4h", now=NOW)
    posts = channel_posts(await rows(store, before))
    assert set(posts) == {BRETAGNE, PHARMACIES}
    assert all("est déplacée" in p["content"] for p in posts.values())
    assert pinged(posts) == {PHARMACIES}
    assert moved.maintenance.stage == Stage.SCHEDULED
    with pytest.raises(MaintenanceError):
        await maintenance.extend(ANNE, 1, ends="dimanche 2h", now=NOW)
    await maintenance.extend(ANNE, 1, ends="dimanche 8h", now=NOW)
    before = await last_row(store)
    await maintenance.cancel(ANNE, 1, now=NOW)
    posts = channel_posts(await rows(store, before))
    assert all("est annulée" in p["content"] for p in posts.values()) and pinged(posts) == {PHARMACIES}
    assert await maintenance.advance(result.maintenance_id, now=END) is None
    with pytest.raises(MaintenanceError):
        await maintenance.cancel(ANNE, 1, now=NOW)
    assert parse_maintenance_number("M1 · Cerp") == 1


async def test_an_overrun_becomes_an_incident_in_the_same_thread(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, lifecycle = ready
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    with pytest.raises(MaintenanceError):
        await maintenance.convert(ANNE, 1, now=NOW)
    async with store.reading() as conn:
        assert await incidents.get(conn, GUILD, 1) is None, "a maintenance is no incident"
    await maintenance.advance(result.maintenance_id, now=END - timedelta(minutes=15))
    with pytest.raises(NotAllowedError):
        await maintenance.convert(PHARMA, 1, now=END - timedelta(minutes=10))
    before = await last_row(store)
    converted = await maintenance.convert(ANNE, 1, now=END - timedelta(minutes=10))
    assert converted.incident_number == 1
    async with store.reading() as conn:
        stored_m = await repo.get_by_id(conn, result.maintenance_id)
        incident = await incidents.get(conn, GUILD, 1)
    assert stored_m is not None and incident is not None
    assert incident.thread_row == stored_m.thread_row, "the incident keeps the maintenance's thread"
    assert incident.incident.started_at == START and incident.incident.is_open
    posts = channel_posts(await rows(store, before))
    assert all("devient l'incident #1" in p["content"] for p in posts.values()) and pinged(posts) == {PHARMACIES}
    assert await maintenance.advance(result.maintenance_id, now=END) is None, "no end message once an incident"
    assert stored_m.maintenance.stage == Stage.CONVERTED
    # From then on an incident in every figure, started at the planned start; the maintenance stays listed apart.
    result = await export(
        store.path,
        ExportRequest(guild_id=GUILD, format="json", period="octobre 2024"),
        now=END + timedelta(hours=1),
        default_language="fr",
        default_time_zone="Europe/Paris",
    )
    document = json.loads(result.files[0].data)
    assert [i["number"] for i in document["incidents"]] == [1] and document["figures"]["open"] == 1
    assert [(m["number"], m["state"]) for m in document["maintenance"]] == [("M1", "converted")]
    del lifecycle


async def test_boards_show_it_within_a_day_and_drop_it_at_the_end(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    boards = Boards(store, ServerDefaults())
    await boards.add(ADMIN, channel(TABLEAU), territory=None, sector=None, now=NOW)
    result = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    assert not any("Cerp" in described(r) for r in await board_rows(store)), "more than a day ahead"
    await maintenance.advance(result.maintenance_id, now=START - timedelta(hours=24))
    assert any("commandes, livraisons" in described(r) for r in await board_rows(store))
    await maintenance.advance(result.maintenance_id, now=END)
    assert "commandes, livraisons" not in described((await board_rows(store))[-1])


async def test_digests_list_it_and_no_incident_figure_counts_it(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    digests = Digests(store, ServerDefaults())
    change = await digests.add(
        ADMIN,
        channel(TABLEAU),
        every=Every.DAY,
        weekday=None,
        at="18h",
        working_days_only=False,
        when_quiet=WhenQuiet.SAY,
        now=NOW,
    )
    await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    assert change.due is not None
    before = await last_row(store)
    await digests.send_due(change.digest_id, now=change.due)
    (sent,) = [r for r in await rows(store, before) if r["payload"].get("channel_id") == TABLEAU]
    words = json.dumps(sent["payload"], ensure_ascii=False)
    assert "Maintenances planifiées (1)" in words and "commandes, livraisons — début" in words
    assert "En cours" not in words and "Déclarés" not in words, "not an incident"

    # Exports: listed apart, in no figure.
    result = await export(
        store.path,
        ExportRequest(guild_id=GUILD, format="json", period="octobre 2024"),
        now=END + timedelta(days=1),
        default_language="fr",
        default_time_zone="Europe/Paris",
    )
    document = json.loads(result.files[0].data)
    assert result.incidents == 0 and document["incidents"] == [] and document["cancelled"] == []
    assert [m["number"] for m in document["maintenance"]] == ["M1"]
    narrowed = await export(
        store.path,
        ExportRequest(guild_id=GUILD, format="json", period="octobre 2024", sector="librairie"),
        now=END + timedelta(days=1),
        default_language="fr",
        default_time_zone="Europe/Paris",
    )
    assert json.loads(narrowed.files[0].data)["maintenance"] == []


async def test_the_public_flag_takes_the_servers_default_when_scheduled(
    ready: tuple[Store, Maintenances, Lifecycle],
) -> None:
    store, maintenance, _ = ready
    await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    pages = PublicPages(store, PageClock(NOW))
    await pages.configure(
        replace(ADMIN, guild_id=GUILD), server_name="Grand Ouest", enabled=True, slug="go", default_public=True
    )
    await maintenance.schedule(ANNE, replace(WEEKEND, organisation="Alliance Healthcare"), now=NOW)
    async with store.reading() as conn:
        every = await repo.between(conn, GUILD, NOW, END + timedelta(days=1))
        shown = await repo.between(conn, GUILD, NOW, END + timedelta(days=1), public_only=True)
        elsewhere = await repo.between(conn, GUILD + 1, NOW, END + timedelta(days=1))
    assert [s.maintenance.organisation for s in every] == ["Cerp Bretagne Atlantique", "Alliance Healthcare"]
    assert [s.maintenance.organisation for s in shown] == ["Alliance Healthcare"]
    assert elsewhere == []
