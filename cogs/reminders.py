"""`/remind` (`/rappel`) and `/reminders` (`/rappels`), the Snooze / Done buttons of each fired reminder and the
cancel menu of the list.

An adapter: it reads options, checks what Discord can tell it (may the person post here?), calls
`bot.reminders.use_cases.reminders`, and points the reminder's timer (bot/timers/registry.py, which also keeps the
nudges) at the time the use case returns.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.formatting import format_datetime
from bot.common.i18n import Msg
from bot.common.text import plain_text, truncate
from bot.incidents.presentation.message_parts import discord_time
from bot.incidents.use_cases.typed_input import parse_number
from bot.interactions.access import require_guild
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import mark_done, person_language, reply_done, reply_private
from bot.reminders.presentation import DONE, dated
from bot.reminders.rules.reminders import AskInput, Reminder, ReminderError, SnoozeChoice, Where
from cogs.common.autocomplete import suggest_incidents
from cogs.common.choices import shared_choices
from cogs.common.cog import FeatureCog
from cogs.common.items import Answering, Button
from cogs.common.options import server_command, shared_option

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

WHERE_CHOICES = shared_choices("remind", here="here", thread="incident thread", dm="direct message")
CANCEL_MENU = "tocsin:reminders:cancel"


def _where_words(reminder: Reminder) -> Msg:
    if reminder.where == Where.THREAD:
        return Msg.of("reminder.where.thread", number=reminder.incident_number)
    if reminder.where == Where.DM:
        return Msg.of("reminder.where.dm")
    return Msg.of("reminder.where.here", channel=f"<#{reminder.channel_id}>")


# Each option's name and description, once: commands share them.

WHEN = shared_option("remind", "when", 'When: "lundi 9h", "dans 2 h", "tomorrow 9am"')
WHAT = shared_option("remind", "what", "What to remind you of")
WHERE = shared_option("remind", "where", "Where to remind you: here, in an incident's thread, or by DM")
INCIDENT = shared_option("remind", "incident", "For the thread: the incident (number or words of its title)")


class ReminderButton(
    Button,
    template=r"tocsin:reminder:(?P<action>15m|1h|tomorrow_morning|done):(?P<reminder_id>\d{1,20})",
):
    """Snooze and Done on a fired reminder; its id is in the custom id, so they work after a restart."""

    action: str
    reminder_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        services = bot.services
        language = person_language(interaction)
        # The owner check is the service's first step: anybody else is refused before anything changes.
        if self.action == DONE:
            await services.reminders.finish(self.reminder_id, user_id=interaction.user.id, now=services.clock.now())
            said = services.catalogue.render(language, "reminder.reply.done")
            mark_done(interaction, said)
        else:
            snoozed = await services.reminders.snooze(
                self.reminder_id, SnoozeChoice(self.action), user_id=interaction.user.id, now=services.clock.now()
            )
            # Snoozed: said with Discord's own timestamp should anything below fail (the zone is read after).
            stamp = discord_time(snoozed.due_at, "F")
            mark_done(interaction, services.catalogue.render(language, "reminder.reply.snoozed", when=stamp))
            services.timers.schedule_reminder(self.reminder_id, snoozed.due_at)
            zone = await services.reminders.zone(snoozed.guild_id)
            when = dated(snoozed.due_at, language, zone, services.clock.now())
            said = services.catalogue.render(language, "reminder.reply.snoozed", when=when)
        # The message's buttons go: it has been dealt with, and cannot snooze the reminder a second time.
        await interaction.response.edit_message(view=None)
        await reply_done(interaction, said)


class CancelMenu(
    Answering[discord.ui.Select[Any]],
    template=r"tocsin:reminders:cancel:(?P<owner>\d{1,20})",
):
    """The `/reminders` list's menu: cancels the chosen reminder, for the person the list was shown to only."""

    def __init__(self, owner_id: int, options: list[discord.SelectOption] | None = None) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"{CANCEL_MENU}:{owner_id}", options=options or [discord.SelectOption(label="-")]
        )
        super().__init__(select)
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelMenu:
        menu = cls(int(match["owner"]))
        if isinstance(item, discord.ui.Select):
            menu.item = item
        return menu

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise ReminderError("reminder.error.not_owner")
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(value) for value in data.get("values", [])]
        services = bot.services
        language = person_language(interaction)
        lines: list[str] = []
        for value in values:
            cancelled = await services.reminders.cancel(
                int(value), user_id=interaction.user.id, now=services.clock.now()
            )
            text_shown = truncate(plain_text(cancelled.text), 200)
            # Cancelled: said with Discord's own timestamp should anything below fail (the zone is read after).
            stamp = discord_time(cancelled.due_at, "F")
            done = services.catalogue.render(language, "reminder.reply.cancelled", text=text_shown, when=stamp)
            mark_done(interaction, "\n".join([*lines, done]))
            services.timers.cancel_reminder(int(value))
            zone = await services.reminders.zone(cancelled.guild_id)
            when = format_datetime(cancelled.due_at, language, zone, services.clock.now())
            lines.append(services.catalogue.render(language, "reminder.reply.cancelled", text=text_shown, when=when))
        await reply_done(interaction, "\n".join(lines))


