"""Repositories of `/setup`: a server's settings row, its sectors, its routes, its audit entries and the outbox
rows that failed. SQL only; the rules live in `bot/settings/rules/`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

import aiosqlite

from bot.common.i18n import language_of
from bot.delivery.outbox import DEPENDENCY_FAILED
from bot.incidents.rules.routing import Route
from bot.settings.rules.config import GuildConfig, WorkingHours
from bot.settings.rules.model import AuditEntry, FailedDelivery
from bot.storage.rows import all_rows, any_row, first_row, first_value, int_column, only_row
from bot.storage.times import from_db_time, to_db_time

# The columns `/setup` may write, so that a column name never comes from outside this module.
SETTING_COLUMNS = frozenset(
    {
        "language",
        "time_zone",
        "coordinator_role_id",
        "incident_channel_id",
        "bot_log_channel_id",
        "working_days",
        "working_start",
        "working_end",
        "archive_after_hours",
        "dm_cap_per_incident",
        "reports_channel_id",
        "reports_role_id",
        "report_alert_members",
        "report_alert_window_min",
    }
)


async def settings_exist(conn: aiosqlite.Connection, guild_id: int) -> bool:
    return await any_row(conn, "SELECT 1 FROM guild_settings WHERE guild_id = ?", (guild_id,))


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


async def stored_config(conn: aiosqlite.Connection, guild_id: int) -> GuildConfig | None:
    """The server's settings row, without its routes and sectors; None before its first `/setup` command."""
    # The settings, sectors and routes are read by every command: each read is one trip to aiosqlite's thread.
    return await only_row(
        conn,
        "SELECT language, time_zone, coordinator_role_id, incident_channel_id, bot_log_channel_id, working_days, "
        "working_start, working_end, holidays_country, archive_after_hours, cadence_critical_min, "
        "cadence_major_min, cadence_minor_min, dm_cap_per_incident, reports_channel_id, reports_role_id, "
        "report_alert_members, report_alert_window_min FROM guild_settings WHERE guild_id = ?",
        (guild_id,),
        lambda row: _config(guild_id, row),
    )


def _config(guild_id: int, row: aiosqlite.Row) -> GuildConfig:
    return GuildConfig(
        guild_id=guild_id,
        language=language_of(row[0], fallback="fr"),
        time_zone=row[1],
        coordinator_role_id=row[2],
        incident_channel_id=row[3],
        bot_log_channel_id=row[4],
        hours=WorkingHours(
            days=frozenset(int(d) for d in str(row[5]).split(",") if d),
            start=_clock(row[6]),
            end=_clock(row[7]),
            holidays_country=row[8],
        ),
        archive_after_hours=row[9],
        cadence_minutes={"critical": row[10], "major": row[11], "minor": row[12]},
        dm_cap_per_incident=row[13],
        reports_channel_id=row[14],
        reports_role_id=row[15],
        report_alert_members=row[16],
        report_alert_window_min=row[17],
    )


async def create_settings(
    conn: aiosqlite.Connection, guild_id: int, *, language: str, time_zone: str, now: datetime
) -> bool:
    """Creates the server's row with the program's defaults; False when it already existed."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO guild_settings (guild_id, language, time_zone, updated_at) VALUES (?, ?, ?, ?)",
        (guild_id, language, time_zone, to_db_time(now)),
    )
    return cursor.rowcount == 1


async def set_setting(conn: aiosqlite.Connection, guild_id: int, column: str, value: Any, *, now: datetime) -> None:
    if column not in SETTING_COLUMNS:
        raise ValueError(f"not a setting /setup writes: {column!r}")
    await conn.execute(
        f"UPDATE guild_settings SET {column} = ?, updated_at = ? WHERE guild_id = ?",  # noqa: S608 (whitelisted)
        (value, to_db_time(now), guild_id),
    )


async def set_working_hours(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    days: str,
    start: str,
    end: str,
    now: datetime,
    holidays_country: str | None = None,
) -> None:
    """`holidays_country`: a code ("FR"), "" for no public holidays, or None to keep the stored one."""
    await conn.execute(
        "UPDATE guild_settings SET working_days = ?, working_start = ?, working_end = ?, "
        "holidays_country = COALESCE(?, holidays_country), updated_at = ? WHERE guild_id = ?",
        (days, start, end, holidays_country, to_db_time(now), guild_id),
    )


async def set_nudge_cadence(
    conn: aiosqlite.Connection, guild_id: int, *, critical: int, major: int, minor: int, now: datetime
) -> None:
    """The minutes between two nudges of an incident's owner, per severity."""
    await conn.execute(
        "UPDATE guild_settings SET cadence_critical_min = ?, cadence_major_min = ?, cadence_minor_min = ?, "
        "updated_at = ? WHERE guild_id = ?",
        (critical, major, minor, to_db_time(now), guild_id),
    )


