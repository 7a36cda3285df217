"""Every Discord message an incident change causes, planned as outbox rows inside the use case's transaction.

ARCHITECTURE.md "Who is told what", applied from the domain's `Announce`:
- the thread (or forum post) opens with the status message; every later change edits it (waiting edits of one
  message collapse into the latest through their coalesce key);
- each matching route's channel gets one standing announcement, edited in place afterwards; a new message with
  the channel's roles when the domain says it is news (workaround changed, severity raised, resolved, reopened);
- each change the domain wants posted becomes one post in the thread.

Discord ids that do not exist yet (the thread, the messages) are `$ref`s to the rows that will create them, so
the whole plan is written at once and the worker delivers it in order. Edits carry no mention permission.

Lanes: the incident's own lane (`incident:<guild>:<number>`) orders its status message, thread, thread posts
and thread edits; each announcement channel's lane orders what is posted there. An announcement only links the
thread: it waits for the thread's first try, never for its success (a thread Discord refuses or delays leaves a
link to the status message, else the channel, made right once the thread exists). What needs a step that failed
for a cause an admin can fix (a post needs its thread) is owed, not dropped: every plan first asks the server's
owed rows again, before its own, so a fix nobody told the bot of is caught up at the next declaration or update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.i18n import Language, default_catalogue
from bot.common.text import name_key
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.following import use_cases as following
from bot.following.presentation import RoleRef, with_role_mention
from bot.following.rules import status_closed
from bot.incidents import store as repo
from bot.incidents.presentation.announcements import announcement, news_message, no_longer_concerns
from bot.incidents.presentation.labels import STATUS_KEYS
from bot.incidents.presentation.message_parts import NO_MENTIONS
from bot.incidents.presentation.status_message import status_message
from bot.incidents.presentation.thread_posts import thread_post, thread_title
from bot.incidents.rules.durations import ServiceDurations
from bot.incidents.rules.lifecycle import Announce, Update
from bot.incidents.rules.model import Incident, Severity, Status
from bot.incidents.rules.routing import AnnouncementTarget, Route, announcement_targets, reroute
from bot.incidents.store import StoredAnnouncement, StoredIncident
from bot.incidents.use_cases import direct_messages
from bot.incidents.use_cases.results import Sent
from bot.settings.rules.config import GuildConfig

# A thread whose last message is a week old archives itself; Tocsin archives resolved threads sooner itself.
THREAD_AUTO_ARCHIVE_MINUTES = 10080
_LINK_PLACEHOLDER = "https://discord.com/channels/0/0"


@dataclass(frozen=True)
class IncidentChannel:
    """Where incident threads live: a text channel (threads from the status message) or a forum (one post per
    incident, `tags` its available tags by name)."""

    channel_id: int
    forum_tags: Mapping[str, int] | None = None

    @property
    def is_forum(self) -> bool:
        return self.forum_tags is not None


def incident_lane(incident: Incident) -> str:
    return f"incident:{incident.guild_id}:{incident.number}"


async def post_in_channel(
    conn: aiosqlite.Connection, guild_id: int, channel_id: int, message: dict[str, Any], *, now: datetime
) -> int:
    """A new message in a channel, on that channel's lane (Discord allows 5 messages per 5 s per channel)."""
    return await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=outbox.channel_lane(channel_id),
        kind=OutboxKind.SEND_MESSAGE,
        payload={"channel_id": channel_id, **message},
        now=now,
    )


async def post_in_thread(
    conn: aiosqlite.Connection, stored: StoredIncident, message: dict[str, Any], *, now: datetime
) -> int:
    """A new message in the incident's thread, on the incident's lane: after the thread exists, in order with
    everything else the incident posts there."""
    return await _about_thread(conn, stored, OutboxKind.SEND_MESSAGE, "channel_id", message, now=now)


def thread_link(guild_id: int, thread_row: int) -> dict[str, Any]:
    return outbox.ref(thread_row, "thread_id", template=f"https://discord.com/channels/{guild_id}/{{}}")


def _linked(payload: dict[str, Any], link: dict[str, Any]) -> dict[str, Any]:
    """The payload with the link button pointing at the thread once it exists (`$ref` with a template)."""
    rows = []
    for row in payload.get("components", []):
        items = [{**item, "url": link} if item.get("url") == _LINK_PLACEHOLDER else item for item in row["components"]]
        rows.append({**row, "components": items})
    return {**payload, "components": rows}


