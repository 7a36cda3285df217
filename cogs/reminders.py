"""`/remind` (`/rappel`) and `/reminders` (`/rappels`), the Snooze / Done buttons of each fired reminder, the
cancel menu of the list, and the timers: reminders and nudges registered at start-up and after every change.

An adapter: it reads options, checks what Discord can tell it (may the person post here?), calls
`bot.reminders.use_cases.reminders` and `bot.reminders.use_cases.nudging`, and points one scheduler job per reminder
and per incident
at the time those services return. The database is the truth; a job only wakes a service.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common.i18n import Msg
from bot.common.text import plain_text, truncate
from bot.incidents.presentation.message_parts import discord_time
from bot.incidents.use_cases.typed_input import parse_number
from bot.interactions.access import require_guild
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import person_language, reply_private
from bot.interactions.translator import text
from bot.reminders.presentation import DONE
from bot.reminders.rules.reminders import Reminder, ReminderError, SnoozeChoice, Where
from bot.reminders.use_cases.nudging import Nudging
from bot.reminders.use_cases.reminders import AskInput, Reminders
from cogs.common.options import Option, options

if TYPE_CHECKING:
    from bot.app import TocsinBot

log = logging.getLogger(__name__)

WHERE_CHOICES = [
    app_commands.Choice(name=text("here", "cmd.remind.choice.here"), value="here"),
    app_commands.Choice(name=text("incident thread", "cmd.remind.choice.thread"), value="thread"),
    app_commands.Choice(name=text("direct message", "cmd.remind.choice.dm"), value="dm"),
]
CANCEL_MENU = "tocsin:reminders:cancel"


def _bot(interaction: discord.Interaction[Any]) -> TocsinBot:
    return interaction.client


def _cog(interaction: discord.Interaction[Any]) -> ReminderCog:
    cog = _bot(interaction).get_cog("ReminderCog")
    assert isinstance(cog, ReminderCog)
    return cog


def _where_words(reminder: Reminder) -> Msg:
    if reminder.where == Where.THREAD:
        return Msg.of("reminder.where.thread", number=reminder.incident_number)
    if reminder.where == Where.DM:
        return Msg.of("reminder.where.dm")
    return Msg.of("reminder.where.here", channel=f"<#{reminder.channel_id}>")


# Each option's name and description, once: commands share them.

WHEN = Option(
    text("when", "cmd.remind.opt.when.name"),
    text('When: "lundi 9h", "dans 2 h", "tomorrow 9am"', "cmd.remind.opt.when"),
)
WHAT = Option(text("what", "cmd.remind.opt.what.name"), text("What to remind you of", "cmd.remind.opt.what"))
WHERE = Option(
    text("where", "cmd.remind.opt.where.name"),
    text("Where to remind you: here, in an incident's thread, or by DM", "cmd.remind.opt.where"),
)
INCIDENT = Option(
    text("incident", "cmd.remind.opt.incident.name"),
    text("For the thread: the incident (number or words of its title)", "cmd.remind.opt.incident"),
)


class ReminderButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tocsin:reminder:(?P<action>15m|1h|tomorrow_morning|done):(?P<id>\d{1,20})",
):
    """Snooze and Done on a fired reminder; its id is in the custom id, so they work after a restart."""

    def __init__(self, action: str, reminder_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=f"tocsin:reminder:{action}:{reminder_id}"))
        self.action = action
        self.reminder_id = reminder_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReminderButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        try:
            await self._click(bot, interaction)
        except Exception as exc:  # every failure becomes one private sentence
            await bot.report_error(interaction, exc)

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        cog = _cog(interaction)
        language = person_language(interaction)
        # The owner check is the service's first step: anybody else is refused before anything changes.
        if self.action == DONE:
            await cog.reminders.finish(self.reminder_id, user_id=interaction.user.id)
            said = bot.catalogue.render(language, "reminder.reply.done")
        else:
            snoozed = await cog.reminders.snooze(
                self.reminder_id, SnoozeChoice(self.action), user_id=interaction.user.id, now=bot.clock.now()
            )
            cog.schedule_reminder(self.reminder_id, snoozed.due_at)
            said = bot.catalogue.render(language, "reminder.reply.snoozed", when=discord_time(snoozed.due_at, "F"))
        # The message's buttons go: it has been dealt with, and cannot snooze the reminder a second time.
        await interaction.response.edit_message(view=None)
        await interaction.followup.send(said, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())


class CancelMenu(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
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

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        try:
            await self._choose(bot, interaction)
        except Exception as exc:
            await bot.report_error(interaction, exc)

    async def _choose(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise ReminderError("reminder.error.not_owner")
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(value) for value in data.get("values", [])]
        cog = _cog(interaction)
        language = person_language(interaction)
        lines = []
        for value in values:
            cancelled = await cog.reminders.cancel(int(value), user_id=interaction.user.id)
            bot.scheduler.cancel(f"reminder:{value}")
            lines.append(
                bot.catalogue.render(
                    language,
                    "reminder.reply.cancelled",
                    text=truncate(plain_text(cancelled.text), 200),
                    when=discord_time(cancelled.due_at, "F"),
                )
            )
        await reply_private(interaction, "\n".join(lines))


class ReminderCog(commands.Cog):
    def __init__(self, bot: TocsinBot) -> None:
        self.bot = bot
        self._reminders: Reminders | None = None
        self._nudging: Nudging | None = None
        self._registered = False
        self._startup: asyncio.Task[None] | None = None

    # Built on first use: the command tree is also loaded on a bare bot (tests, command sync checks).
    @property
    def reminders(self) -> Reminders:
        if self._reminders is None:
            settings = self.bot.settings
            self._reminders = Reminders(
                self.bot.store,
                self.bot.catalogue,
                default_language=settings.default_language,
                default_time_zone=settings.time_zone,
            )
        return self._reminders

    @property
    def nudging(self) -> Nudging:
        if self._nudging is None:
            settings = self.bot.settings
            self._nudging = Nudging(
                self.bot.store,
                self.bot.catalogue,
                default_language=settings.default_language,
                default_time_zone=settings.time_zone,
            )
        return self._nudging

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReminderButton, CancelMenu)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReminderButton, CancelMenu)
        if self._startup is not None:
            self._startup.cancel()

    # -- timers --

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # The scheduler starts after the cogs load; every pending timer is registered once it runs. In the
        # background: ready must not wait for thousands of rows.
        if self._registered:
            return
        self._registered = True
        # Hooked here, not at load: the command tree is also loaded on a bare bot without a store.
        outage = self.bot.get_cog("Outage")
        if outage is not None:
            outage.lifecycle.after_commit.append(self.replan)  # type: ignore[attr-defined]
        self._startup = asyncio.create_task(self.register_all(), name="tocsin-timers-startup")

    async def register_all(self) -> None:
        try:
            for reminder_id, due_at in await self.reminders.recover():
                self.schedule_reminder(reminder_id, due_at)
            for incident_id in await self.nudging.open_incidents():
                await self.replan(incident_id)
        except Exception:
            log.exception("could not register the timers at start-up")

    def schedule_reminder(self, reminder_id: int, when: datetime) -> None:
        async def fire() -> None:
            now = self.bot.clock.now()
            # APScheduler may wake a hair early by the clock's reading; never claim before the due time.
            if await self.reminders.fire(reminder_id, now=max(now, when) if when - now < timedelta(seconds=1) else now):
                self.bot.outbox.wake()

        self.bot.scheduler.schedule(f"reminder:{reminder_id}", when, fire)

    async def replan(self, incident_id: int) -> None:
        """Sends the incident's due nudges, if any, and points its one job at the next."""
        try:
            due = await self.nudging.tick(incident_id, self.bot.clock.now())
        except Exception:
            log.exception("nudges of incident %s could not be planned", incident_id)
            return
        self.bot.outbox.wake()
        job = f"nudge:{incident_id}"
        if due is None:
            self.bot.scheduler.cancel(job)
            return

        async def wake() -> None:
            await self.replan(incident_id)

        self.bot.scheduler.schedule(job, due, wake)

    # -- /remind --

    @app_commands.command(
        name=text("remind", "cmd.remind.name"),
        description=text("Remind yourself of something at a given time", "cmd.remind.description"),
    )
    @app_commands.guild_only()
    @options(when=WHEN, what=WHAT, where=WHERE, incident=INCIDENT)
    @app_commands.choices(where=WHERE_CHOICES)
    @per_person_cooldown()
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
        reminder = await self.reminders.ask(typed, now=self.bot.clock.now())
        assert reminder.id is not None
        self.schedule_reminder(reminder.id, reminder.due_at)
        language = person_language(interaction)
        said = self.bot.catalogue.render(
            language,
            "reminder.reply.set",
            when=discord_time(reminder.due_at, "F"),
            where=self.bot.catalogue.word(language, _where_words(reminder)),
            text=truncate(plain_text(reminder.text), 300),
        )
        await reply_private(interaction, said)

    @staticmethod
    def _check_may_post_here(interaction: discord.Interaction[Any]) -> None:
        """A reminder posted here speaks in the channel: only where the person may write themselves."""
        permissions = interaction.permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        may_write = permissions.send_messages_in_threads if in_thread else permissions.send_messages
        if not (permissions.view_channel and may_write):
            raise ReminderError("reminder.error.cannot_post_here")

    @remind.autocomplete("incident")
    async def incident_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        outage = self.bot.get_cog("Outage")
        if outage is None:
            return []
        return await outage.incident_autocomplete(interaction, current)  # type: ignore[attr-defined]

    # -- /reminders --

    @app_commands.command(
        name=text("reminders", "cmd.reminders.name"),
        description=text("Your reminders still to come; cancel one", "cmd.reminders.description"),
    )
    @app_commands.guild_only()
    async def list_reminders(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = require_guild(interaction)
        language = person_language(interaction)
        waiting, zone = await self.reminders.pending(guild_id, interaction.user.id)
        if not waiting:
            await reply_private(interaction, self.bot.catalogue.render(language, "reminder.list.empty"))
            return
        lines = [self.bot.catalogue.render(language, "reminder.list.title")]
        options = []
        for item in waiting:
            assert item.id is not None
            where = self.bot.catalogue.word(language, _where_words(item))
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
        menu.item.placeholder = self.bot.catalogue.render(language, "reminder.list.cancel_placeholder")
        view = discord.ui.View(timeout=None)
        view.add_item(menu)
        await interaction.response.send_message(
            "\n".join(lines), view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(ReminderCog(bot))
