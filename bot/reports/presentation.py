"""What reports show on Discord: each open group's triage card (edited in place, pinging nobody), the summary card
listing the groups past the cap, the alert that mentions the coordinator role once per group, and the post that
thanks the reporters in the incident's thread.

What members typed goes out inert: `safe_text` neutralises mentions and markdown, and it is shown in embed
fields, which Discord never previews links in. Every payload fits Discord's limits (`fit_embed`, `truncate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.formatting import member_reference
from bot.common.i18n.catalogue import Language, Msg
from bot.common.limits import CUSTOM_ID, EMBED_DESCRIPTION, MESSAGE_CONTENT
from bot.common.text import safe_text, truncate
from bot.incidents.presentation.message_parts import NO_MENTIONS, button, discord_time, embed_field, fit_embed, word
from bot.reports.rules import GroupFacts, GroupStatus, MemberReport

Payload = dict[str, Any]
# Discord pings at most 100 users per message (allowed_mentions.users holds 100 ids at most), and a message holds
# 2,000 characters: a post of thanks takes as many mentions as both allow.
MENTIONS_PER_POST = 100

OPEN_COLOUR = 0xF9A825
ALERTED_COLOUR = 0xC62828
DECLARED_COLOUR = 0x2E7D32
CLOSED_COLOUR = 0x757575

# The card's buttons: what each does to which group is in its custom id, so they work after a restart.
DECLARE, ATTACH, MERGE, SET_ASIDE, ABUSE, UNDO = "declare", "attach", "merge", "aside", "abuse", "undo"
CARD_ACTIONS = (DECLARE, ATTACH, MERGE, SET_ASIDE, ABUSE, UNDO)
_BUTTON_LABELS = {
    DECLARE: "report.button.declare",
    ATTACH: "report.button.attach",
    MERGE: "report.button.merge",
    SET_ASIDE: "report.button.aside",
    ABUSE: "report.button.abuse",
    UNDO: "report.button.undo",
}


def message_url(guild_id: int, channel_id: int, message_id: int | str) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def territory_labels(refs: Sequence[str], language: Language) -> list[str]:
    labels = []
    for ref in refs:
        try:
            labels.append(territory_data.label(territory_data.get(ref), language))
        except TocsinError:  # a ref stored by an older territory list
            labels.append(ref)
    return labels


def card_custom_id(action: str, guild_id: int, group_id: int) -> str:
    """ "tocsin:report:<action>:<guild>:<group>"."""
    if action not in CARD_ACTIONS:
        raise ValueError(f"unknown card action {action!r}")
    value = f"tocsin:report:{action}:{guild_id}:{group_id}"
    if len(value) > CUSTOM_ID:
        raise ValueError("custom_id too long")
    return value


@dataclass(frozen=True)
class Card:
    """A group as its card shows it."""

    guild_id: int
    group_id: int
    organisation: str
    status: GroupStatus
    facts: GroupFacts
    alerted: bool = False
    decided_by: int | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    incident_number: int | None = None
    merged_into: str | None = None


def _colour(card: Card) -> int:
    if card.status in (GroupStatus.DECLARED, GroupStatus.ATTACHED):
        return DECLARED_COLOUR
    if not card.status.is_open:
        return CLOSED_COLOUR
    return ALERTED_COLOUR if card.alerted else OPEN_COLOUR


def _outcome(card: Card, language: Language) -> str | None:
    if card.status.is_open:
        return None
    by = member_reference(card.decided_by, language) if card.decided_by is not None else "—"
    when = discord_time(card.decided_at) if card.decided_at is not None else "—"
    if card.status == GroupStatus.DECLARED:
        return word(language, "report.card.declared", number=card.incident_number, by=by, at=when)
    if card.status == GroupStatus.ATTACHED:
        return word(language, "report.card.attached", number=card.incident_number, by=by, at=when)
    if card.status == GroupStatus.MERGED:
        return word(language, "report.card.merged", into=safe_text(card.merged_into or "—"), by=by, at=when)
    if card.status == GroupStatus.SET_ASIDE:
        return word(language, "report.card.set_aside", by=by, at=when, reason=safe_text(card.reason or "—"))
    return word(language, "report.card.withdrawn", at=when)


def card_embed(card: Card, language: Language) -> dict[str, Any]:
    facts = card.facts
    fields = [
        embed_field(word(language, "report.card.members"), str(facts.members), inline=True),
        embed_field(word(language, "report.card.reports"), str(facts.reports), inline=True),
        embed_field(
            word(language, "report.card.first"),
            discord_time(facts.first_at) if facts.first_at is not None else "—",
            inline=True,
        ),
        embed_field(
            word(language, "report.card.since"),
            discord_time(facts.earliest_since) if facts.earliest_since is not None else "—",
            inline=True,
        ),
        embed_field(word(language, "report.card.services"), safe_text(", ".join(facts.services)) or "—"),
        embed_field(
            word(language, "report.card.territories"), ", ".join(territory_labels(facts.territories, language)) or "—"
        ),
    ]
    if facts.details:
        lines = [f"{discord_time(at, 't')} — {safe_text(text, multiline=True)}" for at, text in facts.details]
        fields.append(embed_field(word(language, "report.card.details"), "\n".join(lines)))
    outcome = _outcome(card, language)
    if outcome is not None:
        fields.append(embed_field(word(language, "report.card.outcome"), outcome))
    elif card.alerted:
        fields.append(embed_field(word(language, "report.card.outcome"), word(language, "report.card.alerted")))
    embed = {
        "title": word(language, "report.card.title", organisation=safe_text(card.organisation)),
        "color": _colour(card),
        "fields": fields,
        "footer": {"text": word(language, "report.card.footer", number=card.group_id)},
    }
    return fit_embed(embed)


def card_buttons(card: Card, language: Language) -> list[dict[str, Any]]:
    """Declare, attach, merge, set aside and mark abuse while the group is open; "undo" once set aside."""
    if card.status == GroupStatus.SET_ASIDE:
        actions = [(UNDO, 2)]
    elif card.status.is_open:
        actions = [(DECLARE, 3), (ATTACH, 1), (MERGE, 2), (SET_ASIDE, 2), (ABUSE, 4)]
    else:
        return []
    row = [
        button(language, _BUTTON_LABELS[action], style, custom_id=card_custom_id(action, card.guild_id, card.group_id))
        for action, style in actions
    ]
    return [{"type": 1, "components": row}]


def card_message(card: Card, language: Language, *, with_buttons: bool = True) -> Payload:
    """The card as posted and as every edit rewrites it (edits ping nobody)."""
    return {
        "content": "",
        "embeds": [card_embed(card, language)],
        "components": card_buttons(card, language) if with_buttons else [],
        "allowed_mentions": NO_MENTIONS,
    }


def summary_message(cards: Sequence[Card], language: Language) -> Payload:
    """The one card listing the groups that came past the cap of open cards."""
    lines = [
        word(
            language,
            "report.summary.line",
            organisation=safe_text(card.organisation),
            members=Msg.of("report.count.members", count=card.facts.members),
            reports=Msg.of("report.count.reports", count=card.facts.reports),
            first=discord_time(card.facts.first_at, "R") if card.facts.first_at is not None else "—",
        )
        for card in cards
    ]
    description = truncate("\n".join(lines) or word(language, "report.summary.empty"), EMBED_DESCRIPTION)
    embed = {
        "title": word(language, "report.summary.title", count=len(cards)),
        "description": description,
        "color": OPEN_COLOUR,
    }
    return {"content": "", "embeds": [embed], "components": [], "allowed_mentions": NO_MENTIONS}


def alert_message(
    card: Card, language: Language, *, coordinator_role_id: int, window_minutes: int, link: Any
) -> Payload:
    """The one new message of a group that crossed the alert threshold: it mentions the coordinator role, and may
    ping nobody else. `link` (a URL, or a placeholder the outbox fills in once the card exists) leads to the
    card."""
    text = word(
        language,
        "report.alert",
        count=card.facts.members,
        organisation=safe_text(card.organisation),
        minutes=window_minutes,
    )
    head = truncate(f"<@&{coordinator_role_id}> {text} ", MESSAGE_CONTENT - 120)
    return {
        "content": {"$concat": [head, link]},
        "allowed_mentions": {"parse": [], "users": [], "roles": [coordinator_role_id]},
    }


def thanks_posts(number: int, reporters: Sequence[int], language: Language) -> list[Payload]:
    """Posts in the incident's thread thanking and mentioning exactly the reporters (who become its followers):
    each within Discord's 100 mentions and 2,000 characters a message, so that every one of them is pinged."""
    text = word(language, "report.thanks", number=number, count=len(reporters))
    room = MESSAGE_CONTENT - len(text) - 1
    chunks: list[list[int]] = []
    used = room
    for user_id in reporters:
        mention = len(f"<@{user_id}> ")
        if not chunks or len(chunks[-1]) == MENTIONS_PER_POST or used + mention > room:
            chunks.append([])
            used = 0
        chunks[-1].append(user_id)
        used += mention
    return [
        {
            "content": " ".join(f"<@{user_id}>" for user_id in chunk) + "\n" + text,
            "allowed_mentions": {"parse": [], "users": chunk, "roles": []},
        }
        for chunk in chunks
    ]


_OUTCOMES = {
    "open": "report.list.open",
    "merged": "report.list.merged",
    "set_aside": "report.list.set_aside",
    "withdrawn": "report.list.withdrawn",
    "abuse": "report.list.abuse",
}


def member_report_lines(language: Language, reports: Sequence[MemberReport]) -> list[str]:
    """`/following`'s part about the member's own reports of the last 30 days, and what became of each."""
    if not reports:
        return []
    lines = [word(language, "report.list.title")]
    for item in reports:
        if item.number is not None:
            outcome = word(language, "report.list.incident", number=item.number)
        else:
            outcome = word(
                language, _OUTCOMES.get(item.outcome, "report.list.open"), reason=safe_text(item.reason or "—")
            )
        organisation = safe_text(item.organisation)
        lines.append(
            word(
                language, "report.list.line", at=discord_time(item.at, "f"), organisation=organisation, outcome=outcome
            )
        )
    return lines
