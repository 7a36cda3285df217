"""Planned maintenance in SQLite (migration 0010): the maintenance, its services and territories, its standing
announcements, each server's reminder lead, and the reads the boards, digests, exports and the public page make.

The thread's id is read from the outbox row that made it (as incidents do): no write after delivery."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.maintenance.rules import DEFAULT_LEAD, Maintenance, Stage, Told, ToldMessage
from bot.storage.times import from_db_time, optional_time, to_db_time


@dataclass(frozen=True)
class StoredMaintenance:
    id: int
    maintenance: Maintenance
    incident_channel_id: int | None
    thread_row: int | None
    status_message_row: int | None
    incident_id: int | None


@dataclass(frozen=True)
class StoredAnnouncement:
    channel_id: int
    role_ids: tuple[int, ...]
    message_row: int | None


_COLUMNS = (
    "m.id, m.guild_id, m.number, m.organisation, m.sector, m.workaround, m.starts_at, m.ends_at, m.scheduled_at, "
    "m.owner_id, m.stage, m.reminder_lead_s, m.ended_at, m.public, m.incident_id, m.incident_channel_id, "
    "m.thread_row, m.status_message_row, json_extract(o.result, '$.thread_id')"
)
_FROM = "FROM maintenance m LEFT JOIN outbox o ON o.id = m.thread_row AND o.status = 'done'"


async def _listed(
    conn: aiosqlite.Connection, table: str, column: str, order: str, ids: Sequence[int]
) -> dict[int, list[str]]:
    """Each maintenance's values of `column` in one of its list tables (services, territories), in `order`."""
    marks = ", ".join("?" for _ in ids)
    found: dict[int, list[str]] = {}
    async with conn.execute(
        f"SELECT maintenance_id, {column} FROM {table} WHERE maintenance_id IN ({marks}) "  # noqa: S608
        f"ORDER BY maintenance_id, {order}",
        list(ids),
    ) as cursor:
        for row in await cursor.fetchall():
            found.setdefault(int(row[0]), []).append(str(row[1]))
    return found


async def _read(conn: aiosqlite.Connection, condition: str, args: Sequence[Any]) -> list[StoredMaintenance]:
    async with conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE {condition}", list(args)) as cursor:
        rows = list(await cursor.fetchall())
    if not rows:
        return []
    ids = [int(r[0]) for r in rows]
    services = await _listed(conn, "maintenance_services", "name", "position", ids)
    territories = await _listed(conn, "maintenance_territories", "territory", "rowid", ids)
    found = []
    for r in rows:
        maintenance = Maintenance(
            guild_id=int(r[1]),
            number=int(r[2]),
            organisation=str(r[3]),
            sector=str(r[4] or ""),
            workaround=r[5],
            starts_at=from_db_time(r[6]),
            ends_at=from_db_time(r[7]),
            scheduled_at=from_db_time(r[8]),
            owner_id=int(r[9]),
            stage=Stage(r[10]),
            lead=timedelta(seconds=int(r[11])),
            ended_at=optional_time(r[12]),
            public=bool(r[13]),
            territories=tuple(territories.get(int(r[0]), ())),
            services=tuple(services.get(int(r[0]), ())),
            thread_id=int(r[18]) if r[18] is not None else None,
        )
        found.append(StoredMaintenance(int(r[0]), maintenance, r[15], r[16], r[17], r[14]))
    return found


async def next_number(conn: aiosqlite.Connection, guild_id: int) -> int:
    async with conn.execute("SELECT MAX(number) FROM maintenance WHERE guild_id = ?", (guild_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0] or 0) + 1 if row is not None else 1


async def insert(
    conn: aiosqlite.Connection, maintenance: Maintenance, *, scheduled_by: int, incident_channel_id: int | None
) -> int:
    m = maintenance
    cursor = await conn.execute(
        "INSERT INTO maintenance (guild_id, number, organisation, sector, workaround, starts_at, ends_at, "
        "scheduled_at, scheduled_by, owner_id, stage, reminder_lead_s, public, incident_channel_id, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "COALESCE((SELECT default_public FROM public_pages WHERE guild_id = ?), 0), ?, ?)",
        (
            m.guild_id,
            m.number,
            m.organisation,
            m.sector,
            m.workaround,
            to_db_time(m.starts_at),
            to_db_time(m.ends_at),
            to_db_time(m.scheduled_at),
            scheduled_by,
            m.owner_id,
            m.stage.value,
            int(m.lead.total_seconds()),
            m.guild_id,
            incident_channel_id,
            to_db_time(m.scheduled_at),
        ),
    )
    row_id = cursor.lastrowid
    await cursor.close()
    assert row_id is not None
    await conn.executemany(
        "INSERT INTO maintenance_services (maintenance_id, position, name) VALUES (?, ?, ?)",
        [(row_id, position, name) for position, name in enumerate(m.services)],
    )
    await conn.executemany(
        "INSERT INTO maintenance_territories (maintenance_id, territory) VALUES (?, ?)",
        [(row_id, ref) for ref in m.territories],
    )
    return int(row_id)


