from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.common.time_parsing import MAX_DISTANCE, TimeParseError, parse_when, warm_up
from bot.common.time_words import DAY_PART_TIMES

PARIS = ZoneInfo("Europe/Paris")
FUTURE_NOW = datetime(2024, 10, 19, 10, 0, tzinfo=PARIS)  # Saturday
PAST_NOW = datetime(2024, 10, 19, 20, 0, tzinfo=PARIS)
DST_EVE = datetime(2024, 10, 26, 23, 30, tzinfo=PARIS)


def shown(result: datetime) -> str:
    # isoformat carries the offset, so two results that only differ by fold still differ here.
    return result.isoformat(sep=" ", timespec="minutes")


TABLE = [
    ("demain 9h", "future", FUTURE_NOW, "2024-10-20 09:00+02:00"),
    ("demain à 9h30", "future", FUTURE_NOW, "2024-10-20 09:30+02:00"),
    ("lundi matin", "future", FUTURE_NOW, "2024-10-21 09:00+02:00"),
    ("lundi 8h", "future", FUTURE_NOW, "2024-10-21 08:00+02:00"),
    ("lundi prochain", "future", FUTURE_NOW, "2024-10-21 09:00+02:00"),
    ("dans 2 heures", "future", FUTURE_NOW, "2024-10-19 12:00+02:00"),
    ("dans 2h", "future", FUTURE_NOW, "2024-10-19 12:00+02:00"),
    ("dans 30 min", "future", FUTURE_NOW, "2024-10-19 10:30+02:00"),
    ("ce soir", "future", FUTURE_NOW, "2024-10-19 19:00+02:00"),
    ("cet après-midi", "future", FUTURE_NOW, "2024-10-19 14:00+02:00"),
    ("15h", "future", FUTURE_NOW, "2024-10-19 15:00+02:00"),
    ("9h", "future", FUTURE_NOW, "2024-10-20 09:00+02:00"),
    ("samedi midi", "future", FUTURE_NOW, "2024-10-19 12:00+02:00"),
    ("samedi 8h", "future", FUTURE_NOW, "2024-10-26 08:00+02:00"),
    ("mi-septembre", "future", FUTURE_NOW, "2025-09-15 09:00+02:00"),
    ("début décembre", "future", FUTURE_NOW, "2024-12-01 09:00+01:00"),
    ("fin novembre", "future", FUTURE_NOW, "2024-11-30 09:00+01:00"),
    ("le 25 juillet à 8h", "future", FUTURE_NOW, "2025-07-25 08:00+02:00"),
    ("19/10/2024 12:00", "future", FUTURE_NOW, "2024-10-19 12:00+02:00"),
    ("10/11/2024 14h", "future", FUTURE_NOW, "2024-11-10 14:00+01:00"),
    ("tomorrow 9am", "future", FUTURE_NOW, "2024-10-20 09:00+02:00"),
    ("in 2 hours", "future", FUTURE_NOW, "2024-10-19 12:00+02:00"),
    ("next monday", "future", FUTURE_NOW, "2024-10-21 09:00+02:00"),
    ("this evening", "future", FUTURE_NOW, "2024-10-19 19:00+02:00"),
    ("2024-10-21T08:00", "future", FUTURE_NOW, "2024-10-21 08:00+02:00"),
    ("depuis samedi midi", "past", PAST_NOW, "2024-10-19 12:00+02:00"),
    ("aujourd'hui midi", "past", PAST_NOW, "2024-10-19 12:00+02:00"),
    ("hier 14h", "past", PAST_NOW, "2024-10-18 14:00+02:00"),
    ("il y a 3 heures", "past", PAST_NOW, "2024-10-19 17:00+02:00"),
    ("ce matin", "past", PAST_NOW, "2024-10-19 09:00+02:00"),
    ("depuis 8h30", "past", PAST_NOW, "2024-10-19 08:30+02:00"),
    ("vendredi soir", "past", PAST_NOW, "2024-10-18 19:00+02:00"),
    ("yesterday noon", "past", PAST_NOW, "2024-10-18 12:00+02:00"),
    ("3 hours ago", "past", PAST_NOW, "2024-10-19 17:00+02:00"),
    ("demain 9h", "future", DST_EVE, "2024-10-27 09:00+01:00"),
    ("dans 4 heures", "future", DST_EVE, "2024-10-27 02:30+01:00"),
]


