"""`/setup` (`/configurer`): admins configure the server. Reads what only Discord knows (channel types, the bot's
permissions, roles) into plain facts, calls `bot.settings.use_cases.setup`, and answers privately in the admin's
language.

Discord hides the group from non-admins (`default_permissions`, top level only), but server admins can override
that, so every subcommand also checks Manage Server in code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common import territories
from bot.common.limits import (
    AUTOCOMPLETE_CHOICES,
    CHOICE_NAME,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    MESSAGE_CONTENT,
)
from bot.common.text import truncate
from bot.interactions.access import require_admin
from bot.interactions.replies import person_language, reply_private
from bot.interactions.translator import text
from bot.settings.use_cases import setup as service
from bot.settings.use_cases.setup import Actor, ChannelFacts, ChannelKind, Outcome, RoleFacts, Section

if TYPE_CHECKING:
    from bot.app import TocsinBot

_KINDS: dict[discord.ChannelType, ChannelKind] = {
    discord.ChannelType.text: "text",
    discord.ChannelType.news: "news",
    discord.ChannelType.forum: "forum",
    discord.ChannelType.voice: "voice",
    discord.ChannelType.stage_voice: "stage",
    discord.ChannelType.category: "category",
    discord.ChannelType.public_thread: "thread",
    discord.ChannelType.private_thread: "thread",
    discord.ChannelType.news_thread: "thread",
}
AUDIT_PAGE_DEFAULT = 20
AUDIT_VIEW_TIMEOUT_S = 14 * 60  # the interaction token lives 15 minutes


class AnyChannel(app_commands.Transformer):
    """A channel option whose picker offers `types`, but that hands over whatever channel arrived: autocomplete
    and channel values are not re-checked by Discord for every client, and a wrong type deserves a sentence
    naming it rather than a conversion error."""

    def __init__(self, *types: discord.ChannelType) -> None:
        super().__init__()
        self._types = list(types)

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return self._types

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        return value


IncidentChannel = app_commands.Transform[
    app_commands.AppCommandChannel,
    AnyChannel(discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum),
]
MessageChannel = app_commands.Transform[
    app_commands.AppCommandChannel, AnyChannel(discord.ChannelType.text, discord.ChannelType.news)
]


def channel_facts(guild: discord.Guild | None, channel_id: int, fallback_type: Any = None) -> ChannelFacts:
    """The channel's type and the bot's permissions there, from the gateway's cache."""
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if channel is None or guild is None or guild.me is None:
        kind: ChannelKind = _KINDS.get(fallback_type, "other") if fallback_type is not None else "missing"
        return ChannelFacts(channel_id, kind)
    perms = channel.permissions_for(guild.me)
    held = {
        "view": perms.view_channel,
        "send": perms.send_messages,
        "send_in_threads": perms.send_messages_in_threads,
        "create_public_threads": perms.create_public_threads,
        "manage_threads": perms.manage_threads,
        "embed_links": perms.embed_links,
        "read_history": perms.read_message_history,
    }
    tags = tuple(tag.name for tag in channel.available_tags) if isinstance(channel, discord.ForumChannel) else ()
    return ChannelFacts(
        id=channel_id,
        kind=_KINDS.get(channel.type, "other"),
        name=channel.name,
        permissions=frozenset(name for name, ok in held.items() if ok),
        mention_everyone=perms.mention_everyone,
        tags=tags,
    )


def role_facts(guild: discord.Guild | None, role_id: int) -> RoleFacts:
    role = guild.get_role(role_id) if guild is not None else None
    if role is None or guild is None:
        return RoleFacts(role_id, exists=False)
    me = guild.me
    return RoleFacts(
        id=role.id,
        name=role.name,
        mentionable=role.mentionable,
        is_default=role.is_default(),
        managed=role.managed,
        below_bot=me is not None and role < me.top_role,
    )


def pack(sections: Sequence[Section], colour: discord.Colour) -> list[list[discord.Embed]]:
    """Sections as embeds within Discord's limits: long sections split over several embeds, at most 10 embeds
    and 6,000 characters per message."""
    embeds: list[discord.Embed] = []
    for section in sections:
        title = truncate(section.title, EMBED_TITLE)
        chunk: list[str] = []
        size = 0
        for line in section.lines:
            line = truncate(line, EMBED_DESCRIPTION)
            if chunk and size + len(line) + 1 > EMBED_DESCRIPTION - 200:
                embeds.append(discord.Embed(title=title, description="\n".join(chunk), colour=colour))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        embeds.append(discord.Embed(title=title, description="\n".join(chunk) or "—", colour=colour))
    messages: list[list[discord.Embed]] = [[]]
    total = 0
    for embed in embeds:
        length = len(embed)
        if messages[-1] and (len(messages[-1]) == EMBEDS_PER_MESSAGE or total + length > EMBED_TOTAL):
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += length
    return messages


