"""A forget's part in reminders: a reminder already said in a channel or a thread is the member's own words, so its
message is deleted (not edited), before their reminder rows are (the registry deletes those)."""

from __future__ import annotations

import json

import aiosqlite

from bot.privacy.store.registry import Erased, Forget


async def erase_posted(conn: aiosqlite.Connection, forget: Forget, erased: Erased) -> None:
    async with conn.execute(
        "SELECT o.id, o.guild_id, o.lane, o.result FROM reminders r JOIN outbox o ON o.id = r.message_row "
        "WHERE r.owner_id = ? AND (r.guild_id = ? OR r.guild_id IS NULL) AND r.place IN ('here', 'thread') "
        "AND o.status = 'done' AND o.result IS NOT NULL",
        (forget.user_id, forget.guild_id),
    ) as cursor:
        posted = await cursor.fetchall()
    for row_id, guild_id, lane, result in posted:
        said = json.loads(result)
        if "message_id" in said and "channel_id" in said:
            delete = {"channel_id": int(said["channel_id"]), "message_id": int(said["message_id"])}
            erased.deletes.append((guild_id, forget.rewrite.text(lane), delete))
            erased.deleted_rows.add(int(row_id))
