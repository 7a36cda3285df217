"""Interactions already handled in SQLite: a command or button Discord delivers twice (a retry after a lost
acknowledgement) answers with what the first run decided, read and written in the caller's unit of work."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

import aiosqlite

from bot.common.actor import Actor
from bot.common.replayable import Replayable
from bot.storage.times import to_db_time

R = TypeVar("R", bound=Replayable)


async def handled(conn: aiosqlite.Connection, interaction_id: int) -> dict[str, Any] | None:
    # One trip to aiosqlite's thread (not execute, fetch, close): every command asks it inside its unit of work.
    found = await conn.execute_fetchall(
        "SELECT result FROM handled_interactions WHERE interaction_id = ?", (interaction_id,)
    )
    row = next(iter(found), None)
    return json.loads(row[0]) if row is not None else None


async def replayed(conn: aiosqlite.Connection, actor: Actor, kind: type[R]) -> R | None:
    """What the first run answered, when Discord delivers the same interaction again; None the first time."""
    if actor.interaction_id is None:
        return None
    earlier = await handled(conn, actor.interaction_id)
    return kind.from_json(earlier) if earlier is not None else None


async def remember_handled(
    conn: aiosqlite.Connection,
    interaction_id: int,
    *,
    guild_id: int | None,
    action: str,
    result: dict[str, Any],
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO handled_interactions (interaction_id, guild_id, action, result, at) VALUES (?, ?, ?, ?, ?)",
        (interaction_id, guild_id, action, json.dumps(result, ensure_ascii=False, default=str), to_db_time(at)),
    )
