"""The outbox: every send, edit, thread and role change a use case decides, written in its transaction.

Use cases call `enqueue` inside their unit of work; the worker (bot/delivery/worker.py) claims the head of
each lane after commit, performs it and records the outcome with the functions below, each in its own short
unit of work. Nothing here talks to Discord.

Row kinds of the foundation (the set stays open; unknown kinds are stored and reported failed by the transport
that does not know them):
  send_message   channel_id, content?, embeds?, components?, allowed_mentions (required), silent?
  edit_message   channel_id, message_id, content?, embeds?, components?, allowed_mentions?
  delete_message channel_id, message_id
  create_thread  channel_id, message_id, name, auto_archive_duration?            (thread from a message)
                 channel_id, name, auto_archive_duration?, type?, invitable?     (thread without a message)
                 channel_id, name, message{content?, embeds?, components?, allowed_mentions (required)},
                 applied_tags?, auto_archive_duration?                           (forum post)
  edit_thread    thread_id, name?, archived?, locked?, applied_tags?, auto_archive_duration?
  add_role / remove_role   guild_id, user_id, role_id
  create_role    guild_id, name, mentionable?, color?, hoist?
  delete_role    guild_id, role_id
  send_dm        user_id, content?, embeds?, components?, allowed_mentions (required), silent?
  edit_interaction_reply   application_id, token, content (a string, or a list of strings and `$ref`s joined
                 once resolved)                                                  (the private reply of a command)
A string value may be {"$concat": [parts]}: the parts joined once their `$ref`s are resolved. A `$ref` with a
"default" stands for that default when the referenced row failed (a thread post still goes out, without the
follow role's mention, when the role could not be created).
Results: sends {"message_id", "channel_id"}; create_thread {"thread_id", "channel_id"} (+ "message_id" for a
forum post); edit_thread {"thread_id"}; create_role {"role_id"}; edit_interaction_reply {"message_id"}; others {}.

A thread Discord refused to create because the server is at its cap on active threads (400, code 160006) is
recorded failed, but the rows that refer to it are not lost with it (`UnmadeThread`): a link to it points at its
parent instead (at the status message the thread would have started from, when there is one); a post into a
thread started from a message (or into a thread without one) goes to its parent channel; an edit of that thread
is skipped (there is nothing to rename, tag or archive). A forum post's parent takes no messages, so what would
go into it waits. The next post or edit enqueued into such a thread puts the refused row back to pending: Discord
is asked again first (a slot may have been freed since), and what follows goes into the thread if it now exists.

`edit_interaction_reply` completes a private reply already sent (the link to a thread that did not exist yet).
Interaction tokens live 15 minutes: an edit delivered later is refused by Discord (404 Unknown Webhook) and
recorded failed like any permanent failure; nothing else depends on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.times import from_db_time, to_db_time

SEND_KINDS = frozenset({"send_message", "send_dm"})
FOUNDATION_KINDS = frozenset(
    {
        "send_message",
        "edit_message",
        "delete_message",
        "create_thread",
        "edit_thread",
        "add_role",
        "remove_role",
        "create_role",
        "delete_role",
        "send_dm",
    }
)
WAITING = ("pending", "in_flight")
DEPENDENCY_FAILED = "dependency_failed"
# Discord's JSON code for "Maximum number of active threads reached" (400): the server has its 1000 active threads.
TOO_MANY_THREADS = 160006
_MENTION_PARSE = frozenset({"users", "roles", "everyone"})


def channel_lane(channel_id: int) -> str:
    return f"channel:{channel_id}"


def dm_lane(user_id: int) -> str:
    return f"dm:{user_id}"


def roles_lane(guild_id: int) -> str:
    return f"guild:{guild_id}:roles"


def reply_lane(guild_id: int | None) -> str:
    # One lane per server: its edits wait in declaration order for threads made in that order.
    return f"guild:{guild_id}:replies" if guild_id is not None else "replies"


def edit_coalesce_key(channel_id: int, message_id: int | str) -> str:
    return f"edit:{channel_id}:{message_id}"


def ref(row_id: int, field: str = "message_id", *, template: str | None = None) -> dict[str, Any]:
    """A payload placeholder for a field of another row's result, filled in when this row is delivered; with a
    `template`, the field's value replaces its "{}" (a URL around a thread id)."""
    placeholder: dict[str, Any] = {"$ref": row_id, "field": field}
    if template is not None:
        placeholder["format"] = template
    return placeholder


