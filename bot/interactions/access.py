"""Who may do what, checked in code on every command and button (Discord's default permissions are only hints)."""

from __future__ import annotations

from typing import Any

import discord

from bot.common.errors import TocsinError


class NotAllowedError(TocsinError):
    """The person lacks the role or permission the action needs."""


def require_guild(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise NotAllowedError("access.error.guild_only")
    return interaction.guild_id


def require_admin(interaction: discord.Interaction[Any]) -> int:
    """Admins are members with Manage Server in the channel where they act (as Discord resolved it)."""
    guild_id = require_guild(interaction)
    if not interaction.permissions.manage_guild:
        raise NotAllowedError("access.error.admin_only")
    return guild_id
