"""The Python API tests and the demo use to drive the double: build a guild, act as members, read back what
Discord would show, move the simulated clock, inject faults, and wait (never sleep) for the bot."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.sandbox.faults import FaultPlan
from bot.sandbox.gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    GatewayHub,
    Session,
)
from bot.sandbox.notifications import Notification
from bot.sandbox.permissions import Overwrite, Perm
from bot.sandbox.ratelimits import RateLimiter
from bot.sandbox.server import RequestRecord, RestServer
from bot.sandbox.state import World
from bot.sandbox.state.objects import (
    ACTIVE_THREAD_LIMIT,
    DEFAULT_BOT_PERMISSIONS,
    FLAG_LOADING,
    GUILD_FORUM,
    GUILD_TEXT,
    KIND_GUILDS,
    KIND_MEMBERS,
    KIND_MESSAGES,
    ApiError,
    Interaction,
    Message,
)

log = logging.getLogger(__name__)

__all__ = ["DiscordDouble", "GuildHandle", "InteractionHandle"]

# Application command option types (interactions/application-commands).
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10

POLL_S = 0.05

# Interaction types.
IX_COMMAND = 2
IX_COMPONENT = 3
IX_AUTOCOMPLETE = 4
IX_MODAL_SUBMIT = 5


class GuildHandle:
    """A guild built by a test; ids are Discord snowflakes (ints)."""

    def __init__(self, double: DiscordDouble, guild_id: int) -> None:
        self._d = double
        self.id = guild_id
        guild = double.world.guilds[guild_id]
        self.everyone_role_id = guild.everyone_role_id
        self.bot_role_id = guild.bot_role_id
        self.owner_id = guild.owner_id

    def add_role(
        self, name: str, *, permissions: int = 0, mentionable: bool = False, position: int | None = None
    ) -> int:
        role = self._d.world.add_role_direct(
            self.id, name, permissions=permissions, mentionable=mentionable, position=position
        )
        return role.id

    def add_text_channel(self, name: str, *, overwrites: Iterable[Overwrite] = (), topic: str | None = None) -> int:
        return self._d.world.add_channel(self.id, name, type=GUILD_TEXT, overwrites=overwrites, topic=topic).id

    def add_forum_channel(self, name: str, *, tags: Iterable[str] = (), overwrites: Iterable[Overwrite] = ()) -> int:
        return self._d.world.add_channel(self.id, name, type=GUILD_FORUM, overwrites=overwrites, tags=tags).id

    def add_member(
        self,
        name: str,
        *,
        roles: Iterable[int] = (),
        locale: str = "fr",
        dms_open: bool = True,
        owner: bool = False,
    ) -> int:
        world = self._d.world
        user = world.add_user(name, locale=locale, dms_open=dms_open)
        world.add_member(self.id, user, roles)
        if owner:
            world.guilds[self.id].owner_id = user.id
            self.owner_id = user.id
        return user.id

    def remove_member(self, user_id: int) -> None:
        """The member leaves the server: Discord answers 10007 Unknown Member for them from then on."""
        self._d.world.remove_member(self.id, user_id)

    def set_overwrites(self, channel_id: int, overwrites: Iterable[Overwrite]) -> None:
        self._d.world.set_overwrites(channel_id, overwrites)

    def move_role(self, role_id: int, *, above: int) -> None:
        """A server admin dragging `role_id` just above the role `above` (the bot is told of every role moved)."""
        self._d.world.move_role(self.id, role_id, above=above)

    def edit_role_permissions(self, role_id: int, permissions: int) -> None:
        """A server admin changing a role's permissions while the bot runs (the bot is told)."""
        world = self._d.world
        world.edit_role(self.id, role_id, world.guilds[self.id].owner_id, {"permissions": permissions})

    def set_role_permissions(self, role_id: int, permissions: int) -> None:
        """A server admin editing a role's permissions (before the bot connects: no event is dispatched)."""
        self._d.world.guilds[self.id].roles[role_id].permissions = permissions

    def forum_tag_id(self, channel_id: int, name: str) -> int:
        for tag in self._d.world.channel(channel_id).available_tags:
            if tag["name"] == name:
                return int(tag["id"])
        raise KeyError(name)