@dataclass(frozen=True)
class OutboxRow:
    id: int
    guild_id: int | None
    lane: str
    kind: str
    payload: dict[str, Any]
    depends_on: int | None
    coalesce_key: str | None
    status: str
    attempts: int
    not_before: datetime | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    result: dict[str, Any] | None
    error_status: int | None
    error_code: int | None
    error_text: str | None


@dataclass(frozen=True)
class Delivery:
    """A claimed row ready to perform: its payload has every `$ref` replaced by the referenced result."""

    id: int
    guild_id: int | None
    lane: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    # When an earlier attempt of this row may have acted on Discord: its first attempt's time (else None), and
    # when this attempt was claimed; a transport compares them with Discord's nonce window.
    earlier_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    # The code of the permanent failure this row had before it was put back to pending (a thread refused for
    # the active-thread cap, asked again), if any: that failure was already told.
    earlier_error_code: int | None = None

    @property
    def nonce(self) -> str:
        return nonce_for(self.id)


def nonce_for(row_id: int) -> str:
    # Discord accepts nonces up to 25 characters; "o" + a row id stays far below.
    return f"o{row_id}"


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    in_flight: int
    failed: int
    done: int
    superseded: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class Claimed:
    delivery: Delivery


@dataclass(frozen=True)
class Blocked:
    """The lane's head waits for another row (its dependency or a referenced row) to be delivered."""

    row_id: int
    waiting_for: int


@dataclass(frozen=True)
class Busy:
    """The lane's head is already in flight (claimed by a worker that has not recorded it yet)."""

    row_id: int


ClaimResult = Claimed | Blocked | Busy | None


class _WaitForThread(Exception):
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
            raise _WaitForThread(self.row_id)
        if field in ("thread_id", "channel_id"):
            return self.parent_id
        raise KeyError(f"row {self.row_id} has no result field {field!r}")


async def unmade_thread(conn: aiosqlite.Connection, row_id: int) -> UnmadeThread | None:
    """The stand-in of row `row_id` if it is a thread creation that failed for the active-thread cap."""
    async with conn.execute("SELECT kind, status, error_code, payload FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    if values is None or values[0] != "create_thread" or values[1] != "failed" or values[2] != TOO_MANY_THREADS:
        return None
    payload = json.loads(values[3])
    parent = payload.get("channel_id")
    if parent is None or isinstance(parent, dict):
        return None
    link = str(parent)
    message_id = payload.get("message_id")
    if isinstance(message_id, dict) and "$ref" in message_id:
        async with conn.execute("SELECT status, result FROM outbox WHERE id = ?", (int(message_id["$ref"]),)) as cursor:
            status_row = await cursor.fetchone()
        result = json.loads(status_row[1]) if status_row is not None and status_row[1] is not None else {}
        message_id = result.get(str(message_id.get("field", "message_id")))
    if message_id is not None and not isinstance(message_id, dict):
        link = f"{parent}/{message_id}"
    return UnmadeThread(row_id, str(parent), link, in_forum="message" in payload)


def _ref_row(value: Any) -> int | None:
    return int(value["$ref"]) if isinstance(value, dict) and "$ref" in value else None


async def _ask_again_for_unmade_thread(
    conn: aiosqlite.Connection, kind: str, payload: dict[str, Any], stamp: str
) -> None:
    """A new post or edit into a thread refused for the cap puts the refused creation back to pending: it is the
    lower id of its lane, so Discord is asked again before anything else of the incident (a slot may be free by
    now). Its failure stays recorded (`error_code`, `failure_told_at`), so failing again is not told again."""
    if kind not in ("send_message", "edit_message"):
        return
    target = payload.get("channel_id")
    if not isinstance(target, dict) or target.get("field") != "thread_id" or "format" in target:
        return
    row_id = _ref_row(target)
    if row_id is None:
        return
    await conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, first_attempt_at = NULL, not_before = NULL, "
        "done_at = NULL, updated_at = ? WHERE id = ? AND kind = 'create_thread' AND status = 'failed' "
        "AND error_code = ?",
        (stamp, row_id, TOO_MANY_THREADS),
    )


