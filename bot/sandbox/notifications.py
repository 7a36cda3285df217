"""Who Discord notifies for a new message, and the message's mention fields.

Rules from developers/resources/message ("Allowed Mentions Object") and developers/topics/permissions
(MENTION_EVERYONE). Decisions where Discord does not document the behaviour:

- Mentions inside code (```fenced``` or `inline`) are not parsed, as Discord's server does not ping
  them (Discord reimplementations file the opposite as a bug: oldcordapp/Oldcord#53, fluxerapp/fluxer#684).
- The double has no presence, so @here is treated as @everyone restricted to viewers: every viewer.
- Without `allowed_mentions` a reply pings the replied-to author (Discord's default for replies);
  with it, only `replied_user: true` does.
- The mention fields of the message object (`mentions`, `mention_roles`, `mention_everyone`) hold what
  was actually allowed to ping, whether or not the person can see the channel.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

__all__ = [
    "REASONS",
    "SUPPRESS_NOTIFICATIONS",
    "EffectiveMentions",
    "MentionInputs",
    "Notification",
    "effective_mentions",
    "mentions_in",
    "message_mentions_payload",
    "notified_by_message",
    "validate_allowed_mentions",
]

SUPPRESS_NOTIFICATIONS = 1 << 12
MAX_ALLOWED_MENTION_IDS = 100
PARSE_TYPES = ("roles", "users", "everyone")
REASONS = ("dm", "user_mention", "reply", "role_mention", "everyone", "here")


@dataclass(frozen=True)
class Notification:
    user_id: int
    channel_id: int
    message_id: int
    reason: str  # "user_mention" | "role_mention" | "everyone" | "here" | "dm" | "reply"


_FENCED = re.compile(r"```.*?```", re.DOTALL)
# Discord's inline code may use one or two backticks as the delimiter.
_INLINE = re.compile(r"``[^`].*?``|`[^`]+`", re.DOTALL)
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")


def _strip_code(content: str) -> str:
    return _INLINE.sub(" ", _FENCED.sub(" ", content))


def mentions_in(content: str) -> tuple[set[int], set[int], bool, bool]:
    """(user ids, role ids, "@everyone" present, "@here" present), ignoring code spans and blocks."""
    text = _strip_code(content or "")
    users = {int(m) for m in _USER.findall(text)}
    roles = {int(m) for m in _ROLE.findall(text)}
    return users, roles, "@everyone" in text, "@here" in text


def validate_allowed_mentions(am: Mapping[str, Any] | None) -> str | None:
    """Discord's 400 reasons for an allowed_mentions object, as one sentence; None when valid."""
    if am is None:
        return None
    if not isinstance(am, Mapping):
        return "allowed_mentions must be an object."
    parse = am.get("parse", [])
    if not isinstance(parse, list):
        return "allowed_mentions.parse must be an array."
    for p in parse:
        if p not in PARSE_TYPES:
            return f"Value must be one of ({', '.join(repr(t) for t in PARSE_TYPES)})."
    for kind in ("users", "roles"):
        ids = am.get(kind)
        if ids is None:
            continue
        if not isinstance(ids, list):
            return f"allowed_mentions.{kind} must be an array."
        if kind in parse and ids:
            # Discord's MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE text.
            return f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.'
        if len(ids) > MAX_ALLOWED_MENTION_IDS:
            return f"Must be {MAX_ALLOWED_MENTION_IDS} or fewer in length."
        for i in ids:
            try:
                int(i)
            except (TypeError, ValueError):
                return "Value is not snowflake."
    replied = am.get("replied_user")
    if replied is not None and not isinstance(replied, bool):
        return "Must be either true or false."
    return None


@dataclass(frozen=True)
class EffectiveMentions:
    """The mentions that may ping, after allowed_mentions and the author's permissions."""

    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[int] = field(default_factory=frozenset)
    everyone: bool = False
    here: bool = False
    replied_user: int | None = None


def _ids(values: Any) -> set[int]:
    return {int(v) for v in values or ()}


