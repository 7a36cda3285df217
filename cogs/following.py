"""`/follow`, `/unfollow`, `/following` (anyone in the server), and the buttons of the private reply to a
Follow click: "also by direct message", "no direct messages", "unfollow". Those buttons name their owner in
their custom id (`tocsin:<action>:<guild>:<number>:<user>`) and refuse anyone else, although Discord only
shows a private reply to its owner: a custom id can be replayed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME
from bot.common.text import name_key, safe_text, truncate
from bot.following.use_cases import Following, FollowLine, IncidentFollow
from bot.incidents.presentation.labels import STATUS_KEYS
from bot.incidents.rules.service_changes import last_item
from bot.incidents.use_cases.typed_input import parse_number
from bot.interactions.access import NotAllowed, require_guild
from bot.interactions.replies import person_language, reply_private
from bot.interactions.translator import text
from cogs.common.options import Option, options

if TYPE_CHECKING:
    from bot.app import TocsinBot

DM_ON, DM_OFF, UNFOLLOW = "followdm", "nodm", "unfollow"


def _member(interaction: discord.Interaction[Any]) -> Actor:
    guild_id = require_guild(interaction)
    roles = getattr(interaction.user, "roles", [])
    return Actor(
        guild_id=guild_id,
        user_id=interaction.user.id,
        role_ids=frozenset(role.id for role in roles),
        interaction_id=interaction.id,
    )


def following_service(bot: TocsinBot) -> Following:
    cog = bot.get_cog("Follow")
    if isinstance(cog, Follow):
        return cog.following
    settings = bot.settings
    return Following(bot.store, default_language=settings.default_language, default_time_zone=settings.time_zone)


def incident_reply_text(bot: TocsinBot, language: Language, result: IncidentFollow, *, asked_dm: bool | None) -> str:
    word = bot.catalogue.render
    if result.new:
        lines = [word(language, "outage.reply.followed", number=result.number)]
    else:
        lines = [word(language, "outage.reply.followed_already", number=result.number)]
    if result.closed:
        lines.append(word(language, "follow.reply.incident_closed", number=result.number))
    if result.dms_off:
        lines.append(word(language, "follow.reply.dms_off"))
    elif result.dm_refused:
        lines.append(word(language, "follow.reply.dm_cap"))
    elif asked_dm is True or (asked_dm is None and result.dm):
        lines.append(word(language, "follow.reply.dm_on"))
    elif asked_dm is False:
        lines.append(word(language, "follow.reply.dm_off"))
    return "\n".join(lines)


def choice_view(
    bot: TocsinBot, language: Language, guild_id: int, number: int, user_id: int, dm: bool
) -> discord.ui.View:
    """The buttons under a private follow reply. The view is stopped before it is sent: the dynamic item
    (`FollowChoice`) answers the clicks, also after a restart."""
    view = discord.ui.View(timeout=None)
    if dm:
        view.add_item(
            discord.ui.Button(
                label=bot.catalogue.render(language, "follow.button.dm_off"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"tocsin:{DM_OFF}:{guild_id}:{number}:{user_id}",
            )
        )
    else:
        view.add_item(
            discord.ui.Button(
                label=bot.catalogue.render(language, "follow.button.dm_on"),
                style=discord.ButtonStyle.primary,
                custom_id=f"tocsin:{DM_ON}:{guild_id}:{number}:{user_id}",
            )
        )
    view.add_item(
        discord.ui.Button(
            label=bot.catalogue.render(language, "follow.button.unfollow"),
            style=discord.ButtonStyle.secondary,
            custom_id=f"tocsin:{UNFOLLOW}:{guild_id}:{number}:{user_id}",
        )
    )
    view.stop()
    return view


async def send_follow_reply(
    bot: TocsinBot, interaction: discord.Interaction[Any], language: Language, result: IncidentFollow, guild_id: int
) -> None:
    """The private answer to following an incident, with the "also by direct message" choice."""
    content = incident_reply_text(bot, language, result, asked_dm=None)
    notice = await bot.private_notice(interaction)  # this reply does not go through reply_private
    if notice:
        content = f"{content}\n\n{notice}"
    view = choice_view(bot, language, guild_id, result.number, interaction.user.id, result.dm)
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": discord.AllowedMentions.none(), "view": view}
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


# Each option's name and description, once: commands share them.

INCIDENT = Option(
    text("incident", "cmd.follow.opt.incident.name"),
    text("The incident (number or words of its title)", "cmd.follow.opt.incident"),
)
TERRITORY = Option(
    text("territory", "cmd.follow.opt.territory.name"),
    text("A region, a département or France", "cmd.follow.opt.territory"),
)
SECTOR = Option(
    text("sector", "cmd.follow.opt.sector.name"), text("A sector (pharmacie, librairie…)", "cmd.follow.opt.sector")
)
DM = Option(text("dm", "cmd.follow.opt.dm.name"), text("Also by direct message (incidents only)", "cmd.follow.opt.dm"))


class FollowChoice(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tocsin:(?P<action>followdm|nodm|unfollow):(?P<guild>\d{1,20}):(?P<number>\d{1,9}):(?P<user>\d{1,20})",
):
    def __init__(self, action: str, guild_id: int, number: int, user_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=f"tocsin:{action}:{guild_id}:{number}:{user_id}"))
        self.action = action
        self.guild_id = guild_id
        self.number = number
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FollowChoice:
        return cls(match["action"], int(match["guild"]), int(match["number"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: TocsinBot = interaction.client
        try:
            await self._click(bot, interaction)
        except Exception as exc:  # every failure becomes one private sentence
            await bot.report_error(interaction, exc)

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        member = _member(interaction)
        if interaction.user.id != self.user_id:
            raise NotAllowed("follow.error.not_yours")
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = person_language(interaction)
        service = following_service(bot)
        now = bot.clock.now()
        if self.action == UNFOLLOW:
            result = await service.unfollow_incident(member, self.number, now=now, guild_id=self.guild_id)
            key = "follow.reply.unfollowed" if result.new else "follow.reply.not_following"
            await reply_private(interaction, bot.catalogue.render(language, key, number=self.number))
        else:
            asked = self.action == DM_ON
            result = await service.follow_incident(member, self.number, dm=asked, now=now, guild_id=self.guild_id)
            content = incident_reply_text(bot, language, result, asked_dm=asked)
            await reply_private(interaction, content)
        bot.outbox.wake()


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=truncate(name, CHOICE_NAME) or value[:CHOICE_NAME], value=value[:100])


class Follow(commands.Cog):
    def __init__(self, bot: TocsinBot) -> None:
        self.bot = bot
        self._following: Following | None = None

    @property
    def following(self) -> Following:
        # Built on first use: the command tree is also loaded on a bare bot (tests, command sync checks).
        if self._following is None:
            settings = self.bot.settings
            self._following = Following(
                self.bot.store, default_language=settings.default_language, default_time_zone=settings.time_zone
            )
        return self._following

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(FollowChoice)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(FollowChoice)

    def word(self, language: Language, message_id: str, **args: Any) -> str:
        return self.bot.catalogue.render(language, message_id, **args)

    def _area_reply(
        self, language: Language, kind: str, target: str, given: tuple[int, ...], held: tuple[int, ...]
    ) -> str:
        where = self._target_label(language, kind, target)
        if not given and not held:
            return self.word(language, "follow.reply.area_no_role", target=where)
        roles = ", ".join(f"<@&{r}>" for r in (*given, *held))
        return self.word(language, "follow.reply.area", target=where, roles=roles)

    def _target_label(self, language: Language, kind: str, target: str) -> str:
        if kind == "territory":
            try:
                return territory_data.label(territory_data.get(target), language)
            except Exception:  # a ref stored by an older territory list
                return target
        return target

    @app_commands.command(
        name=text("follow", "cmd.follow.name"),
        description=text("Follow an incident, a territory or a sector", "cmd.follow.description"),
    )
    @app_commands.guild_only()
    @options(incident=INCIDENT, territory=TERRITORY, sector=SECTOR, dm=DM)
    async def follow(
        self,
        interaction: discord.Interaction[Any],
        incident: str | None = None,
        territory: str | None = None,
        sector: str | None = None,
        dm: bool | None = None,
    ) -> None:
        member = _member(interaction)  # anyone in the server may follow: the check is being in a server
        language = person_language(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        chosen = [v for v in (incident, territory, sector) if v]
        if len(chosen) != 1:
            await reply_private(interaction, self.word(language, "follow.error.one_target"))
            return
        if incident:
            number = parse_number(incident)
            result = await self.following.follow_incident(member, number, dm=dm, now=now)
            self.bot.outbox.wake()
            await reply_private(interaction, incident_reply_text(self.bot, language, result, asked_dm=dm))
            return
        area = await self.following.follow_area(member, territory=territory, sector=sector, now=now)
        self.bot.outbox.wake()
        content = self._area_reply(language, area.kind, area.target, area.roles_given, area.roles_held)
        if dm:
            content += "\n" + self.word(language, "follow.reply.dm_incidents_only")
        await reply_private(interaction, content)

    @app_commands.command(
        name=text("unfollow", "cmd.unfollow.name"),
        description=text("Stop following an incident, a territory or a sector", "cmd.unfollow.description"),
    )
    @app_commands.guild_only()
    @options(incident=INCIDENT, territory=TERRITORY, sector=SECTOR)
    async def unfollow(
        self,
        interaction: discord.Interaction[Any],
        incident: str | None = None,
        territory: str | None = None,
        sector: str | None = None,
    ) -> None:
        member = _member(interaction)
        language = person_language(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        chosen = [v for v in (incident, territory, sector) if v]
        if len(chosen) != 1:
            await reply_private(interaction, self.word(language, "follow.error.one_target"))
            return
        if incident:
            number = parse_number(incident)
            result = await self.following.unfollow_incident(member, number, now=now)
            key = "follow.reply.unfollowed" if result.new else "follow.reply.not_following"
            content = self.word(language, key, number=number)
        else:
            area = await self.following.unfollow_area(member, territory=territory, sector=sector, now=now)
            where = self._target_label(language, area.kind, area.target)
            if not area.new:
                content = self.word(language, "follow.reply.area_not_following", target=where)
            elif area.roles_given:
                roles = ", ".join(f"<@&{r}>" for r in area.roles_given)
                content = self.word(language, "follow.reply.area_unfollowed_roles", target=where, roles=roles)
            else:
                content = self.word(language, "follow.reply.area_unfollowed", target=where)
        self.bot.outbox.wake()
        await reply_private(interaction, content)

    @app_commands.command(
        name=text("following", "cmd.following.name"),
        description=text("What you follow", "cmd.following.description"),
    )
    @app_commands.guild_only()
    async def following_(self, interaction: discord.Interaction[Any]) -> None:
        member = _member(interaction)
        language = person_language(interaction)
        lines = await self.following.following(member)
        await reply_private(interaction, self._list(language, lines))

    def _list(self, language: Language, lines: list[FollowLine]) -> str:
        if not lines:
            return self.word(language, "follow.list.empty")
        out = [self.word(language, "follow.list.title")]
        for line in lines:
            if line.kind == "incident" and line.number is not None and line.status is not None:
                key = "follow.list.incident_dm" if line.dm else "follow.list.incident"
                out.append(
                    self.word(
                        language,
                        key,
                        number=line.number,
                        title=safe_text(line.title or ""),
                        status=self.word(language, STATUS_KEYS[line.status]),
                    )
                )
            elif line.kind == "territory":
                out.append(
                    self.word(
                        language, "follow.list.territory", target=self._target_label(language, line.kind, line.target)
                    )
                )
            else:
                out.append(self.word(language, "follow.list.sector", target=line.target))
        return truncate("\n".join(out), 2000)

    # -- autocomplete --

    @follow.autocomplete("incident")
    @unfollow.autocomplete("incident")
    async def incident_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # The same incidents, in the same words, as every /outage command offers.
        outage = self.bot.get_cog("Outage")
        if outage is None:
            return []
        choices: list[app_commands.Choice[str]] = await outage.incident_autocomplete(  # type: ignore[attr-defined]
            interaction, current
        )
        return choices

    @follow.autocomplete("territory")
    @unfollow.autocomplete("territory")
    async def territory_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        language = person_language(interaction)
        _, typing = last_item(current)
        return [_choice(territory_data.label(t, language), t.ref) for t in territory_data.suggest(typing)][
            :AUTOCOMPLETE_CHOICES
        ]

    @follow.autocomplete("sector")
    @unfollow.autocomplete("sector")
    async def sector_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        outage = self.bot.get_cog("Outage")
        if outage is None:
            return []
        wanted = name_key(current)
        sectors: list[str] = await outage.lifecycle.sectors(interaction.guild_id)  # type: ignore[attr-defined]
        starting = [s for s in sectors if name_key(s).startswith(wanted)]
        inside = [s for s in sectors if wanted in name_key(s) and s not in starting]
        return [_choice(s, s) for s in starting + inside][:AUTOCOMPLETE_CHOICES]


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Follow(bot))
