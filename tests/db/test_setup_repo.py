"""The `/setup` repositories on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import outbox
from bot.following import store as follows
from bot.settings import store as repo
from bot.storage import audit
from bot.storage.store import Store

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


async def test_the_settings_row_is_created_once_with_the_defaults(store: Store) -> None:
    async with store.unit_of_work() as conn:
        assert await repo.create_settings(conn, 1, language="en", time_zone="Europe/Paris", now=NOW)
        assert not await repo.create_settings(conn, 1, language="fr", time_zone="UTC", now=NOW)
        await repo.set_setting(conn, 1, "archive_after_hours", 48, now=NOW)
        await repo.set_working_hours(conn, 1, days="1,2", start="08:00", end="17:30", now=NOW)
    async with store.reading() as conn:
        assert await repo.settings_exist(conn, 1)
        assert not await repo.settings_exist(conn, 2)
        async with conn.execute(
            "SELECT language, time_zone, archive_after_hours, working_days, working_start, working_end "
            "FROM guild_settings WHERE guild_id = 1"
        ) as cursor:
            assert await cursor.fetchone() == ("en", "Europe/Paris", 48, "1,2", "08:00", "17:30")


async def test_only_known_setting_columns_can_be_written(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.create_settings(conn, 1, language="fr", time_zone="Europe/Paris", now=NOW)
        with pytest.raises(ValueError, match="not a setting"):
            await repo.set_setting(conn, 1, "guild_id = 2, language", "x", now=NOW)


async def test_sectors_per_server(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.add_sectors(conn, 1, [("pharmacie", "Pharmacie"), ("sante", "santé")], now=NOW)
        assert not await repo.add_sector(conn, 1, "pharmacie", "PHARMACIE", now=NOW)
        assert await repo.add_sector(conn, 2, "pharmacie", "pharmacie", now=NOW)
        assert await repo.remove_sector(conn, 1, "sante")
        assert not await repo.remove_sector(conn, 1, "sante")
    async with store.reading() as conn:
        assert await repo.sectors(conn, 1) == {"pharmacie": "Pharmacie"}
        assert await repo.sectors(conn, 3) == {}


async def test_routes_are_kept_per_server_in_creation_order(store: Store) -> None:
    async with store.unit_of_work() as conn:
        first = await repo.add_route(
            conn, 1, channel_id=21, territory="R53", sector=None, role_id=None, created_by=7, now=NOW
        )
        second = await repo.add_route(
            conn, 1, channel_id=22, territory=None, sector="pharmacie", role_id=31, created_by=7, now=NOW
        )
        await repo.add_route(conn, 2, channel_id=23, territory="FR", sector=None, role_id=None, created_by=8, now=NOW)
    async with store.reading() as conn:
        assert [r.id for r in await repo.routes(conn, 1)] == [first.id, second.id]
        assert await repo.route(conn, 1, second.id) == second
        assert await repo.route(conn, 2, second.id) is None
    async with store.unit_of_work() as conn:
        assert not await repo.remove_route(conn, 2, first.id)
        assert await repo.remove_route(conn, 1, first.id)
    async with store.reading() as conn:
        assert await repo.routes(conn, 1) == [second]


async def test_audit_entries_newest_first_filtered_and_paged(store: Store) -> None:
    async with store.unit_of_work() as conn:
        for index, actor in enumerate((7, 8, 7, 7)):
            await audit.record(
                conn,
                guild_id=1,
                actor_id=actor,
                action=f"a{index}",
                arguments={"n": index},
                result="ok",
                at=NOW + timedelta(seconds=index),
            )
        await audit.record(conn, guild_id=2, actor_id=7, action="other", arguments={}, result="ok", at=NOW)
    async with store.reading() as conn:
        assert [e.action for e in await repo.audit_entries(conn, 1)] == ["a3", "a2", "a1", "a0"]
        sevens = await repo.audit_entries(conn, 1, actor_id=7, limit=2)
        assert [(e.action, e.arguments) for e in sevens] == [("a3", {"n": 3}), ("a2", {"n": 2})]
        older = await repo.audit_entries(conn, 1, actor_id=7, before_id=sevens[-1].id)
        assert [e.action for e in older] == ["a0"]
        assert older[0].at == NOW


async def test_failed_deliveries_of_the_window_only(store: Store) -> None:
    async with store.unit_of_work() as conn:
        rows = []
        for when, payload, kind in (
            (NOW - timedelta(days=8), {"channel_id": 21}, "send_message"),
            (NOW - timedelta(days=1), {"channel_id": 21}, "send_message"),
            (NOW, {"user_id": 9}, "send_dm"),
        ):
            row = await outbox.enqueue(
                conn,
                guild_id=1,
                lane="x",
                kind=kind,
                payload={**payload, "content": "x", "allowed_mentions": {"parse": []}},
                now=when,
            )
            await outbox.mark_failed(conn, row, status=403, code=50007, text="closed", now=when)
            rows.append(row)
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane="x",
            kind="send_message",
            payload={"channel_id": 21, "allowed_mentions": {"parse": []}},
            now=NOW,
        )
    async with store.reading() as conn:
        found = await repo.failed_deliveries(conn, 1, since=NOW - timedelta(days=7))
        assert [(f.id, f.channel_id, f.user_id, f.error_code) for f in found] == [
            (rows[2], None, 9, 50007),
            (rows[1], 21, None, 50007),
        ]
        assert await repo.failed_deliveries(conn, 2, since=NOW - timedelta(days=7)) == []


async def test_cadence_holidays_and_dm_cap_are_written(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.create_settings(conn, 1, language="fr", time_zone="Europe/Paris", now=NOW)
        await repo.create_settings(conn, 2, language="fr", time_zone="Europe/Paris", now=NOW)
        await repo.set_nudge_cadence(conn, 1, critical=30, major=150, minor=2880, now=NOW)
        await repo.set_working_hours(conn, 1, days="1,2,3,4,5", start="09:00", end="19:00", now=NOW)
        await repo.set_setting(conn, 1, "dm_cap_per_incident", 0, now=NOW)
    query = (
        "SELECT cadence_critical_min, cadence_major_min, cadence_minor_min, holidays_country, dm_cap_per_incident "
        "FROM guild_settings WHERE guild_id = ?"
    )
    async with store.reading() as conn, conn.execute(query, (1,)) as cursor:
        assert await cursor.fetchone() == (30, 150, 2880, "FR", 0), "no country given: the stored one is kept"
    async with store.unit_of_work() as conn:
        await repo.set_working_hours(conn, 1, days="1,2", start="09:00", end="19:00", holidays_country="", now=NOW)
        await repo.set_working_hours(conn, 2, days="1,2", start="09:00", end="19:00", holidays_country="BE", now=NOW)
    async with store.reading() as conn:
        for guild, expected in ((1, (30, 150, 2880, "", 0)), (2, (60, 240, 1440, "BE", 50))):
            async with conn.execute(query, (guild,)) as cursor:
                assert await cursor.fetchone() == expected


async def test_incident_dm_choices_are_counted_per_server(store: Store) -> None:
    async with store.unit_of_work() as conn:
        for guild, user, kind, target, dm in (
            (1, 7, "incident", "10", True),
            (1, 8, "incident", "11", True),
            (1, 9, "incident", "10", False),
            (1, 7, "territory", "R53", False),
            (2, 7, "incident", "20", True),
        ):
            await follows.add(conn, guild, user, kind, target, at=NOW)
            if dm:
                await follows.set_dm(conn, guild, user, int(target), True)
        assert await repo.incident_dm_count(conn, 1) == 2
        assert await repo.incident_dm_count(conn, 2) == 1
        assert await repo.incident_dm_count(conn, 3) == 0


async def test_open_incidents_of_one_server_with_a_thread(store: Store) -> None:
    stamp = NOW.isoformat()
    async with store.unit_of_work() as conn:
        thread = await outbox.enqueue(conn, guild_id=1, lane="x", kind="create_thread", payload={}, now=NOW)
        for number, guild, status, thread_row in (
            (1, 1, "investigating", thread),
            (2, 1, "resolved", thread),
            (3, 1, "monitoring", None),
            (4, 1, "identified", thread),
            (1, 2, "investigating", thread),
        ):
            await conn.execute(
                "INSERT INTO incidents (guild_id, number, title, sector, severity, cause, status, started_at, "
                "declared_at, declared_by, owner_id, thread_row, updated_at) "
                "VALUES (?, ?, 't', 'pharmacie', 'major', 'unknown', ?, ?, ?, 7, 7, ?, ?)",
                (guild, number, status, stamp, stamp, thread_row, stamp),
            )
    async with store.reading() as conn:
        ids = await repo.open_incident_ids(conn, 1)
        async with conn.execute("SELECT number FROM incidents WHERE id IN (?, ?)", ids) as cursor:
            assert sorted(r[0] for r in await cursor.fetchall()) == [1, 4]
