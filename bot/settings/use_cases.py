"""`/setup`'s use cases: each setting, sectors, routes, and what `show`, `check` and the audit log read; and
`load_config`, a server's configuration as the other features' use cases read it inside their own transaction.

Every change runs in one unit of work with its audit row. A change that keeps some of the current settings
(`/setup hours end:18:00` keeps the start) reads them inside that unit of work, so that two admins editing at
once never undo each other's change. A bad input raises `SetupError` (or the common rules' own error) before
anything is written, and the bot's error handler answers it and audits the refusal.

Sectors: a server starts with `DEFAULT_SECTORS`. They are written as rows when the server's settings row is
created (the first `/setup` command of the server), so that afterwards the rows are the whole truth and an
admin who removes every sector really has none; a server that never ran `/setup` is shown the defaults
(`load_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.board import store as boards_repo
from bot.common.actor import Actor
from bot.common.hours_parsing import format_clock
from bot.common.i18n import Msg, language_of
from bot.common.limits import TextField
from bot.common.text import name_key, safe_text, validate_field
from bot.incidents.rules.routing import Route
from bot.reports.rules import check_alert_rule
from bot.settings import presentation
from bot.settings import store as repo
from bot.settings.rules.config import GuildConfig, ServerDefaults, default_sectors
from bot.settings.rules.model import (
    AuditEntry,
    ChannelFacts,
    FailedDelivery,
    Outcome,
    RoleFacts,
    SetupError,
    SetupView,
)
from bot.settings.rules.validation import (
    NO_HOLIDAYS_VALUE,
    SEVERITIES,
    CadenceChange,
    HoursChange,
    check_archive_delay,
    check_audit_limit,
    check_dm_limit,
    check_incident_channel,
    check_language,
    check_message_channel,
    check_new_route,
    check_new_sector,
    check_role,
    check_sector_unused,
    duration_msg,
    resolve_sector,
    resolve_territory,
    resolve_zone,
    route_id,
    sector_label,
)
from bot.storage import audit
from bot.storage.store import Store

FAILURE_WINDOW = timedelta(days=7)
# The defaults of a bot started without TOCSIN_LANGUAGE or TOCSIN_TIME_ZONE; the cog passes its own `defaults`.
PROGRAM_DEFAULTS = ServerDefaults()


# --- reading ------------------------------------------------------------------------------------------------


class ServerUseCases:
    """What a feature's use cases stand on: the store, and the bot's defaults for what a server has not set."""

    def __init__(self, store: Store, defaults: ServerDefaults) -> None:
        self.store = store
        self.defaults = defaults

    async def config(self, conn: aiosqlite.Connection, guild_id: int) -> GuildConfig:
        return await load_config(conn, guild_id, self.defaults)


async def load_config(conn: aiosqlite.Connection, guild_id: int, defaults: ServerDefaults) -> GuildConfig:
    """The server's configuration, with the program's defaults where it set nothing."""
    stored = await repo.stored_config(conn, guild_id)
    routes = tuple(await repo.routes(conn, guild_id))
    sectors = await repo.sectors(conn, guild_id, in_name_order=True)
    if stored is None:
        # The first /setup command writes the default sectors as rows; until then they are only offered.
        return GuildConfig(
            guild_id=guild_id,
            language=language_of(defaults.language, fallback="fr"),
            time_zone=defaults.time_zone,
            routes=routes,
            sectors=sectors or default_sectors(),
        )
    return replace(stored, routes=routes, sectors=sectors)


async def load_view(store: Store, actor: Actor, *, defaults: ServerDefaults = PROGRAM_DEFAULTS) -> SetupView:
    async with store.reading() as conn:
        config = await load_config(conn, actor.guild_id, defaults)
        configured = await repo.settings_exist(conn, actor.guild_id)
    return SetupView(config=config, sectors=dict(config.sectors), routes=config.routes, configured=configured)


async def sector_names(store: Store, actor: Actor, *, defaults: ServerDefaults = PROGRAM_DEFAULTS) -> dict[str, str]:
    return (await load_view(store, actor, defaults=defaults)).sectors


async def open_incident_ids(store: Store, actor: Actor) -> list[int]:
    """The server's open incidents, whose next nudge a new cadence or new hours move at once."""
    async with store.reading() as conn:
        return await repo.open_incident_ids(conn, actor.guild_id)


