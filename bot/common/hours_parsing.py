"""Working hours as admins type them: "09:00", "9h30", "lun-ven", "mon-fri", "lun,mar,jeu".

Pure parsing and wording, no I/O. Days are ISO weekdays (Monday = 1), as `GuildConfig.hours.days` stores them.
A range may wrap around the week ("ven-lun" is Friday to Monday), because weekend duty rotas are written so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time

from bot.common.errors import TocsinError
from bot.common.i18n.catalogue import Language, default_catalogue
from bot.common.text import name_key

MAX_INPUT_CHARS = 100


class WorkingHoursError(TocsinError, ValueError):
    """A time or a list of days that cannot be read; the message quotes it and gives an example."""


_DAY_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("lun", "lundi", "mon", "monday"),
        ("mar", "mardi", "tue", "tues", "tuesday"),
        ("mer", "mercredi", "wed", "weds", "wednesday"),
        ("jeu", "jeudi", "thu", "thur", "thurs", "thursday"),
        ("ven", "vendredi", "fri", "friday"),
        ("sam", "samedi", "sat", "saturday"),
        ("dim", "dimanche", "sun", "sunday"),
    ),
    start=1,
):
    for _name in _names:
        _DAY_NAMES[_name] = _number

_DAY_IDS = ("setup.day.1", "setup.day.2", "setup.day.3", "setup.day.4", "setup.day.5", "setup.day.6", "setup.day.7")
_EVERY_DAY = {"tous les jours", "tous", "toute la semaine", "7/7", "every day", "everyday", "all", "daily"}
_CLOCK = re.compile(r"(?P<h>\d{1,2})\s*(?:(?::|h|H)\s*(?P<m>\d{2})?)?")


def parse_clock(text: str) -> time:
    """ "09:00", "9:00", "9h", "9h30", "9" → a time of day; "25:00" or "9h75" are refused."""
    cleaned = text.strip().lower()
    match = _CLOCK.fullmatch(cleaned) if len(cleaned) <= MAX_INPUT_CHARS else None
    if match is None:
        raise WorkingHoursError("setup.error.bad_time", text=text.strip()[:40])
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 23 or minutes > 59:
        raise WorkingHoursError("setup.error.bad_time", text=text.strip()[:40])
    return time(hours, minutes)


def _day(token: str, original: str) -> int:
    key = name_key(token).rstrip(".")
    if key in _DAY_NAMES:
        return _DAY_NAMES[key]
    raise WorkingHoursError("setup.error.bad_days", text=original.strip()[:40])


def parse_days(text: str) -> frozenset[int]:
    """ "lun-ven", "mon-fri", "lun,mar,jeu", "samedi, dimanche", "tous les jours" → ISO weekdays."""
    folded = name_key(text)
    if not folded or len(text) > MAX_INPUT_CHARS:
        raise WorkingHoursError("setup.error.bad_days", text=text.strip()[:40])
    if folded in _EVERY_DAY:
        return frozenset(range(1, 8))
    days: set[int] = set()
    # "du lundi au vendredi", "lun à ven", "mon to fri", "lun - ven" all become "lun-ven" before splitting.
    folded = re.sub(r"^(?:du|from)\s+", "", folded)
    folded = re.sub(r"\s*(?:-|–|—|\ba\b|\bau\b|\bto\b)\s*", "-", folded)
    for item in re.split(r"[,;/\s]+", folded):
        if not item or item in ("et", "and"):
            continue
        parts = item.split("-")
        if len(parts) == 1:
            days.add(_day(parts[0], text))
        elif len(parts) == 2:
            first, last = _day(parts[0], text), _day(parts[1], text)
            day = first
            days.add(day)
            while day != last:
                day = day % 7 + 1
                days.add(day)
        else:
            raise WorkingHoursError("setup.error.bad_days", text=text.strip()[:40])
    if not days:
        raise WorkingHoursError("setup.error.bad_days", text=text.strip()[:40])
    return frozenset(days)


def check_span(start: time, end: time) -> None:
    """Working hours lie within one day: the end comes after the start."""
    if end <= start:
        raise WorkingHoursError("setup.error.hours_order", start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))


def format_clock(value: time) -> str:
    return value.strftime("%H:%M")


def format_days(days: Iterable[int], language: Language) -> str:
    """ "lundi–vendredi", "lundi, mardi, jeudi", "vendredi–lundi": runs of three or more days collapse."""
    catalogue = default_catalogue()
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return catalogue.render(language, "setup.days.every_day")
    if not chosen:
        return catalogue.render(language, "setup.days.none")
    # Rotate so that a run wrapping over Sunday (ven-lun) starts where it begins.
    start_index = next((i for i, d in enumerate(chosen) if (d - 2) % 7 + 1 not in chosen), 0)
    ordered = chosen[start_index:] + chosen[:start_index]
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] % 7 + 1:
            runs[-1].append(day)
        else:
            runs.append([day])

    def name(day: int) -> str:
        return catalogue.render(language, _DAY_IDS[day - 1])

    words = [f"{name(run[0])}–{name(run[-1])}" if len(run) >= 3 else ", ".join(map(name, run)) for run in runs]
    return ", ".join(words)
