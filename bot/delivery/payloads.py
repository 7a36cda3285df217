"""What an outbox payload may hold (bot/delivery/kinds.py lists each kind's fields): checked when a row is
enqueued, and its references to other rows' results (`$ref`, `$concat`) resolved when it is claimed.

A thread Discord refused to create because the server is at its cap on active threads (400, code 160006) is
recorded failed, but the rows that refer to it are not lost with it (`UnmadeThread`): a link to it points at its
parent instead (at the status message the thread would have started from, when there is one); a post into a
thread started from a message (or into a thread without one) goes to its parent channel; an edit of that thread
is skipped (there is nothing to rename, tag or archive). A forum post's parent takes no messages, so what would
go into it waits. The next post or edit enqueued into such a thread puts the refused row back to pending: Discord
is asked again first (a slot may have been freed since), and what follows goes into the thread if it now exists.

How a payload uses another row decides what its failure does to it (bot/delivery/dependencies.py): a `$ref`
without a default needs the result; with a "default", takes the default; with a "format" (a link), takes a
stand-in link when the row is not there (`links`: the status message the thread would start from, else its
channel). An `{"$outcomes": {"rows": [[row, label], ...], "say": {verdict: sentence}, "causes": {cause: words}}}`
part (a private reply's account of where a command's messages went) waits until each row is settled, then becomes
one line per verdict and cause: the sentence with "{items}" replaced by the labels of its rows and "{cause}" by
the words of the cause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.dependencies import Cause, Need, Verdict
from bot.delivery.kinds import SEND_KINDS, OutboxKind

_MENTION_PARSE = frozenset({"users", "roles", "everyone"})
OUTCOMES = "$outcomes"
# What a sentence of an `$outcomes` part is filled with: the labels of its rows, the words of their cause.
ITEMS = "{items}"
CAUSE = "{cause}"


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


def reference_uses(value: Any) -> Iterable[tuple[int, Need]]:
    """(row id, how it is needed) for every `$ref` and every row of an `$outcomes` part in a payload."""
    if isinstance(value, dict):
        if "$ref" in value:
            if "default" in value:
                yield int(value["$ref"]), Need.DEFAULT
            elif "format" in value:
                yield int(value["$ref"]), Need.LINK
            else:
                yield int(value["$ref"]), Need.RESULT
        elif OUTCOMES in value:
            for row_id, _ in value[OUTCOMES]["rows"]:
                yield int(row_id), Need.SETTLED
        else:
            for item in value.values():
                yield from reference_uses(item)
    elif isinstance(value, list):
        for item in value:
            yield from reference_uses(item)


@dataclass(frozen=True)
class Resolution:
    """What a claimed row's references are replaced with: the results of the rows delivered, the stand-ins of
    threads refused for the cap, stand-in links (as "<channel>[/<message>]") for linked rows that are not there,
    and the verdict and cause of each row an `$outcomes` part reports."""

    results: dict[int, dict[str, Any]]
    unmade: dict[int, UnmadeThread] = field(default_factory=dict)
    links: dict[int, str] = field(default_factory=dict)
    outcomes: dict[int, tuple[Verdict, Cause | None]] = field(default_factory=dict)


def resolve(value: Any, found: Resolution) -> Any:
    """`value` with every `$ref` replaced by the referenced row's result (or its stand-in, or its default), every
    `$concat` joined and every `$outcomes` worded. Raises KeyError for a result field that does not exist,
    `WaitForThreadError` for a reference to a forum post not created yet."""
    return _resolve(value, found)


def _resolve(value: Any, found: Resolution) -> Any:
    if isinstance(value, dict):
        if "$ref" in value:
            return _reference(value, found)
        if "$concat" in value:
            return "".join(str(_resolve(part, found)) for part in value["$concat"])
        if OUTCOMES in value:
            return worded_outcomes(value[OUTCOMES], found.outcomes)
        return {key: _resolve(item, found) for key, item in value.items()}
    if isinstance(value, list):
        # A list item whose reference fell back to a None default is left out (a role no longer mentioned).
        resolved = [_resolve(item, found) for item in value]
        return [item for item, raw in zip(resolved, value, strict=True) if item is not None or raw is None]
    return value


def _reference(value: dict[str, Any], found: Resolution) -> Any:
    row_id = int(value["$ref"])
    template = value.get("format")
    if row_id not in found.results and "default" in value:
        return value["default"]
    if row_id in found.unmade:
        return found.unmade[row_id].stand_in(str(value.get("field", "message_id")), template)
    if template is not None and row_id not in found.results and row_id in found.links:
        return str(template).replace("{}", found.links[row_id])
    result = found.results[row_id]
    field_name = str(value.get("field", "message_id"))
    if field_name not in result:
        raise KeyError(f"row {row_id} has no result field {field_name!r}")
    # A link to what another row makes (a thread's URL) is a string around its id.
    return str(template).replace("{}", str(result[field_name])) if template is not None else result[field_name]


def worded_outcomes(part: dict[str, Any], outcomes: dict[int, tuple[Verdict, Cause | None]]) -> str:
    """One line (each starting with a new line) per verdict and cause among the rows of an `$outcomes` part,
    in the order of its sentences, listing the labels of the rows it holds; a verdict without a sentence says
    nothing."""
    say: dict[str, str] = part.get("say", {})
    causes: dict[str, str] = part.get("causes", {})
    groups: dict[tuple[str, str], list[str]] = {}
    for row_id, label in part["rows"]:
        found, why = outcomes.get(int(row_id), (Verdict.DONE, None))
        groups.setdefault((found.value, why.value if why is not None else ""), []).append(str(label))
    lines = []
    for verdict, sentence in say.items():
        for (found_verdict, cause), labels in groups.items():
            if found_verdict == verdict and sentence:
                words = causes.get(cause, causes.get(Cause.REFUSED.value, ""))
                lines.append("\n" + sentence.replace(ITEMS, ", ".join(labels)).replace(CAUSE, words))
    return "".join(lines)


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
    if kind == OutboxKind.SEND_WEBHOOK and not all(k in payload for k in ("webhook_id", "key", "body")):
        raise ValueError("send_webhook needs webhook_id, key and body")
    _check_outcomes(payload)


def _check_outcomes(value: Any) -> None:
    if isinstance(value, dict):
        if OUTCOMES in value:
            part = value[OUTCOMES]
            rows = part.get("rows") if isinstance(part, dict) else None
            if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 2 for r in rows):
                raise ValueError("$outcomes needs rows as [row id, label] pairs")
            if not isinstance(part.get("say", {}), dict) or not isinstance(part.get("causes", {}), dict):
                raise ValueError("$outcomes: say and causes map names to sentences")
            return
        for item in value.values():
            _check_outcomes(item)
    elif isinstance(value, list):
        for item in value:
            _check_outcomes(item)
