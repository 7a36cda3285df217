"""What following shows on Discord: the name of an incident's follow role, and its mention at the head of the
incident's thread posts (the one message that reaches every follower and nobody else)."""

from __future__ import annotations

from typing import Any

from bot.common.limits import MESSAGE_CONTENT

# A Discord role id, known, or a placeholder for the result of the outbox row creating it (`$ref`).
RoleRef = int | dict[str, Any]

_FOLLOW_ROLE_NAME = "suivi #{number}"


def follow_role_name(number: int) -> str:
    return _FOLLOW_ROLE_NAME.format(number=number)


def with_role_mention(post: dict[str, Any], role: RoleRef | None) -> dict[str, Any]:
    """The thread post mentioning `role` first, allowed to ping exactly that role (and the people it already
    names)."""
    if role is None:
        return post
    allowed = dict(post["allowed_mentions"])
    content = str(post.get("content") or "")[: MESSAGE_CONTENT - 32]
    if isinstance(role, int):
        mention: Any = f"<@&{role}> "
        return {**post, "content": mention + content, "allowed_mentions": {**allowed, "roles": [role]}}
    prefix = {**role, "format": "<@&{}> ", "default": ""}
    return {
        **post,
        "content": {"$concat": [prefix, content]},
        "allowed_mentions": {**allowed, "roles": [role]},
    }


def with_note(content: str, note: str) -> str:
    """A member's reply with a note after it, within Discord's 2,000 characters (the note is kept whole)."""
    return f"{content[: max(0, MESSAGE_CONTENT - len(note) - 2)]}\n\n{note}"[:MESSAGE_CONTENT]
