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


def _acting_guild(interaction: discord.Interaction[Any]) -> discord.Guild:
    guild = interaction.guild
    if guild is None:
        raise NotAllowedError("access.error.guild_only")
    return guild


async def require_this_server_channel(interaction: discord.Interaction[Any], channel_id: int) -> Any:
    """A channel an option names must be one of this server's: a forged option could name another server's
    channel, and announcements would then leave the server they belong to. The gateway's cache answers for
    nearly every channel; one it lacks is asked of Discord (a read, not a send). Returns the channel."""
    guild = _acting_guild(interaction)
    cached = guild.get_channel_or_thread(channel_id)
    if cached is not None:
        return cached
    try:
        found = await interaction.client.fetch_channel(channel_id)
    except (discord.NotFound, discord.Forbidden):
        raise NotAllowedError("access.error.other_server", channel=f"<#{channel_id}>") from None
    owner = getattr(found, "guild", None)
    if owner is None or owner.id != guild.id:
        raise NotAllowedError("access.error.other_server", channel=f"<#{channel_id}>")
    return found


async def require_this_server_role(interaction: discord.Interaction[Any], role_id: int) -> None:
    """A role an option names must be one of this server's (a forged option could name another server's, to be
    mentioned or trusted here). The cache holds every role; one made a moment ago is asked of Discord."""
    guild = _acting_guild(interaction)
    if guild.get_role(role_id) is not None:
        return
    if not any(role.id == role_id for role in await guild.fetch_roles()):
        raise NotAllowedError("access.error.other_server_role", role=f"<@&{role_id}>")


async def require_this_server_member(interaction: discord.Interaction[Any], user_id: int) -> None:
    """A member an option names must be a member of this server. Without the members intent the cache holds
    few of them: Discord is asked (a read), whatever the interaction claims about them."""
    guild = _acting_guild(interaction)
    if user_id == interaction.user.id or guild.get_member(user_id) is not None:
        return
    try:
        await guild.fetch_member(user_id)
    except (discord.NotFound, discord.Forbidden):
        raise NotAllowedError("access.error.other_server_member", member=f"<@{user_id}>") from None
