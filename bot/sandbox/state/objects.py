"""Discord's objects as the double holds them (guilds, roles, members, users, channels and threads, messages,
interactions), the constants of their payloads, and `ApiError`, the refusal Discord answers with.

Shapes follow Discord's documented objects (discord-api-docs `resources/*`), which is also what discord.py 2.7
parses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.sandbox.permissions import Overwrite, Perm
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
MSG_CHANNEL_PINNED = 6
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
# Pins per channel (topics/opcodes-and-status-codes 30003: "Maximum number of pins reached for the channel (250)").
PIN_LIMIT = 250
# Edits of a message older than this count against Discord's budget of such edits (30046).
OLD_MESSAGE_AGE = timedelta(hours=1)
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
    30003: "Maximum number of pins reached for the channel (250)",
    30046: "Maximum number of edits to messages older than 1 hour reached. Try again later",
}


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str | None = None, errors: Any = None) -> None:
        self.status = status
        self.body: dict[str, Any] = {"message": message or ERROR_MESSAGES.get(code, "Error"), "code": code}
        if errors is not None:
            self.body["errors"] = errors
        # Response headers beside the route's own (a 429's Retry-After, scope and Via).
        self.headers: dict[str, str] = {}
        super().__init__(f"{status} {self.body}")

    @classmethod
    def from_body(cls, status: int, body: Mapping[str, Any]) -> ApiError:
        err = cls(status, int(body.get("code", 0)), str(body.get("message", "")))
        err.body = dict(body)
        return err

    @classmethod
    def invalid_field(cls, field: str, code: str, message: str) -> ApiError:
        """Discord's 400 "Invalid Form Body" (50035) naming one field and why it was refused."""
        return cls(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": code, "message": message}]}})


K = TypeVar("K")
V = TypeVar("V")


def found(table: Mapping[K, V], key: K, code: int) -> V:
    """`table[key]`, or Discord's 404 with `code` (Unknown Guild, Unknown Channel…) when there is none."""
    try:
        return table[key]
    except KeyError:
        raise ApiError(404, code) from None


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
