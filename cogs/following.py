"""`/follow`, `/unfollow`, `/following` (anyone in the server), and the buttons of the private reply to a
Follow click: "also by direct message", "no direct messages", "unfollow". Those buttons name their owner in
their custom id (`tocsin:<action>:<guild>:<number>:<user>`) and refuse anyone else, although Discord only
shows a private reply to its owner: a custom id can be replayed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.text import safe_text, truncate
from bot.following.use_cases import AreaFollow, FollowLine, IncidentFollow, PrivateReply, RefusalNote
from bot.incidents.presentation.labels import STATUS_KEYS
from bot.incidents.rules.service_changes import last_item
from bot.incidents.use_cases.typed_input import parse_number
from bot.interactions.access import NotAllowedError
from bot.interactions.replies import person_language, reply_done, reply_private
from bot.reports.presentation import member_report_lines
from cogs.common.acting import acting
from cogs.common.autocomplete import suggest_incidents, suggest_sectors, territory_choices
from cogs.common.cog import FeatureCog
from cogs.common.items import Button
from cogs.common.options import server_command, shared_option

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services

log = logging.getLogger(__name__)

DM_ON, DM_OFF, UNFOLLOW = "followdm", "nodm", "unfollow"


def incident_reply_text(bot: TocsinBot, language: Language, result: IncidentFollow, *, asked_dm: bool | None) -> str:
    word = bot.services.catalogue.render
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
                label=bot.services.catalogue.render(language, "follow.button.dm_off"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"tocsin:{DM_OFF}:{guild_id}:{number}:{user_id}",
            )
        )
    else:
        view.add_item(
            discord.ui.Button(
                label=bot.services.catalogue.render(language, "follow.button.dm_on"),
                style=discord.ButtonStyle.primary,
                custom_id=f"tocsin:{DM_ON}:{guild_id}:{number}:{user_id}",
            )
        )
    view.add_item(
        discord.ui.Button(
            label=bot.services.catalogue.render(language, "follow.button.unfollow"),
            style=discord.ButtonStyle.secondary,
            custom_id=f"tocsin:{UNFOLLOW}:{guild_id}:{number}:{user_id}",
        )
    )
    view.stop()
    return view


def refusal_note(bot: TocsinBot, language: Language, key: str, **args: Any) -> RefusalNote:
    """What the member reads should Discord refuse the role change: `key`'s sentence, then who is told."""
    word = bot.services.catalogue.render
    return RefusalNote(
        told=word(language, key, admins=word(language, "follow.refused.admins_told"), **args),
        untold=word(language, key, admins=word(language, "follow.refused.admins_untold"), **args),
    )


async def tell_if_refused(
    bot: TocsinBot,
    interaction: discord.Interaction[Any],
    shown: str | None,
    note: RefusalNote,
    *,
    rows: tuple[int, ...] = (),
    incident: int | None = None,
) -> None:
    """Once the member's reply is shown: should Discord refuse a role change made for them (`rows`; with
    `incident`, their follow role's add), the reply is edited to say so (Following.tell_if_refused)."""
    if shown is None or (not rows and incident is None):
        return
    reply = PrivateReply(interaction.application_id, interaction.token, interaction.id, shown)
    services = bot.services
    try:
        await services.following.tell_if_refused(
            acting(interaction, Actor), reply, note, rows=rows, incident=incident, now=services.clock.now()
        )
    except Exception:  # the follow is saved and answered; only a refusal would go untold to them (not to admins)
        log.exception("could not watch the role changes made for %s", interaction.user.id)
    else:
        services.outbox.wake()


async def send_follow_reply(
    bot: TocsinBot, interaction: discord.Interaction[Any], language: Language, result: IncidentFollow, guild_id: int
) -> str | None:
    """The private answer to following an incident, with the "also by direct message" choice; the follow is saved
    (`reply_done`). Returns the text the person sees, or None when nothing reached them."""
    content = incident_reply_text(bot, language, result, asked_dm=None)
    view = choice_view(bot, language, guild_id, result.number, interaction.user.id, result.dm)
    shown = await reply_done(interaction, content, view=view)
    note = refusal_note(bot, language, "follow.refused.incident", number=result.number)
    await tell_if_refused(bot, interaction, shown, note, rows=result.role_rows)
    return shown


# Each option's name and description, once: commands share them.

INCIDENT = shared_option("follow", "incident", "The incident (number or words of its title)")
TERRITORY = shared_option("follow", "territory", "A region, a département or France")
SECTOR = shared_option("follow", "sector", "A sector (pharmacie, librairie…)")
DM = shared_option("follow", "dm", "Also by direct message (incidents only)")


class FollowChoice(
    Button,
    template=(
        r"tocsin:(?P<action>followdm|nodm|unfollow):(?P<guild_id>\d{1,20}):(?P<number>\d{1,9})"
        r":(?P<user_id>\d{1,20})"
    ),
):
    action: str
    guild_id: int
    number: int
    user_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        member = acting(interaction, Actor)
        if interaction.user.id != self.user_id:
            raise NotAllowedError("follow.error.not_yours")
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = person_language(interaction)
        service = bot.services.following
        now = bot.services.clock.now()
        if self.action == UNFOLLOW:
            result = await service.unfollow_incident(member, self.number, now=now, guild_id=self.guild_id)
            bot.services.outbox.wake()
            key = "follow.reply.unfollowed" if result.new else "follow.reply.not_following"
            shown = await reply_done(interaction, bot.services.catalogue.render(language, key, number=self.number))
            note_key = "follow.refused.removed_incident"
        else:
            asked = self.action == DM_ON
            result = await service.follow_incident(member, self.number, dm=asked, now=now, guild_id=self.guild_id)
            bot.services.outbox.wake()
            shown = await reply_done(interaction, incident_reply_text(bot, language, result, asked_dm=asked))
            note_key = "follow.refused.incident"
        note = refusal_note(bot, language, note_key, number=self.number)
        await tell_if_refused(bot, interaction, shown, note, rows=result.role_rows)


