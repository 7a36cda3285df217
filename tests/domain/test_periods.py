from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.periods import PeriodParseError, parse_period

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2024, 10, 23, 15, 0, tzinfo=PARIS)  # a Wednesday


def shown(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("octobre 2024", "2024-10-01 00:00+02:00", "2024-11-01 00:00+01:00"),
        ("October 2024", "2024-10-01 00:00+02:00", "2024-11-01 00:00+01:00"),
        ("en septembre", "2024-09-01 00:00+02:00", "2024-10-01 00:00+02:00"),
        # A month without a year that has not begun this year is last year's.
        ("novembre", "2023-11-01 00:00+01:00", "2023-12-01 00:00+01:00"),
        ("depuis lundi", "2024-10-21 00:00+02:00", "2024-10-23 15:00+02:00"),
        ("since wednesday", "2024-10-23 00:00+02:00", "2024-10-23 15:00+02:00"),
        ("depuis hier 14h", "2024-10-22 14:00+02:00", "2024-10-23 15:00+02:00"),
        ("depuis le 01/10", "2024-10-01 00:00+02:00", "2024-10-23 15:00+02:00"),
        ("semaine dernière", "2024-10-14 00:00+02:00", "2024-10-21 00:00+02:00"),
        ("la semaine derniere", "2024-10-14 00:00+02:00", "2024-10-21 00:00+02:00"),
        ("last week", "2024-10-14 00:00+02:00", "2024-10-21 00:00+02:00"),
        ("cette semaine", "2024-10-21 00:00+02:00", "2024-10-28 00:00+01:00"),
        ("mois dernier", "2024-09-01 00:00+02:00", "2024-10-01 00:00+02:00"),
        ("last month", "2024-09-01 00:00+02:00", "2024-10-01 00:00+02:00"),
        ("ce mois-ci", "2024-10-01 00:00+02:00", "2024-11-01 00:00+01:00"),
        ("last 30 days", "2024-09-23 15:00+02:00", "2024-10-23 15:00+02:00"),
        ("30 derniers jours", "2024-09-23 15:00+02:00", "2024-10-23 15:00+02:00"),
        ("les 24 dernières heures", "2024-10-22 15:00+02:00", "2024-10-23 15:00+02:00"),
        ("du 01/10 au 15/10", "2024-10-01 00:00+02:00", "2024-10-16 00:00+02:00"),
        ("01/10/2024 - 15/10/2024", "2024-10-01 00:00+02:00", "2024-10-16 00:00+02:00"),
        ("between 01/10 and 15/10", "2024-10-01 00:00+02:00", "2024-10-16 00:00+02:00"),
        ("du 1er octobre au 27 octobre", "2024-10-01 00:00+02:00", "2024-10-28 00:00+01:00"),
        ("2024-10-01 - 2024-10-31", "2024-10-01 00:00+02:00", "2024-11-01 00:00+01:00"),
        # The end without a year follows the start, so a range may span New Year.
        ("du 15/12 au 15/01", "2023-12-15 00:00+01:00", "2024-01-16 00:00+01:00"),
        ("aujourd'hui", "2024-10-23 00:00+02:00", "2024-10-24 00:00+02:00"),
        ("hier", "2024-10-22 00:00+02:00", "2024-10-23 00:00+02:00"),
        ("le 01/10", "2024-10-01 00:00+02:00", "2024-10-02 00:00+02:00"),
        ("2024", "2024-01-01 00:00+01:00", "2025-01-01 00:00+01:00"),
        ("l'année dernière", "2023-01-01 00:00+01:00", "2024-01-01 00:00+01:00"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    got_start, got_end = parse_period(text, now=NOW, tz=PARIS)
    assert (shown(got_start), shown(got_end)) == (start, end)


@pytest.mark.parametrize(
    ("text", "message_id"),
    [
        ("", "period.error.empty"),
        ("asdf", "period.error.not_understood"),
        ("x" * 5000, "period.error.too_long"),
        ("2025", "period.error.in_future"),
        ("du 15/10/2024 au 01/10/2024", "period.error.end_before_start"),
        ("du 31/02 au 15/03", "period.error.impossible_date"),
        ("30 jours", "period.error.not_understood"),
        ("depuis n'importe quand", "period.error.not_understood"),
        ("last 9999 weeks", "period.error.too_long_ago"),
    ],
)
def test_period_refusals(text: str, message_id: str) -> None:
    with pytest.raises(PeriodParseError) as caught:
        parse_period(text, now=NOW, tz=PARIS)
    assert caught.value.message_id == message_id
    assert isinstance(caught.value, ValueError)


nows = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=PARIS)
)
PERIOD_WORDS = [
    "du", "au", "depuis", "last", "derniers", "jours", "semaine", "dernière", "mois", "octobre", "2024",
    "01/10", "15/10", "lundi", "-", "and", "between", "hier", "30", "week", "x", "29/02",
]  # fmt: skip
words = st.lists(st.sampled_from(PERIOD_WORDS), max_size=5).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(words, st.text(max_size=110)), now=nows)
def test_any_text_gives_an_ordered_started_period_or_the_documented_error(text: str, now: datetime) -> None:
    try:
        start, end = parse_period(text, now=now, tz=PARIS)
    except PeriodParseError as error:
        assert error.message_id.startswith("period.error.")
        return
    assert start.tzinfo is PARIS and end.tzinfo is PARIS
    assert start.astimezone(UTC) < end.astimezone(UTC)
    assert start.astimezone(UTC) <= now.astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(count=st.integers(1, 365), now=nows, english=st.booleans())
def test_last_n_days_is_n_real_days_back(count: int, now: datetime, english: bool) -> None:
    text = f"last {count} days" if english else f"{count} derniers jours"
    start, end = parse_period(text, now=now, tz=PARIS)
    assert end.astimezone(UTC) == now.astimezone(UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=count)


@settings(max_examples=200, deadline=None)
@given(now=nows)
def test_last_week_is_the_seven_days_before_this_monday(now: datetime) -> None:
    start, end = parse_period("semaine dernière", now=now, tz=PARIS)
    assert start.weekday() == 0 and end.weekday() == 0
    assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)
    assert (end.date() - start.date()).days == 7
    assert 0 <= (now.date() - end.date()).days < 7
