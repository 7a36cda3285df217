"""The buttons and menus that outlive a restart (`discord.ui.DynamicItem`: their custom id says everything) all
answer a failure the same way: one private sentence for whoever clicked. Every button and menu Tocsin sends is one
of them: a click that none of their templates matches is answered by the bot (`TocsinBot.on_interaction`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.interactions.admission import admit_component

if TYPE_CHECKING:
    from bot.app import TocsinBot


class Answering:
    """Put before `discord.ui.DynamicItem` in a button's bases: its click is `_click`, and whatever `_click`
    raises is answered privately (`TocsinBot.report_error`) rather than left to discord.py's log. The groups of
    its template are named like its constructor's parameters: the item is rebuilt from them (digits are ids).
    Before `_click`, the click is checked against the component the message carries (a menu's values among its
    options and as many as it takes, the ids it names in this server): `_click` reads only what Discord's own
    clients could send."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(**{name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()})

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: TocsinBot = interaction.client
        try:
            await admit_component(interaction)
            await self._click(bot, interaction)
        except Exception as exc:  # every failure becomes one private sentence
            await bot.report_error(interaction, exc)

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