async def follow_roles(store: Store, guild_id: int) -> list[tuple[int, int]]:
    """(number, role id) of the open incidents' follow roles, which Tocsin gives their followers."""
    async with store.reading() as conn:
        return await repo.follow_roles(conn, guild_id)


async def failures_since(store: Store, guild_id: int, *, now: datetime) -> list[FailedDelivery]:
    async with store.reading() as conn:
        return await repo.failed_deliveries(conn, guild_id, since=now - FAILURE_WINDOW, limit=500)


async def audit_page(
    store: Store, actor: Actor, *, member_id: int | None, limit: int, before_id: int | None = None
) -> list[AuditEntry]:
    check_audit_limit(limit)
    async with store.reading() as conn:
        return await repo.audit_entries(conn, actor.guild_id, actor_id=member_id, before_id=before_id, limit=limit)


# --- writing ------------------------------------------------------------------------------------------------


async def _prepare(conn: aiosqlite.Connection, actor: Actor, defaults: ServerDefaults, now: datetime) -> None:
    """The server's settings row, created with the bot's defaults and the default sectors if new."""
    created = await repo.create_settings(
        conn,
        actor.guild_id,
        language=language_of(defaults.language, fallback="fr"),
        time_zone=defaults.time_zone,
        now=now,
    )
    if created and not await repo.sectors(conn, actor.guild_id):
        await repo.add_sectors(conn, actor.guild_id, default_sectors().items(), now=now)


async def _record(
    conn: aiosqlite.Connection, actor: Actor, action: str, arguments: Mapping[str, Any], result: str, now: datetime
) -> None:
    await audit.record_by(conn, actor, f"setup {action}", arguments, result, now)


async def _set(
    store: Store,
    actor: Actor,
    column: str,
    value: Any,
    *,
    action: str,
    arguments: Mapping[str, Any],
    now: datetime,
    defaults: ServerDefaults = PROGRAM_DEFAULTS,
) -> None:
    """One setting written alone, with its audit row."""
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        await repo.set_setting(conn, actor.guild_id, column, value, now=now)
        await _record(conn, actor, action, arguments, "ok", now)


