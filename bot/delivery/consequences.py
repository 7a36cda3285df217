"""The SQL of what the outcome of one outbox row means for other rows, recorded by bot/delivery/aftermath.py in the
same unit of work as the outcome: the DMs still waiting for a member whose DMs are closed, a failure told once,
owed rows held again when their channel still refuses, a deleted message posted again before the thread that
needs it, and the rows delivered without another one (a stand-in link, a reply saying "not yet") delivered again,
as edits, once it is there.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import RENEWED, Delivery, OutboxRow, dm_lane, edit_coalesce_key
from bot.delivery.payloads import referenced_row
from bot.storage.rows import any_row
from bot.storage.times import to_db_time

NO_MENTIONS: dict[str, list[Any]] = {"parse": [], "users": [], "roles": []}
# A message posted again because someone deleted it is posted again at most this many times (a loop guard).
MAX_RENEWALS = 3
# An interaction's token lives 15 minutes: a private reply is edited again only within this time.
REPLY_EDITABLE_FOR = timedelta(minutes=14)


async def follow_up(
    conn: aiosqlite.Connection,
    row: OutboxRow | Delivery,
    kind: OutboxKind,
    payload: dict[str, Any],
    *,
    coalesce_key: str | None = None,
    now: datetime,
) -> int:
    """Queues what `row` calls for next (an edit or a delete of what it posted), in its server and lane."""
    return await outbox.enqueue(
        conn, guild_id=row.guild_id, lane=row.lane, kind=kind, payload=payload, coalesce_key=coalesce_key, now=now
    )


async def tell_log_channel(
    conn: aiosqlite.Connection,
    guild_id: int,
    channel_id: int,
    sentence: str,
    *,
    now: datetime,
    allowed_mentions: dict[str, list[Any]] = NO_MENTIONS,
) -> None:
    """Queues `sentence` for the server's bot-log channel (what the bot tells the admins of what went wrong)."""
    payload = {"channel_id": channel_id, "content": sentence[:2000], "allowed_mentions": allowed_mentions}
    await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=outbox.channel_lane(channel_id),
        kind=OutboxKind.SEND_MESSAGE,
        payload=payload,
        now=now,
    )


async def fail_waiting_dms(conn: aiosqlite.Connection, user_id: int, *, code: int, now: datetime) -> None:
    """The DMs still waiting for a member whose DMs are closed fail unattempted: each would cost another refused
    request (403s count towards Discord's invalid-request ban)."""
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ?, error_status = 403, error_code = ?, "
        "error_text = 'dms closed: not attempted' WHERE lane = ? AND status = 'pending'",
        (stamp, stamp, code, dm_lane(user_id)),
    )


async def note_failure_told(
    conn: aiosqlite.Connection, row_id: int, *, now: datetime, keep_first: bool = False
) -> None:
    """Records that the failure of row `row_id` was told (or has nowhere to be told); with `keep_first`, a time
    it was told before stays."""
    if keep_first:
        statement = "UPDATE outbox SET failure_told_at = COALESCE(failure_told_at, ?) WHERE id = ?"
    else:
        statement = "UPDATE outbox SET failure_told_at = ? WHERE id = ?"
    await conn.execute(statement, (to_db_time(now), row_id))


async def failure_told_since(
    conn: aiosqlite.Connection, row: Delivery, *, code: int | None, server_wide: bool, since: datetime
) -> bool:
    """Whether a failure with `code` was told since `since` for another row of `row`'s lane, or of its server
    when the failure is `server_wide`."""
    return await any_row(
        conn,
        "SELECT 1 FROM outbox WHERE guild_id = ? AND (? OR lane = ?) AND error_code IS ? AND failure_told_at >= ? "
        "AND id != ? LIMIT 1",
        (row.guild_id, server_wide, row.lane, code, to_db_time(since), row.id),
    )


async def hold_lane_again(conn: aiosqlite.Connection, delivery: Delivery, *, now: datetime) -> None:
    """An owed row asked again failed the same way: the other rows of its lane asked again with it, which had
    failed the same way, are owed again without being attempted (each would cost one more refused request)."""
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ? WHERE lane = ? AND status = 'pending' "
        "AND owed_since IS NOT NULL AND error_code IS ? AND error_status IS NOT NULL AND id != ?",
        (stamp, stamp, delivery.lane, delivery.earlier_error_code, delivery.id),
    )


