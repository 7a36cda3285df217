"""What only Discord knows about the channels and roles an admin names (their type, the bot's permissions there,
where a role stands), read from the gateway's cache into the plain facts `/setup`'s use cases judge."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.settings.rules.model import ChannelFacts, ChannelKind, RoleFacts

_KINDS: dict[discord.ChannelType, ChannelKind] = {
    discord.ChannelType.text: "text",
    discord.ChannelType.news: "news",
    discord.ChannelType.forum: "forum",
    discord.ChannelType.voice: "voice",
    discord.ChannelType.stage_voice: "stage",
    discord.ChannelType.category: "category",
    discord.ChannelType.public_thread: "thread",
    discord.ChannelType.private_thread: "thread",
    discord.ChannelType.news_thread: "thread",
}


class AnyChannel(app_commands.Transformer):
    """A channel option whose picker offers `types`, handing over the channel as Discord resolved it (not the
    cache's object, which discord.py's own channel types require). Before it is read, the tree's check has made
    sure the channel is one of this server's and of one of `types` (`bot/interactions/admission.py`)."""

    def __init__(self, *types: discord.ChannelType) -> None:
        super().__init__()
        self._types = list(types)

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return self._types

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        return value


IncidentChannel = app_commands.Transform[
    app_commands.AppCommandChannel,
    AnyChannel(discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum),
]
MessageChannel = app_commands.Transform[
    app_commands.AppCommandChannel, AnyChannel(discord.ChannelType.text, discord.ChannelType.news)
]


def channel_facts(guild: discord.Guild | None, channel_id: int, fallback_type: Any = None) -> ChannelFacts:
    """The channel's type and the bot's permissions there, from the gateway's cache."""
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if channel is None or guild is None or guild.me is None:
        kind: ChannelKind = _KINDS.get(fallback_type, "other") if fallback_type is not None else "missing"
        return ChannelFacts(channel_id, kind)
    perms = channel.permissions_for(guild.me)
    held = {
        "view": perms.view_channel,
        "send": perms.send_messages,
        "send_in_threads": perms.send_messages_in_threads,
        "create_public_threads": perms.create_public_threads,
        "manage_threads": perms.manage_threads,
        "embed_links": perms.embed_links,
        "read_history": perms.read_message_history,
        "pin": perms.pin_messages,  # only boards need it (to pin themselves)
    }
    tags = tuple(tag.name for tag in channel.available_tags) if isinstance(channel, discord.ForumChannel) else ()
    return ChannelFacts(
        id=channel_id,
        kind=_KINDS.get(channel.type, "other"),
        name=channel.name,
        permissions=frozenset(name for name, ok in held.items() if ok),
        mention_everyone=perms.mention_everyone,
        tags=tags,
    )


def role_facts(guild: discord.Guild | None, role_id: int) -> RoleFacts:
    role = guild.get_role(role_id) if guild is not None else None
    if role is None or guild is None:
        return RoleFacts(role_id, exists=False)
    me = guild.me
    return RoleFacts(
        id=role.id,
        name=role.name,
        mentionable=role.mentionable,
        is_default=role.is_default(),
        managed=role.managed,
        below_bot=me is not None and role < me.top_role,
    )


def chosen_role_facts(guild: discord.Guild | None, role: discord.Role) -> RoleFacts:
    """A role an option handed over: from the cache, or else as the option described it (it exists)."""
    facts = role_facts(guild, role.id)
    if not facts.exists:
        facts = RoleFacts(role.id, role.name, True, role.mentionable, role.is_default(), role.managed)
    return facts
