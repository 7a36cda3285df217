"""Reading incidents: `/outage show` and `/outage list` (audited once their reply is on its way), and the
autocomplete of incident numbers, sectors and service names."""

from __future__ import annotations

from datetime import datetime

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.periods import parse_period
from bot.common.text import name_key
from bot.incidents import store as repo
from bot.incidents.store import IncidentSummary
from bot.incidents.use_cases.commands import OutageCommands
from bot.incidents.use_cases.results import ListResult, ReadAudit, ShowResult
from bot.incidents.use_cases.typed_input import (
    OutageError,
    field_error,
    overlapping_refs,
    resolve_sector,
    server_sectors,
)
from bot.storage import audit


class Reading(OutageCommands):
    async def show(self, guild_id: int, number: int, *, user_id: int | None = None) -> ShowResult:
        async with self.store.reading() as conn:
            stored = await repo.get(conn, guild_id, number)
            if stored is None:
                raise OutageError("outage.error.incident_unknown", number=number)
            entries = tuple(await repo.timeline(conn, stored.id))
        return ShowResult(stored, entries, ReadAudit(guild_id, user_id, "outage show", {"incident": number}, "shown"))

    async def record_read(self, read: ReadAudit | None, *, now: datetime) -> None:
        """Reading commands are audited too (who looked at what), in their own short unit of work."""
        if read is None:
            return
        async with self.store.unit_of_work() as conn:
            await audit.record(
                conn,
                guild_id=read.guild_id,
                actor_id=read.user_id,
                action=read.action,
                arguments=read.arguments,
                result=read.result,
                at=now,
            )

    async def list_incidents(
        self,
        guild_id: int,
        *,
        status: str = "open",
        territory: str | None = None,
        sector: str | None = None,
        period: str | None = None,
        now: datetime,
        limit: int = 20,
        user_id: int | None = None,
    ) -> ListResult:
        statuses = {
            "open": ("investigating", "identified", "monitoring"),
            "resolved": ("resolved",),
            "cancelled": ("cancelled",),
            "all": ("investigating", "identified", "monitoring", "resolved", "cancelled"),
        }[status]
        async with self.store.reading() as conn:
            config = await self.config(conn, guild_id)
            refs: list[str] | None = None
            if territory is not None and territory.strip():
                try:
                    found = territory_data.lookup(territory, prefer_kind="region")
                except TocsinError as exc:
                    raise field_error("outage.field.territories", exc) from None
                refs = overlapping_refs(found)
            sector_name = resolve_sector(config, sector) if sector is not None and sector.strip() else None
            window: tuple[datetime, datetime] | None = None
            if period is not None and period.strip():
                try:
                    window = parse_period(period, now=now, tz=config.zone)
                except TocsinError as exc:
                    raise field_error("outage.field.period", exc) from None
            found_incidents = await repo.list_incidents(
                conn,
                guild_id,
                statuses=statuses,
                territory_refs=refs,
                sector=sector_name,
                period=window,
                limit=limit + 1,
            )
        arguments = {"status": status, "territory": territory, "sector": sector, "period": period}
        shown = min(len(found_incidents), limit)
        read = ReadAudit(guild_id, user_id, "outage list", arguments, f"{shown} listed")
        return ListResult(tuple(found_incidents[:limit]), len(found_incidents) > limit, window, read)

    async def search(self, guild_id: int, text: str) -> list[IncidentSummary]:
        async with self.store.reading() as conn:
            return await repo.search(conn, guild_id, text[:100])

    async def sectors(self, guild_id: int) -> list[str]:
        async with self.store.reading() as conn:
            return server_sectors(await self.config(conn, guild_id))

    async def service_names(self, guild_id: int, number: int | None = None) -> list[str]:
        """The incident's own services first (when completing an update), then the server's earlier names."""
        names: list[str] = []
        async with self.store.reading() as conn:
            if number is not None:
                stored = await repo.get(conn, guild_id, number)
                if stored is not None:
                    names += [s.name for s in stored.incident.services]
            names += [name for _key, name in await repo.service_names(conn, guild_id)]
        seen: set[str] = set()
        unique = []
        for name in names:
            if name_key(name) not in seen:
                seen.add(name_key(name))
                unique.append(name)
        return unique