def status_tag(tags: Mapping[str, int], status: Status) -> int | None:
    """The forum tag named for the status, in French or English, compared without case or accents."""
    catalogue = default_catalogue()
    wanted = {name_key(status.value)} | {
        name_key(catalogue.render(language, STATUS_KEYS[status])) for language in ("fr", "en")
    }
    return next((tag_id for name, tag_id in tags.items() if name_key(name) in wanted), None)


def _applied_tags(tags: Mapping[str, int], status: Status) -> list[int]:
    tag = status_tag(tags, status)
    return [tag] if tag is not None else []


# --- declared ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarePlan:
    thread_row: int
    status_message_row: int
    targets: tuple[AnnouncementTarget, ...]
    sent: tuple[Sent, ...] = ()


async def plan_declared(
    conn: aiosqlite.Connection,
    stored: StoredIncident,
    *,
    language: Language,
    routes: Sequence[Route],
    channel: IncidentChannel,
    now: datetime,
) -> DeclarePlan:
    incident = stored.incident
    await outbox.ask_again_owed(conn, guild_id=incident.guild_id, now=now)
    lane = incident_lane(incident)
    status = status_message(incident, language)
    name = thread_title(incident)
    forum = None if channel.forum_tags is None else {"applied_tags": _applied_tags(channel.forum_tags, incident.status)}
    status_row, thread_row = await open_thread(
        conn, incident.guild_id, lane, channel.channel_id, name, status, forum=forum, now=now
    )
    sent = [Sent("thread", channel.channel_id, thread_row)]
    if status_row is None:  # a forum post is the thread and its status message at once
        status_row = thread_row
    else:
        sent.insert(0, Sent("status", channel.channel_id, status_row))
    await repo.set_message_rows(conn, stored.id, thread_row=thread_row, status_message_row=status_row)
    targets = tuple(announcement_targets(routes, incident))
    link = thread_link(incident.guild_id, thread_row)
    for target in targets:
        row = await _announce(conn, stored.id, incident, target, language, link, now)
        sent.append(Sent("announcement", target.channel_id, row))
    return DeclarePlan(thread_row, status_row, targets, tuple(sent))


async def open_thread(
    conn: aiosqlite.Connection,
    guild_id: int,
    lane: str,
    channel_id: int,
    name: str,
    status: dict[str, Any],
    *,
    forum: dict[str, Any] | None,
    now: datetime,
) -> tuple[int | None, int]:
    """The thread of an incident or a maintenance, on its lane: in a forum (`forum`: what the post wears besides),
    one post that is the thread and its status message at once; elsewhere the status message, then a thread on it.
    Returns the status message's row (None for a forum post) and the thread's."""
    status_row: int | None = None
    if forum is not None:
        thread: dict[str, Any] = {"channel_id": channel_id, "name": name, "message": status, **forum}
    else:
        status_row = await outbox.enqueue(
            conn,
            guild_id=guild_id,
            lane=lane,
            kind=OutboxKind.SEND_MESSAGE,
            payload={"channel_id": channel_id, **status},
            now=now,
        )
        thread = {"channel_id": channel_id, "message_id": outbox.ref(status_row), "name": name}
    thread_row = await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=lane,
        kind=OutboxKind.CREATE_THREAD,
        payload={**thread, "auto_archive_duration": THREAD_AUTO_ARCHIVE_MINUTES},
        depends_on=status_row,
        now=now,
    )
    return status_row, thread_row


async def _announce(
    conn: aiosqlite.Connection,
    incident_id: int,
    incident: Incident,
    target: AnnouncementTarget,
    language: Language,
    link: dict[str, Any],
    now: datetime,
) -> int:
    # A channel that a correction of a resolved incident routes to gets the record without a ping: the outage
    # it would call people to is over.
    role_ids = target.role_ids if incident.is_open else ()
    payload = announcement(incident, language, role_ids=role_ids, url=_LINK_PLACEHOLDER)
    row = await post_in_channel(conn, incident.guild_id, target.channel_id, _linked(payload, link), now=now)
    await repo.add_announcement(conn, incident_id, target.channel_id, target.role_ids, message_row=row, at=now)
    return row


# --- every later change -----------------------------------------------------------------------------------


async def thread_post_mentions(conn: aiosqlite.Connection, stored: StoredIncident) -> RoleRef | None:
    """The role a thread post mentions: the incident's follow role (a `$ref` while it is being created). The one
    place that decides who a thread post may ping (with the people the domain names)."""
    return await following.thread_post_role(conn, stored)


