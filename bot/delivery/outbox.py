"""The outbox: every send, edit, thread and role change a use case decides, written in its transaction.

Use cases call `enqueue` inside their unit of work; the worker (bot/delivery/worker.py) claims the head of
each lane after commit, performs it and records the outcome with the functions below, each in its own short
unit of work. Nothing here talks to Discord. What each kind of row holds is in bot/delivery/kinds.py; what a
payload may refer to, and what stands in for a thread Discord refused to create, in bot/delivery/payloads.py.

What a failed row does to the rows that refer to it is bot/delivery/dependencies.py's rule: only what needs its
result fails with it; a row failed for a cause that may be fixed (a permission, Discord unreachable) is owed
(`owed_since`), and so is what needs it, until `ask_again_owed` puts them back in their lanes, in their order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.delivery import dependencies, needs, payloads
from bot.delivery.dependencies import TOO_MANY_THREADS as TOO_MANY_THREADS
from bot.delivery.dependencies import Fail, Need, Owe, Wait
from bot.delivery.kinds import OutboxKind
from bot.delivery.needs import unmade_thread as unmade_thread
from bot.delivery.payloads import UnmadeThread as UnmadeThread
from bot.delivery.payloads import WaitForThreadError, referenced_row
from bot.storage.rows import all_rows, any_row, first_row
from bot.storage.times import from_db_time, optional_time, to_db_time

DEPENDENCY_FAILED = "dependency_failed"
# In a payload: rows to enqueue should this one fail permanently (`add_on_failure`).
ON_FAILURE = "on_failure"


def channel_lane(channel_id: int) -> str:
    return f"channel:{channel_id}"


def dm_lane(user_id: int) -> str:
    return f"dm:{user_id}"


def roles_lane(guild_id: int) -> str:
    return f"guild:{guild_id}:roles"


def reply_lane(guild_id: int | None, user_id: int | None = None) -> str:
    # One lane per server: its edits wait in declaration order for threads made in that order. A member's own
    # late word (a role Discord refused them) waits for nothing else: a lane of its own.
    lane = f"guild:{guild_id}:replies" if guild_id is not None else "replies"
    return f"{lane}:{user_id}" if user_id is not None else lane


def board_lane(guild_id: int, board_id: int) -> str:
    # A board's rows are its own lane, and its coalesce key: only its latest content waits to be shown.
    return f"board:{guild_id}:{board_id}"


def webhook_lane(webhook_id: int, incident_id: int) -> str:
    # One lane per webhook and incident: an incident's events reach a receiver in order, and one slow receiver or
    # incident holds up no other.
    return f"webhook:{webhook_id}:{incident_id}"


def maintenance_webhook_lane(webhook_id: int, maintenance_id: int) -> str:
    # The same for a maintenance's events: in order per webhook and maintenance.
    return f"webhook:{webhook_id}:m{maintenance_id}"


# Lanes whose requests leave at most once per this many seconds (a board is edited at most once a second however
# often what it shows changes; what changed meanwhile collapses into the next edit).
LANE_INTERVALS_S: dict[str, float] = {"board:": 1.0}


def lane_interval(lane: str) -> float:
    return next((seconds for prefix, seconds in LANE_INTERVALS_S.items() if lane.startswith(prefix)), 0.0)


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
    kind: str  # an `OutboxKind`'s value, or one this version does not know
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
    owed_since: datetime | None = None
    cause_row: int | None = None
    after_row: int | None = None


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
    # Owed, and asked again: a failure like the one it had was already told.
    asked_again: bool = False

    @property
    def nonce(self) -> str:
        return nonce_for(self.id, int(self.payload.get(RENEWED, 0)))


# A message posted again (its first one deleted by someone) counts its renewals here: a new nonce each time, so
# Discord does not hand back the deleted message for the old one.
RENEWED = "$renewed"


def nonce_for(row_id: int, renewed: int = 0) -> str:
    # Discord accepts nonces up to 25 characters; "o" + a row id stays far below.
    return f"o{row_id}" if not renewed else f"o{row_id}r{renewed}"


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


async def _ask_again_for_unmade_thread(
    conn: aiosqlite.Connection, kind: str, payload: dict[str, Any], stamp: str
) -> None:
    """A new post or edit into a thread refused for the cap puts the refused creation back to pending: it is the
    lower id of its lane, so Discord is asked again before anything else of the incident (a slot may be free by
    now). Its failure stays recorded (`error_code`, `failure_told_at`), so failing again is not told again."""
    if kind not in (OutboxKind.SEND_MESSAGE, OutboxKind.EDIT_MESSAGE):
        return
    target = payload.get("channel_id")
    if not isinstance(target, dict) or target.get("field") != "thread_id" or "format" in target:
        return
    row_id = referenced_row(target)
    if row_id is None:
        return
    await conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, first_attempt_at = NULL, not_before = NULL, "
        "done_at = NULL, updated_at = ? WHERE id = ? AND kind = ? AND status = 'failed' AND error_code = ?",
        (stamp, row_id, OutboxKind.CREATE_THREAD, TOO_MANY_THREADS),
    )


async def enqueue(
    conn: aiosqlite.Connection,
    *,
    guild_id: int | None,
    lane: str,
    kind: OutboxKind,
    payload: dict[str, Any],
    depends_on: int | None = None,
    after: int | None = None,
    coalesce_key: str | None = None,
    now: datetime,
) -> int:
    """Adds a row to deliver after the caller's unit of work commits; returns its id.

    `depends_on` names a row whose success it needs; `after` a row it is only ordered after (delivered, or failed
    for good, first). With a `coalesce_key`, older rows with that key still pending (or owed) are marked
    superseded: only the latest of several waiting edits of one message is sent. Refuses (ValueError) a send
    without `allowed_mentions`, a payload that is not JSON, and references to rows that do not exist."""
    if not lane or not kind:
        raise ValueError("an outbox row needs a lane and a kind")
    payloads.validate(kind, payload)
    try:
        encoded = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox payload of {kind} is not JSON: {exc}") from exc
    # Each statement is one trip to aiosqlite's thread (`execute_fetchall`, `execute_insert`: not execute, fetch,
    # close), and every trip inside a unit of work is time the write lock is held while others wait for it.
    referenced = set(payloads.referenced_rows(payload))
    referenced.update(row for row in (depends_on, after) if row is not None)
    if referenced:
        marks = ", ".join("?" * len(referenced))
        found = await conn.execute_fetchall(
            f"SELECT id FROM outbox WHERE id IN ({marks})",  # noqa: S608 (placeholders only)
            sorted(referenced),
        )
        missing = sorted(referenced - {int(row[0]) for row in found})
        if missing:
            raise ValueError(f"outbox row {missing[0]} referenced by a new {kind} row does not exist")
    stamp = to_db_time(now)
    await _ask_again_for_unmade_thread(conn, kind, payload, stamp)
    if coalesce_key is not None and coalesce_key != lane:
        # An earlier edit of the same message was set aside (`set_aside`): this one follows it there.
        waiting = await conn.execute_fetchall(
            "SELECT 1 FROM outbox WHERE lane = ? AND status IN ('pending', 'in_flight') LIMIT 1", (coalesce_key,)
        )
        if next(iter(waiting), None) is not None:
            lane = coalesce_key
    if coalesce_key is not None:
        await conn.execute(
            "UPDATE outbox SET status = 'superseded', updated_at = ? WHERE coalesce_key = ? "
            "AND (status = 'pending' OR (status = 'failed' AND owed_since IS NOT NULL))",
            (stamp, coalesce_key),
        )
    inserted = await conn.execute_insert(
        "INSERT INTO outbox (guild_id, lane, kind, payload, depends_on, after_row, coalesce_key, status, attempts, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        (guild_id, lane, kind, encoded, depends_on, after, coalesce_key, stamp, stamp),
    )
    assert inserted is not None
    return int(inserted[0])


_COLUMNS = (
    "id, guild_id, lane, kind, payload, depends_on, coalesce_key, status, attempts, not_before, created_at, "
    "updated_at, done_at, result, error_status, error_code, error_text, owed_since, cause_row, after_row"
)
_COLUMN_COUNT = _COLUMNS.count(",") + 1


def _row(values: Any) -> OutboxRow:
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
        not_before=optional_time(values[9]),
        created_at=from_db_time(values[10]),
        updated_at=from_db_time(values[11]),
        done_at=optional_time(values[12]),
        result=json.loads(values[13]) if values[13] is not None else None,
        error_status=values[14],
        error_code=values[15],
        error_text=values[16],
        owed_since=optional_time(values[17]),
        cause_row=values[18],
        after_row=values[19],
    )


async def get(conn: aiosqlite.Connection, row_id: int) -> OutboxRow | None:
    return await first_row(conn, f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,), _row)  # noqa: S608


async def rows_of_lane(conn: aiosqlite.Connection, lane: str) -> list[OutboxRow]:
    return await all_rows(conn, f"SELECT {_COLUMNS} FROM outbox WHERE lane = ? ORDER BY id", (lane,), _row)  # noqa: S608


async def lanes_with_work(conn: aiosqlite.Connection) -> list[str]:
    """Lanes that have a pending row, oldest work first."""
    return await all_rows(
        conn,
        "SELECT lane FROM outbox WHERE status = 'pending' GROUP BY lane ORDER BY MIN(id)",
        (),
        lambda values: str(values[0]),
    )


async def unfinished_lanes(conn: aiosqlite.Connection) -> set[str]:
    """Lanes that have a row pending or in flight."""
    found = await conn.execute_fetchall("SELECT DISTINCT lane FROM outbox WHERE status IN ('pending', 'in_flight')")
    return {str(values[0]) for values in found}


async def failed_among(conn: aiosqlite.Connection, row_ids: set[int]) -> set[int]:
    """Which of `row_ids` failed."""
    failed: set[int] = set()
    for row_id in row_ids:
        if await any_row(conn, "SELECT 1 FROM outbox WHERE id = ? AND status = 'failed'", (row_id,)):
            failed.add(row_id)
    return failed


async def claim_next(
    conn: aiosqlite.Connection, lane: str, *, now: datetime, settled: list[int] | None = None
) -> ClaimResult:
    """Claims the head of `lane` (its lowest waiting id) for delivery: marks it in_flight, counts the attempt
    and returns it with its references resolved. A head that needs the result of a row failed for good is
    marked failed (`dependency_failed`), one that needs an owed row is owed with it; either way its id is added
    to `settled` and the next one is considered. Returns None when the lane is empty."""
    settled = settled if settled is not None else []
    stamp = to_db_time(now)
    # Each read is one trip to aiosqlite's thread (`execute_fetchall`), inside the worker's unit of work: the
    # write lock every command's unit of work waits for.
    while True:
        heads = await conn.execute_fetchall(
            f"SELECT {_COLUMNS}, first_attempt_at FROM outbox "  # noqa: S608
            "WHERE lane = ? AND status IN ('pending', 'in_flight') ORDER BY id LIMIT 1",
            (lane,),
        )
        values = next(iter(heads), None)
        if values is None:
            return None
        head = _row(values)
        if head.status == "in_flight":
            return Busy(head.id)
        uses = list(payloads.reference_uses(head.payload))
        if head.depends_on is not None:
            uses.append((head.depends_on, Need.RESULT))
        if head.after_row is not None:
            uses.append((head.after_row, Need.AFTER))
        known = {row_id: await needs.known(conn, row_id) for row_id in sorted({row_id for row_id, _ in uses})}
        states = {row_id: row.state for row_id, row in known.items() if row is not None}
        decision = dependencies.decide(uses, states)
        if isinstance(decision, Fail):
            text = f"{DEPENDENCY_FAILED}: row {decision.row}"
            await mark_failed(conn, head.id, status=None, code=None, text=text, now=now, cause_row=decision.row)
            settled.append(head.id)
            continue
        if isinstance(decision, Owe):
            await _owe(conn, head.id, decision.row, now=now)
            settled.append(head.id)
            continue
        if isinstance(decision, Wait):
            return Blocked(head.id, decision.row)
        found = await needs.resolution(conn, head.id, uses, known)
        edited = referenced_row(head.payload.get("thread_id")) if head.kind == OutboxKind.EDIT_THREAD else None
        thread = found.unmade.get(edited) if edited is not None else None
        if thread is not None and not thread.in_forum:
            # No thread to rename, tag or archive: its posts went to its parent channel.
            await mark_done(conn, head.id, {"skipped": f"thread of row {thread.row_id} not created"}, now=now)
            settled.append(head.id)
            continue
        try:
            payload = payloads.resolve(head.payload, found)
        except WaitForThreadError as exc:
            return Blocked(head.id, exc.row_id)
        except KeyError as exc:
            await mark_failed(conn, head.id, status=None, code=None, text=f"{DEPENDENCY_FAILED}: {exc}", now=now)
            settled.append(head.id)
            continue
        first_attempt_at = values[_COLUMN_COUNT]  # the column read after _COLUMNS
        earlier = from_db_time(first_attempt_at) if first_attempt_at is not None else None
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
                asked_again=head.owed_since is not None,
            )
        )


async def _owe(conn: aiosqlite.Connection, row_id: int, cause_row: int, *, now: datetime) -> None:
    """Row `row_id` needs the owed row `cause_row`: owed with it, not attempted."""
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ?, not_before = NULL, "
        "owed_since = COALESCE(owed_since, ?), cause_row = ?, error_text = ? WHERE id = ?",
        (stamp, stamp, stamp, cause_row, f"{DEPENDENCY_FAILED}: row {cause_row} (owed)", row_id),
    )


async def ask_again_owed(conn: aiosqlite.Connection, *, guild_id: int | None, now: datetime) -> int:
    """Puts every owed row (of one server, or of all) back in its lane, where it waits its turn in its first
    order: their cause may be fixed (a permission given back, Discord reachable again). A row Discord refused
    without acting is attempted afresh; one given up on unknown outcomes keeps its first attempt's time, so that
    what it may have posted is looked for first. Returns how many."""
    cursor = await conn.execute(
        "UPDATE outbox SET status = 'pending', done_at = NULL, not_before = NULL, updated_at = ?, "
        "attempts = CASE WHEN error_status IS NULL AND first_attempt_at IS NOT NULL THEN 1 ELSE 0 END, "
        "first_attempt_at = CASE WHEN error_status IS NULL THEN first_attempt_at END "
        "WHERE status = 'failed' AND owed_since IS NOT NULL AND (? IS NULL OR guild_id = ?)",
        (to_db_time(now), guild_id, guild_id),
    )
    count = cursor.rowcount or 0
    await cursor.close()
    return int(count)


async def mark_done(conn: aiosqlite.Connection, row_id: int, result: dict[str, Any], *, now: datetime) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'done', result = ?, done_at = ?, updated_at = ?, not_before = NULL, "
        "error_status = NULL, error_code = NULL, error_text = NULL, owed_since = NULL, cause_row = NULL "
        "WHERE id = ?",
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
    owed: bool = False,
    cause_row: int | None = None,
) -> None:
    """Records a failure; an `owed` one is kept, to be asked again when its cause may be fixed (`ask_again_owed`).
    `cause_row` names the row whose failure this one, not attempted, failed with. Enqueues what the row asked for
    should it fail (`on_failure`)."""
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE outbox SET status = 'failed', done_at = ?, updated_at = ?, not_before = NULL, "
        "error_status = ?, error_code = ?, error_text = ?, cause_row = ?, "
        "owed_since = CASE WHEN ? THEN COALESCE(owed_since, ?) END WHERE id = ?",
        (stamp, stamp, status, code, text[:2000], cause_row, owed, stamp, row_id),
    )
    async with conn.execute("SELECT guild_id, payload FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    if values is None:
        return
    for then in json.loads(values[1]).get(ON_FAILURE, []):
        await enqueue(
            conn,
            guild_id=values[0],
            lane=str(then["lane"]),
            kind=OutboxKind(then["kind"]),
            payload=dict(then["payload"]),
            coalesce_key=then.get("coalesce_key"),
            now=now,
        )


async def add_on_failure(conn: aiosqlite.Connection, row_id: int, then: dict[str, Any]) -> str | None:
    """Asks that `then` (a row: lane, kind, payload, coalesce_key?) be enqueued should row `row_id` fail, whatever
    the cause, if it has not ended yet. Returns the row's status as it was (None: no such row): a row already
    failed or done is left as it is, for the caller to act on. Asked after the fact (a member's reply is sent
    before their role is given), so it is written into the row, which the failure reads back when recorded."""
    payloads.validate(str(then["kind"]), dict(then["payload"]))  # refused now rather than when the failure is recorded
    async with conn.execute("SELECT status, payload FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    if values is None:
        return None
    status = str(values[0])
    if status in ("pending", "in_flight"):
        payload = json.loads(values[1])
        payload[ON_FAILURE] = [*payload.get(ON_FAILURE, []), then]
        await conn.execute(
            "UPDATE outbox SET payload = ? WHERE id = ?", (json.dumps(payload, ensure_ascii=False), row_id)
        )
    return status


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


async def set_aside(
    conn: aiosqlite.Connection, row_id: int, *, not_before: datetime, reason: str, now: datetime
) -> str | None:
    """Puts an attempted edit back to pending on a lane of its own, named by its coalesce key, so the rows behind it
    in its lane go on without it (an edit Discord refuses for a while: 30046); later edits of the same message
    join it there (`enqueue`) and supersede it while it waits. Returns the lane, or None when the row cannot step
    aside (no coalesce key, or already on its own lane): it is then retried in place."""
    async with conn.execute("SELECT lane, coalesce_key FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    if values is None or values[1] is None or values[0] == values[1]:
        return None
    await mark_retry(conn, row_id, not_before=not_before, reason=reason, now=now, counted=False)
    await conn.execute("UPDATE outbox SET lane = ? WHERE id = ?", (values[1], row_id))
    return str(values[1])


async def release(conn: aiosqlite.Connection, row_id: int, *, now: datetime) -> None:
    """Gives back a claimed row that was not attempted (the worker stopped first): no attempt counted."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? "
        "WHERE id = ? AND status = 'in_flight'",
        (to_db_time(now), row_id),
    )


async def release_lane(conn: aiosqlite.Connection, lane: str, *, now: datetime) -> None:
    """Gives back what a lane stopped before its request had claimed (`release`, by lane)."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? "
        "WHERE lane = ? AND status = 'in_flight'",
        (to_db_time(now), lane),
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
    # The oldest of Discord's work: a webhook retried for hours while its receiver is down holds up nothing else.
    async with conn.execute(
        "SELECT MIN(created_at) FROM outbox WHERE status IN ('pending', 'in_flight') AND kind != ?",
        (OutboxKind.SEND_WEBHOOK,),
    ) as cursor:
        oldest = await cursor.fetchone()
    return OutboxSummary(
        pending=counts["pending"],
        in_flight=counts["in_flight"],
        failed=counts["failed"],
        done=counts["done"],
        superseded=counts["superseded"],
        oldest_pending_at=from_db_time(oldest[0]) if oldest is not None and oldest[0] is not None else None,
    )
