"""Planned maintenance: what it is, when each of its messages is due, and what may change it.

A maintenance is announced where an incident with the same facts would be (the routes, bot/incidents/rules/
routing.py), and its life is a line of stages, each reached at a planned time:

  scheduled ──(start − lead)──▶ reminded ──(start)──▶ started ──(end − ASK_BEFORE_END)──▶ asked ──(end)──▶ ended

- four messages go where its routes lead: at scheduling and at the reminder, each mentioning the route's role;
  at the start and at the end, pinging nobody (the standing announcement is edited each time);
- `asked` posts, in its thread, a question to its owner alone: will it end on time (Extend, or Turn into an
  incident)? It is due `ASK_BEFORE_END` before the end, or at the start when the maintenance is shorter;
- a reminder whose time is not after the scheduling (a maintenance planned less than `lead` ahead) is not sent:
  the scheduling message just told the same people;
- when several times have passed at once (the bot was down, or the question is due at the start of a short
  maintenance), the furthest stage is reached in one step, and only what is still true is told (`to_tell`): a
  reminder after the start has passed, or a start or a question after the end has passed, would not be.

Rescheduling before the start puts the stage back to `scheduled` (the reminder is due again at its new time);
once started, only the end may move (`extend`). Cancelling ends the line (`cancelled`); turning it into an
incident too (`converted`): from there on it is that incident in every figure.

Times are instants (UTC): the planned start and end were read on the server's wall clock by the time parser,
and every stage time is a fixed distance from them, so a clock change between them moves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.board.rules import PlannedStop
from bot.common.errors import TocsinError
from bot.incidents.rules.routing import AnnouncementTarget, Route, route_matches

DEFAULT_LEAD = timedelta(hours=1)
# The reminder's lead an admin may choose: from a few minutes to a week.
MIN_LEAD = timedelta(minutes=5)
MAX_LEAD = timedelta(days=7)
# The owner is asked this long before the end whether it will end on time.
ASK_BEFORE_END = timedelta(minutes=15)
# The longest a maintenance may last, and the farthest ahead it may be planned (the time parser's own limit).
MAX_LENGTH = timedelta(days=31)
MAX_SERVICES = 10


class MaintenanceError(TocsinError, ValueError):
    """A request the maintenance's rules refuse; the message says what to do instead."""


class Stage(StrEnum):
    SCHEDULED = "scheduled"
    REMINDED = "reminded"
    STARTED = "started"
    ASKED = "asked"
    ENDED = "ended"
    CANCELLED = "cancelled"
    CONVERTED = "converted"

    @property
    def closed(self) -> bool:
        return self in (Stage.ENDED, Stage.CANCELLED, Stage.CONVERTED)


class Told(StrEnum):
    """The messages a maintenance tells beyond its thread (its webhooks' moments), each recorded with the times it
    told in the unit of work of its change (store `add_message`): the public feeds' entries."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    EXTENDED = "extended"
    STARTED = "started"
    ENDED = "ended"
    CANCELLED = "cancelled"
    CONVERTED = "converted"


@dataclass(frozen=True)
class ToldMessage:
    """One recorded message: `place` its order among its maintenance's (0 the scheduling, append only), and the
    start and end as they were then (a reschedule does not rewrite what was told before)."""

    kind: Told
    at: datetime
    place: int
    starts_at: datetime
    ends_at: datetime


# The stages a maintenance goes through on its own, in order.
LINE = (Stage.SCHEDULED, Stage.REMINDED, Stage.STARTED, Stage.ASKED, Stage.ENDED)


@dataclass(frozen=True, kw_only=True)
class Maintenance:
    guild_id: int
    number: int
    organisation: str
    sector: str
    territories: tuple[str, ...]
    services: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    scheduled_at: datetime
    owner_id: int
    lead: timedelta = DEFAULT_LEAD
    workaround: str | None = None
    stage: Stage = Stage.SCHEDULED
    ended_at: datetime | None = None
    public: bool = False
    thread_id: int | None = None

    @property
    def label(self) -> str:
        return f"M{self.number}"

    @property
    def title(self) -> str:
        """What it stops, as boards and digests name it: its services, else its organisation."""
        return ", ".join(self.services) if self.services else self.organisation

    @property
    def in_progress(self) -> bool:
        return self.stage in (Stage.STARTED, Stage.ASKED)

    @property
    def pending(self) -> bool:
        return not self.stage.closed

    def stage_time(self, stage: Stage) -> datetime | None:
        """When `stage` is due (None: it is not, a reminder that would come before the scheduling)."""
        if stage == Stage.REMINDED:
            at = self.starts_at - self.lead
            return at if at > self.scheduled_at else None
        if stage == Stage.STARTED:
            return self.starts_at
        if stage == Stage.ASKED:
            return max(self.starts_at, self.ends_at - ASK_BEFORE_END)
        if stage == Stage.ENDED:
            return self.ends_at
        return None

    def as_stop(self) -> PlannedStop:
        return PlannedStop(
            guild_id=self.guild_id,
            title=self.title,
            organisation=self.organisation if self.services else None,
            territories=self.territories,
            sector=self.sector,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            thread_id=self.thread_id,
        )


def due_stage(maintenance: Maintenance, now: datetime) -> Stage | None:
    """The furthest stage whose time has come and that it has not reached yet: the one to act on now."""
    if not maintenance.pending:
        return None
    reached = LINE.index(maintenance.stage)
    due: Stage | None = None
    for stage in LINE[reached + 1 :]:
        at = maintenance.stage_time(stage)
        if at is not None and at <= now:
            due = stage
    return due


def to_tell(maintenance: Maintenance, now: datetime) -> tuple[Stage, ...]:
    """The stages whose messages go out now, in order: the furthest due, and the start with it when the
    question is due at once (a maintenance shorter than `ASK_BEFORE_END`, or a bot down since before its start):
    the start is still true until the end. A reminder whose start has passed, a start whose end has passed, are
    not."""
    furthest = due_stage(maintenance, now)
    if furthest is None:
        return ()
    if furthest == Stage.ASKED and LINE.index(maintenance.stage) < LINE.index(Stage.STARTED):
        return (Stage.STARTED, Stage.ASKED)
    return (furthest,)


def next_stage(maintenance: Maintenance) -> tuple[Stage, datetime] | None:
    """The next stage it will reach on its own, and when."""
    if not maintenance.pending:
        return None
    reached = LINE.index(maintenance.stage)
    for stage in LINE[reached + 1 :]:
        at = maintenance.stage_time(stage)
        if at is not None:
            return stage, at
    return None  # pragma: no cover - ENDED always has a time


def wake_at(maintenance: Maintenance, now: datetime, horizon: timedelta) -> datetime | None:
    """When its timer must wake next: its next stage, or the moment it enters the boards' horizon if sooner."""
    following = next_stage(maintenance)
    if following is None:
        return None
    listed = maintenance.starts_at - horizon
    return min(following[1], listed) if listed > now else following[1]


