"""Links between outages in SQLite: the `linked` / `unlinked` entries of an incident's timeline (what its links are
now, folded by `bot.incidents.rules.links.links_after`), and the "affected too" members a duplicate hands over."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.incidents.rules.lifecycle import UpdateKind
from bot.storage.times import to_db_time


async def link_entries(
    conn: aiosqlite.Connection, ids: Sequence[int]
) -> dict[int, list[tuple[UpdateKind, Mapping[str, Any]]]]:
    """The link entries of a batch of incidents, by incident id, each in its order: one query."""
    marks = ", ".join("?" for _ in ids)
    sql = f"SELECT incident_id, kind, details FROM updates WHERE incident_id IN ({marks}) AND kind IN (?, ?) ORDER BY incident_id, id"  # noqa: S608, E501
    found: dict[int, list[tuple[UpdateKind, Mapping[str, Any]]]] = {}
    for row in await conn.execute_fetchall(sql, [*ids, UpdateKind.LINKED.value, UpdateKind.UNLINKED.value]):
        found.setdefault(int(row[0]), []).append((UpdateKind(row[1]), json.loads(row[2])))
    return found


async def move_affected(conn: aiosqlite.Connection, from_id: int, to_id: int, *, at: datetime) -> int:
    """The members affected by `from_id` count for `to_id` too, each once (those it counted already stay as they
    were); `from_id` keeps its own, for the record. How many it did not count yet."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO affected_members (incident_id, user_id, at) "
        "SELECT ?, user_id, ? FROM affected_members WHERE incident_id = ?",
        (to_id, to_db_time(at), from_id),
    )
    moved = cursor.rowcount
    await cursor.close()
    return max(moved, 0)
