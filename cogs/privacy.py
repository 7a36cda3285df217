"""`/privacy` (any member): what Tocsin keeps about them, as a file, and "forget me" behind a confirmation; and
the confirmation of an admin's `/setup forget-member` (cogs/settings/forget.py). Every button names, in its custom
id, the person it is for, and refuses anyone else (a custom id can be replayed); the admin's is checked for Manage
Server again when clicked."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.i18n import Language, Msg
from bot.interactions.access import NotAllowedError, require_admin, require_guild
from bot.interactions.replies import person_language, reply_done, reply_private
from bot.interactions.translator import text
from bot.privacy.presentation import row_count
from cogs.common.cog import FeatureCog
from cogs.common.items import Button

if TYPE_CHECKING:
    from bot.app import TocsinBot

EXPORT, FORGET, CONFIRM, FORGET_MEMBER = "export", "forget", "confirm", "forgetmember"


def privacy_button(
    bot: TocsinBot, language: Language, label: str, style: discord.ButtonStyle, custom_id: str
) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=bot.services.catalogue.render(language, label), style=style, custom_id=custom_id)


def one_button_view(*buttons: discord.ui.Button[Any]) -> discord.ui.View:
    """The buttons of a private reply; the view is stopped before it is sent: the dynamic items below answer the
    clicks, also after a restart."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    view.stop()
    return view


def forget_member_view(
    bot: TocsinBot, language: Language, guild_id: int, member_id: int, admin_id: int
) -> discord.ui.View:
    custom_id = f"tocsin:privacy:{FORGET_MEMBER}:{guild_id}:{member_id}:{admin_id}"
    return one_button_view(
        privacy_button(bot, language, "privacy.button.confirm", discord.ButtonStyle.danger, custom_id)
    )


class PrivacyChoice(
    Button,
    template=r"tocsin:privacy:(?P<action>export|forget|confirm):(?P<guild_id>\d{1,20}):(?P<user_id>\d{1,20})",
):
    action: str
    guild_id: int
    user_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id or require_guild(interaction) != self.guild_id:
            raise NotAllowedError("privacy.error.not_yours")
        language = person_language(interaction)
        services = bot.services
        word = services.catalogue.render
        if self.action == FORGET:
            custom_id = f"tocsin:privacy:{CONFIRM}:{self.guild_id}:{self.user_id}"
            button = privacy_button(bot, language, "privacy.button.confirm", discord.ButtonStyle.danger, custom_id)
            await reply_private(interaction, word(language, "privacy.forget.confirm"), view=one_button_view(button))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = services.clock.now()
        if self.action == EXPORT:
            file = await services.privacy.export(self.user_id, guild_id=self.guild_id, everywhere=True, now=now)
            sentence = services.catalogue.word(language, Msg.of("privacy.export.done", count=row_count(file.data)))
            await interaction.followup.send(
                sentence,
                file=discord.File(io.BytesIO(file.data), filename=file.name),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        forgotten = await services.privacy.forget(
            self.user_id, guild_id=self.guild_id, everywhere=True, by="member", actor_id=None, now=now
        )
        services.outbox.wake()
        await reply_done(interaction, word(language, "privacy.forget.done", name=forgotten.name))


class ForgetMemberConfirm(
    Button,
    template=(r"tocsin:privacy:forgetmember:(?P<guild_id>\d{1,20}):(?P<member_id>\d{1,20}):(?P<admin_id>\d{1,20})"),
):
    guild_id: int
    member_id: int
    admin_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        if require_admin(interaction) != self.guild_id or interaction.user.id != self.admin_id:
            raise NotAllowedError("privacy.error.not_yours")
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = bot.services
        forgotten = await services.privacy.forget(
            self.member_id,
            guild_id=self.guild_id,
            everywhere=False,
            by="admin",
            actor_id=interaction.user.id,
            now=services.clock.now(),
        )
        services.outbox.wake()
        language = person_language(interaction)
        sentence = services.catalogue.render(
            language, "privacy.setup.done", member=f"`{self.member_id}`", name=forgotten.name
        )
        await reply_done(interaction, sentence)


class Privacy(FeatureCog):
    dynamic_items = (PrivacyChoice, ForgetMemberConfirm)

    @app_commands.command(
        name=text("privacy", "cmd.privacy.name"),
        description=text("What Tocsin keeps about you: get it as a file, or have it erased", "cmd.privacy.description"),
    )
    @app_commands.guild_only()
    async def privacy(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = require_guild(interaction)  # anyone in the server: their own data
        language = person_language(interaction)
        user_id = interaction.user.id
        view = one_button_view(
            privacy_button(
                self.bot,
                language,
                "privacy.button.export",
                discord.ButtonStyle.primary,
                f"tocsin:privacy:{EXPORT}:{guild_id}:{user_id}",
            ),
            privacy_button(
                self.bot,
                language,
                "privacy.button.forget",
                discord.ButtonStyle.danger,
                f"tocsin:privacy:{FORGET}:{guild_id}:{user_id}",
            ),
        )
        await reply_private(interaction, self.word(language, "privacy.intro"), view=view)


async def setup(bot: TocsinBot) -> None:
    await bot.add_cog(Privacy(bot, bot.services))
