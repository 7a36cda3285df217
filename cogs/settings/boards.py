"""`/setup board` and `/setup board-remove` (bot/board), and `/setup`'s words about boards: the removal's choices,
and the boards as `/setup show` lists them and `/setup check` judges their channels (the bot's permissions there,
Pin Messages apart)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.board.presentation import board_check
from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.interactions.replies import person_language
from bot.settings import presentation
from bot.settings.presentation import Section
from cogs.common.autocomplete import suggest_territory
from cogs.settings.facts import MessageChannel, channel_facts
from cogs.settings.groups import (
    CHANNEL,
    SECTOR,
    TERRITORY,
    SetupBase,
    admin_list,
    sector_autocomplete,
    setup_command,
)

if TYPE_CHECKING:
    from bot.composition import Services


async def listed_boards(
    services: Services, actor: Actor, interaction: discord.Interaction[Any]
) -> list[tuple[str, str]]:
    """The server's boards: "#channel — what it shows"."""
    guild = interaction.guild
    everything = services.catalogue.render(person_language(interaction), "setup.route.everything")
    labelled: list[tuple[str, str]] = []
    for listed in await services.boards.listed(actor.guild_id):
        channel = guild.get_channel(listed.channel_id) if guild is not None else None
        label = f"#{channel.name if channel is not None else listed.channel_id} — {listed.scope or everything}"
        labelled.append((label, str(listed.id)))
    return labelled


async def board_sections(
    services: Services, guild: discord.Guild | None, language: Language, *, check: bool
) -> list[Section]:
    """The boards as `/setup show` lists them, or as `/setup check` judges their channels."""
    if guild is None:
        return []
    catalogue, listed = services.catalogue, await services.boards.listed(guild.id)
    if check:
        marked = [board_check(b.line, channel_facts(guild, b.channel_id)) for b in listed]
        lines = [f"{mark} {presentation.word(catalogue, language, msg)}" for mark, msg in marked]
    else:
        lines = [presentation.word(catalogue, language, b.line) for b in listed]
    title = catalogue.render(language, "board.setup.title", count=len(listed))
    return [Section(title, tuple(lines) or (catalogue.render(language, "board.setup.none"),))]


class BoardSetup(SetupBase):
    @app_commands.autocomplete(territory=suggest_territory, sector=sector_autocomplete)
    @setup_command(
        "board",
        "Keep a live board of what is down in a channel",
        channel=(CHANNEL, "The channel that shows the board"),
        territory=(TERRITORY, 'Only incidents of this territory, e.g. "Bretagne" or "29"'),
        sector=(SECTOR, "Only incidents of this sector"),
    )
    async def board(
        self,
        interaction: discord.Interaction[Any],
        channel: MessageChannel,
        territory: str | None = None,
        sector: str | None = None,
    ) -> None:
        actor, facts = self._actor(interaction), channel_facts(interaction.guild, channel.id, channel.type)
        now = self.services.clock.now()
        outcome = await self.services.boards.add(actor, facts, territory=territory, sector=sector, now=now)
        # Committed: the board's first row goes out whether or not the answer reaches the admin.
        self.services.outbox.wake()
        await self._say(interaction, outcome)

    @app_commands.autocomplete(board=admin_list(listed_boards))
    @setup_command("board-remove", "Remove a board: its message is deleted", board="The board to remove")
    async def board_remove(self, interaction: discord.Interaction[Any], board: str) -> None:
        actor, now = self._actor(interaction), self.services.clock.now()
        outcome = await self.services.boards.remove(actor, board, now=now)
        self.services.outbox.wake()
        await self._say(interaction, outcome)
        self.services.outbox.wake()
