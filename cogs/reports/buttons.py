"""The buttons of reports, as dynamic items (their custom ids say everything, so they work after a restart): the
triage card's (`tocsin:report:<action>:<guild>:<group>`: declare, attach, merge, set aside, mark abuse, undo), for
coordinators only, each opening a private panel (panels.py) or a form (modal.py); and the member's "take my report
back" under the private reply (`tocsin:report:withdraw:<guild>:<report>:<user>`, refused to anyone but its owner:
a custom id can be replayed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.common.text import plain_text
from bot.incidents.presentation.message_parts import numbered_title
from bot.interactions.access import NotAllowedError
from bot.interactions.replies import person_language, reply_done, reply_private
from bot.reports.presentation import DECLARE, SET_ASIDE, UNDO
from bot.reports.rules import ReportError
from cogs.common.acting import acting
from cogs.common.items import Button
from cogs.reports.modal import SetAsideModal
from cogs.reports.panels import (
    ABUSE,
    ATTACH,
    MENU_OPTIONS,
    MERGE,
    declare_panel,
    first_state,
    panel_text,
    pick_menu,
)

if TYPE_CHECKING:
    from bot.app import TocsinBot


class WithdrawButton(
    Button,
    template=r"tocsin:report:withdraw:(?P<guild_id>\d{1,20}):(?P<report_id>\d{1,18}):(?P<user_id>\d{1,20})",
):
    guild_id: int
    report_id: int
    user_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        member = acting(interaction, Actor)
        if interaction.user.id != self.user_id or member.guild_id != self.guild_id:
            raise NotAllowedError("report.error.not_yours")
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = bot.services
        result = await services.reports.withdraw(member, self.report_id, now=services.clock.now())
        services.outbox.wake()
        key = "report.reply.withdrawn" if result.withdrawn else "report.reply.withdrawn_already"
        language = person_language(interaction)
        await reply_done(interaction, services.catalogue.render(language, key, organisation=result.organisation))


class CardButton(
    Button,
    template=(
        r"tocsin:report:(?P<action>declare|attach|merge|aside|abuse|undo):(?P<guild_id>\d{1,20})"
        r":(?P<group_id>\d{1,18})"
    ),
):
    """A triage card's buttons, for coordinators only (checked by every use case they call)."""

    action: str
    guild_id: int
    group_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        if actor.guild_id != self.guild_id:  # a button copied from another server's message
            raise ReportError("report.error.group_unknown")
        services = bot.services
        reports = services.reports
        language = person_language(interaction)
        word = services.catalogue.render
        if self.action == DECLARE:
            form = await reports.declare_form(actor, self.group_id)
            state = first_state(self.guild_id, self.group_id, form)
            await interaction.response.send_message(
                panel_text(bot, language, form),
                view=declare_panel(bot, language, state, form),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        elif self.action == SET_ASIDE:
            await reports.declare_form(actor, self.group_id)  # a coordinator, and the card still open
            await interaction.response.send_modal(SetAsideModal(bot, language, self.group_id))
        elif self.action == UNDO:
            await interaction.response.defer(ephemeral=True, thinking=True)
            decided = await reports.undo(actor, self.group_id, now=services.clock.now())
            services.outbox.wake()
            organisation = plain_text(decided.organisation)
            await reply_done(interaction, word(language, "report.reply.undone", organisation=organisation))
        else:
            options = await self._options(bot, interaction, actor)
            if not options:
                await reply_private(interaction, word(language, EMPTY_PICKS[self.action]))
                return
            await interaction.response.send_message(
                word(language, PICK_PROMPTS[self.action]),
                view=pick_menu(bot, language, self.action, self.guild_id, self.group_id, options),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    async def _options(
        self, bot: TocsinBot, interaction: discord.Interaction[Any], actor: Actor
    ) -> list[tuple[str, str]]:
        """What the menu offers: open incidents (newest first), the other open cards, or the card's reporters by
        the name the server shows."""
        reports = bot.services.reports
        await reports.declare_form(actor, self.group_id)  # a coordinator, and the card still open
        if self.action == ATTACH:
            found = await bot.services.lifecycle.list_incidents(
                actor.guild_id, status="open", now=bot.services.clock.now(), limit=25
            )
            return [(numbered_title(i.number, plain_text(i.title)), str(i.number)) for i in found.incidents]
        if self.action == MERGE:
            groups = await reports.open_groups(actor)
            return [(g.organisation, str(g.id)) for g in groups if g.id != self.group_id]
        guild = interaction.guild
        people = await reports.reporters(actor, self.group_id)
        named = []
        for person in people[:MENU_OPTIONS]:
            named.append((f"{await _name_of(guild, person.user_id)} ({person.reports})", str(person.user_id)))
        return named


async def _name_of(guild: discord.Guild | None, user_id: int) -> str:
    """The name the server shows for a member: from the cache, else asked of Discord (a read); their id if gone."""
    if guild is None:
        return str(user_id)
    member = guild.get_member(user_id)
    if member is None:
        try:
            member = await guild.fetch_member(user_id)
        except discord.HTTPException:
            return str(user_id)
    return member.display_name


EMPTY_PICKS = {
    ATTACH: "report.panel.no_incident",
    MERGE: "report.panel.no_card",
    ABUSE: "report.panel.no_member",
}
PICK_PROMPTS = {
    ATTACH: "report.panel.attach",
    MERGE: "report.panel.merge",
    ABUSE: "report.panel.abuse",
}
