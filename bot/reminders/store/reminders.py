"""Personal reminders in SQLite: the `reminders` table is the truth of every reminder timer (ARCHITECTURE.md "Timers").

Every function takes the connection of the caller's unit of work; the use case claims a row and enqueues its
message in one transaction, so a reminder is never sent without being claimed, nor claimed without its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.reminders.rules.reminders import Reminder, ReminderStatus, Where
from bot.storage.rows import all_rows, first_row
from bot.storage.times import from_db_time, optional_time, to_db_time


@dataclass(frozen=True)
class StoredReminder:
    reminder: Reminder
    incident_id: int | None
    message_row: int | None
    fired_at: datetime | None
    snoozes: int

    @property
    def id(self) -> int:
        assert self.reminder.id is not None
        return self.reminder.id


_COLUMNS = (
    "r.id, r.guild_id, r.owner_id, r.due_at, r.text, r.place, r.channel_id, r.incident_id, r.status, r.created_at, "
    "r.fired_at, r.late_from, r.message_row, r.snoozes, i.number"
)
_FROM = "FROM reminders r LEFT JOIN incidents i ON i.id = r.incident_id"


def _stored(row: Any) -> StoredReminder:
    reminder = Reminder(
        id=int(row[0]),
        guild_id=int(row[1]),
        owner_id=int(row[2]),
        due_at=from_db_time(row[3]),
        text=str(row[4]),
        where=Where(row[5]),
        channel_id=row[6],
        incident_number=row[14],
        status=ReminderStatus(row[8]),
        created_at=from_db_time(row[9]),
        late_from=optional_time(row[11]),
    )
    return StoredReminder(
        reminder, incident_id=row[7], message_row=row[12], fired_at=optional_time(row[10]), snoozes=row[13]
    )


async def insert(conn: aiosqlite.Connection, reminder: Reminder, *, incident_id: int | None) -> int:
    cursor = await conn.execute(
        "INSERT INTO reminders (guild_id, owner_id, due_at, text, place, channel_id, incident_id, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            reminder.guild_id,
            reminder.owner_id,
            to_db_time(reminder.due_at),
            reminder.text,
            reminder.where.value,
            reminder.channel_id,
            incident_id,
            reminder.status.value,
            to_db_time(reminder.created_at),
        ),
    )
    new_id = cursor.lastrowid
    await cursor.close()
    assert new_id is not None
    return int(new_id)


async def get(conn: aiosqlite.Connection, reminder_id: int) -> StoredReminder | None:
    return await first_row(conn, f"SELECT {_COLUMNS} {_FROM} WHERE r.id = ?", (reminder_id,), _stored)


async def save(
    conn: aiosqlite.Connection,
    reminder: Reminder,
    *,
    fired_at: datetime | None = None,
    message_row: int | None = None,
    snoozed: bool = False,
) -> None:
    """Writes the reminder's status, due time and lateness (and, when given, when it fired and its message)."""
    assert reminder.id is not None
    await conn.execute(
        "UPDATE reminders SET status = ?, due_at = ?, late_from = ?, fired_at = COALESCE(?, fired_at), "
        "message_row = COALESCE(?, message_row), snoozes = snoozes + ? WHERE id = ?",
        (
            reminder.status.value,
            to_db_time(reminder.due_at),
            to_db_time(reminder.late_from) if reminder.late_from is not None else None,
            to_db_time(fired_at) if fired_at is not None else None,
            message_row,
            1 if snoozed else 0,
            reminder.id,
        ),
    )


async def pending_of(
    conn: aiosqlite.Connection, guild_id: int, owner_id: int, *, limit: int = 25
) -> list[StoredReminder]:
    """The owner's reminders still to come in that server, soonest first."""
    return await all_rows(
        conn,
        f"SELECT {_COLUMNS} {_FROM} WHERE r.owner_id = ? AND r.guild_id = ? AND r.status = 'pending' "
        "ORDER BY r.due_at, r.id LIMIT ?",
        (owner_id, guild_id, limit),
        _stored,
    )


async def waiting(conn: aiosqlite.Connection) -> list[tuple[int, str, datetime]]:
    """(id, status, due time) of every reminder a timer still owes something: pending ones, and those claimed
    (firing) whose end was not recorded before the bot stopped."""
    return await all_rows(
        conn,
        "SELECT id, status, due_at FROM reminders WHERE status IN ('pending', 'firing') ORDER BY due_at",
        (),
        lambda r: (int(r[0]), str(r[1]), from_db_time(r[2])),
    )
