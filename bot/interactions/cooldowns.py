"""Per-person cooldowns on the commands that write or schedule (`/remind`, `/outage declare`).

Keyed on the server and the member, so one person's burst never slows anyone else; the bot's error handler words
`CommandOnCooldown` as one private sentence with the seconds to wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")

# Five in a minute is more than a person types by hand and stops a script (or a stuck key) early.
PER_PERSON_RATE = 5
PER_PERSON_SECONDS = 60.0


def _person(interaction: discord.Interaction[Any]) -> tuple[int | None, int]:
    return (interaction.guild_id, interaction.user.id)


def per_person_cooldown() -> Callable[[T], T]:
    return app_commands.checks.cooldown(PER_PERSON_RATE, PER_PERSON_SECONDS, key=_person)
