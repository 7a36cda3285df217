"""`/setup` (`/configurer`): admins configure the server. Reads what only Discord knows (channel types, the bot's
permissions, roles) into plain facts (`facts.py`), calls `bot.settings.use_cases`, and answers privately in
the admin's language.

Discord hides the group from non-admins (`default_permissions`, top level only), but server admins can override
that, so every subcommand also checks Manage Server in code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.common.text import truncate
from bot.interactions.replies import person_language, reply_done
from bot.interactions.translator import text
from bot.public.presentation import public_page_reply
from bot.settings import presentation
from bot.settings import use_cases as service
from bot.settings.presentation import Section
from bot.settings.rules.check import build_check, configured_channel_ids, configured_role_ids
from bot.settings.rules.model import MAX_ARCHIVE_HOURS, MAX_AUDIT_ENTRIES, MAX_DM_CAP, Outcome
from bot.settings.rules.validation import (
    NO_HOLIDAYS_VALUE,
    holiday_countries,
    suggest_holiday_countries,
    suggest_zones,
)
from cogs.common.autocomplete import territory_choices
from cogs.common.options import Option, options
from cogs.settings.boards import BoardSetup, board_sections
from cogs.settings.digests import DigestSetup, digest_sections
from cogs.settings.embeds import pack
from cogs.settings.facts import IncidentChannel, MessageChannel, channel_facts, chosen_role_facts, role_facts
from cogs.settings.groups import admin_typing, route_group, sector_group, setup_group
from cogs.settings.reports import ReportsSetup
from cogs.settings.webhook import WebhookSetup, webhook_sections

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

# One of the use cases that change the server's settings: (store, actor, …, now=…) → what to tell the admin.
Change = Callable[..., Awaitable[Outcome]]

AUDIT_PAGE_DEFAULT = 20


class Setup(BoardSetup, DigestSetup, ReportsSetup, WebhookSetup):
    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.store = services.store

    # --- helpers ------------------------------------------------------------------------------------------

    async def _apply(
        self, interaction: discord.Interaction[Any], actor: Actor, use_case: Change, *args: Any, **kwargs: Any
    ) -> None:
        """One of the use cases that change the server's settings, run as the admin who acts; its outcome said."""
        await self._say(
            interaction,
            await use_case(
                self.store, actor, *args, now=self.services.clock.now(), defaults=self.services.defaults, **kwargs
            ),
        )

    async def _replan_nudges(self, actor: Actor) -> None:
        """After the reply: the open incidents' next nudge follows the new cadence or hours now, rather than once
        the nudge planned with the old ones has come."""
        for incident_id in await service.open_incident_ids(self.store, actor):
            await self.services.timers.replan(incident_id)

    async def _send_sections(self, interaction: discord.Interaction[Any], sections: Sequence[Section]) -> None:
        for embeds in pack(sections, discord.Colour.dark_red()):
            await interaction.followup.send(
                embeds=embeds, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    # --- settings -----------------------------------------------------------------------------------------

    @setup_group.command(
        name=text("incident-channel", "cmd.setup.incident_channel.name"),
        description=text(
            "Where incidents live: a text channel (a thread each) or a forum (a post each)",
            "cmd.setup.incident_channel.description",
        ),
    )
    @options(
        channel=Option(
            text("channel", "cmd.setup.channel.name"),
            text("A text channel or a forum channel", "cmd.setup.incident_channel.channel"),
        ),
    )
    async def incident_channel(self, interaction: discord.Interaction[Any], channel: IncidentChannel) -> None:
        actor = self._actor(interaction)
        await self._apply(
            interaction, actor, service.set_incident_channel, channel_facts(interaction.guild, channel.id, channel.type)
        )

    @setup_group.command(
        name=text("coordinator-role", "cmd.setup.coordinator_role.name"),
        description=text(
            "The role of the coordinators, who declare and update outages", "cmd.setup.coordinator_role.description"
        ),
    )
    @options(
        role=Option(
            text("role", "cmd.setup.role.name"), text("The coordinators' role", "cmd.setup.coordinator_role.role")
        ),
    )
    async def coordinator_role(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        actor = self._actor(interaction)
        await self._apply(interaction, actor, service.set_coordinator_role, chosen_role_facts(interaction.guild, role))

    @setup_group.command(
        name=text("log-channel", "cmd.setup.log_channel.name"),
        description=text(
            "Where the bot reports problems to coordinators and admins", "cmd.setup.log_channel.description"
        ),
    )
    @options(
        channel=Option(
            text("channel", "cmd.setup.channel.name"),
            text("A text channel for the bot's log", "cmd.setup.log_channel.channel"),
        ),
    )
    async def log_channel(self, interaction: discord.Interaction[Any], channel: MessageChannel) -> None:
        actor = self._actor(interaction)
        await self._apply(
            interaction, actor, service.set_log_channel, channel_facts(interaction.guild, channel.id, channel.type)
        )

    @setup_group.command(
        name=text("language", "cmd.setup.language.name"),
        description=text("The language of the server's public posts", "cmd.setup.language.description"),
    )
    @options(
        language=Option(
            text("language", "cmd.setup.language.language.name"),
            text("French or English", "cmd.setup.language.language"),
        ),
    )
    @app_commands.choices(
        language=[
            app_commands.Choice(name=text("French", "cmd.setup.language.choice.fr"), value="fr"),
            app_commands.Choice(name=text("English", "cmd.setup.language.choice.en"), value="en"),
        ]
    )
    async def language(self, interaction: discord.Interaction[Any], language: app_commands.Choice[str]) -> None:
        actor = self._actor(interaction)
        await self._apply(interaction, actor, service.set_language, language.value)
        if await self.services.boards.refresh(actor.guild_id, now=self.services.clock.now()):  # boards speak it too
            self.services.outbox.wake()

    @setup_group.command(
        name=text("timezone", "cmd.setup.timezone.name"),
        description=text("The time zone typed times are read in", "cmd.setup.timezone.description"),
    )
    @options(
        zone=Option(
            text("zone", "cmd.setup.timezone.zone.name"),
            text("An IANA name, e.g. Europe/Paris", "cmd.setup.timezone.zone"),
        ),
    )
    async def timezone(self, interaction: discord.Interaction[Any], zone: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_time_zone, zone)

    @timezone.autocomplete("zone")
    async def _zone_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current, AUTOCOMPLETE_CHOICES)]

    @setup_group.command(
        name=text("hours", "cmd.setup.hours.name"),
        description=text("Working hours: when non-critical reminders may be sent", "cmd.setup.hours.description"),
    )
    @options(
        start=Option(
            text("start", "cmd.setup.hours.start.name"),
            text('Start of the working day, e.g. "09:00"', "cmd.setup.hours.start"),
        ),
        end=Option(
            text("end", "cmd.setup.hours.end.name"), text('End of the working day, e.g. "19:00"', "cmd.setup.hours.end")
        ),
        days=Option(
            text("days", "cmd.setup.hours.days.name"),
            text('Working days, e.g. "mon-fri" or "mon,tue,thu"', "cmd.setup.hours.days"),
        ),
        holidays=Option(
            text("holidays", "cmd.setup.hours.holidays.name"),
            text('Country whose public holidays are days off, e.g. "FR", or "none"', "cmd.setup.hours.holidays"),
        ),
    )
    async def hours(
        self,
        interaction: discord.Interaction[Any],
        start: str | None = None,
        end: str | None = None,
        days: str | None = None,
        holidays: str | None = None,
    ) -> None:
        actor = self._actor(interaction)
        await self._apply(
            interaction, actor, service.set_hours, start=start, end=end, days=days, holidays_country=holidays
        )
        await self._replan_nudges(actor)

    @hours.autocomplete("holidays")
    async def _holidays_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        language = person_language(interaction)
        names = holiday_countries()
        choices = []
        for code in suggest_holiday_countries(current, AUTOCOMPLETE_CHOICES):
            if code == NO_HOLIDAYS_VALUE:
                label = self.services.catalogue.render(language, "setup.holidays.none_choice")
            else:
                label = f"{code} — {names.get(code, code)}"
            choices.append(app_commands.Choice(name=truncate(label, CHOICE_NAME), value=code))
        return choices

    @setup_group.command(
        name=text("cadence", "cmd.setup.cadence.name"),
        description=text(
            "How often an incident's owner is reminded to post an update, per severity",
            "cmd.setup.cadence.description",
        ),
    )
    @options(
        critical=Option(
            text("critical", "cmd.setup.cadence.critical.name"),
            text('Critical incidents, e.g. "1 h" or "30 min" (15 min to 7 d)', "cmd.setup.cadence.critical"),
        ),
        major=Option(
            text("major", "cmd.setup.cadence.major.name"),
            text('Major incidents, e.g. "4 h" or "2h30" (15 min to 7 d)', "cmd.setup.cadence.major"),
        ),
        minor=Option(
            text("minor", "cmd.setup.cadence.minor.name"),
            text('Minor incidents, e.g. "1 d" or "12 h" (15 min to 7 d)', "cmd.setup.cadence.minor"),
        ),
    )
    async def cadence(
        self,
        interaction: discord.Interaction[Any],
        critical: str | None = None,
        major: str | None = None,
        minor: str | None = None,
    ) -> None:
        actor = self._actor(interaction)
        await self._apply(interaction, actor, service.set_cadence, critical=critical, major=major, minor=minor)
        await self._replan_nudges(actor)

    @setup_group.command(
        name=text("archive-delay", "cmd.setup.archive_delay.name"),
        description=text(
            "Hours after resolution before an incident's thread is archived", "cmd.setup.archive_delay.description"
        ),
    )
    @options(
        hours=Option(
            text("hours", "cmd.setup.archive_delay.hours.name"),
            text("From 0 (at once) to 168 (a week)", "cmd.setup.archive_delay.hours"),
        ),
    )
    async def archive_delay(
        self, interaction: discord.Interaction[Any], hours: app_commands.Range[int, 0, MAX_ARCHIVE_HOURS]
    ) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_archive_delay, hours)

    @setup_group.command(
        name=text("dm-limit", "cmd.setup.dm_limit.name"),
        description=text(
            "How many members may follow one incident by direct message (0: none)", "cmd.setup.dm_limit.description"
        ),
    )
    @options(
        count=Option(
            text("count", "cmd.setup.dm_limit.count.name"),
            text("From 0 (no direct messages on this server) to 500; 50 by default", "cmd.setup.dm_limit.count"),
        ),
    )
    async def dm_limit(
        self, interaction: discord.Interaction[Any], count: app_commands.Range[int, 0, MAX_DM_CAP]
    ) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_dm_limit, count)

    # --- sectors ------------------------------------------------------------------------------------------

    @sector_group.command(
        name=text("add", "cmd.setup.sector.add.name"),
        description=text("Add a sector to the server's list", "cmd.setup.sector.add.description"),
    )
    @options(
        name=Option(
            text("name", "cmd.setup.sector.name_option.name"),
            text('The sector\'s name, e.g. "pharmacie"', "cmd.setup.sector.add.name_option"),
        ),
    )
    async def sector_add(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.add_sector, name)

    @sector_group.command(
        name=text("remove", "cmd.setup.sector.remove.name"),
        description=text("Remove a sector no route uses", "cmd.setup.sector.remove.description"),
    )
    @options(
        name=Option(
            text("name", "cmd.setup.sector.name_option.name"),
            text("The sector to remove", "cmd.setup.sector.remove.name_option"),
        ),
    )
    async def sector_remove(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.remove_sector, name)

    @sector_remove.autocomplete("name")
    async def _sector_remove_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._sector_choices(interaction, current)

    # --- routes -------------------------------------------------------------------------------------------

    @route_group.command(
        name=text("add", "cmd.setup.route.add.name"),
        description=text(
            "Announce incidents of a territory and/or a sector in a channel", "cmd.setup.route.add.description"
        ),
    )
    @options(
        channel=Option(
            text("channel", "cmd.setup.channel.name"),
            text("The channel that gets the announcements", "cmd.setup.route.add.channel"),
        ),
        territory=Option(
            text("territory", "cmd.setup.route.territory.name"),
            text('A region, a département or France, e.g. "Bretagne" or "29"', "cmd.setup.route.add.territory"),
        ),
        sector=Option(
            text("sector", "cmd.setup.route.sector.name"),
            text("Only incidents of this sector", "cmd.setup.route.add.sector"),
        ),
        role=Option(
            text("role", "cmd.setup.role.name"),
            text("A role to mention in the channel's announcements", "cmd.setup.route.add.role"),
        ),
    )
    async def route_add(
        self,
        interaction: discord.Interaction[Any],
        channel: MessageChannel,
        territory: str | None = None,
        sector: str | None = None,
        role: discord.Role | None = None,
    ) -> None:
        actor = self._actor(interaction)
        guild = interaction.guild
        await self._apply(
            interaction,
            actor,
            service.add_route,
            channel=channel_facts(guild, channel.id, channel.type),
            territory=territory,
            sector=sector,
            role=chosen_role_facts(guild, role) if role is not None else None,
        )

    @route_add.autocomplete("territory")
    async def _territory_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return territory_choices(current, person_language(interaction))

    @route_add.autocomplete("sector")
    async def _route_sector_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._sector_choices(interaction, current)

    @route_group.command(
        name=text("remove", "cmd.setup.route.remove.name"),
        description=text("Stop announcing in a channel through one route", "cmd.setup.route.remove.description"),
    )
    @options(
        route=Option(
            text("route", "cmd.setup.route.remove.route.name"),
            text("The route to remove", "cmd.setup.route.remove.route"),
        ),
    )
    async def route_remove(self, interaction: discord.Interaction[Any], route: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.remove_route, route)

    @route_remove.autocomplete("route")
    async def _route_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        actor = admin_typing(interaction)
        if actor is None:
            return []
        view = await service.load_view(self.store, actor, defaults=self.services.defaults)
        language = person_language(interaction)
        guild = interaction.guild
        query = current.strip().casefold()
        choices: list[app_commands.Choice[str]] = []
        for route in view.routes:
            channel = guild.get_channel(route.channel_id) if guild is not None else None
            role = guild.get_role(route.role_id) if guild is not None and route.role_id is not None else None
            label = presentation.route_parts(route, view.sectors).render(
                language,
                channel_name=channel.name if channel is not None else str(route.channel_id),
                role_name=role.name if role is not None else (str(route.role_id) if route.role_id else None),
            )
            if query in label.casefold():
                choices.append(app_commands.Choice(name=truncate(label, CHOICE_NAME), value=str(route.id)))
        return choices[:AUTOCOMPLETE_CHOICES]

    # --- show, check, audit -------------------------------------------------------------------------------

    @setup_group.command(
        name=text("show", "cmd.setup.show.name"),
        description=text("Everything configured on this server", "cmd.setup.show.description"),
    )
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await service.load_view(self.store, actor, defaults=self.services.defaults)
        language = person_language(interaction)
        sections = presentation.show_sections(view, self.services.catalogue, language)
        sections += await board_sections(self.services, interaction.guild, language, check=False)
        sections += await digest_sections(self.services, interaction.guild, language)
        await self._send_sections(interaction, sections)

    @setup_group.command(
        name=text("check", "cmd.setup.check.name"),
        description=text("What permission or role is missing, and what failed lately", "cmd.setup.check.description"),
    )
    async def check(self, interaction: discord.Interaction[Any]) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild
        view = await service.load_view(self.store, actor, defaults=self.services.defaults)
        channels = {cid: channel_facts(guild, cid) for cid in configured_channel_ids(view)}
        role_ids = set(configured_role_ids(view)) | ({r.id for r in guild.roles} if guild else set())
        roles = {rid: role_facts(guild, rid) for rid in role_ids}
        me = guild.me if guild is not None else None
        failed = await service.failures_since(self.store, actor.guild_id, now=self.services.clock.now())
        follow_roles = await service.follow_roles(self.store, actor.guild_id)
        for _, role_id in follow_roles:
            roles.setdefault(role_id, role_facts(guild, role_id))
        report = build_check(
            view,
            channels,
            roles,
            can_manage_roles=me is not None and me.guild_permissions.manage_roles,
            failed=failed,
            follow_roles=follow_roles,
            bot_role_id=me.top_role.id if me is not None else None,
        )
        language = person_language(interaction)
        sections = presentation.check_sections(report, self.services.catalogue, language)
        sections += await board_sections(self.services, guild, language, check=True)
        sections += await webhook_sections(self.services, guild, language)
        await self._send_sections(interaction, sections)
        # An admin checking has often just fixed something: what was owed in this server is asked for again.
        await self.services.outbox.ask_again_owed(actor.guild_id)

    @setup_group.command(
        name=text("audit", "cmd.setup.audit.name"),
        description=text("The latest entries of the audit log", "cmd.setup.audit.description"),
    )
    @options(
        member=Option(
            text("member", "cmd.setup.audit.member.name"), text("Only what this member did", "cmd.setup.audit.member")
        ),
        limit=Option(
            text("limit", "cmd.setup.audit.limit.name"), text("How many entries (1 to 100)", "cmd.setup.audit.limit")
        ),
    )
    async def audit(
        self,
        interaction: discord.Interaction[Any],
        member: discord.User | None = None,
        limit: app_commands.Range[int, 1, MAX_AUDIT_ENTRIES] = AUDIT_PAGE_DEFAULT,
    ) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        entries = await service.audit_page(self.store, actor, member_id=member.id if member else None, limit=limit)
        language = person_language(interaction)
        catalogue = self.services.catalogue
        lines = presentation.audit_lines(entries, catalogue, language) or [
            catalogue.render(language, "setup.audit.empty")
        ]
        title = catalogue.render(language, "setup.audit.title", count=len(entries))
        await self._send_sections(interaction, [Section(title, tuple(lines))])

    @setup_group.command(
        name=text("public-page", "cmd.setup.public_page.name"),
        description=text(
            "The server's status page on the web, for people outside Discord", "cmd.setup.public_page.description"
        ),
    )
    @options(
        enabled=Option(
            text("online", "cmd.setup.public_page.enabled.name"),
            text("Turn the page on or off", "cmd.setup.public_page.enabled"),
        ),
        name=Option(
            text("name", "cmd.setup.public_page.slug.name"),
            text("Its address's short name: lower-case letters, digits, hyphens", "cmd.setup.public_page.slug"),
        ),
        new_public=Option(
            text("new-incidents-public", "cmd.setup.public_page.default.name"),
            text("Whether new incidents show on the page", "cmd.setup.public_page.default"),
        ),
    )
    async def public_page(
        self,
        interaction: discord.Interaction[Any],
        enabled: bool | None = None,
        name: app_commands.Range[str, 1, 40] | None = None,
        new_public: bool | None = None,
    ) -> None:
        actor = self._actor(interaction)
        server_name = interaction.guild.name if interaction.guild is not None else str(actor.guild_id)
        page = await self.services.public_pages.configure(
            actor, server_name=server_name, enabled=enabled, slug=name, default_public=new_public
        )
        language = person_language(interaction)
        await reply_done(interaction, public_page_reply(self.services.catalogue, language, page))


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Setup(bot, bot.services))
