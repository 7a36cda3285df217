"""What `/outage declare` and `/outage update` suggest while a service list is typed: the server's earlier
service names and, in an update, the incident's own services with each state they may take."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.text import name_key
from bot.incidents.rules.service_changes import last_item
from bot.incidents.use_cases.typed_input import OutageError, parse_number
from bot.interactions.replies import person_language
from cogs.common.autocomplete import choice, first, matching

if TYPE_CHECKING:
    from bot.composition import Services

STATE_WORDS = {"fr": ("rétabli", "dégradé", "en panne"), "en": ("restored", "degraded", "down")}


async def suggest_services(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    services: Services = interaction.client.services
    language = person_language(interaction)
    before, typing = last_item(current)
    is_update = interaction.command is not None and interaction.command.name == "update"
    number: int | None = None
    if is_update:
        try:
            number = parse_number(str(getattr(interaction.namespace, "incident", "") or ""))
        except OutageError:
            number = None
    names = await services.lifecycle.service_names(interaction.guild_id, number)
    if ":" in typing:
        name, _, state = typing.partition(":")
        states = [w for w in STATE_WORDS[language] if name_key(w).startswith(name_key(state.strip()))]
        return first([choice(f"{before}{name.strip()}: {w}", f"{before}{name.strip()}: {w}") for w in states])
    found = matching(names, typing)
    if not is_update:
        items = [choice(before + n, before + n) for n in found]
        if typing and name_key(typing) not in {name_key(n) for n in found}:
            items.insert(0, choice(before + typing, before + typing))
        return first(items)
    return first([choice(f"{before}{n}: {w}", f"{before}{n}: {w}") for n in found[:8] for w in STATE_WORDS[language]])
