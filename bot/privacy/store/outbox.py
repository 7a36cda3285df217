"""A forget's part in the outbox. What waits to be sent for the member alone (a DM to them, a role given them,
their private reply's edit) is dropped, but a follow role still waiting to be taken back from them is taken back
(made one of the forget's own removals, `FORGOTTEN`, which a later forget leaves as they are); what waits for
others is sent without their id or mention (the generic rewrite of the registry); a message already posted (or
being posted) that names them is edited to read as it last did, their mention turned into the pseudonym's words
and the ping taken out."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.delivery.kinds import FORGOTTEN, OutboxKind
from bot.delivery.payloads import referenced_row
from bot.privacy.rules import names
from bot.privacy.store.registry import FORGOTTEN_ROLE_REMOVALS, Erased, Forget
from bot.storage.rows import first_value
from bot.storage.times import to_db_time

_WAITING = ("pending", "in_flight")
_FOR_THEM_ALONE = ("send_dm", "add_role", "remove_role")
_BODY = ("content", "embeds", "components")
_NO_MENTIONS: dict[str, list[Any]] = {"parse": [], "users": [], "roles": []}


def _for_them_alone(kind: str, lane: str, payload: dict[str, Any], user_id: int) -> bool:
    if kind in _FOR_THEM_ALONE:
        return payload.get("user_id") in (user_id, str(user_id))
    return kind == "edit_interaction_reply" and lane.endswith(f":{user_id}")


async def _latest_of(conn: aiosqlite.Connection, key: str) -> int | None:
    return await first_value(
        conn,
        "SELECT MAX(id) FROM outbox WHERE coalesce_key = ? AND status IN ('done', 'pending', 'in_flight')",
        (key,),
        int,
    )


async def _message_edit(
    conn: aiosqlite.Connection,
    row_id: int,
    kind: str,
    payload: dict[str, Any],
    result: dict[str, Any] | None,
    key: str | None,
) -> tuple[dict[str, Any], str] | None:
    """The edit that makes row `row_id`'s message read as it did, when that row holds what it last said. A post
    into a thread names its channel by a `$ref`: once posted, its result names it."""
    channel = (result or {}).get("channel_id", payload.get("channel_id"))
    if channel is None or not any(payload.get(part) for part in _BODY):
        return None
    if kind == "send_message":
        message: Any = {"$ref": row_id, "field": "message_id"}
        key = f"edit:{json.dumps(channel, sort_keys=True) if isinstance(channel, dict) else channel}:row{row_id}"
    elif kind == "edit_message" and key is not None:
        message = payload.get("message_id")
    else:
        return None
    latest = await _latest_of(conn, key)
    if latest is not None and latest > row_id:
        return None  # a later edit says what the message now says (rewritten too if it names them)
    body = {part: payload[part] for part in _BODY if part in payload}
    return {"channel_id": channel, "message_id": message, **body, "allowed_mentions": _NO_MENTIONS}, key


async def erase(conn: aiosqlite.Connection, forget: Forget, erased: Erased) -> None:
    user_id = forget.user_id
    async with conn.execute(
        "SELECT id, guild_id, lane, kind, payload, status, coalesce_key, result FROM outbox "  # noqa: S608 (a constant)
        "WHERE (guild_id = ? OR guild_id IS NULL) AND (payload LIKE ? OR lane LIKE ?) "
        f"AND NOT ({FORGOTTEN_ROLE_REMOVALS}) ORDER BY id",
        (forget.guild_id, f"%{user_id}%", f"%{user_id}%"),
    ) as cursor:
        found = await cursor.fetchall()
    for row_id, guild_id, lane, kind, text, status, key, result in found:
        if not (names(text, user_id) or names(lane, user_id)):
            continue
        payload = json.loads(text)
        if _for_them_alone(kind, lane, payload, user_id):
            kept = status == "pending" and kind == OutboxKind.REMOVE_ROLE
            if kept and await _keep_taking_back(conn, int(row_id), payload, forget, erased):
                continue
            if status == "pending":
                await conn.execute(
                    "UPDATE outbox SET status = 'superseded', updated_at = ? WHERE id = ?",
                    (to_db_time(forget.now), row_id),
                )
            continue
        if row_id in erased.deleted_rows or status not in ("done", "in_flight"):
            continue
        if not names(json.dumps(_body(payload)), user_id):
            continue
        edit = await _message_edit(conn, int(row_id), kind, payload, json.loads(result) if result else None, key)
        if edit is not None:
            rewritten = forget.rewrite.json(edit[0])
            erased.edits.append((guild_id, forget.rewrite.text(lane), rewritten, edit[1]))


async def _keep_taking_back(
    conn: aiosqlite.Connection, row_id: int, payload: dict[str, Any], forget: Forget, erased: Erased
) -> bool:
    """A role removal still waiting for them (an unfollow just before the forget) is not dropped: it becomes one of
    the forget's own (`FORGOTTEN`), holding nothing else of theirs (what it would have told them is dropped). An
    incident's role still being made when they unfollowed was never given them (their add waited behind it, and is
    dropped): False, the removal is dropped too."""
    role_id = payload["role_id"]
    if isinstance(role_id, dict):
        role_id = await first_value(
            conn,
            "SELECT json_extract(result, '$.role_id') FROM outbox WHERE id = ? AND status = 'done'",
            (referenced_row(role_id),),
            int,
        )
        if role_id is None:
            return False
    kept = {
        "guild_id": payload["guild_id"],
        "user_id": forget.user_id,
        "role_id": role_id,
        FORGOTTEN: forget.rewrite.label,
    }
    await conn.execute(
        "UPDATE outbox SET payload = ?, updated_at = ? WHERE id = ?",
        (json.dumps(kept, ensure_ascii=False), to_db_time(forget.now), row_id),
    )
    erased.roles_waiting.add(int(role_id))
    return True


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    return {part: payload[part] for part in _BODY if part in payload}
