"""`/setup`: each setting, sectors, routes, `show`, `check` and the audit log, as use cases.

Every change runs in one unit of work with its audit row; a bad input raises `SetupError` (or the domain's own
error) before anything is written, and the bot's error handler answers it and audits the refusal. The cog
reads what only Discord knows (a channel's type, the bot's permissions there, a role's place) into the plain
`ChannelFacts` / `RoleFacts` below, so nothing here imports discord.

Sectors: a server starts with `DEFAULT_SECTORS`. They are written as rows when the server's settings row is
created (the first `/setup` command of the server), so that afterwards the rows are the whole truth and an
admin who removes every sector really has none; a server that never ran `/setup` is shown the defaults
(`guild_config.load_config` does the same).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import aiosqlite
import holidays
from holidays.registry import COUNTRIES as HOLIDAY_REGISTRY

from bot.common import territories
from bot.common.duration_parsing import DurationTextError, parse_duration
from bot.common.errors import TocsinError
from bot.common.formatting import duration_parts
from bot.common.hours_parsing import check_span, format_clock, format_days, parse_clock, parse_days
from bot.common.i18n import Catalogue, Language, Msg, default_catalogue, language_of
from bot.common.limits import TextField
from bot.common.text import name_key, safe_text, truncate, validate_field
from bot.delivery.outbox import DEPENDENCY_FAILED
from bot.incidents.rules.routing import Route
from bot.reminders.rules.nudges import DEFAULT_CADENCE_MINUTES
from bot.settings import store as repo
from bot.settings.store import AuditEntry, FailedDelivery
from bot.settings.use_cases.guild_config import DEFAULT_SECTORS, GuildConfig, load_config, status_tags
from bot.storage import audit
from bot.storage.store import Store

FAILURE_WINDOW = timedelta(days=7)
MAX_ARCHIVE_HOURS = 168
MAX_AUDIT_ENTRIES = 100
MAX_ROUTES = 200

ChannelKind = Literal["text", "news", "forum", "voice", "stage", "category", "thread", "other", "missing"]

# What the bot needs where (DESIGN.md "Who is told what"): the incident channel holds threads or forum posts,
# the log channel and route channels take plain messages with embeds.
Permission = Literal[
    "view", "send", "send_in_threads", "create_public_threads", "manage_threads", "embed_links", "read_history"
]
INCIDENT_CHANNEL_NEEDS: tuple[Permission, ...] = (
    "view",
    "send",
    "send_in_threads",
    "create_public_threads",
    "manage_threads",
    "embed_links",
    "read_history",
)
MESSAGE_CHANNEL_NEEDS: tuple[Permission, ...] = ("view", "send", "embed_links", "read_history")
PERMISSION_IDS: dict[str, str] = {
    "view": "setup.permission.view",
    "send": "setup.permission.send",
    "send_in_threads": "setup.permission.send_in_threads",
    "create_public_threads": "setup.permission.create_public_threads",
    "manage_threads": "setup.permission.manage_threads",
    "embed_links": "setup.permission.embed_links",
    "read_history": "setup.permission.read_history",
}
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


STATUS_IDS: dict[str, str] = {
    "investigating": "incident.status.investigating",
    "identified": "incident.status.identified",
    "monitoring": "incident.status.monitoring",
    "resolved": "incident.status.resolved",
    "cancelled": "incident.status.cancelled",
}
LANGUAGE_IDS: dict[str, str] = {"fr": "setup.language.fr", "en": "setup.language.en"}


class SetupError(TocsinError, ValueError):
    """A `/setup` input that cannot be used; the sentence names it and gives an example."""


@dataclass(frozen=True)
class Actor:
    guild_id: int
    user_id: int
    default_language: str = "fr"
    default_time_zone: str = "Europe/Paris"


@dataclass(frozen=True)
class ChannelFacts:
    """A channel as the cog read it from Discord: its type, name and the bot's permissions there."""

    id: int
    kind: ChannelKind
    name: str = ""
    permissions: frozenset[str] = frozenset()
    mention_everyone: bool = False
    tags: tuple[str, ...] = ()  # a forum's available tags


@dataclass(frozen=True)
class RoleFacts:
    id: int
    name: str = ""
    exists: bool = True
    mentionable: bool = False
    is_default: bool = False  # @everyone
    managed: bool = False  # a bot's or an integration's own role
    below_bot: bool = False  # under the bot's top role, so the bot can give and take it


@dataclass(frozen=True)
class Outcome:
    """What a change did, worded later in the admin's language: one line per `Msg`."""

    lines: tuple[Msg, ...]


@dataclass(frozen=True)
class SetupView:
    config: GuildConfig
    sectors: dict[str, str]
    routes: tuple[Route, ...]
    configured: bool  # the server has a settings row


# --- reading ------------------------------------------------------------------------------------------------


