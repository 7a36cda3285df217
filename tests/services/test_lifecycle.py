"""The outage use cases on a real SQLite file: what each one stores and which outbox rows it plans."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.following.use_cases import Following
from bot.incidents import store as repo
from bot.incidents.rules.lifecycle import UpdateError
from bot.incidents.rules.model import CancelReason, Cause, Severity, Status
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, OutageError, UpdateInput, parse_number
from bot.interactions.access import NotAllowedError
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from bot.storage.times import to_db_time

GUILD = 1
INCIDENTS = 100
COORDINATION = 10
PHARMACIES_ROLE = 304
BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES, OCCITANIE, COLLECTIVITES = 201, 202, 203, 204, 205, 206
NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)  # Saturday 12:40 in Paris
ANNE = Actor(guild_id=GUILD, user_id=1001, role_ids=frozenset({COORDINATION}))
YANN = Actor(guild_id=GUILD, user_id=1002, role_ids=frozenset({COORDINATION}))
PHARMA = Actor(guild_id=GUILD, user_id=2001, role_ids=frozenset({PHARMACIES_ROLE}))

CERP = DeclareInput(
    title="Cerp Bretagne Atlantique à l'arrêt",
    organisation="Cerp Bretagne Atlantique",
    sector="Pharmacie",
    territories="53, 52, 75",
    severity=Severity.CRITICAL,
    cause=Cause.CYBERATTACK_SUSPECTED,
    started="aujourd'hui midi",
    services="commandes, livraisons",
    eta="lundi matin",
    workaround="Reporter toute commande à lundi matin.",
    impact="≈1 800 officines",
)


async def configure(store: Store, *, forum: bool = False) -> None:
    stamp = to_db_time(NOW)
    async with store.unit_of_work() as conn:
        await conn.execute(
            "INSERT INTO guild_settings (guild_id, language, time_zone, coordinator_role_id, incident_channel_id, "
            "updated_at) VALUES (?, 'fr', 'Europe/Paris', ?, ?, ?)",
            (GUILD, COORDINATION, INCIDENTS, stamp),
        )
        routes = [
            (BRETAGNE, "R53", None, None),
            (PAYS_DE_LA_LOIRE, "R52", None, None),
            (NOUVELLE_AQUITAINE, "R75", None, None),
            (OCCITANIE, "R76", None, None),
            (PHARMACIES, None, "pharmacie", PHARMACIES_ROLE),
            (COLLECTIVITES, "16", "collectivite", 306),
        ]
        for channel, territory, sector, role in routes:
            await conn.execute(
                "INSERT INTO routes (guild_id, channel_id, territory, sector, role_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (GUILD, channel, territory, sector, role, stamp),
            )


def lifecycle(store: Store, *, forum_tags: dict[str, int] | None = None) -> Lifecycle:
    return Lifecycle(store, ServerDefaults(), forum_tags=lambda _channel: forum_tags)


async def rows(store: Store) -> list[outbox.OutboxRow]:
    async with store.reading() as conn, conn.execute("SELECT id FROM outbox ORDER BY id") as cursor:
        ids = [r[0] for r in await cursor.fetchall()]
    async with store.reading() as conn:
        found = [await outbox.get(conn, i) for i in ids]
    return [r for r in found if r is not None]


async def count(store: Store, sql: str, *args: Any) -> int:
    async with store.reading() as conn, conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def sends_to(all_rows: list[outbox.OutboxRow], channel: int) -> list[outbox.OutboxRow]:
    return [r for r in all_rows if r.kind == "send_message" and r.payload.get("channel_id") == channel]


async def test_declare_plans_the_thread_the_status_message_and_one_announcement_per_matching_channel(
    store: Store,
) -> None:
    await configure(store)
    result = await lifecycle(store).declare(ANNE, CERP, now=NOW)

    assert result.number == 1
    assert result.channels == (BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES)
    assert result.started_at == datetime(2024, 10, 19, 10, 0, tzinfo=UTC)  # "aujourd'hui midi", Paris
    assert result.eta == datetime(2024, 10, 21, 7, 0, tzinfo=UTC)  # "lundi matin": Monday 09:00 Paris
    planned = await rows(store)
    (status,) = sends_to(planned, INCIDENTS)
    (thread,) = [r for r in planned if r.kind == "create_thread"]
    assert thread.depends_on == status.id
    assert thread.payload["message_id"] == {"$ref": status.id, "field": "message_id"}
    assert thread.payload["name"] == "#1 · Cerp Bretagne Atlantique à l'arrêt"
    for channel in (BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE):
        (announcement,) = sends_to(planned, channel)
        assert announcement.payload["allowed_mentions"]["roles"] == []
        assert announcement.payload["allowed_mentions"]["parse"] == []
    (pharmacies,) = sends_to(planned, PHARMACIES)
    assert pharmacies.payload["allowed_mentions"]["roles"] == [PHARMACIES_ROLE]
    assert pharmacies.payload["content"].startswith(f"<@&{PHARMACIES_ROLE}>")
    link = pharmacies.payload["components"][0]["components"][2]["url"]
    assert link == {"$ref": thread.id, "field": "thread_id", "format": "https://discord.com/channels/1/{}"}
    assert sends_to(planned, OCCITANIE) == [] and sends_to(planned, COLLECTIVITES) == []
    assert await count(store, "SELECT COUNT(*) FROM audit_log WHERE action = 'outage declare'") == 1
    assert await count(store, "SELECT COUNT(*) FROM updates") == 1


async def test_the_same_interaction_twice_declares_once(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    once = Actor(guild_id=GUILD, user_id=1001, role_ids=frozenset({COORDINATION}), interaction_id=9001)
    first, second = await asyncio.gather(service.declare(once, CERP, now=NOW), service.declare(once, CERP, now=NOW))
    assert {first.number, second.number} == {1}
    assert first.replayed != second.replayed
    assert await count(store, "SELECT COUNT(*) FROM incidents") == 1
    assert len(sends_to(await rows(store), BRETAGNE)) == 1


async def test_a_member_who_is_not_a_coordinator_changes_nothing(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    with pytest.raises(NotAllowedError):
        await service.declare(PHARMA, CERP, now=NOW)
    await service.declare(ANNE, CERP, now=NOW)
    before = len(await rows(store))
    with pytest.raises(NotAllowedError):
        await service.update(PHARMA, 1, UpdateInput(note="hop"), now=NOW)
    with pytest.raises(NotAllowedError):
        await service.resolve(PHARMA, 1, summary=None, silent=False, now=NOW)
    assert len(await rows(store)) == before
    assert await count(store, "SELECT COUNT(*) FROM updates") == 1


async def test_before_setup_the_sentence_says_what_an_admin_must_do(store: Store) -> None:
    with pytest.raises(Exception) as refused:
        await lifecycle(store).declare(ANNE, CERP, now=NOW)
    assert getattr(refused.value, "message_id", "") == "setup.error.not_configured"


async def test_typed_mentions_are_neutralised_and_allow_no_ping(store: Store) -> None:
    await configure(store)
    sneaky = DeclareInput(
        title="@everyone <@&304> <@1001> panne",
        sector="pharmacie",
        territories="29",
        severity=Severity.MAJOR,
        workaround="@here <@&306>",
    )
    await lifecycle(store).declare(ANNE, sneaky, now=NOW)
    for row in await rows(store):
        # A thread's name is plain text that cannot ping anybody; everything posted is escaped.
        payload = {k: v for k, v in row.payload.items() if not (row.kind == "create_thread" and k == "name")}
        text = json.dumps(payload, ensure_ascii=False)
        assert "@everyone" not in text.replace("@\u200beveryone", "")
        # The owner is shown as <@1001> in the embed (embeds never ping); the typed one is neutralised.
        # The only raw role mention left is the route's own, at the start of the #pharmacies announcement.
        assert "<@&306>" not in text and "<@1001> panne" not in text
        assert text.count("<@&304>") == (1 if row.payload.get("channel_id") == PHARMACIES else 0)
        mentions = row.payload.get("allowed_mentions") or row.payload.get("message", {}).get("allowed_mentions")
        if row.kind == "send_message":
            assert mentions["parse"] == []
            assert set(mentions["roles"]) <= {PHARMACIES_ROLE}


async def test_missing_essentials_are_named_and_fields_are_validated(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    with pytest.raises(OutageError) as missing:
        await service.declare(ANNE, DeclareInput(title="x", sector="pharmacie"), now=NOW)
    assert missing.value.message_id == "outage.error.missing_essentials"
    with pytest.raises(Exception) as too_long:
        await service.declare(ANNE, DeclareInput(**{**vars(CERP), "title": "x" * 101}), now=NOW)
    assert getattr(too_long.value, "message_id", "") == "incident.error.field_too_long"
    with pytest.raises(OutageError) as sector:
        await service.declare(ANNE, DeclareInput(**{**vars(CERP), "sector": "boulangerie"}), now=NOW)
    assert sector.value.message_id == "outage.error.unknown_sector"
    with pytest.raises(OutageError) as when:
        await service.declare(ANNE, DeclareInput(**{**vars(CERP), "eta": "hier"}), now=NOW)
    assert when.value.message_id == "outage.error.in_field"
    assert await count(store, "SELECT COUNT(*) FROM incidents") == 0


async def test_no_matching_route_still_creates_the_incident(store: Store) -> None:
    await configure(store)
    lonely = DeclareInput(title="Panne", sector="librairie", territories="13", severity=Severity.MINOR)
    result = await lifecycle(store).declare(ANNE, lonely, now=NOW)
    assert result.channels == ()
    assert await count(store, "SELECT COUNT(*) FROM incidents") == 1


async def test_an_update_posts_in_the_thread_and_only_edits_the_channels(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    before = {r.id for r in await rows(store)}
    later = NOW + timedelta(hours=7)
    result = await service.update(YANN, 1, UpdateInput(note="Toujours rien.", next_update="demain 10h"), now=later)
    assert result.next_update_at == datetime(2024, 10, 20, 8, 0, tzinfo=UTC)
    assert result.news_channels == ()
    new = [r for r in await rows(store) if r.id not in before]
    posts = [r for r in new if r.kind == "send_message"]
    assert len(posts) == 1 and posts[0].lane == "incident:1:1"
    assert posts[0].payload["channel_id"]["field"] == "thread_id"
    edited = {r.payload["channel_id"] for r in new if r.kind == "edit_message"}
    assert edited == {INCIDENTS, BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES}
    assert all(
        r.payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}
        for r in new
        if r.kind == "edit_message"
    )


async def test_waiting_edits_of_one_message_collapse_into_the_latest(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.update(ANNE, 1, UpdateInput(note="un"), now=NOW + timedelta(minutes=1))
    await service.update(ANNE, 1, UpdateInput(note="deux"), now=NOW + timedelta(minutes=2))
    edits = [r for r in await rows(store) if r.kind == "edit_message" and r.payload["channel_id"] == BRETAGNE]
    assert [r.status for r in edits] == ["superseded", "pending"]


async def test_a_new_workaround_and_service_changes_post_a_new_message_in_each_channel(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    before = {r.id for r in await rows(store)}
    monday = datetime(2024, 10, 21, 6, 30, tzinfo=UTC)
    result = await service.update(
        ANNE,
        1,
        UpdateInput(
            status=Status.MONITORING,
            services="commandes: rétabli, livraisons: dégradé",
            workaround="Commandes de nouveau possibles ; livraisons avec retard.",
        ),
        now=monday,
    )
    assert result.news_channels == (BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES)
    new = [r for r in await rows(store) if r.id not in before]
    news = {
        r.payload["channel_id"]: r for r in new if r.kind == "send_message" and isinstance(r.payload["channel_id"], int)
    }
    assert set(news) == {BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES}
    assert news[PHARMACIES].payload["allowed_mentions"]["roles"] == [PHARMACIES_ROLE]
    assert news[BRETAGNE].payload["allowed_mentions"]["roles"] == []
    (post,) = [r for r in new if r.kind == "send_message" and not isinstance(r.payload["channel_id"], int)]
    description = post.payload["embeds"][0]["description"]
    assert "commandes" in description and "1 j 20 h 30 min" in description
    shown = await service.show(GUILD, 1)
    states = {s.name: s.state.value for s in shown.stored.incident.services}
    assert states == {"commandes": "restored", "livraisons": "degraded"}


async def test_two_coordinators_updating_at_once_are_both_kept(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    later = NOW + timedelta(hours=1)
    await asyncio.gather(
        service.update(ANNE, 1, UpdateInput(note="Anne"), now=later),
        service.update(YANN, 1, UpdateInput(services="facturation: en panne"), now=later),
    )
    shown = await service.show(GUILD, 1)
    kinds = [e.kind.value for e in shown.entries]
    assert kinds == ["declared", "note", "services_changed"] or kinds == ["declared", "services_changed", "note"]
    assert "facturation" in [s.name for s in shown.stored.incident.services]


async def test_resolve_posts_the_recovery_with_durations_then_archives_after_the_delay(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    before = {r.id for r in await rows(store)}
    tuesday = datetime(2024, 10, 22, 9, 0, tzinfo=UTC)
    result = await service.resolve(ANNE, 1, summary="Activité rétablie.", silent=False, now=tuesday)
    assert result.status == Status.RESOLVED
    assert result.news_channels == (BRETAGNE, PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE, PHARMACIES)
    new = [r for r in await rows(store) if r.id not in before]
    recovery = [r for r in new if r.kind == "send_message" and r.payload["channel_id"] == PHARMACIES]
    assert len(recovery) == 1 and recovery[0].payload["allowed_mentions"]["roles"] == [PHARMACIES_ROLE]
    assert "2 j 23 h" in recovery[0].payload["content"]
    assert not await service.archive_due(GUILD, 1, now=tuesday + timedelta(hours=23))
    assert await service.archive_due(GUILD, 1, now=tuesday + timedelta(hours=24))
    archive = [r for r in await rows(store) if r.kind == "edit_thread"]
    assert archive[-1].payload["archived"] is True
    assert not await service.archive_due(GUILD, 1, now=tuesday + timedelta(hours=25))
    assert await service.archive_times() == []


async def test_correcting_territories_re_routes_the_announcements(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    before = {r.id for r in await rows(store)}
    result = await service.edit(ANNE, 1, EditInput(territories="53, 76"), now=NOW + timedelta(minutes=5))
    assert result.added_channels == (OCCITANIE,)
    assert result.removed_channels == (PAYS_DE_LA_LOIRE, NOUVELLE_AQUITAINE)
    new = [r for r in await rows(store) if r.id not in before]
    assert len(sends_to(new, OCCITANIE)) == 1
    withdrawn = [r for r in new if r.kind == "edit_message" and r.payload["channel_id"] == PAYS_DE_LA_LOIRE]
    assert len(withdrawn) == 1 and withdrawn[0].payload["embeds"] == []
    assert not any(r.kind == "send_message" and r.payload["channel_id"] == BRETAGNE for r in new)


async def test_correcting_a_resolved_incident_pings_nobody(store: Store) -> None:
    # The record is corrected (exports read it) and a channel it now concerns gets it, but the outage is over.
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.resolve(ANNE, 1, summary=None, silent=False, now=NOW + timedelta(hours=1))
    before = {r.id for r in await rows(store)}
    later = NOW + timedelta(days=2)
    result = await service.edit(ANNE, 1, EditInput(sector="Collectivité", territories="16"), now=later)
    assert COLLECTIVITES in result.added_channels
    new = [r for r in await rows(store) if r.id not in before]
    (announced,) = sends_to(new, COLLECTIVITES)
    assert announced.payload["allowed_mentions"]["roles"] == [] and "<@&306>" not in announced.payload["content"]
    await service.edit(ANNE, 1, EditInput(severity=Severity.MINOR), now=later)
    await service.edit(ANNE, 1, EditInput(severity=Severity.CRITICAL), now=later + timedelta(minutes=1))
    newer = [r for r in await rows(store) if r.id not in before]
    posts = [r for r in newer if r.kind == "send_message" and r.payload["channel_id"] != COLLECTIVITES]
    assert posts and all(r.payload.get("silent") is True for r in posts), "every other new message is silent"
    for row in newer:
        mentions = row.payload.get("allowed_mentions", {})
        assert not mentions.get("roles") and not mentions.get("users") and not mentions.get("parse"), row


async def test_cancel_as_duplicate_and_affected_counts_each_member_once(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.declare(YANN, CERP, now=NOW)
    first = await service.affected(PHARMA, GUILD, 1, now=NOW)
    again = await service.affected(PHARMA, GUILD, 1, now=NOW)
    assert (first.new, first.affected_count, again.new, again.affected_count) == (True, 1, False, 1)
    following = Following(store, ServerDefaults())
    followed = await following.follow_incident(PHARMA, 1, dm=None, now=NOW, guild_id=GUILD)
    assert followed.new is False  # "affected" already follows
    result = await service.cancel(
        ANNE, 2, reason=CancelReason.DUPLICATE, duplicate_of=1, note=None, now=NOW + timedelta(minutes=1)
    )
    assert result.status == Status.CANCELLED
    with pytest.raises(UpdateError):
        await service.cancel(ANNE, 1, reason=CancelReason.DUPLICATE, duplicate_of=2, note=None, now=NOW)
    with pytest.raises(OutageError):
        await service.affected(PHARMA, 999, 1, now=NOW)  # a button of another server


async def test_forum_incident_channel_gets_a_post_with_the_status_tag(store: Store) -> None:
    await configure(store)
    tags = {"En cours d'analyse": 71, "Résolu": 72}
    service = lifecycle(store, forum_tags=tags)
    await service.declare(ANNE, CERP, now=NOW)
    (post,) = [r for r in await rows(store) if r.kind == "create_thread"]
    assert post.payload["applied_tags"] == [71] and post.payload["message"]["embeds"]
    await service.resolve(ANNE, 1, summary=None, silent=False, now=NOW + timedelta(hours=2))
    tagged = [r for r in await rows(store) if r.kind == "edit_thread"]
    assert tagged[-1].payload["applied_tags"] == [72]


async def test_search_lists_open_incidents_first_by_number_or_words(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    other = DeclareInput(title="Octave rançongiciel", sector="librairie", territories="FR", severity=Severity.MAJOR)
    await service.declare(ANNE, other, now=NOW)
    await service.resolve(ANNE, 1, summary=None, silent=False, now=NOW + timedelta(hours=1))
    assert [s.number for s in await service.search(GUILD, "")] == [2, 1]
    assert [s.number for s in await service.search(GUILD, "cerp")] == [1]
    assert [s.number for s in await service.search(GUILD, "#2")] == [2]
    listed = await service.list_incidents(GUILD, status="all", territory="29", now=NOW + timedelta(hours=2))
    assert [s.number for s in listed.incidents] == [2, 1]  # Finistère lies in Bretagne (53) and in France
    listed = await service.list_incidents(GUILD, status="open", sector="Librairie", now=NOW)
    assert [s.number for s in listed.incidents] == [2]


async def test_reads_are_audited_once_their_reply_is_sent(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    reads = "SELECT COUNT(*) FROM audit_log WHERE action IN ('outage list', 'outage show')"
    listed = await service.list_incidents(GUILD, territory="29", now=NOW, user_id=ANNE.user_id)
    shown = await service.show(GUILD, 1, user_id=ANNE.user_id)
    assert await count(store, reads) == 0  # nothing written before the reply
    await service.record_read(listed.audit, now=NOW)
    await service.record_read(shown.audit, now=NOW)
    sql = "SELECT action, actor_id, arguments, result FROM audit_log WHERE action LIKE 'outage %' AND action != "
    async with store.reading() as conn, conn.execute(sql + "'outage declare' ORDER BY id") as cursor:
        rows = list(await cursor.fetchall())
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("outage list", ANNE.user_id, "1 listed"),
        ("outage show", ANNE.user_id, "shown"),
    ]
    assert '"territory": "29"' in rows[0][2]


def test_incident_numbers_are_read_from_what_people_type() -> None:
    assert parse_number("42") == 42 and parse_number("#42 · Cerp") == 42
    with pytest.raises(OutageError):
        parse_number("cerp")


async def test_stored_incident_round_trips(store: Store) -> None:
    await configure(store)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    async with store.reading() as conn:
        stored = await repo.get(conn, GUILD, 1)
    assert stored is not None
    incident = stored.incident
    assert incident.territories == ("R53", "R52", "R75")
    assert [s.name for s in incident.services] == ["commandes", "livraisons"]
    assert incident.workaround is not None and incident.workaround.version == 1
    assert incident.organisation == "Cerp Bretagne Atlantique" and incident.sector == "pharmacie"
