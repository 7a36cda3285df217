"""Suggestions that several commands offer: the same incidents, territories and sectors, in the same words,
wherever an option names one. Its callbacks (`suggest_…`) are attached with `app_commands.autocomplete` and read
the services from the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common import territories
from bot.common.i18n import Language
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_VALUE
from bot.common.text import name_key, truncate
from bot.incidents.presentation.labels import STATUS_KEYS
from bot.incidents.presentation.message_parts import numbered_title
from bot.incidents.rules.service_changes import last_item
from bot.interactions.replies import person_language

if TYPE_CHECKING:
    from bot.composition import Services

Choices = list[app_commands.Choice[str]]


def choice(name: str, value: str) -> app_commands.Choice[str] | None:
    """A suggestion Discord accepts, or None for a value it would refuse."""
    if len(value) > CHOICE_VALUE or not value.strip():
        return None
    return app_commands.Choice(name=truncate(name, CHOICE_NAME) or value[:CHOICE_NAME], value=value)


def first(items: list[app_commands.Choice[str] | None]) -> list[app_commands.Choice[str]]:
    """As many suggestions as Discord shows, dropping those it would refuse."""
    return [c for c in items if c is not None][:AUTOCOMPLETE_CHOICES]


async def suggest_incidents(interaction: discord.Interaction[Any], current: str) -> Choices:
    """The server's incidents matching what is typed, each with its status, valued by its number."""
    if interaction.guild_id is None:
        return []
    services: Services = interaction.client.services
    language = person_language(interaction)
    found = await services.lifecycle.search(interaction.guild_id, current)
    return first(
        [
            choice(
                f"{numbered_title(item.number, item.title)} — "
                f"{services.catalogue.render(language, STATUS_KEYS[item.status])}",
                str(item.number),
            )
            for item in found
        ]
    )


def territory_choices(typing: str, language: Language, before: str = "") -> list[app_commands.Choice[str]]:
    """Territories matching `typing`; `before` is what a comma-separated list already holds, kept in front."""
    return first(
        [
            choice(truncate(before + territories.label(t, language), CHOICE_NAME), before + t.ref)
            for t in territories.suggest(typing)
        ]
    )


def matching(names: list[str], current: str) -> list[str]:
    """Names starting with what is typed, then names containing it (without case or accents)."""
    wanted = name_key(current)
    starting = [n for n in names if name_key(n).startswith(wanted)]
    return starting + [n for n in names if wanted in name_key(n) and n not in starting]


async def suggest_territory(interaction: discord.Interaction[Any], current: str) -> Choices:
    return territory_choices(current, person_language(interaction))


async def suggest_territories(interaction: discord.Interaction[Any], current: str) -> Choices:
    """For a comma-separated list: the last item is being typed."""
    before, typing = last_item(current)
    return territory_choices(typing, person_language(interaction), before)


async def suggest_sectors(interaction: discord.Interaction[Any], current: str) -> Choices:
    if interaction.guild_id is None:
        return []
    services: Services = interaction.client.services
    return first([choice(s, s) for s in matching(await services.lifecycle.sectors(interaction.guild_id), current)])
