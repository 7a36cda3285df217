"""`/setup reports`: where members' report cards go, who may report, and how many members within how many
minutes alert the coordinators (bot/reports)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.reports.rules import ALERT_MEMBERS_BOUNDS, ALERT_WINDOW_BOUNDS
from bot.settings import use_cases as service
from cogs.settings.facts import MessageChannel, channel_facts, chosen_role_facts
from cogs.settings.groups import CHANNEL, ROLE, SetupBase, setup_command


class ReportsSetup(SetupBase):
    @setup_command(
        "reports",
        "Members' reports: their channel, who may report, the alert threshold",
        channel=(CHANNEL, "Where report cards go (coordinators only)"),
        role=(ROLE, "Who may report (@everyone: every member)"),
        threshold="Members whose reports alert the coordinators (2 to 50; 3 by default)",
        window="Within how many minutes (5 to 1440; 60 by default)",
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
