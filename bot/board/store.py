"""Boards in SQLite (migration 0006): the boards of each server, the digest of what each was last planned to show,
the first open incidents of each board's order (the most a board can list, however many are open) with how many
it matches in all, and the "late since" marks.

The board's message id is written by the outbox when a board's message is delivered (bot/delivery/store.py),
in the same unit of work as the delivery's outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.board.rules import Board
from bot.incidents import store as incidents
from bot.incidents.store import StoredIncident
from bot.storage.rows import all_rows, int_column
from bot.storage.times import to_db_time


@dataclass(frozen=True)
class StoredBoard:
    board: Board
    message_id: int | None
    shown_digest: str | None


_COLUMNS = "id, guild_id, channel_id, territory, sector, message_id, shown_digest"


def _stored(row: Any) -> StoredBoard:
    board = Board(id=int(row[0]), guild_id=int(row[1]), channel_id=int(row[2]), territory=row[3], sector=row[4])
    return StoredBoard(board, int(row[5]) if row[5] is not None else None, row[6])


async def add(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    channel_id: int,
    territory: str | None,
    sector: str | None,
    created_by: int | None,
    now: datetime,
) -> Board:
    cursor = await conn.execute(
        "INSERT INTO boards (guild_id, channel_id, territory, sector, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, channel_id, territory, sector, to_db_time(now), created_by),
    )
    board_id = cursor.lastrowid
    await cursor.close()
    assert board_id is not None
    return Board(id=int(board_id), guild_id=guild_id, channel_id=channel_id, territory=territory, sector=sector)


async def _kept(conn: aiosqlite.Connection, condition: str, params: tuple[int, ...]) -> list[StoredBoard]:
    """The boards (not removed) that meet `condition`, in the order they were set up."""
    return await all_rows(
        conn,
        f"SELECT {_COLUMNS} FROM boards WHERE {condition} AND removed_at IS NULL ORDER BY id",  # noqa: S608
        params,
        _stored,
    )


async def boards(conn: aiosqlite.Connection, guild_id: int) -> list[StoredBoard]:
    """The server's boards (not removed), in the order they were set up."""
    return await _kept(conn, "guild_id = ?", (guild_id,))


async def board(conn: aiosqlite.Connection, guild_id: int, board_id: int) -> StoredBoard | None:
    found = await _kept(conn, "guild_id = ? AND id = ?", (guild_id, board_id))
    return found[0] if found else None


async def showing_message(conn: aiosqlite.Connection, channel_id: int, message_id: int) -> StoredBoard | None:
    """The board whose message this is, if any."""
    found = await _kept(conn, "channel_id = ? AND message_id = ?", (channel_id, message_id))
    return found[0] if found else None


async def guilds_with_boards(conn: aiosqlite.Connection) -> list[int]:
    return await int_column(conn, "SELECT DISTINCT guild_id FROM boards WHERE removed_at IS NULL ORDER BY guild_id")


async def set_shown(conn: aiosqlite.Connection, board_id: int, digest: str | None) -> None:
    await conn.execute("UPDATE boards SET shown_digest = ? WHERE id = ?", (digest, board_id))


async def forget_message(conn: aiosqlite.Connection, board_id: int) -> None:
    """The board's message is gone (deleted by someone): the next delivery posts it anew."""
    await conn.execute("UPDATE boards SET message_id = NULL, shown_digest = NULL WHERE id = ?", (board_id,))


async def mark_removed(conn: aiosqlite.Connection, board_id: int, *, now: datetime) -> None:
    await conn.execute("UPDATE boards SET removed_at = ? WHERE id = ?", (to_db_time(now), board_id))


# --- what boards show ---------------------------------------------------------------------------------------


_OPEN = "i.status IN ('investigating', 'identified', 'monitoring')"
# A board's order (bot/board/rules.py `incident_order`) in SQL: worst first, then the oldest, then the number.
_ORDER = "CASE i.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 ELSE 2 END, i.started_at, i.number"


async def first_shown(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    territory_refs: Sequence[str] | None,
    sector: str | None,
    limit: int,
    loaded: dict[int, StoredIncident],
) -> tuple[list[StoredIncident], int]:
    """The first `limit` open incidents of a board's order (one of `territory_refs`, of `sector`; None: any) and
    how many it matches in all. Incidents already in `loaded` (by row id) are not read again; new ones are added."""
    where = [f"i.guild_id = ? AND {_OPEN}"]
    args: list[Any] = [guild_id]
    if sector is not None:
        where.append("i.sector = ?")
        args.append(sector)
    if territory_refs is not None:
        marks = ", ".join("?" for _ in territory_refs)
        where.append(
            f"EXISTS (SELECT 1 FROM incident_territories t WHERE t.incident_id = i.id AND t.territory IN ({marks}))"  # noqa: S608
        )
        args += list(territory_refs)
    condition = " AND ".join(where)
    async with conn.execute(f"SELECT COUNT(*) FROM incidents i WHERE {condition}", args) as cursor:  # noqa: S608
        total = int((await cursor.fetchone() or (0,))[0])
    ids = await int_column(
        conn,
        f"SELECT i.id FROM incidents i WHERE {condition} ORDER BY {_ORDER} LIMIT ?",  # noqa: S608
        [*args, limit],
    )
    missing = [i for i in ids if i not in loaded]
    if missing:
        loaded.update({s.id: s for s in await _incidents(conn, guild_id, missing)})
    return [loaded[i] for i in ids], total


async def _incidents(conn: aiosqlite.Connection, guild_id: int, ids: list[int]) -> list[StoredIncident]:
    """The incidents of `ids` with their territories, services and thread, in three queries."""
    marks = ", ".join("?" for _ in ids)
    async with conn.execute(
        f"SELECT {incidents._INCIDENT_COLUMNS} FROM incidents i LEFT JOIN outbox o ON o.id = i.thread_row "  # noqa: S608
        f"WHERE i.guild_id = ? AND i.id IN ({marks})",
        [guild_id, *ids],
    ) as cursor:
        rows = list(await cursor.fetchall())
    territories, services = await incidents.territories_and_services(conn, ids)
    return [
        incidents.stored_from_row(row, tuple(territories.get(int(row[0]), ())), tuple(services.get(int(row[0]), ())))
        for row in rows
    ]


# --- "late since" ---------------------------------------------------------------------------------------------


async def note_late(conn: aiosqlite.Connection, incident_id: int, due: datetime, *, now: datetime) -> bool:
    """Records that the lateness of the update committed for `due` is shown; False if it already was."""
    cursor = await conn.execute(
        "INSERT INTO board_late_marks (incident_id, next_update_at, shown_at) VALUES (?, ?, ?) "
        "ON CONFLICT (incident_id) DO UPDATE SET next_update_at = excluded.next_update_at, "
        "shown_at = excluded.shown_at "
        "WHERE board_late_marks.next_update_at != excluded.next_update_at",
        (incident_id, to_db_time(due), to_db_time(now)),
    )
    changed = cursor.rowcount == 1
    await cursor.close()
    return changed


async def open_incidents_awaiting_news(conn: aiosqlite.Connection) -> list[int]:
    """Open incidents with a committed next update: the ones that can become late."""
    return await int_column(
        conn,
        "SELECT id FROM incidents WHERE status IN ('investigating', 'identified', 'monitoring') "
        "AND next_update_at IS NOT NULL",
    )
