"""`/report` (`/signaler`): any member of the server reports a suspected outage, in one line or, run bare, in a
form. An adapter only: it reads the options, defers, calls `bot.reports.use_cases` and words the result privately
in the member's language (`replies.py`). Who may report is checked in the use case."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common.actor import Actor
from bot.common.limits import AUTOCOMPLETE_CHOICES
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import defer_if_slow, person_language, reply_done
from bot.reports.rules import organisation_key
from bot.reports.use_cases.results import ReportInput
from cogs.common.acting import acting
from cogs.common.autocomplete import choice, first, suggest_territories
from cogs.common.cog import FeatureCog
from cogs.common.options import server_command, shared_option
from cogs.incidents.autocomplete import suggest_services
from cogs.incidents.options import ORGANISATION, SERVICES, TERRITORIES
from cogs.reports.buttons import CardButton, WithdrawButton
from cogs.reports.modal import AnywayButton, ReportModal, SameOutageAttachButton
from cogs.reports.panels import DeclarePanelGo, DeclarePanelMenu, PickMenu
from cogs.reports.replies import report_text, withdraw_view

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

SINCE = shared_option("report", "since", 'Since when: "midi", "depuis 8h", "ce matin"')
log = logging.getLogger(__name__)

DETAILS = shared_option("report", "details", "What you see, in a few sentences (500 characters at most)")


async def suggest_organisations(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    services: Services = interaction.client.services
    names = await services.reports.organisations(interaction.guild_id, current)
    items = [choice(name, name) for name in names]
    typed = current.strip()
    if typed and organisation_key(typed) not in {organisation_key(name) for name in names}:
        items.insert(min(len(items), AUTOCOMPLETE_CHOICES - 1), choice(typed, typed))  # a new one, last
    return first(items)


class Report(FeatureCog):
    dynamic_items = (
        CardButton,
        WithdrawButton,
        AnywayButton,
        SameOutageAttachButton,
        DeclarePanelMenu,
        DeclarePanelGo,
        PickMenu,
    )

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.reports = services.reports

    @server_command(
        "report",
        "Report an organisation that seems down (no options: a form opens)",
        organisation=ORGANISATION,
        services=SERVICES,
        territories=TERRITORIES,
        since=SINCE,
        details=DETAILS,
    )
    @per_person_cooldown()
    @app_commands.autocomplete(
        organisation=suggest_organisations, territories=suggest_territories, services=suggest_services
    )
    async def report(
        self,
        interaction: discord.Interaction[Any],
        organisation: str | None = None,
        services: str | None = None,
        territories: str | None = None,
        since: str | None = None,
        details: str | None = None,
    ) -> None:
        typed = ReportInput(
            organisation=organisation, services=services, territories=territories, since=since, details=details
        )
        if typed.is_empty:
            acting(interaction, Actor)  # outside a server: a refusal, not a form
            await interaction.response.send_modal(ReportModal(self, person_language(interaction)))
            return
        await self.run_report(interaction, typed)

    async def run_report(self, interaction: discord.Interaction[Any], typed: ReportInput) -> None:
        actor = acting(interaction, Actor)
        # Answered in one message when the report is decided within a second (nearly always): one request to Discord
        # instead of two; deferred only past that, within Discord's 3 s.
        result = await defer_if_slow(interaction, self.reports.report(actor, typed, now=self.services.clock.now()))
        self.services.outbox.wake()
        language = person_language(interaction)
        catalogue = self.services.catalogue
        content = report_text(catalogue, language, result, guild_id=actor.guild_id)
        view = withdraw_view(catalogue, language, result, guild_id=actor.guild_id, user_id=actor.user_id)
        await reply_done(interaction, content, view=view)

    # -- a card deleted by someone: posted again at its group's next change --

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, payload.channel_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, payload.channel_id, sorted(payload.message_ids))

    async def _deleted(self, guild_id: int | None, channel_id: int, message_ids: list[int]) -> None:
        if guild_id is None:
            return
        for message_id in message_ids:
            try:
                await self.reports.card_deleted(guild_id, channel_id, message_id, now=self.services.clock.now())
            except Exception:  # the card is then posted again when an edit finds it gone
                log.exception("could not note that message %s of channel %s was deleted", message_id, channel_id)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Report(bot, bot.services))
