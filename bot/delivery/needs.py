"""What a claimed outbox row's references stand for (bot/delivery/outbox.py `claim_next`): the state of every row
it refers to, in the words of bot/delivery/dependencies.py; the cause of a failure it waited on; and what stands in
for a row that is not there — the parent channel of a thread refused for the server's cap, a link to the status
message (else the channel) for a thread, or the verdict a private reply words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.delivery import dependencies
from bot.delivery.dependencies import TOO_MANY_THREADS, Cause, Need, State
from bot.delivery.kinds import OutboxKind
from bot.delivery.payloads import Resolution, UnmadeThread
from bot.storage.rows import only_row


async def unmade_thread(conn: aiosqlite.Connection, row_id: int) -> UnmadeThread | None:
    """The stand-in of row `row_id` if it is a thread creation that failed for the active-thread cap."""
    async with conn.execute("SELECT kind, status, error_code, payload FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    if values is None or tuple(values[:3]) != (OutboxKind.CREATE_THREAD, "failed", TOO_MANY_THREADS):
        return None
    payload = json.loads(values[3])
    found = await _parent_link(conn, payload)
    if found is None:
        return None
    parent, link = found
    return UnmadeThread(row_id, parent, link, in_forum="message" in payload)


async def stand_in_link(conn: aiosqlite.Connection, row_id: int) -> str | None:
    """Where a link to what row `row_id` would have made points while it is not there ("<channel>/<message>" or
    "<channel>"): a thread's status message when it was posted, else the channel the row was for."""
    async with conn.execute("SELECT payload FROM outbox WHERE id = ?", (row_id,)) as cursor:
        values = await cursor.fetchone()
    found = await _parent_link(conn, json.loads(values[0])) if values is not None else None
    return found[1] if found is not None else None


async def _parent_link(conn: aiosqlite.Connection, payload: dict[str, Any]) -> tuple[str, str] | None:
    parent = payload.get("channel_id")
    if parent is None or isinstance(parent, dict):
        return None
    link = str(parent)
    message_id = payload.get("message_id")
    if isinstance(message_id, dict) and "$ref" in message_id:
        async with conn.execute("SELECT status, result FROM outbox WHERE id = ?", (int(message_id["$ref"]),)) as cursor:
            status_row = await cursor.fetchone()
        result = {}
        if status_row is not None and status_row[0] == "done" and status_row[1] is not None:
            result = json.loads(status_row[1])
        message_id = result.get(str(message_id.get("field", "message_id")))
    if message_id is not None and not isinstance(message_id, dict):
        link = f"{parent}/{message_id}"
    return str(parent), link


@dataclass(frozen=True)
class Known:
    """What a claim needs to know of a row another refers to."""

    state: State
    result: dict[str, Any] | None
    cause: Cause | None


async def known(conn: aiosqlite.Connection, row_id: int) -> Known | None:
    values = await only_row(
        conn,
        "SELECT status, owed_since, kind, error_status, error_code, error_text, result, cause_row, attempts "
        "FROM outbox WHERE id = ?",
        (row_id,),
        tuple,
    )
    if values is None:
        return None
    status, owed_since, kind, error_status, error_code, error_text, result, cause_row, attempts = values
    if status in ("pending", "in_flight"):
        # Tried already and waiting to be tried again (in flight: counted as it was claimed).
        if attempts > (1 if status == "in_flight" else 0):
            return Known(State.RETRYING, None, Cause.UNREACHABLE)
        return Known(State.WAITING, None, None)
    if status == "done":
        return Known(State.DONE, json.loads(result) if result is not None else {}, None)
    if status == "superseded":
        return Known(State.SUPERSEDED, None, None)
    if kind == OutboxKind.CREATE_THREAD and error_code == TOO_MANY_THREADS and owed_since is None:
        return Known(State.UNMADE, None, Cause.FULL)
    cause = await _root_cause(conn, cause_row) if cause_row is not None else None
    if cause is None:
        cause = dependencies.cause_of(error_status, error_code, error_text)
    return Known(State.OWED if owed_since is not None else State.FAILED, None, cause)


async def _root_cause(conn: aiosqlite.Connection, row_id: int) -> Cause | None:
    """The cause of the failure a row that was not attempted waited on, following the rows it waited on."""
    for _ in range(8):  # a chain of waits is short: a post waits for its thread, the thread for its message
        async with conn.execute(
            "SELECT error_status, error_code, error_text, cause_row FROM outbox WHERE id = ?", (row_id,)
        ) as cursor:
            values = await cursor.fetchone()
        if values is None:
            return None
        if values[3] is None:
            return dependencies.cause_of(values[0], values[1], values[2])
        row_id = int(values[3])
    return None


async def resolution(
    conn: aiosqlite.Connection, row_id: int, uses: list[tuple[int, Need]], known: dict[int, Known | None]
) -> Resolution:
    """What row `row_id`'s references become; rows it goes without (a stand-in link, a reply saying "not yet")
    are remembered, so that it is delivered again once they are there (bot/delivery/consequences.py
    `redo_after`)."""
    found = Resolution({r: k.result for r, k in known.items() if k is not None and k.result is not None})
    for other, need in uses:
        row = known.get(other)
        if row is None or row.state in (State.DONE, State.WAITING):
            continue
        if row.state is State.UNMADE and need in (Need.RESULT, Need.LINK):
            stand_in = await unmade_thread(conn, other)
            if stand_in is not None:
                found.unmade[other] = stand_in
        elif need is Need.LINK and other not in found.links:
            link = await stand_in_link(conn, other)
            if link is not None:
                found.links[other] = link
        if need is Need.SETTLED:
            found.outcomes[other] = (dependencies.verdict_of(row.state), row.cause)
        if row.state in (State.OWED, State.UNMADE, State.RETRYING) and need in (Need.LINK, Need.SETTLED):
            await conn.execute("INSERT OR IGNORE INTO outbox_redo (missing_row, row_id) VALUES (?, ?)", (other, row_id))
    return found