async def load_view(store: Store, actor: Actor) -> SetupView:
    async with store.reading() as conn:
        config = await load_config(
            conn,
            actor.guild_id,
            default_language=actor.default_language,
            default_time_zone=actor.default_time_zone,
        )
        configured = await repo.settings_exist(conn, actor.guild_id)
    return SetupView(config=config, sectors=dict(config.sectors), routes=config.routes, configured=configured)


async def sector_names(store: Store, actor: Actor) -> dict[str, str]:
    return (await load_view(store, actor)).sectors


# --- writing ------------------------------------------------------------------------------------------------


async def _prepare(conn: aiosqlite.Connection, actor: Actor, now: datetime) -> None:
    """The server's settings row, created with the program's defaults and the default sectors if new."""
    created = await repo.create_settings(
        conn,
        actor.guild_id,
        language=language_of(actor.default_language, fallback="fr"),
        time_zone=actor.default_time_zone,
        now=now,
    )
    if created and not await repo.sectors(conn, actor.guild_id):
        await repo.add_sectors(conn, actor.guild_id, ((name_key(n), n) for n in DEFAULT_SECTORS), now=now)


async def _record(
    conn: aiosqlite.Connection, actor: Actor, action: str, arguments: Mapping[str, Any], result: str, now: datetime
) -> None:
    await audit.record(
        conn,
        guild_id=actor.guild_id,
        actor_id=actor.user_id,
        action=f"setup {action}",
        arguments=dict(arguments),
        result=result,
        at=now,
    )


def _missing(channel: ChannelFacts, needs: Iterable[Permission]) -> list[str]:
    return [need for need in needs if need not in channel.permissions]


def _missing_msg(channel: ChannelFacts, needs: Iterable[Permission]) -> Msg | None:
    missing = _missing(channel, needs)
    if not missing:
        return None
    return Msg.of(
        "setup.warn.missing_permissions",
        channel=f"<#{channel.id}>",
        permissions=MsgList(tuple(Msg.of(PERMISSION_IDS[m]) for m in missing)),
    )


def _kind_msg(kind: str) -> Msg:
    return Msg.of(KIND_IDS.get(kind, "setup.kind.other"))


async def set_incident_channel(store: Store, actor: Actor, channel: ChannelFacts, *, now: datetime) -> Outcome:
    if channel.kind not in ("text", "news", "forum"):
        raise SetupError("setup.error.incident_channel_type", channel=f"<#{channel.id}>", kind=_kind_msg(channel.kind))
    lines: list[Msg] = [
        Msg.of(
            "setup.done.incident_channel_forum" if channel.kind == "forum" else "setup.done.incident_channel_text",
            channel=f"<#{channel.id}>",
        )
    ]
    if channel.kind == "forum":
        found = status_tags(channel.tags)
        missing = [status for status, tag in found.items() if tag is None]
        if missing:
            lines.append(
                Msg.of(
                    "setup.warn.forum_tags_missing",
                    statuses=MsgList(tuple(Msg.of(STATUS_IDS[s]) for s in missing)),
                )
            )
        else:
            lines.append(Msg.of("setup.note.forum_tags_ok"))
    if warning := _missing_msg(channel, INCIDENT_CHANNEL_NEEDS):
        lines.append(warning)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "incident_channel_id", channel.id, now=now)
        await _record(conn, actor, "incident-channel", {"channel": channel.id, "kind": channel.kind}, "ok", now)
    return Outcome(tuple(lines))


async def set_coordinator_role(store: Store, actor: Actor, role: RoleFacts, *, now: datetime) -> Outcome:
    if role.is_default:
        raise SetupError("setup.error.everyone_role")
    if role.managed:
        raise SetupError("setup.error.managed_role", role=f"<@&{role.id}>")
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "coordinator_role_id", role.id, now=now)
        await _record(conn, actor, "coordinator-role", {"role": role.id}, "ok", now)
    return Outcome((Msg.of("setup.done.coordinator_role", role=f"<@&{role.id}>"),))


async def set_log_channel(store: Store, actor: Actor, channel: ChannelFacts, *, now: datetime) -> Outcome:
    if channel.kind not in ("text", "news"):
        raise SetupError("setup.error.message_channel_type", channel=f"<#{channel.id}>", kind=_kind_msg(channel.kind))
    lines = [Msg.of("setup.done.log_channel", channel=f"<#{channel.id}>")]
    if warning := _missing_msg(channel, MESSAGE_CHANNEL_NEEDS):
        lines.append(warning)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "bot_log_channel_id", channel.id, now=now)
        await _record(conn, actor, "log-channel", {"channel": channel.id}, "ok", now)
    return Outcome(tuple(lines))


