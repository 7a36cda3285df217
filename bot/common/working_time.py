"""Working time: when a server's coordinators are expected to be at work, so that non-critical nudges wait for it.

A moment is working time when, on the server's wall clock, its day is one of the working weekdays, is not a
public holiday of the configured country, and its time of day lies in [start, end) — the end is excluded, so
with the default 09:00–19:00 a nudge due at 19:00 sharp waits for the next morning.

Everything is computed on the zone's wall clock (zoneinfo) and compared as UTC instants: two datetimes that
share one ZoneInfo compare by wall clock, ignoring fold, which is wrong on the night the clocks go back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: Monday = 1
# A year and a bit covers any set of working days, even one weekday that is sometimes a holiday.
_SEARCH_DAYS = 400


@cache
def _public_holidays(country: str) -> holidays.HolidayBase:
    # One calendar per country, which fills in further years by itself as they are looked up (`expand`).
    return holidays.country_holidays(country)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class WorkingTime:
    """Working days (ISO weekdays), a daily span [start, end) on the zone's wall clock, and the country whose
    public holidays are days off (None: no holidays). Defaults: Monday–Friday 09:00–19:00, Paris, France."""

    days: frozenset[int] = WEEKDAYS
    start: time = time(9, 0)
    end: time = time(19, 0)
    zone: ZoneInfo = field(default=PARIS)
    holidays_country: str | None = "FR"

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(1, 8)):
            raise ValueError(f"working days must be ISO weekdays 1–7, got {sorted(self.days)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are wall-clock times, without a zone")
        if self.end <= self.start:
            raise ValueError("working time ends after it starts, within one day")
        if self.holidays_country:
            # Fail when the configuration is built, not at the first nudge (NotImplementedError if unknown).
            _public_holidays(self.holidays_country)

    def is_holiday(self, day: date) -> bool:
        if not self.holidays_country:
            return False
        return day in _public_holidays(self.holidays_country)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.days and not self.is_holiday(day)

    def is_working(self, at: datetime) -> bool:
        """Whether `at` (aware) is working time."""
        local = _utc(at).astimezone(self.zone)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_start(self, at: datetime) -> datetime:
        """The first working instant at or after `at`: `at` itself when it is working time, else the moment
        working time next begins. Returned aware, in the zone."""
        instant = _utc(at)
        if self.is_working(instant):
            return instant.astimezone(self.zone)
        day = instant.astimezone(self.zone).date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                for candidate in sorted(self._entries(day)):
                    if candidate > instant and self.is_working(candidate):
                        return candidate.astimezone(self.zone)
            day += timedelta(days=1)
        raise ValueError("no working time within a year")  # pragma: no cover - excluded by __post_init__

    def _entries(self, day: date) -> set[datetime]:
        """The instants of `day` at which working time may begin, as UTC.

        Working time begins where the wall clock reaches `start` (twice when `start` is repeated as the clocks
        go back: fold 0 and fold 1), or where the clocks jump: into the span when `start` falls in the spring
        gap, or back into it in autumn. Callers keep the candidates that are actually working time.
        """
        wall = datetime.combine(day, self.start)
        entries = {wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
        change = self._clock_change(day)
        if change is not None:
            entries.add(change)
        return entries

    def _clock_change(self, day: date) -> datetime | None:
        """The instant the zone's offset changes during `day`, if it does (UTC, to the second)."""
        low = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)
        high = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(UTC)
        before, after = low.astimezone(self.zone).utcoffset(), high.astimezone(self.zone).utcoffset()
        if before == after:
            return None
        # Bisect on whole seconds for the first instant carrying the later offset.
        lo, hi = 0, int((high - low).total_seconds())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (low + timedelta(seconds=mid)).astimezone(self.zone).utcoffset() == after:
                hi = mid
            else:
                lo = mid
        return low + timedelta(seconds=hi)
