"""What the outcome of a delivered or failed row means beyond the row itself, recorded in the same unit of
work as the outcome (so a crash cannot keep one without the other):

- an incident's follow role, once created, is remembered on the incident;
- a member whose DMs are closed (50007) is marked: no DM is planned or retried for them again, and they are
  told the next time they use the bot; the DMs still waiting for them are dropped;
- any other permanent failure is told once in the server's bot-log channel (`outbox.failure_told_at`), in the
  server's language, through the outbox like every other message. Failures of one cause within an hour are told
  once: per channel (lane) and code, and per server for a full server (160006, a server-wide condition). A row
  asked again after such a failure (a thread refused for the cap, tried again at the incident's next post) that
  fails the same way is not told again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.common.i18n import default_catalogue, language_of
from bot.delivery import outbox
from bot.delivery.outbox import DEPENDENCY_FAILED, TOO_MANY_THREADS, Delivery
from bot.storage.times import to_db_time

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
# Several rows failing for one cause (a channel the bot cannot see) are told once within this time.
TELL_AGAIN_AFTER = timedelta(hours=1)
NO_MENTIONS: dict[str, list[Any]] = {"parse": [], "users": [], "roles": []}
# A private reply's late edit fails once its 15-minute token expired: the person already had the reply.
UNTOLD_KINDS = frozenset({"edit_interaction_reply"})

_WHAT = {
    "send_message": "outbox.what.send_message",
    "edit_message": "outbox.what.edit_message",
    "delete_message": "outbox.what.delete_message",
    "create_thread": "outbox.what.create_thread",
    "edit_thread": "outbox.what.edit_thread",
    "add_role": "outbox.what.add_role",
    "remove_role": "outbox.what.remove_role",
    "create_role": "outbox.what.create_role",
    "delete_role": "outbox.what.delete_role",
    "send_dm": "outbox.what.send_dm",
}


async def after_delivered(conn: aiosqlite.Connection, delivery: Delivery, result: dict[str, Any]) -> None:
    incident_id = delivery.payload.get("incident_id")
    if delivery.kind == "create_role" and incident_id is not None and "role_id" in result:
        await conn.execute(
            "UPDATE incidents SET follow_role_id = ? WHERE id = ? AND follow_role_row = ?",
            (int(result["role_id"]), int(incident_id), delivery.id),
        )


async def after_failed(
    conn: aiosqlite.Connection, delivery: Delivery, *, status: int | None, code: int | None, text: str, now: datetime
) -> None:
    if delivery.kind == "send_dm" and code == DMS_CLOSED:
        await mark_dms_closed(conn, int(delivery.payload["user_id"]), now=now)
        return
    if text.startswith(DEPENDENCY_FAILED):
        return  # never attempted: the failure it waited on is the one told
    if delivery.kind in UNTOLD_KINDS:
        return
    await tell_failure(conn, delivery, status=status, code=code, text=text, now=now)


async def mark_dms_closed(conn: aiosqlite.Connection, user_id: int, *, now: datetime) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "INSERT INTO member_dm_status (user_id, dms_closed_at, told_at) VALUES (?, ?, NULL) "
        "ON CONFLICT(user_id) DO UPDATE SET dms_closed_at = excluded.dms_closed_at, told_at = NULL "
        "WHERE member_dm_status.dms_closed_at IS NULL",
        (user_id, stamp),
    )
    # Each would cost another refused request (403s count towards Discord's invalid-request ban).
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ?, error_status = 403, error_code = ?, "
        "error_text = 'dms closed: not attempted' WHERE lane = ? AND status = 'pending'",
        (stamp, stamp, DMS_CLOSED, outbox.dm_lane(user_id)),
    )


async def tell_failure(
    conn: aiosqlite.Connection, delivery: Delivery, *, status: int | None, code: int | None, text: str, now: datetime
) -> None:
    stamp = to_db_time(now)
    if delivery.guild_id is None:
        return
    if code is not None and delivery.earlier_error_code == code:
        # Asked again after this very failure, which was told then: the same answer tells nothing new.
        await conn.execute(
            "UPDATE outbox SET failure_told_at = COALESCE(failure_told_at, ?) WHERE id = ?", (stamp, delivery.id)
        )
        return
    async with conn.execute(
        "SELECT bot_log_channel_id, language FROM guild_settings WHERE guild_id = ?", (delivery.guild_id,)
    ) as cursor:
        settings = await cursor.fetchone()
    log_channel = settings[0] if settings is not None else None
    if log_channel is None or delivery.lane == outbox.channel_lane(int(log_channel)):
        # Nowhere to tell it (or it is the log channel itself that fails): /setup check still lists it.
        await conn.execute("UPDATE outbox SET failure_told_at = ? WHERE id = ?", (stamp, delivery.id))
        return
    server_wide = code == TOO_MANY_THREADS  # the server is full: the same for every channel and incident
    async with conn.execute(
        "SELECT 1 FROM outbox WHERE guild_id = ? AND (? OR lane = ?) AND error_code IS ? AND failure_told_at >= ? "
        "AND id != ? LIMIT 1",
        (delivery.guild_id, server_wide, delivery.lane, code, to_db_time(now - TELL_AGAIN_AFTER), delivery.id),
    ) as cursor:
        told_lately = await cursor.fetchone() is not None
    await conn.execute("UPDATE outbox SET failure_told_at = ? WHERE id = ?", (stamp, delivery.id))
    if told_lately:
        return
    language = language_of(str(settings[1]) if settings is not None else "fr", fallback="fr")
    catalogue = default_catalogue()
    payload = delivery.payload
    what = catalogue.render(
        language,
        _WHAT.get(delivery.kind, "outbox.what.other"),
        channel=_channel(payload),
        user=f"<@{payload['user_id']}>" if "user_id" in payload else "—",
        role=f"<@&{payload['role_id']}>" if "role_id" in payload else str(payload.get("name", "—")),
        kind=delivery.kind,
    )
    # A full server is not a permanent failure: the thread is asked for again at the incident's next update.
    key = "outbox.failure.too_many_threads" if code == TOO_MANY_THREADS else "outbox.failure.told"
    sentence = catalogue.render(
        language,
        key,
        what=what,
        status=status if status is not None else "—",
        code=code if code is not None else "—",
        error=text[:300],
        channel=_channel(payload),
    )
    await outbox.enqueue(
        conn,
        guild_id=delivery.guild_id,
        lane=outbox.channel_lane(int(log_channel)),
        kind="send_message",
        payload={"channel_id": int(log_channel), "content": sentence[:2000], "allowed_mentions": NO_MENTIONS},
        now=now,
    )
    log.info("outbox: failure of row %s told in the bot-log channel %s", delivery.id, log_channel)


def _channel(payload: dict[str, Any]) -> str:
    channel = payload.get("channel_id", payload.get("thread_id"))
    return f"<#{channel}>" if channel is not None else "—"
