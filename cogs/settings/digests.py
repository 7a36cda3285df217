"""`/setup digest` and `/setup digest-remove` (bot/digests): a daily or weekly digest in a channel, its timer set
or cancelled at once; and the digests as `/setup show` lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.digests.rules import Every, WhenQuiet
from bot.interactions.replies import person_language
from bot.interactions.translator import text
from bot.settings import presentation
from bot.settings.presentation import Section
from cogs.settings.facts import MessageChannel, channel_facts
from cogs.settings.groups import CHANNEL, SetupBase, admin_list, setup_command

if TYPE_CHECKING:
    from bot.composition import Services

WEEKDAYS = [
    app_commands.Choice(name=text("Monday", "cmd.setup.digest.day.1"), value="1"),
    app_commands.Choice(name=text("Tuesday", "cmd.setup.digest.day.2"), value="2"),
    app_commands.Choice(name=text("Wednesday", "cmd.setup.digest.day.3"), value="3"),
    app_commands.Choice(name=text("Thursday", "cmd.setup.digest.day.4"), value="4"),
    app_commands.Choice(name=text("Friday", "cmd.setup.digest.day.5"), value="5"),
    app_commands.Choice(name=text("Saturday", "cmd.setup.digest.day.6"), value="6"),
    app_commands.Choice(name=text("Sunday", "cmd.setup.digest.day.7"), value="7"),
]


async def listed_digests(
    services: Services, actor: Actor, interaction: discord.Interaction[Any]
) -> list[tuple[str, str]]:
    language = person_language(interaction)
    labelled: list[tuple[str, str]] = []
    for listed in await services.digests.listed(actor.guild_id):
        channel = interaction.guild.get_channel(listed.channel_id) if interaction.guild is not None else None
        label = presentation.word(services.catalogue, language, listed.line)
        label = label.replace(f"<#{listed.channel_id}>", f"#{channel.name}" if channel is not None else "#?")
        labelled.append((label, str(listed.id)))
    return labelled


class DigestSetup(SetupBase):
    @setup_command(
        "digest",
        "Post a daily or weekly digest in a channel",
        channel=(CHANNEL, "Where it is posted"),
        every="Daily or weekly",
        time='e.g. "18h", server time',
        day="Its day, if weekly",
        working_days=("working-days", "Move it off days off (/setup hours)"),
        when_quiet=("when-quiet", "With nothing to say: one line, or skip"),
    )
    @app_commands.choices(
        every=[
            app_commands.Choice(name=text("daily", "cmd.setup.digest.every.day"), value="day"),
            app_commands.Choice(name=text("weekly", "cmd.setup.digest.every.week"), value="week"),
        ],
        day=WEEKDAYS,
        when_quiet=[
            app_commands.Choice(name=text("say so", "cmd.setup.digest.when_quiet.say"), value="say"),
            app_commands.Choice(name=text("skip", "cmd.setup.digest.when_quiet.skip"), value="skip"),
        ],
    )
    async def digest(
        self,
        interaction: discord.Interaction[Any],
        channel: MessageChannel,
        every: app_commands.Choice[str],
        time: str,
        day: app_commands.Choice[str] | None = None,
        working_days: bool = False,
        when_quiet: app_commands.Choice[str] | None = None,
    ) -> None:
        actor, services = self._actor(interaction), self.services
        added = await services.digests.add(
            actor,
            channel_facts(interaction.guild, channel.id, channel.type),
            every=Every(every.value),
            weekday=int(day.value) if day is not None else None,
            at=time,
            working_days_only=working_days,
            when_quiet=WhenQuiet(when_quiet.value if when_quiet is not None else "say"),
            now=services.clock.now(),
        )
        if added.due is not None:
            services.timers.schedule_digest(added.digest_id, added.due)
        await self._say(interaction, added.outcome)

    @app_commands.autocomplete(digest=admin_list(listed_digests))
    @setup_command("digest-remove", "Stop a digest", digest="The digest to stop")
    async def digest_remove(self, interaction: discord.Interaction[Any], digest: str) -> None:
        actor, services = self._actor(interaction), self.services
        removed = await services.digests.remove(actor, digest, now=services.clock.now())
        services.timers.cancel_digest(removed.digest_id)
        await self._say(interaction, removed.outcome)


async def digest_sections(services: Services, guild: discord.Guild | None, language: Language) -> list[Section]:
    """The digests as `/setup show` lists them."""
    if guild is None:
        return []
    catalogue, listed = services.catalogue, await services.digests.listed(guild.id)
    lines = [presentation.word(catalogue, language, d.line) for d in listed]
    title = catalogue.render(language, "digest.setup.title", count=len(listed))
    return [Section(title, tuple(lines) or (catalogue.render(language, "digest.setup.none"),))]
