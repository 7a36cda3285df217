"""Every Discord message a maintenance causes, planned as outbox rows inside the use case's unit of work, the way
an incident's are (bot/incidents/use_cases/deliveries.py): its thread opens with its status message; each channel
its routes lead to gets one standing announcement, edited at each change, and a new message for each news
(bot/maintenance/presentation.py decides whom each pings); its own lane orders its status message, thread and
thread posts. Ids that do not exist yet are `$ref`s to the rows that will make them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.i18n import Language
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.incidents.presentation.message_parts import NO_MENTIONS
from bot.incidents.rules.routing import Route
from bot.incidents.use_cases import deliveries as incidents
from bot.incidents.use_cases.deliveries import (
    edit_announcement_message,
    edit_status_message_row,
    open_thread,
    post_in_channel,
)
from bot.maintenance import store as repo
from bot.maintenance.presentation import News, news_message, standing, status_message, thread_name, thread_post
from bot.maintenance.rules import Maintenance, announcement_targets
from bot.maintenance.store import StoredMaintenance


def lane_of(m: Maintenance) -> str:
    return f"maintenance:{m.guild_id}:{m.number}"


def thread_link(guild_id: int, thread_row: int | None) -> dict[str, Any] | None:
    return None if thread_row is None else incidents.thread_link(guild_id, thread_row)


async def plan_scheduled(
    conn: aiosqlite.Connection,
    maintenance_id: int,
    m: Maintenance,
    *,
    language: Language,
    routes: Sequence[Route],
    channel_id: int,
    forum_tags: Mapping[str, int] | None,
    now: datetime,
) -> list[int]:
    """Its thread and status message, and the first message where each route leads (mentioning its roles);
    returns the channels announced in."""
    await outbox.ask_again_owed(conn, guild_id=m.guild_id, now=now)
    lane = lane_of(m)
    status = status_message(m, language)
    forum: dict[str, Any] | None = None if forum_tags is None else {}  # no status tag: a maintenance has none
    status_row, thread_row = await open_thread(
        conn, m.guild_id, lane, channel_id, thread_name(m, language), status, forum=forum, now=now
    )
    await repo.set_message_rows(
        conn, maintenance_id, thread_row=thread_row, status_message_row=status_row if status_row else thread_row
    )
    link = thread_link(m.guild_id, thread_row)
    channels = []
    for target in announcement_targets(routes, m):
        payload = news_message(m, News.SCHEDULED, language, role_ids=target.role_ids, thread=link)
        row = await post_in_channel(conn, m.guild_id, target.channel_id, payload, now=now)
        await repo.add_announcement(conn, maintenance_id, target.channel_id, target.role_ids, message_row=row)
        channels.append(target.channel_id)
    return channels


async def plan_news(
    conn: aiosqlite.Connection,
    stored: StoredMaintenance,
    m: Maintenance,
    news: News,
    *,
    language: Language,
    now: datetime,
    new_message: bool = True,
    incident: str | None = None,
) -> list[int]:
    """One change told: a new message where each route leads (unless `new_message` is off), the standing
    announcements and the status message edited, and a line in its thread; returns the channels told."""
    await outbox.ask_again_owed(conn, guild_id=m.guild_id, now=now)
    link = thread_link(m.guild_id, stored.thread_row)
    told = []
    for item in await repo.announcements(conn, stored.id):
        if new_message:
            payload = news_message(m, news, language, role_ids=item.role_ids, thread=link, incident=incident)
            await post_in_channel(conn, m.guild_id, item.channel_id, payload, now=now)
            told.append(item.channel_id)
        if item.message_row is not None:
            body = standing(m, news, language, thread=link, incident=incident)
            await edit_announcement_message(conn, m.guild_id, item.channel_id, item.message_row, body, now)
    await edit_status_message(conn, stored, m, language=language, now=now)
    await post_in_thread(conn, stored, m, thread_post(m, news, language, incident=incident), now=now)
    return told


async def edit_status_message(
    conn: aiosqlite.Connection, stored: StoredMaintenance, m: Maintenance, *, language: Language, now: datetime
) -> None:
    if stored.status_message_row is None or stored.thread_row is None:
        return
    body = {**status_message(m, language), "allowed_mentions": NO_MENTIONS}
    in_forum = stored.status_message_row == stored.thread_row  # a forum post: the thread is its first message
    await edit_status_message_row(
        conn,
        m.guild_id,
        lane_of(m),
        stored.incident_channel_id,
        stored.status_message_row,
        stored.thread_row,
        body,
        now=now,
        coalesce_key=f"maintenance-status:{stored.id}" if in_forum else None,
    )


async def post_in_thread(
    conn: aiosqlite.Connection, stored: StoredMaintenance, m: Maintenance, payload: dict[str, Any], *, now: datetime
) -> int | None:
    if stored.thread_row is None:
        return None
    return await outbox.enqueue(
        conn,
        guild_id=m.guild_id,
        lane=lane_of(m),
        kind=OutboxKind.SEND_MESSAGE,
        payload={"channel_id": outbox.ref(stored.thread_row, "thread_id"), **payload},
        now=now,
    )