async def set_language(store: Store, actor: Actor, language: str, *, now: datetime) -> Outcome:
    if language not in ("fr", "en"):
        raise SetupError("setup.error.language", text=language[:20])
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "language", language, now=now)
        await _record(conn, actor, "language", {"language": language}, "ok", now)
    return Outcome((Msg.of("setup.done.language", language=Msg.of(LANGUAGE_IDS[language])),))


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


async def set_time_zone(store: Store, actor: Actor, text: str, *, now: datetime) -> Outcome:
    zone = resolve_zone(text)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "time_zone", zone, now=now)
        await _record(conn, actor, "timezone", {"zone": zone}, "ok", now)
    local = now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return Outcome((Msg.of("setup.done.time_zone", zone=zone, now=local),))


async def set_hours(
    store: Store,
    actor: Actor,
    *,
    start: str | None,
    end: str | None,
    days: str | None,
    now: datetime,
    holidays_country: str | None = None,
) -> Outcome:
    """Unset options keep their current value: "/setup hours end:18:00" moves only the end. `holidays_country`
    is a country code the `holidays` package knows ("FR"), or "none"/"aucun" to count no public holiday."""
    current = (await load_view(store, actor)).config.hours
    start_at = parse_clock(start) if start is not None else current.start
    end_at = parse_clock(end) if end is not None else current.end
    chosen_days = parse_days(days) if days is not None else current.days
    country = resolve_holidays_country(holidays_country) if holidays_country is not None else current.holidays_country
    check_span(start_at, end_at)
    days_text = ",".join(str(d) for d in sorted(chosen_days))
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_working_hours(
            conn,
            actor.guild_id,
            days=days_text,
            start=format_clock(start_at),
            end=format_clock(end_at),
            holidays_country=country,
            now=now,
        )
        arguments = {
            "start": format_clock(start_at),
            "end": format_clock(end_at),
            "days": days_text,
            "holidays": country or NO_HOLIDAYS_VALUE,
        }
        await _record(conn, actor, "hours", arguments, "ok", now)
    lines = [
        Msg.of(
            "setup.done.hours",
            start=format_clock(start_at),
            end=format_clock(end_at),
            days=WordedDays(frozenset(chosen_days)),
        )
    ]
    if holidays_country is not None:
        if country:
            lines.append(Msg.of("setup.done.holidays", country=country, name=holiday_countries().get(country, country)))
        else:
            lines.append(Msg.of("setup.done.no_holidays"))
    return Outcome(tuple(lines))


@dataclass(frozen=True)
class WordedDays:
    """Days to word in the reader's language (the cog's renderer knows this type)."""

    days: frozenset[int]


async def set_archive_delay(store: Store, actor: Actor, hours: int, *, now: datetime) -> Outcome:
    if not 0 <= hours <= MAX_ARCHIVE_HOURS:
        raise SetupError("setup.error.archive_delay", hours=hours, maximum=MAX_ARCHIVE_HOURS)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "archive_after_hours", hours, now=now)
        await _record(conn, actor, "archive-delay", {"hours": hours}, "ok", now)
    return Outcome((Msg.of("setup.done.archive_delay_now" if hours == 0 else "setup.done.archive_delay", hours=hours),))


# --- nudge cadence, public holidays, DM cap ------------------------------------------------------------------

# Severities from the most to the least severe, and the option naming each.
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
CADENCE_OPTION_IDS: dict[str, str] = {
    "critical": "cmd.setup.cadence.critical.name",
    "major": "cmd.setup.cadence.major.name",
    "minor": "cmd.setup.cadence.minor.name",
}
# A nudge more often than every quarter of an hour is noise to an owner busy on the outage; one less often than
# once a week no longer keeps anybody informed.
MIN_CADENCE_MINUTES = 15
MAX_CADENCE_MINUTES = 7 * 24 * 60
MAX_DM_CAP = 500


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


async def set_cadence(
    store: Store, actor: Actor, *, critical: str | None, major: str | None, minor: str | None, now: datetime
) -> Outcome:
    """Unset options keep their current value, like `set_hours`: "/setup cadence critical:30 min" moves only the
    critical one. The order is checked on the result, so swapping two values takes one command giving both."""
    current = (await load_view(store, actor)).config.cadence_minutes
    chosen = {severity: current.get(severity, DEFAULT_CADENCE_MINUTES[severity]) for severity in SEVERITIES}
    for severity, typed in (("critical", critical), ("major", major), ("minor", minor)):
        if typed is not None:
            chosen[severity] = cadence_minutes(severity, typed)
    check_cadence_order(chosen)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_nudge_cadence(
            conn, actor.guild_id, critical=chosen["critical"], major=chosen["major"], minor=chosen["minor"], now=now
        )
        await _record(conn, actor, "cadence", {f"{s}_min": chosen[s] for s in SEVERITIES}, "ok", now)
    return Outcome(
        (
            Msg.of(
                "setup.done.cadence",
                critical=duration_msg(chosen["critical"]),
                major=duration_msg(chosen["major"]),
                minor=duration_msg(chosen["minor"]),
            ),
        )
    )


