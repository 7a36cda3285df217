"""Figures over a set of incidents, as README.md "Exports" defines them.

Input is plain domain objects (`IncidentRecord`: an incident, its timeline, the authors' display names and a
link); nothing here reads a database or talks to Discord. Every duration comes from `bot.incidents.rules.durations`.

Rules, the issue's and those decided here where it is silent:
- An incident is in a period when its interval overlaps the period: started → resolved (now while open,
  cancelled_at for a cancelled one, so that cancelled incidents of the period can be listed apart). The period is
  start-inclusive, end-exclusive (`bot.common.periods`). An incident of no length counts when it lies inside.
- Cancelled incidents are listed apart (`Figures.cancelled`) and left out of every figure.
- Duration = resolved − started; an open incident is "en cours": counted in the counts, never in a duration,
  median or mean. MTTR = mean duration of the resolved incidents, overall and per sector.
- Time to declare = the declaration − the first member's report that led to it (reports that came after the
  declaration joined an outage already declared: no such figure). Reports set aside are listed apart
  (`SetAsideGroup`) and count for no incident.
- Time to first update = the first news entry (`UpdateKind.is_news`, the declaration itself excluded) dated after
  the declaration − declared. Corrections, hand-overs and "affected too" clicks are bookkeeping, not news. An
  incident with no such entry has none and is left out of that figure.
- Counts by territory: each row counts the incidents that concern its territory by routing's rule (their
  territories overlap it: a region counts the incidents declared on it, on one of its départements or France
  entière; a département those on it, on its region or France entière). Rows are every territory an incident
  names plus the region of every département named. An incident counts once per row however many of its
  territories fall in it, and in every row it concerns: rows add up to more than the number of incidents.
- Per service: `durations.service_durations`. For an open incident, a service still down or degraded is
  measured up to `now` (`ServiceFigure.ongoing`); a service already restored has its final figures. Totals per
  service name (`Figures.service_totals`) add resolved incidents only, like every other duration figure.
- Machines get whole minutes (`minutes`), truncated like `format_duration` so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.common import territories as territory_data
from bot.incidents.rules.durations import ZERO, ServiceDurations, service_durations, total_duration
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Incident, ServiceState, Severity, Status

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Reported:
    """What members' reports say of one incident: how many reports count for it (withdrawn and abuse ones do not),
    from how many members, and when the first came."""

    reports: int
    members: int
    first_at: datetime


@dataclass(frozen=True)
class SetAsideGroup:
    """Reports a coordinator set aside (no incident came of them): listed apart, in no incident's figures."""

    organisation: str
    reason: str | None
    at: datetime | None
    reports: int
    members: int


@dataclass(frozen=True)
class IncidentRecord:
    """One incident as exported: the incident, its whole timeline, who wrote it (user id → display name), a
    link to its thread, and what members' reports say of it."""

    incident: Incident
    timeline: Sequence[Update]
    authors: Mapping[int, str] = field(default_factory=dict)
    link: str | None = None
    reported: Reported | None = None

    def author(self, user_id: int) -> str:
        """The display name, or the id when the member is gone (a record must still say who it was)."""
        return self.authors.get(user_id) or str(user_id)


class AuditLine(NamedTuple):
    """One entry of the audit log, as the audit export writes it: its arguments as stored (JSON text)."""

    at: datetime
    actor_id: int | None
    action: str
    arguments: str
    result: str


def minutes(delta: timedelta | None) -> int | None:
    """Whole minutes, truncated (a duration of 59 s is 0 min), as `format_duration` shows them."""
    if delta is None:
        return None
    return delta // _MINUTE


def interval_end(incident: Incident, now: datetime) -> datetime:
    """Where the incident's interval ends: resolution, cancellation, or `now` while open."""
    if incident.status == Status.RESOLVED and incident.resolved_at is not None:
        return incident.resolved_at
    if incident.status == Status.CANCELLED and incident.cancelled_at is not None:
        return incident.cancelled_at
    return max(now, incident.started_at)