@pytest.mark.parametrize(("text", "prefer", "now", "expected"), TABLE)
def test_issue_table(text: str, prefer: str, now: datetime, expected: str) -> None:
    result = parse_when(text, now=now, tz=PARIS, prefer=prefer)  # type: ignore[arg-type]
    assert shown(result) == expected


@pytest.mark.parametrize(
    ("text", "prefer", "message_id"),
    [
        ("31/03/2024 02:30", "past", "time.error.nonexistent"),
        ("27/10/2024 02:30", "future", "time.error.ambiguous"),
        ("", "future", "time.error.empty"),
        ("   ", "future", "time.error.empty"),
        ("asdf", "future", "time.error.not_understood"),
        ("99/99/9999", "future", "time.error.impossible_date"),
        ("29/02/2025", "future", "time.error.impossible_date"),
        ("1729339200", "future", "time.error.bare_number"),
        ("12", "future", "time.error.bare_number"),
        ("dans 9999 jours", "future", "time.error.too_far"),
        ("dans 99999999999 jours", "future", "time.error.too_far"),
        ("x" * 10_000, "future", "time.error.too_long"),
        ("x" * 101, "future", "time.error.too_long"),
        ("25h", "future", "time.error.impossible_time"),
        ("13pm", "future", "time.error.impossible_time"),
        ("hier 14h", "future", "time.error.not_future"),
        ("dans 2 heures", "past", "time.error.not_past"),
        ("lundi 22 octobre", "future", "time.error.weekday_mismatch"),
        ("19/10/2026", "future", "time.error.too_far"),
        ("demain hier", "future", "time.error.not_understood"),
        ("prochain", "future", "time.error.not_understood"),
        ("midi 14h", "future", "time.error.not_understood"),
        ("octobre", "future", "time.error.month_without_day"),
        ("à 9", "future", "time.error.not_understood"),
        ("mardi 23", "future", "time.error.weekday_mismatch"),
        ("12 30", "future", "time.error.not_understood"),
    ],
)
def test_refusals_carry_their_reason(text: str, prefer: str, message_id: str) -> None:
    now = FUTURE_NOW if prefer == "future" else PAST_NOW
    with pytest.raises(TimeParseError) as caught:
        parse_when(text, now=now, tz=PARIS, prefer=prefer)  # type: ignore[arg-type]
    assert caught.value.message_id == message_id
    assert isinstance(caught.value, ValueError)


