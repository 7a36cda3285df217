"""The outage lifecycle's use cases: declare, update, resolve, reopen, correct, cancel, hand over, "affected
too", follow, show and list.

Each use case takes plain values (ids, what was typed) and writes its whole decision in one unit of work: the
incident, its timeline entries, the announcements, every outbox row of the messages it causes
(`incident_messages`), the audit row and the interaction id it answered. Nothing here talks to Discord; the
caller wakes the outbox after the return.

Decisions where DESIGN.md and the issue are silent:
- What people type is read here, in the server's time zone and against the server's lists: a sector must be
  one of the server's sectors (its list, else the defaults), compared without case or accents, so that sector
  routes match; territories and services go through the domain's parsers. A refusal names the field.
- An interaction handled once is answered again with its first result (the same declaration, not a second).
- Only members holding the coordinator role change an incident; "Follow" and "Affected too" are open to every
  member who sees the buttons; `show` and `list` to everyone.
- A hand-over goes to a coordinator only (the owner receives the nudges and must be able to act on them).
- `resolve … silent` posts the recovery with notifications suppressed (as a silent update does).
- A resolved incident's thread is archived `archive_after_hours` after the resolution (0: at once); a reopen
  before then keeps it open.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.i18n import Msg
from bot.common.limits import TextField
from bot.common.periods import parse_period
from bot.common.text import FIELD_LABELS, name_key
from bot.common.time_parsing import TimeParseError, parse_when
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.following import use_cases as following
from bot.incidents import store as repo
from bot.incidents.rules import durations as durations_of
from bot.incidents.rules import lifecycle as rules
from bot.incidents.rules.lifecycle import Outcome, Update
from bot.incidents.rules.model import CancelReason, Cause, Incident, Severity, Status
from bot.incidents.rules.service_changes import ServiceChange, parse_service_changes, parse_service_names
from bot.incidents.store import IncidentSummary, StoredIncident
from bot.incidents.use_cases.deliveries import (
    ChangeContext,
    IncidentChannel,
    plan_archive,
    plan_changed,
    plan_declared,
    thread_link,
)
from bot.interactions.access import NotAllowed
from bot.settings.use_cases.guild_config import DEFAULT_SECTORS, GuildConfig, load_config
from bot.storage import audit
from bot.storage.store import Store

ForumTags = Callable[[int], Mapping[str, int] | None]


class OutageError(TocsinError):
    """What was typed cannot be used, or the incident cannot be found; the sentence says what to do."""


@dataclass(frozen=True)
class Actor:
    """Who acts: the member, the roles they hold, and the interaction (to answer a repeated one the same)."""

    guild_id: int
    user_id: int
    role_ids: frozenset[int] = frozenset()
    interaction_id: int | None = None


@dataclass(frozen=True)
class ServerDefaults:
    language: str = "fr"
    time_zone: str = "Europe/Paris"


# --- what people typed ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeclareInput:
    title: str | None = None
    sector: str | None = None
    territories: str | None = None
    severity: Severity | None = None
    cause: Cause | None = None
    started: str | None = None
    services: str | None = None
    eta: str | None = None
    workaround: str | None = None
    impact: str | None = None
    organisation: str | None = None

    @property
    def essentials_missing(self) -> list[str]:
        missing = []
        for name in ("title", "sector", "territories", "severity"):
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing.append(name)
        return missing

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True, kw_only=True)
class UpdateInput:
    status: Status | None = None
    note: str | None = None
    services: str | None = None
    eta: str | None = None
    workaround: str | None = None
    next_update: str | None = None
    severity: Severity | None = None
    silent: bool = False


@dataclass(frozen=True, kw_only=True)
class EditInput:
    title: str | None = None
    organisation: str | None = None
    sector: str | None = None
    territories: str | None = None
    severity: Severity | None = None
    cause: Cause | None = None
    started: str | None = None
    impact: str | None = None


# --- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclareResult:
    number: int
    title: str
    thread_row: int
    incident_channel_id: int
    started_at: datetime
    eta: datetime | None
    channels: tuple[int, ...]
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "thread_row": self.thread_row,
            "incident_channel_id": self.incident_channel_id,
            "started_at": self.started_at.isoformat(),
            "eta": self.eta.isoformat() if self.eta else None,
            "channels": list(self.channels),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclareResult:
        return cls(
            number=int(data["number"]),
            title=str(data["title"]),
            thread_row=int(data["thread_row"]),
            incident_channel_id=int(data["incident_channel_id"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            eta=datetime.fromisoformat(data["eta"]) if data.get("eta") else None,
            channels=tuple(int(c) for c in data["channels"]),
            replayed=True,
        )


@dataclass(frozen=True)
class ChangeResult:
    """What a change did, for the private reply: the incident as it now is, the times understood, the
    channels that got a new message, and the channels added or withdrawn by a correction."""

    number: int
    title: str
    status: Status
    thread_row: int | None
    thread_id: int | None
    eta: datetime | None = None
    next_update_at: datetime | None = None
    news_channels: tuple[int, ...] = ()
    added_channels: tuple[int, ...] = ()
    removed_channels: tuple[int, ...] = ()
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "status": self.status.value,
            "thread_row": self.thread_row,
            "thread_id": self.thread_id,
            "eta": self.eta.isoformat() if self.eta else None,
            "next_update_at": self.next_update_at.isoformat() if self.next_update_at else None,
            "news_channels": list(self.news_channels),
            "added_channels": list(self.added_channels),
            "removed_channels": list(self.removed_channels),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeResult:
        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            number=int(data["number"]),
            title=str(data["title"]),
            status=Status(data["status"]),
            thread_row=data.get("thread_row"),
            thread_id=data.get("thread_id"),
            eta=when("eta"),
            next_update_at=when("next_update_at"),
            news_channels=tuple(data.get("news_channels", ())),
            added_channels=tuple(data.get("added_channels", ())),
            removed_channels=tuple(data.get("removed_channels", ())),
            replayed=True,
        )


@dataclass(frozen=True)
class ClickResult:
    number: int
    new: bool
    affected_count: int = 0


@dataclass(frozen=True)
class ReadAudit:
    """What a reading command leaves in the audit log (who looked at what). The command writes it with
    `record_read` once its reply is on its way: a read needs no transaction, and the reply need not wait for the
    writer."""

    guild_id: int
    user_id: int | None
    action: str
    arguments: dict[str, Any]
    result: str


@dataclass(frozen=True)
class ListResult:
    incidents: tuple[IncidentSummary, ...]
    more: bool
    period: tuple[datetime, datetime] | None = None
    audit: ReadAudit | None = None


@dataclass(frozen=True)
class ShowResult:
    stored: StoredIncident
    entries: tuple[Update, ...] = field(default=())
    audit: ReadAudit | None = None


# --- reading what was typed -------------------------------------------------------------------------------


def _field_error(field_key: str, error: TocsinError) -> OutageError:
    return OutageError(
        "outage.error.in_field",
        field=Msg.of(field_key),
        reason=Msg(error.message_id, error.args_map),
    )


def _when(text: str | None, field_key: str, config: GuildConfig, now: datetime, prefer: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_when(text, now=now, tz=config.zone, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as exc:
        raise _field_error(field_key, exc) from None


def server_sectors(config: GuildConfig) -> list[str]:
    return list(config.sectors.values()) if config.sectors else list(DEFAULT_SECTORS)


def resolve_sector(config: GuildConfig, typed: str) -> str:
    """The server's sector named by `typed` (case and accents aside), as the server writes it."""
    key = name_key(typed)
    for name in server_sectors(config):
        if name_key(name) == key:
            return name
    if not key:
        raise OutageError("incident.error.field_required", field=Msg.of(FIELD_LABELS[TextField.SECTOR]))
    raise OutageError(
        "outage.error.unknown_sector", sector=typed.strip()[:50], sectors=", ".join(server_sectors(config))
    )


