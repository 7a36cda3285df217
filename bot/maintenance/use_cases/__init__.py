"""Planned maintenance's use cases, one unit of work each: schedule, reschedule, extend, cancel and turn into an
incident (the coordinators' commands and the owner's buttons), set the server's reminder lead (admins), and
`advance`, what its timer calls (bot/timers/registry.py) at each planned time.

Every change plans its messages in the outbox (deliveries.py), its webhook deliveries (bot/webhooks/use_cases.py
`plan_maintenance`) and the boards in the same unit of work (bot/board/use_cases.py `plan_boards`, which reads the
maintenance a board shows from this feature's store), and
returns when its timer must wake next: the row is the truth, the caller only points the job at that time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.board.rules import MAINTENANCE_HORIZON
from bot.board.use_cases import plan_boards
from bot.common.actor import Actor
from bot.common.duration_parsing import DurationTextError, parse_duration
from bot.common.limits import TextField
from bot.common.text import validate_field
from bot.common.time_parsing import TimeParseError, parse_when
from bot.incidents.use_cases.typed_input import (
    field_error,
    resolve_sector,
    typed_territories,
)
from bot.interactions.access import NotAllowedError
from bot.maintenance import rules
from bot.maintenance import store as repo
from bot.maintenance.presentation import News, listed_line, question
from bot.maintenance.rules import Maintenance, MaintenanceError, Stage, Told
from bot.maintenance.store import StoredMaintenance
from bot.maintenance.use_cases.converting import convert_in
from bot.maintenance.use_cases.deliveries import plan_news, plan_scheduled, post_in_thread
from bot.settings.rules.config import GuildConfig, ServerDefaults
from bot.settings.use_cases import load_config
from bot.storage import audit
from bot.storage.store import Store
from bot.webhooks import use_cases as webhooks
from bot.webhooks.rules import MAINTENANCE_EVENTS, EventKind

# An end read from the start (see `_times`) is kept only this close to it.
READ_FROM_START_WITHIN = timedelta(days=1)

ForumTags = Callable[[int], Mapping[str, int] | None]


@dataclass(frozen=True, kw_only=True)
class ScheduleInput:
    organisation: str
    sector: str
    territories: str
    starts: str
    ends: str
    services: str | None = None
    workaround: str | None = None


@dataclass(frozen=True)
class MaintenanceResult:
    """What the person is told, and when the maintenance's timer must wake next (None: it is over)."""

    maintenance: Maintenance
    maintenance_id: int
    wake_at: datetime | None
    channels: tuple[int, ...] = ()
    incident_number: int | None = None
    incident_id: int | None = None


def _time(text: str, field: str, config: GuildConfig, now: datetime) -> datetime:
    try:
        return parse_when(text, now=now, tz=config.zone, prefer="future")
    except TimeParseError as exc:
        raise field_error(field, exc) from None


def _times(starts: str, ends: str, config: GuildConfig, now: datetime) -> tuple[datetime, datetime]:
    """The start, then the end: read from now, or, when that falls before the start, from the start if that puts
    it within a day ("6h" after "dimanche 22h" is Monday's; "dimanche 22h" after "lundi 6h" is a mistake)."""
    starts_at = _time(starts, "maintenance.field.start", config, now)
    ends_at = _time(ends, "maintenance.field.end", config, now)
    if ends_at <= starts_at:
        with contextlib.suppress(TimeParseError):
            again = parse_when(ends, now=starts_at, tz=config.zone, prefer="future")
            if again - starts_at <= READ_FROM_START_WITHIN:
                ends_at = again
    rules.check_times(starts_at, ends_at, now)
    return starts_at, ends_at