def test_the_gap_error_names_the_time() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_when("31/03/2024 02:30", now=PAST_NOW, tz=PARIS, prefer="past")
    assert caught.value.args_map["time"] == "31/03/2024 02:30"


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        # Modifiers: next is strictly after today, last strictly before, "ce/this" keeps today.
        ("samedi prochain", "future", "2024-10-26 09:00+02:00"),
        ("lundi dernier", "past", "2024-10-14 09:00+02:00"),
        ("last saturday", "past", "2024-10-12 09:00+02:00"),
        ("ce samedi 18h", "future", "2024-10-19 18:00+02:00"),
        ("lundi prochain à midi", "future", "2024-10-21 12:00+02:00"),
        # Evening hours on a 12-hour dial.
        ("8h du soir", "future", "2024-10-19 20:00+02:00"),
        ("lundi soir 8h", "future", "2024-10-21 20:00+02:00"),
        ("3pm", "future", "2024-10-19 15:00+02:00"),
        ("12am", "future", "2024-10-20 00:00+02:00"),
        ("minuit", "future", "2024-10-20 00:00+02:00"),
        ("9 h 45", "future", "2024-10-20 09:45+02:00"),
        # Dates, day first, with or without year, accents optional.
        ("1er mars", "future", "2025-03-01 09:00+01:00"),
        ("March 3rd", "future", "2025-03-03 09:00+01:00"),
        ("21 oct. 14:30", "future", "2024-10-21 14:30+02:00"),
        ("01/11", "future", "2024-11-01 09:00+01:00"),
        ("01-11-24 8h", "future", "2024-11-01 08:00+01:00"),
        ("debut decembre", "future", "2024-12-01 09:00+01:00"),
        ("end of november", "future", "2024-11-30 09:00+01:00"),
        ("fin février", "future", "2025-02-28 09:00+01:00"),
        ("le 1er octobre", "past", "2024-10-01 09:00+02:00"),
        ("mi-octobre", "past", "2024-10-15 09:00+02:00"),
        ("après-demain 10h", "future", "2024-10-21 10:00+02:00"),
        ("avant-hier soir", "past", "2024-10-17 19:00+02:00"),
        ("tonight", "future", "2024-10-19 19:00+02:00"),
        ("monday at 3pm", "future", "2024-10-21 15:00+02:00"),
        ("on friday afternoon", "future", "2024-10-25 14:00+02:00"),
        # Durations in absolute time, in both languages and both directions.
        ("dans 1h30", "future", "2024-10-19 11:30+02:00"),
        ("dans une demi-heure", "future", "2024-10-19 10:30+02:00"),
        ("in half an hour", "future", "2024-10-19 10:30+02:00"),
        ("dans 3 jours", "future", "2024-10-22 10:00+02:00"),
        # 14 × 24 real hours: the clock went back in between, so the wall clock reads one hour less.
        ("in 2 weeks", "future", "2024-11-02 09:00+01:00"),
        ("an hour ago", "past", "2024-10-19 19:00+02:00"),
        ("il y a 2 jours", "past", "2024-10-17 20:00+02:00"),
        ("depuis 45 min", "past", "2024-10-19 19:15+02:00"),
        # Clock "depuis N heures" is a time of day, like "depuis 8h30".
        ("depuis 14 heures", "past", "2024-10-19 14:00+02:00"),
        ("maintenant", "past", "2024-10-19 20:00+02:00"),
        # A day of the month needs "le" or a weekday; it is the nearest such day, skipping short months.
        ("mardi 22", "future", "2024-10-22 09:00+02:00"),
        ("le 21 à 9h", "future", "2024-10-21 09:00+02:00"),
        ("le 31", "past", "2024-08-31 09:00+02:00"),
        ("2 novembre au matin", "future", "2024-11-02 09:00+01:00"),
        # Not in the grammar: dateparser reads the date, and a date without a time still means 09:00.
        ("26-oct-2024", "future", "2024-10-26 09:00+02:00"),
    ],
)
def test_rules_beyond_the_table(text: str, prefer: str, expected: str) -> None:
    now = FUTURE_NOW if prefer == "future" else PAST_NOW
    assert shown(parse_when(text, now=now, tz=PARIS, prefer=prefer)) == expected  # type: ignore[arg-type]


def test_same_weekday_with_next_skips_today_even_when_its_time_is_ahead() -> None:
    assert shown(parse_when("samedi prochain midi", now=FUTURE_NOW, tz=PARIS, prefer="future")) == (
        "2024-10-26 12:00+02:00"
    )


def test_control_and_bidi_characters_are_ignored() -> None:
    text = "demain\u202e 9h\u200b\n"
    assert shown(parse_when(text, now=FUTURE_NOW, tz=PARIS, prefer="future")) == "2024-10-20 09:00+02:00"


def test_typographic_apostrophe_and_capitals() -> None:
    result = parse_when("AUJOURD’HUI Midi", now=PAST_NOW, tz=PARIS, prefer="past")
    assert shown(result) == "2024-10-19 12:00+02:00"


def test_dateparser_fallback_is_localised_here() -> None:
    # Not in the grammar: dateparser reads it, and the result still carries the offset of its own date.
    result = parse_when("in 3 months", now=FUTURE_NOW, tz=PARIS, prefer="future")
    assert result.date().isoformat() == "2025-01-19"
    assert result.utcoffset() == timedelta(hours=1)


def test_spring_gap_in_another_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    now = datetime(2025, 3, 1, 12, 0, tzinfo=new_york)
    with pytest.raises(TimeParseError) as caught:
        parse_when("09/03/2025 02:30", now=now, tz=new_york, prefer="future")
    assert caught.value.message_id == "time.error.nonexistent"


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("demain", now=datetime(2024, 10, 19, 10, 0), tz=PARIS, prefer="future")


def test_warm_up_runs() -> None:
    warm_up()


# --- properties --------------------------------------------------------------------------------------------

ZONES = [PARIS, ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney"), ZoneInfo("UTC")]
nows = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(ZONES),
)
prefers = st.sampled_from(["future", "past"])


