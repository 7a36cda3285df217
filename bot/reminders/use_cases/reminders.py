"""Personal reminders as use cases: ask (`/remind`), list and cancel (`/reminders`), fire, snooze, finish.

The `reminders` table is the truth (ARCHITECTURE.md "Timers"): the scheduler only wakes `fire`, which claims the row
(pending → firing) in the same unit of work that enqueues its message, then marks it done. At start-up
`recover` finishes rows claimed before a stop (their message is already in the outbox, which resumes) and returns
the pending ones to register again; one that came due meanwhile fires at once, marked late.

Decided where the issue is silent:
- `here` and `thread` reminders are worded in the server's language (others may read them); a DM in the
  member's language as last seen, else the server's.
- A `thread` reminder whose incident has no thread planned goes by DM rather than nowhere.
- Twenty-five pending reminders per person and server at most: what `/reminders` (one server's list) can show
  and cancel in one list.
- Done only closes the reminder's message (its buttons go); Snooze moves it and closes the message too, so an
  old message cannot snooze a reminder twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import aiosqlite

from bot.common.i18n import Catalogue, Language, language_of
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.incidents import store as incidents_repo
from bot.incidents.store import StoredIncident
from bot.incidents.use_cases.deliveries import post_in_channel, post_in_thread
from bot.reminders.presentation import reminder_message
from bot.reminders.rules import reminders as rules
from bot.reminders.rules.reminders import AskInput, Reminder, ReminderError, ReminderStatus, SnoozeChoice, Where
from bot.reminders.store import reminders as repo
from bot.reminders.store.reminders import StoredReminder
from bot.settings.rules.config import ServerDefaults
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit, member_locales
from bot.storage.store import Store

MAX_PENDING = 25


class Reminders(ServerUseCases):
    def __init__(self, store: Store, catalogue: Catalogue, defaults: ServerDefaults) -> None:
        super().__init__(store, defaults)
        self.catalogue = catalogue

    async def ask(self, typed: AskInput, *, now: datetime) -> Reminder:
        """Stores a new pending reminder; refuses what `new_reminder` refuses, an unknown incident, and more than
        `MAX_PENDING` waiting reminders of one person in that server."""
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, typed.guild_id)
            reminder = rules.new_reminder(typed, now=now, zone=config.zone)
            incident_id: int | None = None
            if reminder.where == Where.THREAD:
                assert reminder.incident_number is not None
                stored = await incidents_repo.get(conn, typed.guild_id, reminder.incident_number)
                if stored is None:
                    raise ReminderError("reminder.error.incident_unknown", number=reminder.incident_number)
                incident_id = stored.id
            # Counted in this server: the refusal sends the person to `/reminders`, which lists this server's.
            waiting = await repo.pending_of(conn, typed.guild_id, typed.owner_id, limit=MAX_PENDING)
            if len(waiting) >= MAX_PENDING:
                raise ReminderError("reminder.error.too_many", limit=MAX_PENDING)
            new_id = await repo.insert(conn, reminder, incident_id=incident_id)
            created = replace(reminder, id=new_id)
            arguments = {"reminder": new_id, "where": reminder.where.value, "due_at": reminder.due_at.isoformat()}
            if reminder.incident_number is not None:
                arguments["incident"] = reminder.incident_number
            await _record(conn, created, "reminder create", arguments, now)
        return created

    async def pending(self, guild_id: int, owner_id: int) -> tuple[list[Reminder], ZoneInfo]:
        """The person's reminders still to come in that server, soonest first, and the server's zone."""
        async with self.store.reading() as conn:
            config = await self.config(conn, guild_id)
            found = await repo.pending_of(conn, guild_id, owner_id, limit=MAX_PENDING)
        return [item.reminder for item in found], config.zone

    async def zone(self, guild_id: int) -> ZoneInfo:
        """The server's zone, which a reply words a reminder's time in."""
        async with self.store.reading() as conn:
            return (await self.config(conn, guild_id)).zone

    async def _owned(self, conn: aiosqlite.Connection, reminder_id: int, user_id: int) -> StoredReminder:
        stored = await repo.get(conn, reminder_id)
        if stored is None:
            raise ReminderError("reminder.error.unknown")
        rules.check_owner(stored.reminder, user_id)
        return stored

    async def cancel(self, reminder_id: int, *, user_id: int, now: datetime) -> Reminder:
        async with self.store.unit_of_work() as conn:
            stored = await self._owned(conn, reminder_id, user_id)
            cancelled = rules.cancel(stored.reminder)
            await repo.save(conn, cancelled)
            await _record(conn, cancelled, "reminder cancel", {"reminder": reminder_id}, now)
        return cancelled

    async def snooze(self, reminder_id: int, choice: SnoozeChoice, *, user_id: int, now: datetime) -> Reminder:
        async with self.store.unit_of_work() as conn:
            stored = await self._owned(conn, reminder_id, user_id)
            config = await self.config(conn, stored.reminder.guild_id)
            snoozed = rules.snooze(stored.reminder, choice, now, config.zone)
            await repo.save(conn, snoozed, snoozed=True)
            arguments = {"reminder": reminder_id, "snooze": choice.value, "due_at": snoozed.due_at.isoformat()}
            await _record(conn, snoozed, "reminder snooze", arguments, now)
        return snoozed

    async def finish(self, reminder_id: int, *, user_id: int, now: datetime) -> Reminder:
        """The owner says the reminder is dealt with: allowed once it fired, refused to anyone else. Only the
        audit log keeps it (the row is done already, once its message went out)."""
        async with self.store.unit_of_work() as conn:
            stored = await self._owned(conn, reminder_id, user_id)
            finished = rules.finish(stored.reminder)
            await _record(conn, finished, "reminder done", {"reminder": reminder_id}, now)
        return finished

    async def recover(self) -> list[tuple[int, datetime]]:
        """At start-up: rows claimed before a stop are finished (their message is in the outbox already); returns
        (id, due time) of every pending reminder, for the timers."""
        async with self.store.unit_of_work() as conn:
            rows = await repo.waiting(conn)
            pending: list[tuple[int, datetime]] = []
            for reminder_id, status, due_at in rows:
                if status == ReminderStatus.FIRING.value:
                    stored = await repo.get(conn, reminder_id)
                    assert stored is not None
                    await repo.save(conn, rules.done(stored.reminder))
                else:
                    pending.append((reminder_id, due_at))
        return pending

    async def due_time(self, reminder_id: int) -> datetime | None:
        async with self.store.reading() as conn:
            stored = await repo.get(conn, reminder_id)
        if stored is None or stored.reminder.status != ReminderStatus.PENDING:
            return None
        return stored.reminder.due_at

    async def fire(self, reminder_id: int, *, now: datetime) -> bool:
        """Claims the reminder and enqueues its message in one unit of work, then marks it done. False when there
        was nothing to send: cancelled, sent already, or not due yet (a stale timer)."""
        async with self.store.unit_of_work() as conn:
            stored = await repo.get(conn, reminder_id)
            if stored is None or stored.reminder.status != ReminderStatus.PENDING or stored.reminder.due_at > now:
                return False
            claimed = rules.claim(stored.reminder, now)
            row = await self._enqueue(conn, stored, claimed, now)
            await repo.save(conn, claimed, fired_at=now, message_row=row)
        async with self.store.unit_of_work() as conn:
            current = await repo.get(conn, reminder_id)
            if current is not None and current.reminder.status == ReminderStatus.FIRING:
                await repo.save(conn, rules.done(current.reminder))
        return True

    async def _enqueue(
        self, conn: aiosqlite.Connection, stored: StoredReminder, reminder: Reminder, now: datetime
    ) -> int:
        assert reminder.id is not None
        config = await self.config(conn, reminder.guild_id)
        where = reminder.where
        thread: StoredIncident | None = None
        if where == Where.THREAD and stored.incident_id is not None:
            incident = await incidents_repo.get_by_id(conn, stored.incident_id)
            if incident is not None and incident.thread_row is not None:
                thread = incident
            else:
                where = Where.DM
        language: Language = config.language
        if where == Where.DM:
            seen = await member_locales.last_seen(conn, reminder.owner_id)
            language = language_of(seen, fallback=config.language) if seen else config.language
        message = reminder_message(reminder, language, self.catalogue, zone=config.zone, now=now)
        if where == Where.DM:
            return await outbox.enqueue(
                conn,
                guild_id=reminder.guild_id,
                lane=outbox.dm_lane(reminder.owner_id),
                kind=OutboxKind.SEND_DM,
                payload={"user_id": reminder.owner_id, **message},
                now=now,
            )
        if thread is not None:
            return await post_in_thread(conn, thread, message, now=now)
        assert reminder.channel_id is not None
        return await post_in_channel(conn, reminder.guild_id, reminder.channel_id, message, now=now)


async def _record(
    conn: aiosqlite.Connection, reminder: Reminder, action: str, arguments: Mapping[str, object], now: datetime
) -> None:
    """What the owner did with their reminder, in the audit log: never its text (a note to themselves)."""
    await audit.record(
        conn,
        guild_id=reminder.guild_id,
        actor_id=reminder.owner_id,
        action=action,
        arguments=dict(arguments),
        result="ok",
        at=now,
    )
