"""French names and descriptions for slash commands, options and choices, shown to French Discord clients."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.common.i18n.catalogue import Catalogue


def text(english: str, message_id: str) -> app_commands.locale_str:
    """A command-facing string: `english` is its only English (what Discord shows by default), its French is the
    catalogue entry `message_id`."""
    return app_commands.locale_str(english, message_id=message_id)


class TocsinTranslator(app_commands.Translator):
    """French from the catalogue; every other locale is left to the English written in code."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale, context: Any) -> str | None:
        message_id = string.extras.get("message_id")
        if message_id is None or locale is not discord.Locale.french:
            return None
        return self._catalogue.render("fr", message_id)
