"""The SQL of the bot's health and metrics: counts read at each scrape, and the write that proves the database
takes writes."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.rows import first_row
from bot.storage.times import to_db_time

# The readiness probe's row among the process-wide delivery facts: rewritten at each probe, read by nobody.
PROBE_KEY = "health_probe"


async def prove_writable(conn: aiosqlite.Connection, *, now: datetime) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "INSERT INTO delivery_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (PROBE_KEY, stamp, stamp),
    )


async def reminders_by_status(conn: aiosqlite.Connection) -> dict[str, int]:
    async with conn.execute("SELECT status, COUNT(*) FROM reminders GROUP BY status") as cursor:
        return {str(status): int(count) for status, count in await cursor.fetchall()}


async def nudge_counts(conn: aiosqlite.Connection) -> tuple[int, int]:
    """Open incidents with a nudge planned, and the nudges sent since their last news that nobody answered."""
    counts = await first_row(
        conn,
        "SELECT COUNT(n.planned_at), COALESCE(SUM(n.consecutive_nudges), 0) FROM incident_nudges n "
        "JOIN incidents i ON i.id = n.incident_id WHERE i.status NOT IN ('resolved', 'cancelled')",
        (),
        lambda row: (int(row[0]), int(row[1])),
    )
    return counts or (0, 0)
