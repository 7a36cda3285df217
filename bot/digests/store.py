"""Digests in SQLite (migration 0007), and the incidents a digest tells of: open now, declared or resolved in its
period (their territories and services are not needed: a digest names incidents and their durations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import aiosqlite

from bot.common.hours_parsing import format_clock
from bot.digests.rules import Digest, Every, WhenQuiet
from bot.incidents import store as incidents
from bot.incidents.rules.model import Incident
from bot.storage.rows import all_rows, first_row
from bot.storage.times import from_db_time, to_db_time


@dataclass(frozen=True)
class StoredDigest:
    digest: Digest
    covered_until: datetime
    next_due_at: datetime


_COLUMNS = (
    "id, guild_id, channel_id, every, weekday, at_time, working_days_only, when_quiet, covered_until, next_due_at"
)


def _stored(row: Any) -> StoredDigest:
    hours, minutes = (int(part) for part in str(row[5]).split(":"))
    digest = Digest(
        id=int(row[0]),
        guild_id=int(row[1]),
        channel_id=int(row[2]),
        every=Every(row[3]),
        weekday=row[4],
        at=time(hours, minutes),
        working_days_only=bool(row[6]),
        when_quiet=WhenQuiet(row[7]),
    )
    return StoredDigest(digest, from_db_time(row[8]), from_db_time(row[9]))


async def add(
    conn: aiosqlite.Connection,
    digest: Digest,
    *,
    next_due_at: datetime,
    created_by: int | None,
    now: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO digests (guild_id, channel_id, every, weekday, at_time, working_days_only, when_quiet, "
        "covered_until, next_due_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            digest.guild_id,
            digest.channel_id,
            digest.every.value,
            digest.weekday,
            format_clock(digest.at),
            int(digest.working_days_only),
            digest.when_quiet.value,
            to_db_time(now),
            to_db_time(next_due_at),
            to_db_time(now),
            created_by,
        ),
    )
    digest_id = cursor.lastrowid
    await cursor.close()
    assert digest_id is not None
    return int(digest_id)


async def digests(conn: aiosqlite.Connection, guild_id: int) -> list[StoredDigest]:
    return await all_rows(conn, f"SELECT {_COLUMNS} FROM digests WHERE guild_id = ? ORDER BY id", (guild_id,), _stored)  # noqa: S608


async def digest(conn: aiosqlite.Connection, digest_id: int) -> StoredDigest | None:
    return await first_row(conn, f"SELECT {_COLUMNS} FROM digests WHERE id = ?", (digest_id,), _stored)  # noqa: S608


async def due_times(conn: aiosqlite.Connection) -> list[tuple[int, datetime]]:
    return await all_rows(
        conn,
        "SELECT id, next_due_at FROM digests ORDER BY next_due_at",
        (),
        lambda row: (int(row[0]), from_db_time(row[1])),
    )


async def advance(
    conn: aiosqlite.Connection, digest_id: int, *, covered_until: datetime, next_due_at: datetime
) -> None:
    await conn.execute(
        "UPDATE digests SET covered_until = ?, next_due_at = ? WHERE id = ?",
        (to_db_time(covered_until), to_db_time(next_due_at), digest_id),
    )


async def remove(conn: aiosqlite.Connection, digest_id: int) -> None:
    await conn.execute("DELETE FROM digests WHERE id = ?", (digest_id,))


# --- what a digest tells of -----------------------------------------------------------------------------------

_OPEN = "status IN ('investigating', 'identified', 'monitoring')"


async def _incidents(conn: aiosqlite.Connection, condition: str, args: list[Any]) -> list[Incident]:
    return await all_rows(
        conn,
        f"SELECT {incidents._INCIDENT_COLUMNS} FROM incidents i LEFT JOIN outbox o ON o.id = i.thread_row "  # noqa: S608
        f"WHERE {condition}",
        args,
        lambda row: incidents.stored_from_row(row, (), ()).incident,
    )


async def open_now(conn: aiosqlite.Connection, guild_id: int) -> list[Incident]:
    return await _incidents(conn, f"i.guild_id = ? AND i.{_OPEN}", [guild_id])


async def declared_between(conn: aiosqlite.Connection, guild_id: int, start: datetime, end: datetime) -> list[Incident]:
    """Declared in [start, end), cancelled ones aside (a false alarm or a duplicate is no news)."""
    return await _incidents(
        conn,
        "i.guild_id = ? AND i.declared_at >= ? AND i.declared_at < ? AND i.status != 'cancelled'",
        [guild_id, to_db_time(start), to_db_time(end)],
    )


async def resolved_between(conn: aiosqlite.Connection, guild_id: int, start: datetime, end: datetime) -> list[Incident]:
    return await _incidents(
        conn,
        "i.guild_id = ? AND i.status = 'resolved' AND i.resolved_at >= ? AND i.resolved_at < ?",
        [guild_id, to_db_time(start), to_db_time(end)],
    )
