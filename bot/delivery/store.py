"""The SQL of delivery's own state beside the outbox rows (bot/delivery/outbox.py): the DM channels opened, the
pause of every DM after Discord refused one (40003), the members whose DMs are closed (50007), and what a
delivered or failed row records or reads elsewhere (an incident's follow role, the server's bot-log channel, the
message that shows a board), and a forgotten member's id taken out of a row that has ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from bot.delivery.kinds import FORGOTTEN
from bot.storage.rows import first_row, first_value
from bot.storage.times import from_db_time, to_db_time

DM_PAUSE_KEY = "dm_paused_until"
FORGOTTEN_ROWS = f"json_extract(payload, '$.{FORGOTTEN}') IS NOT NULL"


async def dm_channel(conn: aiosqlite.Connection, user_id: int) -> int | None:
    return await first_row(
        conn, "SELECT channel_id FROM dm_channels WHERE user_id = ?", (user_id,), lambda values: int(values[0])
    )


async def remember_dm_channel(conn: aiosqlite.Connection, user_id: int, channel_id: int, *, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO dm_channels (user_id, channel_id, opened_at) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET channel_id = excluded.channel_id, opened_at = excluded.opened_at",
        (user_id, channel_id, to_db_time(now)),
    )


async def dms_paused_until(conn: aiosqlite.Connection) -> datetime | None:
    """Until when every DM waits, as last recorded (it may be past)."""
    return await first_row(
        conn,
        "SELECT value FROM delivery_state WHERE key = ?",
        (DM_PAUSE_KEY,),
        lambda values: from_db_time(str(values[0])),
    )


async def pause_dms_until(conn: aiosqlite.Connection, until: datetime, *, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO delivery_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (DM_PAUSE_KEY, to_db_time(until), to_db_time(now)),
    )


async def mark_dms_closed(conn: aiosqlite.Connection, user_id: int, *, now: datetime) -> None:
    """Marks a member whose DMs are closed, to be told the next time they use the bot (a member already marked
    keeps their first mark)."""
    await conn.execute(
        "INSERT INTO member_dm_status (user_id, dms_closed_at, told_at) VALUES (?, ?, NULL) "
        "ON CONFLICT(user_id) DO UPDATE SET dms_closed_at = excluded.dms_closed_at, told_at = NULL "
        "WHERE member_dm_status.dms_closed_at IS NULL",
        (user_id, to_db_time(now)),
    )


async def record_follow_role(conn: aiosqlite.Connection, incident_id: int, role_id: int, *, row_id: int) -> None:
    """The follow role created by row `row_id`, remembered on its incident (unless the incident has planned
    another role since)."""
    await conn.execute(
        "UPDATE incidents SET follow_role_id = ? WHERE id = ? AND follow_role_row = ?",
        (role_id, incident_id, row_id),
    )


async def log_channel_and_language(conn: aiosqlite.Connection, guild_id: int) -> tuple[int | None, str | None]:
    """The server's bot-log channel and language, as configured (None where not)."""
    found = await first_row(
        conn,
        "SELECT bot_log_channel_id, language FROM guild_settings WHERE guild_id = ?",
        (guild_id,),
        lambda values: (
            int(values[0]) if values[0] is not None else None,
            str(values[1]) if values[1] is not None else None,
        ),
    )
    return found or (None, None)


async def board_message_id(conn: aiosqlite.Connection, board_id: int) -> int | None:
    return await first_value(conn, "SELECT message_id FROM boards WHERE id = ?", (board_id,), int)


async def record_board_message(conn: aiosqlite.Connection, board_id: int, message_id: int) -> None:
    """The message that now shows the board (a new one when it was posted anew)."""
    await conn.execute("UPDATE boards SET message_id = ? WHERE id = ?", (message_id, board_id))


async def forget_board(conn: aiosqlite.Connection, board_id: int) -> None:
    """A removed board whose message is deleted: nothing of it is left to deliver."""
    await conn.execute("DELETE FROM boards WHERE id = ? AND removed_at IS NOT NULL", (board_id,))


async def erase_forgotten_member(conn: aiosqlite.Connection, row_id: int, payload: Mapping[str, Any]) -> None:
    """Row `row_id` took a role back from a forgotten member (`kinds.FORGOTTEN`) and has ended (delivered, or failed
    for good): their id leaves it, in the unit of work that records the outcome, so that once their roles are taken
    back nothing in the database names them (README "A member's data")."""
    if FORGOTTEN not in payload:
        return  # every other row: not one more trip inside the worker's unit of work
    await conn.execute(
        "UPDATE outbox SET payload = json_remove(payload, '$.user_id'), "  # noqa: S608 (a constant below)
        "error_text = COALESCE(REPLACE(error_text, CAST(json_extract(payload, '$.user_id') AS TEXT), '…'), error_text) "
        f"WHERE id = ? AND {FORGOTTEN_ROWS}",
        (row_id,),
    )
