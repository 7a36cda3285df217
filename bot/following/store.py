"""Follows beyond the subscription row itself: the follow role of each incident, who asked for DMs, the route
roles a territory or sector follow gave, and members whose DMs are closed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.rows import all_rows, any_row, first_row, first_value, int_column
from bot.storage.times import from_db_time, to_db_time


@dataclass(frozen=True)
class Follow:
    kind: str  # incident, territory, sector
    target: str  # incident id, territory ref, sector key
    dm: bool
    role_ids: tuple[int, ...]
    created_at: datetime


@dataclass(frozen=True)
class Follower:
    user_id: int
    dm: bool
    role_row: int | None


async def follow_role(conn: aiosqlite.Connection, incident_id: int) -> tuple[int | None, int | None]:
    """(follow_role_id, follow_role_row) of an incident."""
    found = await first_row(
        conn,
        "SELECT follow_role_id, follow_role_row FROM incidents WHERE id = ?",
        (incident_id,),
        lambda row: (row[0], row[1]),
    )
    return found or (None, None)


async def set_follow_role(
    conn: aiosqlite.Connection, incident_id: int, *, role_id: int | None, role_row: int | None
) -> None:
    await conn.execute(
        "UPDATE incidents SET follow_role_id = ?, follow_role_row = ? WHERE id = ?", (role_id, role_row, incident_id)
    )


async def get(conn: aiosqlite.Connection, guild_id: int, user_id: int, kind: str, target: str) -> Follow | None:
    return await first_row(
        conn,
        "SELECT kind, target, dm, role_ids, created_at FROM subscriptions "
        "WHERE guild_id = ? AND user_id = ? AND kind = ? AND target = ?",
        (guild_id, user_id, kind, target),
        _follow,
    )


def _follow(row: aiosqlite.Row | tuple[object, ...]) -> Follow:
    roles = json.loads(str(row[3])) if row[3] is not None else []
    return Follow(
        kind=str(row[0]),
        target=str(row[1]),
        dm=bool(row[2]),
        role_ids=tuple(int(r) for r in roles),
        created_at=from_db_time(str(row[4])),
    )


async def of_member(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[Follow]:
    return await all_rows(
        conn,
        "SELECT kind, target, dm, role_ids, created_at FROM subscriptions WHERE guild_id = ? AND user_id = ? "
        "ORDER BY kind, id",
        (guild_id, user_id),
        _follow,
    )


async def add(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    kind: str,
    target: str,
    *,
    at: datetime,
    role_ids: tuple[int, ...] = (),
) -> bool:
    """True when the follow is new."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO subscriptions (guild_id, user_id, kind, target, created_at, role_ids) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, kind, target, to_db_time(at), json.dumps(list(role_ids))),
    )
    added = cursor.rowcount == 1
    await cursor.close()
    return added


async def remove(conn: aiosqlite.Connection, guild_id: int, user_id: int, kind: str, target: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM subscriptions WHERE guild_id = ? AND user_id = ? AND kind = ? AND target = ?",
        (guild_id, user_id, kind, target),
    )
    removed = cursor.rowcount == 1
    await cursor.close()
    return removed


async def set_dm(conn: aiosqlite.Connection, guild_id: int, user_id: int, incident_id: int, dm: bool) -> None:
    await conn.execute(
        "UPDATE subscriptions SET dm = ? WHERE guild_id = ? AND user_id = ? AND kind = 'incident' AND target = ?",
        (int(dm), guild_id, user_id, str(incident_id)),
    )


async def set_role_row(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, incident_id: int, role_row: int | None
) -> None:
    await conn.execute(
        "UPDATE subscriptions SET role_row = ? WHERE guild_id = ? AND user_id = ? AND kind = 'incident' AND target = ?",
        (role_row, guild_id, user_id, str(incident_id)),
    )


async def role_row(conn: aiosqlite.Connection, guild_id: int, user_id: int, incident_id: int) -> int | None:
    """The outbox row of the member's last follow role add for this incident, if any."""
    return await first_value(
        conn,
        "SELECT role_row FROM subscriptions WHERE guild_id = ? AND user_id = ? AND kind = 'incident' AND target = ?",
        (guild_id, user_id, str(incident_id)),
        int,
    )


async def forget_role_rows(conn: aiosqlite.Connection, guild_id: int, incident_id: int) -> None:
    """The incident's follow role is gone: no follower's role add is waited for any more."""
    await conn.execute(
        "UPDATE subscriptions SET role_row = NULL WHERE guild_id = ? AND kind = 'incident' AND target = ?",
        (guild_id, str(incident_id)),
    )


async def followers(conn: aiosqlite.Connection, guild_id: int, incident_id: int) -> list[Follower]:
    return await all_rows(
        conn,
        "SELECT user_id, dm, role_row FROM subscriptions WHERE guild_id = ? AND kind = 'incident' AND target = ? "
        "ORDER BY id",
        (guild_id, str(incident_id)),
        lambda r: Follower(int(r[0]), bool(r[1]), r[2]),
    )


async def dm_count(conn: aiosqlite.Connection, guild_id: int, incident_id: int) -> int:
    counted = await first_value(
        conn,
        "SELECT COUNT(*) FROM subscriptions WHERE guild_id = ? AND kind = 'incident' AND target = ? AND dm = 1",
        (guild_id, str(incident_id)),
        int,
    )
    return counted or 0


# --- members whose DMs are closed ---------------------------------------------------------------------------


async def dms_closed(conn: aiosqlite.Connection, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    marks = ",".join("?" * len(user_ids))
    return set(
        await int_column(
            conn,
            f"SELECT user_id FROM member_dm_status WHERE dms_closed_at IS NOT NULL AND user_id IN ({marks})",  # noqa: S608
            user_ids,
        )
    )


async def untold_dms_closed(conn: aiosqlite.Connection, user_id: int) -> bool:
    return await any_row(
        conn,
        "SELECT 1 FROM member_dm_status WHERE user_id = ? AND dms_closed_at IS NOT NULL AND told_at IS NULL",
        (user_id,),
    )


async def mark_told(conn: aiosqlite.Connection, user_id: int, *, at: datetime) -> bool:
    """True when this call is the one that tells (a member is told once)."""
    cursor = await conn.execute(
        "UPDATE member_dm_status SET told_at = ? WHERE user_id = ? AND dms_closed_at IS NOT NULL AND told_at IS NULL",
        (to_db_time(at), user_id),
    )
    told = cursor.rowcount == 1
    await cursor.close()
    return told


async def reopen_dms(conn: aiosqlite.Connection, user_id: int) -> None:
    """The member opened their DMs again and asked for them: DMs may be planned again."""
    await conn.execute("DELETE FROM member_dm_status WHERE user_id = ?", (user_id,))


async def incident_of_follow_role(conn: aiosqlite.Connection, guild_id: int, role_id: int) -> int | None:
    """The incident whose follow role this is, if any."""
    return await first_row(
        conn,
        "SELECT id FROM incidents WHERE guild_id = ? AND follow_role_id = ?",
        (guild_id, role_id),
        lambda row: int(row[0]),
    )


async def incident_roles_of(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[int]:
    """The follow roles (made, not closed yet) of the incidents the member follows in the server."""
    return await int_column(
        conn,
        "SELECT DISTINCT i.follow_role_id FROM subscriptions s JOIN incidents i ON i.id = CAST(s.target AS INTEGER) "
        "WHERE s.guild_id = ? AND s.user_id = ? AND s.kind = 'incident' AND i.guild_id = s.guild_id "
        "AND i.follow_role_id IS NOT NULL ORDER BY i.follow_role_id",
        (guild_id, user_id),
    )
