from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.common.working_time import WorkingTime

PARIS = ZoneInfo("Europe/Paris")
DEFAULT = WorkingTime()
EVERY_DAY = frozenset(range(1, 8))


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=fold)


def test_defaults_are_weekdays_nine_to_seven_in_paris_with_french_holidays() -> None:
    assert DEFAULT.days == frozenset({1, 2, 3, 4, 5})
    assert (DEFAULT.start, DEFAULT.end) == (time(9), time(19))
    assert DEFAULT.zone == PARIS
    assert DEFAULT.holidays_country == "FR"


@pytest.mark.parametrize(
    ("at", "working"),
    [
        (paris(2024, 8, 19, 9, 0), True),  # Monday, start included
        (paris(2024, 8, 19, 8, 59), False),
        (paris(2024, 8, 19, 18, 59), True),
        (paris(2024, 8, 19, 19, 0), False),  # end excluded
        (paris(2024, 8, 17, 12, 0), False),  # Saturday
        (paris(2024, 8, 18, 12, 0), False),  # Sunday
        (paris(2024, 8, 15, 12, 0), False),  # Thursday, Assumption
        (paris(2024, 11, 1, 10, 0), False),  # Friday, All Saints
        (paris(2024, 11, 11, 10, 0), False),  # Monday, Armistice
        (paris(2025, 5, 1, 10, 0), False),  # Thursday, Labour Day
        (paris(2025, 5, 29, 10, 0), False),  # Ascension 2025
        (paris(2025, 6, 9, 10, 0), False),  # Whit Monday 2025
        (paris(2024, 12, 24, 10, 0), True),  # Christmas Eve is a working day
    ],
)
def test_is_working(at: datetime, working: bool) -> None:
    assert DEFAULT.is_working(at) is working


def test_is_working_reads_the_wall_clock_of_the_zone_whatever_zone_the_instant_is_given_in() -> None:
    # 07:30 UTC on a summer Monday is 09:30 in Paris.
    assert DEFAULT.is_working(datetime(2024, 8, 19, 7, 30, tzinfo=UTC))
    assert not DEFAULT.is_working(datetime(2024, 8, 19, 6, 30, tzinfo=UTC))
    # 17:30 UTC in winter is 18:30 in Paris (+1), in summer 19:30 (+2).
    assert DEFAULT.is_working(datetime(2024, 12, 2, 17, 30, tzinfo=UTC))
    assert not DEFAULT.is_working(datetime(2024, 6, 3, 17, 30, tzinfo=UTC))


def test_without_a_country_holidays_are_ordinary_days() -> None:
    assert WorkingTime(holidays_country=None).is_working(paris(2024, 8, 15, 12, 0))
    assert WorkingTime(holidays_country="").is_working(paris(2024, 8, 15, 12, 0))


def test_another_countrys_holidays() -> None:
    german = WorkingTime(zone=ZoneInfo("Europe/Berlin"), holidays_country="DE")
    berlin = ZoneInfo("Europe/Berlin")
    assert not german.is_working(datetime(2024, 10, 3, 10, 0, tzinfo=berlin))  # German Unity Day
    assert german.is_working(datetime(2024, 8, 15, 10, 0, tzinfo=berlin))  # not national in Germany
    assert german.is_holiday(date(2024, 10, 3)) and not DEFAULT.is_holiday(date(2024, 10, 3))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (paris(2024, 8, 19, 10, 0), paris(2024, 8, 19, 10, 0)),  # already working: itself
        (paris(2024, 8, 19, 7, 0), paris(2024, 8, 19, 9, 0)),  # early morning
        (paris(2024, 8, 19, 19, 0), paris(2024, 8, 20, 9, 0)),  # 19:00 sharp is outside
        (paris(2024, 8, 23, 19, 0), paris(2024, 8, 26, 9, 0)),  # Friday evening → Monday
        (paris(2024, 9, 15, 9, 0), paris(2024, 9, 16, 9, 0)),  # Sunday → Monday (Octave's ETA)
        (paris(2024, 8, 14, 20, 0), paris(2024, 8, 16, 9, 0)),  # over the Assumption
        (paris(2024, 10, 31, 19, 30), paris(2024, 11, 4, 9, 0)),  # All Saints Friday, then the weekend
        (paris(2024, 12, 31, 19, 0), paris(2025, 1, 2, 9, 0)),  # into next year, over New Year's Day
        (paris(2025, 12, 24, 19, 0), paris(2025, 12, 26, 9, 0)),  # over Christmas
    ],
)
def test_next_start(at: datetime, expected: datetime) -> None:
    result = DEFAULT.next_start(at)
    assert result == expected
    assert result.tzinfo == PARIS


