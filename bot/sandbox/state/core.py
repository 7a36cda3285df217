"""What the double holds, and what every part of it looks up: objects by id (404 with Discord's code when
missing), and a member's permissions in a guild or a channel."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.sandbox.notifications import Notification
from bot.sandbox.permissions import ALL as ALL_PERMISSIONS
from bot.sandbox.permissions import Perm, channel_permissions
from bot.sandbox.snowflakes import SnowflakeFactory
from bot.sandbox.state.objects import (
    ACTIVE_THREAD_LIMIT,
    NONCE_WINDOW_S,
    ApiError,
    Channel,
    Emit,
    Guild,
    Interaction,
    Member,
    Message,
    Role,
    User,
    found,
)


class Core:
    """The state of the simulated Discord: its objects, its clock, and the gateway events its actions queue."""

    def __init__(
        self,
        now: datetime,
        *,
        emit: Emit,
        on_change: Callable[[], None],
        nonce_window_s: float = NONCE_WINDOW_S,
        interaction_deadline_s: float = 3.0,
        max_active_threads: int = ACTIVE_THREAD_LIMIT,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the double's clock needs an aware datetime (UTC)")
        self.now = now
        self.epoch = 0
        self._emit = emit
        self._on_change = on_change
        self.nonce_window_s = nonce_window_s
        self.interaction_deadline_s = interaction_deadline_s
        self.snowflakes = SnowflakeFactory(lambda: self.now)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[int, Message]] = {}
        self.commands: dict[int | None, dict[int, dict[str, Any]]] = {None: {}}
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.notifications: list[Notification] = []
        self.dm_channel_of: dict[int, int] = {}
        self.max_active_threads = max_active_threads
        self.dm_open_limit: tuple[int, float] | None = None
        self._dm_openings: list[float] = []
        # Discord's budget of edits to messages older than an hour, per channel (30046): (edits, window in real
        # seconds, the retry_after answered, or None for the time until the window frees); None: no budget.
        self.old_message_edits: tuple[int, float, float | None] | None = None
        self._old_edits: dict[int, deque[float]] = {}
        self.application_id = self.snowflakes.next()
        self.bot = User(self.snowflakes.next(), "Tocsin", bot=True, locale="en-US")
        self.owner = User(self.snowflakes.next(), "tocsin-owner")
        self.users[self.bot.id] = self.bot
        self.users[self.owner.id] = self.owner

    def changed(self) -> None:
        self._on_change()

    def emit(self, event: str, data: dict[str, Any], kind: str, guild_id: int | None) -> None:
        self._emit(event, data, kind, guild_id)

    def guild(self, guild_id: int) -> Guild:
        return found(self.guilds, guild_id, 10004)

    def channel(self, channel_id: int) -> Channel:
        return found(self.channels, channel_id, 10003)

    def message(self, channel_id: int, message_id: int) -> Message:
        self.channel(channel_id)
        return found(self.messages.get(channel_id, {}), message_id, 10008)

    def user(self, user_id: int) -> User:
        return found(self.users, user_id, 10013)

    def member(self, guild_id: int, user_id: int) -> Member:
        return found(self.guild(guild_id).members, user_id, 10007)

    def role(self, guild_id: int, role_id: int) -> Role:
        return found(self.guild(guild_id).roles, role_id, 10011)

    def permissions_in(self, user_id: int, channel: Channel) -> int:
        if channel.guild_id is None:
            # A DM: the participants may read and write.
            return int(
                Perm.VIEW_CHANNEL
                | Perm.SEND_MESSAGES
                | Perm.EMBED_LINKS
                | Perm.ATTACH_FILES
                | Perm.READ_MESSAGE_HISTORY
            )
        guild = self.guilds[channel.guild_id]
        member = guild.members.get(user_id)
        if member is None:
            return 0
        parent = self.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else None
        return channel_permissions(
            guild_owner_id=guild.owner_id,
            user_id=user_id,
            everyone_role_id=guild.everyone_role_id,
            role_permissions={r.id: r.permissions for r in guild.roles.values()},
            member_role_ids=member.roles,
            overwrites=parent.overwrites if parent is not None else channel.overwrites,
            parent_overwrites=parent.overwrites if parent is not None else None,
            is_thread=channel.is_thread,
        )

    def guild_permissions(self, guild_id: int, user_id: int) -> int:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        perms = guild.roles[guild.everyone_role_id].permissions
        for rid in member.roles:
            if rid in guild.roles:
                perms |= guild.roles[rid].permissions
        return perms

    def top_position(self, guild_id: int, user_id: int) -> int:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)

    def require_view(self, user_id: int, channel: Channel) -> int:
        perms = self.permissions_in(user_id, channel)
        if not perms & Perm.VIEW_CHANNEL:
            raise ApiError(403, 50001)
        return perms

    def viewers(self, channel: Channel) -> list[int]:
        if channel.guild_id is None:
            return [u for u in (channel.recipient_id, self.bot.id) if u is not None]
        guild = self.guilds[channel.guild_id]
        return [uid for uid in guild.members if self.permissions_in(uid, channel) & Perm.VIEW_CHANNEL]
