"""French-first wording of durations, dates and numbers, every word taken from the message catalogues.

Discord timestamps (`<t:…>`) are preferred wherever a reader's own client can render the time; these are for
text that must read the same for everyone (exports, thread names, summaries) and are worded in the server's
zone and language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.common.i18n.catalogue import Language, default_catalogue

# Explicit literal keys, so a search for a message id finds where it is used.
WEEKDAY_KEYS = (
    "format.weekday.0",
    "format.weekday.1",
    "format.weekday.2",
    "format.weekday.3",
    "format.weekday.4",
    "format.weekday.5",
    "format.weekday.6",
)
MONTH_KEYS = (
    "format.month.1",
    "format.month.2",
    "format.month.3",
    "format.month.4",
    "format.month.5",
    "format.month.6",
    "format.month.7",
    "format.month.8",
    "format.month.9",
    "format.month.10",
    "format.month.11",
    "format.month.12",
)


def duration_parts(total_minutes: int) -> list[tuple[str, int]]:
    """The parts a duration is worded with, largest first, zero parts dropped (minutes kept when alone):
    (catalogue key, count); 4,350 → [("format.duration.days", 3), ("format.duration.minutes", 30)]."""
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(key, n) for key, n in (("format.duration.days", days), ("format.duration.hours", hours)) if n]
    if minutes or not parts:
        parts.append(("format.duration.minutes", minutes))
    return parts


def format_duration(delta: timedelta, language: Language) -> str:
    """ "2 j 23 h", "1 j 20 h 30 min", "45 min", "0 min": whole minutes, seconds truncated, zero parts dropped."""
    catalogue = default_catalogue()
    negative = delta < timedelta(0)
    total_minutes = int(abs(delta).total_seconds() // 60)
    parts = [
        catalogue.render(language, key, n=format_number(n, language) if key == "format.duration.days" else n)
        for key, n in duration_parts(total_minutes)
    ]
    worded = catalogue.render(language, "format.duration.joiner").join(parts)
    if negative and total_minutes:
        return catalogue.render(language, "format.duration.negative", duration=worded)
    return worded


def format_datetime(dt: datetime, language: Language, tz: ZoneInfo, now: datetime | None = None) -> str:
    """ "lundi 21 octobre à 09:00"; the year is added when it is not the year of `now` (in `tz`)."""
    if dt.tzinfo is None:
        raise ValueError("dt must be an aware datetime")
    catalogue = default_catalogue()
    local = dt.astimezone(tz)
    day = (
        catalogue.render(language, "format.day_of_month.first")
        if local.day == 1
        else catalogue.render(language, "format.day_of_month", day=local.day)
    )
    args = {
        "weekday": catalogue.render(language, WEEKDAY_KEYS[local.weekday()]),
        "day": day,
        "month": catalogue.render(language, MONTH_KEYS[local.month - 1]),
        "time": catalogue.render(language, "format.time", hour=f"{local.hour:02d}", minute=f"{local.minute:02d}"),
        "year": local.year,
    }
    if now is not None and now.astimezone(tz).year != local.year:
        return catalogue.render(language, "format.datetime_with_year", **args)
    return catalogue.render(language, "format.datetime", **args)


def format_number(n: int | float | Decimal, language: Language, decimals: int | None = None) -> str:
    """ "1 800" (narrow no-break space) and "3,5" in French; "1,800" and "3.5" in English."""
    catalogue = default_catalogue()
    plain = f"{n:,.{decimals}f}" if decimals is not None else f"{n:,}"
    # Placeholder characters first, so that swapping "," and "." cannot collide.
    plain = plain.replace(",", "\x00").replace(".", "\x01")
    return plain.replace("\x00", catalogue.render(language, "format.number.thousands_separator")).replace(
        "\x01", catalogue.render(language, "format.number.decimal_separator")
    )
