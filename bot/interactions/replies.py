"""Private replies to the person who acted, in their own Discord locale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from bot.common.i18n import Catalogue, Language, Msg, language_of

_T = TypeVar("_T")

# How long a command's work may run before its interaction is deferred. Discord wants an answer within 3 s of
# sending it; a read that is done sooner answers in one round trip instead of two.
QUICK_REPLY_S = 1.0


async def defer_if_slow(
    interaction: discord.Interaction[Any], work: Awaitable[_T], *, within: float = QUICK_REPLY_S
) -> _T:
    """The work's result. The interaction is deferred (privately, "thinking…") only when the work is still
    running after `within` seconds."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        return await task


def person_language(interaction: discord.Interaction[Any]) -> Language:
    return language_of(str(interaction.locale))


async def reply_private(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
) -> None:
    """Answer privately, whether or not the interaction was already deferred or answered. A sentence the person
    must be told once (their DMs were found closed) joins their next private reply."""
    notice = getattr(interaction.client, "private_notice", None)
    told = await notice(interaction) if notice is not None else None
    if told:
        content = f"{content}\n\n{told}"[:2000] if content else told
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": discord.AllowedMentions.none()}
    if embed is not None:
        kwargs["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


async def reply_msg(interaction: discord.Interaction[Any], catalogue: Catalogue, msg: Msg) -> None:
    await reply_private(interaction, catalogue.word(person_language(interaction), msg))
