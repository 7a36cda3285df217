"""Periods for exports and lists: "octobre 2024", "depuis lundi", "semaine dernière", "du 01/10 au 15/10".

A period is `(start, end)`, both aware and in the server's zone, start inclusive and end exclusive, so two
consecutive periods never count the same incident twice. Calendar periods (a day, a week from Monday, a
month, a year) run from local midnight to local midnight; "depuis …" and "N derniers jours" end at `now`.

Rules decided here:
- A date or month without a year is its latest occurrence that has started (periods look back); in a range,
  the end without a year is the first occurrence on or after the start ("du 15/12 au 15/01" spans New Year).
- A lone weekday ("lundi") is the latest such day, today included.
- "N derniers jours" / "last N days" are N × 24 real hours back from now.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.common.errors import TocsinError
from bot.common.time_parsing import TimeParseError, checked_input, parse_when
from bot.common.time_words import MONTHS, RELATIVE_DAYS, WEEKDAYS, alternation, normalise, typed_year


class PeriodParseError(TocsinError, ValueError):
    """A period the person typed that cannot be used; `message_id` says why, `args_map["text"]` echoes it."""


_MONTH_RE = alternation(MONTHS)
_WEEKDAY_RE = alternation(WEEKDAYS)

_TODAY = re.compile(r"(?:aujourd'hui|aujourdhui|aujourd hui|today)")
_YESTERDAY = re.compile(r"(?:hier|yesterday)")
_THIS_WEEK = re.compile(r"(?:cette semaine|this week|semaine en cours)")
_LAST_WEEK = re.compile(r"(?:la )?(?:semaine (?:derniere|passee|precedente)|derniere semaine)|last week")
_THIS_MONTH = re.compile(r"(?:ce mois(?:-ci| ci)?|this month|mois en cours)")
_LAST_MONTH = re.compile(r"(?:le )?(?:mois (?:dernier|passe|precedent)|dernier mois)|last month")
_THIS_YEAR = re.compile(r"(?:cette annee|this year|annee en cours)")
_LAST_YEAR = re.compile(r"(?:l'annee (?:derniere|passee|precedente)|annee derniere|last year)")
_YEAR = re.compile(r"(?:en |in )?(\d{4})")
_MONTH = re.compile(rf"(?:en |in |le mois d'|le mois de )?({_MONTH_RE})\.?(?: (\d{{4}}))?")
_LAST_N = re.compile(
    r"(?:(?:les|the|last|past) )*(\d{1,4}) (?:(derniers|dernieres) )?"
    r"(jours|days|semaines|weeks|heures|hours|mois|months)(?: (derniers|dernieres))?"
)
_SINCE = re.compile(r"(?:depuis|since|a partir d[eu]|from) (.+)")
_RANGE = re.compile(
    r"(?:du |from |between |entre (?:le )?)?(?P<start>.+?)"
    r" (?:au|to|and|et|until|jusqu'au|-|→) (?:le )?(?P<end>.+)"
)
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(rf"(\d{{1,2}})(?:er|st|nd|rd|th)? (?:of )?({_MONTH_RE})\.?(?: (\d{{4}}))?")
_MONTH_DAY = re.compile(rf"({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?")
_WEEKDAY = re.compile(rf"(?:(?:last|ce|this) )?({_WEEKDAY_RE})(?: (?:dernier|passe))?")

_UNIT_DAYS = {"jours": 1, "days": 1, "semaines": 7, "weeks": 7, "mois": 30, "months": 30}


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Through UTC and back: a midnight that the clocks skip becomes the first instant of that day.
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC).astimezone(tz)


def _days(first: date, last_inclusive: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return _midnight(first, tz), _midnight(last_inclusive + timedelta(days=1), tz)


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _fail(message_id: str, text: str) -> PeriodParseError:
    return PeriodParseError(message_id, text=text)


def _make_date(year: int, month: int, day: int, shown: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _fail("period.error.impossible_date", shown) from None


def _place(year: int | None, month: int, day: int, today: date, after: date | None, shown: str) -> date:
    """The calendar day for a day and month typed with or without a year."""
    if year is not None:
        return _make_date(year, month, day, shown)
    years = (after.year, after.year + 1) if after else (today.year, today.year - 1)
    for candidate_year in years:
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if (after is not None and candidate >= after) or (after is None and candidate <= today):
            return candidate
    raise _fail("period.error.impossible_date", shown)


def _single_day(clean: str, today: date, shown: str, after: date | None = None) -> date | None:
    clean = re.sub(r"^(?:le|the|on) ", "", clean)
    if clean in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[clean])
    if match := _ISO.fullmatch(clean):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), shown)
    if match := _NUMERIC.fullmatch(clean):
        return _place(typed_year(match[3]), int(match[2]), int(match[1]), today, after, shown)
    if match := _DAY_MONTH.fullmatch(clean):
        return _place(typed_year(match[3]), MONTHS[match[2]], int(match[1]), today, after, shown)
    if match := _MONTH_DAY.fullmatch(clean):
        return _place(typed_year(match[3]), MONTHS[match[1]], int(match[2]), today, after, shown)
    if match := _WEEKDAY.fullmatch(clean):
        back = (today.weekday() - WEEKDAYS[match[1]]) % 7
        return today - timedelta(days=back)
    return None


def parse_period(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """`(start, end)` for `text`, aware in `tz`; raises `PeriodParseError` for anything it cannot use."""
    shown = checked_input(
        text,
        now=now,
        error=PeriodParseError,
        not_understood="period.error.not_understood",
        too_long="period.error.too_long",
    )
    clean = normalise(text)
    if not clean:
        raise PeriodParseError("period.error.empty", text=shown)
    local_now = now.astimezone(tz)
    try:
        start, end = _read(clean, shown, local_now, tz)
    except PeriodParseError:
        raise
    except Exception:
        raise _fail("period.error.not_understood", shown) from None
    if start.astimezone(UTC) > now.astimezone(UTC):
        raise _fail("period.error.in_future", shown)
    if end.astimezone(UTC) <= start.astimezone(UTC):
        raise _fail("period.error.end_before_start", shown)
    return start, end


def _read(clean: str, shown: str, local_now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    today = local_now.date()
    monday = today - timedelta(days=today.weekday())
    if _TODAY.fullmatch(clean):
        return _days(today, today, tz)
    if _YESTERDAY.fullmatch(clean):
        return _days(today - timedelta(days=1), today - timedelta(days=1), tz)
    if _THIS_WEEK.fullmatch(clean):
        return _midnight(monday, tz), _midnight(monday + timedelta(days=7), tz)
    if _LAST_WEEK.fullmatch(clean):
        return _midnight(monday - timedelta(days=7), tz), _midnight(monday, tz)
    if _THIS_MONTH.fullmatch(clean):
        first = _month_start(today.year, today.month)
        return _midnight(first, tz), _midnight(_next_month(first), tz)
    if _LAST_MONTH.fullmatch(clean):
        first = _month_start(today.year, today.month)
        previous = _month_start(first.year - (first.month == 1), (first.month - 2) % 12 + 1)
        return _midnight(previous, tz), _midnight(first, tz)
    if _THIS_YEAR.fullmatch(clean):
        return _midnight(date(today.year, 1, 1), tz), _midnight(date(today.year + 1, 1, 1), tz)
    if _LAST_YEAR.fullmatch(clean):
        return _midnight(date(today.year - 1, 1, 1), tz), _midnight(date(today.year, 1, 1), tz)
    if match := _YEAR.fullmatch(clean):
        year = int(match[1])
        if not 1900 <= year <= 9998:
            raise _fail("period.error.impossible_date", shown)
        return _midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz)
    if match := _MONTH.fullmatch(clean):
        month = MONTHS[match[1]]
        # Without a year, the latest such month that has begun: in October, "novembre" is last November.
        latest = today.year if month <= today.month else today.year - 1
        year = int(match[2]) if match[2] is not None else latest
        month_start = _month_start(year, month)
        return _midnight(month_start, tz), _midnight(_next_month(month_start), tz)
    if match := _LAST_N.fullmatch(clean):
        return _last_n(match, clean, shown, local_now, tz)
    if day := _single_day(clean, today, shown):
        return _days(day, day, tz)
    if match := _SINCE.fullmatch(clean):
        return _since(match[1], shown, local_now, tz)
    if match := _RANGE.fullmatch(clean):
        start_day = _single_day(match["start"], today, shown)
        if start_day is None:
            raise _fail("period.error.not_understood", shown)
        end_day = _single_day(match["end"], today, shown, after=start_day)
        if end_day is None:
            raise _fail("period.error.not_understood", shown)
        if end_day < start_day:
            raise _fail("period.error.end_before_start", shown)
        return _days(start_day, end_day, tz)
    raise _fail("period.error.not_understood", shown)


def _last_n(
    match: re.Match[str], clean: str, shown: str, local_now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    french_words = match[2] or match[4]
    if not (french_words or clean.startswith(("last", "past", "the last", "the past"))):
        # "30 jours" alone could be a duration or a date; only "derniers"/"last" make it a look-back.
        raise _fail("period.error.not_understood", shown)
    count, unit = int(match[1]), match[3]
    if count == 0:
        raise _fail("period.error.not_understood", shown)
    hours = count if unit in ("heures", "hours") else count * 24 * _UNIT_DAYS[unit]
    delta = timedelta(hours=hours)
    if delta > timedelta(days=3660):
        raise _fail("period.error.too_long_ago", shown)
    utc_now = local_now.astimezone(UTC)
    return (utc_now - delta).astimezone(tz), local_now


def _since(rest: str, shown: str, local_now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    # A day ("depuis lundi") starts at its midnight; a time ("depuis hier 14h") at that time.
    day = _single_day(rest, local_now.date(), shown)
    if day is not None:
        return _midnight(day, tz), local_now
    try:
        start = parse_when(rest, now=local_now, tz=tz, prefer="past")
    except TimeParseError:
        raise _fail("period.error.not_understood", shown) from None
    return start, local_now