# Typed for "no public holidays" (stored as "", the column being NOT NULL).
NO_HOLIDAYS = frozenset({"none", "aucun", "aucune", "no", "non", "sans", "-"})
NO_HOLIDAYS_VALUE = "none"
# Offered first by the autocomplete: France, then the French overseas territories that have their own calendar in
# the `holidays` package, then the French-speaking neighbours.
PREFERRED_HOLIDAY_COUNTRIES = (
    "FR", "GP", "MQ", "GF", "RE", "YT", "PM", "NC", "PF", "WF", "BL", "MF", "BE", "CH", "LU", "MC", "CA",
)  # fmt: skip


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


async def set_dm_limit(store: Store, actor: Actor, count: int, *, now: datetime) -> Outcome:
    """How many members may follow one incident by DM. 0 turns DMs off for the server: nobody may opt in and no
    DM leaves (the outbox plans none, bot.incidents.use_cases.deliveries), but members' choices are kept, so raising
    the limit again gives them back their DMs. A lower non-zero limit only applies to new opt-ins: nobody loses
    what they were given."""
    if not 0 <= count <= MAX_DM_CAP:
        raise SetupError("setup.error.dm_limit", count=count, maximum=MAX_DM_CAP)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        await repo.set_setting(conn, actor.guild_id, "dm_cap_per_incident", count, now=now)
        kept = await repo.incident_dm_count(conn, actor.guild_id) if count == 0 else 0
        await _record(conn, actor, "dm-limit", {"count": count, "dm_choices_kept": kept}, "ok", now)
    if count:
        return Outcome((Msg.of("setup.done.dm_limit", count=count),))
    lines = [Msg.of("setup.done.dm_off")]
    if kept:
        lines.append(Msg.of("setup.done.dm_off_kept", count=kept))
    return Outcome(tuple(lines))


async def open_incident_ids(store: Store, actor: Actor) -> list[int]:
    """The server's open incidents, whose next nudge a new cadence or new hours move at once."""
    async with store.reading() as conn:
        return await repo.open_incident_ids(conn, actor.guild_id)


# --- sectors ------------------------------------------------------------------------------------------------


def _sector_label(name: str) -> str:
    return safe_text(name)


async def add_sector(store: Store, actor: Actor, name: str, *, now: datetime) -> Outcome:
    cleaned = validate_field(TextField.SECTOR, name, required=True)
    assert cleaned is not None
    key = name_key(cleaned)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        existing = await repo.sectors(conn, actor.guild_id)
        if key in existing:
            raise SetupError("setup.error.sector_exists", name=_sector_label(existing[key]))
        await repo.add_sector(conn, actor.guild_id, key, cleaned, now=now)
        await _record(conn, actor, "sector add", {"name": cleaned, "key": key}, "ok", now)
    return Outcome((Msg.of("setup.done.sector_added", name=_sector_label(cleaned)),))


def _known_sectors(sectors: Mapping[str, str]) -> str:
    return ", ".join(_sector_label(n) for n in sectors.values()) or "—"


def resolve_sector(sectors: Mapping[str, str], text: str) -> str:
    """The key of the sector `text` names (as typed, or the key the autocomplete gave)."""
    key = name_key(text)
    if key not in sectors:
        raise SetupError("setup.error.unknown_sector", name=safe_text(text.strip()[:50]), known=_known_sectors(sectors))
    return key


async def remove_sector(store: Store, actor: Actor, name: str, *, now: datetime) -> Outcome:
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        existing = await repo.sectors(conn, actor.guild_id)
        key = resolve_sector(existing, name)
        users = [
            r for r in await repo.routes(conn, actor.guild_id) if r.sector is not None and name_key(r.sector) == key
        ]
        if users:
            raise SetupError(
                "setup.error.sector_in_use",
                name=_sector_label(existing[key]),
                count=len(users),
                channels=", ".join(dict.fromkeys(f"<#{r.channel_id}>" for r in users)),
            )
        await repo.remove_sector(conn, actor.guild_id, key)
        await _record(conn, actor, "sector remove", {"name": existing[key], "key": key}, "ok", now)
    return Outcome((Msg.of("setup.done.sector_removed", name=_sector_label(existing[key])),))


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


def route_parts(route: Route, sectors: Mapping[str, str]) -> RouteLabel:
    territory = territories.get(route.territory) if route.territory else None
    sector = sectors.get(route.sector, route.sector) if route.sector else None
    return RouteLabel(route.id, route.channel_id, territory, sector, route.role_id)


