"""The double's HTTP side: REST routing under /api/v10, the gateway endpoint and the clock endpoint.

Each REST request goes through the same steps, in Discord's order as a client can observe it: route matching,
authentication, injected faults, rate limiting, then the action; every response of a route carries its rate
limit headers and every request is logged with its route template.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.sandbox.faults import Fault
from bot.sandbox.ratelimits import RateLimitDecision, body_429
from bot.sandbox.state.objects import (
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MSG_CHAT_INPUT_COMMAND,
    MSG_DEFAULT,
    ApiError,
    Interaction,
    Message,
    iso,
)
from bot.sandbox.validation import (
    upload_too_large,
    validate_autocomplete_choices,
    validate_message_payload,
    validate_modal,
    validate_role_payload,
)

if TYPE_CHECKING:
    from bot.sandbox.api import DiscordDouble

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
CLOCK_LONG_POLL_S = 25.0
# Accept bodies well over Discord's upload limit so the double can answer 413 itself, as Discord does.
MAX_BODY = 64 * 1024 * 1024


_ARRIVAL: contextvars.ContextVar[tuple[float, str]] = contextvars.ContextVar("double_arrival", default=(0.0, ""))


@dataclass(frozen=True)
class RequestRecord:
    monotonic: float
    simulated: datetime
    method: str
    route: str  # the template, e.g. "/channels/{channel_id}/messages"
    path: str
    status: int
    major_id: str | None
    bot: bool  # the request carried the bot's token
    headers: dict[str, str] = field(default_factory=dict)  # the response's headers (status 0: none was sent)
    # When the request arrived (monotonic) and on which connection (the client's address and port): a client
    # sends one request at a time on a connection, so what follows a response on its connection was sent after
    # the client read it.
    arrived: float = 0.0
    connection: str = ""


@dataclass
class Req:
    request: web.Request
    params: dict[str, str]
    body: Any
    files: list[tuple[str, str, bytes, str | None]]  # (field, filename, data, content type)
    query: Mapping[str, str]


Handler = Callable[["Req"], Awaitable["Reply"]]


@dataclass
class Reply:
    status: int = 200
    body: Any = None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class RestServer:
    def __init__(self, double: DiscordDouble) -> None:
        self.d = double
        self.routes: list[tuple[str, re.Pattern[str], str, Handler, bool]] = []
        self._register()

    # -- routing ------------------------------------------------------------------------------------

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        self.routes.append((method, re.compile(pattern + "$"), template, handler, auth))

    def match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str], bool] | None:
        for m, regex, template, handler, auth in self.routes:
            if m != method:
                continue
            found = regex.match(path)
            if found:
                return template, handler, found.groupdict(), auth
        return None

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/gateway", self.d.hub.handle)
        app.router.add_get("/_double/clock", self.clock)
        app.router.add_post("/_double/clock/caught-up", self.caught_up)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.dispatch)
        return app

    # -- clock --------------------------------------------------------------------------------------

    async def clock(self, request: web.Request) -> web.StreamResponse:
        """The simulated time; with `wait_after` (an epoch) and `asked_after` (a count of questions), answered
        once either has grown past the value given: the clock moved, or a driver asked whether the bot has caught
        up (`DiscordDouble.wait_caught_up`)."""
        limits: dict[str, int] = {}
        for name in ("wait_after", "asked_after"):
            if (value := request.query.get(name)) is not None:
                try:
                    limits[name] = int(value)
                except ValueError:
                    return self._json({"message": f"{name} must be an integer"}, 400, {})
        if limits:
            after, asked_after = limits.get("wait_after"), limits.get("asked_after")

            def news() -> bool:
                return (
                    (after is not None and self.d.world.epoch > after)
                    or (asked_after is not None and self.d.caught_up_asked > asked_after)
                    or self.d.stopping
                )

            # After the long-poll period, answer with the unchanged clock so the follower polls again.
            with contextlib.suppress(TimeoutError):
                await self.d.wait_for(news, timeout=CLOCK_LONG_POLL_S)
        return self._json(self._clock_state(), 200, {})

    async def caught_up(self, request: web.Request) -> web.StreamResponse:
        """The follower says it has caught up with the clock: `{"epoch", "asked"}`, the epoch it has seen and the
        number of questions answered (what it means is in bot/timers/clock.py)."""
        try:
            body = await request.json()
            epoch, asked = int(body["epoch"]), int(body["asked"])
        except (ValueError, KeyError, TypeError):
            return self._json({"message": "epoch and asked must be integers"}, 400, {})
        self.d.record_caught_up(epoch=epoch, asked=asked)
        return web.Response(status=204)

    def _clock_state(self) -> dict[str, Any]:
        return {"now": iso(self.d.world.now), "epoch": self.d.world.epoch, "asked": self.d.caught_up_asked}

    # -- the request pipeline -------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        _ARRIVAL.set((time.monotonic(), f"{peer[0]}:{peer[1]}" if peer else ""))
        method = request.method
        path = "/" + request.match_info["tail"]
        found = self.match(method, path)
        authorized = request.headers.get("Authorization") == f"Bot {self.d.token}"
        if found is None:
            # Loud on purpose: a route the bot uses and the double lacks is a gap in the double.
            log.warning("double: no route for %s %s (answered 404)", method, path)
            self._log(method, "(unknown)", path, 404, None, authorized)
            return self._json({"message": "404: Not Found", "code": 0}, 404, {})
        template, handler, params, needs_auth = found
        major = self._major(params)
        if needs_auth and not authorized:
            self.d.limiter.record_status(401)
            self._log(method, template, path, 401, major, authorized)
            return self._json({"message": "401: Unauthorized", "code": 0}, 401, {})

        fault = self.d.faults.take(method, path)
        if fault is not None and fault.delay_s > 0:
            await asyncio.sleep(fault.delay_s)
        is_ix = template.startswith(("/interactions/", "/webhooks/"))
        route_key = f"{method} {template}"

        if fault is not None and fault.status is not None and fault.before_action:
            return self._fault_response(fault, method, template, path, major, authorized, route_key)

        decision = self.d.limiter.check(method=method, route=route_key, major_id=major, is_interaction_callback=is_ix)
        headers = dict(decision.headers)
        if not decision.allowed:
            self.d.limiter.record_status(429, scope=decision.scope)
            self._log(method, template, path, 429, major, authorized, headers)
            return self._json(body_429(decision), 429, headers)

        try:
            req = await self._read(request, params)
            reply = await handler(req)
        except ApiError as err:
            reply = Reply(err.status, err.body)
            headers.update(err.headers)
        except _BadBodyError as err:
            reply = Reply(err.status, err.body)
        except Exception:
            # A bug of the double, not a Discord answer: say so loudly in the test output.
            log.exception("double: %s %s failed", method, path)
            reply = Reply(500, {"message": "500: Internal Server Error", "code": 0})

        if fault is not None and fault.lose_response:
            self._log(method, template, path, 0, major, authorized)
            # The action is done; the client must not learn it. Closing the transport without a byte of
            # response is what a lost response looks like to aiohttp (ServerDisconnectedError).
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        if fault is not None and fault.status is not None:
            return self._fault_response(fault, method, template, path, major, authorized, route_key)

        self.d.limiter.record_status(reply.status)
        self._log(method, template, path, reply.status, major, authorized, headers)
        if reply.status == 204 or reply.body is None:
            return web.Response(status=204 if reply.status < 300 else reply.status, headers=headers)
        return self._json(reply.body, reply.status, headers)

    def _fault_response(
        self, fault: Fault, method: str, template: str, path: str, major: str | None, authorized: bool, route_key: str
    ) -> web.Response:
        status = fault.status or 500
        headers: dict[str, str] = {}
        if status == 429:
            retry = fault.retry_after if fault.retry_after is not None else 1.0
            decision: RateLimitDecision = self.d.limiter.hold(
                route=route_key, major_id=major, retry_after=retry, is_global=fault.is_global
            )
            headers = dict(decision.headers)
            body = fault.body if fault.body is not None else body_429(decision)
        else:
            body = fault.body if fault.body is not None else {"message": f"{status}: injected fault", "code": 0}
        self.d.limiter.record_status(status)
        self._log(method, template, path, status, major, authorized, headers)
        return self._json(body, status, headers)

    @staticmethod
    def _json(body: Any, status: int, headers: Mapping[str, str]) -> web.Response:
        # Exactly "application/json", no charset: discord.py compares the header with that string.
        return web.Response(
            body=json.dumps(body, default=_json_default).encode(),
            status=status,
            headers={**headers, "Content-Type": "application/json"},
        )

    @staticmethod
    def _major(params: Mapping[str, str]) -> str | None:
        for key in ("channel_id", "guild_id"):
            if key in params:
                return params[key]
        if "interaction_token" in params:
            return params.get("application_id", params.get("interaction_id", "")) + "/" + params["interaction_token"]
        return None

    def _log(
        self,
        method: str,
        template: str,
        path: str,
        status: int,
        major: str | None,
        bot: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        arrived, connection = _ARRIVAL.get()
        self.d.requests.append(
            RequestRecord(
                time.monotonic(),
                self.d.world.now,
                method,
                template,
                path,
                status,
                major,
                bot,
                dict(headers or {}),
                arrived,
                connection,
            )
        )
        self.d.notify_change()

    async def _read(self, request: web.Request, params: dict[str, str]) -> Req:
        files: list[tuple[str, str, bytes, str | None]] = []
        body: Any = None
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            reader = await request.multipart()
            total = 0
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    body = json.loads(bytes(data).decode())
                elif part.filename is not None:
                    total += len(data)
                    files.append((part.name or "", part.filename, bytes(data), part.headers.get("Content-Type")))
            too_large = upload_too_large(total)
            if too_large is not None:
                raise _BadBodyError(413, too_large)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _BadBodyError(400, {"message": "400: Bad Request", "code": 0}) from None
        return Req(request, params, body, files, request.query)

    # -- route table --------------------------------------------------------------------------------

    def _register(self) -> None:
        a = self.add
        a("GET", "/users/@me", self.get_me)
        a("GET", "/oauth2/applications/@me", self.get_application)
        a("GET", "/applications/@me", self.get_application)
        a("GET", "/gateway", self.get_gateway, auth=False)
        a("GET", "/gateway/bot", self.get_gateway)
        for prefix in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            a("GET", prefix + "/commands", self.list_commands)
            a("PUT", prefix + "/commands", self.put_commands)
            a("POST", prefix + "/commands", self.post_command)
            a("GET", prefix + "/commands/{command_id}", self.get_command)
            a("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            a("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        a("GET", "/channels/{channel_id}/messages/pins", self.list_pins_new)
        a("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        a("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        a("GET", "/channels/{channel_id}/pins", self.list_pins_legacy)
        a("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin)
        a("DELETE", "/channels/{channel_id}/pins/{message_id}", self.unpin)
        a("POST", "/channels/{channel_id}/messages", self.create_message)
        a("GET", "/channels/{channel_id}/messages", self.list_messages)
        a("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        a("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        a("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        a("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        a("POST", "/channels/{channel_id}/threads", self.thread_without_message)
        a("GET", "/channels/{channel_id}", self.get_channel)
        a("PATCH", "/channels/{channel_id}", self.edit_channel)
        a("GET", "/channels/{channel_id}/thread-members", self.list_thread_members)
        a("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        a("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)
        a("GET", "/channels/{channel_id}/thread-members/{user_id}", self.get_thread_member)
        a("GET", "/guilds/{guild_id}/threads/active", self.active_threads)
        a("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite)
        a("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self.delete_overwrite)
        a("POST", "/users/@me/channels", self.open_dm)
        a("GET", "/guilds/{guild_id}", self.get_guild)
        a("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        a("GET", "/guilds/{guild_id}/roles", self.list_roles)
        a("POST", "/guilds/{guild_id}/roles", self.create_role)
        a("GET", "/guilds/{guild_id}/roles/{role_id}", self.get_role)
        a("PATCH", "/guilds/{guild_id}/roles/{role_id}", self.edit_role)
        a("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role)
        a("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        a("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role)
        a("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role)
        a("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback, auth=False)
        wh = "/webhooks/{application_id}/{interaction_token}"
        a("POST", wh, self.followup, auth=False)
        a("GET", wh + "/messages/{message_id}", self.get_webhook_message, auth=False)
        a("PATCH", wh + "/messages/{message_id}", self.edit_webhook_message, auth=False)
        a("DELETE", wh + "/messages/{message_id}", self.delete_webhook_message, auth=False)

    # -- helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _int(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise ApiError(404, 10003) from None

    def _attachments(self, req: Req, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, Mapping)}
        out = []
        for index, (form_field, filename, data, ctype) in enumerate(req.files):
            key = form_field[len("files[") : -1] if form_field.startswith("files[") else str(index)
            meta = described.get(key, {})
            aid = self.d.world.snowflakes.next()
            self.d.attachment_data[aid] = data
            att: dict[str, Any] = {
                "id": str(aid),
                "filename": meta.get("filename", filename),
                "size": len(data),
                "url": f"{self.d.base_url}/attachments/{aid}/{filename}",
                "proxy_url": f"{self.d.base_url}/attachments/{aid}/{filename}",
            }
            if ctype:
                att["content_type"] = ctype
            if meta.get("description"):
                att["description"] = meta["description"]
            out.append(att)
        return out

    # -- login --------------------------------------------------------------------------------------

    async def get_me(self, req: Req) -> Reply:
        me = self.d.world.bot.to_dict()
        me.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US", "bio": ""})
        return Reply(200, me)

    async def get_application(self, req: Req) -> Reply:
        w = self.d.world
        return Reply(
            200,
            {
                "id": str(w.application_id),
                "name": w.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": w.owner.to_dict(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": self.d.application_flags,
                "bot": w.bot.to_dict(),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(w.guilds),
                "tags": [],
            },
        )

    async def get_gateway(self, req: Req) -> Reply:
        body: dict[str, Any] = {"url": self.d.gateway_url}
        if req.request.path.endswith("/bot"):
            body.update(
                {
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
                }
            )
        return Reply(200, body)

    # -- commands -----------------------------------------------------------------------------------

    def _cmd_scope(self, req: Req) -> int | None:
        if self._int(req.params["application_id"]) != self.d.world.application_id:
            raise ApiError(403, 50001)
        return self._int(req.params["guild_id"]) if "guild_id" in req.params else None

    async def list_commands(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        return Reply(200, list(self.d.world.commands.get(scope, {}).values()))

    async def put_commands(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        if not isinstance(req.body, list):
            raise ApiError(400, 50035)
        return Reply(200, self.d.world.bulk_overwrite_commands(scope, req.body))

    async def post_command(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        return Reply(201, self.d.world.upsert_command(scope, req.body or {}))

    async def get_command(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        return Reply(200, self.d.world.command(scope, self._int(req.params["command_id"])))

    async def patch_command(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        cmd = self.d.world.command(scope, self._int(req.params["command_id"]))
        cmd.update({k: v for k, v in (req.body or {}).items() if k not in ("id", "application_id")})
        self.d.notify_change()
        return Reply(200, cmd)

    async def delete_command(self, req: Req) -> Reply:
        scope = self._cmd_scope(req)
        cid = self._int(req.params["command_id"])
        self.d.world.command(scope, cid)
        del self.d.world.commands[scope][cid]
        self.d.notify_change()
        return Reply(204)

    # -- messages -----------------------------------------------------------------------------------

    async def create_message(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        body = req.body if isinstance(req.body, Mapping) else {}
        w.require_view(w.bot.id, channel)
        bad = validate_message_payload(body, has_files=bool(req.files))
        if bad is not None:
            raise ApiError.from_body(400, bad)
        w.check_dm_open(channel)
        attachments = self._attachments(req, body)
        msg = w.create_message(channel.id, w.bot.id, body, attachments=attachments)
        return Reply(200, w.message_dict(msg))

    async def list_messages(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        perms = w.require_view(w.bot.id, channel)
        from bot.sandbox.permissions import Perm

        if channel.type != DM and not perms & Perm.READ_MESSAGE_HISTORY:
            return Reply(200, [])
        q = req.query

        def opt(name: str) -> int | None:
            return int(q[name]) if name in q else None

        msgs = w.history(
            channel.id, limit=int(q.get("limit", "50")), before=opt("before"), after=opt("after"), around=opt("around")
        )
        return Reply(200, [w.message_dict(m) for m in msgs])

    async def get_message(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        w.require_view(w.bot.id, channel)
        return Reply(200, w.message_dict(w.message(channel.id, self._int(req.params["message_id"]))))

    async def edit_message(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        w.require_view(w.bot.id, channel)
        msg = w.message(channel.id, self._int(req.params["message_id"]))
        body = req.body if isinstance(req.body, Mapping) else {}
        if msg.author_id != w.bot.id:
            # Others' messages: only the SUPPRESS_EMBEDS flag may be changed, with Manage Messages.
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        bad = validate_message_payload(body, editing=True, has_files=bool(req.files))
        if bad is not None:
            raise ApiError.from_body(400, bad)
        attachments = self._attachments(req, body) if req.files else None
        w.count_old_message_edit(msg)
        w.edit_message(msg, body, attachments=attachments)
        return Reply(200, w.message_dict(msg))

    async def delete_message(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        perms = w.require_view(w.bot.id, channel)
        msg = w.message(channel.id, self._int(req.params["message_id"]))
        from bot.sandbox.permissions import Perm

        if msg.author_id != w.bot.id and channel.type != DM and not perms & Perm.MANAGE_MESSAGES:
            raise ApiError(403, 50013)
        w.delete_message(channel.id, msg.id)
        return Reply(204)

    async def list_pins_new(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        w.require_view(w.bot.id, channel)
        limit = max(1, min(int(req.query.get("limit", "50")), 50))
        pins = w.pins(channel.id)
        if "before" in req.query:
            before = datetime.fromisoformat(req.query["before"])
            pins = [m for m in pins if m.pinned_at is not None and m.pinned_at < before]
        items = [{"pinned_at": iso(m.pinned_at or w.now), "message": w.message_dict(m)} for m in pins[:limit]]
        return Reply(200, {"items": items, "has_more": len(pins) > limit})

    async def list_pins_legacy(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        w.require_view(w.bot.id, channel)
        return Reply(200, [w.message_dict(m) for m in w.pins(channel.id)])

    async def pin(self, req: Req) -> Reply:
        w = self.d.world
        w.pin(self._int(req.params["channel_id"]), self._int(req.params["message_id"]), w.bot.id, pin=True)
        return Reply(204)

    async def unpin(self, req: Req) -> Reply:
        w = self.d.world
        w.pin(self._int(req.params["channel_id"]), self._int(req.params["message_id"]), w.bot.id, pin=False)
        return Reply(204)

    # -- channels and threads -----------------------------------------------------------------------

    async def get_channel(self, req: Req) -> Reply:
        w = self.d.world
        channel = w.channel(self._int(req.params["channel_id"]))
        if channel.type != DM:
            w.require_view(w.bot.id, channel)
        w.archive_idle_threads()
        return Reply(200, w.channel_dict(channel))

    async def edit_channel(self, req: Req) -> Reply:
        w = self.d.world
        body = req.body if isinstance(req.body, Mapping) else {}
        channel = w.edit_channel(self._int(req.params["channel_id"]), w.bot.id, body)
        return Reply(200, w.channel_dict(channel))

    async def thread_from_message(self, req: Req) -> Reply:
        w = self.d.world
        body = req.body if isinstance(req.body, Mapping) else {}
        thread = w.thread_from_message(
            self._int(req.params["channel_id"]), self._int(req.params["message_id"]), w.bot.id, body
        )
        return Reply(201, w.channel_dict(thread))

    async def thread_without_message(self, req: Req) -> Reply:
        w = self.d.world
        body = req.body if isinstance(req.body, Mapping) else {}
        starter = body.get("message")
        if isinstance(starter, Mapping):
            bad = validate_message_payload(starter, has_files=bool(req.files))
            if bad is not None:
                raise ApiError.from_body(400, bad)
        attachments = self._attachments(req, starter) if isinstance(starter, Mapping) and req.files else None
        thread, first = w.thread_without_message(
            self._int(req.params["channel_id"]), w.bot.id, body, attachments=attachments
        )
        data = w.channel_dict(thread)
        if first is not None:
            data["message"] = w.message_dict(first)
        if w.bot.id in thread.member_ids:
            data["member"] = w.thread_member_dict(thread, w.bot.id)
        return Reply(201, data)

    def _user_param(self, req: Req) -> int:
        raw = req.params["user_id"]
        return self.d.world.bot.id if raw == "@me" else self._int(raw)

    async def add_thread_member(self, req: Req) -> Reply:
        w = self.d.world
        w.add_thread_member(self._int(req.params["channel_id"]), self._user_param(req), w.bot.id)
        return Reply(204)

    async def remove_thread_member(self, req: Req) -> Reply:
        w = self.d.world
        w.remove_thread_member(self._int(req.params["channel_id"]), self._user_param(req), w.bot.id)
        return Reply(204)

    async def get_thread_member(self, req: Req) -> Reply:
        w = self.d.world
        thread = w.channel(self._int(req.params["channel_id"]))
        uid = self._user_param(req)
        if uid not in thread.member_ids:
            raise ApiError(404, 10007)
        return Reply(200, w.thread_member_dict(thread, uid))

    async def list_thread_members(self, req: Req) -> Reply:
        w = self.d.world
        thread = w.channel(self._int(req.params["channel_id"]))
        return Reply(200, [w.thread_member_dict(thread, u) for u in thread.member_ids])

    async def active_threads(self, req: Req) -> Reply:
        w = self.d.world
        gid = self._int(req.params["guild_id"])
        w.guild(gid)
        threads = [t for t in w.active_threads(gid) if w.permissions_in(w.bot.id, t) & 1 << 10]
        members = [w.thread_member_dict(t, w.bot.id) for t in threads if w.bot.id in t.member_ids]
        return Reply(200, {"threads": [w.channel_dict(t) for t in threads], "members": members})

    async def put_overwrite(self, req: Req) -> Reply:
        w = self.d.world
        w.put_overwrite(
            self._int(req.params["channel_id"]),
            w.bot.id,
            self._int(req.params["overwrite_id"]),
            req.body if isinstance(req.body, Mapping) else {},
        )
        return Reply(204)

    async def delete_overwrite(self, req: Req) -> Reply:
        w = self.d.world
        w.put_overwrite(self._int(req.params["channel_id"]), w.bot.id, self._int(req.params["overwrite_id"]), None)
        return Reply(204)

    async def open_dm(self, req: Req) -> Reply:
        w = self.d.world
        body = req.body if isinstance(req.body, Mapping) else {}
        try:
            rid = int(body.get("recipient_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, 50035) from None
        return Reply(200, w.channel_dict(w.open_dm(rid)))

    # -- guilds, roles, members ---------------------------------------------------------------------

    async def get_guild(self, req: Req) -> Reply:
        w = self.d.world
        guild = w.guild(self._int(req.params["guild_id"]))
        data = w.guild_create_dict(guild, with_members=False)
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
            "unavailable",
        ):
            data.pop(key, None)
        return Reply(200, data)

    async def guild_channels(self, req: Req) -> Reply:
        w = self.d.world
        guild = w.guild(self._int(req.params["guild_id"]))
        return Reply(200, [w.channel_dict(w.channels[c]) for c in guild.channel_ids if not w.channels[c].is_thread])

    async def list_roles(self, req: Req) -> Reply:
        w = self.d.world
        return Reply(200, [r.to_dict() for r in w.guild(self._int(req.params["guild_id"])).roles.values()])

    async def get_role(self, req: Req) -> Reply:
        w = self.d.world
        return Reply(200, w.role(self._int(req.params["guild_id"]), self._int(req.params["role_id"])).to_dict())

    @staticmethod
    def _role_body(req: Req) -> Mapping[str, Any]:
        body = req.body if isinstance(req.body, Mapping) else {}
        bad = validate_role_payload(body)
        if bad is not None:
            raise ApiError.from_body(400, bad)
        return body

    async def create_role(self, req: Req) -> Reply:
        w = self.d.world
        body = self._role_body(req)
        return Reply(200, w.create_role(self._int(req.params["guild_id"]), w.bot.id, body).to_dict())

    async def edit_role(self, req: Req) -> Reply:
        w = self.d.world
        body = self._role_body(req)
        role = w.edit_role(self._int(req.params["guild_id"]), self._int(req.params["role_id"]), w.bot.id, body)
        return Reply(200, role.to_dict())

    async def delete_role(self, req: Req) -> Reply:
        w = self.d.world
        w.delete_role(self._int(req.params["guild_id"]), self._int(req.params["role_id"]), w.bot.id)
        return Reply(204)

    async def get_member(self, req: Req) -> Reply:
        w = self.d.world
        return Reply(200, w.member_dict(w.member(self._int(req.params["guild_id"]), self._int(req.params["user_id"]))))

    async def add_member_role(self, req: Req) -> Reply:
        return await self._member_role(req, add=True)

    async def remove_member_role(self, req: Req) -> Reply:
        return await self._member_role(req, add=False)

    async def _member_role(self, req: Req, *, add: bool) -> Reply:
        w = self.d.world
        w.set_member_role(
            self._int(req.params["guild_id"]),
            self._int(req.params["user_id"]),
            self._int(req.params["role_id"]),
            w.bot.id,
            add=add,
        )
        return Reply(204)

    # -- interactions -------------------------------------------------------------------------------

    def _interaction(self, req: Req) -> Interaction:
        w = self.d.world
        try:
            iid = int(req.params["interaction_id"])
        except ValueError:
            raise ApiError(404, 10062) from None
        ix = w.interactions.get(iid)
        if ix is None or ix.token != req.params["interaction_token"]:
            raise ApiError(404, 10062)
        return ix

    async def callback(self, req: Req) -> Reply:
        w = self.d.world
        ix = self._interaction(req)
        elapsed = time.monotonic() - ix.dispatched_at
        if ix.acknowledged:
            raise ApiError(400, 40060)
        if elapsed > w.interaction_deadline_s:
            raise ApiError(404, 10062)
        body = req.body if isinstance(req.body, Mapping) else {}
        rtype = int(body.get("type", 0))
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        assert isinstance(data, Mapping)
        msg: Message | None = None
        loading = False
        if rtype == 4 or (rtype == 7 and ix.type in (3, 5) and ix.source_message_id is not None):
            bad = validate_message_payload(
                data, interaction_response=True, has_files=bool(req.files), editing=rtype == 7
            )
            if bad is not None:
                raise ApiError.from_body(400, bad)
        if rtype == 4:
            ephemeral = bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            msg = w.create_message(
                ix.channel_id,
                w.bot.id,
                data,
                attachments=self._attachments(req, data),
                check_permissions=False,
                msg_type=MSG_CHAT_INPUT_COMMAND if ix.type == 2 else MSG_DEFAULT,
                extra=w.reply_extra(ix),
                private_to=ix if ephemeral else None,
            )
            ix.ephemeral = ephemeral
            ix.original_message_id = msg.id
            ix.reply_message_id = msg.id
        elif rtype == 5:
            ephemeral = bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            loading = True
            msg = w.create_message(
                ix.channel_id,
                w.bot.id,
                {"content": "", "flags": FLAG_LOADING | (FLAG_EPHEMERAL if ephemeral else 0)},
                check_permissions=False,
                msg_type=MSG_CHAT_INPUT_COMMAND if ix.type == 2 else MSG_DEFAULT,
                extra=w.reply_extra(ix),
                private_to=ix if ephemeral else None,
            )
            ix.ephemeral = ephemeral
            ix.deferred = True
            ix.original_message_id = msg.id
        elif rtype in (6, 7):
            if ix.type not in (3, 5) or ix.source_message_id is None:
                raise ApiError.invalid_field(
                    "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
                )
            source = w.find_message(ix.channel_id, ix.source_message_id)
            ix.original_message_id = ix.source_message_id
            if rtype == 7 and source is not None:
                msg = w.edit_message(source, data)
                ix.reply_message_id = source.id
        elif rtype == 8:
            if ix.type != 4:
                raise ApiError(400, 50035)
            bad = validate_autocomplete_choices(data.get("choices"))
            if bad is not None:
                raise ApiError.from_body(400, bad)
            ix.autocomplete_choices = list(data.get("choices") or [])
        elif rtype == 9:
            if ix.type == 5:
                raise ApiError(400, 50035)
            bad = validate_modal(data)
            if bad is not None:
                raise ApiError.from_body(400, bad)
            ix.modal = dict(data)
        else:
            raise ApiError.invalid_field(
                "type", "BASE_TYPE_CHOICES", f"Value must be one of (4, 5, 6, 7, 8, 9); got {rtype}."
            )
        ix.responses.append({"type": rtype, "data": dict(data), "at": elapsed})
        self.d.notify_change()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return Reply(204)
        out: dict[str, Any] = {"interaction": {"id": str(ix.id), "type": ix.type}}
        if msg is not None:
            out["interaction"].update(
                {
                    "response_message_id": str(msg.id),
                    "response_message_loading": loading,
                    "response_message_ephemeral": msg.ephemeral,
                }
            )
            out["resource"] = {"type": rtype, "message": w.message_dict(msg)}
        return Reply(200, out)

    def _webhook_ix(self, req: Req) -> Interaction:
        w = self.d.world
        if self._int(req.params["application_id"]) != w.application_id:
            raise ApiError(404, 10015)
        return w.interaction_by_token(req.params["interaction_token"])

    def _webhook_message_id(self, req: Req) -> int | None:
        raw = req.params["message_id"]
        return None if raw == "@original" else self._int(raw)

    async def followup(self, req: Req) -> Reply:
        w = self.d.world
        ix = self._webhook_ix(req)
        if not ix.acknowledged:
            raise ApiError(404, 10015)
        body = req.body if isinstance(req.body, Mapping) else {}
        bad = validate_message_payload(body, interaction_response=True, has_files=bool(req.files))
        if bad is not None:
            raise ApiError.from_body(400, bad)
        attachments = self._attachments(req, body)
        original = None
        if ix.deferred and ix.original_message_id is not None:
            original = w.interaction_message(ix, None)
        if original is not None and original.flags & FLAG_LOADING:
            # Discord: the first follow-up after a deferral completes the deferred ("thinking…") message.
            msg = w.edit_message(original, {**body, "attachments": []}, attachments=attachments, materialise=True)
        else:
            ephemeral = bool(int(body.get("flags") or 0) & FLAG_EPHEMERAL)
            msg = w.create_message(
                ix.channel_id,
                w.bot.id,
                body,
                attachments=attachments,
                check_permissions=False,
                extra=w.reply_extra(ix),
                private_to=ix if ephemeral else None,
            )
        ix.followup_ids.append(msg.id)
        if ix.reply_message_id is None:
            ix.reply_message_id = msg.id
        self.d.notify_change()
        if req.query.get("wait") in ("true", "1", "True"):
            return Reply(200, w.message_dict(msg))
        return Reply(204)

    async def get_webhook_message(self, req: Req) -> Reply:
        w = self.d.world
        ix = self._webhook_ix(req)
        return Reply(200, w.message_dict(w.interaction_message(ix, self._webhook_message_id(req))))

    async def edit_webhook_message(self, req: Req) -> Reply:
        w = self.d.world
        ix = self._webhook_ix(req)
        msg = w.interaction_message(ix, self._webhook_message_id(req))
        body = req.body if isinstance(req.body, Mapping) else {}
        bad = validate_message_payload(body, editing=True, interaction_response=True, has_files=bool(req.files))
        if bad is not None:
            raise ApiError.from_body(400, bad)
        attachments = self._attachments(req, body) if req.files else None
        w.edit_message(msg, body, attachments=attachments, materialise=True)
        if ix.reply_message_id is None:
            ix.reply_message_id = msg.id
        self.d.notify_change()
        return Reply(200, w.message_dict(msg))

    async def delete_webhook_message(self, req: Req) -> Reply:
        w = self.d.world
        ix = self._webhook_ix(req)
        msg = w.interaction_message(ix, self._webhook_message_id(req))
        if msg.ephemeral:
            ix.private_messages.pop(msg.id, None)
            self.d.notify_change()
        else:
            w.delete_message(msg.channel_id, msg.id)
        return Reply(204)


class _BadBodyError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body
