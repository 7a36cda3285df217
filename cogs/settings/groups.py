"""`/setup`'s command groups and what all its subcommands share (the admin who acts, the private answer in their
language, the server's sectors offered as choices), so that its subcommands can live in several modules: the
settings (commands.py), boards (boards.py), digests (digests.py), webhooks (webhook.py). The `Setup` cog inherits
them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

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
from cogs.common.autocomplete import Choices
from cogs.common.cog import FeatureCog
from cogs.common.groups import server_group
from cogs.common.options import Subcommands

if TYPE_CHECKING:
    from bot.composition import Services

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
setup_command = Subcommands(setup_group)
sector_command = Subcommands(sector_group)
route_command = Subcommands(route_group)

# Option names that several subcommands share (one French for all).
CHANNEL = text("channel", "cmd.setup.channel.name")
ROLE = text("role", "cmd.setup.role.name")
TERRITORY = text("territory", "cmd.setup.route.territory.name")
SECTOR = text("sector", "cmd.setup.route.sector.name")
SECTOR_NAME = text("name", "cmd.setup.sector.name_option.name")


def admin_typing(interaction: discord.Interaction[Any]) -> Actor | None:
    """The admin who types in an autocompleted option of /setup; None for anyone else: the server's own lists are
    for its admins, even when Discord's default permissions were overridden."""
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        return None
    return Actor(interaction.guild_id, interaction.user.id)


# One of the server's own lists (routes, boards, digests, webhooks) as (label, value), for the admin who types.
Labelled = Callable[["Services", Actor, discord.Interaction[Any]], Awaitable[Iterable[tuple[str, str]]]]


def admin_list(labelled: Labelled) -> Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]:
    """The autocomplete of an option naming one item of the server's own list: for its admins only, each
    (label, value) whose label holds what is typed."""

    async def suggest(interaction: discord.Interaction[Any], current: str) -> Choices:
        actor = admin_typing(interaction)
        if actor is None:
            return []
        query = current.strip().casefold()
        return [
            app_commands.Choice(name=truncate(label, CHOICE_NAME), value=value)
            for label, value in await labelled(interaction.client.services, actor, interaction)
            if query in label.casefold()
        ][:AUTOCOMPLETE_CHOICES]

    return suggest


async def sector_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    """The server's sectors matching what its admin types, for every subcommand that takes a sector."""
    actor = admin_typing(interaction)
    if actor is None:
        return []
    services: Services = interaction.client.services
    sectors = await service.sector_names(services.store, actor, defaults=services.defaults)
    return [
        app_commands.Choice(name=truncate(name, CHOICE_NAME), value=key)
        for name, key in suggest_sectors(sectors, current, AUTOCOMPLETE_CHOICES)
    ]


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
