"""How long an incident and each of its services lasted (README.md "Exports" defines them).

- Duration = resolved − started; a reopened incident counts from its start to its final resolution. An open
  incident has no duration (shown "en cours"), unless a `now` is given for a duration so far.
- Per service: its states form a timeline from its start (the incident's start for services declared with it,
  the update's time for a service added later) in the state it was declared with, to the incident's
  resolution, which ends whatever state it was in (or `now` while open). Downtime = time in `down`; degraded
  time = time in `degraded`. Spans are clipped to [start, end], so a start corrected later never makes a
  negative duration.
- Cancelled incidents have no durations: they are out of the figures.

The service timelines are read from the incident's timeline entries (bot.incidents.rules.lifecycle), which keep every
change; the incident itself only keeps each service's current state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Incident, ServiceState, Status

ZERO = timedelta(0)


class ServiceSpan(NamedTuple):
    """A stretch of time a service spent in one state. A named tuple, not a dataclass: an export builds ~10⁵."""

    state: ServiceState
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class ServiceDurations(NamedTuple):
    """One service's spans, with the time it spent down and degraded (summed once, as the spans are built:
    exports and figures read them several times per service)."""

    name: str
    key: str
    spans: tuple[ServiceSpan, ...]
    downtime: timedelta
    degraded_time: timedelta

    @property
    def impaired_time(self) -> timedelta:
        """Down or degraded: how long until the service was fully back."""
        return self.downtime + self.degraded_time


def total_duration(incident: Incident, *, now: datetime | None = None) -> timedelta | None:
    """started → resolved; for an open incident, started → `now` if given, else None; cancelled: None."""
    if incident.status == Status.CANCELLED:
        return None
    if incident.resolved_at is not None and incident.status == Status.RESOLVED:
        return max(incident.resolved_at - incident.started_at, timedelta(0))
    if now is None:
        return None
    return max(now - incident.started_at, timedelta(0))


_STATES: dict[str, ServiceState] = {state.value: state for state in ServiceState}


def _at(entry: Update) -> datetime:
    return entry.at


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def service_durations(
    incident: Incident, entries: Iterable[Update], *, now: datetime | None = None
) -> tuple[ServiceDurations, ...]:
    """Each service's spans in each state, in the order the services were first named.

    Ends at the resolution; for an open incident at `now` (required then). Cancelled incidents: ().
    """
    if incident.status == Status.CANCELLED:
        return ()
    if incident.status == Status.RESOLVED and incident.resolved_at is not None:
        end = incident.resolved_at
    elif now is not None:
        end = now
    else:
        raise ValueError("an open incident's service durations need `now`")
    names: dict[str, str] = {}
    changes: dict[str, list[tuple[datetime, ServiceState]]] = {}
    # Exports run this for every incident: states looked up in a dict rather than through the enum's call, and
    # the kinds, the start and the comparisons (`min`/`max` spelled out) kept local.
    states = _STATES
    started = incident.started_at
    declared, services_changed, resolved = UpdateKind.DECLARED, UpdateKind.SERVICES_CHANGED, UpdateKind.RESOLVED
    down_state, degraded_state = ServiceState.DOWN, ServiceState.DEGRADED
    for entry in sorted(entries, key=_at):
        kind = entry.kind
        if kind == declared:
            for service in entry.details.get("services", ()):
                names.setdefault(service["key"], service["name"])
                changes.setdefault(service["key"], []).append((started, states[service["state"]]))
        elif kind == services_changed:
            for change in entry.details.get("changes", ()):
                names.setdefault(change["key"], change["name"])
                changes.setdefault(change["key"], []).append((entry.at, states[change["to"]]))
        elif kind == resolved:
            for key in entry.details.get("services_restored", ()):
                changes.setdefault(key, []).append((entry.at, ServiceState.RESTORED))
    # Services the timeline does not mention (none, when entries are complete) still count from the start.
    for service in incident.services:
        if service.key not in changes:
            names[service.key] = service.name
            changes[service.key] = [(service.affected_since, service.state)]
    result: list[ServiceDurations] = []
    current_names = {service.key: service.name for service in incident.services}
    for key, points in changes.items():
        spans: list[ServiceSpan] = []
        down = degraded = ZERO
        last = len(points) - 1
        for index, (at, state) in enumerate(points):
            # start = min(max(at, started), end); stop = min(max(next or end, start), end)
            start = started if started > at else at
            if end < start:
                start = end
            stop = points[index + 1][0] if index < last else end
            if start > stop:
                stop = start
            if end < stop:
                stop = end
            if stop > start:
                spans.append(ServiceSpan(state, start, stop))
                if state == down_state:
                    down += stop - start
                elif state == degraded_state:
                    degraded += stop - start
        name = current_names.get(key) or names.get(key, key)
        result.append(ServiceDurations(name, key, tuple(spans), down, degraded))
    return tuple(result)


def restored_after(incident: Incident, key: str) -> timedelta | None:
    """For a service restored now: how long it was out (its own start → its restoration)."""
    service = incident.service(key)
    if service is None or service.state != ServiceState.RESTORED:
        return None
    return max(service.since - service.affected_since, timedelta(0))
