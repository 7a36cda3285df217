"""Performing one outbox row against Discord, and what came of it.

`DiscordTransport` needs only a logged-in discord.py client: it calls `client.http` with raw JSON payloads
(the outbox stores Discord's own shapes). discord.py still applies its per-route rate limits and its 5xx
retries; that a 5xx retry may repeat a POST is why every message creation carries the row's nonce with
`enforce_nonce`, which Discord de-duplicates for a few minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import discord
from discord.http import Route

from bot.common.limits import MESSAGE_CONTENT
from bot.common.text import truncate
from bot.delivery import markers
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import TOO_MANY_THREADS, Delivery

log = logging.getLogger(__name__)

SUPPRESS_NOTIFICATIONS = 1 << 12
PUBLIC_THREAD = 11
THREAD_ALREADY_CREATED = 160004
UNKNOWN_MESSAGE = 10008
DM_OPENED_TOO_FAST = 40003
DM_OPENED_TOO_FAST_PAUSE_S = 60.0
DMS_CLOSED = 50007
UNKNOWN_ROLE = 10011
UNKNOWN_MEMBER = 10007
# In a delivered role add's result: the role was deleted meanwhile (by a moderator, say), nothing was given.
ROLE_GONE = "role_gone"
# Discord refuses more edits of messages older than an hour for a while (a 429, after discord.py's retries).
OLD_MESSAGE_EDITS_REFUSED = 30046
THREAD_LOCKED = 160005
# A thread that exists but takes no message now (locked; archived while the server is at its cap on active
# threads, so the message cannot unarchive it): the post goes to the thread's parent channel instead. A thread
# that was never created (its creation refused with 160006) is the outbox's business: see `payloads.UnmadeThread`.
THREAD_FALLBACK_CODES = frozenset({THREAD_LOCKED, TOO_MANY_THREADS})
# An edit of a message older than an hour that Discord refuses for now (30046): tried again later, never given up,
# and set aside from its lane meanwhile (bot/delivery/outbox.py `set_aside`).
OLD_MESSAGE_EDITS = "old_message_edits"
RATE_LIMIT_REASONS = frozenset({"rate_limited", "rate_limited_global", "dm_opened_too_fast", OLD_MESSAGE_EDITS})
_ROLE_KINDS = frozenset({OutboxKind.DELETE_ROLE, OutboxKind.REMOVE_ROLE, OutboxKind.ADD_ROLE})


@dataclass(frozen=True)
class Delivered:
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryLater:
    """The outcome is not final: a rate limit, a server error, or an unknown outcome (timeout, dropped
    connection) — then the same nonce is sent again. `after_s` None means "use the back-off"."""

    reason: str
    after_s: float | None = None
    is_global: bool = False
    # The transport decides itself when to give up (a webhook: for a time, not a count): the worker's attempt cap
    # does not apply.
    own_limit: bool = False


@dataclass(frozen=True)
class Failed:
    """Permanent: retrying cannot help (no access or permission, unknown channel, DMs closed, bad body)."""

    status: int | None
    code: int | None
    text: str


Outcome = Delivered | RetryLater | Failed


class DeliveryContext(Protocol):
    """What the worker lends a transport while it performs one row."""

    async def before_request(self, *, message_channel_id: int | None = None) -> None:
        """Waits for the budget of one request (and, for a message creation, the channel's pace)."""
        ...

    def sending(self) -> None:
        """A request not paced by Discord's budget (a webhook's, paced on its own) is leaving now."""
        ...

    async def dm_channel(self, user_id: int) -> int | None:
        """The remembered DM channel of `user_id`, if one was opened before."""
        ...

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None: ...

    async def board_message(self, board_id: int) -> int | None:
        """The message that shows board `board_id` now, if it has one (as the last delivery recorded it)."""
        ...


class Transport(Protocol):
    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome: ...


Performer = Callable[[Delivery, DeliveryContext], Awaitable[dict[str, Any]]]


def message_body(payload: dict[str, Any], *, nonce: str | None) -> dict[str, Any]:
    """Discord's JSON for a message create or edit from an outbox payload."""
    body: dict[str, Any] = {}
    for key in ("content", "embeds", "components", "allowed_mentions", "message_reference", "attachments"):
        if key in payload:
            body[key] = payload[key]
    flags = int(payload.get("flags", 0))
    if payload.get("silent"):
        flags |= SUPPRESS_NOTIFICATIONS
    if flags:
        body["flags"] = flags
    if nonce is not None:
        body["nonce"] = nonce
        body["enforce_nonce"] = True
    return body


def outcome_of_error(exc: BaseException) -> Outcome | None:
    """The outcome a discord.py / aiohttp / asyncio exception stands for; None if it is none of those."""
    if isinstance(exc, discord.RateLimited):
        return RetryLater("rate_limited", exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        status = int(exc.status)
        code = int(exc.code) if exc.code else None
        if code == OLD_MESSAGE_EDITS_REFUSED:
            return RetryLater(OLD_MESSAGE_EDITS, _rate_limit_of(exc)[0])
        if status == 429:
            retry_after, is_global = _rate_limit_of(exc)
            return RetryLater("rate_limited_global" if is_global else "rate_limited", retry_after, is_global)
        if status >= 500:
            return RetryLater(f"server_error_{status}")
        if code == DM_OPENED_TOO_FAST:
            return RetryLater("dm_opened_too_fast", DM_OPENED_TOO_FAST_PAUSE_S)
        return Failed(status, code, exc.text or str(exc))
    if isinstance(exc, TimeoutError):
        return RetryLater("unknown_outcome:timeout")
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)):
        return RetryLater(f"unknown_outcome:{type(exc).__name__}")
    return None


