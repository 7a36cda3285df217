"""What an admin gives `/setup`, accepted or refused with a `SetupError` that names it and gives an example:
channels and roles, the language, the time zone, the hours and their public holidays, the nudge cadence, the
archive delay and the DM limit, sectors and routes. Also what the autocomplete offers for each."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from holidays.registry import COUNTRIES as HOLIDAY_REGISTRY

from bot.board.rules import Board
from bot.common import territories
from bot.common.duration_parsing import DurationTextError, parse_duration
from bot.common.formatting import duration_parts
from bot.common.hours_parsing import check_span, parse_clock, parse_days
from bot.common.i18n import Language, Msg
from bot.common.text import name_key, safe_text
from bot.incidents.rules.routing import Route
from bot.reminders.rules.nudges import DEFAULT_CADENCE_MINUTES
from bot.settings.rules.config import WorkingHours
from bot.settings.rules.model import (
    MAX_ARCHIVE_HOURS,
    MAX_AUDIT_ENTRIES,
    MAX_CADENCE_MINUTES,
    MAX_DM_CAP,
    MAX_ROUTES,
    MIN_CADENCE_MINUTES,
    ChannelFacts,
    Permission,
    RoleFacts,
    SetupError,
)

KIND_IDS: dict[str, str] = {
    "text": "setup.kind.text",
    "news": "setup.kind.news",
    "forum": "setup.kind.forum",
    "voice": "setup.kind.voice",
    "stage": "setup.kind.stage",
    "category": "setup.kind.category",
    "thread": "setup.kind.thread",
    "other": "setup.kind.other",
    "missing": "setup.kind.missing",
}

# --- channels, roles, language ------------------------------------------------------------------------------


def _kind_msg(kind: str) -> Msg:
    return Msg.of(KIND_IDS.get(kind, "setup.kind.other"))


def check_incident_channel(channel: ChannelFacts) -> None:
    """Incidents live in threads of a text or announcement channel, or as posts of a forum."""
    if channel.kind not in ("text", "news", "forum"):
        raise SetupError("setup.error.incident_channel_type", channel=f"<#{channel.id}>", kind=_kind_msg(channel.kind))


def check_message_channel(channel: ChannelFacts) -> None:
    """The log channel and route channels take plain messages."""
    if channel.kind not in ("text", "news"):
        raise SetupError("setup.error.message_channel_type", channel=f"<#{channel.id}>", kind=_kind_msg(channel.kind))


def check_role(role: RoleFacts) -> None:
    """A role the bot can name: not @everyone, nor a bot's or an integration's own role."""
    if role.is_default:
        raise SetupError("setup.error.everyone_role")
    if role.managed:
        raise SetupError("setup.error.managed_role", role=f"<@&{role.id}>")


def missing_permissions(channel: ChannelFacts, needs: Iterable[Permission]) -> list[str]:
    return [need for need in needs if need not in channel.permissions]


def check_language(language: str) -> Language:
    if language == "fr":
        return "fr"
    if language == "en":
        return "en"
    raise SetupError("setup.error.language", text=language[:20])


# --- time zone ----------------------------------------------------------------------------------------------


@cache
def _zones() -> dict[str, str]:
    """IANA names by their folded form, so "europe/paris" finds "Europe/Paris"."""
    return {zone.casefold(): zone for zone in available_timezones() if "/" in zone or zone == "UTC"}


# Where the people of a French coordination server live: offered first by the autocomplete.
FRENCH_ZONES = (
    "Europe/Paris",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Cayenne",
    "Indian/Reunion",
    "Indian/Mayotte",
    "America/Miquelon",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
    "UTC",
)


def resolve_zone(text: str) -> str:
    key = text.strip().replace(" ", "_").casefold()
    zone = _zones().get(key)
    if zone is None:
        raise SetupError("setup.error.bad_zone", zone=text.strip()[:60])
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SetupError("setup.error.bad_zone", zone=text.strip()[:60]) from exc
    return zone


def suggest_zones(text: str, limit: int = 25) -> list[str]:
    query = text.strip().replace(" ", "_").casefold()
    if not query:
        return list(FRENCH_ZONES[:limit])
    french = [z for z in FRENCH_ZONES if query in z.casefold()]
    starts = sorted(z for k, z in _zones().items() if z not in french and (k.startswith(query) or f"/{query}" in k))
    within = sorted(z for k, z in _zones().items() if z not in french and z not in starts and query in k)
    return (french + starts + within)[:limit]


# --- working hours and public holidays ----------------------------------------------------------------------

# Typed for "no public holidays" (stored as "", the column being NOT NULL).
NO_HOLIDAYS = frozenset({"none", "aucun", "aucune", "no", "non", "sans", "-"})
NO_HOLIDAYS_VALUE = "none"
# Offered first by the autocomplete: France, then the French overseas territories that have their own calendar in
# the `holidays` package, then the French-speaking neighbours.
PREFERRED_HOLIDAY_COUNTRIES = (
    "FR", "GP", "MQ", "GF", "RE", "YT", "PM", "NC", "PF", "WF", "BL", "MF", "BE", "CH", "LU", "MC", "CA",
)  # fmt: skip


@dataclass(frozen=True)
class HoursChange:
    """What `/setup hours` was given, read; None keeps the current value: "/setup hours end:18:00" moves only the
    end. `holidays_country` is a country code the `holidays` package knows, or "" for no public holiday."""

    start: time | None = None
    end: time | None = None
    days: frozenset[int] | None = None
    holidays_country: str | None = None

    @classmethod
    def read(cls, *, start: str | None, end: str | None, days: str | None, holidays_country: str | None) -> HoursChange:
        return cls(
            start=parse_clock(start) if start is not None else None,
            end=parse_clock(end) if end is not None else None,
            days=parse_days(days) if days is not None else None,
            holidays_country=resolve_holidays_country(holidays_country) if holidays_country is not None else None,
        )

    def applied_to(self, current: WorkingHours) -> WorkingHours:
        """The hours once changed; the end must still come after the start."""
        hours = WorkingHours(
            days=self.days if self.days is not None else current.days,
            start=self.start if self.start is not None else current.start,
            end=self.end if self.end is not None else current.end,
            holidays_country=self.holidays_country if self.holidays_country is not None else current.holidays_country,
        )
        check_span(hours.start, hours.end)
        return hours


@cache
def holiday_countries() -> dict[str, str]:
    """The `holidays` package's countries: ISO alpha-2 code → English name ("GB" → "United Kingdom")."""
    supported = holidays.list_supported_countries()
    names = {entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in HOLIDAY_REGISTRY.values()}
    return {code: names.get(code, code) for code in sorted(supported) if len(code) == 2}


