"""The messages a group causes, planned as outbox rows inside the caller's unit of work (nothing here talks to
Discord):

- its card: posted once in the reports channel (the bot-log channel before one is set), then edited in place as
  reports arrive. Waiting edits of one card collapse into the latest (their coalesce key) and the worker sends
  at most one edit of it per second (`pace_s`); each card has a lane of its own, so one card waiting for its pace
  holds up no other. A card found deleted (its last edit answered Unknown Message) or never posted (the channel
  refused it) is posted again at the group's next change;
- past the cap of open cards, the group is listed on the server's one summary card instead;
- its alert, once: a new message mentioning the coordinator role and nobody else, linking to the card; in the
  bot-log channel when the reports channel refused the bot's last message there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.delivery import outbox
from bot.delivery.dependencies import POSTED_AGAIN
from bot.delivery.kinds import OutboxKind
from bot.incidents import store as incidents_repo
from bot.incidents.use_cases.deliveries import post_in_channel
from bot.reports import store as repo
from bot.reports.presentation import Card, alert_message, card_message, message_url, summary_message
from bot.reports.rules import GroupFacts, summarise
from bot.reports.store import StoredGroup
from bot.settings.rules.config import GuildConfig

# Discord's answers meaning the card is not there to edit: Unknown Channel, Unknown Message.
CARD_GONE_CODES = frozenset({10003, 10008})
# At most one edit of a card per second reaches Discord; the latest waiting one is what is sent.
CARD_EDIT_PACE_S = 1.0


def card_lane(guild_id: int, group_id: int | str) -> str:
    return f"reports:{guild_id}:{group_id}"


async def facts_of(conn: aiosqlite.Connection, group_id: int) -> GroupFacts:
    return summarise([r.as_group_report for r in await repo.group_reports(conn, group_id)])


async def card_of(conn: aiosqlite.Connection, group: StoredGroup, facts: GroupFacts | None = None) -> Card:
    """The group as its card shows it, read in the caller's transaction."""
    number = None
    if group.incident_id is not None:
        stored = await incidents_repo.get_by_id(conn, group.incident_id)
        number = stored.incident.number if stored is not None else None
    merged_into = None
    if group.merged_into is not None:
        other = await repo.get_group(conn, group.merged_into)
        merged_into = other.organisation if other is not None else None
    return Card(
        guild_id=group.guild_id,
        group_id=group.id,
        organisation=group.organisation,
        status=group.status,
        facts=facts if facts is not None else await facts_of(conn, group.id),
        alerted=group.alerted_at is not None,
        decided_by=group.decided_by,
        decided_at=group.decided_at,
        reason=group.reason,
        incident_number=number,
        merged_into=merged_into,
    )


async def _gone(conn: aiosqlite.Connection, card_row: int | None, edit_row: int | None) -> bool:
    """Whether a card must be posted (again): it never was, its post failed, or its last edit found it gone."""
    if card_row is None:
        return True
    states = await repo.delivery_states(conn, [card_row] if edit_row is None else [card_row, edit_row])
    posted = states.get(card_row)
    if posted is None or posted[0] in ("failed", "superseded"):
        return True
    edited = states.get(edit_row) if edit_row is not None else None
    return edited is not None and edited[0] == "failed" and edited[1] in CARD_GONE_CODES


async def _post_or_edit(
    conn: aiosqlite.Connection,
    guild_id: int,
    lane: str,
    channel_id: int,
    card_row: int | None,
    edit_row: int | None,
    message: dict[str, Any],
    *,
    now: datetime,
) -> tuple[int | None, int | None]:
    """(card row, edit row) after posting the card, or editing the one posted."""
    if await _gone(conn, card_row, edit_row):
        posted = await outbox.enqueue(
            conn,
            guild_id=guild_id,
            lane=lane,
            kind=OutboxKind.SEND_MESSAGE,
            # Posted again at the group's next change if refused: never kept owed with stale counts.
            payload={"channel_id": channel_id, **message, POSTED_AGAIN: True},
            now=now,
        )
        return posted, None
    assert card_row is not None
    edited = await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=lane,
        kind=OutboxKind.EDIT_MESSAGE,
        payload={"channel_id": channel_id, "message_id": outbox.ref(card_row), **message, "pace_s": CARD_EDIT_PACE_S},
        coalesce_key=outbox.edit_coalesce_key(channel_id, f"row{card_row}"),
        now=now,
    )
    return card_row, edited


async def plan_card(
    conn: aiosqlite.Connection, config: GuildConfig, group: StoredGroup, card: Card, *, now: datetime
) -> None:
    """The group's card as it now is: posted, or edited in place; or the summary card, for a group past the cap."""
    if group.on_summary:
        await plan_summary(conn, config, now=now)
        return
    channel_id = group.card_channel_id if group.card_row is not None else config.report_cards_channel_id
    if channel_id is None:  # no reports channel and no bot-log channel: `/setup check` says so
        return
    message = card_message(card, config.language)
    card_row, edit_row = await _post_or_edit(
        conn,
        group.guild_id,
        card_lane(group.guild_id, group.id),
        channel_id,
        group.card_row,
        group.card_edit_row,
        message,
        now=now,
    )
    if card_row != group.card_row:
        await repo.set_card(conn, group.id, channel_id=channel_id, card_row=card_row)
    elif edit_row is not None:
        await repo.set_card_edit(conn, group.id, edit_row)


async def plan_summary(conn: aiosqlite.Connection, config: GuildConfig, *, now: datetime) -> None:
    """The summary card listing the open groups past the cap: posted once, edited as they change."""
    guild_id = config.guild_id
    known = await repo.summary_card(conn, guild_id)
    channel_id = known[0] if known is not None and known[1] is not None else config.report_cards_channel_id
    if channel_id is None:
        return
    cards = [await card_of(conn, group) for group in await repo.summary_groups(conn, guild_id)]
    message = summary_message(cards, config.language)
    card_row, edit_row = await _post_or_edit(
        conn,
        guild_id,
        card_lane(guild_id, "summary"),
        channel_id,
        known[1] if known is not None else None,
        known[2] if known is not None else None,
        message,
        now=now,
    )
    await repo.set_summary_card(conn, guild_id, channel_id=channel_id, card_row=card_row, edit_row=edit_row)


async def plan_alert(
    conn: aiosqlite.Connection, config: GuildConfig, group: StoredGroup, card: Card, *, now: datetime
) -> None:
    """The group's one alert: a new message mentioning the coordinator role, linking to the card."""
    assert config.coordinator_role_id is not None
    guild_id = group.guild_id
    card_row, channel_id = group.card_row, group.card_channel_id
    if group.on_summary:
        known = await repo.summary_card(conn, guild_id)
        card_row, channel_id = (known[1], known[0]) if known is not None else (None, None)
    where = channel_id if channel_id is not None else config.report_cards_channel_id
    if where is None:
        return
    link: Any = f"<#{where}>"
    if card_row is not None and channel_id is not None:
        template = message_url(guild_id, channel_id, "{}")
        link = {**outbox.ref(card_row, "message_id", template=template), "default": link}
    if config.bot_log_channel_id is not None and await repo.channel_refused(conn, guild_id, where):
        where = config.bot_log_channel_id
    message = alert_message(
        card,
        config.language,
        coordinator_role_id=config.coordinator_role_id,
        window_minutes=config.report_alert_window_min,
        link=link,
    )
    await post_in_channel(conn, guild_id, where, message, now=now)
