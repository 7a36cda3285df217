"""The Follow and "Affected too" buttons of every status message and announcement, as dynamic items: their
custom ids (`tocsin:<action>:<guild>:<number>`) say everything, so they keep working after a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.common.i18n import Msg
from bot.incidents.presentation.buttons import AFFECTED, FOLLOW
from bot.incidents.use_cases.typed_input import OutageError
from bot.interactions.access import require_guild
from bot.interactions.replies import person_language, reply_done
from cogs.common.acting import acting
from cogs.common.items import Answering, Button
from cogs.following import refusal_note, send_follow_reply, tell_if_refused
from cogs.incidents.modal import MoreForm, more_button_id

if TYPE_CHECKING:
    from bot.app import TocsinBot


class IncidentButton(
    Button,
    template=r"tocsin:(?P<action>follow|affected):(?P<guild_id>\d{1,20}):(?P<number>\d{1,9})",
):
    action: str
    guild_id: int
    number: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        # Anyone who sees the message may follow or say they are affected; nothing else is offered here.
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = bot.services
        actor = Actor(guild_id=guild_id, user_id=interaction.user.id, interaction_id=interaction.id)
        now = services.clock.now()
        language = person_language(interaction)
        if self.action == AFFECTED:
            result = await services.lifecycle.affected(actor, self.guild_id, self.number, now=now)
            services.outbox.wake()
            key = "outage.reply.affected" if result.new else "outage.reply.affected_already"
            text = services.catalogue.word(language, Msg.of(key, number=self.number, count=result.affected_count))
            shown = await reply_done(interaction, text)  # "affected too" follows as well: its role may be refused
            note = refusal_note(bot, language, "follow.refused.incident", number=self.number)
            await tell_if_refused(bot, interaction, shown, note, incident=self.number)
        else:
            assert self.action == FOLLOW
            member = Actor(guild_id=guild_id, user_id=interaction.user.id, interaction_id=interaction.id)
            followed = await services.following.follow_incident(
                member, self.number, dm=None, now=now, guild_id=self.guild_id
            )
            services.outbox.wake()
            await send_follow_reply(bot, interaction, language, followed, self.guild_id)


class MoreButton(
    Answering[discord.ui.Button[Any]],
    template=r"tocsin:(?:rd)?more:(?P<guild_id>\d{1,20}):(?P<number>\d{1,9})",
):
    """Under the reply to a declaration made from a form (`/outage declare` bare, or a triage card): the form for
    its workaround and impact, for coordinators ("rdmore": the id it had when only cards offered it)."""

    def __init__(self, guild_id: int, number: int) -> None:
        super().__init__(discord.ui.Button(custom_id=more_button_id(guild_id, number)))
        self.guild_id = guild_id
        self.number = number

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        if actor.guild_id != self.guild_id:
            raise OutageError("outage.error.incident_unknown", number=self.number)
        await bot.services.lifecycle.coordinator_config(actor, self.number)  # the form is the first answer
        await interaction.response.send_modal(MoreForm(bot, person_language(interaction), self.number))
