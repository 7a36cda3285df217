"""`/setup`'s long answers (show, check, audit) as embeds within Discord's limits."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.common.limits import EMBED_DESCRIPTION, EMBED_TITLE, EMBED_TOTAL, EMBEDS_PER_MESSAGE
from bot.common.text import truncate
from bot.settings.presentation import Section


def pack(sections: Sequence[Section], colour: discord.Colour) -> list[list[discord.Embed]]:
    """Sections as embeds within Discord's limits: long sections split over several embeds, at most 10 embeds
    and 6,000 characters per message."""
    embeds: list[discord.Embed] = []
    for section in sections:
        title = truncate(section.title, EMBED_TITLE)
        chunk: list[str] = []
        size = 0
        for line in section.lines:
            line = truncate(line, EMBED_DESCRIPTION)
            if chunk and size + len(line) + 1 > EMBED_DESCRIPTION - 200:
                embeds.append(discord.Embed(title=title, description="\n".join(chunk), colour=colour))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        embeds.append(discord.Embed(title=title, description="\n".join(chunk) or "—", colour=colour))
    messages: list[list[discord.Embed]] = [[]]
    total = 0
    for embed in embeds:
        length = len(embed)
        if messages[-1] and (len(messages[-1]) == EMBEDS_PER_MESSAGE or total + length > EMBED_TOTAL):
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += length
    return messages
