"""`/setup reports`: where members' report cards go, who may report, and how many members within how many
minutes alert the coordinators (bot/reports)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.interactions.translator import text
from bot.reports.rules import ALERT_MEMBERS_BOUNDS, ALERT_WINDOW_BOUNDS
from bot.settings import use_cases as service
from cogs.common.options import Option, options
from cogs.settings.facts import MessageChannel, channel_facts, chosen_role_facts
from cogs.settings.groups import SetupBase, setup_group


class ReportsSetup(SetupBase):
    @setup_group.command(
        name=text("reports", "cmd.setup.reports.name"),
        description=text(
            "Members' reports: their channel, who may report, the alert threshold", "cmd.setup.reports.description"
        ),
    )
    @options(
        channel=Option(
            text("channel", "cmd.setup.channel.name"),
            text("Where report cards go (coordinators only)", "cmd.setup.reports.channel"),
        ),
        role=Option(
            text("role", "cmd.setup.role.name"),
            text("Who may report (@everyone: every member)", "cmd.setup.reports.role"),
        ),
        threshold=Option(
            text("threshold", "cmd.setup.reports.threshold.name"),
            text("Members whose reports alert the coordinators (2 to 50; 3 by default)", "cmd.setup.reports.threshold"),
        ),
        window=Option(
            text("window", "cmd.setup.reports.window.name"),
            text("Within how many minutes (5 to 1440; 60 by default)", "cmd.setup.reports.window"),
        ),
    )
    async def reports(
        self,
        interaction: discord.Interaction[Any],
        channel: MessageChannel | None = None,
        role: discord.Role | None = None,
        threshold: app_commands.Range[int, ALERT_MEMBERS_BOUNDS[0], ALERT_MEMBERS_BOUNDS[1]] | None = None,
        window: app_commands.Range[int, ALERT_WINDOW_BOUNDS[0], ALERT_WINDOW_BOUNDS[1]] | None = None,
    ) -> None:
        actor = self._actor(interaction)
        guild = interaction.guild
        outcome = await service.set_reports(
            self.services.store,
            actor,
            now=self.services.clock.now(),
            defaults=self.services.defaults,
            channel=channel_facts(guild, channel.id, channel.type) if channel is not None else None,
            role=chosen_role_facts(guild, role) if role is not None else None,
            threshold=threshold,
            window=window,
        )
        await self._say(interaction, outcome)
