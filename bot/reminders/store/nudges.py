"""Each open incident's nudge bookkeeping (`incident_nudges`): what the nudge rules need beside the incident's own
facts, kept so that nudges survive a restart and are never doubled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.rows import first_row, int_column
from bot.storage.times import from_db_time, to_db_time


@dataclass(frozen=True)
class NudgeBook:
    last_nudge_at: datetime | None = None
    consecutive_nudges: int = 0
    log_noted: bool = False
    next_update_nudged: bool = False
    eta_reminded: bool = False
    planned_kind: str | None = None
    planned_at: datetime | None = None
    seen_update_at: datetime | None = None
    reminded_eta: datetime | None = None
    nudged_next_update_at: datetime | None = None


def _time(text: str | None) -> datetime | None:
    return from_db_time(text) if text else None


def _stamp(at: datetime | None) -> str | None:
    return to_db_time(at) if at is not None else None


async def get(conn: aiosqlite.Connection, incident_id: int) -> NudgeBook:
    """The incident's bookkeeping; a fresh one for an incident never nudged."""
    found = await first_row(
        conn,
        "SELECT last_nudge_at, consecutive_nudges, log_noted, next_update_nudged, eta_reminded, planned_kind, "
        "planned_at, seen_update_at, reminded_eta, nudged_next_update_at FROM incident_nudges WHERE incident_id = ?",
        (incident_id,),
        _book,
    )
    return found if found is not None else NudgeBook()


def _book(row: aiosqlite.Row) -> NudgeBook:
    return NudgeBook(
        last_nudge_at=_time(row[0]),
        consecutive_nudges=int(row[1]),
        log_noted=bool(row[2]),
        next_update_nudged=bool(row[3]),
        eta_reminded=bool(row[4]),
        planned_kind=row[5],
        planned_at=_time(row[6]),
        seen_update_at=_time(row[7]),
        reminded_eta=_time(row[8]),
        nudged_next_update_at=_time(row[9]),
    )


async def put(conn: aiosqlite.Connection, incident_id: int, book: NudgeBook, *, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO incident_nudges (incident_id, last_nudge_at, consecutive_nudges, log_noted, next_update_nudged, "
        "eta_reminded, planned_kind, planned_at, updated_at, seen_update_at, reminded_eta, nudged_next_update_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(incident_id) DO UPDATE SET last_nudge_at = excluded.last_nudge_at, "
        "consecutive_nudges = excluded.consecutive_nudges, log_noted = excluded.log_noted, "
        "next_update_nudged = excluded.next_update_nudged, eta_reminded = excluded.eta_reminded, "
        "planned_kind = excluded.planned_kind, planned_at = excluded.planned_at, updated_at = excluded.updated_at, "
        "seen_update_at = excluded.seen_update_at, reminded_eta = excluded.reminded_eta, "
        "nudged_next_update_at = excluded.nudged_next_update_at",
        (
            incident_id,
            _stamp(book.last_nudge_at),
            book.consecutive_nudges,
            int(book.log_noted),
            int(book.next_update_nudged),
            int(book.eta_reminded),
            book.planned_kind,
            _stamp(book.planned_at),
            to_db_time(now),
            _stamp(book.seen_update_at),
            _stamp(book.reminded_eta),
            _stamp(book.nudged_next_update_at),
        ),
    )


async def open_incident_ids(conn: aiosqlite.Connection) -> list[int]:
    """Every open incident that has a thread to be nudged in."""
    return await int_column(
        conn,
        "SELECT id FROM incidents WHERE status IN ('investigating', 'identified', 'monitoring') "
        "AND thread_row IS NOT NULL ORDER BY id",
    )