async def set_message_rows(
    conn: aiosqlite.Connection, maintenance_id: int, *, thread_row: int, status_message_row: int
) -> None:
    await conn.execute(
        "UPDATE maintenance SET thread_row = ?, status_message_row = ? WHERE id = ?",
        (thread_row, status_message_row, maintenance_id),
    )


async def save(
    conn: aiosqlite.Connection, maintenance_id: int, m: Maintenance, *, now: datetime, incident_id: int | None = None
) -> None:
    """Its times, stage and owner as they now are (what is typed at scheduling never changes)."""
    await conn.execute(
        "UPDATE maintenance SET starts_at = ?, ends_at = ?, scheduled_at = ?, stage = ?, ended_at = ?, "
        "owner_id = ?, incident_id = COALESCE(?, incident_id), updated_at = ? WHERE id = ?",
        (
            to_db_time(m.starts_at),
            to_db_time(m.ends_at),
            to_db_time(m.scheduled_at),
            m.stage.value,
            to_db_time(m.ended_at) if m.ended_at is not None else None,
            m.owner_id,
            incident_id,
            to_db_time(now),
            maintenance_id,
        ),
    )


async def get(conn: aiosqlite.Connection, guild_id: int, number: int) -> StoredMaintenance | None:
    found = await _read(conn, "m.guild_id = ? AND m.number = ?", (guild_id, number))
    return found[0] if found else None


async def get_by_id(conn: aiosqlite.Connection, maintenance_id: int) -> StoredMaintenance | None:
    found = await _read(conn, "m.id = ?", (maintenance_id,))
    return found[0] if found else None