@dataclass(frozen=True)
class RouteLabel:
    """A route as people read it: "#bretagne ← Bretagne (région 53) · pharmacie → @role"."""

    route_id: int
    channel_id: int
    territory: territories.Territory | None
    sector: str | None
    role_id: int | None

    def render(self, language: Language, *, channel_name: str | None = None, role_name: str | None = None) -> str:
        """Mentions by default (they render as names in a message); plain names for autocomplete choices."""
        channel = f"#{channel_name}" if channel_name is not None else f"<#{self.channel_id}>"
        scope = [territories.label(self.territory, language)] if self.territory else []
        if self.sector:
            scope.append(safe_text(self.sector) if role_name is None and channel_name is None else self.sector)
        text = f"{channel} ← " + (" · ".join(scope) or default_catalogue().render(language, "setup.route.everything"))
        if self.role_id is not None:
            text += f" → @{role_name}" if role_name is not None else f" → <@&{self.role_id}>"
        return text


async def add_route(
    store: Store,
    actor: Actor,
    *,
    channel: ChannelFacts,
    territory: str | None,
    sector: str | None,
    role: RoleFacts | None,
    now: datetime,
) -> Outcome:
    if channel.kind not in ("text", "news"):
        raise SetupError("setup.error.message_channel_type", channel=f"<#{channel.id}>", kind=_kind_msg(channel.kind))
    if role is not None and role.is_default:
        raise SetupError("setup.error.everyone_role")
    if role is not None and role.managed:
        raise SetupError("setup.error.managed_role", role=f"<@&{role.id}>")
    ref = resolve_territory(territory).ref if territory is not None and territory.strip() else None
    lines: list[Msg] = []
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        sector_key = resolve_sector(await repo.sectors(conn, actor.guild_id), sector) if sector else None
        existing = await repo.routes(conn, actor.guild_id)
        role_id = role.id if role is not None else None
        for other in existing:
            if (other.channel_id, other.territory, other.sector, other.role_id) == (
                channel.id,
                ref,
                sector_key,
                role_id,
            ):
                raise SetupError("setup.error.route_exists", route=f"<#{channel.id}>")
        if len(existing) >= MAX_ROUTES:
            raise SetupError("setup.error.too_many_routes", maximum=MAX_ROUTES)
        created = await repo.add_route(
            conn,
            actor.guild_id,
            channel_id=channel.id,
            territory=ref,
            sector=sector_key,
            role_id=role_id,
            created_by=actor.user_id,
            now=now,
        )
        arguments = {
            "route": created.id,
            "channel": channel.id,
            "territory": ref,
            "sector": sector_key,
            "role": role_id,
        }
        await _record(conn, actor, "route add", arguments, "ok", now)
        sectors = await repo.sectors(conn, actor.guild_id)
    lines.append(Msg.of("setup.done.route_added", route=RouteMsg(route_parts(created, sectors))))
    if ref is None and sector_key is None:
        lines.append(Msg.of("setup.warn.route_everything", channel=f"<#{channel.id}>"))
    if warning := _missing_msg(channel, MESSAGE_CHANNEL_NEEDS):
        lines.append(warning)
    if role is not None and not (role.mentionable or channel.mention_everyone):
        lines.append(Msg.of("setup.warn.role_not_mentionable", role=f"<@&{role.id}>", channel=f"<#{channel.id}>"))
    return Outcome(tuple(lines))


@dataclass(frozen=True)
class RouteMsg:
    """A route to word in the reader's language (the cog's renderer knows this type)."""

    label: RouteLabel


async def remove_route(store: Store, actor: Actor, text: str, *, now: datetime) -> Outcome:
    route_id = int(text.strip().lstrip("#")) if text.strip().lstrip("#").isdigit() else None
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, now)
        found = await repo.route(conn, actor.guild_id, route_id) if route_id is not None else None
        if found is None:
            raise SetupError("setup.error.unknown_route", text=safe_text(text.strip()[:60]))
        await repo.remove_route(conn, actor.guild_id, found.id)
        arguments = {
            "route": found.id,
            "channel": found.channel_id,
            "territory": found.territory,
            "sector": found.sector,
            "role": found.role_id,
        }
        await _record(conn, actor, "route remove", arguments, "ok", now)
        sectors = await repo.sectors(conn, actor.guild_id)
    return Outcome((Msg.of("setup.done.route_removed", route=RouteMsg(route_parts(found, sectors))),))


# --- check --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelCheck:
    channel_id: int
    uses: tuple[str, ...]  # "incident", "log", "route"
    kind: ChannelKind
    missing: tuple[str, ...]  # permission names
    forum_tags_missing: tuple[str, ...] = ()  # statuses without a tag


@dataclass(frozen=True)
class RoleCheck:
    role_id: int
    channel_id: int
    exists: bool
    mentionable: bool  # by the bot there: the role is mentionable, or the bot has Mention Everyone there


@dataclass(frozen=True)
class FailureGroup:
    channel_id: int | None
    user_id: int | None
    kind: str
    error_status: int | None
    error_code: int | None
    error_text: str | None
    count: int
    latest: datetime