class Setup(commands.Cog):
    setup_group = app_commands.Group(
        name=text("setup", "cmd.setup.name"),
        description=text("Configure Tocsin on this server (admins)", "cmd.setup.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        default_permissions=discord.Permissions(manage_guild=True),
    )
    sector_group = app_commands.Group(
        name=text("sector", "cmd.setup.sector.name"),
        description=text("The server's sectors", "cmd.setup.sector.description"),
        parent=setup_group,
    )
    route_group = app_commands.Group(
        name=text("route", "cmd.setup.route.name"),
        description=text("Which channels announce which incidents", "cmd.setup.route.description"),
        parent=setup_group,
    )

    def __init__(self, bot: TocsinBot) -> None:
        self.bot = bot

    # --- helpers ------------------------------------------------------------------------------------------

    def _actor(self, interaction: discord.Interaction[Any]) -> Actor:
        guild_id = require_admin(interaction)
        return Actor(
            guild_id=guild_id,
            user_id=interaction.user.id,
            default_language=self.bot.settings.default_language,
            default_time_zone=self.bot.settings.time_zone,
        )

    async def _say(self, interaction: discord.Interaction[Any], outcome: Outcome) -> None:
        language = person_language(interaction)
        lines = [service.word(self.bot.catalogue, language, line) for line in outcome.lines]
        await reply_private(interaction, truncate("\n".join(lines), MESSAGE_CONTENT))

    async def _replan_nudges(self, actor: Actor) -> None:
        """After the reply: the open incidents' next nudge follows the new cadence or hours now, rather than once
        the nudge planned with the old ones has come."""
        replan = getattr(self.bot.get_cog("ReminderCog"), "replan", None)
        if replan is None:
            return
        for incident_id in await service.open_incident_ids(self.bot.store, actor):
            await replan(incident_id)

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
    @app_commands.rename(channel=text("channel", "cmd.setup.channel.name"))
    @app_commands.describe(channel=text("A text channel or a forum channel", "cmd.setup.incident_channel.channel"))
    async def incident_channel(self, interaction: discord.Interaction[Any], channel: IncidentChannel) -> None:
        actor = self._actor(interaction)
        facts = channel_facts(interaction.guild, channel.id, channel.type)
        await self._say(
            interaction, await service.set_incident_channel(self.bot.store, actor, facts, now=self.bot.clock.now())
        )

    @setup_group.command(
        name=text("coordinator-role", "cmd.setup.coordinator_role.name"),
        description=text(
            "The role of the coordinators, who declare and update outages", "cmd.setup.coordinator_role.description"
        ),
    )
    @app_commands.rename(role=text("role", "cmd.setup.role.name"))
    @app_commands.describe(role=text("The coordinators' role", "cmd.setup.coordinator_role.role"))
    async def coordinator_role(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        actor = self._actor(interaction)
        facts = role_facts(interaction.guild, role.id) if interaction.guild else RoleFacts(role.id)
        if not facts.exists:
            facts = RoleFacts(role.id, role.name, True, role.mentionable, role.is_default(), role.managed)
        await self._say(
            interaction, await service.set_coordinator_role(self.bot.store, actor, facts, now=self.bot.clock.now())
        )

    @setup_group.command(
        name=text("log-channel", "cmd.setup.log_channel.name"),
        description=text(
            "Where the bot reports problems to coordinators and admins", "cmd.setup.log_channel.description"
        ),
    )
    @app_commands.rename(channel=text("channel", "cmd.setup.channel.name"))
    @app_commands.describe(channel=text("A text channel for the bot's log", "cmd.setup.log_channel.channel"))
    async def log_channel(self, interaction: discord.Interaction[Any], channel: MessageChannel) -> None:
        actor = self._actor(interaction)
        facts = channel_facts(interaction.guild, channel.id, channel.type)
        await self._say(
            interaction, await service.set_log_channel(self.bot.store, actor, facts, now=self.bot.clock.now())
        )

    @setup_group.command(
        name=text("language", "cmd.setup.language.name"),
        description=text("The language of the server's public posts", "cmd.setup.language.description"),
    )
    @app_commands.rename(language=text("language", "cmd.setup.language.language.name"))
    @app_commands.describe(language=text("French or English", "cmd.setup.language.language"))
    @app_commands.choices(
        language=[
            app_commands.Choice(name=text("French", "cmd.setup.language.choice.fr"), value="fr"),
            app_commands.Choice(name=text("English", "cmd.setup.language.choice.en"), value="en"),
        ]
    )
    async def language(self, interaction: discord.Interaction[Any], language: app_commands.Choice[str]) -> None:
        actor = self._actor(interaction)
        await self._say(
            interaction, await service.set_language(self.bot.store, actor, language.value, now=self.bot.clock.now())
        )

    @setup_group.command(
        name=text("timezone", "cmd.setup.timezone.name"),
        description=text("The time zone typed times are read in", "cmd.setup.timezone.description"),
    )
    @app_commands.rename(zone=text("zone", "cmd.setup.timezone.zone.name"))
    @app_commands.describe(zone=text("An IANA name, e.g. Europe/Paris", "cmd.setup.timezone.zone"))
    async def timezone(self, interaction: discord.Interaction[Any], zone: str) -> None:
        actor = self._actor(interaction)
        await self._say(interaction, await service.set_time_zone(self.bot.store, actor, zone, now=self.bot.clock.now()))

    @timezone.autocomplete("zone")
    async def _zone_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in service.suggest_zones(current, AUTOCOMPLETE_CHOICES)]

    @setup_group.command(
        name=text("hours", "cmd.setup.hours.name"),
        description=text("Working hours: when non-critical reminders may be sent", "cmd.setup.hours.description"),
    )
    @app_commands.rename(
        start=text("start", "cmd.setup.hours.start.name"),
        end=text("end", "cmd.setup.hours.end.name"),
        days=text("days", "cmd.setup.hours.days.name"),
        holidays=text("holidays", "cmd.setup.hours.holidays.name"),
    )
    @app_commands.describe(
        start=text('Start of the working day, e.g. "09:00"', "cmd.setup.hours.start"),
        end=text('End of the working day, e.g. "19:00"', "cmd.setup.hours.end"),
        days=text('Working days, e.g. "mon-fri" or "mon,tue,thu"', "cmd.setup.hours.days"),
        holidays=text('Country whose public holidays are days off, e.g. "FR", or "none"', "cmd.setup.hours.holidays"),
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
        outcome = await service.set_hours(
            self.bot.store, actor, start=start, end=end, days=days, holidays_country=holidays, now=self.bot.clock.now()
        )
        await self._say(interaction, outcome)
        await self._replan_nudges(actor)

    @hours.autocomplete("holidays")
    async def _holidays_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        language = person_language(interaction)
        names = service.holiday_countries()
        choices = []
        for code in service.suggest_holiday_countries(current, AUTOCOMPLETE_CHOICES):
            if code == service.NO_HOLIDAYS_VALUE:
                label = self.bot.catalogue.render(language, "setup.holidays.none_choice")
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
    @app_commands.rename(
        critical=text("critical", "cmd.setup.cadence.critical.name"),
        major=text("major", "cmd.setup.cadence.major.name"),
        minor=text("minor", "cmd.setup.cadence.minor.name"),
    )
    @app_commands.describe(
        critical=text('Critical incidents, e.g. "1 h" or "30 min" (15 min to 7 d)', "cmd.setup.cadence.critical"),
        major=text('Major incidents, e.g. "4 h" or "2h30" (15 min to 7 d)', "cmd.setup.cadence.major"),
        minor=text('Minor incidents, e.g. "1 d" or "12 h" (15 min to 7 d)', "cmd.setup.cadence.minor"),
    )
    async def cadence(
        self,
        interaction: discord.Interaction[Any],
        critical: str | None = None,
        major: str | None = None,
        minor: str | None = None,
    ) -> None:
        actor = self._actor(interaction)
        outcome = await service.set_cadence(
            self.bot.store, actor, critical=critical, major=major, minor=minor, now=self.bot.clock.now()
        )
        await self._say(interaction, outcome)
        await self._replan_nudges(actor)

    @setup_group.command(
        name=text("archive-delay", "cmd.setup.archive_delay.name"),
        description=text(
            "Hours after resolution before an incident's thread is archived", "cmd.setup.archive_delay.description"
        ),
    )
    @app_commands.rename(hours=text("hours", "cmd.setup.archive_delay.hours.name"))
    @app_commands.describe(hours=text("From 0 (at once) to 168 (a week)", "cmd.setup.archive_delay.hours"))
    async def archive_delay(
        self, interaction: discord.Interaction[Any], hours: app_commands.Range[int, 0, service.MAX_ARCHIVE_HOURS]
    ) -> None:
        actor = self._actor(interaction)
        await self._say(
            interaction, await service.set_archive_delay(self.bot.store, actor, hours, now=self.bot.clock.now())
        )

    @setup_group.command(
        name=text("dm-limit", "cmd.setup.dm_limit.name"),
        description=text(
            "How many members may follow one incident by direct message (0: none)", "cmd.setup.dm_limit.description"
        ),
    )
    @app_commands.rename(count=text("count", "cmd.setup.dm_limit.count.name"))
    @app_commands.describe(
        count=text("From 0 (no direct messages on this server) to 500; 50 by default", "cmd.setup.dm_limit.count")
    )
    async def dm_limit(
        self, interaction: discord.Interaction[Any], count: app_commands.Range[int, 0, service.MAX_DM_CAP]
    ) -> None:
        actor = self._actor(interaction)
        await self._say(interaction, await service.set_dm_limit(self.bot.store, actor, count, now=self.bot.clock.now()))

    # --- sectors ------------------------------------------------------------------------------------------

    @sector_group.command(
        name=text("add", "cmd.setup.sector.add.name"),
        description=text("Add a sector to the server's list", "cmd.setup.sector.add.description"),
    )
    @app_commands.rename(name=text("name", "cmd.setup.sector.name_option.name"))
    @app_commands.describe(name=text('The sector\'s name, e.g. "pharmacie"', "cmd.setup.sector.add.name_option"))
    async def sector_add(self, interaction: discord.Interaction[Any], name: str) -> None:
        actor = self._actor(interaction)
        await self._say(interaction, await service.add_sector(self.bot.store, actor, name, now=self.bot.clock.now()))

    @sector_group.command(
        name=text("remove", "cmd.setup.sector.remove.name"),
        description=text("Remove a sector no route uses", "cmd.setup.sector.remove.description"),
    )
    @app_commands.rename(name=text("name", "cmd.setup.sector.name_option.name"))
    @app_commands.describe(name=text("The sector to remove", "cmd.setup.sector.remove.name_option"))
    async def sector_remove(self, interaction: discord.Interaction[Any], name: str) -> None:
        actor = self._actor(interaction)
        await self._say(interaction, await service.remove_sector(self.bot.store, actor, name, now=self.bot.clock.now()))

    @sector_remove.autocomplete("name")
    async def _sector_remove_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._sector_choices(interaction, current)

    async def _sector_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # The server's own lists are for its admins, even when Discord's default permissions were overridden.
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []
        actor = Actor(
            interaction.guild_id, interaction.user.id, self.bot.settings.default_language, self.bot.settings.time_zone
        )
        sectors = await service.sector_names(self.bot.store, actor)
        return [
            app_commands.Choice(name=truncate(name, CHOICE_NAME), value=key)
            for name, key in service.suggest_sectors(sectors, current, AUTOCOMPLETE_CHOICES)
        ]

    # --- routes -------------------------------------------------------------------------------------------

    @route_group.command(
        name=text("add", "cmd.setup.route.add.name"),
        description=text(
            "Announce incidents of a territory and/or a sector in a channel", "cmd.setup.route.add.description"
        ),
    )
    @app_commands.rename(
        channel=text("channel", "cmd.setup.channel.name"),
        territory=text("territory", "cmd.setup.route.territory.name"),
        sector=text("sector", "cmd.setup.route.sector.name"),
        role=text("role", "cmd.setup.role.name"),
    )
    @app_commands.describe(
        channel=text("The channel that gets the announcements", "cmd.setup.route.add.channel"),
        territory=text('A region, a département or France, e.g. "Bretagne" or "29"', "cmd.setup.route.add.territory"),
        sector=text("Only incidents of this sector", "cmd.setup.route.add.sector"),
        role=text("A role to mention in the channel's announcements", "cmd.setup.route.add.role"),
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
        facts = channel_facts(guild, channel.id, channel.type)
        role_info = None
        if role is not None:
            role_info = role_facts(guild, role.id)
            if not role_info.exists:
                role_info = RoleFacts(role.id, role.name, True, role.mentionable, role.is_default(), role.managed)
        outcome = await service.add_route(
            self.bot.store,
            actor,
            channel=facts,
            territory=territory,
            sector=sector,
            role=role_info,
            now=self.bot.clock.now(),
        )
        await self._say(interaction, outcome)

    @route_add.autocomplete("territory")
    async def _territory_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        language = person_language(interaction)
        return [
            app_commands.Choice(name=truncate(territories.label(t, language), CHOICE_NAME), value=t.ref)
            for t in territories.suggest(current, AUTOCOMPLETE_CHOICES)
        ]

    @route_add.autocomplete("sector")
    async def _route_sector_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._sector_choices(interaction, current)

    @route_group.command(
        name=text("remove", "cmd.setup.route.remove.name"),
        description=text("Stop announcing in a channel through one route", "cmd.setup.route.remove.description"),
    )
    @app_commands.rename(route=text("route", "cmd.setup.route.remove.route.name"))
    @app_commands.describe(route=text("The route to remove", "cmd.setup.route.remove.route"))
    async def route_remove(self, interaction: discord.Interaction[Any], route: str) -> None:
        actor = self._actor(interaction)
        await self._say(interaction, await service.remove_route(self.bot.store, actor, route, now=self.bot.clock.now()))

    @route_remove.autocomplete("route")
    async def _route_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []
        actor = Actor(
            interaction.guild_id, interaction.user.id, self.bot.settings.default_language, self.bot.settings.time_zone
        )
        view = await service.load_view(self.bot.store, actor)
        language = person_language(interaction)
        guild = interaction.guild
        query = current.strip().casefold()
        choices: list[app_commands.Choice[str]] = []
        for route in view.routes:
            channel = guild.get_channel(route.channel_id) if guild is not None else None
            role = guild.get_role(route.role_id) if guild is not None and route.role_id is not None else None
            label = service.route_parts(route, view.sectors).render(
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
        view = await service.load_view(self.bot.store, actor)
        sections = service.show_sections(view, self.bot.catalogue, person_language(interaction))
        await self._send_sections(interaction, sections)

    @setup_group.command(
        name=text("check", "cmd.setup.check.name"),
        description=text("What permission or role is missing, and what failed lately", "cmd.setup.check.description"),
    )
    async def check(self, interaction: discord.Interaction[Any]) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild
        view = await service.load_view(self.bot.store, actor)
        channels = {cid: channel_facts(guild, cid) for cid in service.configured_channel_ids(view)}
        role_ids = set(service.configured_role_ids(view)) | ({r.id for r in guild.roles} if guild else set())
        roles = {rid: role_facts(guild, rid) for rid in role_ids}
        me = guild.me if guild is not None else None
        failed = await service.failures_since(self.bot.store, actor.guild_id, now=self.bot.clock.now())
        report = service.build_check(
            view,
            channels,
            roles,
            can_manage_roles=me is not None and me.guild_permissions.manage_roles,
            failed=failed,
        )
        await self._send_sections(
            interaction, service.check_sections(report, self.bot.catalogue, person_language(interaction))
        )

    @setup_group.command(
        name=text("audit", "cmd.setup.audit.name"),
        description=text("The latest entries of the audit log", "cmd.setup.audit.description"),
    )
    @app_commands.rename(
        member=text("member", "cmd.setup.audit.member.name"), limit=text("limit", "cmd.setup.audit.limit.name")
    )
    @app_commands.describe(
        member=text("Only what this member did", "cmd.setup.audit.member"),
        limit=text("How many entries (1 to 100)", "cmd.setup.audit.limit"),
    )
    async def audit(
        self,
        interaction: discord.Interaction[Any],
        member: discord.User | None = None,
        limit: app_commands.Range[int, 1, service.MAX_AUDIT_ENTRIES] = AUDIT_PAGE_DEFAULT,
    ) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        entries = await service.audit_page(self.bot.store, actor, member_id=member.id if member else None, limit=limit)
        language = person_language(interaction)
        catalogue = self.bot.catalogue
        lines = service.audit_lines(entries, catalogue, language) or [catalogue.render(language, "setup.audit.empty")]
        title = catalogue.render(language, "setup.audit.title", count=len(entries))
        await self._send_sections(interaction, [Section(title, tuple(lines))])


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Setup(bot))
