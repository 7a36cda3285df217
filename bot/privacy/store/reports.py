"""A forget's part in reports: what the member typed (the details) and the roles they held are blanked; the
report itself stays, under the pseudonym, so that a group's and an incident's counts do not change. Their open
groups' cards are shown again without their words (the use case plans it)."""

from __future__ import annotations

import aiosqlite

from bot.privacy.store.registry import Erased, Forget
from bot.storage.rows import int_column


async def erase_texts(conn: aiosqlite.Connection, forget: Forget, erased: Erased) -> None:
    groups = await int_column(
        conn,
        "SELECT DISTINCT group_id FROM reports WHERE guild_id = ? AND user_id = ? AND group_id IS NOT NULL",
        (forget.guild_id, forget.user_id),
    )
    erased.report_groups.update(groups)
    cursor = await conn.execute(
        "UPDATE reports SET details = NULL, role_ids = '[]' WHERE guild_id = ? AND user_id = ?",
        (forget.guild_id, forget.user_id),
    )
    erased.rows += max(cursor.rowcount, 0)
