"""`/setup`'s command groups and what all its subcommands share (the admin who acts, the private answer in their
language, the server's sectors offered as choices), so that its subcommands can live in several modules: the
settings (commands.py), boards (boards.py), digests (digests.py), webhooks (webhook.py). The `Setup` cog inherits
them all."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, MESSAGE_CONTENT
from bot.common.text import truncate
from bot.interactions.access import require_admin
from bot.interactions.replies import person_language, reply_done
from bot.interactions.translator import text
from bot.settings import presentation
from bot.settings import use_cases as service
from bot.settings.rules.model import Outcome
from bot.settings.rules.validation import suggest_sectors
from cogs.common.cog import FeatureCog
from cogs.common.groups import server_group

setup_group = server_group(
    text("setup", "cmd.setup.name"),
    text("Configure Tocsin on this server (admins)", "cmd.setup.description"),
    default_permissions=discord.Permissions(manage_guild=True),
)
sector_group = app_commands.Group(
    name=text("sector", "cmd.setup.sector.name"),
    description=text("The server's sectors", "cmd.setup.sector.description"),
    parent=setup_group,
)
route_group = app_commands.Group(
    name=text("route", "cmd.setup.route.name"),
    description=text("Which channels announce which incidents", "cmd.setup.route.description"),
    parent=setup_group,
)


def admin_typing(interaction: discord.Interaction[Any]) -> Actor | None:
    """The admin who types in an autocompleted option of /setup; None for anyone else: the server's own lists are
    for its admins, even when Discord's default permissions were overridden."""
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        return None
    return Actor(interaction.guild_id, interaction.user.id)


class SetupBase(FeatureCog):
    # The group as an attribute of the cog, so that discord.py registers it (with every subcommand of every module).
    setup_group = setup_group

    def _actor(self, interaction: discord.Interaction[Any]) -> Actor:
        guild_id = require_admin(interaction)
        return Actor(guild_id=guild_id, user_id=interaction.user.id)

    async def _say(self, interaction: discord.Interaction[Any], outcome: Outcome) -> None:
        """The change is saved: said privately, and never followed by an invitation to do it again."""
        language = person_language(interaction)
        lines = [presentation.word(self.services.catalogue, language, line) for line in outcome.lines]
        await reply_done(interaction, truncate("\n".join(lines), MESSAGE_CONTENT))

    async def _sector_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        actor = admin_typing(interaction)
        if actor is None:
            return []
        sectors = await service.sector_names(self.services.store, actor, defaults=self.services.defaults)
        return [
            app_commands.Choice(name=truncate(name, CHOICE_NAME), value=key)
            for name, key in suggest_sectors(sectors, current, AUTOCOMPLETE_CHOICES)
        ]
