"""How `/outage` words its results in the private reply to whoever acted, in their language: the declaration,
every change, the list."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.common.i18n import Catalogue, Language
from bot.common.text import safe_text, truncate
from bot.incidents.presentation.labels import SEVERITY_KEYS, STATUS_KEYS
from bot.incidents.presentation.message_parts import discord_time, thread_url
from bot.incidents.use_cases.results import ChangeResult, DeclareResult, ListResult
from bot.interactions.replies import mark_done, person_language, reply_done

if TYPE_CHECKING:
    from bot.composition import Services

log = logging.getLogger(__name__)


def thread_mention(guild_id: int, thread_id: int | None, channel_id: int | None) -> str:
    if thread_id is not None:
        return thread_url(guild_id, thread_id)
    return f"<#{channel_id}>" if channel_id else "—"


def _channels(catalogue: Catalogue, language: Language, channel_ids: tuple[int, ...]) -> str:
    if not channel_ids:
        return catalogue.render(language, "outage.reply.none")
    return ", ".join(f"<#{c}>" for c in channel_ids)


def _time_and_distance(when: datetime) -> str:
    return f"{discord_time(when, 'F')} ({discord_time(when, 'R')})"


def declared_text(
    catalogue: Catalogue, language: Language, result: DeclareResult, link: str, *, settled: bool = False
) -> str:
    """The reply to a declaration; the channels it is being announced in, unless `settled` (the outbox then adds
    where it was announced, and where not yet and why, once it knows)."""
    word = catalogue.render
    lines = [
        word(language, "outage.reply.declared", number=result.number, title=safe_text(result.title), link=link),
        word(language, "outage.reply.started", time=discord_time(result.started_at, "F")),
    ]
    if result.eta is not None:
        lines.append(word(language, "outage.reply.eta", time=_time_and_distance(result.eta)))
    if result.channels:
        if not settled:
            channels = _channels(catalogue, language, result.channels)
            lines.append(word(language, "outage.reply.announcing", channels=channels))
    else:
        lines.append(word(language, "outage.reply.no_channel"))
    if result.replayed:
        lines.append(word(language, "outage.reply.already_done"))
    return "\n".join(lines)


async def answer_declared(
    services: Services, interaction: discord.Interaction[Any], actor: Actor, result: DeclareResult
) -> None:
    """The private reply to a declaration (from `/outage declare` or from members' reports), once committed: the
    outbox woken, the reply at once, and the thread's link as an edit of it once the outbox has made the thread
    (it waits for the status message, paced by Discord at 5 messages / 5 s in the incident channel)."""
    lifecycle = services.lifecycle
    services.outbox.wake()
    marker = f"[[thread-link-{secrets.token_hex(8)}]]"
    language = person_language(interaction)
    content = declared_text(services.catalogue, language, result, marker)
    # Declared: from here on, a failure says the incident exists (its number, its channel), never to retry.
    mark_done(interaction, content.replace(marker, thread_mention(actor.guild_id, None, result.incident_channel_id)))
    thread_id = await lifecycle.thread_id(result.thread_row)
    shown_text = content.replace(marker, thread_mention(actor.guild_id, thread_id, result.incident_channel_id))
    shown = await reply_done(interaction, shown_text)
    if (thread_id is None or result.sent) and shown is not None:
        # Completed with the link and where it was announced (and where not yet, and why).
        settled = declared_text(services.catalogue, language, result, marker, settled=True)
        before, _, after = settled.partition(marker)
        try:
            await lifecycle.link_private_reply(
                actor.guild_id,
                result.thread_row,
                application_id=interaction.application_id,
                token=interaction.token,
                before=before,
                after=after,
                tail=notice(shown, shown_text),
                language=language,
                sent=result.sent,
                now=services.clock.now(),
            )
        except Exception:  # the declaration is made and answered; only the reply's completion will be missing
            log.exception("could not plan the completion of the reply about #%s", result.number)
        else:
            services.outbox.wake()


def notice(shown: str, said: str) -> str:
    """What joined a reply after the text it was given (a notice for the person), kept when it is edited."""
    return shown[len(said) :] if shown.startswith(said) else ""


def changed_text(
    catalogue: Catalogue,
    language: Language,
    message_id: str,
    result: ChangeResult,
    *,
    guild_id: int,
    settled: bool = False,
    said: Mapping[str, Any] | None = None,
) -> str:
    """The reply to a change; the channels getting a new message, unless `settled` (then the outbox adds where it
    was published, and where not yet and why)."""
    word = catalogue.render
    lines = [
        word(
            language,
            message_id,
            number=result.number,
            title=safe_text(result.title),
            status=word(language, STATUS_KEYS[result.status]),
            link=thread_mention(guild_id, result.thread_id, None),
            **(said or {}),
        )
    ]
    if result.eta is not None and result.status.is_open:
        lines.append(word(language, "outage.reply.eta", time=_time_and_distance(result.eta)))
    if result.next_update_at is not None:
        lines.append(word(language, "outage.reply.next_update", time=_time_and_distance(result.next_update_at)))
    for key, channel_ids in (
        ("outage.reply.news_sending", () if settled else result.news_channels),
        ("outage.reply.added_channels", result.added_channels),
        ("outage.reply.removed_channels", result.removed_channels),
    ):
        if channel_ids:
            lines.append(word(language, key, channels=_channels(catalogue, language, channel_ids)))
    if result.replayed:
        lines.append(word(language, "outage.reply.already_done"))
    return "\n".join(lines)


def list_embed(catalogue: Catalogue, language: Language, found: ListResult) -> discord.Embed:
    word = catalogue.render
    lines = [
        word(
            language,
            "outage.list.line",
            number=item.number,
            title=safe_text(item.title),
            status=word(language, STATUS_KEYS[item.status]),
            severity=word(language, SEVERITY_KEYS[item.severity]),
            started=discord_time(item.started_at, "f"),
        )
        for item in found.incidents
    ]
    if found.more:
        lines.append(word(language, "outage.list.more", count=len(found.incidents)))
    return discord.Embed(
        title=word(language, "outage.list.title"),
        description=truncate("\n".join(lines), 4096),
        colour=discord.Colour.dark_red(),
    )