async def incident_dm_count(conn: aiosqlite.Connection, guild_id: int) -> int:
    """How many incident follows of the server asked for direct messages."""
    counted = await first_value(
        conn, "SELECT COUNT(*) FROM subscriptions WHERE guild_id = ? AND kind = 'incident' AND dm = 1", (guild_id,), int
    )
    return counted or 0


async def open_incident_ids(conn: aiosqlite.Connection, guild_id: int) -> list[int]:
    """The server's open incidents that have a thread (the ones that get nudges)."""
    return await int_column(
        conn,
        "SELECT id FROM incidents WHERE guild_id = ? AND status IN ('investigating', 'identified', 'monitoring') "
        "AND thread_row IS NOT NULL ORDER BY id",
        (guild_id,),
    )


async def follow_roles(conn: aiosqlite.Connection, guild_id: int) -> list[tuple[int, int]]:
    """(number, follow role id) of the server's open incidents that have a follow role."""
    return await all_rows(
        conn,
        "SELECT number, follow_role_id FROM incidents WHERE guild_id = ? "
        "AND status IN ('investigating', 'identified', 'monitoring') AND follow_role_id IS NOT NULL ORDER BY number",
        (guild_id,),
        lambda row: (int(row[0]), int(row[1])),
    )


# --- sectors -----------------------------------------------------------------------------------------------


async def sectors(conn: aiosqlite.Connection, guild_id: int, *, in_name_order: bool = False) -> dict[str, str]:
    """key → name as written, in the order of the keys, or of the names as written."""
    order = "name" if in_name_order else "key"
    found = await conn.execute_fetchall(
        f"SELECT key, name FROM sectors WHERE guild_id = ? ORDER BY {order}",  # noqa: S608 (one of two columns)
        (guild_id,),
    )
    return {str(key): str(name) for key, name in found}


async def add_sector(conn: aiosqlite.Connection, guild_id: int, key: str, name: str, *, now: datetime) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO sectors (guild_id, key, name, created_at) VALUES (?, ?, ?, ?)",
        (guild_id, key, name, to_db_time(now)),
    )
    return cursor.rowcount == 1


async def add_sectors(
    conn: aiosqlite.Connection, guild_id: int, named: Iterable[tuple[str, str]], *, now: datetime
) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO sectors (guild_id, key, name, created_at) VALUES (?, ?, ?, ?)",
        [(guild_id, key, name, to_db_time(now)) for key, name in named],
    )


async def remove_sector(conn: aiosqlite.Connection, guild_id: int, key: str) -> bool:
    cursor = await conn.execute("DELETE FROM sectors WHERE guild_id = ? AND key = ?", (guild_id, key))
    return cursor.rowcount == 1


# --- routes ------------------------------------------------------------------------------------------------


def _route(row: Any) -> Route:
    return Route(id=row[0], guild_id=row[1], channel_id=row[2], territory=row[3], sector=row[4], role_id=row[5])


