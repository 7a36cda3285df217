"""The words of dates, times and durations people type, in French and English, as the parsers compare them.

Shared by `time_parsing` (a moment: "lundi matin", "dans 2 h"), `periods` (a span: "octobre 2024", "depuis
lundi") and `duration_parsing` (a length: "1h30"). Every word is in `normalise`d form: lower case, without
accents ("fevrier", "apres-midi").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-"})


def normalise(text: str) -> str:
    """Lower-case, accent-free, single-spaced text without control or bidi characters.

    Accents are folded because people type "apres-midi" and "debut decembre" as often as the accented forms.
    """
    text = unicodedata.normalize("NFKC", text)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")
        elif category == "Cf":
            # Bidi overrides and zero-width characters would let a string look like something else.
            continue
        else:
            kept.append(char)
    text = "".join(kept).translate(_APOSTROPHES).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" .!?;")


def _numbered(rows: Iterable[tuple[int, tuple[str, ...]]]) -> dict[str, int]:
    """Each word of each row, to the row's number."""
    return {word: number for number, words in rows for word in words}


MONTHS: dict[str, int] = _numbered(
    enumerate(
        (
            ("janvier", "janv", "january", "jan"),
            ("fevrier", "fevr", "fev", "february", "feb"),
            ("mars", "march", "mar"),
            ("avril", "avr", "april", "apr"),
            ("mai", "may"),
            ("juin", "june", "jun"),
            ("juillet", "juil", "july", "jul"),
            ("aout", "august", "aug"),
            ("septembre", "sept", "september", "sep"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("decembre", "dec", "december"),
        ),
        start=1,
    )
)

# Monday is 0, as `date.weekday()` counts.
WEEKDAYS: dict[str, int] = _numbered(
    enumerate(
        (
            ("lundi", "monday", "mon"),
            ("mardi", "tuesday", "tue", "tues"),
            ("mercredi", "wednesday", "wed"),
            ("jeudi", "thursday", "thu", "thurs"),
            ("vendredi", "friday", "fri"),
            ("samedi", "saturday", "sat"),
            ("dimanche", "sunday", "sun"),
        )
    )
)

RELATIVE_DAYS: dict[str, int] = {
    "aujourd'hui": 0, "aujourdhui": 0, "aujourd hui": 0, "auj": 0, "today": 0,
    "demain": 1, "tomorrow": 1, "apres-demain": 2, "apres demain": 2,
    "hier": -1, "yesterday": -1, "avant-hier": -2, "avant hier": -2,
}  # fmt: skip

DayPart = Literal["morning", "noon", "afternoon", "evening", "midnight"]
DAY_PART_TIMES: dict[DayPart, tuple[int, int]] = {
    "morning": (9, 0),
    "noon": (12, 0),
    "afternoon": (14, 0),
    "evening": (19, 0),
    "midnight": (0, 0),
}
DAY_PART_WORDS: dict[str, DayPart] = {
    "matin": "morning", "matinee": "morning", "morning": "morning",
    "midi": "noon", "noon": "noon", "midday": "noon",
    "apres-midi": "afternoon", "apres midi": "afternoon", "aprem": "afternoon", "afternoon": "afternoon",
    "soir": "evening", "soiree": "evening", "evening": "evening",
    "minuit": "midnight", "midnight": "midnight",
}  # fmt: skip

# The units of a duration inside a time phrase ("dans 2 h", "il y a 3 jours"), in minutes.
UNIT_MINUTES: dict[str, int] = _numbered(
    (
        (1, ("min", "mins", "minute", "minutes", "mn", "m")),
        (60, ("h", "hr", "hrs", "heure", "heures", "hour", "hours")),
        (60 * 24, ("j", "jour", "jours", "d", "day", "days")),
        (60 * 24 * 7, ("sem", "semaine", "semaines", "week", "weeks", "w")),
    )
)

# Words that count as 1 ("dans une heure", "an hour ago").
ONE_WORDS = ("un", "une", "a", "an", "one")


def alternation(words: Iterable[str]) -> str:
    """A regular expression matching any of `words`, the longest first (so "septembre" wins over "sept")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def typed_year(raw: str | None) -> int | None:
    """The year of a date as typed: two digits are this century's ("24" is 2024)."""
    if raw is None:
        return None
    return 2000 + int(raw) if len(raw) == 2 else int(raw)
