"""Discord's permission rules for the double: bits, base permissions, overwrites, role hierarchy.

Follows developers/topics/permissions (discord-api-docs): "Permission Overwrites" pseudocode,
"Implicit Permissions" and "Inherited Permissions (Threads)".
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

__all__ = [
    "ALL",
    "DEFAULT_EVERYONE",
    "SEND_DEPENDENT",
    "MemberStanding",
    "Overwrite",
    "Perm",
    "base_permissions",
    "can_manage_role",
    "can_send_messages",
    "channel_permissions",
]


class Perm(enum.IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    # Bit 47 is unassigned in Discord's table.
    SET_VOICE_CHANNEL_STATUS = 1 << 48
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51
    BYPASS_SLOWMODE = 1 << 52


ALL: int = 0
for _p in Perm:
    ALL |= int(_p)
del _p

# What a new guild's @everyone role holds today (the value Discord's client creates, which is the
# 2024 value 2248473465835073). Discord does not document it; note MENTION_EVERYONE is in it, so on
# a default guild every member may ping every role.
DEFAULT_EVERYONE: int = int(
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.STREAM
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.MENTION_EVERYONE
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.REQUEST_TO_SPEAK
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.USE_EXTERNAL_STICKERS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.USE_EMBEDDED_ACTIVITIES
    | Perm.USE_SOUNDBOARD
    | Perm.CREATE_GUILD_EXPRESSIONS
    | Perm.CREATE_EVENTS
    | Perm.USE_EXTERNAL_SOUNDS
    | Perm.SEND_VOICE_MESSAGES
    | Perm.SET_VOICE_CHANNEL_STATUS
    | Perm.SEND_POLLS
    | Perm.USE_EXTERNAL_APPS
)

# "Denying SEND_MESSAGES implicitly denies MENTION_EVERYONE, SEND_TTS_MESSAGES, ATTACH_FILES and
# EMBED_LINKS" (Implicit Permissions); discord.py's _apply_implicit_permissions removes the same four.
SEND_DEPENDENT: int = int(Perm.MENTION_EVERYONE | Perm.SEND_TTS_MESSAGES | Perm.ATTACH_FILES | Perm.EMBED_LINKS)

OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1


@dataclass(frozen=True)
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int
    deny: int


class MemberStanding(TypedDict):
    """What a member's permissions in a guild start from: `base_permissions`'s arguments, which
    `channel_permissions` passes on."""

    guild_owner_id: int
    user_id: int
    everyone_role_id: int
    role_permissions: Mapping[int, int]
    member_role_ids: Collection[int]


def base_permissions(**standing: Unpack[MemberStanding]) -> int:
    """Guild-level permissions of a member (compute_base_permissions in Discord's docs)."""
    if standing["user_id"] == standing["guild_owner_id"]:
        return ALL
    role_permissions = standing["role_permissions"]
    perms = role_permissions.get(standing["everyone_role_id"], 0)
    for role_id in standing["member_role_ids"]:
        perms |= role_permissions.get(role_id, 0)
    if perms & Perm.ADMINISTRATOR:
        return ALL
    # Bits Discord has not assigned carry no permission.
    return perms & ALL


def _apply_overwrites(perms: int, standing: MemberStanding, overwrites: Sequence[Overwrite]) -> int:
    user_id, everyone_role_id = standing["user_id"], standing["everyone_role_id"]
    member_role_ids = set(standing["member_role_ids"])
    everyone = next((o for o in overwrites if o.type == OVERWRITE_ROLE and o.id == everyone_role_id), None)
    if everyone is not None:
        perms &= ~everyone.deny
        perms |= everyone.allow
    # Role overwrites are merged before applying, so an allow on one role beats a deny on another,
    # whatever the roles' positions.
    allow = deny = 0
    for o in overwrites:
        if o.type == OVERWRITE_ROLE and o.id != everyone_role_id and o.id in member_role_ids:
            allow |= o.allow
            deny |= o.deny
    perms &= ~deny
    perms |= allow
    member = next((o for o in overwrites if o.type == OVERWRITE_MEMBER and o.id == user_id), None)
    if member is not None:
        perms &= ~member.deny
        perms |= member.allow
    return perms


def channel_permissions(
    *,
    overwrites: Sequence[Overwrite],
    parent_overwrites: Sequence[Overwrite] | None = None,
    is_thread: bool = False,
    **standing: Unpack[MemberStanding],
) -> int:
    """Permissions of a member in a channel or thread, implicit rules applied.

    For a thread, the parent's overwrites decide (threads have none of their own): pass them as
    `parent_overwrites`; if absent, `overwrites` is taken to be the parent's. In a thread the
    SEND_MESSAGES bit is left as inherited but does not allow sending: use `can_send_messages`,
    and the send-dependent bits follow SEND_MESSAGES_IN_THREADS instead.
    """
    base = base_permissions(**standing)
    if base & Perm.ADMINISTRATOR:
        return ALL
    source = parent_overwrites if (is_thread and parent_overwrites is not None) else overwrites
    perms = _apply_overwrites(base, standing, source)
    perms &= ALL
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    send_bit = Perm.SEND_MESSAGES_IN_THREADS if is_thread else Perm.SEND_MESSAGES
    if not perms & send_bit:
        perms &= ~SEND_DEPENDENT
    return perms


def can_send_messages(perms: int, *, is_thread: bool = False) -> bool:
    needed = Perm.VIEW_CHANNEL | (Perm.SEND_MESSAGES_IN_THREADS if is_thread else Perm.SEND_MESSAGES)
    return perms & needed == needed


def can_manage_role(*, actor_top_position: int, role_position: int, actor_perms: int, actor_is_owner: bool) -> bool:
    """Whether the actor may edit, assign or remove a role (Permission Hierarchy in Discord's docs)."""
    if actor_is_owner:
        return True
    if not actor_perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
        return False
    return actor_top_position > role_position