async def routes(conn: aiosqlite.Connection, guild_id: int) -> list[Route]:
    return await all_rows(
        conn,
        "SELECT id, guild_id, channel_id, territory, sector, role_id FROM routes WHERE guild_id = ? ORDER BY id",
        (guild_id,),
        _route,
    )


async def route(conn: aiosqlite.Connection, guild_id: int, route_id: int) -> Route | None:
    return await first_row(
        conn,
        "SELECT id, guild_id, channel_id, territory, sector, role_id FROM routes WHERE guild_id = ? AND id = ?",
        (guild_id, route_id),
        _route,
    )


async def add_route(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    channel_id: int,
    territory: str | None,
    sector: str | None,
    role_id: int | None,
    created_by: int | None,
    now: datetime,
) -> Route:
    cursor = await conn.execute(
        "INSERT INTO routes (guild_id, channel_id, territory, sector, role_id, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (guild_id, channel_id, territory, sector, role_id, to_db_time(now), created_by),
    )
    assert cursor.lastrowid is not None
    return Route(
        id=cursor.lastrowid,
        guild_id=guild_id,
        channel_id=channel_id,
        territory=territory,
        sector=sector,
        role_id=role_id,
    )


async def remove_route(conn: aiosqlite.Connection, guild_id: int, route_id: int) -> bool:
    cursor = await conn.execute("DELETE FROM routes WHERE guild_id = ? AND id = ?", (guild_id, route_id))
    return cursor.rowcount == 1


# --- reading the audit log and the outbox ------------------------------------------------------------------


def _json_object(text: str) -> dict[str, Any]:
    """A JSON column as an object; text that is not JSON as {"raw": text}, another JSON value as {"value": it}."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}


def _snowflake(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


async def audit_entries(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    actor_id: int | None = None,
    before_id: int | None = None,
    limit: int = 20,
) -> list[AuditEntry]:
    """The server's latest entries first; `before_id` pages towards older ones."""
    query = "SELECT id, actor_id, action, arguments, result, at FROM audit_log WHERE guild_id = ?"
    params: list[Any] = [guild_id]
    if actor_id is not None:
        query += " AND actor_id = ?"
        params.append(actor_id)
    if before_id is not None:
        query += " AND id < ?"
        params.append(before_id)
    query += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return await all_rows(conn, query, params, _audit_entry)


def _audit_entry(row: aiosqlite.Row) -> AuditEntry:
    return AuditEntry(
        id=row[0],
        actor_id=row[1],
        action=row[2],
        arguments=_json_object(row[3]),
        result=row[4],
        at=from_db_time(row[5]),
    )


async def failed_deliveries(
    conn: aiosqlite.Connection, guild_id: int, *, since: datetime, limit: int = 50
) -> list[FailedDelivery]:
    async with conn.execute(
        "SELECT id, kind, payload, error_status, error_code, error_text, updated_at, owed_since FROM outbox "
        # An owed row asked again is still owed until it is delivered: listed while it is tried again.
        "WHERE guild_id = ? AND (status = 'failed' OR (status IN ('pending', 'in_flight') AND owed_since IS NOT NULL)) "
        # Webhooks are not Discord deliveries: their failures are counted on the webhook, listed once it pauses.
        "AND kind != 'send_webhook' AND updated_at >= ? ORDER BY id DESC LIMIT ?",
        (guild_id, to_db_time(since), limit),
    ) as cursor:
        rows = await cursor.fetchall()
    found = []
    for row in rows:
        # A payload that is not a JSON object names no channel and no member: `_json_object` keys it otherwise.
        payload = _json_object(row[2])
        found.append(
            FailedDelivery(
                id=row[0],
                kind=row[1],
                channel_id=_snowflake(payload.get("channel_id", payload.get("thread_id"))),
                user_id=_snowflake(payload.get("user_id")),
                error_status=row[3],
                error_code=row[4],
                error_text=row[5],
                at=from_db_time(row[6]),
                not_attempted=(row[5] or "").startswith(DEPENDENCY_FAILED),
                owed=row[7] is not None,
            )
        )
    return found
