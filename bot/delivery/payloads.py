"""What an outbox payload may hold (bot/delivery/kinds.py lists each kind's fields): checked when a row is
enqueued, and its references to other rows' results (`$ref`, `$concat`) resolved when it is claimed.

A thread Discord refused to create because the server is at its cap on active threads (400, code 160006) is
recorded failed, but the rows that refer to it are not lost with it (`UnmadeThread`): a link to it points at its
parent instead (at the status message the thread would have started from, when there is one); a post into a
thread started from a message (or into a thread without one) goes to its parent channel; an edit of that thread
is skipped (there is nothing to rename, tag or archive). A forum post's parent takes no messages, so what would
go into it waits. The next post or edit enqueued into such a thread puts the refused row back to pending: Discord
is asked again first (a slot may have been freed since), and what follows goes into the thread if it now exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.delivery.kinds import SEND_KINDS, OutboxKind

_MENTION_PARSE = frozenset({"users", "roles", "everyone"})


class WaitForThreadError(Exception):
    def __init__(self, row_id: int) -> None:
        super().__init__(f"row {row_id}: the forum post was not created")
        self.row_id = row_id


@dataclass(frozen=True)
class UnmadeThread:
    """A thread or forum post Discord refused to create because the server was at its cap on active threads
    (160006), and what the rows referring to it get in its place."""

    row_id: int
    parent_id: str
    # What a link to the thread points at instead: "<parent>/<status message>" (a jump to the message the thread
    # would have started from), else "<parent>".
    link: str
    # A forum post: its parent takes no messages, so posts into it, its edits and its starter message's edits
    # wait until it exists.
    in_forum: bool

    def stand_in(self, field: str, template: Any) -> Any:
        if template is not None:
            return str(template).replace("{}", self.link)
        if self.in_forum:
            raise WaitForThreadError(self.row_id)
        if field in ("thread_id", "channel_id"):
            return self.parent_id
        raise KeyError(f"row {self.row_id} has no result field {field!r}")


def referenced_row(value: Any) -> int | None:
    """The row a `$ref` placeholder points at; None if `value` is not one."""
    return int(value["$ref"]) if isinstance(value, dict) and "$ref" in value else None


def referenced_rows(value: Any) -> Iterable[int]:
    yield from (row_id for row_id, _ in reference_uses(value))


def reference_uses(value: Any) -> Iterable[tuple[int, bool]]:
    """(row id, whether the reference has a default) for every `$ref` in a payload."""
    if isinstance(value, dict):
        if "$ref" in value:
            yield int(value["$ref"]), "default" in value
        else:
            for item in value.values():
                yield from reference_uses(item)
    elif isinstance(value, list):
        for item in value:
            yield from reference_uses(item)


def resolve(value: Any, results: dict[int, dict[str, Any]], unmade: dict[int, UnmadeThread] | None = None) -> Any:
    """`value` with every `$ref` replaced by the referenced row's result (or its stand-in, or its default) and
    every `$concat` joined. Raises KeyError for a result field that does not exist, `WaitForThreadError` for a
    reference to a forum post not created yet."""
    if isinstance(value, dict):
        if "$ref" in value:
            if int(value["$ref"]) not in results and "default" in value:
                return value["default"]
            if unmade and int(value["$ref"]) in unmade:
                return unmade[int(value["$ref"])].stand_in(str(value.get("field", "message_id")), value.get("format"))
            result = results[int(value["$ref"])]
            field = str(value.get("field", "message_id"))
            if field not in result:
                raise KeyError(f"row {value['$ref']} has no result field {field!r}")
            # A link to what another row makes (a thread's URL) is a string around its id.
            template = value.get("format")
            return str(template).replace("{}", str(result[field])) if template is not None else result[field]
        if "$concat" in value:
            return "".join(str(resolve(part, results, unmade)) for part in value["$concat"])
        return {key: resolve(item, results, unmade) for key, item in value.items()}
    if isinstance(value, list):
        # A list item whose reference fell back to a None default is left out (a role no longer mentioned).
        resolved = [resolve(item, results, unmade) for item in value]
        return [item for item, raw in zip(resolved, value, strict=True) if item is not None or raw is None]
    return value


def _check_allowed_mentions(where: str, allowed: Any) -> None:
    if not isinstance(allowed, dict):
        raise ValueError(
            f"{where} needs allowed_mentions (e.g. {{'parse': [], 'users': [], 'roles': []}}): "
            "every send must "
            "name exactly whom it may ping"
        )
    parse = allowed.get("parse", [])
    if not isinstance(parse, list) or not set(parse) <= _MENTION_PARSE:
        raise ValueError(f"{where}: allowed_mentions.parse must be a list drawn from {sorted(_MENTION_PARSE)}")
    for key in ("users", "roles"):
        listed = allowed.get(key, [])
        if not isinstance(listed, list):
            raise ValueError(f"{where}: allowed_mentions.{key} must be a list of ids")
        if listed and key in parse:
            raise ValueError(f"{where}: allowed_mentions cannot both parse {key} and list them (Discord 400)")


def validate(kind: str, payload: dict[str, Any]) -> None:
    """Refuses (ValueError) a payload its kind cannot deliver: a send that does not name whom it may ping, a
    message without its channel, a DM without its member, a reply edit without its interaction."""
    if kind in SEND_KINDS:
        _check_allowed_mentions(kind, payload.get("allowed_mentions"))
    if kind == OutboxKind.CREATE_THREAD and "message" in payload:
        message = payload["message"]
        if not isinstance(message, dict):
            raise ValueError("create_thread: message must be an object")
        _check_allowed_mentions("create_thread (forum post)", message.get("allowed_mentions"))
    if kind == OutboxKind.SEND_MESSAGE and "channel_id" not in payload:
        raise ValueError("send_message needs channel_id")
    if kind == OutboxKind.SHOW_BOARD and not ("board_id" in payload and "channel_id" in payload):
        raise ValueError("show_board needs board_id and channel_id")
    if kind == OutboxKind.SEND_DM and "user_id" not in payload:
        raise ValueError("send_dm needs user_id")
    if kind == OutboxKind.EDIT_INTERACTION_REPLY and not (payload.get("application_id") and payload.get("token")):
        raise ValueError("edit_interaction_reply needs application_id and token")