def _refs(value: Any) -> Iterable[int]:
    yield from (row_id for row_id, _ in _ref_uses(value))


def _ref_uses(value: Any) -> Iterable[tuple[int, bool]]:
    """(row id, whether the reference has a default) for every `$ref` in a payload."""
    if isinstance(value, dict):
        if "$ref" in value:
            yield int(value["$ref"]), "default" in value
        else:
            for item in value.values():
                yield from _ref_uses(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ref_uses(item)


def _resolve(value: Any, results: dict[int, dict[str, Any]], unmade: dict[int, UnmadeThread] | None = None) -> Any:
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
            return "".join(str(_resolve(part, results, unmade)) for part in value["$concat"])
        return {key: _resolve(item, results, unmade) for key, item in value.items()}
    if isinstance(value, list):
        # A list item whose reference fell back to a None default is left out (a role no longer mentioned).
        resolved = [_resolve(item, results, unmade) for item in value]
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


def _validate(kind: str, payload: dict[str, Any]) -> None:
    if kind in SEND_KINDS:
        _check_allowed_mentions(kind, payload.get("allowed_mentions"))
    if kind == "create_thread" and "message" in payload:
        message = payload["message"]
        if not isinstance(message, dict):
            raise ValueError("create_thread: message must be an object")
        _check_allowed_mentions("create_thread (forum post)", message.get("allowed_mentions"))
    if kind == "send_message" and "channel_id" not in payload:
        raise ValueError("send_message needs channel_id")
    if kind == "send_dm" and "user_id" not in payload:
        raise ValueError("send_dm needs user_id")
    if kind == "edit_interaction_reply" and not (payload.get("application_id") and payload.get("token")):
        raise ValueError("edit_interaction_reply needs application_id and token")


async def enqueue(
    conn: aiosqlite.Connection,
    *,
    guild_id: int | None,
    lane: str,
    kind: str,
    payload: dict[str, Any],
    depends_on: int | None = None,
    coalesce_key: str | None = None,
    now: datetime,
) -> int:
    """Adds a row to deliver after the caller's unit of work commits; returns its id.

    With a `coalesce_key`, older rows with that key still pending are marked superseded: only the latest of
    several waiting edits of one message is sent. Refuses (ValueError) a send without `allowed_mentions`, a
    payload that is not JSON, and references to rows that do not exist."""
    if not lane or not kind:
        raise ValueError("an outbox row needs a lane and a kind")
    _validate(kind, payload)
    try:
        encoded = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox payload of {kind} is not JSON: {exc}") from exc
    referenced = set(_refs(payload))
    if depends_on is not None:
        referenced.add(depends_on)
    for row_id in referenced:
        async with conn.execute("SELECT 1 FROM outbox WHERE id = ?", (row_id,)) as cursor:
            if await cursor.fetchone() is None:
                raise ValueError(f"outbox row {row_id} referenced by a new {kind} row does not exist")
    stamp = to_db_time(now)
    await _ask_again_for_unmade_thread(conn, kind, payload, stamp)
    if coalesce_key is not None:
        await conn.execute(
            "UPDATE outbox SET status = 'superseded', updated_at = ? WHERE coalesce_key = ? AND status = 'pending'",
            (stamp, coalesce_key),
        )
    cursor = await conn.execute(
        "INSERT INTO outbox (guild_id, lane, kind, payload, depends_on, coalesce_key, status, attempts, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        (guild_id, lane, kind, encoded, depends_on, coalesce_key, stamp, stamp),
    )
    new_id = cursor.lastrowid
    await cursor.close()
    assert new_id is not None
    return int(new_id)


_COLUMNS = (
    "id, guild_id, lane, kind, payload, depends_on, coalesce_key, status, attempts, not_before, created_at, "
    "updated_at, done_at, result, error_status, error_code, error_text"
)


def _row(values: Any) -> OutboxRow:
    def time_or_none(text: str | None) -> datetime | None:
        return from_db_time(text) if text is not None else None

    return OutboxRow(
        id=int(values[0]),
        guild_id=values[1],
        lane=values[2],
        kind=values[3],
        payload=json.loads(values[4]),
        depends_on=values[5],
        coalesce_key=values[6],
        status=values[7],
        attempts=int(values[8]),
        not_before=time_or_none(values[9]),
        created_at=from_db_time(values[10]),
        updated_at=from_db_time(values[11]),
        done_at=time_or_none(values[12]),
        result=json.loads(values[13]) if values[13] is not None else None,
        error_status=values[14],
        error_code=values[15],
        error_text=values[16],
    )


async def get(conn: aiosqlite.Connection, row_id: int) -> OutboxRow | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,)) as cursor:  # noqa: S608
        values = await cursor.fetchone()
    return _row(values) if values is not None else None