def effective_mentions(
    *,
    content: str,
    allowed_mentions: Mapping[str, Any] | None,
    message_reference_author_id: int | None,
    mentionable_role_ids: Collection[int],
    author_may_mention_everyone: bool,
) -> EffectiveMentions:
    users, roles, everyone, here = mentions_in(content)
    if allowed_mentions is None:
        allow_users, allow_roles, allow_everyone = users, roles, True
        ping_reply = True
    else:
        parse = list(allowed_mentions.get("parse") or [])
        allow_users = users if "users" in parse else users & _ids(allowed_mentions.get("users"))
        allow_roles = roles if "roles" in parse else roles & _ids(allowed_mentions.get("roles"))
        allow_everyone = "everyone" in parse
        ping_reply = bool(allowed_mentions.get("replied_user", False))
    # A non-mentionable role pings only for an author who may mention everyone (MENTION_EVERYONE is
    # "Mention @everyone, @here, and All Roles" in Discord's client).
    pingable_roles = {r for r in allow_roles if author_may_mention_everyone or r in mentionable_role_ids}
    can_everyone = allow_everyone and author_may_mention_everyone
    return EffectiveMentions(
        users=frozenset(allow_users),
        roles=frozenset(pingable_roles),
        everyone=can_everyone and everyone,
        here=can_everyone and here,
        replied_user=message_reference_author_id if ping_reply else None,
    )


class MentionInputs(TypedDict):
    """`effective_mentions`'s arguments, which the two functions below pass on."""

    content: str
    allowed_mentions: Mapping[str, Any] | None
    message_reference_author_id: int | None
    mentionable_role_ids: Collection[int]
    author_may_mention_everyone: bool


def message_mentions_payload(**mentions: Unpack[MentionInputs]) -> dict[str, Any]:
    """Ids for the message object's `mentions` (user ids, to be resolved to user objects by the
    caller), `mention_roles` (snowflake strings) and `mention_everyone`. A pinged replied-to author
    is listed in `mentions`, as Discord does."""
    eff = effective_mentions(**mentions)
    user_ids = sorted(eff.users)
    if eff.replied_user is not None and eff.replied_user not in eff.users:
        user_ids.append(eff.replied_user)
    return {
        "mention_user_ids": user_ids,
        "mention_roles": [str(r) for r in sorted(eff.roles)],
        # Discord sets mention_everyone for @here as well as @everyone.
        "mention_everyone": eff.everyone or eff.here,
    }


def notified_by_message(
    *,
    message_id: int,
    channel_id: int,
    author_id: int,
    flags: int,
    is_dm: bool,
    dm_recipient_id: int | None,
    viewers: Collection[int],
    role_members: Mapping[int, Collection[int]],
    **mentions: Unpack[MentionInputs],
) -> list[Notification]:
    """Notifications for a newly created message, one per person, in precedence order of reasons."""
    if flags & SUPPRESS_NOTIFICATIONS:
        return []
    eff = effective_mentions(**mentions)
    viewer_set = set(viewers)
    out: list[Notification] = []
    seen: set[int] = {author_id}

    def add(user_id: int, reason: str, *, needs_view: bool = True) -> None:
        if user_id in seen or (needs_view and user_id not in viewer_set):
            return
        seen.add(user_id)
        out.append(Notification(user_id=user_id, channel_id=channel_id, message_id=message_id, reason=reason))

    if is_dm and dm_recipient_id is not None:
        add(dm_recipient_id, "dm", needs_view=False)
    for uid in sorted(eff.users):
        add(uid, "user_mention")
    if eff.replied_user is not None:
        add(eff.replied_user, "reply")
    for rid in sorted(eff.roles):
        for uid in sorted(role_members.get(rid, ())):
            add(uid, "role_mention")
    if eff.everyone:
        for uid in sorted(viewer_set):
            add(uid, "everyone")
    if eff.here:
        for uid in sorted(viewer_set):
            add(uid, "here")
    return out