@dataclass(frozen=True)
class CheckReport:
    channels: tuple[ChannelCheck, ...]
    roles: tuple[RoleCheck, ...]
    manageable_roles: tuple[int, ...]
    can_manage_roles: bool
    failures: tuple[FailureGroup, ...]
    failure_count: int
    not_attempted: int = 0
    missing_settings: tuple[str, ...] = field(default_factory=tuple)  # "incident_channel", "coordinator_role"

    @property
    def ok(self) -> bool:
        return (
            not self.missing_settings
            and all(not c.missing and not c.forum_tags_missing and c.kind != "missing" for c in self.channels)
            and all(r.exists and r.mentionable for r in self.roles)
            and not self.failures
        )


def configured_channel_ids(view: SetupView) -> list[int]:
    ids = [view.config.incident_channel_id, view.config.bot_log_channel_id, *(r.channel_id for r in view.routes)]
    return list(dict.fromkeys(i for i in ids if i is not None))


def configured_role_ids(view: SetupView) -> list[int]:
    ids = [view.config.coordinator_role_id, *(r.role_id for r in view.routes)]
    return list(dict.fromkeys(i for i in ids if i is not None))


async def failures_since(store: Store, guild_id: int, *, now: datetime) -> list[FailedDelivery]:
    async with store.reading() as conn:
        return await repo.failed_deliveries(conn, guild_id, since=now - FAILURE_WINDOW, limit=500)


def build_check(
    view: SetupView,
    channels: Mapping[int, ChannelFacts],
    roles: Mapping[int, RoleFacts],
    *,
    can_manage_roles: bool,
    failed: Sequence[FailedDelivery],
) -> CheckReport:
    """Pure assembly: what is missing where, from the facts the cog read."""
    config = view.config
    uses: dict[int, list[str]] = {}
    if config.incident_channel_id is not None:
        uses.setdefault(config.incident_channel_id, []).append("incident")
    if config.bot_log_channel_id is not None:
        uses.setdefault(config.bot_log_channel_id, []).append("log")
    for route in view.routes:
        if "route" not in uses.setdefault(route.channel_id, []):
            uses[route.channel_id].append("route")
    channel_checks = []
    for channel_id, channel_uses in uses.items():
        facts = channels.get(channel_id, ChannelFacts(channel_id, "missing"))
        needs = INCIDENT_CHANNEL_NEEDS if "incident" in channel_uses else MESSAGE_CHANNEL_NEEDS
        missing = tuple(_missing(facts, needs)) if facts.kind != "missing" else ()
        tags_missing: tuple[str, ...] = ()
        if "incident" in channel_uses and facts.kind == "forum":
            tags_missing = tuple(s for s, tag in status_tags(facts.tags).items() if tag is None)
        channel_checks.append(ChannelCheck(channel_id, tuple(channel_uses), facts.kind, missing, tags_missing))
    role_checks = []
    for route in view.routes:
        if route.role_id is None:
            continue
        role = roles.get(route.role_id, RoleFacts(route.role_id, exists=False))
        channel = channels.get(route.channel_id)
        mentionable = role.exists and (role.mentionable or (channel is not None and channel.mention_everyone))
        role_checks.append(RoleCheck(route.role_id, route.channel_id, role.exists, mentionable))
    manageable = tuple(
        r.id
        for r in roles.values()
        if can_manage_roles and r.exists and r.below_bot and not r.is_default and not r.managed
    )
    groups: dict[tuple[Any, ...], FailureGroup] = {}
    # A row that waited on a failed one was never attempted: its cause is already listed, so it is only counted.
    consequences = [row for row in failed if (row.error_text or "").startswith(DEPENDENCY_FAILED)]
    causes = [row for row in failed if row not in consequences]
    for row in causes:
        key = (row.channel_id, row.user_id, row.kind, row.error_status, row.error_code)
        known = groups.get(key)
        if known is None:
            groups[key] = FailureGroup(
                row.channel_id, row.user_id, row.kind, row.error_status, row.error_code, row.error_text, 1, row.at
            )
        else:
            groups[key] = FailureGroup(
                known.channel_id,
                known.user_id,
                known.kind,
                known.error_status,
                known.error_code,
                known.error_text,
                known.count + 1,
                max(known.latest, row.at),
            )
    missing_settings = tuple(
        name
        for name, value in (
            ("incident_channel", config.incident_channel_id),
            ("coordinator_role", config.coordinator_role_id),
        )
        if value is None
    )
    return CheckReport(
        channels=tuple(channel_checks),
        roles=tuple(role_checks),
        manageable_roles=manageable,
        can_manage_roles=can_manage_roles,
        failures=tuple(sorted(groups.values(), key=lambda g: g.latest, reverse=True)),
        failure_count=len(causes),
        not_attempted=len(consequences),
        missing_settings=missing_settings,
    )


