"""Archiving resolved threads: a resolved incident's thread is archived `archive_after_hours` after the
resolution (0: at once); a reopen before then keeps it open. The timers live outside (one per thread); each asks
here whether it is still due."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.incidents import store as repo
from bot.incidents.rules.model import Status
from bot.incidents.use_cases.commands import OutageCommands
from bot.incidents.use_cases.deliveries import plan_archive


class Archiving(OutageCommands):
    async def archive_due(self, guild_id: int, number: int, *, now: datetime) -> bool:
        """Archives the thread of a resolved incident whose delay has passed; False when it is not (or no
        longer) due: reopened, already archived, or the delay was made longer."""
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, guild_id)
            stored = await repo.get(conn, guild_id, number)
            if stored is None or stored.incident.status != Status.RESOLVED or stored.thread_archived_at is not None:
                return False
            resolved_at = stored.incident.resolved_at
            if resolved_at is None or resolved_at + timedelta(hours=config.archive_after_hours) > now:
                return False
            await plan_archive(conn, stored, now=now)
            await repo.mark_thread_archived(conn, stored.id, at=now)
        return True

    async def archive_times(self) -> list[tuple[int, int, datetime]]:
        """(guild, number, when) of every resolved thread still to archive: the timers to register at start."""
        async with self.store.reading() as conn:
            pending = await repo.resolved_not_archived(conn)
            delays: dict[int, int] = {}
            times: list[tuple[int, int, datetime]] = []
            for _incident_id, guild_id, number, resolved_at in pending:
                if guild_id not in delays:
                    delays[guild_id] = (await self.config(conn, guild_id)).archive_after_hours
                times.append((guild_id, number, resolved_at + timedelta(hours=delays[guild_id])))
        return times

    async def archive_time(self, guild_id: int, number: int) -> datetime | None:
        async with self.store.reading() as conn:
            config = await self.config(conn, guild_id)
            stored = await repo.get(conn, guild_id, number)
        if stored is None or stored.incident.resolved_at is None or stored.incident.status != Status.RESOLVED:
            return None
        return stored.incident.resolved_at + timedelta(hours=config.archive_after_hours)