def _territories(text: str) -> list[str]:
    try:
        return [t.ref for t in territory_data.parse_list(text, prefer_kind="region")]
    except TocsinError as exc:
        raise _field_error("outage.field.territories", exc) from None


def _services(text: str | None) -> list[str | ServiceChange]:
    """For a declaration: "name" (down) or "name: state" items."""
    if text is None or not text.strip():
        return []
    items: list[str | ServiceChange] = []
    try:
        for name in parse_service_names(text):
            if ":" in name:
                items.extend(parse_service_changes(name))
            else:
                items.append(name)
    except TocsinError as exc:
        raise _field_error("outage.field.services", exc) from None
    return items


def parse_number(text: str | int | None) -> int:
    """ "42", "#42", "#42 · Cerp…" (an autocomplete label typed back) → 42."""
    if isinstance(text, int):
        return text
    match = re.match(r"\s*#?\s*(\d{1,9})\b", text or "")
    if match is None:
        raise OutageError("outage.error.incident_number", text=(text or "").strip()[:40])
    return int(match[1])


# --- the use cases ----------------------------------------------------------------------------------------


Decide = Callable[[aiosqlite.Connection, GuildConfig, StoredIncident], Awaitable[tuple[Outcome, ChangeContext]]]


class Lifecycle:
    def __init__(self, store: Store, defaults: ServerDefaults, forum_tags: ForumTags | None = None) -> None:
        self.store = store
        self.defaults = defaults
        self.forum_tags: ForumTags = forum_tags or (lambda _channel_id: None)
        # Called with the incident's row id after each committed change (the nudges replan from there).
        self.after_commit: list[Callable[[int], Awaitable[None]]] = []

    async def config(self, conn: aiosqlite.Connection, guild_id: int) -> GuildConfig:
        return await load_config(
            conn, guild_id, default_language=self.defaults.language, default_time_zone=self.defaults.time_zone
        )

    async def coordinator_config(self, actor: Actor) -> GuildConfig:
        """The server's configuration, once the actor is known to be allowed to change incidents there."""
        async with self.store.reading() as conn:
            config = await self.config(conn, actor.guild_id)
        self._check_coordinator(config, actor)
        return config

    @staticmethod
    def _check_coordinator(config: GuildConfig, actor: Actor) -> None:
        config.require_incidents_setup()
        if config.coordinator_role_id not in actor.role_ids:
            raise NotAllowed("access.error.coordinator_only")

    async def _replay(self, conn: aiosqlite.Connection, actor: Actor) -> dict[str, Any] | None:
        if actor.interaction_id is None:
            return None
        return await repo.handled(conn, actor.interaction_id)

    async def _finish(
        self,
        conn: aiosqlite.Connection,
        actor: Actor,
        action: str,
        arguments: Mapping[str, Any],
        result: str,
        answer: Mapping[str, Any],
        now: datetime,
    ) -> None:
        await audit.record(
            conn,
            guild_id=actor.guild_id,
            actor_id=actor.user_id,
            action=action,
            arguments=dict(arguments),
            result=result,
            at=now,
        )
        if actor.interaction_id is not None:
            await repo.remember_handled(
                conn, actor.interaction_id, guild_id=actor.guild_id, action=action, result=dict(answer), at=now
            )

    # -- declare --

    async def declare(self, actor: Actor, typed: DeclareInput, *, now: datetime) -> DeclareResult:
        async with self.store.unit_of_work() as conn:
            earlier = await self._replay(conn, actor)
            if earlier is not None:
                return DeclareResult.from_json(earlier)
            config = await self.config(conn, actor.guild_id)
            self._check_coordinator(config, actor)
            missing = typed.essentials_missing
            if missing:
                raise OutageError("outage.error.missing_essentials", fields=_field_list(missing))
            assert typed.title is not None and typed.sector is not None and typed.territories is not None
            assert typed.severity is not None
            request = rules.DeclareRequest(
                title=typed.title,
                sector=resolve_sector(config, typed.sector),
                territories=_territories(typed.territories),
                severity=typed.severity,
                cause=typed.cause or Cause.UNKNOWN,
                organisation=typed.organisation,
                impact=typed.impact,
                started_at=_when(typed.started, "outage.field.started", config, now, "past"),
                services=_services(typed.services),
                eta=_when(typed.eta, "outage.field.eta", config, now, "future"),
                workaround=typed.workaround,
            )
            number = await repo.next_number(conn, actor.guild_id)
            outcome = rules.declare(request, guild_id=actor.guild_id, number=number, at=now, by=actor.user_id)
            incident = outcome.incident
            assert config.incident_channel_id is not None
            channel = IncidentChannel(config.incident_channel_id, self.forum_tags(config.incident_channel_id))
            incident_id = await repo.insert(conn, incident, incident_channel_id=channel.channel_id)
            stored = await repo.get_by_id(conn, incident_id)
            assert stored is not None
            plan = await plan_declared(
                conn, stored, language=config.language, routes=config.routes, channel=channel, now=now
            )
            await repo.append_updates(conn, incident_id, outcome.entries, thread_post_row=None)
            await repo.remember_service_names(
                conn, actor.guild_id, [(s.key, s.name) for s in incident.services], at=now
            )
            result = DeclareResult(
                number=number,
                title=incident.title,
                thread_row=plan.thread_row,
                incident_channel_id=channel.channel_id,
                started_at=incident.started_at,
                eta=incident.eta,
                channels=tuple(t.channel_id for t in plan.targets),
            )
            await self._finish(
                conn,
                actor,
                "outage declare",
                _typed(typed),
                f"declared #{number} in {len(plan.targets)} channel(s)",
                result.to_json(),
                now,
            )
        for hook in self.after_commit:
            await hook(incident_id)
        return result

    # -- every change of a declared incident --

    async def _change(
        self, actor: Actor, number: int, action: str, arguments: Mapping[str, Any], decide: Decide, *, now: datetime
    ) -> ChangeResult:
        async with self.store.unit_of_work() as conn:
            earlier = await self._replay(conn, actor)
            if earlier is not None:
                return ChangeResult.from_json(earlier)
            config = await self.config(conn, actor.guild_id)
            self._check_coordinator(config, actor)
            stored = await repo.get(conn, actor.guild_id, number)
            if stored is None:
                raise OutageError("outage.error.incident_unknown", number=number)
            before = stored.incident
            outcome, context = await decide(conn, config, stored)
            saved = await repo.save(conn, stored, outcome.incident)
            if context.durations == () and outcome.incident.status == Status.RESOLVED and outcome.announce.reasons:
                history = [*await repo.timeline(conn, stored.id), *outcome.entries]
                context = replace(context, durations=durations_of.service_durations(outcome.incident, history))
            context = replace(
                context,
                forum_tags=self.forum_tags(stored.incident_channel_id) if stored.incident_channel_id else None,
                severity_from=before.severity,
                status_from=before.status,
            )
            announced_before = {a.channel_id for a in await repo.announcements(conn, stored.id) if a.active}
            post_row = await plan_changed(conn, saved, outcome.entries, outcome.announce, context, now=now)
            await repo.append_updates(conn, stored.id, outcome.entries, thread_post_row=post_row)
            announced_after = {a.channel_id for a in await repo.announcements(conn, stored.id) if a.active}
            incident = outcome.incident
            kept = announced_before & announced_after
            result = ChangeResult(
                number=number,
                title=incident.title,
                status=incident.status,
                thread_row=stored.thread_row,
                thread_id=incident.thread_id,
                eta=incident.eta,
                next_update_at=incident.next_update_at,
                news_channels=tuple(sorted(kept)) if outcome.announce.reasons else (),
                added_channels=tuple(sorted(announced_after - announced_before)),
                removed_channels=tuple(sorted(announced_before - announced_after)),
            )
            kinds = ", ".join(entry.kind.value for entry in outcome.entries)
            await self._finish(conn, actor, action, arguments, f"#{number}: {kinds}", result.to_json(), now)
        for hook in self.after_commit:
            await hook(stored.id)
        return result

    async def update(self, actor: Actor, number: int, typed: UpdateInput, *, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            changes: list[ServiceChange] = []
            if typed.services is not None and typed.services.strip():
                try:
                    changes = parse_service_changes(typed.services)
                except TocsinError as exc:
                    raise _field_error("outage.field.services", exc) from None
            request = rules.UpdateRequest(
                status=typed.status,
                note=typed.note,
                service_changes=changes,
                eta=_when(typed.eta, "outage.field.eta", config, now, "future"),
                workaround=typed.workaround,
                next_update_at=_when(typed.next_update, "outage.field.next_update", config, now, "future"),
                severity=typed.severity,
                silent=typed.silent,
            )
            outcome = rules.apply_update(stored.incident, request, at=now, by=actor.user_id)
            new_services = [(s.key, s.name) for s in outcome.incident.services]
            await repo.remember_service_names(conn, actor.guild_id, new_services, at=now)
            return outcome, ChangeContext.of(config)

        return await self._change(actor, number, "outage update", _typed(typed), decide, now=now)

    async def resolve(
        self, actor: Actor, number: int, *, summary: str | None, silent: bool, now: datetime
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            outcome = rules.resolve(stored.incident, note=summary, at=now, by=actor.user_id)
            if silent:
                outcome = Outcome(
                    outcome.incident,
                    tuple(replace(e, silent=True) for e in outcome.entries),
                    replace(outcome.announce, silent=True, dm_followers=False),
                )
            await repo.clear_thread_archived(conn, stored.id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "summary": summary, "silent": silent}
        return await self._change(actor, number, "outage resolve", arguments, decide, now=now)

    async def reopen(self, actor: Actor, number: int, *, reason: str | None, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            outcome = rules.reopen(stored.incident, note=reason, at=now, by=actor.user_id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "reason": reason}
        return await self._change(actor, number, "outage reopen", arguments, decide, now=now)

    async def edit(self, actor: Actor, number: int, typed: EditInput, *, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            request = rules.EditRequest(
                title=typed.title,
                organisation=typed.organisation,
                impact=typed.impact,
                sector=resolve_sector(config, typed.sector) if typed.sector is not None else None,
                territories=_territories(typed.territories) if typed.territories is not None else None,
                severity=typed.severity,
                cause=typed.cause,
                started_at=_when(typed.started, "outage.field.started", config, now, "past"),
            )
            outcome = rules.edit_facts(stored.incident, request, at=now, by=actor.user_id)
            context = ChangeContext.of(
                config,
                rename_thread=outcome.title_changed,
                reroute=outcome.reroute_needed and stored.incident.status != Status.CANCELLED,
            )
            return outcome, context

        return await self._change(actor, number, "outage edit", _typed(typed), decide, now=now)

    async def cancel(
        self,
        actor: Actor,
        number: int,
        *,
        reason: CancelReason,
        duplicate_of: int | None,
        note: str | None,
        now: datetime,
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            original: Incident | None = None
            if duplicate_of is not None:
                other = await repo.get(conn, actor.guild_id, duplicate_of)
                if other is None:
                    raise OutageError("outage.error.incident_unknown", number=duplicate_of)
                original = other.incident
            outcome = rules.cancel(stored.incident, reason, duplicate_of=original, note=note, at=now, by=actor.user_id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "reason": reason.value, "duplicate_of": duplicate_of, "note": note}
        return await self._change(actor, number, "outage cancel", arguments, decide, now=now)

    async def assign(
        self, actor: Actor, number: int, *, to: int, to_roles: frozenset[int], now: datetime
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            if config.coordinator_role_id not in to_roles:
                raise OutageError("outage.error.assign_not_coordinator")
            outcome = rules.assign(stored.incident, to, at=now, by=actor.user_id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "coordinator": to}
        return await self._change(actor, number, "outage assign", arguments, decide, now=now)

    # -- the buttons --

    async def _member_click(
        self, actor: Actor, guild_id: int, number: int, action: str, *, affected: bool, now: datetime
    ) -> ClickResult:
        if guild_id != actor.guild_id:  # a button copied from another server's message
            raise OutageError("outage.error.incident_unknown", number=number)
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, actor.guild_id)
            stored = await repo.get(conn, actor.guild_id, number)
            if stored is None:
                raise OutageError("outage.error.incident_unknown", number=number)
            new = False
            count = stored.incident.affected_count
            if affected:
                if not stored.incident.is_open:
                    raise OutageError("outage.error.closed_for_clicks", number=number)
                if await repo.add_affected(conn, stored.id, actor.user_id, at=now):
                    new = True
                    outcome = rules.record_affected(stored.incident, at=now, by=actor.user_id)
                    saved = await repo.save(conn, stored, outcome.incident)
                    context = ChangeContext.of(config)
                    await plan_changed(conn, saved, outcome.entries, outcome.announce, context, now=now)
                    await repo.append_updates(conn, stored.id, outcome.entries, thread_post_row=None)
                    count = outcome.incident.affected_count
                if await repo.subscribe(conn, actor.guild_id, actor.user_id, "incident", str(stored.id), at=now):
                    await following.give_follow_role(conn, stored, actor.user_id, now=now)
            else:
                new = await repo.subscribe(conn, actor.guild_id, actor.user_id, "incident", str(stored.id), at=now)
                if new:
                    await following.give_follow_role(conn, stored, actor.user_id, now=now)
            result = "counted" if new else "already"
            await self._finish(conn, actor, action, {"incident": number}, f"#{number}: {result}", {}, now)
        return ClickResult(number=number, new=new, affected_count=count)

    async def affected(self, actor: Actor, guild_id: int, number: int, *, now: datetime) -> ClickResult:
        return await self._member_click(actor, guild_id, number, "button affected", affected=True, now=now)

    async def follow(self, actor: Actor, guild_id: int, number: int, *, now: datetime) -> ClickResult:
        return await self._member_click(actor, guild_id, number, "button follow", affected=False, now=now)

    # -- reading --

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
                    raise _field_error("outage.field.territories", exc) from None
                refs = overlapping_refs(found)
            sector_name = resolve_sector(config, sector) if sector is not None and sector.strip() else None
            window: tuple[datetime, datetime] | None = None
            if period is not None and period.strip():
                try:
                    window = parse_period(period, now=now, tz=config.zone)
                except TocsinError as exc:
                    raise _field_error("outage.field.period", exc) from None
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

    async def thread_id(self, thread_row: int) -> int | None:
        """The thread's id if the outbox has made it already, else None: the private reply never waits for
        it (the thread waits for the status message, paced by Discord's 5 messages / 5 s per channel); the
        link is added to the reply later by `link_private_reply`."""
        async with self.store.reading() as conn:
            row = await outbox.get(conn, thread_row)
        if row is not None and row.status == "done" and row.result is not None and "thread_id" in row.result:
            return int(row.result["thread_id"])
        return None

    async def link_private_reply(
        self,
        guild_id: int,
        thread_row: int,
        *,
        application_id: int,
        token: str,
        before: str,
        after: str,
        now: datetime,
    ) -> int:
        """Asks the worker to edit a private reply already sent into `before` + the thread's URL + `after` once
        the thread exists; returns the outbox row.

        Written after the reply was sent, not in the declaration's transaction: an edit delivered before the
        reply itself would race with it (the reply would then be a second message, or overwrite the link). A
        crash in between costs the link only; the declaration and its messages are already committed. The
        token lives 15 minutes: a later edit is refused by Discord and recorded failed, harmlessly."""
        async with self.store.unit_of_work() as conn:
            return await outbox.enqueue(
                conn,
                guild_id=guild_id,
                lane=outbox.reply_lane(guild_id),
                kind=OutboxKind.EDIT_INTERACTION_REPLY,
                payload={
                    "application_id": str(application_id),
                    "token": token,
                    "content": [before, thread_link(guild_id, thread_row), after],
                    "allowed_mentions": {"parse": []},
                },
                now=now,
            )

    # -- archiving resolved threads --

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

    # -- autocomplete --

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


def overlapping_refs(territory: territory_data.Territory) -> list[str]:
    """Every territory ref that overlaps `territory` (itself, what contains it, what it contains)."""
    refs = {territory.ref, territory_data.france().ref}
    region = territory_data.region_of(territory)
    if region is not None:
        refs.add(region.ref)
    if territory.kind in ("region", "country"):
        refs |= {d.ref for d in territory_data.departements_of(territory)}
    if territory.kind == "country":
        refs |= {r.ref for r in territory_data.regions()}
    return sorted(refs)


_OPTION_LABELS = {
    "title": "outage.option.title",
    "sector": "outage.option.sector",
    "territories": "outage.option.territories",
    "severity": "outage.option.severity",
}
_LIST_KEYS = ("outage.list_of.one", "outage.list_of.two", "outage.list_of.three", "outage.list_of.four")


def _field_list(names: Sequence[str]) -> Msg:
    """ "titre, secteur et gravité" in the reader's language (up to the four essentials)."""
    labels = {letter: Msg.of(_OPTION_LABELS[name]) for letter, name in zip("abcd", names, strict=False)}
    return Msg(_LIST_KEYS[len(labels) - 1], labels)


def _typed(typed: Any) -> dict[str, Any]:
    return {
        name: (value.value if hasattr(value, "value") else value)
        for name, value in vars(typed).items()
        if value is not None
    }