def check_contract(result: datetime, now: datetime, tz: ZoneInfo, prefer: str) -> None:
    assert result.tzinfo is tz
    instant, reference = result.astimezone(UTC), now.astimezone(UTC)
    if prefer == "future":
        assert instant > reference
    else:
        assert instant <= reference
    assert abs(instant - reference) <= MAX_DISTANCE
    # Localised from its own wall clock: converting the instant back gives the same offset.
    assert result.utcoffset() == instant.astimezone(tz).utcoffset()


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120), now=nows, prefer=prefers)
def test_any_text_gives_a_valid_time_or_the_documented_error(text: str, now: datetime, prefer: str) -> None:
    try:
        result = parse_when(text, now=now, tz=now.tzinfo, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as error:
        assert error.message_id.startswith("time.error.")
        return
    check_contract(result, now, now.tzinfo, prefer)  # type: ignore[arg-type]


KNOWN_WORDS = [
    "lundi", "mardi", "samedi", "monday", "friday", "demain", "hier", "tomorrow", "matin", "soir",
    "midi", "noon", "evening", "prochain", "next", "dernier", "last", "ce", "this", "9h", "14h30",
    "8:15", "3pm", "le", "à", "depuis", "dans", "2", "heures", "jours", "il y a", "ago", "21/10",
    "25 juillet", "fin", "novembre", "mi-septembre", "2024", "tonight", "aujourd'hui", "22", "octobre",
]  # fmt: skip
vocabulary = st.lists(st.sampled_from(KNOWN_WORDS), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=vocabulary, now=nows, prefer=prefers)
def test_phrases_of_known_words_keep_the_contract(text: str, now: datetime, prefer: str) -> None:
    try:
        result = parse_when(text, now=now, tz=now.tzinfo, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError:
        return
    check_contract(result, now, now.tzinfo, prefer)  # type: ignore[arg-type]


FR_WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
EN_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PARTS = {
    "matin": "morning", "morning": "morning", "midi": "noon", "noon": "noon",
    "après-midi": "afternoon", "afternoon": "afternoon", "soir": "evening", "evening": "evening",
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    weekday=st.integers(0, 6),
    english=st.booleans(),
    part=st.sampled_from(sorted(PARTS)),
    prefix=st.sampled_from(["", "le ", "depuis ", "on "]),
    now=nows,
    prefer=prefers,
)
def test_weekday_and_part_of_day_is_the_nearest_occurrence(
    weekday: int, english: bool, part: str, prefix: str, now: datetime, prefer: str
) -> None:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    name = (EN_WEEKDAYS if english else FR_WEEKDAYS)[weekday]
    try:
        result = parse_when(f"{prefix}{name} {part}", now=now, tz=tz, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as error:
        # Only a wall clock that does not exist on that day may be refused (09:00 and 19:00 never are).
        assert error.message_id in ("time.error.nonexistent", "time.error.ambiguous")
        return
    check_contract(result, now, tz, prefer)
    assert result.weekday() == weekday
    assert (result.hour, result.minute) == DAY_PART_TIMES[PARTS[part]]  # type: ignore[index]
    # The nearest one: a week earlier (future) or later (past) would be on the wrong side of now.
    step = timedelta(days=-7 if prefer == "future" else 7)
    neighbour = (result.replace(tzinfo=None) + step).replace(tzinfo=tz)
    if prefer == "future":
        assert neighbour.astimezone(UTC) <= now.astimezone(UTC)
    else:
        assert neighbour.astimezone(UTC) > now.astimezone(UTC)


UNITS = {"min": 1, "minutes": 1, "h": 60, "heures": 60, "hours": 60, "jours": 1440, "days": 1440, "semaines": 10080}


@settings(max_examples=300, deadline=None)
@given(count=st.integers(1, 400), unit=st.sampled_from(sorted(UNITS)), now=nows, forward=st.booleans())
def test_durations_are_exact_in_absolute_time(count: int, unit: str, now: datetime, forward: bool) -> None:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    delta = timedelta(minutes=count * UNITS[unit])
    english = unit in ("hours", "days")
    if forward:
        text = f"in {count} {unit}" if english else f"dans {count} {unit}"
    else:
        text = f"{count} {unit} ago" if english else f"il y a {count} {unit}"
    prefer = "future" if forward else "past"
    try:
        result = parse_when(text, now=now, tz=tz, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as error:
        assert error.message_id == "time.error.too_far"
        assert delta > MAX_DISTANCE
        return
    assert delta <= MAX_DISTANCE
    expected = now.astimezone(UTC) + (delta if forward else -delta)
    assert result.astimezone(UTC) == expected
    check_contract(result, now, tz, prefer)


@settings(max_examples=300, deadline=None)
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), now=nows, prefer=prefers)
def test_a_bare_clock_time_is_within_a_day(hour: int, minute: int, now: datetime, prefer: str) -> None:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    text = f"{hour}h{minute:02d}" if minute else f"{hour}h"
    try:
        result = parse_when(text, now=now, tz=tz, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as error:
        assert error.message_id in ("time.error.nonexistent", "time.error.ambiguous")
        return
    check_contract(result, now, tz, prefer)
    assert (result.hour, result.minute) == (hour, minute)
    assert abs(result.astimezone(UTC) - now.astimezone(UTC)) <= timedelta(hours=25)


@settings(max_examples=300, deadline=None)
@given(day=st.integers(1, 31), month=st.integers(1, 12), now=nows, prefer=prefers)
@example(day=29, month=2, now=datetime(2021, 3, 2, tzinfo=ZoneInfo("Europe/Paris")), prefer="past")
def test_a_date_without_year_is_its_next_or_last_occurrence(day: int, month: int, now: datetime, prefer: str) -> None:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    today = now.astimezone(tz).date()
    try:
        result = parse_when(f"{day:02d}/{month:02d} 12h", now=now, tz=tz, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as error:
        # Refused only when no year has that date, when today's noon is on the wrong side, or when the nearest
        # occurrence is more than a year away (29 February seen from a year without one).
        assert error.message_id in (
            "time.error.impossible_date",
            "time.error.not_future",
            "time.error.not_past",
            "time.error.too_far",
        )
        if error.message_id == "time.error.too_far":
            step = 1 if prefer == "future" else -1
            year = today.year
            while not calendar.isleap(year) or (date(year, 2, 29) - today).days * step < 0:
                year += step
            assert (day, month) == (29, 2)
            assert abs(datetime(year, 2, 29, 12, tzinfo=tz) - now) > MAX_DISTANCE
        elif error.message_id != "time.error.impossible_date":
            assert (day, month) == (today.day, today.month)
        return
    check_contract(result, now, tz, prefer)
    assert (result.day, result.month, result.hour) == (day, month, 12)
    assert result.year in (today.year, today.year + (1 if prefer == "future" else -1))


# --- glued forms and signs --------------------------------------------------------------------------------

GLUE_WORDS = ["demain", "aujourd'hui", "hier", "lundi", "vendredi", "apres-demain", "tomorrow", "today", "dans"]
GLUE_TIMES = ["9h", "12h", "14h30", "9h05", "8:15", "21h", "2 h", "10am"]


@settings(max_examples=200, deadline=None)
@given(
    word=st.sampled_from(GLUE_WORDS),
    clock=st.sampled_from(GLUE_TIMES),
    now=st.datetimes(min_value=datetime(2024, 1, 2), max_value=datetime(2026, 12, 30), timezones=st.just(PARIS)),
    prefer=st.sampled_from(["future", "past"]),
)
@example(word="demain", clock="9h", now=datetime(2024, 10, 19, 12, 40, tzinfo=PARIS), prefer="future")
def test_a_word_glued_to_a_time_reads_as_when_spaced(word: str, clock: str, now: datetime, prefer: str) -> None:
    """ "demain9h" is "demain 9h", never tomorrow plus nine hours: a glued form means what its spaced form means
    (or is refused for the same reason)."""

    def reading(text: str) -> str:
        try:
            return parse_when(text, now=now, tz=PARIS, prefer=prefer).isoformat()  # type: ignore[arg-type]
        except TimeParseError as refused:
            return refused.message_id

    assert reading(f"{word}{clock}") == reading(f"{word} {clock}")


@pytest.mark.parametrize(
    "text",
    [
        "dans -5 heures",
        "dans -2 h",
        "il y a -3 jours",
        "depuis -10 minutes",
        "in -5 hours",
        "-5 hours ago",
        "dans −5 h",
    ],
)
@pytest.mark.parametrize("prefer", ["future", "past"])
def test_a_negative_duration_is_refused_whichever_way(text: str, prefer: str) -> None:
    with pytest.raises(TimeParseError) as refused:
        parse_when(text, now=datetime(2024, 10, 19, 12, 40, tzinfo=PARIS), tz=PARIS, prefer=prefer)  # type: ignore[arg-type]
    assert refused.value.message_id == "time.error.negative"
