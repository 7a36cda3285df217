"""A maintenance that overruns turned into an incident, inside the caller's unit of work.

The incident is declared with the maintenance's facts (organisation, sector, territories, services down since the
planned start, what to do meanwhile), open and owned by the maintenance's owner. It takes over the maintenance's
thread and status message (the incident's status message replaces it in place) and its standing announcements
(edited to the incident's), so its story stays in one thread. Where its routes lead, one new message says it
became an incident, mentioning the route's role: an outage is news. From there on it is an incident in every
figure: its start is the maintenance's planned start; its first timeline entry records what was planned.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.common.i18n import default_catalogue
from bot.incidents import store as incidents
from bot.incidents.presentation.message_parts import heading
from bot.incidents.rules import lifecycle
from bot.incidents.rules.lifecycle import Announce
from bot.incidents.rules.model import Cause, Severity
from bot.incidents.use_cases.deliveries import ChangeContext, plan_changed, post_in_channel
from bot.maintenance import store as repo
from bot.maintenance.presentation import News, news_message, thread_post
from bot.maintenance.rules import Maintenance
from bot.maintenance.store import StoredMaintenance
from bot.maintenance.use_cases.deliveries import post_in_thread, thread_link
from bot.settings.rules.config import GuildConfig


async def convert_in(
    conn: aiosqlite.Connection,
    config: GuildConfig,
    stored: StoredMaintenance,
    m: Maintenance,
    *,
    by: int,
    now: datetime,
) -> tuple[int, int]:
    """Returns the new incident's row id and number."""
    language = config.language
    title = default_catalogue().render(language, "maintenance.incident_title", organisation=m.organisation)
    request = lifecycle.DeclareRequest(
        title=title[:100],
        sector=m.sector,
        territories=m.territories,
        severity=Severity.MINOR,
        cause=Cause.UNKNOWN,
        organisation=m.organisation,
        started_at=m.starts_at,
        services=m.services,
        workaround=m.workaround,
    )
    number = await incidents.next_number(conn, m.guild_id)
    outcome = lifecycle.declare(request, guild_id=m.guild_id, number=number, at=now, by=m.owner_id)
    entry = outcome.entries[0]
    planned = {
        "number": m.number,
        "scheduled_at": m.scheduled_at.isoformat(),
        "starts_at": m.starts_at.isoformat(),
        "ends_at": m.ends_at.isoformat(),
        "turned_by": by,
    }
    entries = (
        lifecycle.Update(entry.kind, entry.at, entry.by, entry.silent, {**entry.details, "maintenance": planned}),
    )
    incident_id = await incidents.insert(conn, outcome.incident, incident_channel_id=stored.incident_channel_id)
    if stored.thread_row is not None and stored.status_message_row is not None:
        await incidents.set_message_rows(
            conn, incident_id, thread_row=stored.thread_row, status_message_row=stored.status_message_row
        )
    standing = await repo.announcements(conn, stored.id)
    for item in standing:
        if item.message_row is not None:
            await incidents.add_announcement(
                conn, incident_id, item.channel_id, item.role_ids, message_row=item.message_row, at=now
            )
    declared = await incidents.get_by_id(conn, incident_id)
    assert declared is not None
    named = heading(outcome.incident)
    # The maintenance's thread says what became of it, then the incident edits the head and the announcements.
    await post_in_thread(conn, stored, m, thread_post(m, News.CONVERTED, language, incident=named), now=now)
    announce = Announce(edit_announcements=True, edit_status_message=True)
    await plan_changed(conn, declared, entries, announce, ChangeContext.of(config), now=now)
    link = thread_link(m.guild_id, stored.thread_row)
    for item in standing:
        payload = news_message(m, News.CONVERTED, language, role_ids=item.role_ids, thread=link, incident=named)
        await post_in_channel(conn, m.guild_id, item.channel_id, payload, now=now)
    await incidents.append_updates(conn, incident_id, entries, thread_post_row=None)
    return incident_id, number