def check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise MaintenanceError("maintenance.error.start_past")
    if ends_at <= starts_at:
        raise MaintenanceError("maintenance.error.end_before_start")
    if ends_at - starts_at > MAX_LENGTH:
        raise MaintenanceError("maintenance.error.too_long", most=MAX_LENGTH.days)


def check_lead(lead: timedelta) -> None:
    if not MIN_LEAD <= lead <= MAX_LEAD:
        raise MaintenanceError(
            "maintenance.error.lead_range",
            least=int(MIN_LEAD.total_seconds() // 60),
            most=MAX_LEAD.days,
        )


def reschedule(maintenance: Maintenance, starts_at: datetime, ends_at: datetime, now: datetime) -> Maintenance:
    """New times before it starts: the line begins again (a reminder is due again at its new time); the
    scheduling is now, so a reminder that would come before it is not sent. Once started, only `extend`."""
    if not maintenance.pending:
        raise MaintenanceError("maintenance.error.closed", label=maintenance.label)
    if maintenance.stage not in (Stage.SCHEDULED, Stage.REMINDED):
        raise MaintenanceError("maintenance.error.already_started", label=maintenance.label)
    check_times(starts_at, ends_at, now)
    return replace(maintenance, starts_at=starts_at, ends_at=ends_at, scheduled_at=now, stage=Stage.SCHEDULED)


def extend(maintenance: Maintenance, ends_at: datetime, now: datetime) -> Maintenance:
    """A later end. In progress, it goes back to `started`: the owner is asked again before the new end."""
    if not maintenance.pending:
        raise MaintenanceError("maintenance.error.closed", label=maintenance.label)
    if ends_at <= max(now, maintenance.ends_at):
        raise MaintenanceError("maintenance.error.extend_not_later")
    if ends_at - maintenance.starts_at > MAX_LENGTH:
        raise MaintenanceError("maintenance.error.too_long", most=MAX_LENGTH.days)
    stage = Stage.STARTED if maintenance.in_progress else maintenance.stage
    return replace(maintenance, ends_at=ends_at, stage=stage)


def cancel(maintenance: Maintenance, now: datetime) -> Maintenance:
    if not maintenance.pending:
        raise MaintenanceError("maintenance.error.closed", label=maintenance.label)
    return replace(maintenance, stage=Stage.CANCELLED, ended_at=now)


def convert(maintenance: Maintenance, now: datetime) -> Maintenance:
    """Turned into an incident: only once it has started and before it is over."""
    if not maintenance.in_progress:
        if maintenance.pending:
            raise MaintenanceError("maintenance.error.not_started", label=maintenance.label)
        raise MaintenanceError("maintenance.error.closed", label=maintenance.label)
    return replace(maintenance, stage=Stage.CONVERTED, ended_at=now)


def reach(maintenance: Maintenance, stage: Stage, now: datetime) -> Maintenance:
    return replace(maintenance, stage=stage, ended_at=now if stage == Stage.ENDED else maintenance.ended_at)


def may_act(maintenance: Maintenance, user_id: int, *, coordinator: bool) -> bool:
    """Its owner, or any coordinator."""
    return coordinator or user_id == maintenance.owner_id


def announcement_targets(routes: Iterable[Route], maintenance: Maintenance) -> list[AnnouncementTarget]:
    """Where an incident with the same facts would be announced, with the roles the routes there mention."""
    roles_by_channel: dict[int, list[int]] = {}
    for route in routes:
        if route.guild_id != maintenance.guild_id:
            continue
        if not route_matches(route, maintenance.territories, maintenance.sector):
            continue
        roles = roles_by_channel.setdefault(route.channel_id, [])
        if route.role_id is not None and route.role_id not in roles:
            roles.append(route.role_id)
    return [AnnouncementTarget(channel_id, tuple(roles)) for channel_id, roles in roles_by_channel.items()]


def services_of(names: Sequence[str]) -> tuple[str, ...]:
    """Names once each (compared without case), at most `MAX_SERVICES`."""
    seen: dict[str, str] = {}
    for name in names:
        cleaned = " ".join(name.split())
        if cleaned and cleaned.casefold() not in seen:
            seen[cleaned.casefold()] = cleaned
    if len(seen) > MAX_SERVICES:
        raise MaintenanceError("maintenance.error.too_many_services", limit=MAX_SERVICES)
    return tuple(seen.values())
