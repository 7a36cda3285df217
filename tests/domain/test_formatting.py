from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.formatting import (
    format_date,
    format_datetime,
    format_duration,
    format_number,
    format_period,
    format_span,
    log_count,
    zone_name,
)
from bot.common.i18n.catalogue import Catalogue, placeholders

PARIS = ZoneInfo("Europe/Paris")
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("delta", "french", "english"),
    [
        (timedelta(days=2, hours=23), "2 j 23 h", "2 d 23 h"),
        (timedelta(days=1, hours=20, minutes=30), "1 j 20 h 30 min", "1 d 20 h 30 min"),
        (timedelta(minutes=45), "45 min", "45 min"),
        (timedelta(minutes=45, seconds=59), "45 min", "45 min"),
        (timedelta(0), "0 min", "0 min"),
        (timedelta(seconds=59), "0 min", "0 min"),
        (timedelta(days=3), "3 j", "3 d"),
        (timedelta(hours=1, minutes=5), "1 h 5 min", "1 h 5 min"),
        (timedelta(days=1800), f"1{NNBSP}800 j", "1,800 d"),
        (-timedelta(minutes=90), "−1 h 30 min", "−1 h 30 min"),
    ],
)
def test_format_duration(delta: timedelta, french: str, english: str) -> None:
    assert format_duration(delta, "fr") == french
    assert format_duration(delta, "en") == english


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9999)))
def test_duration_parts_add_up(delta: timedelta) -> None:
    worded = format_duration(delta, "en").replace(",", "")
    numbers = {unit: int(n) for n, unit in re.findall(r"(\d+) (d|h|min)", worded)}
    total = numbers.get("d", 0) * 1440 + numbers.get("h", 0) * 60 + numbers.get("min", 0)
    assert total == int(delta.total_seconds() // 60)
    assert numbers.get("h", 0) < 24 and numbers.get("min", 0) < 60


def test_format_datetime() -> None:
    moment = datetime(2024, 10, 21, 7, 0, tzinfo=UTC)
    now = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)
    assert format_datetime(moment, "fr", PARIS, now=now) == "lundi 21 octobre à 09:00"
    assert format_datetime(moment, "en", PARIS, now=now) == "Monday 21 October at 09:00"
    assert format_datetime(moment, "fr", PARIS) == "lundi 21 octobre à 09:00"


def test_format_datetime_adds_the_year_when_not_this_year() -> None:
    moment = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January 2025 in Paris
    now = datetime(2024, 12, 31, 12, 0, tzinfo=PARIS)
    assert format_datetime(moment, "fr", PARIS, now=now) == "mercredi 1er janvier 2025 à 00:30"
    assert format_datetime(moment, "en", PARIS, now=now) == "Wednesday 1 January 2025 at 00:30"


def test_format_datetime_follows_the_clock_change() -> None:
    assert format_datetime(datetime(2024, 10, 27, 8, 0, tzinfo=UTC), "fr", PARIS) == "dimanche 27 octobre à 09:00"
    assert format_datetime(datetime(2024, 10, 26, 8, 0, tzinfo=UTC), "fr", PARIS) == "samedi 26 octobre à 10:00"


def test_a_date_has_no_article_so_that_the_sentence_gives_it_and_midnight_is_written_like_any_time() -> None:
    now = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
    first_of_march = datetime(2025, 2, 28, 23, 0, tzinfo=UTC)  # 1 March, 00:00 in Paris
    assert format_datetime(first_of_march, "fr", PARIS, now) == "samedi 1er mars à 00:00"
    assert format_datetime(first_of_march, "en", PARIS, now) == "Saturday 1 March at 00:00"
    assert format_date(first_of_march.astimezone(PARIS).date(), "fr", PARIS, now) == "samedi 1er mars"
    assert format_date(datetime(2024, 8, 13).date(), "fr", PARIS, now) == "mardi 13 août 2024"


def test_a_span_is_the_whole_phrase_within_a_day_or_across_days() -> None:
    now = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)
    start = datetime(2024, 10, 21, 7, 0, tzinfo=UTC)
    assert format_span(start, start + timedelta(hours=2), "fr", PARIS, now) == "le lundi 21 octobre, de 09:00 à 11:00"
    assert format_span(start, start + timedelta(days=1), "fr", PARIS, now) == (
        "du lundi 21 octobre à 09:00 au mardi 22 octobre à 09:00"
    )
    assert format_span(start, start + timedelta(hours=2), "en", PARIS, now) == (
        "on Monday 21 October, from 09:00 to 11:00"
    )


