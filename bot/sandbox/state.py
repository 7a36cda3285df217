"""What the double holds (guilds, channels, threads, roles, members, messages, commands, interactions) and the
actions that change it, with the Discord payloads it serves.

Every action is synchronous and raises `ApiError` with Discord's status and JSON body when Discord would refuse;
it queues the gateway events it causes through `emit` (the async layer sends them in order) and records who
is notified. Shapes follow Discord's documented objects (discord-api-docs `resources/*`), which is also what
discord.py 2.7 parses.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.sandbox.notifications import Notification, message_mentions_payload, notified_by_message
from bot.sandbox.permissions import ALL as ALL_PERMISSIONS
from bot.sandbox.permissions import DEFAULT_EVERYONE, Overwrite, Perm, can_manage_role, channel_permissions
from bot.sandbox.snowflakes import SnowflakeFactory
from bot.sandbox.validation import ERRORS

# Channel types (resources/channel).
GUILD_TEXT = 0
DM = 1
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

# Message types and flags (resources/message).
MSG_DEFAULT = 0
MSG_RECIPIENT_ADD = 1
MSG_THREAD_CREATED = 18
MSG_REPLY = 19
MSG_CHAT_INPUT_COMMAND = 20
MSG_THREAD_STARTER = 21
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12

# Event kinds, mapped to the intent each needs by the gateway layer.
KIND_GUILDS = "guilds"
KIND_MEMBERS = "members"
KIND_MESSAGES = "messages"
KIND_NONE = "none"

ACTIVE_THREAD_LIMIT = 1000
NONCE_WINDOW_S = 300.0
INTERACTION_TOKEN_TTL_S = 15 * 60.0
VALID_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)

DEFAULT_BOT_PERMISSIONS = int(
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.MENTION_EVERYONE
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.MANAGE_MESSAGES
)

# Discord's messages for the codes the double answers (topics/opcodes-and-status-codes).
ERROR_MESSAGES: dict[int, str] = {
    **ERRORS,
    50005: "Cannot edit a message authored by another user",
    50024: "Cannot execute action on this channel type",
}


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str | None = None, errors: Any = None) -> None:
        self.status = status
        self.body: dict[str, Any] = {"message": message or ERROR_MESSAGES.get(code, "Error"), "code": code}
        if errors is not None:
            self.body["errors"] = errors
        super().__init__(f"{status} {self.body}")

    @classmethod
    def from_body(cls, status: int, body: Mapping[str, Any]) -> ApiError:
        err = cls(status, int(body.get("code", 0)), str(body.get("message", "")))
        err.body = dict(body)
        return err


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def sid(value: int | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    locale: str = "fr"
    dms_open: bool = True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": None if self.bot else self.username,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False
    color: int = 0
    hoist: bool = False
    managed: bool = False
    bot_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Member:
    user_id: int
    guild_id: int
    roles: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass
class Channel:
    id: int
    type: int
    guild_id: int | None
    name: str | None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    parent_id: int | None = None
    last_message_id: int | None = None
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # Threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 4320
    archive_timestamp: datetime | None = None
    created_at: datetime | None = None
    last_activity: datetime | None = None
    applied_tags: list[int] = field(default_factory=list)
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: dict[int, datetime] = field(default_factory=dict)
    starter_message_id: int | None = None
    # DMs
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    timestamp: datetime
    type: int = MSG_DEFAULT
    flags: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    nonce: str | int | None = None
    edited_timestamp: datetime | None = None
    pinned_at: datetime | None = None
    mention_user_ids: list[int] = field(default_factory=list)
    mention_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    thread_id: int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    interaction: dict[str, Any] | None = None
    position: int | None = None
    ephemeral: bool = False
    # When the message was created, real seconds (for the nonce window no clock is needed: it is simulated).
    nonce_at: datetime | None = None


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    preferred_locale: str
    everyone_role_id: int
    bot_role_id: int
    joined_at: datetime
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    dispatched_at: float  # monotonic
    responses: list[dict[str, Any]] = field(default_factory=list)
    original_message_id: int | None = None
    original_channel_id: int | None = None
    ephemeral: bool = False
    deferred: bool = False
    modal: dict[str, Any] | None = None
    autocomplete_choices: list[dict[str, Any]] | None = None
    followup_ids: list[int] = field(default_factory=list)
    # Messages that exist only for the invoking user (ephemeral), by id.
    private_messages: dict[int, Message] = field(default_factory=dict)
    source_message_id: int | None = None
    # The message the person finally sees (a type-4 reply, the completed deferral, the first follow-up).
    reply_message_id: int | None = None

    @property
    def acknowledged(self) -> bool:
        return bool(self.responses)


Emit = Callable[[str, dict[str, Any], str, int | None], None]


class World:
    """The state of the simulated Discord and the actions Discord performs on it."""

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
        self.application_id = self.snowflakes.next()
        self.bot = User(self.snowflakes.next(), "Tocsin", bot=True, locale="en-US")
        self.owner = User(self.snowflakes.next(), "tocsin-owner")
        self.users[self.bot.id] = self.bot
        self.users[self.owner.id] = self.owner

    # -- plumbing -----------------------------------------------------------------------------------

    def changed(self) -> None:
        self._on_change()

    def emit(self, event: str, data: dict[str, Any], kind: str, guild_id: int | None) -> None:
        self._emit(event, data, kind, guild_id)

    def set_time(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("aware datetime required")
        self.now = when
        self.epoch += 1
        self.archive_idle_threads()
        self.changed()

    # -- lookups ------------------------------------------------------------------------------------

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ApiError(404, 10004) from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise ApiError(404, 10003) from None

    def message(self, channel_id: int, message_id: int) -> Message:
        self.channel(channel_id)
        try:
            return self.messages[channel_id][message_id]
        except KeyError:
            raise ApiError(404, 10008) from None

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise ApiError(404, 10013) from None

    def member(self, guild_id: int, user_id: int) -> Member:
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise ApiError(404, 10007) from None

    # -- permissions --------------------------------------------------------------------------------

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

    # -- serialisation ------------------------------------------------------------------------------

    def member_dict(self, member: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in member.roles],
            "joined_at": iso(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.users[member.user_id].to_dict()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def channel_dict(self, channel: Channel) -> dict[str, Any]:
        if channel.type == DM:
            recipient = self.users[channel.recipient_id] if channel.recipient_id else None
            return {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": sid(channel.last_message_id),
                "recipients": [recipient.to_dict()] if recipient else [],
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": sid(channel.guild_id),
            "name": channel.name,
            "last_message_id": sid(channel.last_message_id),
            "rate_limit_per_user": 0,
            "flags": 0,
            "parent_id": sid(channel.parent_id),
        }
        if channel.is_thread:
            created = channel.created_at or self.now
            data.update(
                {
                    "owner_id": sid(channel.owner_id),
                    "message_count": channel.message_count,
                    "total_message_sent": channel.total_message_sent,
                    "member_count": min(len(channel.member_ids), 50),
                    "thread_metadata": {
                        "archived": channel.archived,
                        "auto_archive_duration": channel.auto_archive_duration,
                        "archive_timestamp": iso(channel.archive_timestamp or created),
                        "locked": channel.locked,
                        "create_timestamp": iso(created),
                        **({"invitable": True} if channel.type == PRIVATE_THREAD else {}),
                    },
                    "applied_tags": [str(t) for t in channel.applied_tags],
                }
            )
            return data
        data.update(
            {
                "position": channel.position,
                "permission_overwrites": [
                    {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                    for o in channel.overwrites
                ],
                "nsfw": False,
                "topic": channel.topic,
                "default_auto_archive_duration": 4320,
                "default_thread_rate_limit_per_user": 0,
            }
        )
        if channel.type == GUILD_FORUM:
            data.update(
                {
                    "available_tags": channel.available_tags,
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                }
            )
        return data

    def thread_member_dict(self, thread: Channel, user_id: int, *, with_guild: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": iso(thread.member_ids.get(user_id, self.now)),
            "flags": 0,
        }
        if with_guild and thread.guild_id is not None:
            data["guild_id"] = str(thread.guild_id)
        return data

    def message_dict(self, msg: Message, *, for_gateway: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "type": msg.type,
            "content": msg.content,
            "author": self.users[msg.author_id].to_dict(),
            "timestamp": iso(msg.timestamp),
            "edited_timestamp": iso(msg.edited_timestamp) if msg.edited_timestamp else None,
            "tts": False,
            "mention_everyone": msg.mention_everyone,
            "mentions": [self.users[u].to_dict() for u in msg.mention_user_ids if u in self.users],
            "mention_roles": list(msg.mention_roles),
            "attachments": list(msg.attachments),
            "embeds": list(msg.embeds),
            "pinned": msg.pinned_at is not None,
            "flags": msg.flags,
            "components": list(msg.components),
        }
        if msg.nonce is not None:
            data["nonce"] = msg.nonce
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
        if msg.application_id is not None:
            data["application_id"] = str(msg.application_id)
        if msg.interaction_metadata is not None:
            data["interaction_metadata"] = msg.interaction_metadata
        if msg.interaction is not None:
            data["interaction"] = msg.interaction
        if msg.message_reference is not None:
            data["message_reference"] = msg.message_reference
        if msg.position is not None:
            data["position"] = msg.position
        if msg.thread_id is not None and msg.thread_id in self.channels:
            data["thread"] = self.channel_dict(self.channels[msg.thread_id])
        if for_gateway and msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = self.guilds[msg.guild_id].members.get(msg.author_id)
            if member is not None and msg.webhook_id is None:
                data["member"] = self.member_dict(member, with_user=False)
        return data

    def guild_create_dict(self, guild: Guild, *, with_members: bool) -> dict[str, Any]:
        channels = [self.channels[c] for c in guild.channel_ids if c in self.channels]
        members = list(guild.members.values())
        if not with_members:
            members = [m for m in members if m.user_id == self.bot.id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.preferred_locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": iso(guild.joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [self.member_dict(m) for m in members],
            "channels": [self.channel_dict(c) for c in channels if not c.is_thread],
            "threads": [
                self.channel_dict(c) for c in channels if c.is_thread and not c.archived and c.type != PRIVATE_THREAD
            ],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "incidents_data": None,
        }

    # -- guild building -----------------------------------------------------------------------------

    def add_guild(self, name: str, *, preferred_locale: str, bot_permissions: int) -> Guild:
        gid = self.snowflakes.next()
        guild = Guild(
            id=gid,
            name=name,
            owner_id=self.owner.id,
            preferred_locale=preferred_locale,
            everyone_role_id=gid,
            bot_role_id=self.snowflakes.next(),
            joined_at=self.now,
        )
        guild.roles[gid] = Role(gid, gid, "@everyone", permissions=DEFAULT_EVERYONE, position=0)
        guild.roles[guild.bot_role_id] = Role(
            guild.bot_role_id,
            gid,
            self.bot.username,
            permissions=bot_permissions,
            position=1,
            managed=True,
            bot_id=self.bot.id,
        )
        self.guilds[gid] = guild
        guild.members[self.owner.id] = Member(self.owner.id, gid, [], self.now)
        guild.members[self.bot.id] = Member(self.bot.id, gid, [guild.bot_role_id], self.now)
        self.commands.setdefault(gid, {})
        self.emit("GUILD_CREATE", {"__guild_id": gid}, KIND_GUILDS, gid)
        self.changed()
        return guild

    def add_user(self, name: str, *, locale: str, dms_open: bool) -> User:
        user = User(self.snowflakes.next(), name, locale=locale, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def add_member(self, guild_id: int, user: User, roles: Iterable[int]) -> Member:
        guild = self.guild(guild_id)
        member = Member(user.id, guild_id, [int(r) for r in roles], self.now)
        guild.members[user.id] = member
        data = self.member_dict(member)
        data["guild_id"] = str(guild_id)
        self.emit("GUILD_MEMBER_ADD", data, KIND_MEMBERS, guild_id)
        self.changed()
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        overwrites: Iterable[Overwrite] = (),
        topic: str | None = None,
        tags: Iterable[str] = (),
    ) -> Channel:
        guild = self.guild(guild_id)
        channel = Channel(
            id=self.snowflakes.next(),
            type=type,
            guild_id=guild_id,
            name=name,
            position=len(guild.channel_ids),
            topic=topic,
            overwrites=list(overwrites),
        )
        channel.available_tags = [
            {"id": str(self.snowflakes.next()), "name": t, "moderated": False, "emoji_id": None, "emoji_name": None}
            for t in tags
        ]
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        guild.channel_ids.append(channel.id)
        self.emit("CHANNEL_CREATE", self.channel_dict(channel), KIND_GUILDS, guild_id)
        self.changed()
        return channel

    def set_overwrites(self, channel_id: int, overwrites: Iterable[Overwrite]) -> None:
        channel = self.channel(channel_id)
        channel.overwrites = list(overwrites)
        self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()

    # -- roles --------------------------------------------------------------------------------------

    def _require_role_manager(self, guild: Guild, actor_id: int, role: Role | None) -> None:
        perms = self.guild_permissions(guild.id, actor_id)
        is_owner = actor_id == guild.owner_id
        if not is_owner and not perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            raise ApiError(403, 50013)
        if role is not None and not can_manage_role(
            actor_top_position=self.top_position(guild.id, actor_id),
            role_position=role.position,
            actor_perms=perms,
            actor_is_owner=is_owner,
        ):
            raise ApiError(403, 50013)

    def create_role(self, guild_id: int, actor_id: int, body: Mapping[str, Any]) -> Role:
        guild = self.guild(guild_id)
        self._require_role_manager(guild, actor_id, None)
        name = str(body.get("name") or "new role")
        if len(name) > 100:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {"name": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}]}},
            )
        # A new role goes just above @everyone, as Discord places it.
        for r in guild.roles.values():
            if r.id != guild.everyone_role_id:
                r.position += 1
        role = Role(
            self.snowflakes.next(),
            guild_id,
            name,
            permissions=int(body.get("permissions") or 0),
            position=1,
            mentionable=bool(body.get("mentionable", False)),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist", False)),
        )
        guild.roles[role.id] = role
        self.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_dict()}, KIND_GUILDS, guild_id)
        self.changed()
        return role

    def add_role_direct(
        self, guild_id: int, name: str, *, permissions: int, mentionable: bool, position: int | None
    ) -> Role:
        guild = self.guild(guild_id)
        if position is None:
            # Test-built roles go just above @everyone, so every role above them (the bot's included) moves up
            # one: the bot's role stays above all the roles a test creates, as when an admin adds a role.
            position = 1
            for r in guild.roles.values():
                if r.id != guild.everyone_role_id:
                    r.position += 1
        role = Role(
            self.snowflakes.next(), guild_id, name, permissions=permissions, position=position, mentionable=mentionable
        )
        guild.roles[role.id] = role
        self.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_dict()}, KIND_GUILDS, guild_id)
        self.changed()
        return role

    def role(self, guild_id: int, role_id: int) -> Role:
        try:
            return self.guild(guild_id).roles[role_id]
        except KeyError:
            raise ApiError(404, 10011) from None

    def edit_role(self, guild_id: int, role_id: int, actor_id: int, body: Mapping[str, Any]) -> Role:
        guild = self.guild(guild_id)
        role = self.role(guild_id, role_id)
        self._require_role_manager(guild, actor_id, role)
        if "name" in body and body["name"] is not None:
            role.name = str(body["name"])
        if "permissions" in body and body["permissions"] is not None:
            role.permissions = int(body["permissions"])
        if "mentionable" in body and body["mentionable"] is not None:
            role.mentionable = bool(body["mentionable"])
        if "color" in body and body["color"] is not None:
            role.color = int(body["color"])
        if "hoist" in body and body["hoist"] is not None:
            role.hoist = bool(body["hoist"])
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role.to_dict()}, KIND_GUILDS, guild_id)
        self.changed()
        return role

    def delete_role(self, guild_id: int, role_id: int, actor_id: int) -> None:
        guild = self.guild(guild_id)
        role = self.role(guild_id, role_id)
        self._require_role_manager(guild, actor_id, role)
        del guild.roles[role_id]
        for m in guild.members.values():
            if role_id in m.roles:
                m.roles.remove(role_id)
        self.emit("GUILD_ROLE_DELETE", {"guild_id": str(guild_id), "role_id": str(role_id)}, KIND_GUILDS, guild_id)
        self.changed()

    def set_member_role(self, guild_id: int, user_id: int, role_id: int, actor_id: int, *, add: bool) -> None:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        role = self.role(guild_id, role_id)
        if actor_id != -1:
            self._require_role_manager(guild, actor_id, role)
        if add and role_id not in member.roles:
            member.roles.append(role_id)
        elif not add and role_id in member.roles:
            member.roles.remove(role_id)
        else:
            return
        data = self.member_dict(member)
        data["guild_id"] = str(guild_id)
        self.emit("GUILD_MEMBER_UPDATE", data, KIND_MEMBERS, guild_id)
        self.changed()

    def put_overwrite(self, channel_id: int, actor_id: int, target: int, body: Mapping[str, Any] | None) -> None:
        channel = self.channel(channel_id)
        if channel.guild_id is None or channel.is_thread:
            raise ApiError(400, 50035)
        perms = self.permissions_in(actor_id, channel)
        guild = self.guilds[channel.guild_id]
        if actor_id != guild.owner_id and not perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            raise ApiError(403, 50013)
        rest = [o for o in channel.overwrites if o.id != target]
        if body is not None:
            rest.append(
                Overwrite(target, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
            )
        channel.overwrites = rest
        self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()

    # -- messages -----------------------------------------------------------------------------------

    def _role_members(self, guild: Guild) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for m in guild.members.values():
            for r in m.roles:
                out.setdefault(r, []).append(m.user_id)
        return out

    def _mentions(
        self,
        channel: Channel,
        author_id: int,
        content: str,
        allowed: Mapping[str, Any] | None,
        reply_author: int | None,
    ) -> dict[str, Any]:
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        mentionable = [r.id for r in guild.roles.values() if r.mentionable] if guild else []
        may_everyone = bool(self.permissions_in(author_id, channel) & Perm.MENTION_EVERYONE) if guild else False
        return message_mentions_payload(
            content=content,
            allowed_mentions=allowed,
            message_reference_author_id=reply_author,
            mentionable_role_ids=mentionable,
            author_may_mention_everyone=may_everyone,
        )

    def notify(self, msg: Message) -> list[Notification]:
        """Record who Discord would notify for this newly visible message."""
        channel = self.channels[msg.channel_id]
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        reply_author = None
        if msg.message_reference and msg.message_reference.get("message_id"):
            ref = self.messages.get(int(msg.message_reference.get("channel_id", msg.channel_id)), {}).get(
                int(msg.message_reference["message_id"])
            )
            reply_author = ref.author_id if ref else None
        notes = notified_by_message(
            message_id=msg.id,
            channel_id=msg.channel_id,
            author_id=msg.author_id,
            content=msg.content,
            allowed_mentions=msg.allowed_mentions,
            flags=msg.flags,
            message_reference_author_id=reply_author,
            is_dm=channel.type == DM,
            dm_recipient_id=channel.recipient_id if channel.type == DM else None,
            viewers=self.viewers(channel),
            role_members=self._role_members(guild) if guild else {},
            mentionable_role_ids=[r.id for r in guild.roles.values() if r.mentionable] if guild else [],
            author_may_mention_everyone=bool(self.permissions_in(msg.author_id, channel) & Perm.MENTION_EVERYONE)
            if guild
            else False,
        )
        self.notifications.extend(notes)
        return notes

    def check_can_send(self, user_id: int, channel: Channel, *, files: bool = False) -> int:
        perms = self.require_view(user_id, channel)
        needed = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if channel.type == GUILD_FORUM or not perms & needed:
            raise ApiError(403, 50013)
        if files and not perms & Perm.ATTACH_FILES:
            raise ApiError(403, 50013)
        if channel.is_thread:
            if channel.locked and not perms & Perm.MANAGE_THREADS:
                raise ApiError(403, 160005)
            if channel.archived and channel.locked:
                raise ApiError(400, 160005)
        return perms

    def find_nonce(self, channel_id: int, author_id: int, nonce: str | int) -> Message | None:
        window = timedelta(seconds=self.nonce_window_s)
        for msg in reversed(list(self.messages.get(channel_id, {}).values())):
            if (
                msg.nonce == nonce
                and msg.author_id == author_id
                and msg.nonce_at is not None
                and self.now - msg.nonce_at <= window
            ):
                return msg
        return None

    def create_message(
        self,
        channel_id: int,
        author_id: int,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        check_permissions: bool = True,
        msg_type: int | None = None,
        extra: Mapping[str, Any] | None = None,
        private_to: Interaction | None = None,
        existing_id: int | None = None,
    ) -> Message:
        """Create a message as Discord does for POST /channels/{id}/messages (and interaction replies)."""
        channel = self.channel(channel_id)
        perms = 0
        if check_permissions:
            perms = self.check_can_send(author_id, channel, files=bool(attachments))
        else:
            perms = self.permissions_in(author_id, channel)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and private_to is None:
            earlier = self.find_nonce(channel_id, author_id, nonce)
            if earlier is not None:
                return earlier
        if channel.is_thread and channel.archived and private_to is None:
            # A new message unarchives a thread that is not locked (locked ones were refused above), which takes
            # one of the guild's active-thread slots: refused, and nothing posted, when none is free.
            self.require_active_thread_slot(channel.guild_id)
            channel.archived = False
            channel.archive_timestamp = self.now
            self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        embeds = list(body.get("embeds") or [])
        if channel.guild_id is not None and not perms & Perm.EMBED_LINKS and self.users[author_id].bot:
            # Without Embed Links, Discord posts the message but drops the bot's rich embeds.
            embeds = []
        content = str(body.get("content") or "")
        reference = body.get("message_reference")
        reply_author = None
        if reference and reference.get("message_id"):
            ref_msg = self.messages.get(int(reference.get("channel_id") or channel_id), {}).get(
                int(reference["message_id"])
            )
            if ref_msg is None and reference.get("fail_if_not_exists", True):
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "message_reference": {
                            "_errors": [{"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]
                        }
                    },
                )
            reply_author = ref_msg.author_id if ref_msg else None
            reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or channel_id),
                **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
            }
        allowed = body.get("allowed_mentions")
        mentions = self._mentions(channel, author_id, content, allowed, reply_author)
        flags = int(body.get("flags") or 0) & (FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | (1 << 2) | FLAG_LOADING)
        msg = Message(
            id=existing_id or self.snowflakes.next(),
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            content=content,
            timestamp=self.now,
            type=msg_type if msg_type is not None else (MSG_REPLY if reference else MSG_DEFAULT),
            flags=flags,
            embeds=embeds,
            components=list(body.get("components") or []),
            attachments=attachments or [],
            nonce=nonce,
            mention_user_ids=mentions["mention_user_ids"],
            mention_roles=mentions["mention_roles"],
            mention_everyone=mentions["mention_everyone"],
            allowed_mentions=allowed,
            message_reference=reference,
            nonce_at=self.now if nonce is not None else None,
        )
        for key, value in (extra or {}).items():
            setattr(msg, key, value)
        if private_to is not None:
            msg.ephemeral = True
            private_to.private_messages[msg.id] = msg
            self.changed()
            return msg
        self._store_public(msg)
        return msg

    def _store_public(self, msg: Message, *, notify: bool = True) -> None:
        channel = self.channels[msg.channel_id]
        if channel.is_thread:
            msg.position = channel.total_message_sent
            channel.message_count += 1
            channel.total_message_sent += 1
            channel.last_activity = self.now
        self.messages.setdefault(msg.channel_id, {})[msg.id] = msg
        channel.last_message_id = msg.id
        kind = KIND_MESSAGES
        self.emit("MESSAGE_CREATE", self.message_dict(msg, for_gateway=True), kind, channel.guild_id)
        if notify and not msg.flags & FLAG_LOADING:
            self.notify(msg)
        self.changed()

    def edit_message(
        self,
        msg: Message,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        materialise: bool = False,
    ) -> Message:
        """PATCH semantics: only the fields present change. Edits never notify, except the first edit of a
        deferred ("thinking…") response, which is when Discord delivers that message."""
        channel = self.channels[msg.channel_id]
        was_loading = bool(msg.flags & FLAG_LOADING)
        if "content" in body:
            msg.content = str(body.get("content") or "")
        if "embeds" in body:
            msg.embeds = list(body.get("embeds") or [])
        if "components" in body:
            msg.components = list(body.get("components") or [])
        if "allowed_mentions" in body:
            msg.allowed_mentions = body.get("allowed_mentions")
        if "flags" in body and body["flags"] is not None:
            msg.flags = (msg.flags & ~(1 << 2)) | (int(body["flags"]) & (1 << 2))
        if attachments is not None or "attachments" in body:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, Mapping)}
            kept = [a for a in msg.attachments if str(a["id"]) in keep_ids] if "attachments" in body else []
            msg.attachments = kept + (attachments or [])
        if "content" in body or "allowed_mentions" in body:
            mentions = self._mentions(channel, msg.author_id, msg.content, msg.allowed_mentions, None)
            msg.mention_user_ids = mentions["mention_user_ids"]
            msg.mention_roles = mentions["mention_roles"]
            msg.mention_everyone = mentions["mention_everyone"]
        if was_loading and materialise:
            msg.flags &= ~FLAG_LOADING
        else:
            msg.edited_timestamp = self.now
        if not msg.ephemeral:
            data = self.message_dict(msg, for_gateway=True)
            self.emit("MESSAGE_UPDATE", data, KIND_MESSAGES, msg.guild_id)
            if was_loading and materialise:
                self.notify(msg)
        self.changed()
        return msg

    def delete_message(self, channel_id: int, message_id: int) -> None:
        msg = self.message(channel_id, message_id)
        del self.messages[channel_id][message_id]
        channel = self.channels[channel_id]
        if channel.is_thread:
            channel.message_count = max(channel.message_count - 1, 0)
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        self.emit("MESSAGE_DELETE", data, KIND_MESSAGES, msg.guild_id)
        self.changed()

    def history(
        self, channel_id: int, *, limit: int, before: int | None, after: int | None, around: int | None
    ) -> list[Message]:
        msgs = sorted(self.messages.get(channel_id, {}).values(), key=lambda m: m.id)
        limit = max(1, min(limit, 100))
        if around is not None:
            older = [m for m in msgs if m.id < around][::-1]
            newer = [m for m in msgs if m.id >= around]
            half = limit // 2
            picked = newer[: limit - min(half, len(older))] + older[:half]
            return sorted(picked, key=lambda m: m.id, reverse=True)[:limit]
        if after is not None:
            return sorted([m for m in msgs if m.id > after][:limit], key=lambda m: m.id, reverse=True)
        if before is not None:
            msgs = [m for m in msgs if m.id < before]
        return msgs[::-1][:limit]

    def pin(self, channel_id: int, message_id: int, actor_id: int, *, pin: bool) -> None:
        channel = self.channel(channel_id)
        perms = self.require_view(actor_id, channel)
        if channel.guild_id is not None and not perms & (Perm.MANAGE_MESSAGES | getattr(Perm, "PIN_MESSAGES", 0)):
            raise ApiError(403, 50013)
        msg = self.message(channel_id, message_id)
        msg.pinned_at = self.now if pin else None
        data: dict[str, Any] = {"channel_id": str(channel_id), "last_pin_timestamp": iso(self.now)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.emit("CHANNEL_PINS_UPDATE", data, KIND_GUILDS, channel.guild_id)
        self.emit("MESSAGE_UPDATE", self.message_dict(msg, for_gateway=True), KIND_MESSAGES, msg.guild_id)
        self.changed()

    def pins(self, channel_id: int) -> list[Message]:
        self.channel(channel_id)
        pinned = [m for m in self.messages.get(channel_id, {}).values() if m.pinned_at is not None]
        return sorted(pinned, key=lambda m: m.pinned_at or self.now, reverse=True)

    # -- threads ------------------------------------------------------------------------------------

    def active_threads(self, guild_id: int) -> list[Channel]:
        """The guild's threads that are not archived: public, private and announcement threads and forum posts
        alike. They are what Discord's cap on active threads counts."""
        self.archive_idle_threads()
        return [c for c in self.channels.values() if c.guild_id == guild_id and c.is_thread and not c.archived]

    def require_active_thread_slot(self, guild_id: int | None) -> None:
        """Before anything makes a thread active (creating a thread or forum post, unarchiving one): 400 160006
        "Maximum number of active threads reached" when the guild already has `max_active_threads` of them."""
        if guild_id is not None and len(self.active_threads(guild_id)) >= self.max_active_threads:
            raise ApiError(400, 160006)

    def archive_idle_threads(self) -> None:
        for channel in list(self.channels.values()):
            if not channel.is_thread or channel.archived:
                continue
            last = channel.last_activity or channel.created_at or self.now
            if self.now - last >= timedelta(minutes=channel.auto_archive_duration):
                channel.archived = True
                channel.archive_timestamp = last + timedelta(minutes=channel.auto_archive_duration)
                self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)

    def _validate_thread_body(self, body: Mapping[str, Any]) -> tuple[str, int]:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "name": {
                        "_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]
                    }
                },
            )
        duration = int(body.get("auto_archive_duration") or 4320)
        if duration not in VALID_ARCHIVE_DURATIONS:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "auto_archive_duration": {
                        "_errors": [
                            {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of (60, 1440, 4320, 10080)."}
                        ]
                    }
                },
            )
        return name, duration

    def _new_thread(
        self, parent: Channel, owner_id: int, name: str, duration: int, type: int, *, thread_id: int | None = None
    ) -> Channel:
        assert parent.guild_id is not None
        self.require_active_thread_slot(parent.guild_id)
        thread = Channel(
            id=thread_id or self.snowflakes.next(),
            type=type,
            guild_id=parent.guild_id,
            name=name,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=duration,
            created_at=self.now,
            last_activity=self.now,
            archive_timestamp=self.now,
        )
        thread.member_ids[owner_id] = self.now
        self.channels[thread.id] = thread
        self.messages[thread.id] = {}
        self.guilds[parent.guild_id].channel_ids.append(thread.id)
        parent.last_message_id = parent.last_message_id
        return thread

    def _thread_create_event(self, thread: Channel) -> None:
        data = self.channel_dict(thread)
        data["newly_created"] = True
        if self.bot.id in thread.member_ids:
            data["member"] = self.thread_member_dict(thread, self.bot.id)
        self.emit("THREAD_CREATE", data, KIND_GUILDS, thread.guild_id)

    def thread_from_message(self, channel_id: int, message_id: int, actor_id: int, body: Mapping[str, Any]) -> Channel:
        parent = self.channel(channel_id)
        perms = self.require_view(actor_id, parent)
        if parent.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if not perms & Perm.CREATE_PUBLIC_THREADS:
            raise ApiError(403, 50013)
        msg = self.message(channel_id, message_id)
        name, duration = self._validate_thread_body(body)
        if msg.thread_id is not None:
            raise ApiError(400, 160004)
        kind = ANNOUNCEMENT_THREAD if parent.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD
        # A thread started from a message shares the message's id (Discord: "the thread ID is the message ID").
        thread = self._new_thread(parent, actor_id, name, duration, kind, thread_id=msg.id)
        msg.thread_id = thread.id
        msg.flags |= FLAG_HAS_THREAD
        self._thread_create_event(thread)
        self.emit("MESSAGE_UPDATE", self.message_dict(msg, for_gateway=True), KIND_MESSAGES, msg.guild_id)
        self.changed()
        return thread

    def thread_without_message(
        self,
        channel_id: int,
        actor_id: int,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
    ) -> tuple[Channel, Message | None]:
        parent = self.channel(channel_id)
        perms = self.require_view(actor_id, parent)
        name, duration = self._validate_thread_body(body)
        if parent.type == GUILD_FORUM:
            if not perms & Perm.SEND_MESSAGES:
                raise ApiError(403, 50013)
            starter = body.get("message")
            if not isinstance(starter, Mapping):
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"message": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}},
                )
            tag_ids = {int(t["id"]) for t in parent.available_tags}
            applied = [int(t) for t in body.get("applied_tags") or []]
            if any(t not in tag_ids for t in applied) or len(applied) > 5:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"applied_tags": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Invalid tag"}]}},
                )
            thread = self._new_thread(parent, actor_id, name, duration, PUBLIC_THREAD)
            thread.applied_tags = applied
            self._thread_create_event(thread)
            first = self.create_message(
                thread.id,
                actor_id,
                starter,
                attachments=attachments,
                check_permissions=False,
                existing_id=thread.id,
            )
            self.changed()
            return thread, first
        if parent.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or PRIVATE_THREAD)
        needed = Perm.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else Perm.CREATE_PUBLIC_THREADS
        if not perms & needed:
            raise ApiError(403, 50013)
        thread = self._new_thread(parent, actor_id, name, duration, kind)
        self._thread_create_event(thread)
        self.changed()
        return thread, None

    def edit_channel(self, channel_id: int, actor_id: int, body: Mapping[str, Any]) -> Channel:
        channel = self.channel(channel_id)
        perms = self.require_view(actor_id, channel)
        if channel.is_thread:
            is_owner = channel.owner_id == actor_id
            moderator = bool(perms & Perm.MANAGE_THREADS)
            if not (moderator or is_owner):
                raise ApiError(403, 50013)
            if channel.locked and not moderator:
                raise ApiError(403, 160005)
            if "locked" in body and not moderator:
                raise ApiError(403, 50013)
            if channel.archived and "archived" in body and not body["archived"]:
                self.require_active_thread_slot(channel.guild_id)  # before any other field changes
            if "name" in body:
                name, _ = self._validate_thread_body({"name": body["name"]})
                channel.name = name
            if "auto_archive_duration" in body:
                _, channel.auto_archive_duration = self._validate_thread_body(
                    {"name": "x", "auto_archive_duration": body["auto_archive_duration"]}
                )
            if "locked" in body:
                channel.locked = bool(body["locked"])
            if "applied_tags" in body:
                parent = self.channels.get(channel.parent_id or 0)
                tag_ids = {int(t["id"]) for t in parent.available_tags} if parent else set()
                applied = [int(t) for t in body.get("applied_tags") or []]
                if any(t not in tag_ids for t in applied) or len(applied) > 5:
                    raise ApiError(
                        400,
                        50035,
                        "Invalid Form Body",
                        {"applied_tags": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Invalid tag"}]}},
                    )
                channel.applied_tags = applied
            if "archived" in body:
                archived = bool(body["archived"])
                if archived != channel.archived:
                    channel.archived = archived
                    channel.archive_timestamp = self.now
                    if not archived:
                        channel.last_activity = self.now
            self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        else:
            if not perms & Perm.MANAGE_CHANNELS:
                raise ApiError(403, 50013)
            if "name" in body:
                channel.name = str(body["name"])
            if "topic" in body:
                channel.topic = body["topic"]
            self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()
        return channel

    def add_thread_member(self, thread_id: int, user_id: int, actor_id: int) -> None:
        thread = self.channel(thread_id)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require_view(actor_id, thread)
        assert thread.guild_id is not None
        self.member(thread.guild_id, user_id)
        if thread.archived:
            raise ApiError(400, 50083)
        if user_id in thread.member_ids:
            return
        thread.member_ids[user_id] = self.now
        if user_id != actor_id:
            # Discord posts a visible "X added Y to the thread" line (type RECIPIENT_ADD) for each API add.
            msg = Message(
                id=self.snowflakes.next(),
                channel_id=thread.id,
                guild_id=thread.guild_id,
                author_id=actor_id,
                content="",
                timestamp=self.now,
                type=MSG_RECIPIENT_ADD,
                mention_user_ids=[user_id],
            )
            self._store_public(msg, notify=False)
        self._thread_members_update(thread, added=[user_id], removed=[])
        self.changed()

    def remove_thread_member(self, thread_id: int, user_id: int, actor_id: int) -> None:
        thread = self.channel(thread_id)
        self.require_view(actor_id, thread)
        if user_id not in thread.member_ids:
            raise ApiError(404, 10007)
        del thread.member_ids[user_id]
        self._thread_members_update(thread, added=[], removed=[user_id])
        self.changed()

    def _thread_members_update(self, thread: Channel, *, added: list[int], removed: list[int]) -> None:
        assert thread.guild_id is not None
        guild = self.guilds[thread.guild_id]
        added_dicts = []
        for uid in added:
            tm = self.thread_member_dict(thread, uid)
            if uid in guild.members:
                tm["member"] = self.member_dict(guild.members[uid])
            tm["presence"] = None
            added_dicts.append(tm)
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(thread.member_ids), 50),
        }
        if added_dicts:
            data["added_members"] = added_dicts
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.emit("THREAD_MEMBERS_UPDATE", data, KIND_GUILDS, thread.guild_id)

    # -- DMs ----------------------------------------------------------------------------------------

    def open_dm(self, recipient_id: int) -> Channel:
        user = self.user(recipient_id)
        existing = self.dm_channel_of.get(user.id)
        if existing is not None:
            return self.channels[existing]
        if self.dm_open_limit is not None:
            count, window = self.dm_open_limit
            now = time.monotonic()
            self._dm_openings = [t for t in self._dm_openings if now - t < window]
            if len(self._dm_openings) >= count:
                raise ApiError(403, 40003)
            self._dm_openings.append(now)
        channel = Channel(id=self.snowflakes.next(), type=DM, guild_id=None, name=None, recipient_id=user.id)
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        self.dm_channel_of[user.id] = channel.id
        self.changed()
        return channel

    def check_dm_open(self, channel: Channel) -> None:
        if channel.type == DM and channel.recipient_id is not None and not self.users[channel.recipient_id].dms_open:
            raise ApiError(403, 50007)

    # -- commands -----------------------------------------------------------------------------------

    def _command_dict(
        self, body: Mapping[str, Any], guild_id: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        cid = int(existing["id"]) if existing else self.snowflakes.next()
        data: dict[str, Any] = {
            "id": str(cid),
            "application_id": str(self.application_id),
            "version": str(self.snowflakes.next()),
            "type": int(body.get("type", 1)),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options") or [],
            "default_member_permissions": body.get("default_member_permissions"),
            "nsfw": bool(body.get("nsfw", False)),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        else:
            data["dm_permission"] = body.get("dm_permission", True)
        return data

    def bulk_overwrite_commands(self, guild_id: int | None, bodies: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if guild_id is not None:
            self.guild(guild_id)
        current = self.commands.setdefault(guild_id, {})
        by_key = {(c["name"], c["type"]): c for c in current.values()}
        new: dict[int, dict[str, Any]] = {}
        for body in bodies:
            if not isinstance(body, Mapping) or not isinstance(body.get("name"), str):
                raise ApiError(400, 50035)
            existing = by_key.get((body["name"], int(body.get("type", 1))))
            cmd = self._command_dict(body, guild_id, existing)
            new[int(cmd["id"])] = cmd
        self.commands[guild_id] = new
        self.changed()
        return list(new.values())

    def upsert_command(self, guild_id: int | None, body: Mapping[str, Any]) -> dict[str, Any]:
        current = self.commands.setdefault(guild_id, {})
        existing = next(
            (c for c in current.values() if c["name"] == body.get("name") and c["type"] == int(body.get("type", 1))),
            None,
        )
        cmd = self._command_dict(body, guild_id, existing)
        current[int(cmd["id"])] = cmd
        self.changed()
        return cmd

    def command(self, guild_id: int | None, command_id: int) -> dict[str, Any]:
        try:
            return self.commands.get(guild_id, {})[command_id]
        except KeyError:
            raise ApiError(404, 10063) from None

    # -- interactions -------------------------------------------------------------------------------

    def new_interaction(
        self,
        *,
        type: int,
        user_id: int,
        channel_id: int,
        data: dict[str, Any] | None,
        message: Message | None = None,
        locale: str | None = None,
    ) -> Interaction:
        channel = self.channel(channel_id)
        user = self.user(user_id)
        iid = self.snowflakes.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": type,
            "token": token,
            "version": 1,
            "locale": locale or user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
            "channel": self.interaction_channel_dict(channel, user_id),
        }
        if data is not None:
            payload["data"] = data
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            member = self.member(guild.id, user_id)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                    "guild_locale": guild.preferred_locale,
                    "member": self.member_dict(member, permissions=self.permissions_in(user_id, channel)),
                    "app_permissions": str(self.permissions_in(self.bot.id, channel)),
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "context": 0,
                }
            )
        else:
            payload.update(
                {
                    "user": user.to_dict(),
                    "app_permissions": str(self.permissions_in(self.bot.id, channel)),
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                }
            )
        if message is not None:
            payload["message"] = self.message_dict(message)
        ix = Interaction(
            id=iid,
            token=token,
            type=type,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            payload=payload,
            dispatched_at=time.monotonic(),
            source_message_id=message.id if message else None,
        )
        self.interactions[iid] = ix
        self.interactions_by_token[token] = ix
        self.emit("INTERACTION_CREATE", payload, KIND_NONE, channel.guild_id)
        self.changed()
        return ix

    def interaction_channel_dict(self, channel: Channel, user_id: int) -> dict[str, Any]:
        data = self.channel_dict(channel)
        data["permissions"] = str(self.permissions_in(user_id, channel))
        return data

    def interaction_by_token(self, token: str) -> Interaction:
        ix = self.interactions_by_token.get(token)
        if ix is None or time.monotonic() - ix.dispatched_at > INTERACTION_TOKEN_TTL_S:
            raise ApiError(404, 10015)
        return ix

    def interaction_message(self, ix: Interaction, message_id: int | None) -> Message:
        mid = ix.original_message_id if message_id is None else message_id
        if mid is None:
            raise ApiError(404, 10008)
        if mid in ix.private_messages:
            return ix.private_messages[mid]
        if mid != ix.original_message_id and mid not in ix.followup_ids:
            raise ApiError(404, 10008)
        msg = self.find_message(ix.channel_id, mid)
        if msg is None:
            raise ApiError(404, 10008)
        return msg

    def find_message(self, channel_id: int, message_id: int) -> Message | None:
        """A public message, or an ephemeral one held by an interaction (components on ephemeral messages)."""
        msg = self.messages.get(channel_id, {}).get(message_id)
        if msg is not None:
            return msg
        for ix in self.interactions.values():
            if message_id in ix.private_messages:
                return ix.private_messages[message_id]
        return None

    def reply_extra(self, ix: Interaction) -> dict[str, Any]:
        user = self.users[ix.user_id].to_dict()
        meta: dict[str, Any] = {
            "id": str(ix.id),
            "type": ix.type,
            "user": user,
            "authorizing_integration_owners": ix.payload.get("authorizing_integration_owners", {}),
        }
        if ix.source_message_id is not None:
            meta["interacted_message_id"] = str(ix.source_message_id)
        extra: dict[str, Any] = {
            "webhook_id": self.application_id,
            "application_id": self.application_id,
            "interaction_metadata": meta,
        }
        if ix.type == 2:
            extra["interaction"] = {
                "id": str(ix.id),
                "type": ix.type,
                "name": ix.payload.get("data", {}).get("name", ""),
                "user": user,
            }
        return extra
