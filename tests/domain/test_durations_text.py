"""Typed durations ("30 min", "1h30", "2 jours", "2 hours"): what is read, what is refused, and that everything
`format_duration` writes reads back to the same duration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.duration_parsing import MAX_INPUT_CHARS, DurationTextError, parse_duration
from bot.common.formatting import format_duration
from bot.common.i18n import Language


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("30 min", 30),
        ("1 h", 60),
        ("1h30", 90),
        ("1 h 30", 90),
        ("2h05", 125),
        ("4 h", 240),
        ("1 j", 1440),
        ("2 jours", 2880),
        ("90", 90),
        ("  15 ", 15),
        ("2 hours", 120),
        ("1 day", 1440),
        ("1 d 20 h 30 min", 2670),
        ("2 j 23 h", 4260),
        ("1h30min", 90),
        ("1 heure et 30 minutes", 90),
        ("3 days and 2 hours", 4440),
        ("2 Jours, 3 Heures", 3060),
        ("30 min 1 h", 90),
        ("une heure", 60),
        ("a day", 1440),
        ("une semaine", 10080),
        ("1 week", 10080),
        ("une demi-heure", 30),
        ("half an hour", 30),
        ("1 h et une demi-heure", 90),
        ("1,5 h", 90),
        ("1.5h", 90),
        ("0,25 j", 360),
        ("1:30", 90),
        ("12 mn", 12),
        ("2 hrs", 120),
        ("1 h,", 60),
        ("0", 0),
    ],
)
def test_typed_durations_are_read(typed: str, expected: int) -> None:
    assert parse_duration(typed) == minutes(expected)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "abc",
        "bientôt",
        "-1 h",
        "1 h 2 h",  # the same unit twice
        "1h30 15 min",  # minutes twice
        "2 j 30",  # bare minutes only follow hours
        "1h75",
        "1 h 30 min 2",
        "h",
        "1 lightyear",
        "1 hh",
        "1 h @everyone",
        "12345678 min",
        "9" * 20,
    ],
)
def test_what_cannot_be_read_is_refused_with_the_text_echoed(typed: str) -> None:
    with pytest.raises(DurationTextError) as refused:
        parse_duration(typed)
    assert refused.value.message_id == "setup.error.bad_duration"
    assert refused.value.args_map == {"text": typed.strip()[:40]}


def test_long_input_is_refused_before_it_is_read() -> None:
    with pytest.raises(DurationTextError):
        parse_duration("1 h " + " " * MAX_INPUT_CHARS)


def test_no_break_spaces_from_printed_numbers_are_spaces() -> None:
    assert parse_duration("2\u202fj\u00a023\u202fh") == minutes(4260)


# format_duration groups thousands of days ("1 000 j", "1,000 d"), which nobody types for a setting: below that,
# whatever it writes must read back.
@settings(max_examples=500, deadline=None)
@given(st.integers(0, 1000 * 24 * 60 - 1), st.sampled_from(["fr", "en"]))
def test_what_format_duration_writes_reads_back(total: int, language: Language) -> None:
    written = format_duration(minutes(total), language)
    assert parse_duration(written) == minutes(total), written


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 9_999_999))
def test_a_bare_number_is_minutes(n: int) -> None:
    assert parse_duration(str(n)) == minutes(n)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 400),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from([("j", "h", "min"), ("days", "hours", "minutes"), ("jours", "heures", "mn"), ("d", "h", "m")]),
    st.sampled_from([" ", ", ", " et ", " and ", ""]),
)
def test_parts_in_either_language_add_up(
    days: int, hours: int, mins: int, units: tuple[str, str, str], sep: str
) -> None:
    text = sep.join([f"{days} {units[0]}", f"{hours}{units[1]}", f"{mins} {units[2]}"])
    assert parse_duration(text) == timedelta(days=days, hours=hours, minutes=mins), text


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_read_or_refused_never_an_other_error(typed: str) -> None:
    try:
        result = parse_duration(typed)
    except DurationTextError:
        return
    assert result >= timedelta(0) and result.seconds % 60 == 0
