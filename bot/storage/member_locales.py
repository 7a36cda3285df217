"""Each member's Discord locale as last seen in an interaction: the language of their direct messages."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.rows import first_row
from bot.storage.times import to_db_time


async def remember(conn: aiosqlite.Connection, *, user_id: int, locale: str, seen_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO member_locales (user_id, locale, seen_at) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET locale = excluded.locale, seen_at = excluded.seen_at",
        (user_id, locale, to_db_time(seen_at)),
    )


async def last_seen(conn: aiosqlite.Connection, user_id: int) -> str | None:
    return await first_row(
        conn, "SELECT locale FROM member_locales WHERE user_id = ?", (user_id,), lambda row: str(row[0])
    )
