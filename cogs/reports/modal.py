"""The report form: `/report` run without options opens it, with a paragraph for the details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.i18n import Language
from bot.common.limits import MODAL_TITLE, TextField
from bot.common.text import truncate
from bot.reports.use_cases.results import ReportInput

if TYPE_CHECKING:
    from cogs.reports.command import Report


class ReportModal(discord.ui.Modal):
    """Submitting it reports (`Report.run_report`)."""

    def __init__(self, cog: Report, language: Language) -> None:
        word = cog.word
        super().__init__(title=truncate(word(language, "report.modal.title"), MODAL_TITLE), timeout=900)
        self.cog = cog
        self.organisation: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "report.modal.organisation"),
            custom_id="organisation",
            max_length=TextField.ORGANISATION.limit,
            placeholder=word(language, "report.modal.placeholder.organisation"),
        )
        self.services: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "report.modal.services"),
            custom_id="services",
            max_length=300,
            required=False,
            placeholder=word(language, "report.modal.placeholder.services"),
        )
        self.territories: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "report.modal.territories"),
            custom_id="territories",
            max_length=300,
            required=False,
            placeholder=word(language, "report.modal.placeholder.territories"),
        )
        self.since: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "report.modal.since"),
            custom_id="since",
            max_length=100,
            required=False,
            placeholder=word(language, "report.modal.placeholder.since"),
        )
        self.details: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "report.modal.details"),
            custom_id="details",
            style=discord.TextStyle.paragraph,
            max_length=TextField.REPORT_DETAILS.limit,
            required=False,
            placeholder=word(language, "report.modal.placeholder.details"),
        )
        for item in (self.organisation, self.services, self.territories, self.since, self.details):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        typed = ReportInput(
            organisation=self.organisation.value,
            services=self.services.value or None,
            territories=self.territories.value or None,
            since=self.since.value or None,
            details=self.details.value or None,
        )
        await self.cog.run_report(interaction, typed)

    async def on_error(  # type: ignore[override]  # discord.py's Modal narrows BaseView's signature
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await self.cog.bot.report_error(interaction, error)
