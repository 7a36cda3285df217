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
from cogs.common.autocomplete import suggest_territory
from cogs.common.choices import shared_choices
from cogs.settings.boards import BoardSetup, board_sections
from cogs.settings.digests import DigestSetup, digest_sections
from cogs.settings.embeds import pack
from cogs.settings.facts import IncidentChannel, MessageChannel, channel_facts, chosen_role_facts, role_facts
from cogs.settings.forget import ForgetSetup
from cogs.settings.groups import (
    CHANNEL,
    ROLE,
    SECTOR,
    SECTOR_NAME,
    TERRITORY,
    admin_list,
    route_command,
    sector_autocomplete,
    sector_command,
    setup_command,
)
from cogs.settings.reports import ReportsSetup
from cogs.settings.webhook import WebhookSetup, webhook_sections

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

# One of the use cases that change the server's settings: (store, actor, …, now=…) → what to tell the admin.
Change = Callable[..., Awaitable[Outcome]]

AUDIT_PAGE_DEFAULT = 20


async def suggest_time_zones(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current, AUTOCOMPLETE_CHOICES)]


async def suggest_holidays(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    services: Services = interaction.client.services
    language = person_language(interaction)
    names = holiday_countries()
    choices = []
    for code in suggest_holiday_countries(current, AUTOCOMPLETE_CHOICES):
        if code == NO_HOLIDAYS_VALUE:
            label = services.catalogue.render(language, "setup.holidays.none_choice")
        else:
            label = f"{code} — {names.get(code, code)}"
        choices.append(app_commands.Choice(name=truncate(label, CHOICE_NAME), value=code))
    return choices


async def listed_routes(
    services: Services, actor: Actor, interaction: discord.Interaction[Any]
) -> list[tuple[str, str]]:
    view = await service.load_view(services.store, actor, defaults=services.defaults)
    language = person_language(interaction)
    guild = interaction.guild
    labelled: list[tuple[str, str]] = []
    for route in view.routes:
        channel = guild.get_channel(route.channel_id) if guild is not None else None
        role = guild.get_role(route.role_id) if guild is not None and route.role_id is not None else None
        label = presentation.route_parts(route, view.sectors).render(
            language,
            channel_name=channel.name if channel is not None else str(route.channel_id),
            role_name=role.name if role is not None else (str(route.role_id) if route.role_id else None),
        )
        labelled.append((label, str(route.id)))
    return labelled


class Setup(BoardSetup, DigestSetup, ReportsSetup, ForgetSetup, WebhookSetup):
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

    @setup_command(
        "incident-channel",
        "Where incidents live: a text channel (a thread each) or a forum (a post each)",
        channel=(CHANNEL, "A text channel or a forum channel"),
    )
    async def incident_channel(self, interaction: discord.Interaction[Any], channel: IncidentChannel) -> None:
        actor = self._actor(interaction)
        await self._apply(
            interaction, actor, service.set_incident_channel, channel_facts(interaction.guild, channel.id, channel.type)
        )

    @setup_command(
        "coordinator-role",
        "The role of the coordinators, who declare and update outages",
        role=(ROLE, "The coordinators' role"),
    )
    async def coordinator_role(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        actor = self._actor(interaction)
        await self._apply(interaction, actor, service.set_coordinator_role, chosen_role_facts(interaction.guild, role))

    @setup_command(
        "log-channel",
        "Where the bot reports problems to coordinators and admins",
        channel=(CHANNEL, "A text channel for the bot's log"),
    )
    async def log_channel(self, interaction: discord.Interaction[Any], channel: MessageChannel) -> None:
        actor = self._actor(interaction)
        await self._apply(
            interaction, actor, service.set_log_channel, channel_facts(interaction.guild, channel.id, channel.type)
        )

    @setup_command("language", "The language of the server's public posts", language="French or English")
    @app_commands.choices(language=shared_choices("setup language", fr="French", en="English"))
    async def language(self, interaction: discord.Interaction[Any], language: app_commands.Choice[str]) -> None:
        actor = self._actor(interaction)
        await self._apply(interaction, actor, service.set_language, language.value)
        if await self.services.boards.refresh(actor.guild_id, now=self.services.clock.now()):  # boards speak it too
            self.services.outbox.wake()

    @setup_command("timezone", "The time zone typed times are read in", zone="An IANA name, e.g. Europe/Paris")
    @app_commands.autocomplete(zone=suggest_time_zones)
    async def timezone(self, interaction: discord.Interaction[Any], zone: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_time_zone, zone)

    @setup_command(
        "hours",
        "Working hours: when non-critical reminders may be sent",
        start='Start of the working day, e.g. "09:00"',
        end='End of the working day, e.g. "19:00"',
        days='Working days, e.g. "mon-fri" or "mon,tue,thu"',
        holidays='Country whose public holidays are days off, e.g. "FR", or "none"',
    )
    @app_commands.autocomplete(holidays=suggest_holidays)
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

    @setup_command(
        "cadence",
        "How often an incident's owner is reminded to post an update, per severity",
        critical='Critical incidents, e.g. "1 h" or "30 min" (15 min to 7 d)',
        major='Major incidents, e.g. "4 h" or "2h30" (15 min to 7 d)',
        minor='Minor incidents, e.g. "1 d" or "12 h" (15 min to 7 d)',
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

    @setup_command(
        "archive-delay",
        "Hours after resolution before an incident's thread is archived",
        hours="From 0 (at once) to 168 (a week)",
    )
    async def archive_delay(
        self, interaction: discord.Interaction[Any], hours: app_commands.Range[int, 0, MAX_ARCHIVE_HOURS]
    ) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_archive_delay, hours)

    @setup_command(
        "dm-limit",
        "How many members may follow one incident by direct message (0: none)",
        count="From 0 (no direct messages on this server) to 500; 50 by default",
    )
    async def dm_limit(
        self, interaction: discord.Interaction[Any], count: app_commands.Range[int, 0, MAX_DM_CAP]
    ) -> None:
        await self._apply(interaction, self._actor(interaction), service.set_dm_limit, count)

    # --- sectors ------------------------------------------------------------------------------------------

    @sector_command(
        "add", "Add a sector to the server's list", name=(SECTOR_NAME, 'The sector\'s name, e.g. "pharmacie"')
    )
    async def sector_add(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.add_sector, name)

    @app_commands.autocomplete(name=sector_autocomplete)
    @sector_command("remove", "Remove a sector no route uses", name=(SECTOR_NAME, "The sector to remove"))
    async def sector_remove(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.remove_sector, name)

    # --- routes -------------------------------------------------------------------------------------------

    @app_commands.autocomplete(territory=suggest_territory, sector=sector_autocomplete)
    @route_command(
        "add",
        "Announce incidents of a territory and/or a sector in a channel",
        channel=(CHANNEL, "The channel that gets the announcements"),
        territory=(TERRITORY, 'A region, a département or France, e.g. "Bretagne" or "29"'),
        sector=(SECTOR, "Only incidents of this sector"),
        role=(ROLE, "A role to mention in the channel's announcements"),
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

    @app_commands.autocomplete(route=admin_list(listed_routes))
    @route_command("remove", "Stop announcing in a channel through one route", route="The route to remove")
    async def route_remove(self, interaction: discord.Interaction[Any], route: str) -> None:
        await self._apply(interaction, self._actor(interaction), service.remove_route, route)

    # --- show, check, audit -------------------------------------------------------------------------------

    @setup_command("show", "Everything configured on this server")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await service.load_view(self.store, actor, defaults=self.services.defaults)
        language = person_language(interaction)
        sections = presentation.show_sections(view, self.services.catalogue, language)
        sections += await board_sections(self.services, interaction.guild, language, check=False)
        sections += await digest_sections(self.services, interaction.guild, language)
        await self._send_sections(interaction, sections)

    @setup_command("check", "What permission or role is missing, and what failed lately")
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

    @setup_command(
        "audit",
        "The latest entries of the audit log",
        member="Only what this member did",
        limit="How many entries (1 to 100)",
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

    @setup_command(
        "public-page",
        "The server's status page on the web, for people outside Discord",
        enabled=("online", "Turn the page on or off"),
        name="Its address's short name: lower-case letters, digits, hyphens",
        new_public=("new-incidents-public", "Whether new incidents show on the page"),
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
