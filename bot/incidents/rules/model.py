"""Incidents: what one outage is, and which status changes are allowed.

Status rules:
- The open statuses (investigating, identified, monitoring) follow each other in any direction. The order is
  the usual story, but outages relapse: a "monitoring" incident whose fix fails goes back to "identified",
  and a coordinator who picked the wrong status must be able to correct it with one update.
- `resolved` is reached from any open status, by resolving (not by an update's status option, so that the
  recovery announcement and its durations always happen).
- `cancelled` (false alarm or duplicate) is reached from an open status only. A resolved incident was real;
  it stays in the figures.
- Both are final, except that a resolved incident can be reopened to an open status (investigating unless the
  coordinator says otherwise), recorded in the timeline; its duration then runs to its final resolution.
  A cancelled incident is never reopened: it is out of the figures and a mistaken cancellation is better
  declared again than silently brought back into them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.common.errors import TocsinError


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def is_raised_to(self, other: Severity) -> bool:
        """Whether changing from this severity to `other` raises it (the change that pings again)."""
        return other.rank > self.rank


_SEVERITY_RANK = {Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


class Cause(StrEnum):
    CYBERATTACK_SUSPECTED = "cyberattack_suspected"
    CYBERATTACK_CONFIRMED = "cyberattack_confirmed"
    TECHNICAL_FAILURE = "technical_failure"
    OVERLOAD = "overload"
    UNKNOWN = "unknown"


class ServiceState(StrEnum):
    DOWN = "down"
    DEGRADED = "degraded"
    RESTORED = "restored"


class CancelReason(StrEnum):
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, kw_only=True)
class IncidentService:
    """One impacted service of an incident. `key` is how names compare (`text.name_key`); `since` is when it
    entered its current state; `affected_since` is when its own timeline began (the incident's start for
    services declared with it, the update's time for one added later)."""

    name: str
    key: str
    state: ServiceState
    since: datetime
    affected_since: datetime


@dataclass(frozen=True, kw_only=True)
class Workaround:
    """The current consignes; every change bumps `version` (the earlier versions live in the timeline)."""

    version: int
    text: str
    set_at: datetime
    set_by: int


class LinkKind(StrEnum):
    RELATED = "related"  # a coordinator said the two outages belong together (both ways)
    DUPLICATE = "duplicate"  # the other outage was cancelled as a duplicate of this one


@dataclass(frozen=True, order=True)
class IncidentLink:
    """Another outage of the same server this one is linked to, by number (shown in its status message)."""

    number: int
    kind: LinkKind


@dataclass(frozen=True, kw_only=True)
class Incident:
    guild_id: int
    number: int
    title: str
    sector: str
    territories: tuple[str, ...]  # territory refs (`Territory.ref`): "FR", "R53", "29"
    severity: Severity
    cause: Cause
    status: Status
    started_at: datetime
    declared_at: datetime
    declared_by: int
    owner_id: int
    updated_at: datetime
    organisation: str | None = None
    description: str | None = None
    impact: str | None = None
    eta: datetime | None = None
    next_update_at: datetime | None = None
    next_update_by: int | None = None
    workaround: Workaround | None = None
    services: tuple[IncidentService, ...] = ()
    affected_count: int = 0
    resolved_at: datetime | None = None
    resolution_note: str | None = None
    cancelled_at: datetime | None = None
    cancelled_reason: CancelReason | None = None
    duplicate_of: int | None = None
    reopen_count: int = 0
    thread_id: int | None = None
    links: tuple[IncidentLink, ...] = ()  # read from its timeline (`lifecycle.links_after`), never a column

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def label(self) -> str:
        return f"#{self.number}"

    def service(self, key: str) -> IncidentService | None:
        return next((s for s in self.services if s.key == key), None)


class TransitionError(TocsinError, ValueError):
    """A status change the rules do not allow; the message says what can be done instead."""


def check_transition(current: Status, to: Status) -> None:
    """Raise `TransitionError` unless `current → to` is allowed (module docstring)."""
    if current == to:
        if to == Status.RESOLVED:
            raise TransitionError("incident.error.already_resolved")
        if to == Status.CANCELLED:
            raise TransitionError("incident.error.already_cancelled")
        raise TransitionError("incident.error.same_status")
    if current == Status.CANCELLED:
        raise TransitionError("incident.error.cancelled_final")
    if current == Status.RESOLVED and to == Status.CANCELLED:
        raise TransitionError("incident.error.cancel_resolved")
    # Every other pair is allowed: open ↔ open, open → resolved, open → cancelled, resolved → open (reopen).


def update_late_since(incident: Incident, now: datetime) -> datetime | None:
    """When the update the coordinator committed to ("next update") became late, if it has: the incident is open
    and that time has passed. Boards and the status message show it as "late since …"."""
    due = incident.next_update_at
    if not incident.is_open or due is None or now < due:
        return None
    return due


def not_before_start(incident: Incident, at: datetime) -> datetime:
    """An end or a change is never stored before the incident began: a clock moved back puts it at the start."""
    return max(at, incident.started_at, incident.declared_at)


def transition(incident: Incident, to: Status, *, at: datetime) -> Incident:
    """The incident in status `to` at `at`, with the dates that go with it; `TransitionError` if not allowed.

    This is the one place that knows the status rules; declare/update/resolve/reopen/cancel
    (bot.incidents.rules.lifecycle)
    all go through it and add what else their change means.
    """
    check_transition(incident.status, to)
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    if to == Status.RESOLVED:
        at = not_before_start(incident, at)
        return replace(incident, status=to, resolved_at=at, updated_at=at, next_update_at=None, next_update_by=None)
    if to == Status.CANCELLED:
        return replace(incident, status=to, cancelled_at=at, updated_at=at, next_update_at=None, next_update_by=None)
    if incident.status == Status.RESOLVED:
        return replace(incident, status=to, resolved_at=None, updated_at=at, reopen_count=incident.reopen_count + 1)
    return replace(incident, status=to, updated_at=at)