async def suggest_one_territory(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    """One territory: what follows a comma is looked up."""
    return territory_choices(last_item(current)[1], person_language(interaction))


T = TypeVar("T")

# What /follow and /unfollow take: one incident, territory or sector, with the same suggestions.
TARGETS = {"incident": INCIDENT, "territory": TERRITORY, "sector": SECTOR}


def suggest_targets() -> Callable[[T], T]:
    """A new decorator each time: discord.py consumes the one it is given."""
    return app_commands.autocomplete(
        incident=suggest_incidents, territory=suggest_one_territory, sector=suggest_sectors
    )


class Follow(FeatureCog):
    dynamic_items = (FollowChoice,)

    def __init__(self, bot: TocsinBot, services: Services) -> None:
        super().__init__(bot, services)
        self.following = services.following

    async def _one_target(self, interaction: discord.Interaction[Any], *targets: str | None) -> bool:
        """Defers privately; then says so and answers False unless exactly one of the targets is given."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if sum(1 for target in targets if target) == 1:
            return True
        await reply_private(interaction, self.word(person_language(interaction), "follow.error.one_target"))
        return False

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

    @server_command(
        "follow",
        "Follow an incident, a territory or a sector",
        **TARGETS,
        dm=DM,
    )
    @suggest_targets()
    async def follow(
        self,
        interaction: discord.Interaction[Any],
        incident: str | None = None,
        territory: str | None = None,
        sector: str | None = None,
        dm: bool | None = None,
    ) -> None:
        member = acting(interaction, Actor)  # anyone in the server may follow: the check is being in a server
        if not await self._one_target(interaction, incident, territory, sector):
            return
        language = person_language(interaction)
        now = self.services.clock.now()
        if incident:
            number = parse_number(incident)
            result = await self.following.follow_incident(member, number, dm=dm, now=now)
            self.services.outbox.wake()
            shown = await reply_done(interaction, incident_reply_text(self.bot, language, result, asked_dm=dm))
            note = refusal_note(self.bot, language, "follow.refused.incident", number=number)
            await tell_if_refused(self.bot, interaction, shown, note, rows=result.role_rows)
            return
        area = await self.following.follow_area(member, territory=territory, sector=sector, now=now)
        self.services.outbox.wake()
        content = self._area_reply(language, area.kind, area.target, area.roles_given, area.roles_held)
        if dm:
            content += "\n" + self.word(language, "follow.reply.dm_incidents_only")
        shown = await reply_done(interaction, content)
        key = "follow.refused.area_one" if len(area.roles_given) == 1 else "follow.refused.area_some"
        note = self._area_note(language, key, area)
        await tell_if_refused(self.bot, interaction, shown, note, rows=area.role_rows)

    def _area_note(self, language: Language, key: str, area: AreaFollow) -> RefusalNote:
        roles = ", ".join(f"<@&{r}>" for r in area.roles_given)
        where = self._target_label(language, area.kind, area.target)
        return refusal_note(self.bot, language, key, roles=roles, target=where)

    @server_command(
        "unfollow",
        "Stop following an incident, a territory or a sector",
        **TARGETS,
    )
    @suggest_targets()
    async def unfollow(
        self,
        interaction: discord.Interaction[Any],
        incident: str | None = None,
        territory: str | None = None,
        sector: str | None = None,
    ) -> None:
        member = acting(interaction, Actor)
        if not await self._one_target(interaction, incident, territory, sector):
            return
        language = person_language(interaction)
        now = self.services.clock.now()
        if incident:
            number = parse_number(incident)
            result = await self.following.unfollow_incident(member, number, now=now)
            key = "follow.reply.unfollowed" if result.new else "follow.reply.not_following"
            content = self.word(language, key, number=number)
            rows = result.role_rows
            note = refusal_note(self.bot, language, "follow.refused.removed_incident", number=number)
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
            rows = area.role_rows
            note = self._area_note(language, "follow.refused.removed_area", area)
        self.services.outbox.wake()
        shown = await reply_done(interaction, content)
        await tell_if_refused(self.bot, interaction, shown, note, rows=rows)

    @server_command("following", "What you follow")
    async def following_(self, interaction: discord.Interaction[Any]) -> None:
        member = acting(interaction, Actor)
        language = person_language(interaction)
        lines = await self.following.following(member)
        reported = await self.services.reports.member_reports(member, now=self.services.clock.now())
        reports = member_report_lines(language, reported)
        await reply_private(interaction, self._list(language, lines, reports))

    def _list(self, language: Language, lines: list[FollowLine], reports: list[str]) -> str:
        if not lines and not reports:
            return self.word(language, "follow.list.empty")
        if not lines:
            return truncate("\n".join(reports), 2000)
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
        return truncate("\n".join([*out, *reports]), 2000)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Follow(bot, bot.services))
