"""The buttons of reports, as dynamic items (their custom ids say everything, so they work after a restart): the
member's "take my report back" under the private reply (`tocsin:report:withdraw:<guild>:<report>:<user>`, refused
to anyone but its owner: a custom id can be replayed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.interactions.access import NotAllowedError
from bot.interactions.replies import person_language, reply_private
from cogs.common.acting import acting
from cogs.common.items import Answering

if TYPE_CHECKING:
    from bot.app import TocsinBot


class WithdrawButton(
    Answering,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tocsin:report:withdraw:(?P<guild_id>\d{1,20}):(?P<report_id>\d{1,18}):(?P<user_id>\d{1,20})",
):
    def __init__(self, guild_id: int, report_id: int, user_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=f"tocsin:report:withdraw:{guild_id}:{report_id}:{user_id}"))
        self.guild_id = guild_id
        self.report_id = report_id
        self.user_id = user_id

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        member = acting(interaction, Actor)
        if interaction.user.id != self.user_id or member.guild_id != self.guild_id:
            raise NotAllowedError("report.error.not_yours")
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = bot.services
        result = await services.reports.withdraw(member, self.report_id, now=services.clock.now())
        services.outbox.wake()
        key = "report.reply.withdrawn" if result.withdrawn else "report.reply.withdrawn_already"
        language = person_language(interaction)
        await reply_private(interaction, services.catalogue.render(language, key, organisation=result.organisation))
