"""`/setup forget-member`: an admin has Tocsin forget a member (one who left, or who asked them), named by their id
or a mention (a plain text option: a member who left is no member Discord would offer); the forget itself waits
for the admin's confirmation (cogs/privacy.py). /setup is near Discord's 4,000 characters a command: its words
here are few."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.interactions.access import NotAllowedError
from bot.interactions.replies import person_language, reply_private
from bot.interactions.translator import text
from cogs.common.options import Option, options
from cogs.privacy import forget_member_view
from cogs.settings.groups import SetupBase, setup_group

# An id as copied from a profile, or a mention: one of a member who left still reads <@id>.
DISCORD_ID = re.compile(r"^(?:<@!?)?(\d{17,20})>?$")


class ForgetSetup(SetupBase):
    @setup_group.command(
        name=text("forget-member", "cmd.setup.forget_member.name"),
        description=text("Forget a member who left", "cmd.setup.forget_member.description"),
    )
    @options(
        member=Option(
            text("member", "cmd.setup.forget_member.opt.member.name"),
            text("Their id or @mention", "cmd.setup.forget_member.opt.member"),
        )
    )
    async def forget_member(self, interaction: discord.Interaction[Any], member: str) -> None:
        actor = self._actor(interaction)  # Manage Server, checked here whatever Discord's defaults say
        typed = member.strip()
        found = DISCORD_ID.match(typed)
        if found is None:
            raise NotAllowedError("privacy.error.bad_id", text=typed[:40])
        target = int(found.group(1))
        language = person_language(interaction)
        sentence = self.word(language, "privacy.setup.confirm", member=f"<@{target}> (`{target}`)")
        view = forget_member_view(self.bot, language, actor.guild_id, target, actor.user_id)
        await reply_private(interaction, sentence, view=view)
