"""Durations as people type them: "30 min", "1 h", "1h30", "4 h", "1 j", "2 jours", "90", "2 hours", "1 day".

Pure parsing, no I/O. It reads back what `bot.common.formatting.format_duration` writes, in either language
("2 j 23 h", "1 d 20 h 30 min", "45 min"), so a value shown by the bot can be typed again as it is shown.
(`time_parsing` reads durations only inside a time phrase, "dans 2 h", "il y a 3 jours", one unit each.)

Rules decided here:
- A bare number is minutes ("90" is 1 h 30 min): the finest unit, and the one the settings are stored in.
- A duration is one or more parts `<count> <unit>`, in any order, separated by spaces, commas, "et", "and" or
  "+"; each unit at most once ("1 h 2 h" is more likely a typo than a sum). Minutes may follow hours without
  a unit, from 0 to 59 ("1h30", "2 h 05"), and "H:MM" is hours and minutes ("1:30").
- Counts are whole or decimal, with a dot or a comma ("1,5 h"); "un", "une", "a", "an", "one" count as 1, and
  "une demi-heure" / "half an hour" is 30 minutes. Seconds are dropped, as `format_duration` drops them.
- Units: min, mn, m, minute(s); h, hr(s), heure(s), hour(s); j, jr(s), jour(s), d, day(s); sem, semaine(s),
  w, wk(s), week(s) — without case or accents.
- Nothing negative, no other words, at most `MAX_INPUT_CHARS` characters. Bounds (how short or long a
  duration may be) are the caller's: they depend on what the duration is for.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from bot.common.errors import TocsinError
from bot.common.text import name_key
from bot.common.time_words import UNIT_MINUTES, alternation

MAX_INPUT_CHARS = 60
_MAX_COUNT_DIGITS = 7  # up to 9,999,999 of a unit: far past any bound, and cheap to compute


class DurationTextError(TocsinError, ValueError):
    """A duration that cannot be read; `args_map["text"]` echoes it (shortened)."""


# The units `time_parsing` reads inside a time phrase ("dans 2 h"), plus abbreviations typed for a setting.
_UNITS: dict[str, int] = {**UNIT_MINUTES, "jr": 24 * 60, "jrs": 24 * 60, "wk": 7 * 24 * 60, "wks": 7 * 24 * 60}
_UNIT_RE = alternation(_UNITS)
_NUMBER_RE = rf"\d{{1,{_MAX_COUNT_DIGITS}}}(?:[.,]\d{{1,6}})?"
_HALF_HOUR = re.compile(r"(?:une\s+)?demi[- ]?heure|(?:a\s+)?half\s+(?:an\s+)?hour")
_PART = re.compile(
    rf"(?:(?P<n>{_NUMBER_RE})|(?P<one>un|une|an|a|one)(?=\s))\s*(?P<unit>{_UNIT_RE})(?![a-z])"
    # Minutes after hours, "1h30": two digits at most, not themselves followed by a unit or more digits.
    rf"(?:\s*(?P<extra>\d{{1,2}})(?!\d|[.,]\d)(?!\s*(?:{_UNIT_RE})(?![a-z])))?"
)
_SEPARATOR = re.compile(r"\s*(?:,|\+|\bet\b|\band\b)?\s*")
_CLOCK = re.compile(r"(?P<h>\d{1,4}):(?P<m>[0-5]\d)")
_BARE = re.compile(rf"{_NUMBER_RE}")


def _normalise(text: str) -> str:
    """Lower case, accents folded, spaces (also the no-break ones numbers are printed with) collapsed."""
    return name_key(text).strip(" .")


def _count(raw: str) -> Decimal:
    """A count the patterns let through: digits, with at most one decimal dot or comma."""
    return Decimal(raw.replace(",", "."))


def parse_duration(text: str) -> timedelta:
    """The duration `text` means, in whole minutes. Raises `DurationTextError` (a `ValueError`) for anything
    it cannot read, never another exception type."""
    shown = text.strip()[:40] if isinstance(text, str) else ""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        raise DurationTextError("setup.error.bad_duration", text=shown)
    clean = _normalise(text)
    if not clean:
        raise DurationTextError("setup.error.bad_duration", text=shown)
    if _BARE.fullmatch(clean):
        return _whole_minutes(_count(clean))
    if match := _CLOCK.fullmatch(clean):
        return timedelta(hours=int(match["h"]), minutes=int(match["m"]))
    total = Decimal(0)
    seen: set[int] = set()
    position = 0
    while position < len(clean):
        if position:
            separator = _SEPARATOR.match(clean, position)
            assert separator is not None  # every part of the pattern is optional
            position = separator.end()
            if position == len(clean):  # a trailing comma or "et"
                break
        half = _HALF_HOUR.match(clean, position)
        if half is not None and (half.end() == len(clean) or not clean[half.end()].isalnum()):
            # Counted as the minutes: "1 h et une demi-heure" is read, "30 min et une demi-heure" is not.
            if 1 in seen:
                raise DurationTextError("setup.error.bad_duration", text=shown)
            seen.add(1)
            total += 30
            position = half.end()
            continue
        part = _PART.match(clean, position)
        if part is None or part.end() == position:
            raise DurationTextError("setup.error.bad_duration", text=shown)
        unit = _UNITS[part["unit"]]
        count = Decimal(1) if part["one"] else _count(part["n"])
        if unit in seen:
            raise DurationTextError("setup.error.bad_duration", text=shown)
        seen.add(unit)
        total += count * unit
        if part["extra"] is not None:
            # Only "1h30" carries bare minutes; "2 j 30" and "1h75" mean nothing clear.
            if unit != 60 or int(part["extra"]) > 59 or 1 in seen:
                raise DurationTextError("setup.error.bad_duration", text=shown)
            seen.add(1)
            total += int(part["extra"])
        position = part.end()
    return _whole_minutes(total)


def _whole_minutes(minutes: Decimal) -> timedelta:
    """Seconds dropped; never negative, since no sign gets through the patterns."""
    return timedelta(minutes=int(minutes))