def in_period(record: IncidentRecord | Incident, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether the incident's interval (started → resolved, or now if open) overlaps [start, end)."""
    incident = record.incident if isinstance(record, IncidentRecord) else record
    began = incident.started_at
    stop = interval_end(incident, now)
    if began >= end:
        return False
    return stop > start or began >= start


UPDATE_KINDS = frozenset(kind for kind in UpdateKind if kind.is_news and kind != UpdateKind.DECLARED)


def is_update(entry: Update) -> bool:
    """A news update after the declaration: what "updates" and "time to first update" count."""
    return entry.kind in UPDATE_KINDS


def update_count(timeline: Iterable[Update]) -> int:
    """News updates, one per command: the entries of one command share time and author."""
    # Distinct (at, by) pairs, counted over runs of equal times rather than in a set of pairs: hashing an aware
    # datetime asks its zone for the offset, and a large export counts ~10⁵ entries.
    count = 0
    run_at: datetime | None = None
    run_authors: set[int] = set()
    for entry in sorted(timeline, key=_at):
        if entry.kind not in UPDATE_KINDS:
            continue
        if entry.at != run_at:
            run_at = entry.at
            run_authors.clear()
        if entry.by not in run_authors:
            run_authors.add(entry.by)
            count += 1
    return count


def _at(entry: Update) -> datetime:
    return entry.at


def time_to_declare(record: IncidentRecord) -> timedelta | None:
    """From the first member's report to the declaration; None when no report came before it (reports about an
    outage already declared join it, they did not lead to it)."""
    reported = record.reported
    declared = record.incident.declared_at
    if reported is None or reported.first_at >= declared:
        return None
    return declared - reported.first_at


def time_to_first_update(record: IncidentRecord) -> timedelta | None:
    declared = record.incident.declared_at
    later = [entry.at for entry in record.timeline if entry.kind in UPDATE_KINDS and entry.at > declared]
    return min(later) - declared if later else None


class ServiceFigure(NamedTuple):
    """One service of one incident as the exports show it. A named tuple: an export builds one per service."""

    name: str
    key: str
    state: ServiceState  # at the end of the measure (restored at resolution)
    durations: ServiceDurations
    ongoing: bool  # still down or degraded in an open incident: measured up to `now`

    @property
    def downtime(self) -> timedelta:
        return self.durations.downtime

    @property
    def degraded_time(self) -> timedelta:
        return self.durations.degraded_time


@dataclass(frozen=True)
class Measure:
    """What the exports show of one incident, computed once."""

    record: IncidentRecord
    duration: timedelta | None  # resolved only
    elapsed: timedelta | None  # open only: started → now, shown as "en cours depuis"
    first_update: timedelta | None
    updates: int
    services: tuple[ServiceFigure, ...]
    to_declare: timedelta | None = None  # first report → declaration

    @property
    def incident(self) -> Incident:
        return self.record.incident


def measure(record: IncidentRecord, *, now: datetime) -> Measure:
    incident = record.incident
    cancelled = incident.status == Status.CANCELLED
    resolved = incident.status == Status.RESOLVED
    services: tuple[ServiceFigure, ...] = ()
    if not cancelled:
        restored = ServiceState.RESTORED
        current = {s.key: s.state for s in incident.services}
        # Resolved: every service restored at the resolution; open: as it stands, measured up to `now` if not back.
        services = tuple(
            [
                ServiceFigure(d.name, d.key, state, d, state != restored)
                for d in service_durations(incident, record.timeline, now=now)
                for state in (restored if resolved else current.get(d.key, restored),)
            ]
        )
    return Measure(
        record=record,
        duration=total_duration(incident),
        elapsed=total_duration(incident, now=now) if incident.is_open else None,
        first_update=time_to_first_update(record),
        updates=update_count(record.timeline),
        services=services,
        to_declare=time_to_declare(record),
    )


@dataclass(frozen=True)
class DurationStats:
    """Durations of resolved incidents: how many, their sum, median and mean (the MTTR)."""

    count: int
    total: timedelta
    median: timedelta | None
    mean: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta]) -> DurationStats:
        if not values:
            return cls(0, ZERO, None, None)
        # Sorted as timedeltas (no float per value): exports take these for every sector, territory and service.
        ordered = sorted(values)
        total = sum(ordered, ZERO)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return cls(count=len(ordered), total=total, median=median, mean=total / len(ordered))


_NO_DURATIONS = DurationStats.of([])


@dataclass(frozen=True)
class ServiceTotal:
    """One service name across the resolved incidents that named it (names compared by key)."""

    name: str
    key: str
    incidents: int
    downtime: timedelta
    degraded_time: timedelta
    restore: DurationStats  # each incident's time to restore it (down + degraded): its MTTR is the mean


@dataclass(frozen=True)
class CancelledEntry:
    number: int
    title: str
    reason: str | None
    duplicate_of: int | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class Figures:
    incidents: int  # counted: everything but the cancelled
    resolved: int
    open: int
    by_severity: Mapping[Severity, int]  # every severity, most severe first, zero included
    by_sector: Mapping[str, int]  # most incidents first
    by_territory: Mapping[str, int]  # territory ref → incidents that concern it (module docstring)
    mttr_by_territory: Mapping[str, DurationStats]  # the same rows: durations of their resolved incidents
    durations: DurationStats  # resolved incidents: total, median, MTTR (mean)
    mttr_by_sector: Mapping[str, DurationStats]
    first_update: DurationStats  # incidents that had a news update after their declaration
    service_totals: tuple[ServiceTotal, ...]  # resolved incidents, most downtime first
    cancelled: tuple[CancelledEntry, ...]  # listed apart, counted in nothing above
    reports: int = 0  # members' reports that count for the incidents above
    to_declare: DurationStats = field(default_factory=lambda: DurationStats.of([]))  # first report → declaration

    @property
    def mttr(self) -> timedelta | None:
        return self.durations.mean


