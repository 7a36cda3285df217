"""When the update a coordinator committed to ("next update") comes due without news: the status message and
the boards say "late since …". A timer (bot/timers/registry.py) points at each open incident's committed time and
calls `show_late`; a committed time whose lateness was shown is marked (bot/board/store.py), so a restart or a
second timer shows it once. A new update with a new committed time removes the flag by itself: the status message
and the boards are planned again with the update, and show the new time."""

from __future__ import annotations

from datetime import datetime

from bot.board import store as marks
from bot.board.use_cases import plan_boards
from bot.incidents import store as repo
from bot.incidents.rules.lifecycle import Announce
from bot.incidents.use_cases.commands import OutageCommands
from bot.incidents.use_cases.deliveries import ChangeContext, plan_changed


class Lateness(OutageCommands):
    async def show_late(self, incident_id: int, *, now: datetime) -> datetime | None:
        """Shows the incident late if its committed next update has passed; returns when to look again (its
        committed time, while it is to come), or None."""
        async with self.store.reading() as conn:  # nearly always: not due yet, and nothing to write
            stored = await repo.get_by_id(conn, incident_id)
        if stored is None or stored.incident.next_update_at is None or now < stored.incident.next_update_at:
            return stored.incident.next_update_at if stored is not None and stored.incident.is_open else None
        async with self.store.unit_of_work() as conn:
            stored = await repo.get_by_id(conn, incident_id)
            if stored is None or not stored.incident.is_open or stored.incident.next_update_at is None:
                return None
            due = stored.incident.next_update_at
            if now < due:
                return due
            if not await marks.note_late(conn, incident_id, due, now=now):
                return None
            config = await self.config(conn, stored.incident.guild_id)
            edit = Announce(edit_status_message=True)
            await plan_changed(conn, stored, (), edit, ChangeContext.of(config), now=now)
            await plan_boards(conn, config, now=now, concerning=(stored.incident,))
        return None

    async def awaiting_news(self) -> list[int]:
        """The open incidents with a committed next update: the timers to register at start."""
        async with self.store.reading() as conn:
            return await marks.open_incidents_awaiting_news(conn)
