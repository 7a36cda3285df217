"""The buttons and menus that outlive a restart (`discord.ui.DynamicItem`: their custom id says everything) all
answer a failure the same way: one private sentence for whoever clicked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.app import TocsinBot


class Answering:
    """Put before `discord.ui.DynamicItem` in a button's bases: its click is `_click`, and whatever `_click`
    raises is answered privately (`TocsinBot.report_error`) rather than left to discord.py's log."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: TocsinBot = interaction.client
        try:
            await self._click(bot, interaction)
        except Exception as exc:  # every failure becomes one private sentence
            await bot.report_error(interaction, exc)

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
