"""The append-only audit log: who did what, when, with which arguments, and the result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.actor import Actor
from bot.storage.times import to_db_time


async def record(
    conn: aiosqlite.Connection,
    *,
    guild_id: int | None,
    actor_id: int | None,
    action: str,
    arguments: dict[str, Any],
    result: str,
    at: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO audit_log (guild_id, actor_id, action, arguments, result, at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            actor_id,
            action,
            json.dumps(arguments, ensure_ascii=False, default=str),
            result,
            to_db_time(at),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def record_by(
    conn: aiosqlite.Connection, actor: Actor, action: str, arguments: Mapping[str, Any], result: str, at: datetime
) -> int:
    """The row of what a member did in their server."""
    return await record(
        conn,
        guild_id=actor.guild_id,
        actor_id=actor.user_id,
        action=action,
        arguments=dict(arguments),
        result=result,
        at=at,
    )
