"""Opt-in direct messages about an incident, planned with the change that causes them.

Only members who asked for them get DMs (capped per incident when they opt in), for every change that is not
silent and that the thread shows (updates, the resolution, a reopening, a cancellation). Each goes to the
member's own lane (`dm:<user>`), which the worker paces with every other DM; members whose DMs were found
closed get none. The language is the member's as last seen in an interaction, else the server's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.i18n import Language, default_catalogue, language_of
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.following import store as follows
from bot.incidents.presentation.message_parts import NO_MENTIONS, heading
from bot.incidents.presentation.thread_posts import thread_post
from bot.incidents.rules.durations import ServiceDurations
from bot.incidents.rules.lifecycle import Update
from bot.incidents.store import StoredIncident
from bot.storage import member_locales


async def plan_dms(
    conn: aiosqlite.Connection,
    stored: StoredIncident,
    entries: Sequence[Update],
    *,
    link: dict[str, Any],
    server_language: Language,
    durations: Sequence[ServiceDurations] = (),
    now: datetime,
) -> list[int]:
    """One DM per opted-in follower of this change, with `link` to the thread; returns the rows."""
    incident = stored.incident
    wanted = [f.user_id for f in await follows.followers(conn, incident.guild_id, stored.id) if f.dm]
    if not wanted or stored.thread_row is None:
        return []
    closed = await follows.dms_closed(conn, wanted)
    catalogue = default_catalogue()
    rows: list[int] = []
    for user_id in wanted:
        if user_id in closed:
            continue
        language = language_of(await member_locales.last_seen(conn, user_id), fallback=server_language)
        post = thread_post(incident, entries, language, durations=durations)
        if post is None:
            return rows
        intro = catalogue.render(language, "dm.update.intro", heading=heading(incident))
        payload: dict[str, Any] = {
            "user_id": user_id,
            "content": {"$concat": [intro[:1800], "\n", link]},
            "embeds": post["embeds"],
            "allowed_mentions": NO_MENTIONS,
            "incident_id": stored.id,
        }
        rows.append(
            await outbox.enqueue(
                conn,
                guild_id=incident.guild_id,
                lane=outbox.dm_lane(user_id),
                kind=OutboxKind.SEND_DM,
                payload=payload,
                now=now,
            )
        )
    return rows