class InteractionHandle:
    """One interaction a member started; read what the bot answered."""

    def __init__(self, double: DiscordDouble, ix: Interaction) -> None:
        self._d = double
        self._ix = ix
        self.id = ix.id
        self.token = ix.token

    @property
    def payload(self) -> dict[str, Any]:
        return self._ix.payload

    @property
    def ephemeral(self) -> bool:
        return self._ix.ephemeral

    @property
    def modal(self) -> dict[str, Any] | None:
        return self._ix.modal

    @property
    def responses(self) -> list[dict[str, Any]]:
        return list(self._ix.responses)

    @property
    def followups(self) -> list[dict[str, Any]]:
        w = self._d.world
        out = []
        for mid in self._ix.followup_ids:
            with contextlib.suppress(ApiError):
                out.append(w.message_dict(w.interaction_message(self._ix, mid)))
        return out

    async def first_response(self, timeout: float = 10.0) -> dict[str, Any]:
        await self._d.wait_for(
            lambda: bool(self._ix.responses), timeout=timeout, what=f"a first response to interaction {self.id}"
        )
        return dict(self._ix.responses[0])

    async def reply(self, timeout: float = 10.0) -> dict[str, Any]:
        """The message the person finally sees (type-4 reply, completed deferral, first follow-up)."""

        def seen() -> Message | None:
            mid = self._ix.reply_message_id
            if mid is None:
                return None
            try:
                msg = self._d.world.interaction_message(self._ix, mid)
            except ApiError:
                return None
            return None if msg.flags & FLAG_LOADING else msg

        await self._d.wait_for(lambda: seen() is not None, timeout=timeout, what=f"the reply to interaction {self.id}")
        msg = seen()
        assert msg is not None
        return self._d.world.message_dict(msg)

    async def choices(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The suggestions the bot answered to an autocomplete interaction."""
        await self._d.wait_for(
            lambda: self._ix.autocomplete_choices is not None,
            timeout=timeout,
            what=f"autocomplete choices for interaction {self.id}",
        )
        return list(self._ix.autocomplete_choices or [])

    async def submit_modal(self, values: Mapping[str, str], *, timeout: float = 10.0) -> InteractionHandle:
        data = await self.modal_data(values, timeout=timeout)
        source = None
        if self._ix.source_message_id is not None:
            source = self._d.world.find_message(self._ix.channel_id, self._ix.source_message_id)
        ix = self._d.world.new_interaction(
            type=IX_MODAL_SUBMIT,
            user_id=self._ix.user_id,
            channel_id=self._ix.channel_id,
            data=data,
            message=source,
            locale=self._ix.payload.get("locale"),
        )
        return InteractionHandle(self._d, ix)

    async def modal_data(self, values: Mapping[str, str], *, timeout: float = 10.0) -> dict[str, Any]:
        """The data of this interaction's modal submitted with `values` (by input custom id), as a Discord client
        sends it; a test may alter it and send it with `DiscordDouble.send_raw`."""
        await self._d.wait_for(
            lambda: self._ix.modal is not None, timeout=timeout, what=f"a modal opened by interaction {self.id}"
        )
        modal = self._ix.modal
        assert modal is not None
        missing = set(values)

        def answer(component: Mapping[str, Any]) -> dict[str, Any]:
            cid = component.get("custom_id")
            missing.discard(str(cid))
            out: dict[str, Any] = {"type": component["type"], "custom_id": cid, "value": values.get(str(cid), "")}
            if "id" in component:
                out["id"] = component["id"]
            return out

        rows: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            if top.get("type") == 1:
                rows.append({"type": 1, "components": [answer(c) for c in top.get("components") or []]})
            elif top.get("type") == 18:
                row: dict[str, Any] = {"type": 18, "component": answer(top["component"])}
                if "id" in top:
                    row["id"] = top["id"]
                rows.append(row)
        if missing:
            raise KeyError(f"the modal has no inputs named {sorted(missing)}")
        return {"custom_id": modal.get("custom_id"), "components": rows}


@dataclass(frozen=True)
class CaughtUp:
    """The bot's word that it has caught up with the double's clock at `epoch`, having heard `asked` questions
    (`world_epoch`: the double's epoch when the word arrived)."""

    epoch: int
    asked: int
    world_epoch: int


class DiscordDouble:
    """A local Discord for one bot: REST under `api_base`, a gateway at `gateway_url`, a clock at `clock_url`."""

    def __init__(
        self,
        now: datetime,
        *,
        limits_enabled: bool = True,
        global_per_second: int = 50,
        channel_messages: int = 5,
        channel_window_s: float = 5.0,
        nonce_window_s: float = 300.0,
        interaction_deadline_s: float = 3.0,
        privileged_intents: int = 0,
        max_active_threads: int = ACTIVE_THREAD_LIMIT,
    ) -> None:
        self._waiters: list[asyncio.Future[None]] = []
        self._pending: collections.deque[tuple[str, dict[str, Any], str, int | None]] = collections.deque()
        self._pending_event: asyncio.Event | None = None
        self.world = World(
            now,
            emit=self._emit,
            on_change=self.notify_change,
            nonce_window_s=nonce_window_s,
            interaction_deadline_s=interaction_deadline_s,
            max_active_threads=max_active_threads,
        )
        self.privileged_intents = privileged_intents
        self.application_flags = 0
        self.limiter = RateLimiter(
            global_per_second=global_per_second,
            channel_messages=channel_messages,
            channel_window_s=channel_window_s,
            enabled=limits_enabled,
        )
        self.faults = FaultPlan()
        self.requests: list[RequestRecord] = []
        self.attachment_data: dict[int, bytes] = {}
        bot_id = base64.b64encode(str(self.world.bot.id).encode()).decode().rstrip("=")
        self.token = f"{bot_id}.Double.{secrets.token_urlsafe(27)}"
        self.hub = GatewayHub(
            token=lambda: self.token,
            privileged_intents=lambda: self.privileged_intents,
            ready_payload=self._ready_payload,
            guild_creates=self._guild_creates,
            members_chunk=self._members_chunk,
            resume_url=lambda: self.gateway_url,
            on_change=self.notify_change,
        )
        self._rest = RestServer(self)
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None
        self.port = 0
        self.stopping = False
        # How many times a driver asked the bot whether it has caught up, and the bot's latest answer.
        self.caught_up_asked = 0
        self.caught_up: CaughtUp | None = None

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        self._pending_event = asyncio.Event()
        self._pending.clear()  # nothing was connected to receive what happened before start
        self._pump = asyncio.create_task(self._run_pump(), name="discord-double-pump")
        self.stopping = False
        # A short grace on stop: in-flight long-polls are released below, nothing else should linger.
        self._runner = web.AppRunner(
            self._rest.build_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Loopback only: the double is for local tests and demos, never reachable from the network.
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def stop(self) -> None:
        self.stopping = True
        self.notify_change()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    async def __aenter__(self) -> DiscordDouble:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def clock_url(self) -> str:
        return f"{self.base_url}/_double/clock"

    @property
    def bot_user_id(self) -> int:
        return self.world.bot.id

    @property
    def application_id(self) -> int:
        return self.world.application_id

    # -- change notification and waiting ------------------------------------------------------------

    def notify_change(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 10.0, what: str | None = None) -> None:
        """Return once `predicate()` holds; it is re-evaluated after every change of the double."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what or getattr(predicate, "__name__", "condition")
                recent = ", ".join(f"{r.method} {r.route} → {r.status}" for r in self.requests[-5:]) or "none"
                raise TimeoutError(
                    f"the double waited {timeout:.1f} s for {label}; last requests: {recent}; "
                    f"gateway sessions: {len(self.hub.ready_sessions)}"
                )
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            # Also re-check now and then: a predicate may look at things outside the double (a client's state).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, timeout=min(remaining, POLL_S))

    async def wait_for_messages(self, channel_id: int, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        await self.wait_for(
            lambda: len(self.channel_messages(channel_id)) >= count,
            timeout=timeout,
            what=f"{count} message(s) in channel {channel_id}",
        )
        return self.channel_messages(channel_id)

    @property
    def identified_sessions(self) -> int:
        """How many gateway sessions bots have opened with IDENTIFY so far (a restart opens a new one)."""
        return len(self.hub.sessions)

    async def wait_until_ready(self, timeout: float = 20.0, *, sessions_before: int = 0) -> None:
        """Until a session newer than the first `sessions_before` has received its guilds and is connected."""
        await self.wait_for(
            lambda: any(
                s.ready_done and s.connection is not None
                for s in list(self.hub.sessions.values())[sessions_before:]
                if not s.invalid
            ),
            timeout=timeout,
            what="a bot client to identify and receive its guilds",
        )

    async def wait_for_commands(self, guild_id: int | None = None, timeout: float = 20.0) -> list[dict[str, Any]]:
        await self.wait_for(
            lambda: bool(self.world.commands.get(guild_id)),
            timeout=timeout,
            what=f"commands registered for {'global' if guild_id is None else guild_id}",
        )
        return self.commands(guild_id)

    # -- gateway plumbing ---------------------------------------------------------------------------

    def _emit(self, event: str, data: dict[str, Any], kind: str, guild_id: int | None) -> None:
        if self._pending_event is None:
            return
        self._pending.append((event, data, kind, guild_id))
        self._pending_event.set()

    async def _run_pump(self) -> None:
        assert self._pending_event is not None
        while True:
            await self._pending_event.wait()
            self._pending_event.clear()
            while self._pending:
                event, data, kind, guild_id = self._pending.popleft()
                try:
                    await self.hub.dispatch(event, data, shape=self._shaper(kind, guild_id))
                except Exception:
                    log.exception("double: could not dispatch %s", event)
            self.notify_change()

    def _shaper(
        self, kind: str, guild_id: int | None
    ) -> Callable[[Session, str, dict[str, Any]], dict[str, Any] | None]:
        def shape(session: Session, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
            intents = session.intents
            if event == "GUILD_CREATE" and "__guild_id" in data:
                if not intents & INTENT_GUILDS:
                    return None
                guild = self.world.guilds[data["__guild_id"]]
                return self.world.guild_create_dict(guild, with_members=bool(intents & INTENT_GUILD_MEMBERS))
            if kind == KIND_GUILDS:
                return data if intents & INTENT_GUILDS else None
            if kind == KIND_MEMBERS:
                # "Guild Member Update is sent for current-user updates regardless of whether the GUILD_MEMBERS
                # intent is set" (DDocs events/gateway, Caveats): a role given to the bot reaches it.
                if event == "GUILD_MEMBER_UPDATE" and (data.get("user") or {}).get("id") == str(self.world.bot.id):
                    return data
                return data if intents & INTENT_GUILD_MEMBERS else None
            if kind == KIND_MESSAGES:
                needed = INTENT_GUILD_MESSAGES if guild_id is not None else INTENT_DIRECT_MESSAGES
                if not intents & needed:
                    return None
                return self._content_for(intents, data, dm=guild_id is None)
            return data

        return shape

    def _content_for(self, intents: int, data: dict[str, Any], *, dm: bool) -> dict[str, Any]:
        """Without MESSAGE_CONTENT, Discord blanks content, embeds, attachments and components of messages
        that are neither the bot's own, nor DMs, nor mention the bot."""
        if intents & INTENT_MESSAGE_CONTENT or dm or "author" not in data:
            return data
        bot_id = str(self.world.bot.id)
        if data["author"].get("id") == bot_id or any(u.get("id") == bot_id for u in data.get("mentions", [])):
            return data
        blanked = dict(data)
        blanked.update({"content": "", "embeds": [], "attachments": [], "components": []})
        blanked.pop("poll", None)
        return blanked

    def _ready_payload(self, session: Session) -> dict[str, Any]:
        me = self.world.bot.to_dict()
        me.update({"verified": True, "mfa_enabled": False, "email": None, "flags": 0})
        return {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.world.guilds],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "session_type": "normal",
            "application": {"id": str(self.world.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "shard": [0, 1],
            "_trace": ["discord-double"],
        }

    def _guild_creates(self, session: Session) -> list[dict[str, Any]]:
        if not session.intents & INTENT_GUILDS:
            return []
        with_members = bool(session.intents & INTENT_GUILD_MEMBERS)
        return [self.world.guild_create_dict(g, with_members=with_members) for g in self.world.guilds.values()]

    def _members_chunk(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        gid = int(data.get("guild_id", 0))
        guild = self.world.guilds.get(gid)
        if guild is None:
            return []
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.user_id in wanted]
        elif data.get("query"):
            q = str(data["query"]).lower()
            members = [m for m in members if self.world.users[m.user_id].username.lower().startswith(q)]
        chunk: dict[str, Any] = {
            "guild_id": str(gid),
            "members": [self.world.member_dict(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        return [chunk]

    async def drop_gateway(self, *, resumable: bool = True) -> None:
        """Close the bot's websocket: it then RESUMEs (or, when not resumable, must IDENTIFY again)."""
        await self.hub.drop(resumable=resumable)

    # -- clock --------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.world.now

    def set_time(self, when: datetime) -> None:
        self.world.set_time(when)

    async def advance(self, delta: timedelta) -> None:
        """Move the simulated clock forward (async so that gateway events it causes are sent before return)."""
        self.world.set_time(self.world.now + delta)
        await self._drain()

    def record_caught_up(self, *, epoch: int, asked: int) -> None:
        """The bot says it has caught up with the clock at `epoch`, having heard `asked` questions."""
        self.caught_up = CaughtUp(epoch=epoch, asked=asked, world_epoch=self.world.epoch)
        self.notify_change()

    async def wait_caught_up(self, *, timeout: float = 20.0) -> CaughtUp:
        """Asks the bot whether it has caught up with the clock and returns its answer once it says so for the
        current epoch, after this question: it has seen the current time, every timer due by then has run and
        what they queued, and what was queued before the question, is sent (the follower's side is in
        bot/timers/clock.py)."""
        # An interaction dispatched but not yet acknowledged is work the bot has not seen yet (Discord knows it is
        # in flight until its deadline): asking before it arrives would be answered too early.
        await self.wait_for(
            self._no_interaction_in_flight, timeout=timeout, what="the bot to acknowledge the interactions in flight"
        )
        self.caught_up_asked += 1
        asked = self.caught_up_asked
        self.notify_change()

        def answered() -> bool:
            said = self.caught_up
            return said is not None and said.asked >= asked and said.epoch == self.world.epoch

        try:
            await self.wait_for(answered, timeout=timeout, what=f"the bot to catch up with epoch {self.world.epoch}")
        except TimeoutError as late:
            said = self.caught_up
            last = "never" if said is None else f"epoch {said.epoch}, question {said.asked}"
            raise TimeoutError(f"{late}; question {asked}; the bot last said it had caught up at: {last}") from None
        assert self.caught_up is not None
        return self.caught_up

    def _no_interaction_in_flight(self) -> bool:
        w = self.world
        now = time.monotonic()
        return all(
            ix.acknowledged or now - ix.dispatched_at >= w.interaction_deadline_s for ix in w.interactions.values()
        )

    async def _drain(self) -> None:
        await self.wait_for(lambda: not self._pending, timeout=5.0, what="the gateway events to be sent")

    # -- building -----------------------------------------------------------------------------------

    def add_guild(
        self, name: str, *, preferred_locale: str = "fr", bot_permissions: int = DEFAULT_BOT_PERMISSIONS
    ) -> GuildHandle:
        guild = self.world.add_guild(name, preferred_locale=preferred_locale, bot_permissions=bot_permissions)
        return GuildHandle(self, guild.id)

    def guild(self, guild_id: int) -> GuildHandle:
        return GuildHandle(self, guild_id)

    def set_dms_open(self, user_id: int, open_: bool) -> None:
        self.world.user(user_id).dms_open = open_

    def limit_dm_openings(self, count: int | None, *, window_s: float = 60.0) -> None:
        """After `count` DM channel openings within `window_s` real seconds, answer 40003 (None: no limit)."""
        self.world.dm_open_limit = None if count is None else (count, window_s)

    def limit_old_message_edits(
        self, edits: int | None, *, window_s: float = 6.0, retry_after_s: float | None = None
    ) -> None:
        """Discord's undocumented budget of edits to messages older than an hour: past `edits` such edits within
        `window_s` real seconds in one channel, PATCH answers 429 30046 (None: no budget, the default). Its
        `retry_after` is the time until the window frees, or `retry_after_s` when given (clients that retry then
        are refused again, as observed of Discord)."""
        self.world.old_message_edits = None if edits is None else (edits, window_s, retry_after_s)
        self.world._old_edits.clear()

    def set_channel_limit(self, *, messages: int, window_s: float) -> None:
        """Change the per-channel message budget (default 5 per 5 s); rate limit windows start afresh."""
        self.limiter.channel_messages = messages
        self.limiter.channel_window_s = window_s
        self.limiter.reset()

    def set_global_limit(self, per_second: int) -> None:
        """Change the global budget (default 50 requests per second); rate limit windows start afresh."""
        self.limiter.global_per_second = per_second
        self.limiter.reset()

    def set_max_active_threads(self, count: int) -> None:
        """Change the cap on active (not archived) threads per guild, forum posts included (Discord: 1000), so
        a test reaches it without creating a thousand threads. Threads already active stay so."""
        if count < 0:
            raise ValueError("the active-thread cap cannot be negative")
        self.world.max_active_threads = count

    def active_thread_count(self, guild_id: int) -> int:
        """What the cap counts in that guild now."""
        return len(self.world.active_threads(guild_id))

    def archive_thread(self, thread_id: int, *, by: int | None = None) -> None:
        """A moderator (`by`, default the guild's owner) archives a thread, freeing an active-thread slot;
        THREAD_UPDATE is dispatched as for any archive."""
        thread = self.world.channel(thread_id)
        if not thread.is_thread or thread.guild_id is None:
            raise ValueError(f"channel {thread_id} is not a thread")
        actor = by if by is not None else self.world.guild(thread.guild_id).owner_id
        self.world.edit_channel(thread_id, actor, {"archived": True})

    # -- acting as members --------------------------------------------------------------------------

    def _find_command(self, channel_id: int, full_name: str) -> tuple[dict[str, Any], list[str]]:
        parts = full_name.split()
        if not parts:
            raise ValueError("empty command name")
        guild_id = self.world.channel(channel_id).guild_id
        for scope in (guild_id, None):
            for cmd in self.world.commands.get(scope, {}).values():
                if cmd["name"] == parts[0] and cmd.get("type", 1) == 1:
                    return cmd, parts[1:]
        known = sorted(c["name"] for s in (guild_id, None) for c in self.world.commands.get(s, {}).values())
        raise LookupError(f"no slash command {parts[0]!r} registered (known: {known})")

    def _leaf(self, cmd: dict[str, Any], path: list[str]) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
        options = cmd.get("options") or []
        chain: list[tuple[str, int]] = []
        for name in path:
            sub = next(
                (o for o in options if o["name"] == name and o["type"] in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP)),
                None,
            )
            if sub is None:
                raise LookupError(f"{cmd['name']} has no subcommand {name!r}")
            chain.append((name, sub["type"]))
            options = sub.get("options") or []
        return options, chain

    def _option_values(
        self, guild_id: int | None, defs: list[dict[str, Any]], given: Mapping[str, Any], *, focused: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        w = self.world
        resolved: dict[str, dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for name, value in given.items():
            spec = next((d for d in defs if d["name"] == name), None)
            if spec is None:
                raise LookupError(f"no option {name!r} (options: {[d['name'] for d in defs]})")
            otype = int(spec["type"])
            opt: dict[str, Any] = {"name": name, "type": otype}
            if name == focused:
                opt["value"] = str(value)
                opt["focused"] = True
            elif otype == OPT_STRING:
                opt["value"] = str(value)
            elif otype == OPT_INTEGER:
                opt["value"] = int(value)
            elif otype == OPT_NUMBER:
                opt["value"] = float(value)
            elif otype == OPT_BOOLEAN:
                opt["value"] = bool(value)
            else:
                ident = int(value)
                opt["value"] = str(ident)
                self._resolve(guild_id, otype, ident, resolved)
            out.append(opt)
        for spec in defs:
            if spec.get("required") and spec["name"] not in given and focused is None:
                raise LookupError(f"option {spec['name']!r} is required")
        _ = w
        return out, resolved

    def _resolve(self, guild_id: int | None, otype: int, ident: int, resolved: dict[str, dict[str, Any]]) -> None:
        w = self.world
        if otype in (OPT_USER, OPT_MENTIONABLE) and ident in w.users:
            resolved.setdefault("users", {})[str(ident)] = w.users[ident].to_dict()
            if guild_id is not None and ident in w.guilds[guild_id].members:
                member = w.guilds[guild_id].members[ident]
                perms = w.guild_permissions(guild_id, ident)
                resolved.setdefault("members", {})[str(ident)] = w.member_dict(
                    member, with_user=False, permissions=perms
                )
            return
        if otype in (OPT_ROLE, OPT_MENTIONABLE) and guild_id is not None and ident in w.guilds[guild_id].roles:
            resolved.setdefault("roles", {})[str(ident)] = w.guilds[guild_id].roles[ident].to_dict()
            return
        if otype == OPT_CHANNEL and ident in w.channels and w.channels[ident].guild_id == guild_id:
            # A channel picker offers only the server's own channels (another server's: `send_raw`).
            ch = w.channels[ident]
            data = {
                "id": str(ch.id),
                "name": ch.name,
                "type": ch.type,
                "permissions": str(w.permissions_in(w.bot.id, ch)),
            }
            if ch.parent_id is not None:
                data["parent_id"] = str(ch.parent_id)
            if ch.is_thread:
                data["thread_metadata"] = w.channel_dict(ch)["thread_metadata"]
            resolved.setdefault("channels", {})[str(ident)] = data
            return
        raise LookupError(f"nothing with id {ident} to resolve for option type {otype}")

    def _command_data(
        self, channel_id: int, name: str, options: Mapping[str, Any], *, focused: str | None = None
    ) -> dict[str, Any]:
        cmd, path = self._find_command(channel_id, name)
        defs, chain = self._leaf(cmd, path)
        guild_id = self.world.channel(channel_id).guild_id
        leaf, resolved = self._option_values(guild_id, defs, options, focused=focused)
        nested: list[dict[str, Any]] = leaf
        for sub_name, sub_type in reversed(chain):
            nested = [{"name": sub_name, "type": sub_type, "options": nested}]
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if nested:
            data["options"] = nested
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return data

    async def run_command(
        self,
        user_id: int,
        channel_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str | None = None,
    ) -> InteractionHandle:
        """A member runs a slash command (name with its subcommands, space separated); returns at dispatch."""
        data = self._command_data(channel_id, name, options or {})
        ix = self.world.new_interaction(
            type=IX_COMMAND, user_id=user_id, channel_id=channel_id, data=data, locale=locale
        )
        return InteractionHandle(self, ix)

    async def autocomplete(
        self,
        user_id: int,
        channel_id: int,
        name: str,
        *,
        focused: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        locale: str | None = None,
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        given = dict(options or {})
        given[focused] = value
        data = self._command_data(channel_id, name, given, focused=focused)
        ix = self.world.new_interaction(
            type=IX_AUTOCOMPLETE, user_id=user_id, channel_id=channel_id, data=data, locale=locale
        )
        await self.wait_for(
            lambda: ix.autocomplete_choices is not None,
            timeout=timeout,
            what=f"autocomplete choices for {name} {focused}",
        )
        return list(ix.autocomplete_choices or [])

    # -- what a modified client sends ---------------------------------------------------------------

    def command_data(self, channel_id: int, name: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a slash command as Discord's own clients send it (what `run_command` dispatches), for a
        test to alter before `send_raw`."""
        return self._command_data(channel_id, name, options or {})

    def resolved(self, guild_id: int | None, option_type: int, ids: Iterable[int]) -> dict[str, dict[str, Any]]:
        """The `resolved` part Discord would attach for these ids seen from `guild_id` (its members, its roles,
        any channel): to forge data resolved in another server."""
        out: dict[str, dict[str, Any]] = {}
        for ident in ids:
            self._resolve(guild_id, option_type, ident, out)
        return out

    async def send_raw(
        self,
        user_id: int,
        channel_id: int,
        *,
        type: int,
        data: dict[str, Any],
        message_id: int | None = None,
        locale: str | None = None,
    ) -> InteractionHandle:
        """An interaction from a modified (or outdated) client. Discord still builds what it always builds itself:
        who acts (the member and their permissions, checked to be in the server), where (the channel), the token
        and the 3 s deadline, and for a component or a form the message it came from, which the member must be
        able to see. `data` — options, custom id, menu values, form fields, `resolved` — reaches the bot exactly
        as written, without the checks Discord makes for its own clients (types, choices, ranges, lengths, which
        ids may be picked, which components exist). A lone surrogate in it travels as a JSON `\\uXXXX` escape,
        the only way JSON carries one."""
        msg = self._source(channel_id, message_id, user_id) if message_id is not None else None
        ix = self.world.new_interaction(
            type=type, user_id=user_id, channel_id=channel_id, data=data, message=msg, locale=locale
        )
        return InteractionHandle(self, ix)

    def _component(self, msg: Message, custom_id: str) -> dict[str, Any] | None:
        def walk(items: Iterable[Any]) -> dict[str, Any] | None:
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                if item.get("custom_id") == custom_id and item.get("type") != 1:
                    return dict(item)
                for key in ("components", "accessory", "component"):
                    child = item.get(key)
                    if isinstance(child, Mapping):
                        child = [child]
                    if isinstance(child, list):
                        found = walk(child)
                        if found is not None:
                            return found
            return None

        return walk(msg.components)

    def _source(self, channel_id: int, message_id: int, user_id: int) -> Message:
        w = self.world
        msg = w.messages.get(channel_id, {}).get(message_id)
        if msg is None:
            # An ephemeral message is only there for the person it was shown to.
            msg = next(
                (
                    ix.private_messages[message_id]
                    for ix in w.interactions.values()
                    if message_id in ix.private_messages and ix.user_id == user_id
                ),
                None,
            )
        if msg is None:
            raise LookupError(f"no message {message_id} in channel {channel_id} visible to {user_id}")
        return msg

    async def click(self, user_id: int, channel_id: int, message_id: int, custom_id: str) -> InteractionHandle:
        msg = self._source(channel_id, message_id, user_id)
        comp = self._component(msg, custom_id)
        if comp is None or comp.get("type") != 2:
            raise LookupError(f"message {message_id} has no button {custom_id!r}")
        if comp.get("disabled"):
            raise LookupError(f"button {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if "id" in comp:
            data["id"] = comp["id"]
        ix = self.world.new_interaction(
            type=IX_COMPONENT, user_id=user_id, channel_id=channel_id, data=data, message=msg
        )
        return InteractionHandle(self, ix)

    async def select(
        self, user_id: int, channel_id: int, message_id: int, custom_id: str, values: list[str]
    ) -> InteractionHandle:
        msg = self._source(channel_id, message_id, user_id)
        comp = self._component(msg, custom_id)
        if comp is None or comp.get("type") not in (3, 5, 6, 7, 8):
            raise LookupError(f"message {message_id} has no select menu {custom_id!r}")
        if comp.get("type") == 3:
            allowed = {o.get("value") for o in comp.get("options") or []}
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise LookupError(f"select {custom_id!r} has no options {unknown}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"], "values": list(values)}
        if comp["type"] != 3:
            resolved: dict[str, dict[str, Any]] = {}
            otype = {5: OPT_USER, 6: OPT_ROLE, 7: OPT_MENTIONABLE, 8: OPT_CHANNEL}[int(comp["type"])]
            for v in values:
                self._resolve(msg.guild_id, otype, int(v), resolved)
            data["resolved"] = resolved
        ix = self.world.new_interaction(
            type=IX_COMPONENT, user_id=user_id, channel_id=channel_id, data=data, message=msg
        )
        return InteractionHandle(self, ix)

    async def post_message(
        self, user_id: int, channel_id: int, content: str, *, allowed_mentions: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A member types a message in a channel, thread or (to the bot) a DM."""
        body: dict[str, Any] = {"content": content}
        if allowed_mentions is not None:
            body["allowed_mentions"] = dict(allowed_mentions)
        msg = self.world.create_message(channel_id, user_id, body)
        return self.world.message_dict(msg)

    def delete_message(self, channel_id: int, message_id: int, *, by: int) -> None:
        """A member deletes a message: their own, or anyone's with Manage Messages (a moderator). MESSAGE_DELETE
        is sent; a thread started from the message stays, as on Discord."""
        w = self.world
        channel = w.channel(channel_id)
        perms = w.require_view(by, channel)
        msg = w.message(channel_id, message_id)
        if msg.author_id != by and not perms & Perm.MANAGE_MESSAGES:
            raise ApiError(403, 50013)
        w.delete_message(channel_id, message_id)

    def pins(self, channel_id: int) -> list[dict[str, Any]]:
        """The channel's pinned messages, most recently pinned first."""
        return [self.world.message_dict(m) for m in self.world.pins(channel_id)]

    def start_thread(self, user_id: int, channel_id: int, name: str, *, auto_archive_duration: int = 4320) -> int:
        """A member opens a public thread in a text channel (permissions and the active-thread cap checked, as
        for the bot: `ApiError` 400 160006 when the guild is full); returns its id."""
        body = {"name": name, "type": 11, "auto_archive_duration": auto_archive_duration}
        thread, _ = self.world.thread_without_message(channel_id, user_id, body)
        return thread.id

    # -- reading ------------------------------------------------------------------------------------

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        w = self.world
        return [w.message_dict(m) for m in sorted(w.messages.get(channel_id, {}).values(), key=lambda m: m.id)]

    def message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        return self.world.message_dict(self.world.message(channel_id, message_id))

    def threads(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        w = self.world
        w.archive_idle_threads()
        return [
            w.channel_dict(c)
            for c in w.channels.values()
            if c.is_thread and (guild_id is None or c.guild_id == guild_id)
        ]

    def channel(self, channel_id: int) -> dict[str, Any]:
        self.world.archive_idle_threads()
        return self.world.channel_dict(self.world.channel(channel_id))

    def thread_members(self, thread_id: int) -> list[int]:
        """Who is a member of the thread (joined, added by the API, or mentioned in it), in joining order."""
        return list(self.world.channel(thread_id).member_ids)

    def member_roles(self, guild_id: int, user_id: int) -> list[int]:
        return list(self.world.member(guild_id, user_id).roles)

    def roles(self, guild_id: int) -> list[dict[str, Any]]:
        return [r.to_dict() for r in sorted(self.world.guild(guild_id).roles.values(), key=lambda r: r.position)]

    def dms(self, user_id: int) -> list[dict[str, Any]]:
        cid = self.world.dm_channel_of.get(user_id)
        if cid is None:
            return []
        return [m for m in self.channel_messages(cid) if m["author"]["id"] == str(self.world.bot.id)]

    def notifications(self, user_id: int | None = None) -> list[Notification]:
        return [n for n in self.world.notifications if user_id is None or n.user_id == user_id]

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return list(self.world.commands.get(guild_id, {}).values())

    def interactions(self) -> list[InteractionHandle]:
        return [InteractionHandle(self, ix) for ix in self.world.interactions.values()]
