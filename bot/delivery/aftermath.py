"""What the outcome of a delivered or failed row means beyond the row itself, recorded in the same unit of
work as the outcome (so a crash cannot keep one without the other):

- an incident's follow role, once created, is remembered on the incident; the message showing a board, on the
  board (a removed board is forgotten once its message is deleted);
- a member whose DMs are closed (50007) is marked: no DM is planned or retried for them again, and they are
  told the next time they use the bot; the DMs still waiting for them are dropped;
- any other permanent failure is told once in the server's bot-log channel (`outbox.failure_told_at`), in the
  server's language, through the outbox like every other message. Failures of one cause within an hour are told
  once: per channel (lane) and code, and per server for a full server (160006, a server-wide condition). A row
  asked again after such a failure (a thread refused for the cap, tried again at the incident's next post; an
  owed row asked again) that fails the same way is not told again. An owed failure (a permission missing,
  Discord unreachable) is told as waiting, not as final; when one asked again still fails, the rest of its lane
  asked with it waits again unattempted;
- a thread that could not start from its message because someone deleted the message gets the message posted
  again, then is asked for again (bot/delivery/consequences.py `post_again`);
- a row delivered at last has what was delivered without it (a stand-in link, a reply saying "not yet")
  delivered again as edits (`redo_after`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiosqlite

from bot.common.i18n import default_catalogue, language_of
from bot.delivery import consequences, dependencies, outbox, store
from bot.delivery.dependencies import Cause
from bot.delivery.kinds import FORGOTTEN, OutboxKind
from bot.delivery.outbox import DEPENDENCY_FAILED, TOO_MANY_THREADS, Delivery
from bot.delivery.transport import ROLE_GONE, UNKNOWN_MESSAGE, UNKNOWN_ROLE

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
# Several rows failing for one cause (a channel the bot cannot see) are told once within this time.
TELL_AGAIN_AFTER = timedelta(hours=1)
# A private reply's late edit fails once its 15-minute token expired: the person already had the reply.
UNTOLD_KINDS = frozenset({OutboxKind.EDIT_INTERACTION_REPLY})

_WHAT: dict[str, str] = {
    OutboxKind.SEND_MESSAGE: "outbox.what.send_message",
    OutboxKind.EDIT_MESSAGE: "outbox.what.edit_message",
    OutboxKind.DELETE_MESSAGE: "outbox.what.delete_message",
    OutboxKind.CREATE_THREAD: "outbox.what.create_thread",
    OutboxKind.EDIT_THREAD: "outbox.what.edit_thread",
    OutboxKind.ADD_ROLE: "outbox.what.add_role",
    OutboxKind.REMOVE_ROLE: "outbox.what.remove_role",
    OutboxKind.CREATE_ROLE: "outbox.what.create_role",
    OutboxKind.DELETE_ROLE: "outbox.what.delete_role",
    OutboxKind.SEND_DM: "outbox.what.send_dm",
    OutboxKind.SHOW_BOARD: "outbox.what.show_board",
}


class RoleGone(Protocol):
    async def __call__(self, conn: aiosqlite.Connection, guild_id: int, role_id: int, *, now: datetime) -> bool:
        """A role was found deleted when it was to be given: True when its owner made it again (and gave it
        back to whoever held it), False when nobody owns it and admins must be told."""
        ...


class WebhookOutcome(Protocol):
    async def __call__(
        self, conn: aiosqlite.Connection, delivery: Delivery, *, status: int | None, text: str | None, now: datetime
    ) -> None:
        """A webhook's delivery ended (`text` None: delivered; else failed for good): its run of permanent failures
        is reset or counted, and the webhook paused (and its admins told) after too many (bot/webhooks)."""
        ...


async def after_delivered(
    conn: aiosqlite.Connection,
    delivery: Delivery,
    result: dict[str, Any],
    *,
    role_gone: RoleGone | None = None,
    webhooks: WebhookOutcome | None = None,
    now: datetime,
) -> None:
    if delivery.kind == OutboxKind.SEND_WEBHOOK:
        if webhooks is not None:
            await webhooks(conn, delivery, status=result.get("status"), text=None, now=now)
        return
    await consequences.redo_after(conn, delivery.id, now=now)
    if delivery.kind == OutboxKind.SHOW_BOARD:
        board_id = int(delivery.payload["board_id"])
        if result.get("removed"):
            await store.forget_board(conn, board_id)
        elif "message_id" in result:
            await store.record_board_message(conn, board_id, int(result["message_id"]))
        if "replaced" in result:  # posted anew because Discord refused more edits: the old message goes
            payload = {"channel_id": delivery.payload["channel_id"], "message_id": int(result["replaced"])}
            await consequences.follow_up(conn, delivery, OutboxKind.DELETE_MESSAGE, payload, now=now)
        return
    incident_id = delivery.payload.get("incident_id")
    if delivery.kind == OutboxKind.CREATE_ROLE and incident_id is not None and "role_id" in result:
        await store.record_follow_role(conn, int(incident_id), int(result["role_id"]), row_id=delivery.id)
    if result.get(ROLE_GONE):
        payload = delivery.payload
        guild_id, role_id = int(payload["guild_id"]), int(payload["role_id"])
        if role_gone is None or not await role_gone(conn, guild_id, role_id, now=now):
            text = f"Unknown Role {role_id}: deleted from the server while the bot was giving it"
            await tell_failure(conn, delivery, status=404, code=UNKNOWN_ROLE, text=text, now=now)


async def after_failed(
    conn: aiosqlite.Connection,
    delivery: Delivery,
    *,
    status: int | None,
    code: int | None,
    text: str,
    webhooks: WebhookOutcome | None = None,
    now: datetime,
) -> None:
    if delivery.kind == OutboxKind.SEND_WEBHOOK:
        # Told by the webhooks feature once the webhook pauses, never row by row in the bot-log channel.
        if webhooks is not None:
            await webhooks(conn, delivery, status=status, text=text, now=now)
        return
    if delivery.kind == OutboxKind.SEND_DM and code == DMS_CLOSED:
        await mark_dms_closed(conn, int(delivery.payload["user_id"]), now=now)
        return
    if text.startswith(DEPENDENCY_FAILED):
        return  # never attempted: the failure it waited on is the one told
    if delivery.kind in UNTOLD_KINDS:
        return
    deleted_message = delivery.kind == OutboxKind.CREATE_THREAD and code == UNKNOWN_MESSAGE
    if deleted_message and await consequences.post_again(conn, delivery.id, now=now):
        log.info("outbox: the message of thread row %s was deleted; it is posted again first", delivery.id)
        return
    owed = dependencies.is_owed(delivery.kind, dependencies.cause_of(status, code, text), delivery.payload)
    if owed and delivery.asked_again and (code is None or delivery.earlier_error_code == code):
        await consequences.hold_lane_again(conn, delivery, now=now)
    await tell_failure(conn, delivery, status=status, code=code, text=text, now=now, owed=owed)


async def mark_dms_closed(conn: aiosqlite.Connection, user_id: int, *, now: datetime) -> None:
    await store.mark_dms_closed(conn, user_id, now=now)
    await consequences.fail_waiting_dms(conn, user_id, code=DMS_CLOSED, now=now)


async def tell_failure(
    conn: aiosqlite.Connection,
    delivery: Delivery,
    *,
    status: int | None,
    code: int | None,
    text: str,
    now: datetime,
    owed: bool = False,
) -> None:
    if delivery.guild_id is None:
        return
    if (code is not None and delivery.earlier_error_code == code) or (delivery.asked_again and code is None):
        # Asked again after this very failure, which was told then: the same answer tells nothing new.
        await consequences.note_failure_told(conn, delivery.id, now=now, keep_first=True)
        return
    log_channel, server_language = await store.log_channel_and_language(conn, delivery.guild_id)
    if log_channel is None or delivery.lane == outbox.channel_lane(log_channel):
        # Nowhere to tell it (or it is the log channel itself that fails): /setup check still lists it.
        await consequences.note_failure_told(conn, delivery.id, now=now)
        return
    server_wide = code == TOO_MANY_THREADS  # the server is full: the same for every channel and incident
    told_lately = await consequences.failure_told_since(
        conn, delivery, code=code, server_wide=server_wide, since=now - TELL_AGAIN_AFTER
    )
    await consequences.note_failure_told(conn, delivery.id, now=now)
    if told_lately:
        return
    language = language_of(server_language, fallback="fr")
    catalogue = default_catalogue()
    payload = delivery.payload
    what = catalogue.render(
        language,
        _WHAT.get(delivery.kind, "outbox.what.other"),
        channel=_channel(payload),
        user=_member(payload),
        role=f"<@&{payload['role_id']}>" if "role_id" in payload else str(payload.get("name", "—")),
        kind=delivery.kind,
    )
    # A full server is not a permanent failure: the thread is asked for again at the incident's next update. An
    # owed one waits for its cause to be fixed.
    if code == TOO_MANY_THREADS:
        key = "outbox.failure.too_many_threads"
    elif owed and dependencies.cause_of(status, code, text) is Cause.UNREACHABLE:
        key = "outbox.failure.unreachable"
    elif owed:
        key = "outbox.failure.waiting"
    else:
        key = "outbox.failure.told"
    sentence = catalogue.render(
        language,
        key,
        what=what,
        status=status if status is not None else "—",
        code=code if code is not None else "—",
        error=_told_error(payload, text),
        channel=_channel(payload),
        minutes=int(dependencies.OWED_RETRY.total_seconds() // 60),
    )
    await consequences.tell_log_channel(conn, delivery.guild_id, log_channel, sentence, now=now)
    log.info("outbox: failure of row %s told in the bot-log channel %s", delivery.id, log_channel)


def _told_error(payload: dict[str, Any], text: str) -> str:
    if FORGOTTEN in payload and "user_id" in payload:  # nor in Discord's words of the failure
        text = text.replace(str(payload["user_id"]), str(payload[FORGOTTEN]))
    return text[:300]


def _member(payload: dict[str, Any]) -> str:
    # A forgotten member is named by their pseudonym's words: the told message would otherwise keep their id.
    if FORGOTTEN in payload:
        return str(payload[FORGOTTEN])
    return f"<@{payload['user_id']}>" if "user_id" in payload else "—"


def _channel(payload: dict[str, Any]) -> str:
    channel = payload.get("channel_id", payload.get("thread_id"))
    return f"<#{channel}>" if channel is not None else "—"
