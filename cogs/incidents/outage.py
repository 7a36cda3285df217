"""`/outage` (`/panne`): declare, update, resolve, reopen, edit, cancel, assign, show, list; the declaration
modal; autocomplete of incidents, territories, sectors and services; the Follow / Affected-too buttons.

An adapter only: it reads the options, defers at once (the reply comes after the database and may take longer
than Discord's 3 seconds under load), calls `bot.incidents.use_cases.lifecycle` and words the result privately in the
person's language. Who may do what is checked in the service on every command and click.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_VALUE, MODAL_TITLE, TextField
from bot.common.text import name_key, safe_text, truncate
from bot.incidents.presentation.labels import SEVERITY_KEYS, STATUS_KEYS
from bot.incidents.presentation.message_parts import discord_time, thread_url
from bot.incidents.presentation.status_message import status_embed
from bot.incidents.rules.model import CancelReason, Cause, Severity, Status
from bot.incidents.rules.service_changes import last_item
from bot.incidents.use_cases.commands import ServerDefaults
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.results import ChangeResult, DeclareResult, ListResult
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, OutageError, UpdateInput, parse_number
from bot.interactions.access import require_guild
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import defer_if_slow, person_language, reply_private
from bot.interactions.translator import text
from cogs.common.choices import LIST_STATUS_CHOICES, SEVERITY_CHOICES
from cogs.common.options import Option, options
from cogs.incidents.buttons import IncidentButton

if TYPE_CHECKING:
    from bot.app import TocsinBot

log = logging.getLogger(__name__)

CAUSE_CHOICES = [
    app_commands.Choice(
        name=text("cyberattack suspected", "cmd.outage.choice.cyberattack_suspected"), value="cyberattack_suspected"
    ),
    app_commands.Choice(
        name=text("cyberattack confirmed", "cmd.outage.choice.cyberattack_confirmed"), value="cyberattack_confirmed"
    ),
    app_commands.Choice(
        name=text("technical failure", "cmd.outage.choice.technical_failure"), value="technical_failure"
    ),
    app_commands.Choice(name=text("overload", "cmd.outage.choice.overload"), value="overload"),
    app_commands.Choice(name=text("unknown", "cmd.outage.choice.unknown"), value="unknown"),
]
STATUS_CHOICES = [
    app_commands.Choice(name=text("investigating", "cmd.outage.choice.investigating"), value="investigating"),
    app_commands.Choice(name=text("identified", "cmd.outage.choice.identified"), value="identified"),
    app_commands.Choice(name=text("monitoring", "cmd.outage.choice.monitoring"), value="monitoring"),
]
CANCEL_CHOICES = [
    app_commands.Choice(name=text("false alarm", "cmd.outage.choice.false_alarm"), value="false_alarm"),
    app_commands.Choice(name=text("duplicate", "cmd.outage.choice.duplicate"), value="duplicate"),
]

# The words a modal's severity field accepts (no choices in a modal text input).
_SEVERITY_WORDS = {
    "critique": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "majeure": Severity.MAJOR,
    "majeur": Severity.MAJOR,
    "major": Severity.MAJOR,
    "mineure": Severity.MINOR,
    "mineur": Severity.MINOR,
    "minor": Severity.MINOR,
}
_STATE_WORDS = {"fr": ("rétabli", "dégradé", "en panne"), "en": ("restored", "degraded", "down")}


def _actor(interaction: discord.Interaction[Any]) -> Actor:
    guild_id = require_guild(interaction)
    roles = getattr(interaction.user, "roles", [])
    return Actor(
        guild_id=guild_id,
        user_id=interaction.user.id,
        role_ids=frozenset(role.id for role in roles),
        interaction_id=interaction.id,
    )


def _choice(name: str, value: str) -> app_commands.Choice[str] | None:
    if len(value) > CHOICE_VALUE or not value.strip():
        return None
    return app_commands.Choice(name=truncate(name, CHOICE_NAME) or value[:CHOICE_NAME], value=value)


def _choices(items: list[app_commands.Choice[str] | None]) -> list[app_commands.Choice[str]]:
    return [c for c in items if c is not None][:AUTOCOMPLETE_CHOICES]


# Each option's name and description, once: commands share them (the incident, declare's facts in edit…).

TITLE = Option(
    text("title", "cmd.outage.opt.title.name"),
    text("What is down, in a few words (100 characters at most)", "cmd.outage.opt.title"),
)
SECTOR = Option(
    text("sector", "cmd.outage.opt.sector.name"),
    text("The sector hit (pharmacy, bookshop, local authority…)", "cmd.outage.opt.sector"),
)
TERRITORIES = Option(
    text("territories", "cmd.outage.opt.territories.name"),
    text("Territories, comma-separated: 29, Bretagne, France entière", "cmd.outage.opt.territories"),
)
SEVERITY = Option(
    text("severity", "cmd.outage.opt.severity.name"), text("How serious it is", "cmd.outage.opt.severity")
)
CAUSE = Option(
    text("cause", "cmd.outage.opt.cause.name"), text("The cause, as far as is known", "cmd.outage.opt.cause")
)
STARTED = Option(
    text("started", "cmd.outage.opt.started.name"),
    text('Since when: "aujourd\'hui midi", "depuis 8h"', "cmd.outage.opt.started"),
)
SERVICES = Option(
    text("services", "cmd.outage.opt.services.name"),
    text('Services hit, comma-separated ("orders, deliveries")', "cmd.outage.opt.services"),
)
ETA = Option(
    text("eta", "cmd.outage.opt.eta.name"), text('Expected recovery: "lundi matin", "dans 4 h"', "cmd.outage.opt.eta")
)
WORKAROUND = Option(
    text("workaround", "cmd.outage.opt.workaround.name"), text("What to do meanwhile", "cmd.outage.opt.workaround")
)
IMPACT = Option(
    text("impact", "cmd.outage.opt.impact.name"),
    text('Who or how many are affected ("≈1 800 pharmacies")', "cmd.outage.opt.impact"),
)
ORGANISATION = Option(
    text("organisation", "cmd.outage.opt.organisation.name"),
    text('Who is down ("Cerp Bretagne Atlantique")', "cmd.outage.opt.organisation"),
)
INCIDENT = Option(
    text("incident", "cmd.outage.opt.incident.name"),
    text("The incident (number or words of its title)", "cmd.outage.opt.incident"),
)
STATUS = Option(text("status", "cmd.outage.opt.status.name"), text("The new status", "cmd.outage.opt.status"))
NOTE = Option(text("note", "cmd.outage.opt.note.name"), text("What is new, in a few sentences", "cmd.outage.opt.note"))
SERVICE_CHANGES = Option(
    text("services", "cmd.outage.opt.services.name"),
    text('Service changes: "orders: restored, deliveries: degraded"', "cmd.outage.opt.service_changes"),
)
NEW_WORKAROUND = Option(
    text("workaround", "cmd.outage.opt.workaround.name"),
    text("New instructions (announced again in every channel)", "cmd.outage.opt.new_workaround"),
)
NEXT_UPDATE = Option(
    text("next_update", "cmd.outage.opt.next_update.name"),
    text('When you will post again: "demain 10h"', "cmd.outage.opt.next_update"),
)
NEW_SEVERITY = Option(
    text("severity", "cmd.outage.opt.severity.name"),
    text("A new severity (raising it pings again)", "cmd.outage.opt.new_severity"),
)
SILENT = Option(
    text("silent", "cmd.outage.opt.silent.name"), text("Post without notifying anyone", "cmd.outage.opt.silent")
)
SUMMARY = Option(
    text("summary", "cmd.outage.opt.summary.name"), text("How it ended, in a few words", "cmd.outage.opt.summary")
)
REOPEN_REASON = Option(
    text("reason", "cmd.outage.opt.reason.name"), text("Why it is not over", "cmd.outage.opt.reason")
)
CANCEL_REASON = Option(
    text("reason", "cmd.outage.opt.cancel_reason.name"),
    text("False alarm or duplicate", "cmd.outage.opt.cancel_reason"),
)
DUPLICATE_OF = Option(
    text("duplicate_of", "cmd.outage.opt.duplicate_of.name"),
    text("For a duplicate: the original incident", "cmd.outage.opt.duplicate_of"),
)
CANCEL_NOTE = Option(
    text("note", "cmd.outage.opt.note.name"), text("A word of explanation", "cmd.outage.opt.cancel_note")
)
COORDINATOR = Option(
    text("coordinator", "cmd.outage.opt.coordinator.name"),
    text("The coordinator who takes it over", "cmd.outage.opt.coordinator"),
)
LIST_STATUS = Option(
    text("status", "cmd.outage.opt.status.name"), text("Which ones (open by default)", "cmd.outage.opt.list_status")
)
TERRITORY = Option(
    text("territory", "cmd.outage.opt.territory.name"),
    text("Only those concerning this territory", "cmd.outage.opt.territory"),
)
LIST_SECTOR = Option(
    text("sector", "cmd.outage.opt.sector.name"), text("Only this sector", "cmd.outage.opt.list_sector")
)
PERIOD = Option(
    text("period", "cmd.outage.opt.period.name"),
    text('When: "octobre 2024", "cette semaine", "les 30 derniers jours"', "cmd.outage.opt.period"),
)


class DeclareModal(discord.ui.Modal):
    """The essentials of a declaration, when `/outage declare` is run without options."""

    def __init__(self, cog: Outage, language: Language) -> None:
        word = cog.word
        super().__init__(title=truncate(word(language, "outage.modal.title"), MODAL_TITLE), timeout=900)
        self.cog = cog
        self.title_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "outage.modal.field.title"),
            custom_id="title",
            max_length=TextField.TITLE.limit,
            placeholder=word(language, "outage.modal.placeholder.title"),
        )
        self.sector_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "outage.modal.field.sector"),
            custom_id="sector",
            max_length=TextField.SECTOR.limit,
            placeholder=word(language, "outage.modal.placeholder.sector"),
        )
        self.territories_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "outage.modal.field.territories"),
            custom_id="territories",
            max_length=1000,
            placeholder=word(language, "outage.modal.placeholder.territories"),
        )
        self.severity_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "outage.modal.field.severity"),
            custom_id="severity",
            max_length=20,
            placeholder=word(language, "outage.modal.placeholder.severity"),
        )
        self.started_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=word(language, "outage.modal.field.started"),
            custom_id="started",
            max_length=100,
            required=False,
            placeholder=word(language, "outage.modal.placeholder.started"),
        )
        for item in (
            self.title_input,
            self.sector_input,
            self.territories_input,
            self.severity_input,
            self.started_input,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        typed_severity = name_key(self.severity_input.value)
        severity = _SEVERITY_WORDS.get(typed_severity)
        if severity is None:
            raise OutageError("outage.error.severity_unknown", text=self.severity_input.value.strip()[:30])
        typed = DeclareInput(
            title=self.title_input.value,
            sector=self.sector_input.value,
            territories=self.territories_input.value,
            severity=severity,
            started=self.started_input.value or None,
        )
        await self.cog.run_declare(interaction, typed)

    async def on_error(  # type: ignore[override]  # discord.py's Modal narrows BaseView's signature
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await self.cog.bot.report_error(interaction, error)


class Outage(commands.Cog):
    outage = app_commands.Group(
        name=text("outage", "cmd.outage.name"),
        description=text("Declare and follow outages (coordinators)", "cmd.outage.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: TocsinBot) -> None:
        self.bot = bot
        self._lifecycle: Lifecycle | None = None
        self._timers_registered = False

    @property
    def lifecycle(self) -> Lifecycle:
        # Built on first use: the command tree is also loaded on a bare bot (tests, command sync checks).
        if self._lifecycle is None:
            settings = self.bot.settings
            self._lifecycle = Lifecycle(
                self.bot.store,
                ServerDefaults(language=settings.default_language, time_zone=settings.time_zone),
                forum_tags=self.forum_tags,
            )
        return self._lifecycle

    # -- plumbing --

    def word(self, language: Language, message_id: str, **args: Any) -> str:
        return self.bot.catalogue.render(language, message_id, **args)

    def forum_tags(self, channel_id: int) -> Mapping[str, int] | None:
        """The incident channel's tags by name if it is a forum, None for a text channel (or unknown)."""
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.ForumChannel):
            return {tag.name: tag.id for tag in channel.available_tags}
        return None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(IncidentButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(IncidentButton)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # The scheduler starts after the cogs load; resolved threads still to archive are registered once up.
        if self._timers_registered:
            return
        self._timers_registered = True
        for guild_id, number, when in await self.lifecycle.archive_times():
            self._schedule_archive(guild_id, number, when)

    def _schedule_archive(self, guild_id: int, number: int, when: datetime) -> None:
        async def archive() -> None:
            if await self.lifecycle.archive_due(guild_id, number, now=self.bot.clock.now()):
                self.bot.outbox.wake()

        self.bot.scheduler.schedule(f"archive:{guild_id}:{number}", when, archive)

    async def _defer(self, interaction: discord.Interaction[Any]) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

    def _thread_mention(self, guild_id: int, thread_id: int | None, channel_id: int | None) -> str:
        if thread_id is not None:
            return thread_url(guild_id, thread_id)
        return f"<#{channel_id}>" if channel_id else "—"

    def _channels(self, language: Language, channel_ids: tuple[int, ...]) -> str:
        return ", ".join(f"<#{c}>" for c in channel_ids) if channel_ids else self.word(language, "outage.reply.none")

    # -- declare --

    @outage.command(
        name=text("declare", "cmd.outage.declare.name"),
        description=text("Declare an outage (no options: a form opens)", "cmd.outage.declare.description"),
    )
    @options(
        title=TITLE,
        sector=SECTOR,
        territories=TERRITORIES,
        severity=SEVERITY,
        cause=CAUSE,
        started=STARTED,
        services=SERVICES,
        eta=ETA,
        workaround=WORKAROUND,
        impact=IMPACT,
        organisation=ORGANISATION,
    )
    @app_commands.choices(severity=SEVERITY_CHOICES, cause=CAUSE_CHOICES)
    @per_person_cooldown()
    async def declare(
        self,
        interaction: discord.Interaction[Any],
        title: str | None = None,
        sector: str | None = None,
        territories: str | None = None,
        severity: app_commands.Choice[str] | None = None,
        cause: app_commands.Choice[str] | None = None,
        started: str | None = None,
        services: str | None = None,
        eta: str | None = None,
        workaround: str | None = None,
        impact: str | None = None,
        organisation: str | None = None,
    ) -> None:
        typed = DeclareInput(
            title=title,
            sector=sector,
            territories=territories,
            severity=Severity(severity.value) if severity else None,
            cause=Cause(cause.value) if cause else None,
            started=started,
            services=services,
            eta=eta,
            workaround=workaround,
            impact=impact,
            organisation=organisation,
        )
        if typed.is_empty:
            # The modal must be the first response: check who may declare before opening it (a quick read).
            await self.lifecycle.coordinator_config(_actor(interaction))
            await interaction.response.send_modal(DeclareModal(self, person_language(interaction)))
            return
        await self.run_declare(interaction, typed)

    async def run_declare(self, interaction: discord.Interaction[Any], typed: DeclareInput) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        result = await self.lifecycle.declare(actor, typed, now=self.bot.clock.now())
        self.bot.outbox.wake()
        # The reply goes at once; the thread's link follows as an edit of it once the outbox has made the thread
        # (it waits for the status message, paced by Discord at 5 messages / 5 s in the incident channel).
        thread_id = await self.lifecycle.thread_id(result.thread_row)
        marker = f"[[thread-link-{secrets.token_hex(8)}]]"
        content = self._declared_text(interaction, result, marker)
        fallback = self._thread_mention(actor.guild_id, thread_id, result.incident_channel_id)
        await reply_private(interaction, content.replace(marker, fallback))
        if thread_id is None:
            before, _, after = content.partition(marker)
            try:
                await self.lifecycle.link_private_reply(
                    actor.guild_id,
                    result.thread_row,
                    application_id=interaction.application_id,
                    token=interaction.token,
                    before=before,
                    after=after,
                    now=self.bot.clock.now(),
                )
            except Exception:  # the declaration is made and answered; only the link will be missing
                log.exception("could not plan the link edit of the reply to declaration #%s", result.number)
            else:
                self.bot.outbox.wake()

    def _declared_text(self, interaction: discord.Interaction[Any], result: DeclareResult, link: str) -> str:
        language = person_language(interaction)
        lines = [
            self.word(
                language,
                "outage.reply.declared",
                number=result.number,
                title=safe_text(result.title),
                link=link,
            ),
            self.word(language, "outage.reply.started", time=discord_time(result.started_at, "F")),
        ]
        if result.eta is not None:
            lines.append(
                self.word(
                    language,
                    "outage.reply.eta",
                    time=f"{discord_time(result.eta, 'F')} ({discord_time(result.eta, 'R')})",
                )
            )
        if result.channels:
            lines.append(
                self.word(language, "outage.reply.announced_in", channels=self._channels(language, result.channels))
            )
        else:
            lines.append(self.word(language, "outage.reply.no_channel"))
        if result.replayed:
            lines.append(self.word(language, "outage.reply.already_done"))
        return "\n".join(lines)

    # -- update --

    @outage.command(
        name=text("update", "cmd.outage.update.name"),
        description=text("Post an update: status, note, services, ETA, workaround", "cmd.outage.update.description"),
    )
    @options(
        incident=INCIDENT,
        status=STATUS,
        note=NOTE,
        services=SERVICE_CHANGES,
        eta=ETA,
        workaround=NEW_WORKAROUND,
        next_update=NEXT_UPDATE,
        severity=NEW_SEVERITY,
        silent=SILENT,
    )
    @app_commands.choices(status=STATUS_CHOICES, severity=SEVERITY_CHOICES)
    async def update(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        status: app_commands.Choice[str] | None = None,
        note: str | None = None,
        services: str | None = None,
        eta: str | None = None,
        workaround: str | None = None,
        next_update: str | None = None,
        severity: app_commands.Choice[str] | None = None,
        silent: bool = False,
    ) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        typed = UpdateInput(
            status=Status(status.value) if status else None,
            note=note,
            services=services,
            eta=eta,
            workaround=workaround,
            next_update=next_update,
            severity=Severity(severity.value) if severity else None,
            silent=silent,
        )
        result = await self.lifecycle.update(actor, parse_number(incident), typed, now=self.bot.clock.now())
        await self._changed(interaction, actor, "outage.reply.updated", result)

    async def _changed(
        self, interaction: discord.Interaction[Any], actor: Actor, message_id: str, result: ChangeResult
    ) -> None:
        self.bot.outbox.wake()
        language = person_language(interaction)
        lines = [
            self.word(
                language,
                message_id,
                number=result.number,
                title=safe_text(result.title),
                status=self.word(language, STATUS_KEYS[result.status]),
                link=self._thread_mention(actor.guild_id, result.thread_id, None),
            )
        ]
        if result.eta is not None and result.status.is_open:
            when = f"{discord_time(result.eta, 'F')} ({discord_time(result.eta, 'R')})"
            lines.append(self.word(language, "outage.reply.eta", time=when))
        if result.next_update_at is not None:
            when = f"{discord_time(result.next_update_at, 'F')} ({discord_time(result.next_update_at, 'R')})"
            lines.append(self.word(language, "outage.reply.next_update", time=when))
        if result.news_channels:
            channels = self._channels(language, result.news_channels)
            lines.append(self.word(language, "outage.reply.news_in", channels=channels))
        if result.added_channels:
            channels = self._channels(language, result.added_channels)
            lines.append(self.word(language, "outage.reply.added_channels", channels=channels))
        if result.removed_channels:
            channels = self._channels(language, result.removed_channels)
            lines.append(self.word(language, "outage.reply.removed_channels", channels=channels))
        if result.replayed:
            lines.append(self.word(language, "outage.reply.already_done"))
        await reply_private(interaction, "\n".join(lines))

    # -- resolve, reopen --

    @outage.command(
        name=text("resolve", "cmd.outage.resolve.name"),
        description=text("Announce the recovery, with durations", "cmd.outage.resolve.description"),
    )
    @options(incident=INCIDENT, summary=SUMMARY, silent=SILENT)
    async def resolve(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        summary: str | None = None,
        silent: bool = False,
    ) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        number = parse_number(incident)
        now = self.bot.clock.now()
        result = await self.lifecycle.resolve(actor, number, summary=summary, silent=silent, now=now)
        when = await self.lifecycle.archive_time(actor.guild_id, number)
        if when is not None:
            self._schedule_archive(actor.guild_id, number, when)
        await self._changed(interaction, actor, "outage.reply.resolved", result)

    @outage.command(
        name=text("reopen", "cmd.outage.reopen.name"),
        description=text("Reopen a resolved outage", "cmd.outage.reopen.description"),
    )
    @options(incident=INCIDENT, reason=REOPEN_REASON)
    async def reopen(self, interaction: discord.Interaction[Any], incident: str, reason: str | None = None) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        number = parse_number(incident)
        result = await self.lifecycle.reopen(actor, number, reason=reason, now=self.bot.clock.now())
        self.bot.scheduler.cancel(f"archive:{actor.guild_id}:{number}")
        await self._changed(interaction, actor, "outage.reply.reopened", result)

    # -- edit, cancel, assign --

    @outage.command(
        name=text("edit", "cmd.outage.edit.name"),
        description=text("Correct the declared facts (re-routes announcements)", "cmd.outage.edit.description"),
    )
    @options(
        incident=INCIDENT,
        title=TITLE,
        organisation=ORGANISATION,
        sector=SECTOR,
        territories=TERRITORIES,
        severity=SEVERITY,
        cause=CAUSE,
        started=STARTED,
        impact=IMPACT,
    )
    @app_commands.choices(severity=SEVERITY_CHOICES, cause=CAUSE_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        title: str | None = None,
        organisation: str | None = None,
        sector: str | None = None,
        territories: str | None = None,
        severity: app_commands.Choice[str] | None = None,
        cause: app_commands.Choice[str] | None = None,
        started: str | None = None,
        impact: str | None = None,
    ) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        typed = EditInput(
            title=title,
            organisation=organisation,
            sector=sector,
            territories=territories,
            severity=Severity(severity.value) if severity else None,
            cause=Cause(cause.value) if cause else None,
            started=started,
            impact=impact,
        )
        result = await self.lifecycle.edit(actor, parse_number(incident), typed, now=self.bot.clock.now())
        await self._changed(interaction, actor, "outage.reply.edited", result)

    @outage.command(
        name=text("cancel", "cmd.outage.cancel.name"),
        description=text("Cancel a false alarm or a duplicate", "cmd.outage.cancel.description"),
    )
    @options(incident=INCIDENT, reason=CANCEL_REASON, duplicate_of=DUPLICATE_OF, note=CANCEL_NOTE)
    @app_commands.choices(reason=CANCEL_CHOICES)
    async def cancel(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        reason: app_commands.Choice[str],
        duplicate_of: str | None = None,
        note: str | None = None,
    ) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        result = await self.lifecycle.cancel(
            actor,
            parse_number(incident),
            reason=CancelReason(reason.value),
            duplicate_of=parse_number(duplicate_of) if duplicate_of else None,
            note=note,
            now=self.bot.clock.now(),
        )
        await self._changed(interaction, actor, "outage.reply.cancelled", result)

    @outage.command(
        name=text("assign", "cmd.outage.assign.name"),
        description=text("Hand the outage over to another coordinator", "cmd.outage.assign.description"),
    )
    @options(incident=INCIDENT, coordinator=COORDINATOR)
    async def assign(self, interaction: discord.Interaction[Any], incident: str, coordinator: discord.Member) -> None:
        actor = _actor(interaction)
        await self._defer(interaction)
        result = await self.lifecycle.assign(
            actor,
            parse_number(incident),
            to=coordinator.id,
            to_roles=frozenset(role.id for role in getattr(coordinator, "roles", [])),
            now=self.bot.clock.now(),
        )
        await self._changed(interaction, actor, "outage.reply.assigned", result)

    # -- show, list (anyone) --

    @outage.command(
        name=text("show", "cmd.outage.show.name"),
        description=text("Show an outage as it stands", "cmd.outage.show.description"),
    )
    @options(incident=INCIDENT)
    async def show(self, interaction: discord.Interaction[Any], incident: str) -> None:
        guild_id = require_guild(interaction)
        shown = await defer_if_slow(
            interaction, self.lifecycle.show(guild_id, parse_number(incident), user_id=interaction.user.id)
        )
        language = person_language(interaction)
        embed = discord.Embed.from_dict(status_embed(shown.stored.incident, language))
        thread_id = shown.stored.incident.thread_id
        content = thread_url(guild_id, thread_id) if thread_id is not None else None
        await reply_private(interaction, content, embed=embed)
        await self.lifecycle.record_read(shown.audit, now=self.bot.clock.now())

    @outage.command(
        name=text("list", "cmd.outage.list.name"),
        description=text("List outages, with filters", "cmd.outage.list.description"),
    )
    @options(status=LIST_STATUS, territory=TERRITORY, sector=LIST_SECTOR, period=PERIOD)
    @app_commands.choices(status=LIST_STATUS_CHOICES)
    async def list_(
        self,
        interaction: discord.Interaction[Any],
        status: app_commands.Choice[str] | None = None,
        territory: str | None = None,
        sector: str | None = None,
        period: str | None = None,
    ) -> None:
        guild_id = require_guild(interaction)
        found = await defer_if_slow(
            interaction,
            self.lifecycle.list_incidents(
                guild_id,
                status=status.value if status else "open",
                territory=territory,
                sector=sector,
                period=period,
                now=self.bot.clock.now(),
                user_id=interaction.user.id,
            ),
        )
        await self._reply_list(interaction, found)
        await self.lifecycle.record_read(found.audit, now=self.bot.clock.now())

    async def _reply_list(self, interaction: discord.Interaction[Any], found: ListResult) -> None:
        language = person_language(interaction)
        if not found.incidents:
            await reply_private(interaction, self.word(language, "outage.list.empty"))
            return
        lines = []
        for item in found.incidents:
            lines.append(
                self.word(
                    language,
                    "outage.list.line",
                    number=item.number,
                    title=safe_text(item.title),
                    status=self.word(language, STATUS_KEYS[item.status]),
                    severity=self.word(language, SEVERITY_KEYS[item.severity]),
                    started=discord_time(item.started_at, "f"),
                )
            )
        if found.more:
            lines.append(self.word(language, "outage.list.more", count=len(found.incidents)))
        embed = discord.Embed(
            title=self.word(language, "outage.list.title"),
            description=truncate("\n".join(lines), 4096),
            colour=discord.Colour.dark_red(),
        )
        await reply_private(interaction, embed=embed)

    # -- summary (the export issue): one incident's dated account, attached privately --

    @outage.command(
        name=text("summary", "cmd.outage.summary.name"),
        description=text(
            "An outage's dated account, as HTML and Markdown (coordinators, admins)", "cmd.outage.summary.description"
        ),
    )
    @options(incident=INCIDENT)
    async def summary(self, interaction: discord.Interaction[Any], incident: str) -> None:
        from bot.exports.use_cases import summary as incident_account
        from cogs.exports import member_names, send_files

        guild_id = require_guild(interaction)
        await self._defer(interaction)
        permissions = getattr(interaction, "permissions", None)
        account = await incident_account(
            self.bot.store,
            guild_id,
            parse_number(incident),
            now=self.bot.clock.now(),
            default_language=self.bot.settings.default_language,
            default_time_zone=self.bot.settings.time_zone,
            names=member_names(interaction),
            actor_id=interaction.user.id,
            admin=bool(permissions is not None and permissions.manage_guild),
            role_ids=frozenset(role.id for role in getattr(interaction.user, "roles", [])),
        )
        said = self.word(person_language(interaction), "export.summary.done", number=account.number)
        await send_files(interaction, [(said, account.files)])

    # -- autocomplete --

    @update.autocomplete("incident")
    @resolve.autocomplete("incident")
    @reopen.autocomplete("incident")
    @edit.autocomplete("incident")
    @cancel.autocomplete("incident")
    @cancel.autocomplete("duplicate_of")
    @assign.autocomplete("incident")
    @show.autocomplete("incident")
    @summary.autocomplete("incident")
    async def incident_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        language = person_language(interaction)
        found = await self.lifecycle.search(interaction.guild_id, current)
        return _choices(
            [
                _choice(
                    f"{heading_plain(item.number, item.title)} — {self.word(language, STATUS_KEYS[item.status])}",
                    str(item.number),
                )
                for item in found
            ]
        )

    @declare.autocomplete("territories")
    @edit.autocomplete("territories")
    @list_.autocomplete("territory")
    async def territories_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        language = person_language(interaction)
        multiple = interaction.command is not None and interaction.command.name != "list"
        before, typing = last_item(current) if multiple else ("", current)
        suggestions = territory_data.suggest(typing)
        return _choices(
            [
                _choice(
                    truncate(before + territory_data.label(t, language), CHOICE_NAME),
                    before + t.ref if multiple else t.ref,
                )
                for t in suggestions
            ]
        )

    @declare.autocomplete("sector")
    @edit.autocomplete("sector")
    @list_.autocomplete("sector")
    async def sector_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        wanted = name_key(current)
        sectors = await self.lifecycle.sectors(interaction.guild_id)
        starting = [s for s in sectors if name_key(s).startswith(wanted)]
        inside = [s for s in sectors if wanted in name_key(s) and s not in starting]
        return _choices([_choice(s, s) for s in starting + inside])

    @declare.autocomplete("services")
    @update.autocomplete("services")
    async def services_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        language = person_language(interaction)
        before, typing = last_item(current)
        is_update = interaction.command is not None and interaction.command.name == "update"
        number: int | None = None
        if is_update:
            try:
                number = parse_number(str(getattr(interaction.namespace, "incident", "") or ""))
            except OutageError:
                number = None
        names = await self.lifecycle.service_names(interaction.guild_id, number)
        if ":" in typing:
            name, _, state = typing.partition(":")
            states = [w for w in _STATE_WORDS[language] if name_key(w).startswith(name_key(state.strip()))]
            return _choices([_choice(f"{before}{name.strip()}: {w}", f"{before}{name.strip()}: {w}") for w in states])
        wanted = name_key(typing)
        matching = [n for n in names if name_key(n).startswith(wanted)]
        matching += [n for n in names if wanted in name_key(n) and n not in matching]
        if not is_update:
            items = [_choice(before + n, before + n) for n in matching]
            if typing and name_key(typing) not in {name_key(n) for n in matching}:
                items.insert(0, _choice(before + typing, before + typing))
            return _choices(items)
        choices: list[app_commands.Choice[str] | None] = []
        for n in matching[:8]:
            for w in _STATE_WORDS[language]:
                choices.append(_choice(f"{before}{n}: {w}", f"{before}{n}: {w}"))
        return _choices(choices)


def heading_plain(number: int, title: str) -> str:
    return f"#{number} · {title}"


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Outage(bot))