@dataclass(frozen=True)
class ChangeContext:
    language: Language
    routes: Sequence[Route]
    dm_cap: int  # the server's DM limit per incident: 0 means no DM leaves (/setup dm-limit 0)
    forum_tags: Mapping[str, int] | None = None
    durations: Sequence[ServiceDurations] = ()
    severity_from: Severity | None = None
    status_from: Status | None = None
    rename_thread: bool = False
    reroute: bool = False

    @classmethod
    def of(cls, config: GuildConfig, **details: Any) -> ChangeContext:
        return cls(config.language, config.routes, config.dm_cap_per_incident, **details)


@dataclass(frozen=True)
class ChangePlan:
    """What one change planned: its thread post's row, if any, and every message the private reply accounts for
    (the post, news messages, announcements in channels a correction added)."""

    post_row: int | None = None
    sent: tuple[Sent, ...] = ()


async def plan_changed(
    conn: aiosqlite.Connection,
    stored: StoredIncident,
    entries: Sequence[Update],
    announce: Announce,
    context: ChangeContext,
    *,
    now: datetime,
) -> ChangePlan:
    """Outbox rows for one change of an incident already declared."""
    incident = stored.incident
    language = context.language
    lane = incident_lane(incident)
    thread_row = stored.thread_row
    if thread_row is None:  # declared before its rows were planned: nothing on Discord to change
        return ChangePlan()
    await outbox.ask_again_owed(conn, guild_id=incident.guild_id, now=now)
    link = thread_link(incident.guild_id, thread_row)
    post_row: int | None = None
    sent: list[Sent] = []
    if status_closed(context.status_from) and incident.is_open:
        await following.plan_reopened(conn, stored, now=now)  # before the post, which mentions the new role
    if announce.thread_post:
        post = thread_post(
            incident,
            entries,
            language,
            mention_users=announce.mention_users,
            silent=announce.silent,
            durations=context.durations,
        )
        if post is not None:
            post = with_role_mention(post, await thread_post_mentions(conn, stored))
            post_row = await post_in_thread(conn, stored, post, now=now)
            sent.append(Sent("post", stored.incident_channel_id or 0, post_row))
    if announce.edit_status_message or context.rename_thread:
        await _edit_status_message(conn, stored, language, now)
    if stored.in_forum and context.forum_tags is not None and context.status_from != incident.status:
        tag = status_tag(context.forum_tags, incident.status)
        if tag is not None:
            await _edit_thread(conn, stored, {"applied_tags": [tag]}, now=now)
    if context.rename_thread:
        await _edit_thread(conn, stored, {"name": thread_title(incident)}, now=now)

    standing = [a for a in await repo.announcements(conn, stored.id) if a.active]
    if context.reroute:
        standing = await _reroute(conn, stored, standing, context, link, sent, now)
    if announce.edit_announcements:
        for item in standing:
            await _edit_announcement(conn, incident, item, language, link, now)
    if announce.reasons:
        for item in standing:
            news = news_message(
                incident,
                announce.reasons,
                language,
                role_ids=item.role_ids,
                url=_LINK_PLACEHOLDER,
                durations=context.durations,
                severity_from=context.severity_from,
                silent=announce.silent,
            )
            if news is not None:
                row = await post_in_channel(conn, incident.guild_id, item.channel_id, _linked(news, link), now=now)
                sent.append(Sent("news", item.channel_id, row))
    if announce.dm_followers and not announce.silent and announce.thread_post and context.dm_cap > 0:
        await direct_messages.plan_dms(
            conn, stored, entries, link=link, server_language=language, durations=context.durations, now=now
        )
    if not incident.is_open and not status_closed(context.status_from):
        # After the final post, which mentions the role, whenever that post goes out (its thread may be owed).
        await following.plan_closed(conn, stored, lane, after=post_row, now=now)
    return ChangePlan(post_row, tuple(sent))


async def _edit_status_message(
    conn: aiosqlite.Connection, stored: StoredIncident, language: Language, now: datetime
) -> None:
    incident = stored.incident
    status_row = stored.status_message_row
    thread_row = stored.thread_row
    if status_row is None or thread_row is None:
        return
    payload = {**status_message(incident, language, now=now), "allowed_mentions": NO_MENTIONS}
    lane = incident_lane(incident)
    await edit_status_message_row(
        conn, incident.guild_id, lane, stored.incident_channel_id, status_row, thread_row, payload, now=now
    )


