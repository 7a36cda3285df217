"""`/maintenance` (`/maintenance`): schedule, reschedule, extend, cancel (coordinators) and notice (admins: how long
before the start the reminder goes out); and the owner's Extend / Turn into an incident buttons, asked in the
maintenance's thread before its end.

An adapter: it reads the options, calls `bot.maintenance.use_cases` (which checks who may act: a coordinator, or
for the buttons and extend the maintenance's owner too) and points the maintenance's timer
(bot/timers/registry.py) at what the use case says is due next. A command of its own: `/outage` is near
Discord's 4,000 characters per command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.common.formatting import format_duration
from bot.common.i18n import Language
from bot.common.text import truncate
from bot.incidents.presentation.message_parts import discord_time
from bot.interactions.access import require_admin
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import defer_if_slow, mark_done, person_language, reply_done
from bot.interactions.translator import text
from bot.maintenance.presentation import CONVERT, EXTEND
from bot.maintenance.rules import MaintenanceError
from bot.maintenance.use_cases import MaintenanceResult, ScheduleInput, parse_maintenance_number
from cogs.common.acting import acting
from cogs.common.autocomplete import choice, first, suggest_sectors, suggest_territories
from cogs.common.cog import FeatureCog
from cogs.common.forms import Form, field
from cogs.common.groups import server_group
from cogs.common.items import Button
from cogs.common.options import Subcommands, shared_option
from cogs.incidents.options import ORGANISATION, SECTOR, SERVICES, TERRITORIES, WORKAROUND

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

START = shared_option("maintenance", "start", 'When it starts: "dimanche 22h", "samedi 20:00"')
END = shared_option("maintenance", "end", 'When it ends: "lundi 6h"')
NEW_END = shared_option("maintenance", "new_end", 'Its new end: "lundi 8h", "dans 2 h"', name=END.name)
MAINTENANCE = shared_option("maintenance", "maintenance", "The maintenance (M3, or words of its organisation)")
BEFORE = shared_option("maintenance", "before", 'How long before the start to remind: "1 h", "30 min"')


def said(services: Services, language: Language, message_id: str, result: MaintenanceResult) -> str:
    m = result.maintenance
    return services.catalogue.render(
        language,
        message_id,
        label=m.label,
        starts=discord_time(m.starts_at, "F"),
        ends=discord_time(m.ends_at, "F"),
        count=len(result.channels),
    )


async def after_change(bot: TocsinBot, result: MaintenanceResult) -> None:
    """The outbox woken and the maintenance's timer pointed at its next time (or stopped)."""
    bot.services.outbox.wake()
    await bot.services.timers.advance_maintenance(result.maintenance_id)


class EndForm(Form):
    """The new end, asked when the owner (or a coordinator) clicks Extend."""

    def __init__(self, language: Language, services: Services, number: int) -> None:
        end = field(
            services.catalogue.render(language, "maintenance.form.end"),
            "end",
            100,
            placeholder=truncate(services.catalogue.render(language, "maintenance.form.end_example"), 100),
        )
        super().__init__(
            services.catalogue.render(language, "maintenance.form.title"),
            end,
            custom_id=f"tocsin:maintenance:extend-form:{number}",
        )
        self.end = end
        self.services = services
        self.number = number

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        bot: TocsinBot = interaction.client
        actor = acting(interaction, Actor)
        now = self.services.clock.now()
        result = await self.services.maintenance.extend(actor, self.number, ends=self.end.value, now=now)
        language = person_language(interaction)
        content = said(self.services, language, "maintenance.reply.extended", result)
        mark_done(interaction, content)
        await after_change(bot, result)
        await reply_done(interaction, content)


class MaintenanceButton(
    Button,
    template=r"tocsin:maintenance:(?P<action>extend|convert):(?P<guild_id>\d{1,20}):(?P<number>\d{1,9})",
):
    """Extend and Turn into an incident, under the question to the owner; the custom id says which maintenance,
    so they work after a restart. Who may click is checked in the use case: its owner, or a coordinator."""

    action: str
    guild_id: int
    number: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        services = bot.services
        actor = acting(interaction, Actor)
        language = person_language(interaction)
        if actor.guild_id != self.guild_id:  # a custom id no client of this server could send
            raise MaintenanceError("maintenance.error.unknown", number=self.number)
        if self.action == EXTEND:
            await services.maintenance.check_may_act(actor, self.number)
            await interaction.response.send_modal(EndForm(language, services, self.number))
            return
        assert self.action == CONVERT
        result = await services.maintenance.convert(actor, self.number, now=services.clock.now())
        content = services.catalogue.render(
            language, "maintenance.reply.converted", label=result.maintenance.label, number=result.incident_number
        )
        mark_done(interaction, content)
        await after_change(bot, result)
        await reply_done(interaction, content)


