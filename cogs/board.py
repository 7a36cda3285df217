"""The boards' Discord adapter: a board whose message someone deletes is posted anew at once (the gateway's
MESSAGE_DELETE, which needs no message content). Boards are set up and removed from `/setup`
(cogs/settings/commands.py); everything else about them happens in the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from cogs.common.cog import FeatureCog

if TYPE_CHECKING:
    from bot.app import TocsinBot


class BoardWatch(FeatureCog):
    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        services = self.services
        if await services.boards.message_deleted(payload.channel_id, payload.message_id, now=services.clock.now()):
            services.outbox.wake()

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        services = self.services
        for message_id in payload.message_ids:
            if await services.boards.message_deleted(payload.channel_id, message_id, now=services.clock.now()):
                services.outbox.wake()


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(BoardWatch(bot, bot.services))
