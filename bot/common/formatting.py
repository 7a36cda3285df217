"""French-first wording of durations, dates, numbers and time zones, every word taken from the message catalogues.

Where a date goes in what Tocsin writes:
- Inside a running sentence, a date is worded here, in the server's zone, and the sentence gives its article and
  preposition ("le {time}", "du {start} au {end}", "depuis le {time}", "on {time}"): only then does it read as
  French writes it ("le samedi 1er mars à 09:00", the year only when it is not this year). A Discord timestamp
  cannot: the reader's client writes "1 mars 2025 09:00" after whatever precedes it.
- A Discord timestamp (`<t:…>`, each reader's client shows it in their own zone) stands where no grammar
  surrounds it: as a value after a label ("Reprise estimée : <t:…:F>"), or as a relative time in brackets after
  a worded date ("le samedi 19 octobre à 12:40 (<t:…:R>)").
- Midnight is "00:00" like every other time; a period from midnight to midnight is worded in whole days.
- Counts agree in number through the catalogue's plural messages (`bot.common.i18n.catalogue`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
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


def _local_day_args(local: datetime | date, language: Language) -> dict[str, Any]:
    catalogue = default_catalogue()
    day = (
        catalogue.render(language, "format.day_of_month.first")
        if local.day == 1
        else catalogue.render(language, "format.day_of_month", day=local.day)
    )
    return {
        "weekday": catalogue.render(language, WEEKDAY_KEYS[local.weekday()]),
        "day": day,
        "month": catalogue.render(language, MONTH_KEYS[local.month - 1]),
        "year": local.year,
    }


def format_clock(local: datetime, language: Language) -> str:
    """ "09:00", "00:00": midnight is written like every other time, never "minuit" (read by many as the end of
    the day named)."""
    return default_catalogue().render(language, "format.time", hour=f"{local.hour:02d}", minute=f"{local.minute:02d}")


def _other_year(year: int, tz: ZoneInfo, now: datetime | None) -> bool:
    return now is not None and now.astimezone(tz).year != year


def format_datetime(dt: datetime, language: Language, tz: ZoneInfo, now: datetime | None = None) -> str:
    """ "lundi 21 octobre à 09:00", "samedi 1er mars à 00:00"; the year is added when it is not the year of `now`
    (in `tz`). No article: the sentence gives it ("le {time}", "du {start} au {end}", "depuis le {time}")."""
    if dt.tzinfo is None:
        raise ValueError("dt must be an aware datetime")
    local = dt.astimezone(tz)
    args = {**_local_day_args(local, language), "time": format_clock(local, language)}
    key = "format.datetime_with_year" if _other_year(local.year, tz, now) else "format.datetime"
    return default_catalogue().render(language, key, **args)


def format_date(day: date, language: Language, tz: ZoneInfo, now: datetime | None = None) -> str:
    """ "samedi 1er mars", with the year when it is not the year of `now` (in `tz`); no article."""
    key = "format.date_with_year" if _other_year(day.year, tz, now) else "format.date"
    return default_catalogue().render(language, key, **_local_day_args(day, language))


def format_span(start: datetime, end: datetime, language: Language, tz: ZoneInfo, now: datetime | None = None) -> str:
    """ "du lundi 21 octobre à 09:00 au mardi 22 octobre à 18:00"; within one day, "le lundi 21 octobre, de 09:00
    à 18:00". The whole phrase, article and prepositions included."""
    catalogue = default_catalogue()
    first, last = start.astimezone(tz), end.astimezone(tz)
    if first.date() == last.date():
        return catalogue.render(
            language,
            "format.span.same_day",
            day=format_date(first.date(), language, tz, now),
            start=format_clock(first, language),
            end=format_clock(last, language),
        )
    return catalogue.render(
        language,
        "format.span",
        start=format_datetime(first, language, tz, now),
        end=format_datetime(last, language, tz, now),
    )


def _is_midnight(local: datetime) -> bool:
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def format_period(start: datetime, end: datetime, language: Language, tz: ZoneInfo, now: datetime | None = None) -> str:
    """A period, start inclusive and end exclusive (`bot.common.periods`), as the whole phrase: whole days when
    both bounds are midnights ("du mardi 1er octobre au jeudi 31 octobre", "le lundi 21 octobre"), the end's
    day being the last one in; otherwise as a span of times (`format_span`)."""
    first, after = start.astimezone(tz), end.astimezone(tz)
    if not (_is_midnight(first) and _is_midnight(after)):
        return format_span(start, end, language, tz, now)
    last_day = after.date() - timedelta(days=1)
    catalogue = default_catalogue()
    if last_day <= first.date():
        return catalogue.render(language, "format.period.day", day=format_date(first.date(), language, tz, now))
    return catalogue.render(
        language,
        "format.period.days",
        start=format_date(first.date(), language, tz, now),
        end=format_date(last_day, language, tz, now),
    )


# The zones a French server is likely to run in, named as their people name them; any other zone is named after
# the place in its IANA name ("America/New_York": "heure de New York").
ZONE_KEYS = {
    "Europe/Paris": "format.zone.paris",
    "America/Martinique": "format.zone.martinique",
    "America/Guadeloupe": "format.zone.guadeloupe",
    "America/Cayenne": "format.zone.guyane",
    "Indian/Reunion": "format.zone.reunion",
    "Indian/Mayotte": "format.zone.mayotte",
    "America/Miquelon": "format.zone.miquelon",
    "Pacific/Noumea": "format.zone.noumea",
    "Pacific/Tahiti": "format.zone.tahiti",
    "UTC": "format.zone.utc",
    "Etc/UTC": "format.zone.utc",
}


def zone_name(tz: ZoneInfo, language: Language) -> str:
    """ "heure de Paris", "heure de la Martinique", "heure de New York" ("Paris time"…): the zone times are given
    in, as its readers say it; a zone with no place in its name ("Etc/GMT+3") by its IANA name."""
    catalogue = default_catalogue()
    key = tz.key
    if key in ZONE_KEYS:
        return catalogue.render(language, ZONE_KEYS[key])
    area, _, place = key.rpartition("/")
    if not area or area == "Etc" or not place[:1].isalpha():
        return catalogue.render(language, "format.zone.code", zone=key)
    return catalogue.render(language, "format.zone.place", place=place.replace("_", " "))


def format_number(n: int | float | Decimal, language: Language, decimals: int | None = None) -> str:
    """ "1 800" (narrow no-break space) and "3,5" in French; "1,800" and "3.5" in English."""
    return default_catalogue().number(language, n, decimals)


def log_count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 server", "0 servers", "2 servers": a count in the log, which is written in English for operators."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def member_reference(user_id: int, language: Language) -> str:
    """A member as a message names them: their mention, or, for a forgotten member, the words of the pseudonym that
    took their id's place (a negative number: bot/privacy/rules.py), which no client would render."""
    if user_id < 0:
        return default_catalogue().render(language, "privacy.pseudonym", number=-user_id)
    return f"<@{user_id}>"
