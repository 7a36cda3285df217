"""Private replies to the person who acted, in their own Discord locale."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import Catalogue, Language, Msg, language_of


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
