"""Natural-language times, French first: "demain 9h", "depuis samedi midi", "dans 2 h", "tomorrow 9am".

A small grammar reads the phrases people actually type; dateparser is only the fallback for what the grammar
does not know, because on its own it reads "9h" as nine hours from now, ignores "lundi matin" and carries a
stale offset across the October clock change. Whatever the path, the wall-clock result is localised here with
zoneinfo, and a typed time that falls in the spring gap or the repeated autumn hour is refused rather than
guessed. The words the grammar knows are in `time_words`.

Rules decided here:
- `future` results are strictly after `now`; `past` results are at or before `now` ("maintenant" is a valid
  start of an outage).
- "more than a year away" means more than 366 days, so the same date next year is always accepted.
- A date typed without a year is resolved by the calendar day (today counts as this year's occurrence); if its
  time then lies on the wrong side of `now`, the person gets a wrong-direction error instead of a silent jump
  of a year.
- "depuis N heures" is a clock time (like "depuis 8h30"); "depuis N minutes/jours/semaines" is a duration.
- "prochain/next" with a weekday is strictly after today; "dernier/last" strictly before today.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import dateparser

from bot.common.errors import TocsinError
from bot.common.time_words import (
    DAY_PART_TIMES,
    DAY_PART_WORDS,
    MONTHS,
    ONE_WORDS,
    RELATIVE_DAYS,
    UNIT_MINUTES,
    WEEKDAYS,
    DayPart,
    alternation,
    normalise,
    typed_year,
)

Prefer = Literal["future", "past"]

MAX_INPUT_CHARS = 100
MAX_DISTANCE = timedelta(days=366)
DEFAULT_TIME = (9, 0)

# The grammar never sees more words than this; anything longer that it does not know is junk, and refusing it
# before dateparser keeps the worst case far below the 50 ms budget.
_MAX_FALLBACK_WORDS = 8


class TimeParseError(TocsinError, ValueError):
    """A time the person typed that cannot be used; `message_id` says why, `args_map["text"]` echoes it."""


# --- the grammar ------------------------------------------------------------------------------------------

_MONTH_RE = alternation(MONTHS)
_WEEKDAY_RE = alternation(WEEKDAYS)
_UNIT_RE = alternation(UNIT_MINUTES)
_COUNT_RE = r"\d{1,12}|" + alternation(ONE_WORDS)
_END = r"(?![a-z0-9'])"

_DURATION_FORWARD = re.compile(
    rf"(?:dans|in|d'ici)\s+(?:(?P<half>une demi-heure|une demi heure|half an hour)|"
    rf"(?P<n>{_COUNT_RE})\s*(?P<unit>{_UNIT_RE})(?:\s*(?P<extra>\d{{1,2}}))?)"
)
_DURATION_BACK_FR = re.compile(
    rf"(?:il y a|depuis)\s+(?:(?P<half>une demi-heure|une demi heure)|"
    rf"(?P<n>{_COUNT_RE})\s*(?P<unit>{_UNIT_RE})(?:\s*(?P<extra>\d{{1,2}}))?)"
)
_DURATION_BACK_EN = re.compile(
    rf"(?:(?P<half>half an hour)|(?P<n>{_COUNT_RE})\s*(?P<unit>{_UNIT_RE})(?:\s*(?P<extra>\d{{1,2}}))?)\s+ago"
)
# A word glued to the number after it ("demain9h", "aujourd'hui12h", "dans2h") is read as if spaced; an ISO
# date's "t" before its time ("2024-10-19t10:00") stays glued.
_GLUED = re.compile(r"(?<=[a-z'])(?<!\dt)(?=\d)")
# A duration with a minus sign before its number: never a time, whichever direction is asked.
_NEGATIVE = re.compile(r"(?:^|\b(?:dans|in|d'ici|il y a|depuis|since|for))\s*[-\u2212]\s*\d|[-\u2212]\s*\d.*\bago$")
_NOW_WORDS = frozenset({"maintenant", "now", "right now", "a l'instant", "tout de suite"})
_BARE_NUMBER = re.compile(r"[\d\s.,:+\-/]+")
_HAS_TIME_OR_DATE = re.compile(r"\d\s*(?:h|:|am|pm)|\d/\d|midnight")

# Each token pattern is matched where the previous one stopped; the order puts longer readings first.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(f"(?:{pattern}){_END}"))
    for name, pattern in (
        ("iso", r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"),
        ("numeric_date", r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?|(\d{1,2})([.\-])(\d{1,2})\5(\d{4}|\d{2})"),
        ("clock_ampm", r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)"),
        ("clock", r"(\d{1,2}):(\d{2})"),
        ("clock_h", r"(\d{1,2})\s*(?:h|heures?)(?:\s*(\d{2}))?"),
        ("day_month", rf"(\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?(?:\s+(\d{{4}}))?"),
        ("month_day", rf"({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?"),
        (
            "month_part",
            (
                rf"(debut|mi|fin|early|mid|late|end of|beginning of|start of)(?:\s*-\s*|\s+)({_MONTH_RE})"
                rf"(?:\s+(\d{{4}}))?"
            ),
        ),
        ("tonight", r"tonight|ce soir|this evening"),
        ("relative_day", alternation(RELATIVE_DAYS)),
        ("weekday", _WEEKDAY_RE),
        ("next", r"prochaine?|next|coming"),
        ("last", r"derniere?|passee?|last"),
        ("this", r"cette|cet|ce|this"),
        ("day_part", alternation(DAY_PART_WORDS)),
        ("month_alone", rf"({_MONTH_RE})\.?(?:\s+(\d{{4}}))?"),
        ("day_of_month", r"(\d{1,2})(?:er|st|nd|rd|th)?"),
        (
            "filler",
            r"a partir d[eu]|in the|depuis|since|from|des|le|la|a|au|en|at|on|vers|around|about|du|de|the|,",
        ),
    )
)


# --- the reading of a phrase ------------------------------------------------------------------------------


@dataclass
class _Reading:
    """What the grammar found in a phrase, before it is placed on the calendar."""

    relative_day: int | None = None
    weekday: int | None = None
    weekday_mode: Literal["any", "next", "last"] = "any"
    this: bool = False
    on_date: tuple[int | None, int, int] | None = None  # year (None if not typed), month, day
    month_part: tuple[int | None, int, str] | None = None
    day_of_month: int | None = None
    article: bool = False  # "le 21", "the 21st": what makes a lone number a day of the month
    clock: tuple[int, int] | None = None
    day_part: DayPart | None = None
    anchors: int = 0
    pending_modifier: str | None = None


class _UnknownPhraseError(Exception):
    """The grammar met a word it does not know: the phrase goes to dateparser."""


def _fail(message_id: str, text: str, **args: object) -> TimeParseError:
    return TimeParseError(message_id, text=text, **args)


def _read(text: str, original: str) -> _Reading:
    reading = _Reading()
    position = 0
    length = len(text)
    while position < length:
        if text[position] == " ":
            position += 1
            continue
        for name, pattern in _TOKENS:
            match = pattern.match(text, position)
            if match:
                _apply(reading, name, match, original)
                position = match.end()
                break
        else:
            raise _UnknownPhraseError
    if reading.pending_modifier is not None:
        _attach_modifier(reading, None, original)
    return reading


def _set_clock(reading: _Reading, hour: int, minute: int, original: str) -> None:
    if reading.clock is not None:
        raise _fail("time.error.not_understood", original)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise _fail("time.error.impossible_time", original)
    reading.clock = (hour, minute)


def _set_date(reading: _Reading, year: int | None, month: int, day: int, original: str) -> None:
    reading.anchors += 1
    reading.on_date = (year, month, day)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise _fail("time.error.impossible_date", original)


def _attach_modifier(reading: _Reading, target: str | None, original: str) -> None:
    modifier = reading.pending_modifier
    reading.pending_modifier = None
    if modifier == "this":
        reading.this = True
        return
    if target != "weekday" or reading.weekday_mode != "any":
        raise _fail("time.error.not_understood", original)
    reading.weekday_mode = "next" if modifier == "next" else "last"


def _apply(reading: _Reading, name: str, match: re.Match[str], original: str) -> None:
    groups = match.groups()
    if name == "iso":
        _set_date(reading, int(groups[0]), int(groups[1]), int(groups[2]), original)
        if groups[3] is not None:
            _set_clock(reading, int(groups[3]), int(groups[4]), original)
    elif name == "numeric_date":
        if groups[0] is not None:
            _set_date(reading, typed_year(groups[2]), int(groups[1]), int(groups[0]), original)
        else:
            _set_date(reading, typed_year(groups[6]), int(groups[5]), int(groups[3]), original)
    elif name == "clock_ampm":
        hour, minute = int(groups[0]), int(groups[1] or 0)
        if not 1 <= hour <= 12:
            raise _fail("time.error.impossible_time", original)
        hour = hour % 12 + (12 if groups[2].startswith("p") else 0)
        _set_clock(reading, hour, minute, original)
    elif name in ("clock", "clock_h"):
        _set_clock(reading, int(groups[0]), int(groups[1] or 0), original)
    elif name == "day_month":
        _set_date(reading, typed_year(groups[2]), MONTHS[groups[1]], int(groups[0]), original)
    elif name == "month_day":
        _set_date(reading, typed_year(groups[2]), MONTHS[groups[0]], int(groups[1]), original)
    elif name == "month_alone":
        raise _fail("time.error.month_without_day", original)
    elif name == "day_of_month":
        reading.anchors += 1
        reading.day_of_month = int(groups[0])
        if not 1 <= reading.day_of_month <= 31:
            raise _fail("time.error.impossible_date", original)
    elif name == "filler":
        reading.article = reading.article or match.group(0) in ("le", "the")
    elif name == "month_part":
        reading.anchors += 1
        which = {"debut": "start", "beginning of": "start", "start of": "start", "early": "start"}.get(
            groups[0], "end" if groups[0] in ("fin", "late", "end of") else "middle"
        )
        reading.month_part = (typed_year(groups[2]), MONTHS[groups[1]], which)
    elif name == "tonight":
        reading.anchors += 1
        reading.relative_day = 0
        _set_day_part(reading, "evening", original)
    elif name == "relative_day":
        reading.anchors += 1
        reading.relative_day = RELATIVE_DAYS[match.group(0)]
    elif name == "weekday":
        if reading.weekday is not None:
            raise _fail("time.error.not_understood", original)
        reading.weekday = WEEKDAYS[match.group(0)]
        if reading.pending_modifier is not None:
            _attach_modifier(reading, "weekday", original)
    elif name in ("next", "last", "this"):
        # "lundi prochain" puts the modifier after its weekday, "next monday" and "ce soir" before.
        if name != "this" and reading.weekday is not None and reading.weekday_mode == "any":
            reading.weekday_mode = "next" if name == "next" else "last"
        elif reading.pending_modifier is not None:
            raise _fail("time.error.not_understood", original)
        else:
            reading.pending_modifier = name
    elif name == "day_part":
        _set_day_part(reading, DAY_PART_WORDS[match.group(0)], original)
        if reading.pending_modifier is not None:
            _attach_modifier(reading, "day_part", original)


def _set_day_part(reading: _Reading, part: DayPart, original: str) -> None:
    if reading.day_part is not None and reading.day_part != part:
        raise _fail("time.error.not_understood", original)
    reading.day_part = part


# --- placing a reading on the calendar --------------------------------------------------------------------


def _wall_time(reading: _Reading, original: str) -> tuple[int, int]:
    if reading.clock is None:
        return DAY_PART_TIMES[reading.day_part] if reading.day_part else DEFAULT_TIME
    hour, minute = reading.clock
    if reading.day_part in ("noon", "midnight"):
        raise _fail("time.error.not_understood", original)
    if reading.day_part in ("afternoon", "evening") and hour < 12:
        # "8h du soir", "lundi soir 8h": French speech counts evening hours on a 12-hour dial.
        hour += 12
    return hour, minute


def localise(wall: datetime, tz: ZoneInfo, original: str) -> datetime:
    """The instant a naive wall-clock value denotes in `tz`; refuses the spring gap and the repeated hour."""
    earlier = wall.replace(tzinfo=tz, fold=0)
    later = wall.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        shown = wall.strftime("%d/%m/%Y %H:%M")
        round_trip = earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != wall:
            raise _fail("time.error.nonexistent", original, time=shown)
        raise _fail("time.error.ambiguous", original, time=shown)
    return earlier


def _at(day: date, hm: tuple[int, int], tz: ZoneInfo, original: str) -> datetime:
    return localise(datetime(day.year, day.month, day.day, hm[0], hm[1]), tz, original)  # noqa: DTZ001 - localised at once


def _is_ahead(candidate: datetime, now: datetime, prefer: Prefer) -> bool:
    # Compared in UTC: two datetimes sharing one ZoneInfo compare by wall clock, ignoring fold and offset.
    instant, reference = candidate.astimezone(UTC), now.astimezone(UTC)
    return instant > reference if prefer == "future" else instant <= reference


def _month_day(year: int, month: int, which: str) -> date:
    if which == "start":
        return date(year, month, 1)
    if which == "middle":
        return date(year, month, 15)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _resolve(reading: _Reading, *, now: datetime, tz: ZoneInfo, prefer: Prefer, original: str) -> datetime:
    if reading.anchors > 1:
        raise _fail("time.error.not_understood", original)
    if reading.pending_modifier is not None or (
        reading.clock is None and reading.day_part is None and reading.anchors == 0 and reading.weekday is None
    ):
        raise _fail("time.error.not_understood", original)
    hm = _wall_time(reading, original)
    local_now = now.astimezone(tz)
    today = local_now.date()

    day: date | None = None
    if reading.relative_day is not None:
        day = today + timedelta(days=reading.relative_day)
    elif reading.on_date is not None:
        year, month, dom = reading.on_date
        day = _date_in_year(year, month, dom, today, prefer, original)
    elif reading.month_part is not None:
        year, month, which = reading.month_part
        if year is not None:
            day = _checked(lambda: _month_day(year, month, which), original)
        else:
            for candidate_year in (today.year, today.year + _direction(prefer)):
                day = _month_day(candidate_year, month, which)
                if _day_ahead(day, today, prefer):
                    break
    elif reading.day_of_month is not None:
        if reading.weekday is None and not reading.article:
            # "à 9" is an hour said carelessly, not the 9th; only "le 9" or "mardi 9" name a day.
            raise _fail("time.error.not_understood", original)
        day = _nearest_day_of_month(reading.day_of_month, today, prefer, original)
    elif reading.this and reading.weekday is None:
        day = today

    if day is not None:
        if reading.weekday is not None and day.weekday() != reading.weekday:
            raise _fail("time.error.weekday_mismatch", original)
        return _at(day, hm, tz, original)

    if reading.weekday is not None:
        if reading.weekday_mode == "next":
            offsets: range = range(1, 8)
        elif reading.weekday_mode == "last":
            offsets = range(-1, -8, -1)
        elif prefer == "future":
            offsets = range(8)
        else:
            offsets = range(0, -8, -1)
        for offset in offsets:
            candidate_day = today + timedelta(days=offset)
            if candidate_day.weekday() != reading.weekday:
                continue
            candidate = _at(candidate_day, hm, tz, original)
            if reading.weekday_mode != "any" or _is_ahead(candidate, now, prefer):
                return candidate
        raise _fail("time.error.not_understood", original)  # pragma: no cover - a week holds every weekday

    # A bare time: today if that is on the right side of now, else the neighbouring day.
    candidate = _at(today, hm, tz, original)
    if _is_ahead(candidate, now, prefer):
        return candidate
    return _at(today + timedelta(days=_direction(prefer)), hm, tz, original)


def _checked(build: Callable[[], date], original: str) -> date:
    try:
        return build()
    except (ValueError, OverflowError):
        raise _fail("time.error.impossible_date", original) from None


def _direction(prefer: Prefer) -> int:
    return 1 if prefer == "future" else -1


def _day_ahead(day: date, today: date, prefer: Prefer) -> bool:
    """Whether `day` lies on the `prefer` side of `today`, today included."""
    return day >= today if prefer == "future" else day <= today


def _first_day_ahead(candidates: Iterable[tuple[int, int, int]], today: date, prefer: Prefer, original: str) -> date:
    """The first of the (year, month, day) `candidates` that exists and lies on the `prefer` side of `today`."""
    for year, month, dom in candidates:
        try:
            candidate = date(year, month, dom)
        except ValueError:
            continue
        if _day_ahead(candidate, today, prefer):
            return candidate
    raise _fail("time.error.impossible_date", original)


def _nearest_day_of_month(dom: int, today: date, prefer: Prefer, original: str) -> date:
    months = (today.year * 12 + today.month - 1 + _direction(prefer) * away for away in range(13))
    return _first_day_ahead(((index // 12, index % 12 + 1, dom) for index in months), today, prefer, original)


def _date_in_year(year: int | None, month: int, dom: int, today: date, prefer: Prefer, original: str) -> date:
    if year is not None:
        return _checked(lambda: date(year, month, dom), original)
    years = (today.year, today.year + _direction(prefer))
    return _first_day_ahead(((candidate, month, dom) for candidate in years), today, prefer, original)


# --- durations --------------------------------------------------------------------------------------------


def _duration(match: re.Match[str], original: str) -> timedelta:
    if match.group("half"):
        return timedelta(minutes=30)
    raw = match.group("n")
    count = 1 if raw in ONE_WORDS else int(raw)
    minutes_per_unit = UNIT_MINUTES[match.group("unit")]
    extra = match.group("extra")
    # Only "1h30"-style input carries trailing minutes; "2 jours 30" means nothing.
    if extra is not None and (minutes_per_unit != 60 or int(extra) > 59):
        raise _fail("time.error.not_understood", original)
    total_minutes = count * minutes_per_unit + int(extra or 0)
    if total_minutes > MAX_DISTANCE.total_seconds() // 60:
        raise _fail("time.error.too_far", original)
    return timedelta(minutes=total_minutes)


# --- dateparser fallback ----------------------------------------------------------------------------------

_DATEPARSER_LANGUAGES = ["fr", "en"]


def _dateparser_wall(text: str, local_now: datetime, prefer: Prefer) -> datetime | None:
    """dateparser's naive wall-clock reading of `text`, relative to the naive local `now`.

    The base must be naive: with an aware base dateparser returns None for time-only phrases.
    """
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    result = dateparser.parse(text, languages=_DATEPARSER_LANGUAGES, settings=settings)
    if result is None:
        return None
    if result.tzinfo is not None:
        # The phrase named its own zone ("14:00 UTC"): honour the instant, then read it on our wall clock.
        return result.astimezone(local_now.tzinfo).replace(tzinfo=None)
    return result.replace(second=0, microsecond=0)


# --- entry points -----------------------------------------------------------------------------------------


def checked_input(text: object, *, now: datetime, error: type[TocsinError], not_understood: str, too_long: str) -> str:
    """What a typed time phrase must be before it is read: a string of at most `MAX_INPUT_CHARS` characters,
    read against an aware `now`. Returns it as echoed back to the person; raises `error` with the message
    `not_understood` or `too_long` otherwise."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not isinstance(text, str):
        raise error(not_understood, text="")
    if len(text) > MAX_INPUT_CHARS:
        raise error(too_long, text=text[:40] + "…", limit=MAX_INPUT_CHARS)
    return text.strip()


