"""What a planned maintenance shows on Discord: its status message (the head of its thread), the messages where
its routes lead, the short posts in its thread, and the question to its owner before the end.

Who is pinged is decided here, once: the messages at scheduling, at the reminder and of a reschedule or a
cancellation before the start mention the route's role and may ping exactly it; the messages at the start, at
the end and of an extension ping nobody; the question pings its owner alone; edits never ping.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from bot.common import territories as territory_data
from bot.common.i18n.catalogue import Language
from bot.common.limits import THREAD_NAME
from bot.common.text import plain_text, safe_text, truncate
from bot.incidents.presentation.message_parts import (
    NO_MENTIONS,
    Payload,
    allowed_mentions,
    button,
    discord_time,
    embed_field,
    fit_embed,
    message_text,
    role_mentions,
    word,
)
from bot.maintenance.rules import Maintenance, Stage

SCHEDULED_COLOUR = 0x1565C0
IN_PROGRESS_COLOUR = 0x6A1B9A
OVER_COLOUR = 0x2E7D32
CANCELLED_COLOUR = 0x757575
EXTEND = "extend"
CONVERT = "convert"


class News(StrEnum):
    """The new messages a maintenance posts where its routes lead."""

    SCHEDULED = "scheduled"
    REMINDER = "reminder"
    STARTED = "started"
    ENDED = "ended"
    RESCHEDULED = "rescheduled"
    EXTENDED = "extended"
    CANCELLED = "cancelled"
    CONVERTED = "converted"


# The news that calls people to act (ahead, or an overrun that became an outage): it mentions the route's role.
PINGING = frozenset({News.SCHEDULED, News.REMINDER, News.RESCHEDULED, News.CANCELLED, News.CONVERTED})


NEWS_KEYS = {
    News.SCHEDULED: "maintenance.news.scheduled",
    News.REMINDER: "maintenance.news.reminder",
    News.STARTED: "maintenance.news.started",
    News.ENDED: "maintenance.news.ended",
    News.RESCHEDULED: "maintenance.news.rescheduled",
    News.EXTENDED: "maintenance.news.extended",
    News.CANCELLED: "maintenance.news.cancelled",
    News.CONVERTED: "maintenance.news.converted",
}
STAGE_KEYS = {
    Stage.SCHEDULED: "maintenance.stage.scheduled",
    Stage.REMINDED: "maintenance.stage.scheduled",
    Stage.STARTED: "maintenance.stage.in_progress",
    Stage.ASKED: "maintenance.stage.in_progress",
    Stage.ENDED: "maintenance.stage.ended",
    Stage.CANCELLED: "maintenance.stage.cancelled",
    Stage.CONVERTED: "maintenance.stage.converted",
}


def pings(news: News, maintenance: Maintenance) -> bool:
    """A cancellation pings only before the start: once started, its end is told like an end."""
    if news == News.CANCELLED:
        return maintenance.starts_at > (maintenance.ended_at or maintenance.starts_at)
    return news in PINGING


def _colour(m: Maintenance) -> int:
    if m.stage == Stage.CANCELLED:
        return CANCELLED_COLOUR
    if m.stage in (Stage.ENDED, Stage.CONVERTED):
        return OVER_COLOUR
    return IN_PROGRESS_COLOUR if m.in_progress else SCHEDULED_COLOUR


def _territories(m: Maintenance, language: Language) -> str:
    labels = []
    for ref in m.territories:
        try:
            labels.append(territory_data.label(territory_data.get(ref), language))
        except territory_data.TerritoryError:
            labels.append(ref)
    return ", ".join(labels)


def heading(m: Maintenance) -> str:
    return f"🛠️ {m.label} · {safe_text(m.organisation)}"


def status_embed(m: Maintenance, language: Language) -> dict[str, Any]:
    fields = [
        embed_field(word(language, "maintenance.label.state"), word(language, STAGE_KEYS[m.stage])),
        embed_field(word(language, "maintenance.label.start"), discord_time(m.starts_at, "F"), inline=True),
        embed_field(word(language, "maintenance.label.end"), discord_time(m.ends_at, "F"), inline=True),
        embed_field(word(language, "maintenance.label.territories"), _territories(m, language)),
        embed_field(word(language, "maintenance.label.sector"), safe_text(m.sector), inline=True),
    ]
    if m.services:
        fields.append(embed_field(word(language, "maintenance.label.services"), safe_text(", ".join(m.services))))
    if m.workaround:
        fields.append(embed_field(word(language, "maintenance.label.workaround"), safe_text(m.workaround)))
    embed = {
        "title": heading(m),
        "description": word(language, "maintenance.description"),
        "color": _colour(m),
        "fields": fields,
    }
    return fit_embed(embed)


def status_message(m: Maintenance, language: Language) -> Payload:
    """The head of its thread, edited at each change."""
    return {"embeds": [status_embed(m, language)], "allowed_mentions": NO_MENTIONS}


def thread_name(m: Maintenance, language: Language) -> str:
    return truncate(
        plain_text(word(language, "maintenance.thread_name", label=m.label, text=m.organisation)), THREAD_NAME
    )


def _news_text(m: Maintenance, news: News, language: Language, incident: str | None) -> str:
    args: dict[str, Any] = {
        "organisation": safe_text(m.organisation),
        "starts": discord_time(m.starts_at, "F"),
        "ends": discord_time(m.ends_at, "F"),
    }
    if news == News.CONVERTED:
        args["incident"] = incident or ""
    return word(language, NEWS_KEYS[news], **args)


def news_message(
    m: Maintenance,
    news: News,
    language: Language,
    *,
    role_ids: Sequence[int] = (),
    thread: Any = None,
    incident: str | None = None,
) -> Payload:
    """A new message where a route leads; it mentions the route's roles only when the news calls people to act."""
    roles = list(role_ids) if pings(news, m) else []
    payload: Payload = {
        "content": message_text(role_mentions(roles), _news_text(m, news, language, incident)),
        "embeds": [status_embed(m, language)],
        "allowed_mentions": allowed_mentions(roles=roles),
    }
    if thread is not None:
        payload["components"] = [
            {"type": 1, "components": [button(language, "maintenance.button.thread", 5, url=thread)]}
        ]
    if not pings(news, m):  # news that calls nobody to act leaves notifications off, as an edit would
        payload["silent"] = True
    return payload


