"""When a digest is due, what it covers, and what it says.

- A daily digest is due every day at its time of day, a weekly one on its weekday at that time, on the wall clock
  of the server's zone (right across the clock changes: a time that does not exist that night is the first one
  after it; one that happens twice is the first).
- With `working_days_only`, a digest that would fall on a day off (a weekday the server does not work, or a
  public holiday of its country: `/setup hours`) moves to the next working day at the same time; the ones that
  would have followed meanwhile are that same digest: it covers every day since the last one.
- A digest covers from the end of the last one (its setting up, for the first) to the moment it is made. One that
  came due while the bot was down is made once, at start-up, tagged late (made more than `LATE_AFTER` after its
  time), and the next is the first due after that.
- Nothing to say (no open incident, nothing declared, resolved or planned in the period): one line, or nothing at
  all when the admin chose to skip quiet digests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.board.rules import PlannedStop
from bot.common.working_time import WorkingTime
from bot.incidents.rules.model import Incident, Status
from bot.settings.rules.model import SetupError

# Made later than this after its time, a digest says it is late.
LATE_AFTER = timedelta(minutes=5)
# A server's digests, at most.
MAX_DIGESTS = 10


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"


class WhenQuiet(StrEnum):
    SAY = "say"  # one line: nothing to report
    SKIP = "skip"  # no message at all


@dataclass(frozen=True, kw_only=True)
class Digest:
    id: int
    guild_id: int
    channel_id: int
    every: Every
    at: time  # wall-clock time of day in the server's zone
    weekday: int | None = None  # ISO weekday of a weekly digest (Monday = 1)
    working_days_only: bool = False
    when_quiet: WhenQuiet = WhenQuiet.SAY


def check_new_digest(digests: Sequence[Digest], *, channel_id: int, every: Every, weekday: int | None) -> None:
    if every == Every.WEEK and weekday is None:
        raise SetupError("digest.error.weekday_needed")
    if any((d.channel_id, d.every, d.weekday) == (channel_id, every, weekday) for d in digests):
        raise SetupError("digest.error.exists", channel=f"<#{channel_id}>")
    if len(digests) >= MAX_DIGESTS:
        raise SetupError("digest.error.too_many", maximum=MAX_DIGESTS)


def wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, as a UTC instant: the first of two when the clocks go back, the first instant after
    the gap when it does not exist."""
    naive = datetime.combine(day, at)
    instant = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # In the spring gap: the clocks jumped between the two readings of `naive` (fold 1 is the earlier instant).
    low, high = naive.replace(tzinfo=zone, fold=1).astimezone(UTC), instant
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_due(digest: Digest, after: datetime, working: WorkingTime) -> datetime:
    """The first time the digest is due strictly after `after` (moved to a working day when it asks for it)."""
    zone = working.zone
    day = after.astimezone(zone).date()
    for offset in range(15):
        candidate_day = day + timedelta(days=offset)
        if digest.every == Every.WEEK and candidate_day.isoweekday() != digest.weekday:
            continue
        due = wall_time(candidate_day, digest.at, zone)
        if due <= after:
            continue
        if digest.working_days_only:
            moved = candidate_day
            while not working.is_working_day(moved):
                moved += timedelta(days=1)
            due = wall_time(moved, digest.at, zone)
        return due
    raise ValueError("a digest is due within two weeks")  # pragma: no cover - a weekday recurs every 7 days


@dataclass(frozen=True)
class DigestFacts:
    """What one digest says: its period [start, end), when it was due, and the incidents of the period."""

    start: datetime
    end: datetime
    due: datetime
    open: tuple[Incident, ...]
    declared: tuple[Incident, ...]
    resolved: tuple[Incident, ...]
    planned: tuple[PlannedStop, ...] = ()  # maintenance planned in the period, or taking place then or next

    @property
    def late(self) -> bool:
        return self.end - self.due > LATE_AFTER

    @property
    def quiet(self) -> bool:
        return not (self.open or self.declared or self.resolved or self.planned)


def digest_facts(
    *,
    start: datetime,
    end: datetime,
    due: datetime,
    open_now: Sequence[Incident],
    declared: Sequence[Incident],
    resolved: Sequence[Incident],
    planned: Sequence[PlannedStop] = (),
) -> DigestFacts:
    """The facts in order: open incidents worst first then oldest; declared and resolved ones by time."""
    worst_first = sorted(open_now, key=lambda i: (-i.severity.rank, i.started_at, i.number))
    in_period = [i for i in declared if start <= i.declared_at < end]
    ended = [
        i
        for i in resolved
        if i.status == Status.RESOLVED and i.resolved_at is not None and start <= i.resolved_at < end
    ]
    return DigestFacts(
        start,
        end,
        due,
        tuple(worst_first),
        tuple(sorted(in_period, key=lambda i: (i.declared_at, i.number))),
        tuple(sorted(ended, key=lambda i: (i.resolved_at or end, i.number))),
        tuple(sorted(planned, key=lambda s: (s.starts_at, s.title))),
    )