def test_a_period_of_whole_days_is_worded_in_days_its_last_day_included() -> None:
    now = datetime(2024, 11, 5, 8, 0, tzinfo=UTC)
    october = (datetime(2024, 10, 1, tzinfo=PARIS), datetime(2024, 11, 1, tzinfo=PARIS))
    assert format_period(*october, "fr", PARIS, now) == "du mardi 1er octobre au jeudi 31 octobre"
    assert format_period(*october, "en", PARIS, now) == "from Tuesday 1 October to Thursday 31 October"
    one_day = (datetime(2024, 10, 27, tzinfo=PARIS), datetime(2024, 10, 28, tzinfo=PARIS))  # 25 hours long
    assert format_period(*one_day, "fr", PARIS, now) == "le dimanche 27 octobre"
    since_monday = (datetime(2024, 11, 4, tzinfo=PARIS), now)
    assert format_period(*since_monday, "fr", PARIS, now) == "du lundi 4 novembre à 00:00 au mardi 5 novembre à 09:00"


@pytest.mark.parametrize(
    ("zone", "french", "english"),
    [
        ("Europe/Paris", "heure de Paris", "Paris time"),
        ("America/Martinique", "heure de la Martinique", "Martinique time"),
        ("Indian/Reunion", "heure de La Réunion", "Réunion time"),
        ("America/New_York", "heure de New York", "New York time"),
        ("Etc/GMT+3", "fuseau Etc/GMT+3", "Etc/GMT+3 time zone"),
        ("UTC", "temps universel (UTC)", "UTC"),
    ],
)
def test_a_zone_is_named_as_its_readers_say_it(zone: str, french: str, english: str) -> None:
    assert zone_name(ZoneInfo(zone), "fr") == french
    assert zone_name(ZoneInfo(zone), "en") == english


def test_a_count_in_the_log_agrees() -> None:
    assert [log_count(n, "server") for n in (0, 1, 2)] == ["0 servers", "1 server", "2 servers"]
    assert log_count(1, "entry", "entries") == "1 entry"


@pytest.mark.parametrize(
    ("number", "decimals", "french", "english"),
    [
        (1800, None, f"1{NNBSP}800", "1,800"),
        (999, None, "999", "999"),
        (1234567, None, f"1{NNBSP}234{NNBSP}567", "1,234,567"),
        (3.5, None, "3,5", "3.5"),
        (1234.5678, 2, f"1{NNBSP}234,57", "1,234.57"),
        (-1800, None, f"-1{NNBSP}800", "-1,800"),
    ],
)
def test_format_number(number: float, decimals: int | None, french: str, english: str) -> None:
    assert format_number(number, "fr", decimals) == french
    assert format_number(number, "en", decimals) == english


# --- the catalogues behind this modules ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["time_parsing.py", "periods.py", "territories.py", "formatting.py", "i18n/catalogue.py"]
AREAS = ("time.", "period.", "territory.", "format.")
MESSAGE_ID = re.compile(r"""["']((?:time|period|territory|format)\.[a-z0-9_.]+)["']""")


def ids_used_in_code() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        found |= set(MESSAGE_ID.findall((ROOT / "bot" / "common" / name).read_text(encoding="utf-8")))
    return found


def test_every_message_id_in_code_exists_in_both_languages_with_the_same_placeholders() -> None:
    catalogue = Catalogue.load()
    used = ids_used_in_code()
    assert len(used) > 30
    for message_id in sorted(used):
        assert message_id in catalogue.keys("fr"), message_id
        assert message_id in catalogue.keys("en"), message_id


def test_both_languages_have_the_same_ids_and_placeholders() -> None:
    catalogue = Catalogue.load()
    fr = {k for k in catalogue.keys("fr") if k.startswith(AREAS)}
    en = {k for k in catalogue.keys("en") if k.startswith(AREAS)}
    assert fr == en
    for message_id in fr:
        assert placeholders(catalogue.raw("fr", message_id)) == placeholders(catalogue.raw("en", message_id))


def test_every_catalogue_entry_of_these_areas_is_used() -> None:
    catalogue = Catalogue.load()
    defined = {k for k in catalogue.keys("fr") if k.startswith(AREAS)}
    assert defined == ids_used_in_code()


def test_french_errors_give_an_example() -> None:
    catalogue = Catalogue.load()
    for message_id in catalogue.keys("fr"):
        if ".error." in message_id and message_id.startswith(AREAS):
            text = catalogue.raw("fr", message_id)
            assert "exemple" in text.lower(), message_id
            assert text.rstrip().endswith("."), message_id
