"""When digests are due (daily, weekly, moved off days off, across the clock changes) and what they cover."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.working_time import PARIS, WorkingTime
from bot.digests.rules import Digest, Every, digest_facts, next_due, wall_time
from bot.incidents.rules.model import Severity, Status
from tests.domain.outage_examples import GUILD, paris
from tests.domain.test_board import incident

WORKING = WorkingTime()  # Monday to Friday, French public holidays
DAILY = Digest(id=1, guild_id=GUILD, channel_id=7, every=Every.DAY, at=time(18, 0))
WEEKLY = Digest(id=2, guild_id=GUILD, channel_id=7, every=Every.WEEK, weekday=1, at=time(9, 0))


def test_a_daily_digest_is_due_every_day_at_its_time() -> None:
    assert next_due(DAILY, paris(2024, 10, 31, 17), WORKING) == paris(2024, 10, 31, 18)
    assert next_due(DAILY, paris(2024, 10, 31, 18), WORKING) == paris(2024, 11, 1, 18), "strictly after"
    assert next_due(DAILY, paris(2024, 11, 2, 10), WORKING) == paris(2024, 11, 2, 18), "weekends too, unless asked"


def test_on_working_days_only_a_digest_moves_past_weekends_and_public_holidays() -> None:
    working_days = replace(DAILY, working_days_only=True)
    # Friday 1 November 2024 is All Saints' Day: Thursday's digest is followed by Monday's.
    assert next_due(working_days, paris(2024, 10, 31, 18), WORKING) == paris(2024, 11, 4, 18)
    weekly = replace(WEEKLY, working_days_only=True)
    # Easter Monday 2025 (21 April): the weekly digest comes on Tuesday, then on Monday again.
    assert next_due(weekly, paris(2025, 4, 14, 9), WORKING) == paris(2025, 4, 22, 9)
    assert next_due(weekly, paris(2025, 4, 22, 9), WORKING) == paris(2025, 4, 28, 9)
    assert next_due(WEEKLY, paris(2025, 4, 14, 9), WORKING) == paris(2025, 4, 21, 9), "unless asked"


def test_the_time_of_day_holds_across_the_clock_changes() -> None:
    assert next_due(DAILY, paris(2024, 10, 26, 19), WORKING) == datetime(2024, 10, 27, 17, tzinfo=UTC)
    assert next_due(DAILY, paris(2024, 10, 25, 19), WORKING) == datetime(2024, 10, 26, 16, tzinfo=UTC)
    # 02:30 does not exist on 31 March 2024: the clocks jump from 02:00 to 03:00, when the digest is due.
    assert wall_time(paris(2024, 3, 31).date(), time(2, 30), PARIS) == datetime(2024, 3, 31, 1, tzinfo=UTC)
    # 02:30 happens twice on 27 October 2024: the first.
    assert wall_time(paris(2024, 10, 27).date(), time(2, 30), PARIS) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.sampled_from([Every.DAY, Every.WEEK]),
    st.integers(1, 7),
    st.times(),
    st.booleans(),
)
def test_no_due_time_is_skipped_or_off_its_day(
    after: datetime, every: Every, weekday: int, at: time, working_days_only: bool
) -> None:
    digest = Digest(
        id=1,
        guild_id=GUILD,
        channel_id=7,
        every=every,
        weekday=weekday if every == Every.WEEK else None,
        at=at.replace(microsecond=0),
        working_days_only=working_days_only,
    )
    due = next_due(digest, after, WORKING)
    local = due.astimezone(PARIS)
    assert due > after
    if working_days_only:
        assert WORKING.is_working_day(local.date())
    # No occurrence the digest should have had lies between `after` and `due`.
    day = after.astimezone(PARIS).date()
    while day < local.date():
        nominal = wall_time(day, digest.at, PARIS)
        on_its_day = every == Every.DAY or day.isoweekday() == weekday
        if on_its_day and nominal > after and (not working_days_only or WORKING.is_working_day(day)):
            raise AssertionError(f"{nominal} skipped before {due}")
        day += timedelta(days=1)


def test_a_digest_covers_its_period_and_knows_when_it_is_late_or_quiet() -> None:
    start, end = paris(2024, 10, 31, 18), paris(2024, 11, 4, 18)
    old = incident(1, Severity.MINOR, declared_at=paris(2024, 10, 30, 9), started_at=paris(2024, 10, 30, 8))
    new_major = incident(2, Severity.MAJOR, declared_at=paris(2024, 11, 2, 9), started_at=paris(2024, 11, 2, 8))
    new_critical = incident(3, Severity.CRITICAL, declared_at=paris(2024, 11, 3, 9), started_at=paris(2024, 11, 3, 8))
    done = incident(4, declared_at=paris(2024, 11, 1, 9), status=Status.RESOLVED, resolved_at=paris(2024, 11, 4, 10))
    facts = digest_facts(
        start=start,
        end=end,
        due=end,
        open_now=[old, new_major, new_critical],
        declared=[new_critical, done, new_major, old],
        resolved=[done, old],
    )
    assert [i.number for i in facts.open] == [3, 2, 1]
    assert [i.number for i in facts.declared] == [4, 2, 3]
    assert [i.number for i in facts.resolved] == [4]
    assert not facts.late and not facts.quiet
    late = digest_facts(start=start, end=end + timedelta(hours=2), due=end, open_now=[], declared=[], resolved=[])
    assert late.late and late.quiet