async def rows_of_lane(conn: aiosqlite.Connection, lane: str) -> list[OutboxRow]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE lane = ? ORDER BY id",  # noqa: S608
        (lane,),
    ) as cursor:
        return [_row(values) for values in await cursor.fetchall()]


async def lanes_with_work(conn: aiosqlite.Connection) -> list[str]:
    """Lanes that have a pending row, oldest work first."""
    async with conn.execute(
        "SELECT lane FROM outbox WHERE status = 'pending' GROUP BY lane ORDER BY MIN(id)"
    ) as cursor:
        return [str(values[0]) for values in await cursor.fetchall()]


async def claim_next(conn: aiosqlite.Connection, lane: str, *, now: datetime) -> ClaimResult:
    """Claims the head of `lane` (its lowest waiting id) for delivery: marks it in_flight, counts the attempt
    and returns it with its references resolved. A head whose dependency failed is marked failed
    (`dependency_failed`) and the next one is considered. Returns None when the lane is empty."""
    stamp = to_db_time(now)
    while True:
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE lane = ? AND status IN ('pending', 'in_flight') "  # noqa: S608
            "ORDER BY id LIMIT 1",
            (lane,),
        ) as cursor:
            values = await cursor.fetchone()
        if values is None:
            return None
        head = _row(values)
        if head.status == "in_flight":
            return Busy(head.id)
        uses = list(_ref_uses(head.payload))
        needed = {row_id for row_id, _ in uses}
        optional = {row_id for row_id, has_default in uses if has_default} - {
            row_id for row_id, has_default in uses if not has_default
        }
        if head.depends_on is not None:
            needed.add(head.depends_on)
            optional.discard(head.depends_on)
        results: dict[int, dict[str, Any]] = {}
        unmade: dict[int, UnmadeThread] = {}
        waiting_for: int | None = None
        broken: int | None = None
        for row_id in sorted(needed):
            async with conn.execute("SELECT status, result FROM outbox WHERE id = ?", (row_id,)) as cursor:
                dep = await cursor.fetchone()
            if dep is None or dep[0] in ("failed", "superseded"):
                if row_id in optional:
                    continue  # its placeholders take their defaults
                stand_in = await unmade_thread(conn, row_id) if row_id != head.depends_on else None
                if stand_in is not None:
                    unmade[row_id] = stand_in  # a thread refused for the cap: its parent stands in
                    continue
                broken = row_id
                break
            if dep[0] != "done":
                waiting_for = row_id
                continue
            results[row_id] = json.loads(dep[1]) if dep[1] is not None else {}
        if broken is None and waiting_for is None:
            edited = _ref_row(head.payload.get("thread_id")) if head.kind == "edit_thread" else None
            thread = unmade.get(edited) if edited is not None else None
            if thread is not None and not thread.in_forum:
                # No thread to rename, tag or archive: its posts went to its parent channel.
                await mark_done(conn, head.id, {"skipped": f"thread of row {thread.row_id} not created"}, now=now)
                continue
            try:
                payload = _resolve(head.payload, results, unmade)
            except _WaitForThread as exc:
                return Blocked(head.id, exc.row_id)
            except KeyError as exc:
                await mark_failed(conn, head.id, status=None, code=None, text=f"{DEPENDENCY_FAILED}: {exc}", now=now)
                continue
            async with conn.execute("SELECT first_attempt_at FROM outbox WHERE id = ?", (head.id,)) as cursor:
                first = await cursor.fetchone()
            earlier = from_db_time(first[0]) if first is not None and first[0] is not None else None
            await conn.execute(
                "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, not_before = NULL, "
                "updated_at = ?, first_attempt_at = COALESCE(first_attempt_at, ?) "
                "WHERE id = ?",
                (stamp, stamp, head.id),
            )
            return Claimed(
                Delivery(
                    head.id,
                    head.guild_id,
                    head.lane,
                    head.kind,
                    payload,
                    head.attempts + 1,
                    earlier_attempt_at=earlier if head.attempts > 0 else None,
                    claimed_at=now,
                    earlier_error_code=head.error_code,
                )
            )
        if broken is not None:
            await mark_failed(conn, head.id, status=None, code=None, text=f"{DEPENDENCY_FAILED}: row {broken}", now=now)
            continue
        assert waiting_for is not None
        return Blocked(head.id, waiting_for)