async def edit_status_message_row(
    conn: aiosqlite.Connection,
    guild_id: int,
    lane: str,
    channel_id: int | None,
    status_row: int,
    thread_row: int,
    body: dict[str, Any],
    *,
    now: datetime,
    coalesce_key: str | None = None,
) -> None:
    """Queue an edit of an incident's or a maintenance's status message: a forum post's starter message (one row
    made the thread and it) is found in its thread, any other in `channel_id`; later edits of it coalesce."""
    if status_row == thread_row:
        where: dict[str, Any] = {
            "channel_id": outbox.ref(thread_row, "thread_id"),
            "message_id": outbox.ref(thread_row, "message_id"),
        }
    else:
        where = {"channel_id": channel_id, "message_id": outbox.ref(status_row)}
    await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=lane,
        kind=OutboxKind.EDIT_MESSAGE,
        payload={**where, **body},
        coalesce_key=coalesce_key or outbox.edit_coalesce_key(channel_id or 0, f"row{status_row}"),
        now=now,
    )


async def _edit_announcement(
    conn: aiosqlite.Connection,
    incident: Incident,
    item: StoredAnnouncement,
    language: Language,
    link: dict[str, Any],
    now: datetime,
) -> None:
    if item.message_row is None:
        return
    payload = announcement(incident, language, role_ids=item.role_ids, url=_LINK_PLACEHOLDER)
    body = {**_linked(payload, link), "allowed_mentions": NO_MENTIONS}
    await edit_announcement_message(conn, incident.guild_id, item.channel_id, item.message_row, body, now)


async def edit_announcement_message(
    conn: aiosqlite.Connection, guild_id: int, channel_id: int, message_row: int, body: dict[str, Any], now: datetime
) -> None:
    """Queue an edit of an announcement already posted (edits notify nobody); later edits of it coalesce."""
    await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=outbox.channel_lane(channel_id),
        kind=OutboxKind.EDIT_MESSAGE,
        payload={"channel_id": channel_id, "message_id": outbox.ref(message_row), **body},
        coalesce_key=outbox.edit_coalesce_key(channel_id, f"row{message_row}"),
        now=now,
    )


async def _reroute(
    conn: aiosqlite.Connection,
    stored: StoredIncident,
    standing: list[StoredAnnouncement],
    context: ChangeContext,
    link: dict[str, Any],
    sent: list[Sent],
    now: datetime,
) -> list[StoredAnnouncement]:
    """After a correction of territories or sector: new channels get the announcement (with their roles),
    channels no longer matching get an edit saying so; returns the announcements still standing."""
    incident = stored.incident
    old = [AnnouncementTarget(a.channel_id, a.role_ids) for a in standing]
    change = reroute(old, announcement_targets(context.routes, incident))
    for target in change.added:
        row = await _announce(conn, stored.id, incident, target, context.language, link, now)
        sent.append(Sent("announcement", target.channel_id, row))
    by_channel = {a.channel_id: a for a in standing}
    for target in change.removed:
        item = by_channel[target.channel_id]
        await repo.set_announcement(conn, stored.id, item.channel_id, state="withdrawn", role_ids=item.role_ids)
        if item.message_row is not None:
            body = no_longer_concerns(incident, context.language)
            await edit_announcement_message(conn, incident.guild_id, item.channel_id, item.message_row, body, now)
    for target in change.kept:
        if target.role_ids != by_channel[target.channel_id].role_ids:
            await repo.set_announcement(conn, stored.id, target.channel_id, state="active", role_ids=target.role_ids)
    # Channels that just got the announcement already show the incident as it is now: no edit, no news.
    kept = {target.channel_id: target for target in change.kept}
    return [replace(a, role_ids=kept[a.channel_id].role_ids) for a in standing if a.channel_id in kept]


async def plan_archive(conn: aiosqlite.Connection, stored: StoredIncident, *, now: datetime) -> None:
    if stored.thread_row is not None:
        await _edit_thread(conn, stored, {"archived": True}, now=now)


async def _edit_thread(
    conn: aiosqlite.Connection, stored: StoredIncident, change: dict[str, Any], *, now: datetime
) -> None:
    await _about_thread(conn, stored, OutboxKind.EDIT_THREAD, "thread_id", change, now=now)


async def _about_thread(
    conn: aiosqlite.Connection,
    stored: StoredIncident,
    kind: OutboxKind,
    thread_key: str,
    body: dict[str, Any],
    *,
    now: datetime,
) -> int:
    """A row on the incident's lane that names the incident's thread under `thread_key` (a `$ref` to the row
    creating it: the worker fills in its id once it exists)."""
    assert stored.thread_row is not None
    return await outbox.enqueue(
        conn,
        guild_id=stored.incident.guild_id,
        lane=incident_lane(stored.incident),
        kind=kind,
        payload={thread_key: outbox.ref(stored.thread_row, "thread_id"), **body},
        now=now,
    )
