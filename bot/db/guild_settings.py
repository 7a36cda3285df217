"""Per-server settings; a server with no row uses the defaults from the program's configuration."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    language: str
    time_zone: str
    coordinator_role_id: int | None = None
    incident_channel_id: int | None = None
    bot_log_channel_id: int | None = None


async def load(conn: aiosqlite.Connection, guild_id: int, *, language: str, time_zone: str) -> GuildSettings:
    cursor = await conn.execute(
        "SELECT language, time_zone, coordinator_role_id, incident_channel_id, bot_log_channel_id "
        "FROM guild_settings WHERE guild_id = ?",
        (guild_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        return GuildSettings(guild_id=guild_id, language=language, time_zone=time_zone)
    return GuildSettings(guild_id, row[0], row[1], row[2], row[3], row[4])