@cache
def _holiday_aliases() -> dict[str, str]:
    """Every way to name a country the package knows, folded (alpha-2, alpha-3, English name) → alpha-2."""
    known = holiday_countries()
    aliases = {name_key(entry[2]): entry[1] for entry in HOLIDAY_REGISTRY.values() if entry[1] in known}
    for code, name in known.items():
        aliases[name_key(name)] = code
        aliases[name_key(code)] = code
    return aliases


def resolve_holidays_country(text: str) -> str:
    """A code the `holidays` package supports ("fr", "FRA", "France" → "FR"), or "" for none."""
    key = name_key(text)
    if key in NO_HOLIDAYS:
        return ""
    code = _holiday_aliases().get(key)
    if code is None:
        raise SetupError("setup.error.bad_holidays", text=safe_text(text.strip()[:40]))
    return code


def suggest_holiday_countries(text: str, limit: int = 25) -> list[str]:
    """Codes (and `NO_HOLIDAYS_VALUE`) whose code starts with, then whose name contains, what was typed."""
    query = name_key(text)
    countries = holiday_countries()
    if not query:
        return [*PREFERRED_HOLIDAY_COUNTRIES, NO_HOLIDAYS_VALUE][:limit]
    found: list[str] = []
    if any(word.startswith(query) for word in NO_HOLIDAYS if len(word) > 1):
        found.append(NO_HOLIDAYS_VALUE)
    found += [code for code in countries if name_key(code).startswith(query)]
    found += [code for code, name in countries.items() if code not in found and query in name_key(name)]
    return found[:limit]


# --- nudge cadence, archive delay, DM limit, audit page -----------------------------------------------------

# Severities from the most to the least severe, and the option naming each.
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
CADENCE_OPTION_IDS: dict[str, str] = {
    "critical": "cmd.setup.cadence.critical.name",
    "major": "cmd.setup.cadence.major.name",
    "minor": "cmd.setup.cadence.minor.name",
}


def duration_msg(minutes: int) -> Msg:
    """A number of minutes worded as `formatting.format_duration` words it ("2 j 23 h", "1 d 30 min"), but as a
    `Msg`, so that a refusal (worded by the error handler, which only knows `Msg`) reads it in the reader's
    language too."""
    parts = [Msg.of(key, n=n) for key, n in duration_parts(max(minutes, 0))]
    if len(parts) == 1:
        return Msg.of("setup.duration.one", first=parts[0])
    if len(parts) == 2:
        return Msg.of("setup.duration.two", first=parts[0], second=parts[1])
    return Msg.of("setup.duration.three", first=parts[0], second=parts[1], third=parts[2])