def _rate_limit_of(exc: discord.HTTPException) -> tuple[float | None, bool]:
    """`retry_after` and scope of a 429 that discord.py handed back (e.g. without a `Via` header)."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    retry_after: float | None = None
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        retry_after = float(raw) if raw is not None else None
    except ValueError:
        retry_after = None
    is_global = False
    if hasattr(headers, "get"):
        is_global = str(headers.get("X-RateLimit-Global", "")).lower() == "true" or (
            str(headers.get("X-RateLimit-Scope", "")).lower() == "global"
        )
    return retry_after, is_global


class KindsTransport:
    """Each row to the transport of its kind (a webhook to HTTP), the rest to Discord's."""

    def __init__(self, default: Transport, by_kind: dict[str, Transport]) -> None:
        self._default = default
        self._by_kind = by_kind

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        return await self._by_kind.get(delivery.kind, self._default).perform(delivery, context)


class DiscordTransport:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._performers: dict[str, Performer] = {
            OutboxKind.SEND_MESSAGE: self._send_message,
            OutboxKind.EDIT_MESSAGE: self._edit_message,
            OutboxKind.DELETE_MESSAGE: self._delete_message,
            OutboxKind.CREATE_THREAD: self._create_thread,
            OutboxKind.EDIT_THREAD: self._edit_thread,
            OutboxKind.ADD_ROLE: self._add_role,
            OutboxKind.REMOVE_ROLE: self._remove_role,
            OutboxKind.CREATE_ROLE: self._create_role,
            OutboxKind.DELETE_ROLE: self._delete_role,
            OutboxKind.SEND_DM: self._send_dm,
            OutboxKind.EDIT_INTERACTION_REPLY: self._edit_interaction_reply,
            OutboxKind.SHOW_BOARD: self._show_board,
        }

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        perform = self._performers.get(delivery.kind)
        if perform is None:
            return Failed(None, None, f"unknown outbox kind {delivery.kind!r}")
        try:
            result = await perform(delivery, context)
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            outcome = outcome_of_error(exc)
            if outcome is None:
                raise
            if isinstance(outcome, Failed):
                return self._failed_but_done(delivery, exc, outcome)
            return outcome
        return Delivered(result)

    def _failed_but_done(self, delivery: Delivery, exc: BaseException, outcome: Failed) -> Outcome:
        # A repeated attempt whose first try did land: Discord refuses the repeat, but the work is done.
        if delivery.kind == OutboxKind.CREATE_THREAD and outcome.code == THREAD_ALREADY_CREATED:
            message_id = delivery.payload.get("message_id")
            if message_id is not None:  # a thread started from a message has the message's id
                return Delivered({"thread_id": str(message_id), "channel_id": str(delivery.payload["channel_id"])})
        if delivery.kind == OutboxKind.DELETE_MESSAGE and outcome.code == UNKNOWN_MESSAGE:
            return Delivered({"already_gone": True})
        # A role gone while an add still waited: whoever owns the role decides (an open incident's follow role is
        # made again, aftermath.py); a removal or deletion of a role that is gone has nothing left to do.
        if delivery.kind == OutboxKind.ADD_ROLE and outcome.code == UNKNOWN_ROLE:
            return Delivered({ROLE_GONE: True})
        if delivery.kind in _ROLE_KINDS and outcome.code == UNKNOWN_ROLE:
            return Delivered({"already_gone": True})
        # A member who left the server holds no role any more: nothing is left to take back.
        if delivery.kind == OutboxKind.REMOVE_ROLE and outcome.code == UNKNOWN_MEMBER:
            return Delivered({"member_gone": True})
        return outcome

    @property
    def _http(self) -> Any:
        return self._client.http

    def _bot_id(self) -> int | None:
        user = self._client.user
        return user.id if user is not None else None

    async def _post(self, delivery: Delivery, context: DeliveryContext, channel_id: int) -> dict[str, Any]:
        """Posts the row's message in `channel_id`, unless an earlier attempt already did and the nonce may
        no longer protect the repeat."""
        body = message_body(delivery.payload, nonce=delivery.nonce)
        if markers.past_nonce_window(delivery):
            await context.before_request()
            found = await markers.earlier_message(
                self._http,
                channel_id,
                body,
                nonce=delivery.nonce,
                bot_id=self._bot_id(),
                since=delivery.earlier_attempt_at,
            )
            if found is not None:
                log.info("outbox: row %s was already posted by an earlier attempt", delivery.id)
                return found
        await context.before_request(message_channel_id=channel_id)
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._http.request(route, json=body)
        return {"message_id": str(data["id"]), "channel_id": str(data.get("channel_id", channel_id))}

    async def _send_message(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        channel_id = int(delivery.payload["channel_id"])
        try:
            return await self._post(delivery, context, channel_id)
        except discord.HTTPException as exc:
            if exc.code not in THREAD_FALLBACK_CODES:
                raise
            # Locked, or the server is at its active-thread cap: the followers still need to read it.
            await context.before_request()
            thread = await self._http.get_channel(channel_id)
            parent = thread.get("parent_id")
            if parent is None:
                raise
            log.warning(
                "outbox: thread %s refused row %s (%s); posting in its parent", channel_id, delivery.id, exc.code
            )
            result = await self._post(delivery, context, int(parent))
            return {**result, "fallback_from": str(channel_id)}

    async def _edit_message(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        channel_id = int(delivery.payload["channel_id"])
        message_id = int(delivery.payload["message_id"])
        await context.before_request()
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=message_id,
        )
        data = await self._http.request(route, json=message_body(delivery.payload, nonce=None))
        return {"message_id": str(data.get("id", message_id)), "channel_id": str(channel_id)}

    async def _show_board(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        """Edits the board's message; posts it anew when it has none, when someone deleted it (10008), or when
        Discord refuses more edits of it (30046: the old one is then deleted, so one board stays). A board posted
        anew is pinned when the bot may pin there: only then, since each pin posts a "pinned a message" line."""
        payload = delivery.payload
        channel_id = int(payload["channel_id"])
        current = await context.board_message(int(payload["board_id"]))
        if payload.get("remove"):
            if current is not None:
                await self._delete_if_there(context, channel_id, current)
            return {"removed": True}
        stale: int | None = None
        if current is not None:
            await context.before_request()
            route = Route(
                "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel_id, message_id=current
            )
            edit = {key: value for key, value in payload.items() if key != "silent"}
            try:
                data = await self._http.request(route, json=message_body(edit, nonce=None))
            except discord.HTTPException as exc:
                if exc.code == OLD_MESSAGE_EDITS_REFUSED:
                    stale = current
                elif exc.code != UNKNOWN_MESSAGE:
                    raise
                log.info("outbox: board %s is posted anew (%s)", payload["board_id"], exc.code)
            else:
                return {"message_id": str(data.get("id", current)), "channel_id": str(channel_id)}
        posted = await self._post(delivery, context, channel_id)
        pinned = await self._pin(context, channel_id, int(posted["message_id"]))
        # The message refused is deleted by a row of its own once the new one is recorded (aftermath.py): deleted
        # before, its deletion's event could make the board be posted a third time.
        return {**posted, "posted": True, "pinned": pinned, **({"replaced": str(stale)} if stale is not None else {})}

    async def _delete_if_there(self, context: DeliveryContext, channel_id: int, message_id: int) -> None:
        await context.before_request()
        try:
            await self._http.delete_message(channel_id, message_id)
        except discord.HTTPException as exc:
            if exc.code != UNKNOWN_MESSAGE:
                raise

    def _may_pin(self, channel_id: int) -> bool:
        """Whether the bot holds Pin Messages in the channel, as discord.py's cache knows it."""
        get_channel = getattr(self._client, "get_channel", None)
        channel = get_channel(channel_id) if get_channel is not None else None
        guild = getattr(channel, "guild", None)
        me = getattr(guild, "me", None)
        if channel is None or me is None or not hasattr(channel, "permissions_for"):
            return False
        return bool(channel.permissions_for(me).pin_messages)

    async def _pin(self, context: DeliveryContext, channel_id: int, message_id: int) -> bool:
        if not self._may_pin(channel_id):
            return False
        await context.before_request()
        try:
            await self._http.pin_message(channel_id, message_id)
        except discord.HTTPException as exc:  # refused (permission gone, 250 pins): the board stands unpinned
            log.warning("outbox: could not pin the board %s in %s: %s %s", message_id, channel_id, exc.code, exc.text)
            return False
        return True

    async def _delete_message(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        channel_id = int(delivery.payload["channel_id"])
        message_id = int(delivery.payload["message_id"])
        await context.before_request()
        await self._http.delete_message(channel_id, message_id)
        return {}

    async def _create_thread(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        channel_id = int(payload["channel_id"])
        if payload.get("message_id") is None and markers.may_have_acted(delivery) and delivery.guild_id is not None:
            await context.before_request()
            found = await markers.earlier_thread(self._http, delivery.guild_id, channel_id, str(payload["name"]))
            if found is not None:
                log.info("outbox: thread of row %s was already created by an earlier attempt", delivery.id)
                return found
        await context.before_request()
        body: dict[str, Any] = {"name": payload["name"]}
        if "auto_archive_duration" in payload:
            body["auto_archive_duration"] = int(payload["auto_archive_duration"])
        if payload.get("message_id") is not None:
            route = Route(
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                channel_id=channel_id,
                message_id=int(payload["message_id"]),
            )
            data = await self._http.request(route, json=body)
            return {"thread_id": str(data["id"]), "channel_id": str(channel_id)}
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=channel_id)
        if "message" in payload:  # a forum (or media) post: the thread and its starter message in one request
            body["message"] = message_body(payload["message"], nonce=None)
            if "applied_tags" in payload:
                body["applied_tags"] = [str(tag) for tag in payload["applied_tags"]]
            data = await self._http.request(route, json=body, params={"use_nested_fields": 1})
            starter = data.get("message") or {}
            return {
                "thread_id": str(data["id"]),
                "channel_id": str(channel_id),
                "message_id": str(starter.get("id", data["id"])),
            }
        body["type"] = int(payload.get("type", PUBLIC_THREAD))
        if "invitable" in payload:
            body["invitable"] = bool(payload["invitable"])
        data = await self._http.request(route, json=body)
        return {"thread_id": str(data["id"]), "channel_id": str(channel_id)}

    async def _edit_thread(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        thread_id = int(payload["thread_id"])
        body = {
            key: payload[key]
            for key in ("name", "archived", "locked", "applied_tags", "auto_archive_duration", "invitable")
            if key in payload
        }
        await context.before_request()
        await self._http.request(Route("PATCH", "/channels/{channel_id}", channel_id=thread_id), json=body)
        return {"thread_id": str(thread_id)}

    async def _add_role(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        await context.before_request()
        await self._http.add_role(int(payload["guild_id"]), int(payload["user_id"]), int(payload["role_id"]))
        return {}

    async def _remove_role(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        await context.before_request()
        await self._http.remove_role(int(payload["guild_id"]), int(payload["user_id"]), int(payload["role_id"]))
        return {}

    async def _create_role(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        fields = {
            key: payload[key] for key in ("name", "mentionable", "color", "hoist", "permissions") if key in payload
        }
        guild_id = int(payload["guild_id"])
        if markers.may_have_acted(delivery):
            await context.before_request()
            found = await markers.earlier_role(self._http, guild_id, str(payload["name"]))
            if found is not None:
                log.info("outbox: role of row %s was already created by an earlier attempt", delivery.id)
                return found
        await context.before_request()
        data = await self._http.create_role(guild_id, **fields)
        return {"role_id": str(data["id"])}

    async def _delete_role(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        await context.before_request()
        await self._http.delete_role(int(payload["guild_id"]), int(payload["role_id"]))
        return {}

    async def _edit_interaction_reply(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        payload = delivery.payload
        content = payload.get("content", "")
        if isinstance(content, list):  # parts around resolved references (a thread's URL, where it went)
            content = "".join(str(part) for part in content)
        # A reply listing many channels may grow past Discord's limit: cut, never refused.
        body = {
            "content": truncate(str(content), MESSAGE_CONTENT),
            "allowed_mentions": payload.get("allowed_mentions", {"parse": []}),
        }
        route = Route(
            "PATCH",
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
            webhook_id=int(payload["application_id"]),
            webhook_token=str(payload["token"]),
        )
        # Interaction endpoints are not counted in the bot's global rate limit, but a request is a request.
        await context.before_request()
        data = await self._http.request(route, json=body)
        return {"message_id": str((data or {}).get("id", ""))}

    async def _send_dm(self, delivery: Delivery, context: DeliveryContext) -> dict[str, Any]:
        user_id = int(delivery.payload["user_id"])
        channel_id = await context.dm_channel(user_id)
        if channel_id is None:
            await context.before_request()
            data = await self._http.start_private_message(user_id)
            channel_id = int(data["id"])
            await context.remember_dm_channel(user_id, channel_id)
        return await self._post(delivery, context, channel_id)