def test_next_start_across_the_clock_changes_is_nine_on_the_new_offset() -> None:
    spring = DEFAULT.next_start(paris(2024, 3, 29, 19, 0))  # Friday before the spring change
    assert spring == paris(2024, 4, 2, 9, 0)  # Easter Monday 1 April is a holiday
    assert spring.utcoffset() == timedelta(hours=2)
    assert spring.astimezone(UTC) == datetime(2024, 4, 2, 7, 0, tzinfo=UTC)
    autumn = DEFAULT.next_start(paris(2024, 10, 25, 19, 0))  # Friday before the autumn change
    assert autumn.astimezone(UTC) == datetime(2024, 10, 28, 8, 0, tzinfo=UTC)  # Monday 09:00 at +1


def test_a_start_in_the_spring_gap_begins_when_the_clocks_jump() -> None:
    night = WorkingTime(days=EVERY_DAY, start=time(2, 30), end=time(4, 0), holidays_country=None)
    result = night.next_start(paris(2024, 3, 31, 0, 0))
    # 02:30 does not exist that night: the clock reads 03:00 right after 01:59:59, inside the span.
    assert result.astimezone(UTC) == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    assert night.is_working(result)
    assert not night.is_working(result.astimezone(UTC) - timedelta(seconds=1))


def test_the_repeated_autumn_hour_is_working_twice() -> None:
    night = WorkingTime(days=EVERY_DAY, start=time(2, 15), end=time(2, 45), holidays_country=None)
    first = paris(2024, 10, 27, 2, 20, fold=0)
    assert night.is_working(first)
    between = paris(2024, 10, 27, 2, 50, fold=0)  # after the first pass, before the clocks go back
    assert not night.is_working(between)
    again = night.next_start(between)
    assert again.astimezone(UTC) == datetime(2024, 10, 27, 1, 15, tzinfo=UTC)  # 02:15 at +1, the second pass
    # The clocks going back into the span also begin working time.
    from_before_change = WorkingTime(days=EVERY_DAY, start=time(1, 0), end=time(2, 30), holidays_country=None)
    after_first_pass = paris(2024, 10, 27, 2, 40, fold=0)
    assert from_before_change.next_start(after_first_pass).astimezone(UTC) == datetime(2024, 10, 27, 1, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DEFAULT.is_working(datetime(2024, 8, 19, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        DEFAULT.next_start(datetime(2024, 8, 19, 10, 0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": frozenset()},
        {"days": frozenset({0, 1})},
        {"days": frozenset({8})},
        {"start": time(19), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"start": time(9, tzinfo=UTC)},
    ],
)
def test_impossible_working_times_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WorkingTime(**kwargs)  # type: ignore[arg-type]


def test_an_unknown_country_is_refused_when_configured() -> None:
    with pytest.raises(NotImplementedError):
        WorkingTime(holidays_country="XX")


# --- properties -------------------------------------------------------------------------------------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/Paris",
        "America/New_York",
        "Australia/Lord_Howe",  # 30-minute clock change
        "America/Santiago",  # changes at midnight
        "Pacific/Chatham",  # +12:45 / +13:45
        "Indian/Reunion",  # no clock change
        "UTC",
    )
]


@st.composite
def working_times(draw: st.DrawFn) -> WorkingTime:
    days = draw(st.frozensets(st.integers(1, 7), min_size=1))
    start_minute = draw(st.integers(0, 23 * 60 + 58))
    end_minute = draw(st.integers(start_minute + 1, 23 * 60 + 59))
    return WorkingTime(
        days=days,
        start=time(start_minute // 60, start_minute % 60),
        end=time(end_minute // 60, end_minute % 60),
        zone=draw(st.sampled_from(ZONES)),
        holidays_country=draw(st.sampled_from(["FR", None])),
    )


instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@settings(max_examples=150, deadline=None)
@given(working=working_times(), at=instants)
@example(working=DEFAULT, at=datetime(2024, 10, 27, 0, 30, tzinfo=UTC))
@example(
    working=WorkingTime(days=EVERY_DAY, start=time(2, 30), end=time(3, 30), holidays_country=None),
    at=datetime(2024, 3, 30, 23, 0, tzinfo=UTC),
)
def test_next_start_is_the_first_working_instant(working: WorkingTime, at: datetime) -> None:
    result = working.next_start(at)
    assert result.tzinfo == working.zone
    assert result >= at
    assert working.is_working(result)
    assert (result == at) is working.is_working(at)
    if result > at:
        # Nothing between: checked every minute from `at`, and the second before.
        # In UTC: arithmetic on a zoned datetime moves its wall clock, not the instant.
        assert not working.is_working(result.astimezone(UTC) - timedelta(seconds=1))
        probe = at
        while probe < result:
            assert not working.is_working(probe), probe
            probe += timedelta(minutes=1)
