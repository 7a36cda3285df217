"""`/tocsin about` (anyone) and `/tocsin test-delivery` (admins): the chain from Discord to the store and back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common.formatting import format_duration, format_number
from bot.common.i18n import Msg
from bot.interactions.access import require_admin
from bot.interactions.replies import person_language, reply_done, reply_private
from bot.interactions.translator import text
from bot.operations.use_cases.about import about_report
from bot.operations.use_cases.delivery_check import MAX_TEST_MESSAGES, DeliveryTestRequest, queue_delivery_test
from bot.operations.use_cases.metrics import Stopwatch
from cogs.common.cog import FeatureCog
from cogs.common.groups import server_group
from cogs.common.options import Subcommands

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services


class About(FeatureCog):
    tocsin = server_group(
        text("tocsin", "cmd.tocsin.name"), text("About Tocsin and its health", "cmd.tocsin.description")
    )

    tocsin_command = Subcommands(tocsin)

    @tocsin_command("about", "Version, uptime, database and outbox state")
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        services = self.services
        report = await about_report(services.store, started_at=services.started_at, now=services.clock.now())
        language = person_language(interaction)
        catalogue = services.catalogue
        box = report.outbox

        def word(message_id: str, **args: Any) -> str:
            return catalogue.render(language, message_id, **args)

        embed = discord.Embed(title=word("about.title", version=report.version), colour=discord.Colour.dark_red())
        embed.add_field(name=word("about.uptime"), value=format_duration(report.uptime, language))
        embed.add_field(
            name=word("about.database"),
            value=word(
                "about.database.value",
                schema=report.schema_version,
                size=format_number(round(report.database_bytes / 1024), language),
            ),
        )
        embed.add_field(
            name=word("about.outbox"),
            value=word(
                "about.outbox.value",
                pending=format_number(box.pending + box.in_flight, language),
                done=Msg.of("about.outbox.sent", count=box.done),
                failed=format_number(box.failed, language),
            ),
            inline=False,
        )
        if not services.timers.ready:  # said only while something is wrong, like the features that failed
            embed.add_field(
                name=word("about.timers"), value=catalogue.word(language, services.timers.state()), inline=False
            )
        if self.bot.command_sync_refused is not None:
            embed.add_field(
                name=word("about.command_sync.title"),
                value=word("about.command_sync", reason=self.bot.command_sync_refused),
                inline=False,
            )
        if self.bot.failed_cogs:
            embed.add_field(name=word("about.failed_features"), value=", ".join(self.bot.failed_cogs), inline=False)
        await reply_private(interaction, embed=embed)

    @tocsin_command(
        "test-delivery",
        "Post numbered test messages in a channel through the outbox (admins)",
        channel="Where to post the test messages",
        count="How many messages (1 to 20)",
        role="A role to mention, to check that it can be pinged there",
    )
    async def test_delivery(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        count: app_commands.Range[int, 1, MAX_TEST_MESSAGES] = 1,
        role: discord.Role | None = None,
    ) -> None:
        guild_id = require_admin(interaction)
        services = self.services
        request = DeliveryTestRequest(
            guild_id=guild_id,
            channel_id=channel.id,
            actor_id=interaction.user.id,
            count=count,
            role_id=role.id if role is not None else None,
        )
        await queue_delivery_test(
            services.store,
            services.catalogue,
            request,
            now=services.clock.now(),
            default_language=services.settings.default_language,
            default_time_zone=services.settings.time_zone,
        )
        services.outbox.wake()
        await reply_done(
            interaction,
            services.catalogue.word(
                person_language(interaction),
                Msg.of("delivery_test.queued", count=count, channel=channel.mention),
            ),
        )


class Figures(FeatureCog):
    """How long each command takes, from its arrival to the end of its handling, for the metrics."""

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.stopwatch = Stopwatch()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.application_command:
            self.stopwatch.start(interaction.id)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[Any],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        seconds = self.stopwatch.stop(interaction.id)
        if seconds is not None:
            self.services.metrics.command_done(command.qualified_name, seconds)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(About(bot, bot.services))
    await bot.add_cog(Figures(bot, bot.services))
