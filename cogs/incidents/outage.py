"""`/outage` (`/panne`): declare, update, resolve, reopen, edit, cancel, link, assign, show, list, summary.

An adapter only: it reads the options (`options.py`), defers at once (the reply comes after the database and may
take longer than Discord's 3 seconds under load), calls `bot.incidents.use_cases.lifecycle` and words the result
privately in the person's language (`replies.py`). Who may do what is checked in the use case on every command and
click. The declaration form is `modal.py`; the buttons under every status message and announcement `buttons.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.incidents.presentation.message_parts import thread_url
from bot.incidents.presentation.status_message import status_embed
from bot.incidents.rules.model import CancelReason, Cause, Severity, Status
from bot.incidents.use_cases.results import ChangeResult
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, UpdateInput, parse_number
from bot.interactions.access import require_guild
from bot.interactions.cooldowns import per_person_cooldown
from bot.interactions.replies import defer_if_slow, mark_done, person_language, reply_done, reply_private
from bot.interactions.translator import text
from bot.public.presentation import visibility_reply
from cogs.common.acting import acting
from cogs.common.autocomplete import suggest_incidents, suggest_sectors, suggest_territories, suggest_territory
from cogs.common.choices import LIST_STATUS_CHOICES, SEVERITY_CHOICES
from cogs.common.cog import FeatureCog
from cogs.common.groups import server_group
from cogs.common.options import Subcommands
from cogs.incidents.autocomplete import suggest_services
from cogs.incidents.buttons import IncidentButton, MoreButton
from cogs.incidents.modal import DeclareModal, UpdateForm
from cogs.incidents.options import (
    CANCEL_CHOICES,
    CANCEL_NOTE,
    CANCEL_REASON,
    CAUSE,
    CAUSE_CHOICES,
    COORDINATOR,
    DUPLICATE_OF,
    ETA,
    IMPACT,
    INCIDENT,
    INTERNAL,
    LIST_SECTOR,
    LIST_STATUS,
    NEW_SEVERITY,
    NEW_WORKAROUND,
    NEXT_UPDATE,
    NOTE,
    ORGANISATION,
    OTHER,
    PERIOD,
    PUBLIC,
    REOPEN_REASON,
    SECTOR,
    SERVICE_CHANGES,
    SERVICES,
    SEVERITY,
    SILENT,
    STARTED,
    STATUS,
    STATUS_CHOICES,
    SUMMARY,
    TERRITORIES,
    TERRITORY,
    TITLE,
    UNDO,
    WORKAROUND,
)
from cogs.incidents.replies import answer_declared, changed_text, list_embed, notice

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

log = logging.getLogger(__name__)


async def _defer(interaction: discord.Interaction[Any]) -> None:
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


outage_group = server_group(
    text("outage", "cmd.outage.name"), text("Declare and follow outages (coordinators)", "cmd.outage.description")
)
outage_command = Subcommands(outage_group)


class Outage(FeatureCog):
    # The group as an attribute of the cog, so that discord.py registers it with its subcommands.
    outage = outage_group

    dynamic_items = (IncidentButton, MoreButton)

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.lifecycle = services.lifecycle

    def now(self) -> datetime:
        return self.services.clock.now()

    async def _change(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        message_id: str,
        change: Callable[[Actor, int], Awaitable[ChangeResult]],
        after: Callable[[Actor, int], Awaitable[None]] | None = None,
        said: Mapping[str, Any] | None = None,
    ) -> None:
        """What every change of an incident does around its use case: who acts (outside a server, a refusal), the
        answer deferred, the incident's number read, then the outbox woken, what follows the commit (`after`:
        timers) and the change said privately. Once the change is committed, a failure tells only that it was
        done (`reply_done`)."""
        actor = acting(interaction, Actor)
        await _defer(interaction)
        number = parse_number(incident)
        result = await change(actor, number)
        self.services.outbox.wake()
        language = person_language(interaction)
        content = changed_text(
            self.services.catalogue, language, message_id, result, guild_id=actor.guild_id, said=said
        )
        mark_done(interaction, content)
        if after is not None:
            await after(actor, number)
        shown = await reply_done(interaction, content)
        if result.sent and shown is not None:  # completed with where its messages went, once settled
            settled = changed_text(
                self.services.catalogue, language, message_id, result, guild_id=actor.guild_id, settled=True, said=said
            )
            await self._report(
                result.number,
                self.lifecycle.report_private_reply(
                    actor.guild_id,
                    application_id=interaction.application_id,
                    token=interaction.token,
                    parts=[settled],
                    tail=notice(shown, content),
                    language=language,
                    sent=result.sent,
                    say_done=("news",),
                    now=self.now(),
                ),
            )

    async def _report(self, number: int, planning: Awaitable[int]) -> None:
        try:
            await planning
        except Exception:  # the change is made and answered; only the reply's completion will be missing
            log.exception("could not plan the completion of the reply about #%s", number)
        else:
            self.services.outbox.wake()

    # -- declare --

    @outage_command(
        "declare",
        "Declare an outage (no options: a form opens)",
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
        public=PUBLIC,
    )
    @app_commands.choices(severity=SEVERITY_CHOICES, cause=CAUSE_CHOICES)
    @per_person_cooldown()
    @app_commands.autocomplete(territories=suggest_territories, sector=suggest_sectors, services=suggest_services)
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
        public: bool | None = None,
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
            public=public,
        )
        if typed.is_empty:
            # The modal must be the first response: check who may declare before opening it (a quick read).
            await self.lifecycle.coordinator_config(acting(interaction, Actor))
            await interaction.response.send_modal(DeclareModal(self, person_language(interaction)))
            return
        await self.run_declare(interaction, typed)

    async def run_declare(self, interaction: discord.Interaction[Any], typed: DeclareInput) -> int:
        """Declares and answers; returns the new incident's number."""
        actor = acting(interaction, Actor)
        await _defer(interaction)
        result = await self.lifecycle.declare(actor, typed, now=self.now())
        await answer_declared(self.services, interaction, actor, result)
        return result.number

    # -- update --

    @outage_command(
        "update",
        "Post an update: status, note, services, ETA, workaround",
        incident=INCIDENT,
        status=STATUS,
        note=NOTE,
        services=SERVICE_CHANGES,
        eta=ETA,
        workaround=NEW_WORKAROUND,
        next_update=NEXT_UPDATE,
        severity=NEW_SEVERITY,
        silent=SILENT,
        internal=INTERNAL,
    )
    @app_commands.choices(status=STATUS_CHOICES, severity=SEVERITY_CHOICES)
    @app_commands.autocomplete(incident=suggest_incidents, services=suggest_services)
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
        internal: bool = False,
    ) -> None:
        typed = UpdateInput(
            status=Status(status.value) if status else None,
            note=note,
            services=services,
            eta=eta,
            workaround=workaround,
            next_update=next_update,
            severity=Severity(severity.value) if severity else None,
            silent=silent,
            internal=internal,
        )
        if replace(typed, silent=False) == UpdateInput():
            # Only the incident: a form for the long text (the first answer, so who may update is checked first).
            number = parse_number(incident)
            await self.lifecycle.coordinator_config(acting(interaction, Actor), number)
            form = UpdateForm(self, person_language(interaction), number, silent=silent)
            await interaction.response.send_modal(form)
            return
        await self.run_update(interaction, incident, typed)

    async def run_update(self, interaction: discord.Interaction[Any], incident: str, typed: UpdateInput) -> None:
        await self._change(
            interaction,
            incident,
            "outage.reply.updated",
            lambda actor, number: self.lifecycle.update(actor, number, typed, now=self.now()),
        )

    # -- resolve, reopen --

    @outage_command(
        "resolve", "Announce the recovery, with durations", incident=INCIDENT, summary=SUMMARY, silent=SILENT
    )
    @app_commands.autocomplete(incident=suggest_incidents)
    async def resolve(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        summary: str | None = None,
        silent: bool = False,
    ) -> None:
        async def resolve(actor: Actor, number: int) -> ChangeResult:
            return await self.lifecycle.resolve(actor, number, summary=summary, silent=silent, now=self.now())

        async def archive(actor: Actor, number: int) -> None:
            await self.services.timers.archive_when_due(actor.guild_id, number)

        await self._change(interaction, incident, "outage.reply.resolved", resolve, archive)

    @outage_command("reopen", "Reopen a resolved outage", incident=INCIDENT, reason=REOPEN_REASON)
    @app_commands.autocomplete(incident=suggest_incidents)
    async def reopen(self, interaction: discord.Interaction[Any], incident: str, reason: str | None = None) -> None:
        async def reopen(actor: Actor, number: int) -> ChangeResult:
            return await self.lifecycle.reopen(actor, number, reason=reason, now=self.now())

        async def keep(actor: Actor, number: int) -> None:
            self.services.timers.cancel_archive(actor.guild_id, number)

        await self._change(interaction, incident, "outage.reply.reopened", reopen, keep)

    # -- edit, cancel, assign --

    @outage_command(
        "edit",
        "Correct the declared facts (re-routes announcements)",
        incident=INCIDENT,
        title=TITLE,
        organisation=ORGANISATION,
        sector=SECTOR,
        territories=TERRITORIES,
        severity=SEVERITY,
        cause=CAUSE,
        started=STARTED,
        impact=IMPACT,
        public=PUBLIC,
    )
    @app_commands.choices(severity=SEVERITY_CHOICES, cause=CAUSE_CHOICES)
    @app_commands.autocomplete(incident=suggest_incidents, territories=suggest_territories, sector=suggest_sectors)
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
        public: bool | None = None,
    ) -> None:
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
        if public is not None:
            await self._set_public(interaction, incident, public, answer=typed.is_empty)
            if typed.is_empty:
                return
        await self._change(
            interaction,
            incident,
            "outage.reply.edited",
            lambda actor, number: self.lifecycle.edit(actor, number, typed, now=self.now()),
        )

    async def _set_public(
        self, interaction: discord.Interaction[Any], incident: str, public: bool, *, answer: bool
    ) -> None:
        """Puts the incident on the server's public page or takes it off (coordinators; audited); `answer`: says so
        (alone), else the correction made with it answers."""
        actor = acting(interaction, Actor)
        await _defer(interaction)
        await self.lifecycle.coordinator_config(actor)
        number = parse_number(incident)
        await self.services.public_pages.set_visibility(actor, number, public)
        self.services.outbox.wake()  # the webhooks told of it (published, withdrawn) go now, not at the next poll
        if answer:
            content = visibility_reply(self.services.catalogue, person_language(interaction), number, public)
            mark_done(interaction, content)
            await reply_done(interaction, content)

    @outage_command(
        "cancel",
        "Cancel a false alarm or a duplicate",
        incident=INCIDENT,
        reason=CANCEL_REASON,
        duplicate_of=DUPLICATE_OF,
        note=CANCEL_NOTE,
    )
    @app_commands.choices(reason=CANCEL_CHOICES)
    @app_commands.autocomplete(incident=suggest_incidents, duplicate_of=suggest_incidents)
    async def cancel(
        self,
        interaction: discord.Interaction[Any],
        incident: str,
        reason: app_commands.Choice[str],
        duplicate_of: str | None = None,
        note: str | None = None,
    ) -> None:
        await self._change(
            interaction,
            incident,
            "outage.reply.cancelled",
            lambda actor, number: self.lifecycle.cancel(
                actor,
                number,
                reason=CancelReason(reason.value),
                duplicate_of=parse_number(duplicate_of) if duplicate_of else None,
                note=note,
                now=self.now(),
            ),
        )

    @outage_command("link", "Mark two outages as related, or undo it", incident=INCIDENT, other=OTHER, undo=UNDO)
    @app_commands.autocomplete(incident=suggest_incidents, other=suggest_incidents)
    async def link(self, interaction: discord.Interaction[Any], incident: str, other: str, undo: bool = False) -> None:
        other_number = parse_number(other)
        await self._change(
            interaction,
            incident,
            "outage.reply.unlinked" if undo else "outage.reply.linked",
            lambda actor, number: self.lifecycle.relate(actor, number, other=other_number, undo=undo, now=self.now()),
            said={"other": other_number},
        )

    @outage_command("assign", "Hand the outage over to another coordinator", incident=INCIDENT, coordinator=COORDINATOR)
    @app_commands.autocomplete(incident=suggest_incidents)
    async def assign(self, interaction: discord.Interaction[Any], incident: str, coordinator: discord.Member) -> None:
        await self._change(
            interaction,
            incident,
            "outage.reply.assigned",
            lambda actor, number: self.lifecycle.assign(
                actor,
                number,
                to=coordinator.id,
                to_roles=frozenset(role.id for role in getattr(coordinator, "roles", [])),
                now=self.now(),
            ),
        )

    # -- show, list (anyone) --

    @outage_command("show", "Show an outage as it stands", incident=INCIDENT)
    @app_commands.autocomplete(incident=suggest_incidents)
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
        await self.lifecycle.record_read(shown.audit, now=self.now())

    @outage_command(
        "list", "List outages, with filters", status=LIST_STATUS, territory=TERRITORY, sector=LIST_SECTOR, period=PERIOD
    )
    @app_commands.choices(status=LIST_STATUS_CHOICES)
    @app_commands.autocomplete(territory=suggest_territory, sector=suggest_sectors)
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
                now=self.now(),
                user_id=interaction.user.id,
            ),
        )
        language = person_language(interaction)
        if found.incidents:
            await reply_private(interaction, embed=list_embed(self.services.catalogue, language, found))
        else:
            await reply_private(interaction, self.word(language, "outage.list.empty"))
        await self.lifecycle.record_read(found.audit, now=self.now())

    # -- summary: one incident's dated account, attached privately --

    @outage_command(
        "summary", "An outage's dated account, as HTML and Markdown (coordinators, admins)", incident=INCIDENT
    )
    @app_commands.autocomplete(incident=suggest_incidents)
    async def summary(self, interaction: discord.Interaction[Any], incident: str) -> None:
        from bot.exports.use_cases import summary as incident_account
        from cogs.exports import member_names, send_files

        guild_id = require_guild(interaction)
        await _defer(interaction)
        permissions = getattr(interaction, "permissions", None)
        account = await incident_account(
            self.services.store,
            guild_id,
            parse_number(incident),
            now=self.now(),
            default_language=self.services.settings.default_language,
            default_time_zone=self.services.settings.time_zone,
            names=member_names(interaction),
            actor_id=interaction.user.id,
            admin=bool(permissions is not None and permissions.manage_guild),
            role_ids=frozenset(role.id for role in getattr(interaction.user, "roles", [])),
        )
        said = self.word(person_language(interaction), "export.summary.done", number=account.number)
        await send_files(interaction, [(said, account.files)])


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Outage(bot, bot.services))
