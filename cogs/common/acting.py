"""Who acts in a server, as the use cases take it: the member, the roles they hold, and the interaction (to answer
a repeated one the same)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord

from bot.interactions.access import require_guild

Person = TypeVar("Person")


def acting(interaction: discord.Interaction[Any], person: Callable[..., Person]) -> Person:
    """`person` is the use case's class for who acts (`Actor`, `Member`); outside a server, a refusal."""
    guild_id = require_guild(interaction)
    return person(
        guild_id=guild_id,
        user_id=interaction.user.id,
        role_ids=frozenset(role.id for role in getattr(interaction.user, "roles", [])),
        interaction_id=interaction.id,
    )