async def mark_done(conn: aiosqlite.Connection, row_id: int, result: dict[str, Any], *, now: datetime) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'done', result = ?, done_at = ?, updated_at = ?, not_before = NULL, "
        "error_status = NULL, error_code = NULL, error_text = NULL WHERE id = ?",
        (json.dumps(result), stamp, stamp, row_id),
    )


async def mark_failed(
    conn: aiosqlite.Connection,
    row_id: int,
    *,
    status: int | None,
    code: int | None,
    text: str,
    now: datetime,
) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ?, not_before = NULL, "
        "error_status = ?, "
        "error_code = ?, error_text = ? WHERE id = ?",
        (stamp, stamp, status, code, text[:2000], row_id),
    )


async def mark_retry(
    conn: aiosqlite.Connection,
    row_id: int,
    *,
    not_before: datetime,
    reason: str,
    now: datetime,
    counted: bool = True,
) -> None:
    """Puts an attempted row back to pending; `not_before` records when the next attempt is planned. An
    attempt Discord refused before acting (a rate limit) is not `counted`: it brings no row closer to giving
    up."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, updated_at = ?, error_text = ?, "
        "attempts = CASE WHEN ? THEN attempts ELSE MAX(attempts - 1, 0) END WHERE id = ?",
        (to_db_time(not_before), to_db_time(now), reason[:2000], counted, row_id),
    )


async def release(conn: aiosqlite.Connection, row_id: int, *, now: datetime) -> None:
    """Gives back a claimed row that was not attempted (the worker stopped first): no attempt counted."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? "
        "WHERE id = ? AND status = 'in_flight'",
        (to_db_time(now), row_id),
    )


async def reset_in_flight(conn: aiosqlite.Connection, *, now: datetime) -> int:
    """At start-up: rows left in flight by a stopped or killed process go back to pending (same nonce, so a
    send that did reach Discord is de-duplicated); planned retry times are forgotten. Returns how many."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'in_flight'", (stamp,)
    )
    count = cursor.rowcount or 0
    await cursor.close()
    await conn.execute("UPDATE outbox SET not_before = NULL WHERE status = 'pending' AND not_before IS NOT NULL")
    return int(count)


async def summary(conn: aiosqlite.Connection) -> OutboxSummary:
    counts = dict.fromkeys(("pending", "in_flight", "failed", "done", "superseded"), 0)
    async with conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cursor:
        for status, count in await cursor.fetchall():
            counts[str(status)] = int(count)
    async with conn.execute("SELECT MIN(created_at) FROM outbox WHERE status IN ('pending', 'in_flight')") as cursor:
        oldest = await cursor.fetchone()
    return OutboxSummary(
        pending=counts["pending"],
        in_flight=counts["in_flight"],
        failed=counts["failed"],
        done=counts["done"],
        superseded=counts["superseded"],
        oldest_pending_at=from_db_time(oldest[0]) if oldest is not None and oldest[0] is not None else None,
    )


async def dm_channel(conn: aiosqlite.Connection, user_id: int) -> int | None:
    async with conn.execute("SELECT channel_id FROM dm_channels WHERE user_id = ?", (user_id,)) as cursor:
        values = await cursor.fetchone()
    return int(values[0]) if values is not None else None


async def remember_dm_channel(conn: aiosqlite.Connection, user_id: int, channel_id: int, *, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO dm_channels (user_id, channel_id, opened_at) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET channel_id = excluded.channel_id, opened_at = excluded.opened_at",
        (user_id, channel_id, to_db_time(now)),
    )