async def pending(conn: aiosqlite.Connection) -> list[int]:
    """Every maintenance still to reach a stage: the timers to register at start."""
    async with conn.execute(
        "SELECT id FROM maintenance WHERE stage NOT IN ('ended', 'cancelled', 'converted') ORDER BY starts_at"
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def open_in(conn: aiosqlite.Connection, guild_id: int, *, limit: int = 25) -> list[StoredMaintenance]:
    """The server's maintenance not over yet, soonest first (what the commands' autocomplete offers)."""
    return await _read(
        conn,
        "m.guild_id = ? AND m.stage NOT IN ('ended', 'cancelled', 'converted') ORDER BY m.starts_at LIMIT ?",
        (guild_id, limit),
    )


async def planned_stops(
    conn: aiosqlite.Connection, guild_id: int, *, now: datetime, horizon: timedelta
) -> list[Maintenance]:
    """In progress, or due to start within `horizon`: what boards show."""
    return [
        s.maintenance
        for s in await _read(
            conn,
            "m.guild_id = ? AND m.stage NOT IN ('ended', 'cancelled', 'converted') AND m.starts_at <= ? "
            "ORDER BY m.starts_at",
            (guild_id, to_db_time(now + horizon)),
        )
    ]


async def between(
    conn: aiosqlite.Connection, guild_id: int, start: datetime, end: datetime, *, public_only: bool = False
) -> list[StoredMaintenance]:
    """Maintenance whose planned span meets [start, end), cancelled ones aside, in start order: what digests,
    exports and the public page tell of (with `public_only`, only what the server made public)."""
    condition = "m.guild_id = ? AND m.stage != 'cancelled' AND m.starts_at < ? AND m.ends_at > ?"
    if public_only:
        condition += " AND m.public = 1"
    return await _read(
        conn, condition + " ORDER BY m.starts_at, m.number", (guild_id, to_db_time(end), to_db_time(start))
    )


async def for_digest(
    conn: aiosqlite.Connection, guild_id: int, start: datetime, end: datetime, *, ahead: timedelta
) -> list[Maintenance]:
    """What a digest covering [start, end) tells of: scheduled in the period, or taking place between its start
    and `ahead` after its end (what happened, and what is coming); cancelled ones aside, and those turned into
    an incident (the digest tells of that incident)."""
    found = await _read(
        conn,
        "m.guild_id = ? AND m.stage NOT IN ('cancelled', 'converted') "
        "AND ((m.scheduled_at >= ? AND m.scheduled_at < ?) OR (m.starts_at < ? AND m.ends_at > ?)) "
        "ORDER BY m.starts_at, m.number",
        (guild_id, to_db_time(start), to_db_time(end), to_db_time(end + ahead), to_db_time(start)),
    )
    return [s.maintenance for s in found]


# --- the messages it told (migration 0015), for the public feeds ------------------------------------------------


async def add_message(
    conn: aiosqlite.Connection, maintenance_id: int, kind: Told, m: Maintenance, *, at: datetime
) -> None:
    """Records a message it tells, with its times as they now are, after its earlier ones."""
    await conn.execute(
        "INSERT INTO maintenance_messages (maintenance_id, place, kind, at, starts_at, ends_at) "
        "SELECT ?, COALESCE(MAX(place) + 1, 0), ?, ?, ?, ? FROM maintenance_messages WHERE maintenance_id = ?",
        (maintenance_id, kind.value, to_db_time(at), to_db_time(m.starts_at), to_db_time(m.ends_at), maintenance_id),
    )


async def public_messages(
    conn: aiosqlite.Connection, guild_id: int, *, since: datetime
) -> list[tuple[Maintenance, tuple[ToldMessage, ...]]]:
    """The server's public maintenance that told something since `since`, each with those messages, oldest first."""
    told: dict[int, list[ToldMessage]] = {}
    async with conn.execute(
        "SELECT t.maintenance_id, t.kind, t.at, t.place, t.starts_at, t.ends_at FROM maintenance_messages t "
        "JOIN maintenance m ON m.id = t.maintenance_id "
        "WHERE m.guild_id = ? AND m.public = 1 AND t.at >= ? ORDER BY t.maintenance_id, t.place",
        (guild_id, to_db_time(since)),
    ) as cursor:
        for r in await cursor.fetchall():
            message = ToldMessage(Told(r[1]), from_db_time(r[2]), int(r[3]), from_db_time(r[4]), from_db_time(r[5]))
            told.setdefault(int(r[0]), []).append(message)
    if not told:
        return []
    marks = ", ".join("?" for _ in told)
    found = await _read(conn, f"m.id IN ({marks}) AND m.public = 1", list(told))
    return [(s.maintenance, tuple(told[s.id])) for s in found]


# --- standing announcements ----------------------------------------------------------------------------------


async def add_announcement(
    conn: aiosqlite.Connection, maintenance_id: int, channel_id: int, role_ids: Sequence[int], *, message_row: int
) -> None:
    await conn.execute(
        "INSERT INTO maintenance_announcements (maintenance_id, channel_id, role_ids, message_row) VALUES (?, ?, ?, ?)",
        (maintenance_id, channel_id, json.dumps(list(role_ids)), message_row),
    )


async def announcements(conn: aiosqlite.Connection, maintenance_id: int) -> list[StoredAnnouncement]:
    async with conn.execute(
        "SELECT channel_id, role_ids, message_row FROM maintenance_announcements WHERE maintenance_id = ? "
        "ORDER BY rowid",
        (maintenance_id,),
    ) as cursor:
        return [
            StoredAnnouncement(int(r[0]), tuple(int(x) for x in json.loads(r[1])), r[2])
            for r in await cursor.fetchall()
        ]


# --- the server's reminder lead -------------------------------------------------------------------------------


async def lead(conn: aiosqlite.Connection, guild_id: int) -> timedelta:
    async with conn.execute(
        "SELECT reminder_lead_s FROM maintenance_settings WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return timedelta(seconds=int(row[0])) if row is not None else DEFAULT_LEAD


async def set_lead(conn: aiosqlite.Connection, guild_id: int, value: timedelta, *, by: int, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO maintenance_settings (guild_id, reminder_lead_s, updated_at, updated_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET reminder_lead_s = excluded.reminder_lead_s, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (guild_id, int(value.total_seconds()), to_db_time(now), by),
    )
