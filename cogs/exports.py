"""`/export` (`/exporter`): a period's outages as CSV (zipped), JSON, Markdown or an HTML report, or the server's
audit log as CSV, for admins.

An adapter: it checks that the person is an admin, defers privately, shows the export's progress by editing its
private reply, and sends the files back on the interaction as private follow-ups (never in a channel). The
reading and rendering are `bot.exports.use_cases`'.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.common.formatting import format_period
from bot.common.i18n import Language
from bot.exports.use_cases import ExportFile, ExportRequest, ExportResult, Names, Phase, audit_export, export
from bot.interactions.access import require_admin
from bot.interactions.replies import mark_done, person_language
from cogs.common.choices import LIST_STATUS_CHOICES, SEVERITY_CHOICES, shared_choices
from cogs.common.cog import FeatureCog
from cogs.common.options import options, server_command, shared_option

if TYPE_CHECKING:
    from bot.app import TocsinBot

log = logging.getLogger(__name__)

# Progress edits go to the interaction's webhook: one every so often is enough to show life and stays far from
# its rate limit.
PROGRESS_EVERY_S = 1.5

FORMAT_CHOICES = shared_choices(
    "export",
    csv="CSV (zip: outages, services, timeline)",
    json="JSON (with its schema)",
    md="Markdown",
    html="HTML report (charts, timelines)",
    audit="Audit log (CSV: who did what)",
)


def member_names(interaction: discord.Interaction[Any]) -> Names:
    """Display names of the members the bot knows (its cache); the others stay ids in the export."""
    guild = interaction.guild

    def names(user_ids: set[int]) -> Mapping[int, str]:
        found: dict[int, str] = {}
        for user_id in user_ids:
            member = guild.get_member(user_id) if guild is not None else None
            if member is not None:
                found[user_id] = member.display_name
        if interaction.user.id in user_ids:
            found[interaction.user.id] = interaction.user.display_name
        return found

    return names


async def send_files(
    interaction: discord.Interaction[Any], messages: Sequence[tuple[str, Sequence[ExportFile]]]
) -> None:
    """Private follow-ups, each with its text and its files (within one upload)."""
    for content, files in messages:
        await interaction.followup.send(
            content,
            files=[discord.File(io.BytesIO(f.data), filename=f.name) for f in files],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class Export(FeatureCog):
    @server_command("export", "Export a period's outages: CSV, JSON, Markdown or HTML report (admins)")
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @options(
        period=shared_option(
            "export", "period", 'Which period: "October 2024", "since Monday", "last 30 days", "from 01/10 to 15/10"'
        ),
        file_format=shared_option("export", "format", "The file format (zipped CSV by default)"),
        status=shared_option("export", "status", "Only outages with this status (all by default)"),
        territory=shared_option("export", "territory", "Only outages concerning this territory"),
        sector=shared_option("export", "sector", "Only this sector"),
        organisation=shared_option("export", "organisation", "Only organisations whose name contains these words"),
        severity=shared_option("export", "severity", "Only this severity"),
    )
    @app_commands.choices(file_format=FORMAT_CHOICES, status=LIST_STATUS_CHOICES, severity=SEVERITY_CHOICES)
    async def export(
        self,
        interaction: discord.Interaction[Any],
        period: str,
        file_format: app_commands.Choice[str] | None = None,
        status: app_commands.Choice[str] | None = None,
        territory: str | None = None,
        sector: str | None = None,
        organisation: str | None = None,
        severity: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = require_admin(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = person_language(interaction)
        services = self.services
        now = services.clock.now()
        request = ExportRequest(
            guild_id=guild_id,
            format=file_format.value if file_format is not None else "csv",  # type: ignore[arg-type]
            period=period,
            status=status.value if status is not None else None,
            territory=territory,
            sector=sector,
            organisation=organisation,
            severity=severity.value if severity is not None else None,
            actor_id=interaction.user.id,
        )
        last = [0.0]

        async def progress(phase: Phase, percent: int) -> None:
            moment = time.monotonic()
            if phase == "reading" and percent > 0 and moment - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = moment
            if phase == "reading":
                shown = self.word(language, "export.progress.reading", percent=percent)
            else:
                shown = self.word(language, "export.progress.rendering")
            try:
                await interaction.edit_original_response(content=shown)
            except discord.HTTPException:  # progress is only a courtesy: the export goes on without it
                log.warning("could not show an export's progress to %s", interaction.user.id)

        try:
            result = await export(
                services.store.path,
                request,
                now=now,
                default_language=services.settings.default_language,
                default_time_zone=services.settings.time_zone,
                names=member_names(interaction),
                progress=progress,
            )
        except Exception:
            await audit_export(services.store, request, None, now=now)
            raise
        await audit_export(services.store, request, result, now=now)
        await interaction.edit_original_response(content=self.word(language, "export.progress.sending"))
        done = self.done_text(language, result, audit_log=request.format == "audit")
        if result.split:
            parts = len(result.files)
            messages = [
                (self.word(language, "export.part", part=index + 1, parts=parts), [file])
                for index, file in enumerate(result.files)
            ]
        else:
            messages = [(done, list(result.files))]
        await send_files(interaction, messages)
        # The files are with the person: a failure from here on must not ask them to export again.
        mark_done(interaction, done)
        await interaction.edit_original_response(content=done)

    def period_words(self, language: Language, period: tuple[datetime, datetime]) -> str:
        """ "du mardi 1er octobre au jeudi 31 octobre", in the zone the period was read in."""
        start, end = period
        zone = start.tzinfo if isinstance(start.tzinfo, ZoneInfo) else ZoneInfo("UTC")
        return format_period(start, end, language, zone, self.services.clock.now())

    def done_text(self, language: Language, result: ExportResult, *, audit_log: bool = False) -> str:
        lines = [
            self.word(
                language,
                "export.done.audit" if audit_log else "export.done",
                count=result.incidents,
                period=self.period_words(language, result.period),
            )
        ]
        if result.zipped and not result.split:
            lines.append(self.word(language, "export.done.zipped"))
        if result.split:
            whole = result.files[0].name.rsplit(".", 1)[0]
            lines.append(self.word(language, "export.done.split", parts=len(result.files), name=whole))
        return "\n".join(lines)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Export(bot, bot.services))