maintenance_group = server_group(
    text("maintenance", "cmd.maintenance.name"),
    text("Planned maintenance: announced ahead, at its start and its end", "cmd.maintenance.description"),
)
maintenance_command = Subcommands(maintenance_group)


async def suggest_maintenances(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    services: Services = interaction.client.services
    found = await services.maintenance.choices(interaction.guild_id, current)
    return first([choice(name, f"M{number}") for name, number in found])


class MaintenanceCog(FeatureCog):
    # The group as an attribute of the cog, so that discord.py registers it with its subcommands.
    maintenance = maintenance_group

    dynamic_items = (MaintenanceButton,)

    async def _answer(
        self, interaction: discord.Interaction[Any], message_id: str, work: Any, *, where: bool = False
    ) -> None:
        result: MaintenanceResult = await defer_if_slow(interaction, work)
        language = person_language(interaction)
        content = said(self.services, language, message_id, result)
        if where and not result.channels:
            content += "\n" + self.word(language, "maintenance.reply.nowhere")
        mark_done(interaction, content)
        await after_change(self.bot, result)
        await reply_done(interaction, content)

    @maintenance_command(
        "schedule",
        "Announce a planned maintenance",
        organisation=ORGANISATION,
        sector=SECTOR,
        territories=TERRITORIES,
        start=START,
        end=END,
        services=SERVICES,
        workaround=WORKAROUND,
    )
    @per_person_cooldown()
    @app_commands.autocomplete(territories=suggest_territories, sector=suggest_sectors)
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        organisation: str,
        sector: str,
        territories: str,
        start: str,
        end: str,
        services: str | None = None,
        workaround: str | None = None,
    ) -> None:
        actor = acting(interaction, Actor)
        typed = ScheduleInput(
            organisation=organisation,
            sector=sector,
            territories=territories,
            starts=start,
            ends=end,
            services=services,
            workaround=workaround,
        )
        work = self.services.maintenance.schedule(actor, typed, now=self.services.clock.now())
        await self._answer(interaction, "maintenance.reply.scheduled", work, where=True)

    @maintenance_command(
        "reschedule",
        "Move a maintenance that has not started (announced)",
        maintenance=MAINTENANCE,
        start=START,
        end=END,
    )
    @per_person_cooldown()
    @app_commands.autocomplete(maintenance=suggest_maintenances)
    async def reschedule(self, interaction: discord.Interaction[Any], maintenance: str, start: str, end: str) -> None:
        actor = acting(interaction, Actor)
        number = parse_maintenance_number(maintenance)
        work = self.services.maintenance.reschedule(
            actor, number, starts=start, ends=end, now=self.services.clock.now()
        )
        await self._answer(interaction, "maintenance.reply.rescheduled", work)

    @maintenance_command("extend", "Give a maintenance a later end (announced)", maintenance=MAINTENANCE, end=NEW_END)
    @per_person_cooldown()
    @app_commands.autocomplete(maintenance=suggest_maintenances)
    async def extend(self, interaction: discord.Interaction[Any], maintenance: str, end: str) -> None:
        actor = acting(interaction, Actor)
        number = parse_maintenance_number(maintenance)
        work = self.services.maintenance.extend(actor, number, ends=end, now=self.services.clock.now())
        await self._answer(interaction, "maintenance.reply.extended", work)

    @maintenance_command("cancel", "Call a maintenance off (announced)", maintenance=MAINTENANCE)
    @per_person_cooldown()
    @app_commands.autocomplete(maintenance=suggest_maintenances)
    async def cancel(self, interaction: discord.Interaction[Any], maintenance: str) -> None:
        actor = acting(interaction, Actor)
        number = parse_maintenance_number(maintenance)
        work = self.services.maintenance.cancel(actor, number, now=self.services.clock.now())
        await self._answer(interaction, "maintenance.reply.cancelled", work)

    @maintenance_command("notice", "Admins: how long before a start the reminder goes out", before=BEFORE)
    async def notice(self, interaction: discord.Interaction[Any], before: str) -> None:
        require_admin(interaction)
        actor = acting(interaction, Actor)
        lead = await self.services.maintenance.set_lead(actor, before, now=self.services.clock.now())
        language = person_language(interaction)
        content = self.word(language, "maintenance.reply.notice", duration=format_duration(lead, language))
        await reply_done(interaction, content)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(MaintenanceCog(bot, bot.services))