def _services(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    names = [name for part in text.replace(";", ",").split(",") if (name := part.strip())]
    for name in names:
        validate_field(TextField.SERVICE_NAME, name)
    return rules.services_of(names)


class Maintenances:
    def __init__(
        self,
        store: Store,
        defaults: ServerDefaults,
        *,
        forum_tags: ForumTags | None = None,
        incident_changed: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.defaults = defaults
        self.forum_tags: ForumTags = forum_tags or (lambda _channel_id: None)
        # Run with the new incident's row id once a maintenance turned into one is committed (its nudges).
        self.incident_changed = incident_changed

    async def _config(self, conn: aiosqlite.Connection, actor: Actor) -> GuildConfig:
        config = await load_config(conn, actor.guild_id, self.defaults)
        config.require_incidents_setup()
        return config

    @staticmethod
    def _coordinator(config: GuildConfig, actor: Actor) -> bool:
        return config.coordinator_role_id is not None and config.coordinator_role_id in actor.role_ids

    async def _load(
        self, conn: aiosqlite.Connection, actor: Actor, number: int, *, owner_may: bool = False
    ) -> tuple[GuildConfig, StoredMaintenance]:
        config = await self._config(conn, actor)
        coordinator = self._coordinator(config, actor)
        if not coordinator and not owner_may:
            raise NotAllowedError("access.error.coordinator_only")
        stored = await repo.get(conn, actor.guild_id, number)
        if stored is None:
            raise MaintenanceError("maintenance.error.unknown", number=number)
        if not rules.may_act(stored.maintenance, actor.user_id, coordinator=coordinator):
            raise NotAllowedError("maintenance.error.owner_only")
        return config, stored

    # -- the coordinators' commands --

    async def schedule(self, actor: Actor, typed: ScheduleInput, *, now: datetime) -> MaintenanceResult:
        async with self.store.unit_of_work() as conn:
            config = await self._config(conn, actor)
            if not self._coordinator(config, actor):
                raise NotAllowedError("access.error.coordinator_only")
            organisation = validate_field(TextField.ORGANISATION, typed.organisation, required=True)
            assert organisation is not None
            starts_at, ends_at = _times(typed.starts, typed.ends, config, now)
            m = Maintenance(
                guild_id=actor.guild_id,
                number=await repo.next_number(conn, actor.guild_id),
                organisation=organisation,
                sector=resolve_sector(config, typed.sector),
                territories=tuple(typed_territories(typed.territories)),
                services=_services(typed.services),
                starts_at=starts_at,
                ends_at=ends_at,
                scheduled_at=now,
                owner_id=actor.user_id,
                lead=await repo.lead(conn, actor.guild_id),
                workaround=validate_field(TextField.WORKAROUND, typed.workaround),
            )
            assert config.incident_channel_id is not None
            maintenance_id = await repo.insert(
                conn, m, scheduled_by=actor.user_id, incident_channel_id=config.incident_channel_id
            )
            channels = await plan_scheduled(
                conn,
                maintenance_id,
                m,
                language=config.language,
                routes=config.routes,
                channel_id=config.incident_channel_id,
                forum_tags=self.forum_tags(config.incident_channel_id),
                now=now,
            )
            await repo.add_message(conn, maintenance_id, Told.SCHEDULED, m, at=now)
            inserted = await repo.get_by_id(conn, maintenance_id)
            assert inserted is not None  # its `public` is the page's default, set by the store
            await webhooks.plan_maintenance(
                conn, EventKind.MAINTENANCE_SCHEDULED, maintenance_id, inserted.maintenance, now=now
            )
            await plan_boards(conn, config, now=now)
            arguments = {
                "maintenance": m.number,
                "organisation": m.organisation,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            }
            await audit.record_by(conn, actor, "maintenance schedule", arguments, f"{len(channels)} channel(s)", now)
        return MaintenanceResult(m, maintenance_id, rules.wake_at(m, now, MAINTENANCE_HORIZON), tuple(channels))

    async def reschedule(
        self, actor: Actor, number: int, *, starts: str, ends: str, now: datetime
    ) -> MaintenanceResult:
        async with self.store.unit_of_work() as conn:
            config, stored = await self._load(conn, actor, number)
            starts_at, ends_at = _times(starts, ends, config, now)
            m = rules.reschedule(stored.maintenance, starts_at, ends_at, now)
            return await self._changed(conn, actor, config, stored, m, News.RESCHEDULED, "maintenance reschedule", now)

    async def extend(self, actor: Actor, number: int, *, ends: str, now: datetime) -> MaintenanceResult:
        async with self.store.unit_of_work() as conn:
            config, stored = await self._load(conn, actor, number, owner_may=True)
            base = max(now, stored.maintenance.starts_at)
            ends_at = _time(ends, "maintenance.field.end", config, base)
            m = rules.extend(stored.maintenance, ends_at, now)
            return await self._changed(conn, actor, config, stored, m, News.EXTENDED, "maintenance extend", now)

    async def cancel(self, actor: Actor, number: int, *, now: datetime) -> MaintenanceResult:
        async with self.store.unit_of_work() as conn:
            config, stored = await self._load(conn, actor, number)
            m = rules.cancel(stored.maintenance, now)
            return await self._changed(conn, actor, config, stored, m, News.CANCELLED, "maintenance cancel", now)

    async def _changed(
        self,
        conn: aiosqlite.Connection,
        actor: Actor,
        config: GuildConfig,
        stored: StoredMaintenance,
        m: Maintenance,
        news: News,
        action: str,
        now: datetime,
    ) -> MaintenanceResult:
        await repo.save(conn, stored.id, m, now=now)
        await repo.add_message(conn, stored.id, Told(news.value), m, at=now)
        told = await plan_news(conn, stored, m, news, language=config.language, now=now)
        event = EventKind.MAINTENANCE_CANCELLED if news == News.CANCELLED else EventKind.MAINTENANCE_RESCHEDULED
        await webhooks.plan_maintenance(conn, event, stored.id, m, now=now)
        await plan_boards(conn, config, now=now)
        arguments = {"maintenance": m.number, "starts_at": m.starts_at.isoformat(), "ends_at": m.ends_at.isoformat()}
        await audit.record_by(conn, actor, action, arguments, m.stage.value, now)
        return MaintenanceResult(m, stored.id, rules.wake_at(m, now, MAINTENANCE_HORIZON), tuple(told))

    async def check_may_act(self, actor: Actor, number: int) -> Maintenance:
        """Before a form opens: the person may change it (its owner or a coordinator), and it is not over."""
        async with self.store.reading() as conn:
            _config, stored = await self._load(conn, actor, number, owner_may=True)
        if not stored.maintenance.pending:
            raise MaintenanceError("maintenance.error.closed", label=stored.maintenance.label)
        return stored.maintenance

    async def convert(self, actor: Actor, number: int, *, now: datetime) -> MaintenanceResult:
        """Turned into an open incident keeping its thread and announcements (converting.py)."""
        async with self.store.unit_of_work() as conn:
            config, stored = await self._load(conn, actor, number, owner_may=True)
            m = rules.convert(stored.maintenance, now)
            incident_id, incident_number = await convert_in(conn, config, stored, m, by=actor.user_id, now=now)
            await repo.save(conn, stored.id, m, now=now, incident_id=incident_id)
            await repo.add_message(conn, stored.id, Told.CONVERTED, m, at=now)
            # Its receivers learn it is over (its stage says it became an incident, declared to them as one).
            await webhooks.plan_maintenance(conn, EventKind.MAINTENANCE_ENDED, stored.id, m, now=now)
            await plan_boards(conn, config, now=now)
            arguments = {"maintenance": m.number, "incident": incident_number}
            await audit.record_by(conn, actor, "maintenance convert", arguments, f"#{incident_number}", now)
        if self.incident_changed is not None:
            await self.incident_changed(incident_id)
        return MaintenanceResult(m, stored.id, None, (), incident_number, incident_id)

    # -- the admins' setting --

    async def set_lead(self, actor: Actor, text: str, *, now: datetime) -> timedelta:
        """How long before the start the reminder goes out, for maintenance scheduled from now on."""
        try:
            lead = parse_duration(text)
        except DurationTextError as exc:
            raise MaintenanceError(exc.message_id, **exc.args_map) from None
        rules.check_lead(lead)
        async with self.store.unit_of_work() as conn:
            await repo.set_lead(conn, actor.guild_id, lead, by=actor.user_id, now=now)
            await audit.record_by(conn, actor, "setup maintenance", {"lead_s": int(lead.total_seconds())}, "ok", now)
        return lead

    async def lead(self, guild_id: int) -> timedelta:
        async with self.store.reading() as conn:
            return await repo.lead(conn, guild_id)

    # -- its timer --

    async def pending(self) -> list[int]:
        async with self.store.reading() as conn:
            return await repo.pending(conn)

    async def advance(self, maintenance_id: int, *, now: datetime) -> datetime | None:
        """Reaches the stage whose time has come, if any (only the furthest: see rules.py), plans its messages and
        the boards; returns when to wake next (None: it is over)."""
        async with self.store.unit_of_work() as conn:
            stored = await repo.get_by_id(conn, maintenance_id)
            if stored is None or not stored.maintenance.pending:
                return None
            config = await load_config(conn, stored.maintenance.guild_id, self.defaults)
            m = stored.maintenance
            stage = rules.due_stage(m, now)
            if stage is not None:
                m = rules.reach(m, stage, now)
                await repo.save(conn, stored.id, m, now=now)
                for told in rules.to_tell(stored.maintenance, now):
                    await self._tell_stage(conn, config, stored, m, told, now)
                    if told in (Stage.STARTED, Stage.ENDED):
                        await repo.add_message(conn, stored.id, Told(told.value), m, at=now)
                    if told in MAINTENANCE_EVENTS:
                        await webhooks.plan_maintenance(conn, MAINTENANCE_EVENTS[told], stored.id, m, now=now)
            await plan_boards(conn, config, now=now)
        return rules.wake_at(m, now, MAINTENANCE_HORIZON)

    async def _tell_stage(
        self,
        conn: aiosqlite.Connection,
        config: GuildConfig,
        stored: StoredMaintenance,
        m: Maintenance,
        stage: Stage,
        now: datetime,
    ) -> None:
        language = config.language
        if stage == Stage.ASKED:
            await post_in_thread(conn, stored, m, question(m, language), now=now)
            return
        news = {Stage.REMINDED: News.REMINDER, Stage.STARTED: News.STARTED, Stage.ENDED: News.ENDED}[stage]
        await plan_news(conn, stored, m, news, language=language, now=now)

    # -- what the commands' autocomplete offers --

    async def choices(self, guild_id: int, current: str) -> list[tuple[str, int]]:
        async with self.store.reading() as conn:
            config = await load_config(conn, guild_id, self.defaults)
            found = await repo.open_in(conn, guild_id)
        wanted = current.strip().casefold()
        return [
            (listed_line(s.maintenance, config.language), s.maintenance.number)
            for s in found
            if not wanted or wanted in listed_line(s.maintenance, config.language).casefold()
        ]


def parse_maintenance_number(text: str | int | None) -> int:
    """ "3", "M3", "M3 · Cerp…" (an autocomplete label typed back) → 3."""
    if isinstance(text, int):
        return text
    cleaned = (text or "").strip().lstrip("#").lstrip("Mm").strip()
    digits = cleaned.split(" ", 1)[0]
    if not digits.isdigit():
        raise MaintenanceError("maintenance.error.number", text=(text or "").strip()[:40])
    return int(digits)
