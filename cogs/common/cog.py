"""What every feature's cog holds: the bot (for what only the Discord client does) and the services built at start
(bot/composition.py), given to its constructor; and the buttons and menus it answers, registered while it is
loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ext import commands

from bot.common.i18n import Language

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services


class FeatureCog(commands.Cog):
    # The dynamic items (buttons, menus) whose clicks this cog answers, also after a restart.
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = ()

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        self.bot = bot
        self.services = services

    def word(self, language: Language, message_id: str, **args: Any) -> str:
        return self.services.catalogue.render(language, message_id, **args)

    async def cog_load(self) -> None:
        if self.dynamic_items:
            self.bot.add_dynamic_items(*self.dynamic_items)

    async def cog_unload(self) -> None:
        if self.dynamic_items:
            self.bot.remove_dynamic_items(*self.dynamic_items)