async def set_incident_channel(
    store: Store, actor: Actor, channel: ChannelFacts, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    check_incident_channel(channel)
    arguments = {"channel": channel.id, "kind": channel.kind}
    await _set(
        store,
        actor,
        "incident_channel_id",
        channel.id,
        action="incident-channel",
        arguments=arguments,
        now=now,
        defaults=defaults,
    )
    return Outcome(tuple(presentation.incident_channel_lines(channel)))


async def set_coordinator_role(
    store: Store, actor: Actor, role: RoleFacts, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    check_role(role)
    await _set(
        store, actor, "coordinator_role_id", role.id, action="coordinator-role", arguments={"role": role.id}, now=now
    )
    return Outcome((Msg.of("setup.done.coordinator_role", role=f"<@&{role.id}>"),))


async def set_log_channel(
    store: Store, actor: Actor, channel: ChannelFacts, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    check_message_channel(channel)
    await _set(
        store, actor, "bot_log_channel_id", channel.id, action="log-channel", arguments={"channel": channel.id}, now=now
    )
    return Outcome(tuple(presentation.log_channel_lines(channel)))


async def set_language(
    store: Store, actor: Actor, language: str, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    chosen = check_language(language)
    await _set(
        store, actor, "language", chosen, action="language", arguments={"language": chosen}, now=now, defaults=defaults
    )
    return Outcome((Msg.of("setup.done.language", language=Msg.of(presentation.LANGUAGE_IDS[chosen])),))


async def set_time_zone(
    store: Store, actor: Actor, text: str, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    zone = resolve_zone(text)
    await _set(store, actor, "time_zone", zone, action="timezone", arguments={"zone": zone}, now=now, defaults=defaults)
    local = now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return Outcome((Msg.of("setup.done.time_zone", zone=zone, now=local),))


async def set_archive_delay(
    store: Store, actor: Actor, hours: int, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    check_archive_delay(hours)
    await _set(
        store,
        actor,
        "archive_after_hours",
        hours,
        action="archive-delay",
        arguments={"hours": hours},
        now=now,
        defaults=defaults,
    )
    return Outcome((Msg.of("setup.done.archive_delay_now" if hours == 0 else "setup.done.archive_delay", hours=hours),))


async def set_hours(
    store: Store,
    actor: Actor,
    *,
    start: str | None,
    end: str | None,
    days: str | None,
    now: datetime,
    defaults: ServerDefaults = PROGRAM_DEFAULTS,
    holidays_country: str | None = None,
) -> Outcome:
    """Unset options keep their current value: "/setup hours end:18:00" moves only the end. `holidays_country`
    is a country code the `holidays` package knows ("FR"), or "none"/"aucun" to count no public holiday."""
    change = HoursChange.read(start=start, end=end, days=days, holidays_country=holidays_country)
    async with store.unit_of_work() as conn:
        hours = change.applied_to((await load_config(conn, actor.guild_id, defaults)).hours)
        await _prepare(conn, actor, defaults, now)
        days_text = ",".join(str(d) for d in sorted(hours.days))
        await repo.set_working_hours(
            conn,
            actor.guild_id,
            days=days_text,
            start=format_clock(hours.start),
            end=format_clock(hours.end),
            holidays_country=hours.holidays_country,
            now=now,
        )
        arguments = {
            "start": format_clock(hours.start),
            "end": format_clock(hours.end),
            "days": days_text,
            "holidays": hours.holidays_country or NO_HOLIDAYS_VALUE,
        }
        await _record(conn, actor, "hours", arguments, "ok", now)
    return Outcome(tuple(presentation.hours_lines(hours, holidays_given=change.holidays_country is not None)))


async def set_cadence(
    store: Store,
    actor: Actor,
    *,
    critical: str | None,
    major: str | None,
    minor: str | None,
    now: datetime,
    defaults: ServerDefaults = PROGRAM_DEFAULTS,
) -> Outcome:
    """Unset options keep their current value, like `set_hours`: "/setup cadence critical:30 min" moves only the
    critical one."""
    change = CadenceChange.read(critical=critical, major=major, minor=minor)
    async with store.unit_of_work() as conn:
        chosen = change.applied_to((await load_config(conn, actor.guild_id, defaults)).cadence_minutes)
        await _prepare(conn, actor, defaults, now)
        await repo.set_nudge_cadence(
            conn, actor.guild_id, critical=chosen["critical"], major=chosen["major"], minor=chosen["minor"], now=now
        )
        await _record(conn, actor, "cadence", {f"{s}_min": chosen[s] for s in SEVERITIES}, "ok", now)
    return Outcome((Msg.of("setup.done.cadence", **{s: duration_msg(chosen[s]) for s in SEVERITIES}),))


async def set_dm_limit(
    store: Store, actor: Actor, count: int, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    """How many members may follow one incident by DM. 0 turns DMs off for the server: nobody may opt in and no
    DM leaves (the outbox plans none, bot.incidents.use_cases.deliveries), but members' choices are kept, so raising
    the limit again gives them back their DMs. A lower non-zero limit only applies to new opt-ins: nobody loses
    what they were given."""
    check_dm_limit(count)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        await repo.set_setting(conn, actor.guild_id, "dm_cap_per_incident", count, now=now)
        kept = await repo.incident_dm_count(conn, actor.guild_id) if count == 0 else 0
        await _record(conn, actor, "dm-limit", {"count": count, "dm_choices_kept": kept}, "ok", now)
    return Outcome(tuple(presentation.dm_limit_lines(count, kept)))


async def set_reports(
    store: Store,
    actor: Actor,
    *,
    channel: ChannelFacts | None,
    role: RoleFacts | None,
    threshold: int | None,
    window: int | None,
    now: datetime,
    defaults: ServerDefaults = PROGRAM_DEFAULTS,
) -> Outcome:
    """Members' reports: where their cards go, who may report (@everyone: every member), and the alert rule.
    Unset options keep their current value."""
    if channel is None and role is None and threshold is None and window is None:
        raise SetupError("setup.error.reports_nothing")
    if channel is not None:
        check_message_channel(channel)
    if role is not None and not role.is_default:
        check_role(role)
    check_alert_rule(threshold, window)
    arguments: dict[str, Any] = {}
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        if channel is not None:
            await repo.set_setting(conn, actor.guild_id, "reports_channel_id", channel.id, now=now)
            arguments["channel"] = channel.id
        if role is not None:
            role_id = None if role.is_default else role.id
            await repo.set_setting(conn, actor.guild_id, "reports_role_id", role_id, now=now)
            arguments["role"] = role_id
        if threshold is not None:
            await repo.set_setting(conn, actor.guild_id, "report_alert_members", threshold, now=now)
            arguments["threshold"] = threshold
        if window is not None:
            await repo.set_setting(conn, actor.guild_id, "report_alert_window_min", window, now=now)
            arguments["window_min"] = window
        config = await load_config(conn, actor.guild_id, defaults)
        await _record(conn, actor, "reports", arguments, "ok", now)
    return Outcome(tuple(presentation.reports_lines(config, channel, role)))


# --- sectors ------------------------------------------------------------------------------------------------


async def add_sector(
    store: Store, actor: Actor, name: str, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    cleaned = validate_field(TextField.SECTOR, name, required=True)
    assert cleaned is not None
    key = name_key(cleaned)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        check_new_sector(await repo.sectors(conn, actor.guild_id), key)
        await repo.add_sector(conn, actor.guild_id, key, cleaned, now=now)
        await _record(conn, actor, "sector add", {"name": cleaned, "key": key}, "ok", now)
    return Outcome((Msg.of("setup.done.sector_added", name=sector_label(cleaned)),))


async def remove_sector(
    store: Store, actor: Actor, name: str, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        existing = await repo.sectors(conn, actor.guild_id)
        key = resolve_sector(existing, name)
        shown_on = [stored.board for stored in await boards_repo.boards(conn, actor.guild_id)]
        check_sector_unused(existing, key, await repo.routes(conn, actor.guild_id), shown_on)
        await repo.remove_sector(conn, actor.guild_id, key)
        await _record(conn, actor, "sector remove", {"name": existing[key], "key": key}, "ok", now)
    return Outcome((Msg.of("setup.done.sector_removed", name=sector_label(existing[key])),))


# --- routes -------------------------------------------------------------------------------------------------


def _route_arguments(route: Route) -> dict[str, Any]:
    return {
        "route": route.id,
        "channel": route.channel_id,
        "territory": route.territory,
        "sector": route.sector,
        "role": route.role_id,
    }


async def add_route(
    store: Store,
    actor: Actor,
    *,
    channel: ChannelFacts,
    territory: str | None,
    sector: str | None,
    role: RoleFacts | None,
    now: datetime,
    defaults: ServerDefaults = PROGRAM_DEFAULTS,
) -> Outcome:
    check_message_channel(channel)
    if role is not None:
        check_role(role)
    ref = resolve_territory(territory).ref if territory is not None and territory.strip() else None
    role_id = role.id if role is not None else None
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        sector_key = resolve_sector(await repo.sectors(conn, actor.guild_id), sector) if sector else None
        existing = await repo.routes(conn, actor.guild_id)
        check_new_route(existing, channel_id=channel.id, territory=ref, sector=sector_key, role_id=role_id)
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
        await _record(conn, actor, "route add", _route_arguments(created), "ok", now)
        sectors = await repo.sectors(conn, actor.guild_id)
    return Outcome(tuple(presentation.route_added_lines(created, sectors, channel, role)))


async def remove_route(
    store: Store, actor: Actor, text: str, *, now: datetime, defaults: ServerDefaults = PROGRAM_DEFAULTS
) -> Outcome:
    number = route_id(text)
    async with store.unit_of_work() as conn:
        await _prepare(conn, actor, defaults, now)
        found = await repo.route(conn, actor.guild_id, number) if number is not None else None
        if found is None:
            raise SetupError("setup.error.unknown_route", text=safe_text(text.strip()[:60]))
        await repo.remove_route(conn, actor.guild_id, found.id)
        await _record(conn, actor, "route remove", _route_arguments(found), "ok", now)
        sectors = await repo.sectors(conn, actor.guild_id)
    route = presentation.RouteMsg(presentation.route_parts(found, sectors))
    return Outcome((Msg.of("setup.done.route_removed", route=route),))