def cadence_minutes(severity: str, text: str) -> int:
    """What was typed for one severity's option, in minutes, within the bounds."""
    option = Msg.of(CADENCE_OPTION_IDS[severity])
    shown = safe_text(text.strip()[:40])
    try:
        minutes = int(parse_duration(text).total_seconds() // 60)
    except DurationTextError:
        raise SetupError("setup.error.bad_cadence", option=option, text=shown) from None
    if not MIN_CADENCE_MINUTES <= minutes <= MAX_CADENCE_MINUTES:
        raise SetupError(
            "setup.error.cadence_bounds",
            option=option,
            text=shown,
            minimum=duration_msg(MIN_CADENCE_MINUTES),
            maximum=duration_msg(MAX_CADENCE_MINUTES),
        )
    return minutes


def check_cadence_order(cadence: Mapping[str, int]) -> None:
    """A graver incident is never nudged less often than a lighter one: critical ≤ major ≤ minor.

    The cadence is how often an owner is asked for news; the graver the outage, the more people wait for that
    news, so a critical cadence longer than the major one (or a major one longer than the minor) can only be a
    slip, such as two values swapped. Equal cadences are allowed: a server may want one pace for all.
    """
    for graver, lighter in pairwise(SEVERITIES):
        if cadence[graver] > cadence[lighter]:
            raise SetupError(
                "setup.error.cadence_order",
                graver=Msg.of(CADENCE_OPTION_IDS[graver]),
                lighter=Msg.of(CADENCE_OPTION_IDS[lighter]),
                graver_value=duration_msg(cadence[graver]),
                lighter_value=duration_msg(cadence[lighter]),
            )


@dataclass(frozen=True)
class CadenceChange:
    """What `/setup cadence` was given, in minutes by severity; a severity left out keeps its current value, like
    `HoursChange`. The order is checked on the result, so swapping two values takes one command giving both."""

    minutes: Mapping[str, int]

    @classmethod
    def read(cls, *, critical: str | None, major: str | None, minor: str | None) -> CadenceChange:
        typed = {"critical": critical, "major": major, "minor": minor}
        return cls({s: cadence_minutes(s, text) for s, text in typed.items() if text is not None})

    def applied_to(self, current: Mapping[str, int]) -> dict[str, int]:
        chosen = {s: self.minutes.get(s, current.get(s, DEFAULT_CADENCE_MINUTES[s])) for s in SEVERITIES}
        check_cadence_order(chosen)
        return chosen


def check_archive_delay(hours: int) -> None:
    if not 0 <= hours <= MAX_ARCHIVE_HOURS:
        raise SetupError("setup.error.archive_delay", hours=hours, maximum=MAX_ARCHIVE_HOURS)


def check_dm_limit(count: int) -> None:
    if not 0 <= count <= MAX_DM_CAP:
        raise SetupError("setup.error.dm_limit", count=count, maximum=MAX_DM_CAP)


def check_audit_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise SetupError("setup.error.audit_limit", maximum=MAX_AUDIT_ENTRIES)


# --- sectors ------------------------------------------------------------------------------------------------


def sector_label(name: str) -> str:
    return safe_text(name)


def check_new_sector(sectors: Mapping[str, str], key: str) -> None:
    if key in sectors:
        raise SetupError("setup.error.sector_exists", name=sector_label(sectors[key]))


def resolve_sector(sectors: Mapping[str, str], text: str) -> str:
    """The key of the sector `text` names (as typed, or the key the autocomplete gave)."""
    key = name_key(text)
    if key not in sectors:
        known = ", ".join(sector_label(n) for n in sectors.values()) or "—"
        raise SetupError("setup.error.unknown_sector", name=safe_text(text.strip()[:50]), known=known)
    return key


def check_sector_unused(
    sectors: Mapping[str, str], key: str, routes: Sequence[Route], boards: Sequence[Board] = ()
) -> None:
    """A sector that routes lead from, or that boards show, stays: removing it would leave them pointing at
    nothing. The admin is told which channels, and which command removes them first."""
    for message_id, users in (
        ("setup.error.sector_in_use", [r.channel_id for r in routes if _same_sector(r.sector, key)]),
        ("setup.error.sector_on_board", [b.channel_id for b in boards if _same_sector(b.sector, key)]),
    ):
        if users:
            raise SetupError(
                message_id,
                name=sector_label(sectors[key]),
                count=len(users),
                channels=", ".join(dict.fromkeys(f"<#{channel_id}>" for channel_id in users)),
            )


def _same_sector(sector: str | None, key: str) -> bool:
    return sector is not None and name_key(sector) == key


def suggest_sectors(sectors: Mapping[str, str], text: str, limit: int = 25) -> list[tuple[str, str]]:
    """(name, key) pairs whose name starts with, then contains, what was typed."""
    query = name_key(text)
    starts = [(n, k) for k, n in sectors.items() if k.startswith(query)]
    within = [(n, k) for k, n in sectors.items() if query in k and not k.startswith(query)]
    return (starts + within)[:limit]


# --- routes -------------------------------------------------------------------------------------------------


def resolve_territory(text: str) -> territories.Territory:
    """A ref from the autocomplete ("R53", "29", "FR") or what the admin typed ("Bretagne", "région 53")."""
    return territories.lookup(text)


def check_new_route(
    routes: Sequence[Route], *, channel_id: int, territory: str | None, sector: str | None, role_id: int | None
) -> None:
    """A route that is not there yet, within the server's limit."""
    for other in routes:
        if (other.channel_id, other.territory, other.sector, other.role_id) == (channel_id, territory, sector, role_id):
            raise SetupError("setup.error.route_exists", route=f"<#{channel_id}>")
    if len(routes) >= MAX_ROUTES:
        raise SetupError("setup.error.too_many_routes", maximum=MAX_ROUTES)


def route_id(text: str) -> int | None:
    """The route's number as the autocomplete gives it, or as typed ("#12")."""
    bare = text.strip().lstrip("#")
    return int(bare) if bare.isdigit() else None