async def post_again(conn: aiosqlite.Connection, thread_row: int, *, now: datetime) -> bool:
    """A thread could not be started from its message because someone deleted the message (404 Unknown Message):
    the message is posted again as it last stood (its latest edit), with a new nonce, then the thread is asked
    for again from it, in that order on their lane. False when there is no such message to post again (or it
    was posted again too often already)."""
    thread = await outbox.get(conn, thread_row)
    message_row = referenced_row(thread.payload.get("message_id")) if thread is not None else None
    message = await outbox.get(conn, message_row) if message_row is not None else None
    if thread is None or message is None or message.kind != OutboxKind.SEND_MESSAGE or message.status != "done":
        return False
    renewed = int(message.payload.get(RENEWED, 0))
    if renewed >= MAX_RENEWALS or message.id > thread.id:
        return False
    payload = dict(message.payload)
    latest = await _latest_done_edit(conn, edit_coalesce_key(int(payload["channel_id"]), f"row{message.id}"))
    if latest is not None:
        payload.update(
            {key: latest.payload[key] for key in ("content", "embeds", "components") if key in latest.payload}
        )
    payload[RENEWED] = renewed + 1
    stamp = to_db_time(now)
    fresh = (
        "status = 'pending', attempts = 0, first_attempt_at = NULL, not_before = NULL, done_at = NULL, "
        "updated_at = ?, owed_since = NULL, cause_row = NULL"
    )
    await conn.execute(
        f"UPDATE outbox SET {fresh}, payload = ?, result = NULL, error_status = NULL, error_code = NULL, "  # noqa: S608
        "error_text = NULL WHERE id = ?",
        (stamp, json.dumps(payload, ensure_ascii=False), message.id),
    )
    await conn.execute(f"UPDATE outbox SET {fresh} WHERE id = ?", (stamp, thread.id))  # noqa: S608
    return True


async def _latest_done_edit(conn: aiosqlite.Connection, key: str) -> OutboxRow | None:
    async with conn.execute(
        "SELECT id FROM outbox WHERE coalesce_key = ? AND status = 'done' ORDER BY id DESC LIMIT 1", (key,)
    ) as cursor:
        values = await cursor.fetchone()
    return await outbox.get(conn, int(values[0])) if values is not None else None


async def redo_after(conn: aiosqlite.Connection, row_id: int, *, now: datetime) -> int:
    """Row `row_id` is delivered at last: what was delivered without it is delivered again, as an edit — a message
    whose link stood in for it now links it (unless a newer edit of that message is on its way or says something
    else), a private reply that said "not yet" is worded again (while its token lives). DMs stay as they were
    sent. Returns how many edits were planned."""
    found = await conn.execute_fetchall(
        "SELECT row_id FROM outbox_redo WHERE missing_row = ? ORDER BY row_id", (row_id,)
    )
    waiting = [int(values[0]) for values in found]
    if not waiting:
        return 0
    await conn.execute("DELETE FROM outbox_redo WHERE missing_row = ?", (row_id,))
    planned = 0
    for other in waiting:
        row = await outbox.get(conn, other)
        if row is None or row.status != "done":
            continue
        if row.kind == OutboxKind.EDIT_INTERACTION_REPLY:
            if now - row.created_at <= REPLY_EDITABLE_FOR:
                reply_key = row.coalesce_key or f"reply:{row.id}"
                await follow_up(
                    conn, row, OutboxKind.EDIT_INTERACTION_REPLY, row.payload, coalesce_key=reply_key, now=now
                )
                planned += 1
            continue
        if row.kind not in (OutboxKind.SEND_MESSAGE, OutboxKind.EDIT_MESSAGE) or not row.result:
            continue
        channel = row.payload.get("channel_id")
        key = row.coalesce_key
        if row.kind == OutboxKind.SEND_MESSAGE and not isinstance(channel, dict) and channel is not None:
            key = edit_coalesce_key(int(channel), f"row{row.id}")
        if key is None or not await _newest_of_message(conn, key, row.id, waiting):
            continue
        body: dict[str, Any] = {k: row.payload[k] for k in ("content", "embeds", "components") if k in row.payload}
        payload: dict[str, Any] = {
            "channel_id": int(row.result["channel_id"]),
            "message_id": int(row.result["message_id"]),
            **body,
            "allowed_mentions": NO_MENTIONS,
        }
        await follow_up(conn, row, OutboxKind.EDIT_MESSAGE, payload, coalesce_key=key, now=now)
        planned += 1
    return planned


async def _newest_of_message(conn: aiosqlite.Connection, key: str, row_id: int, waiting: list[int]) -> bool:
    """Whether row `row_id` holds what its message last said: no newer edit of it is on its way or done, except
    one that waited for the same row (it is sent again in its turn and supersedes this one)."""
    async with conn.execute(
        "SELECT id, status FROM outbox WHERE coalesce_key = ? AND id > ? "
        "AND status IN ('pending', 'in_flight', 'done') ORDER BY id DESC LIMIT 1",
        (key, row_id),
    ) as cursor:
        newer = await cursor.fetchone()
    return newer is None or (newer[1] == "done" and int(newer[0]) in waiting)
