"""Working hours as admins type them, in French and English."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.hours_parsing import (
    WorkingHoursError,
    check_span,
    format_days,
    parse_clock,
    parse_days,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", time(9)),
        ("9:30", time(9, 30)),
        ("9h", time(9)),
        ("9h30", time(9, 30)),
        ("19 h", time(19)),
        ("0:00", time(0)),
        ("23:59", time(23, 59)),
        ("8", time(8)),
    ],
)
def test_clock_times_people_type(typed: str, expected: time) -> None:
    assert parse_clock(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "9h75", "24:00", "midi", "", "9:5", "-1:00", "1" * 200])
def test_impossible_times_are_refused_with_the_text_quoted(typed: str) -> None:
    with pytest.raises(WorkingHoursError) as refused:
        parse_clock(typed)
    assert refused.value.message_id == "setup.error.bad_time"
    assert refused.value.args_map["text"] == typed.strip()[:40]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("lun-ven", {1, 2, 3, 4, 5}),
        ("mon-fri", {1, 2, 3, 4, 5}),
        ("lun,mar,jeu", {1, 2, 4}),
        ("Lundi - Vendredi", {1, 2, 3, 4, 5}),
        ("samedi et dimanche", {6, 7}),
        ("sat, sun", {6, 7}),
        ("ven-lun", {5, 6, 7, 1}),
        ("lun-mer, ven", {1, 2, 3, 5}),
        ("tous les jours", {1, 2, 3, 4, 5, 6, 7}),
        ("lun à ven", {1, 2, 3, 4, 5}),
        ("mon to fri", {1, 2, 3, 4, 5}),
        ("du lundi au vendredi", {1, 2, 3, 4, 5}),
    ],
)
def test_days_people_type(typed: str, expected: set[int]) -> None:
    assert parse_days(typed) == frozenset(expected)


@pytest.mark.parametrize("typed", ["", "lundo", "lun-ven-sam", "semaine", "1-5"])
def test_unknown_days_are_refused(typed: str) -> None:
    with pytest.raises(WorkingHoursError) as refused:
        parse_days(typed)
    assert refused.value.message_id == "setup.error.bad_days"


def test_the_day_must_end_after_it_starts() -> None:
    check_span(time(9), time(19))
    with pytest.raises(WorkingHoursError) as refused:
        check_span(time(19), time(9))
    assert refused.value.args_map == {"start": "19:00", "end": "09:00"}
    with pytest.raises(WorkingHoursError):
        check_span(time(9), time(9))


def test_days_are_worded_as_runs_in_each_language() -> None:
    assert format_days({1, 2, 3, 4, 5}, "fr") == "lundi–vendredi"
    assert format_days({1, 2, 4}, "fr") == "lundi, mardi, jeudi"
    assert format_days({5, 6, 7, 1}, "en") == "Friday–Monday"
    assert format_days(range(1, 8), "fr") == "tous les jours"


@given(st.sets(st.integers(min_value=1, max_value=7), min_size=1))
def test_any_set_of_days_survives_wording_as_a_list(days: set[int]) -> None:
    names = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
    assert parse_days(",".join(names[d - 1] for d in sorted(days))) == frozenset(days)