class ReminderCog(FeatureCog):
    dynamic_items = (ReminderButton, CancelMenu)

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.reminders = services.reminders

    # -- /remind --

    @server_command(
        "remind", "Remind yourself of something at a given time", when=WHEN, what=WHAT, where=WHERE, incident=INCIDENT
    )
    @app_commands.choices(where=WHERE_CHOICES)
    @per_person_cooldown()
    @app_commands.autocomplete(incident=suggest_incidents)
    async def remind(
        self,
        interaction: discord.Interaction[Any],
        when: str,
        what: str,
        where: app_commands.Choice[str] | None = None,
        incident: str | None = None,
    ) -> None:
        guild_id = require_guild(interaction)
        place = Where(where.value) if where else (Where.THREAD if incident else Where.HERE)
        if place == Where.HERE:
            self._check_may_post_here(interaction)
        number = parse_number(incident) if place == Where.THREAD and incident else None
        typed = AskInput(
            guild_id=guild_id,
            owner_id=interaction.user.id,
            when=when,
            text=what,
            where=place,
            channel_id=interaction.channel_id,
            incident_number=number,
        )
        now = self.services.clock.now()
        reminder = await self.reminders.ask(typed, now=now)
        assert reminder.id is not None
        language = person_language(interaction)

        def said(when: str) -> str:
            return self.services.catalogue.render(
                language,
                "reminder.reply.set",
                when=when,
                where=self.services.catalogue.word(language, _where_words(reminder)),
                text=truncate(plain_text(reminder.text), 300),
            )

        # Set: said with Discord's own timestamp should anything below fail (the zone is read after).
        mark_done(interaction, said(discord_time(reminder.due_at, "F")))
        self.services.timers.schedule_reminder(reminder.id, reminder.due_at)
        zone = await self.reminders.zone(guild_id)
        await reply_done(interaction, said(dated(reminder.due_at, language, zone, now)))

    @staticmethod
    def _check_may_post_here(interaction: discord.Interaction[Any]) -> None:
        """A reminder posted here speaks in the channel: only where the person may write themselves."""
        permissions = interaction.permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        may_write = permissions.send_messages_in_threads if in_thread else permissions.send_messages
        if not (permissions.view_channel and may_write):
            raise ReminderError("reminder.error.cannot_post_here")

    # -- /reminders --

    @server_command("reminders", "Your reminders still to come; cancel one")
    async def list_reminders(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = require_guild(interaction)
        language = person_language(interaction)
        waiting, zone = await self.reminders.pending(guild_id, interaction.user.id)
        if not waiting:
            await reply_private(interaction, self.services.catalogue.render(language, "reminder.list.empty"))
            return
        lines = [self.services.catalogue.render(language, "reminder.list.title")]
        options = []
        for item in waiting:
            assert item.id is not None
            where = self.services.catalogue.word(language, _where_words(item))
            shown = truncate(plain_text(item.text), 120)
            lines.append(f"• {discord_time(item.due_at, 'F')} — {where} — {shown}")
            options.append(
                # A menu shows no Discord timestamp: the time is written in the server's zone.
                discord.SelectOption(
                    label=truncate(f"{item.due_at.astimezone(zone):%d/%m %H:%M} · {plain_text(item.text)}", 100),
                    value=str(item.id),
                )
            )
        menu = CancelMenu(interaction.user.id, options)
        menu.item.placeholder = self.services.catalogue.render(language, "reminder.list.cancel_placeholder")
        view = discord.ui.View(timeout=None)
        view.add_item(menu)
        await interaction.response.send_message(
            "\n".join(lines), view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(ReminderCog(bot, bot.services))