# --- audit --------------------------------------------------------------------------------------------------


async def audit_page(
    store: Store, actor: Actor, *, member_id: int | None, limit: int, before_id: int | None = None
) -> list[AuditEntry]:
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise SetupError("setup.error.audit_limit", maximum=MAX_AUDIT_ENTRIES)
    async with store.reading() as conn:
        return await repo.audit_entries(conn, actor.guild_id, actor_id=member_id, before_id=before_id, limit=limit)


# --- wording ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MsgList:
    """Several words shown as one comma-separated list, each worded in the reader's language."""

    items: tuple[Msg | str, ...]


def word(catalogue: Catalogue, language: Language, value: Any) -> str:
    """A `Msg` (and the list, days and route values it may hold) in `language`."""
    if isinstance(value, Msg):
        args = {name: word(catalogue, language, arg) for name, arg in value.args.items()}
        return catalogue.render(language, value.message_id, **args)
    if isinstance(value, MsgList):
        return ", ".join(word(catalogue, language, item) for item in value.items)
    if isinstance(value, WordedDays):
        return format_days(value.days, language)
    if isinstance(value, RouteMsg):
        return value.label.render(language)
    return str(value)


# --- presentation (pure text, in the reader's language) ----------------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


def show_sections(view: SetupView, catalogue: Catalogue, language: Language) -> list[Section]:
    """`/setup show`: every setting, the sectors and the routes."""

    def say(message_id: str, **args: Any) -> str:
        return word(catalogue, language, Msg.of(message_id, **args))

    config = view.config
    unset = say("setup.show.unset")
    incident = unset + " — " + say("setup.show.hint_incident_channel")
    if config.incident_channel_id is not None:
        incident = f"<#{config.incident_channel_id}>"
    role = unset + " — " + say("setup.show.hint_coordinator_role")
    if config.coordinator_role_id is not None:
        role = f"<@&{config.coordinator_role_id}>"
    log = f"<#{config.bot_log_channel_id}>" if config.bot_log_channel_id is not None else unset
    cadence = config.cadence_minutes
    general = (
        say("setup.show.language", value=Msg.of(LANGUAGE_IDS.get(config.language, "setup.language.fr"))),
        say("setup.show.time_zone", value=config.time_zone),
        say("setup.show.incident_channel", value=incident),
        say("setup.show.coordinator_role", value=role),
        say("setup.show.log_channel", value=log),
        say(
            "setup.show.hours" if config.hours.holidays_country else "setup.show.hours_no_holidays",
            days=format_days(config.hours.days, language),
            start=format_clock(config.hours.start),
            end=format_clock(config.hours.end),
            country=config.hours.holidays_country,
        ),
        say("setup.show.archive_delay", hours=config.archive_after_hours),
        say(
            "setup.show.cadence",
            **{s: duration_msg(cadence.get(s, DEFAULT_CADENCE_MINUTES[s])) for s in SEVERITIES},
        ),
        say("setup.show.dm_cap", count=config.dm_cap_per_incident)
        if config.dm_cap_per_incident > 0
        else say("setup.show.dm_off"),
    )
    sectors = ", ".join(_sector_label(name) for name in sorted(view.sectors.values(), key=name_key))
    routes = tuple(route_parts(r, view.sectors).render(language) for r in view.routes) or (say("setup.show.no_routes"),)
    return [
        Section(say("setup.show.title"), general),
        Section(say("setup.show.sectors", count=len(view.sectors)), (sectors or say("setup.show.no_sectors"),)),
        Section(say("setup.show.routes", count=len(view.routes)), routes),
    ]


USE_IDS: dict[str, str] = {"incident": "setup.use.incident", "log": "setup.use.log", "route": "setup.use.route"}