def parse_when(text: str, *, now: datetime, tz: ZoneInfo, prefer: Prefer) -> datetime:
    """The instant `text` means, aware and in `tz`, on the `prefer` side of `now`.

    Raises `TimeParseError` (a `ValueError`) for anything it cannot use, never another exception type.
    """
    shown = checked_input(
        text,
        now=now,
        error=TimeParseError,
        not_understood="time.error.not_understood",
        too_long="time.error.too_long",
    )
    try:
        result = _parse(text, shown, now=now, tz=tz, prefer=prefer)
    except TimeParseError:
        raise
    except Exception:
        # The grammar and dateparser should refuse cleanly; anything else is still the input's fault.
        raise TimeParseError("time.error.not_understood", text=shown) from None
    if not _is_ahead(result, now, prefer):
        raise TimeParseError("time.error.not_future" if prefer == "future" else "time.error.not_past", text=shown)
    if abs(result.astimezone(UTC) - now.astimezone(UTC)) > MAX_DISTANCE:
        raise TimeParseError("time.error.too_far", text=shown)
    return result


def _parse(text: str, shown: str, *, now: datetime, tz: ZoneInfo, prefer: Prefer) -> datetime:
    clean = _GLUED.sub(" ", normalise(text))
    if not clean:
        raise TimeParseError("time.error.empty", text=shown)
    if _NEGATIVE.search(clean):
        raise TimeParseError("time.error.negative", text=shown)
    if clean in _NOW_WORDS:
        return now.astimezone(tz)

    if clean.isdigit():
        # dateparser reads "1729339200" as an epoch and "12" as a day of the month: neither is what was meant.
        raise TimeParseError("time.error.bare_number", text=shown)
    utc_now = now.astimezone(UTC)
    if match := _DURATION_FORWARD.fullmatch(clean):
        return (utc_now + _duration(match, shown)).astimezone(tz)
    for pattern in (_DURATION_BACK_FR, _DURATION_BACK_EN):
        if (match := pattern.fullmatch(clean)) and not _is_clock_since(match):
            return (utc_now - _duration(match, shown)).astimezone(tz)

    try:
        reading = _read(clean, shown)
    except _UnknownPhraseError:
        pass
    else:
        return _resolve(reading, now=now, tz=tz, prefer=prefer, original=shown)

    if _BARE_NUMBER.fullmatch(clean):
        # Digits the grammar could not read would only be guessed at by dateparser (month first, epochs).
        raise TimeParseError("time.error.not_understood", text=shown)
    if len(clean.split()) > _MAX_FALLBACK_WORDS:
        raise TimeParseError("time.error.not_understood", text=shown)
    wall = _dateparser_wall(clean, now.astimezone(tz), prefer)
    if wall is None:
        raise TimeParseError("time.error.not_understood", text=shown)
    if (wall.hour, wall.minute) == (0, 0) and not _HAS_TIME_OR_DATE.search(clean) and "minuit" not in clean:
        # dateparser gives a bare date at midnight; our rule for a date without a time is 09:00.
        wall = wall.replace(hour=DEFAULT_TIME[0], minute=DEFAULT_TIME[1])
    return localise(wall, tz, shown)


def _is_clock_since(match: re.Match[str]) -> bool:
    """ "depuis 14 heures" names a clock time, not a duration; "il y a 3 heures" is a duration."""
    return (
        match.group(0).startswith("depuis") and match.group("half") is None and UNIT_MINUTES[match.group("unit")] == 60
    )


def warm_up() -> None:
    """Pay dateparser's first-call cost (~300 ms: it loads its languages) at start-up, not on a command."""
    base = datetime(2024, 10, 19, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    for phrase in ("la semaine prochaine", "next week"):
        _dateparser_wall(phrase, base, "future")
    parse_when("demain 9h", now=base, tz=ZoneInfo("Europe/Paris"), prefer="future")
