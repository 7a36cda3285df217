"""Webhooks' SQL: each server's webhooks (`webhooks`, secret included: every delivery is signed with it) and the
switch that turns all of a server's webhooks off (`webhook_switches`; no row: on)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.rows import all_rows, first_row, first_value
from bot.storage.times import optional_time, to_db_time
from bot.webhooks.rules import Webhook, parse_events

_COLUMNS = "id, guild_id, number, url, events, public_only, paused_at, failures"


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=int(row[0]),
        guild_id=int(row[1]),
        number=int(row[2]),
        url=str(row[3]),
        events=parse_events(json.loads(row[4])),
        public_only=bool(row[5]),
        paused_at=optional_time(row[6]),
        failures=int(row[7]),
    )


async def webhooks(conn: aiosqlite.Connection, guild_id: int) -> list[Webhook]:
    return await all_rows(
        conn,
        f"SELECT {_COLUMNS} FROM webhooks WHERE guild_id = ? ORDER BY number",  # noqa: S608
        (guild_id,),
        _webhook,
    )


async def webhook(conn: aiosqlite.Connection, webhook_id: int) -> Webhook | None:
    return await first_row(conn, f"SELECT {_COLUMNS} FROM webhooks WHERE id = ?", (webhook_id,), _webhook)  # noqa: S608


async def by_number(conn: aiosqlite.Connection, guild_id: int, number: int) -> Webhook | None:
    return await first_row(
        conn,
        f"SELECT {_COLUMNS} FROM webhooks WHERE guild_id = ? AND number = ?",  # noqa: S608
        (guild_id, number),
        _webhook,
    )


async def target(conn: aiosqlite.Connection, webhook_id: int) -> tuple[str, str, bool] | None:
    """(url, secret, active) of a webhook: active unless paused or its server's webhooks are switched off."""
    return await first_row(
        conn,
        "SELECT w.url, w.secret, w.paused_at IS NULL AND COALESCE(s.enabled, 1) FROM webhooks w "
        "LEFT JOIN webhook_switches s ON s.guild_id = w.guild_id WHERE w.id = ?",
        (webhook_id,),
        lambda row: (str(row[0]), str(row[1]), bool(row[2])),
    )


async def add(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    url: str,
    secret: str,
    events: frozenset[str],
    public_only: bool,
    by: int | None,
    now: datetime,
) -> Webhook:
    async with conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM webhooks WHERE guild_id = ?", (guild_id,)) as c:
        row = await c.fetchone()
    number = int(row[0]) if row is not None else 1
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "INSERT INTO webhooks (guild_id, number, url, secret, events, public_only, created_at, created_by, "
        "secret_set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (guild_id, number, url, secret, json.dumps(sorted(events)), int(public_only), stamp, by, stamp),
    )
    webhook_id = cursor.lastrowid
    await cursor.close()
    assert webhook_id is not None
    found = await webhook(conn, int(webhook_id))
    assert found is not None
    return found


async def remove(conn: aiosqlite.Connection, webhook_id: int) -> None:
    await conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))


async def set_secret(conn: aiosqlite.Connection, webhook_id: int, secret: str, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE webhooks SET secret = ?, secret_set_at = ? WHERE id = ?", (secret, to_db_time(now), webhook_id)
    )


async def resume(conn: aiosqlite.Connection, webhook_id: int) -> None:
    await conn.execute("UPDATE webhooks SET paused_at = NULL, failures = 0 WHERE id = ?", (webhook_id,))


async def delivered(conn: aiosqlite.Connection, webhook_id: int) -> None:
    await conn.execute("UPDATE webhooks SET failures = 0 WHERE id = ? AND failures != 0", (webhook_id,))


async def failed(conn: aiosqlite.Connection, webhook_id: int, what: str, *, now: datetime) -> Webhook | None:
    """Counts one more permanent failure in a row; returns the webhook as it is now."""
    await conn.execute(
        "UPDATE webhooks SET failures = failures + 1, last_failure = ?, last_failure_at = ? WHERE id = ?",
        (what[:300], to_db_time(now), webhook_id),
    )
    return await webhook(conn, webhook_id)


async def pause(conn: aiosqlite.Connection, webhook_id: int, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE webhooks SET paused_at = ? WHERE id = ? AND paused_at IS NULL", (to_db_time(now), webhook_id)
    )


async def last_failure(conn: aiosqlite.Connection, webhook_id: int) -> str | None:
    return await first_value(conn, "SELECT last_failure FROM webhooks WHERE id = ?", (webhook_id,), str)


async def switched_on(conn: aiosqlite.Connection, guild_id: int) -> bool:
    async with conn.execute("SELECT enabled FROM webhook_switches WHERE guild_id = ?", (guild_id,)) as cursor:
        row = await cursor.fetchone()
    return row is None or bool(row[0])


async def switch(conn: aiosqlite.Connection, guild_id: int, enabled: bool, *, by: int | None, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO webhook_switches (guild_id, enabled, set_at, set_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, set_at = excluded.set_at, "
        "set_by = excluded.set_by",
        (guild_id, int(enabled), to_db_time(now), by),
    )