def check_sections(report: CheckReport, catalogue: Catalogue, language: Language) -> list[Section]:
    """`/setup check`: what is missing where, what the bot can manage, what failed lately."""

    def say(message_id: str, **args: Any) -> str:
        return word(catalogue, language, Msg.of(message_id, **args))

    sections: list[Section] = []
    if report.missing_settings:
        hints = {
            "incident_channel": "setup.show.hint_incident_channel",
            "coordinator_role": "setup.show.hint_coordinator_role",
        }
        sections.append(Section(say("setup.check.todo"), tuple("❌ " + say(hints[m]) for m in report.missing_settings)))
    channel_lines: list[str] = []
    for check in report.channels:
        uses = MsgList(tuple(Msg.of(USE_IDS[u]) for u in check.uses))
        where = f"<#{check.channel_id}>"
        if check.kind == "missing":
            channel_lines.append("❌ " + say("setup.check.channel_missing", channel=where, uses=uses))
            continue
        if check.missing:
            permissions = MsgList(tuple(Msg.of(PERMISSION_IDS[p]) for p in check.missing))
            channel_lines.append(
                "⚠️ " + say("setup.check.channel_lacks", channel=where, uses=uses, permissions=permissions)
            )
        else:
            channel_lines.append("✅ " + say("setup.check.channel_ok", channel=where, uses=uses))
        if check.forum_tags_missing:
            statuses = MsgList(tuple(Msg.of(STATUS_IDS[s]) for s in check.forum_tags_missing))
            channel_lines.append("⚠️ " + say("setup.check.forum_tags_missing", channel=where, statuses=statuses))
    sections.append(Section(say("setup.check.channels"), tuple(channel_lines) or (say("setup.check.no_channels"),)))
    role_lines: list[str] = []
    for role in report.roles:
        args = {"role": f"<@&{role.role_id}>", "channel": f"<#{role.channel_id}>"}
        if not role.exists:
            role_lines.append("❌ " + say("setup.check.role_missing", **args))
        elif role.mentionable:
            role_lines.append("✅ " + say("setup.check.role_ok", **args))
        else:
            role_lines.append("⚠️ " + say("setup.check.role_not_mentionable", **args))
    sections.append(Section(say("setup.check.roles"), tuple(role_lines) or (say("setup.check.no_route_roles"),)))
    if not report.can_manage_roles:
        managed = say("setup.check.cannot_manage_roles")
    elif report.manageable_roles:
        managed = ", ".join(f"<@&{r}>" for r in report.manageable_roles)
    else:
        managed = say("setup.check.no_manageable_roles")
    sections.append(Section(say("setup.check.manageable"), (managed,)))
    failure_lines: list[str] = []
    for group in report.failures:
        target = (
            f"<#{group.channel_id}>"
            if group.channel_id is not None
            else (f"<@{group.user_id}>" if group.user_id is not None else group.kind)
        )
        failure_lines.append(
            "❌ "
            + say(
                "setup.check.failure",
                target=target,
                status=group.error_status if group.error_status is not None else "—",
                code=group.error_code if group.error_code is not None else "—",
                error=safe_text((group.error_text or "")[:120]) or "—",
                count=group.count,
                latest=f"<t:{int(group.latest.timestamp())}:R>",
            )
        )
    if report.not_attempted:
        failure_lines.append(say("setup.check.not_attempted", count=report.not_attempted))
    sections.append(
        Section(
            say("setup.check.failures", count=report.failure_count),
            tuple(failure_lines) or (say("setup.check.no_failures"),),
        )
    )
    return sections


def audit_lines(entries: Sequence[AuditEntry], catalogue: Catalogue, language: Language) -> list[str]:
    """One line per entry: when, who, what, with which arguments, and the result."""
    lines = []
    for entry in entries:
        who = f"<@{entry.actor_id}>" if entry.actor_id is not None else catalogue.render(language, "setup.audit.system")
        arguments = _arguments_text(entry.arguments)
        line = f"<t:{int(entry.at.timestamp())}:f> · {who} · `{safe_text(entry.action)[:60]}`"
        if arguments:
            line += f" {arguments}"
        lines.append(line + f" → {_result_text(entry.result, catalogue, language)}")
    return lines


def _result_text(result: str, catalogue: Catalogue, language: Language) -> str:
    """ "refused: access.error.admin_only" (as the error handler records it) as the sentence the person read."""
    reason = result.removeprefix("refused: ")
    if reason != result and reason in catalogue.keys(language):
        sentence = catalogue.raw(language, reason).format_map(defaultdict(lambda: "…"))
        return catalogue.render(language, "setup.audit.refused", reason=truncate(safe_text(sentence), 200))
    return truncate(safe_text(result), 200)


_MENTION_FORMS = {"channel": "<#{}>", "role": "<@&{}>", "member": "<@{}>", "user": "<@{}>"}


def _flatten_options(options: Sequence[Any]) -> list[str]:
    """Discord's raw options as the error handler records refused commands: leaves as name=value."""
    flat: list[str] = []
    for item in options:
        if not isinstance(item, dict):
            flat.append(str(item))
        elif isinstance(item.get("options"), list):
            flat.extend(_flatten_options(item["options"]))
        elif "value" in item:
            flat.append(_argument(str(item.get("name")), item["value"]))
    return flat


def _argument(key: str, value: Any) -> str:
    form = _MENTION_FORMS.get(key)
    if form is not None and str(value).isdigit():
        # Mentions render as names in the admin's client, and a private reply pings nobody.
        return f"{key}={form.format(value)}"
    return f"{key}={safe_text(str(value))}"


def _arguments_text(arguments: Mapping[str, Any]) -> str:
    flat: list[str] = []
    for key, value in arguments.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list):
            flat.extend(_flatten_options(value))
        else:
            flat.append(_argument(key, value))
    return truncate(" ".join(flat), 300)