def _territory_rows(refs: Iterable[str]) -> dict[str, territory_data.Territory]:
    rows: dict[str, territory_data.Territory] = {}
    for ref in refs:
        territory = territory_data.get(ref)
        rows[territory.ref] = territory
        region = territory_data.region_of(territory)
        if region is not None:
            rows[region.ref] = region
    return rows


def _sort_territories(counts: dict[str, int]) -> dict[str, int]:
    order = {"country": 0, "region": 1, "departement": 2}

    def key(ref: str) -> tuple[int, int, str]:
        territory = territory_data.get(ref)
        return (-counts[ref], order[territory.kind], territory.code)

    return {ref: counts[ref] for ref in sorted(counts, key=key)}


def figures(records: Iterable[IncidentRecord | Measure], *, now: datetime) -> Figures:
    """The figures of the records given (already filtered to a period by the caller, `in_period`)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    counted: list[Incident] = []
    cancelled: list[CancelledEntry] = []
    by_severity = dict.fromkeys(sorted(Severity, key=lambda s: -s.rank), 0)
    by_sector: dict[str, int] = {}
    durations: list[timedelta] = []
    sector_durations: dict[str, list[timedelta]] = {}
    first_updates: list[timedelta] = []
    services: dict[str, ServiceTotal] = {}
    restore_times: dict[str, list[timedelta]] = {}
    to_declare: list[timedelta] = []
    reports = 0
    resolved = 0
    resolved_durations: dict[int, timedelta] = {}  # by the incident object's id: the same object is met again below
    for item in records:
        m = item if isinstance(item, Measure) else measure(item, now=now)
        incident = m.incident
        if incident.status == Status.CANCELLED:
            cancelled.append(
                CancelledEntry(
                    number=incident.number,
                    title=incident.title,
                    reason=incident.cancelled_reason.value if incident.cancelled_reason else None,
                    duplicate_of=incident.duplicate_of,
                    cancelled_at=incident.cancelled_at,
                )
            )
            continue
        counted.append(incident)
        by_severity[incident.severity] += 1
        by_sector[incident.sector] = by_sector.get(incident.sector, 0) + 1
        if m.first_update is not None:
            first_updates.append(m.first_update)
        if m.to_declare is not None:
            to_declare.append(m.to_declare)
        if m.record.reported is not None:
            reports += m.record.reported.reports
        if m.duration is None:
            continue
        resolved += 1
        durations.append(m.duration)
        resolved_durations[id(incident)] = m.duration
        sector_durations.setdefault(incident.sector, []).append(m.duration)
        for service in m.services:
            total = services.get(service.key)
            services[service.key] = ServiceTotal(
                name=total.name if total else service.name,
                key=service.key,
                incidents=(total.incidents if total else 0) + 1,
                downtime=(total.downtime if total else ZERO) + service.downtime,
                degraded_time=(total.degraded_time if total else ZERO) + service.degraded_time,
                restore=_NO_DURATIONS,
            )
            restore_times.setdefault(service.key, []).append(service.downtime + service.degraded_time)
    rows = _territory_rows(ref for incident in counted for ref in incident.territories)
    by_territory: dict[str, int] = {}
    territory_durations: dict[str, list[timedelta]] = {}
    # Thousands of incidents share a few territories: decide each (row, territory) pair and each list once.
    pairs: dict[tuple[str, str], bool] = {}

    def concerns(row: str, ref: str) -> bool:
        found = pairs.get((row, ref))
        if found is None:
            found = pairs[(row, ref)] = territory_data.overlaps(rows[row], territory_data.get(ref))
        return found

    matched: dict[tuple[str, ...], list[str]] = {}
    for incident in counted:
        if incident.territories not in matched:
            matched[incident.territories] = [
                row for row in rows if any(concerns(row, ref) for ref in incident.territories)
            ]
        duration = resolved_durations.get(id(incident))
        for ref in matched[incident.territories]:
            by_territory[ref] = by_territory.get(ref, 0) + 1
            if duration is not None:
                territory_durations.setdefault(ref, []).append(duration)
    by_territory = _sort_territories(by_territory)
    return Figures(
        incidents=len(counted),
        resolved=resolved,
        open=sum(1 for incident in counted if incident.is_open),
        by_severity=by_severity,
        by_sector=dict(sorted(by_sector.items(), key=lambda item: (-item[1], item[0]))),
        by_territory=by_territory,
        mttr_by_territory={
            ref: DurationStats.of(territory_durations[ref]) for ref in by_territory if ref in territory_durations
        },
        durations=DurationStats.of(durations),
        mttr_by_sector={
            sector: DurationStats.of(values)
            for sector, values in sorted(sector_durations.items(), key=lambda item: (-len(item[1]), item[0]))
        },
        first_update=DurationStats.of(first_updates),
        service_totals=tuple(
            sorted(
                (replace(s, restore=DurationStats.of(restore_times[s.key])) for s in services.values()),
                key=lambda s: (-s.downtime, -s.degraded_time, s.name),
            )
        ),
        cancelled=tuple(sorted(cancelled, key=lambda c: c.number)),
        reports=reports,
        to_declare=DurationStats.of(to_declare),
    )