def standing(
    m: Maintenance, news: News, language: Language, *, thread: Any = None, incident: str | None = None
) -> Payload:
    """The standing announcement edited to what it now is (edits notify nobody)."""
    payload = news_message(m, news, language, thread=thread, incident=incident)
    payload.pop("silent", None)
    return {**payload, "allowed_mentions": NO_MENTIONS}


def thread_post(m: Maintenance, news: News, language: Language, *, incident: str | None = None) -> Payload:
    """One line in its thread, pinging nobody."""
    return {
        "content": message_text("", _news_text(m, news, language, incident)),
        "allowed_mentions": NO_MENTIONS,
        "silent": True,
    }


def button_id(action: str, guild_id: int, number: int) -> str:
    return f"tocsin:maintenance:{action}:{guild_id}:{number}"


def question(m: Maintenance, language: Language) -> Payload:
    """Before the end, in its thread: its owner alone is asked whether it will end on time."""
    text = word(language, "maintenance.ask", owner=f"<@{m.owner_id}>", label=m.label, ends=discord_time(m.ends_at, "F"))
    row = [
        button(language, "maintenance.button.extend", 1, custom_id=button_id(EXTEND, m.guild_id, m.number)),
        button(language, "maintenance.button.convert", 4, custom_id=button_id(CONVERT, m.guild_id, m.number)),
    ]
    return {
        "content": message_text("", text),
        "components": [{"type": 1, "components": row}],
        "allowed_mentions": allowed_mentions(users=[m.owner_id]),
    }


def listed_line(m: Maintenance, language: Language) -> str:
    """How the autocomplete and the replies name it: "M3 · Cerp (dimanche…)" without markup."""
    return truncate(f"{m.label} · {plain_text(m.organisation)} · {plain_text(m.title)}", 100)
