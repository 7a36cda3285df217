"""The buttons and menus that outlive a restart (`discord.ui.DynamicItem`: their custom id says everything) all
answer a failure the same way: one private sentence for whoever clicked. Every button and menu Tocsin sends is one
of them: a click that none of their templates matches is answered by the bot (`TocsinBot.on_interaction`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self, TypeVar

import discord

from bot.interactions.admission import admit_component

if TYPE_CHECKING:
    from bot.app import TocsinBot


_FIELD = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)")
# The bases below answer no click themselves (only their subclasses are registered): a template nothing matches.
_NOTHING = r"(?!)"

Base = TypeVar("Base", bound=discord.ui.Item[Any])


class Answering(discord.ui.DynamicItem[Base], template=_NOTHING):
    """The base of every such button and menu: its click is `_click`, and whatever `_click` raises is answered
    privately (`TocsinBot.report_error`) rather than left to discord.py's log. The groups of its template are
    named like its constructor's parameters: the item is rebuilt from them (digits are ids). Before `_click`, the
    click is checked against the component the message carries (a menu's values among its options and as many as
    it takes, the ids it names in this server): `_click` reads only what Discord's own clients could send."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        fields: dict[str, Any] = {name: int(v) if v.isdigit() else v for name, v in match.groupdict().items()}
        return cls(**fields)  # each subclass's constructor takes its template's groups

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: TocsinBot = interaction.client
        try:
            await admit_component(interaction)
            await self._click(bot, interaction)
        except Exception as exc:  # every failure becomes one private sentence
            await bot.report_error(interaction, exc)

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class Fields(Answering[Base], template=_NOTHING):
    """An item whose state is its template's groups: built from their values, by position (in the template's
    order) or by name, each kept as the attribute of that name (declared by the subclass), and its custom id the
    template with each group replaced by its value (the rest of the template is plain text)."""

    def __init__(self, *values: str | int, **named: str | int) -> None:
        template = type(self).__discord_ui_compiled_template__.pattern
        fields = dict(zip(_FIELD.findall(template), values, strict=False)) | named
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(self._item(_FIELD.sub(lambda group: str(fields[group["name"]]), template)))

    def _item(self, custom_id: str) -> Base:
        raise NotImplementedError


class Button(Fields[discord.ui.Button[Any]], template=_NOTHING):
    def _item(self, custom_id: str) -> discord.ui.Button[Any]:
        return discord.ui.Button(custom_id=custom_id)


class Menu(Fields[discord.ui.Select[Any]], template=_NOTHING):
    """A menu's options are the message's: Discord sends them back with the click."""

    def _item(self, custom_id: str) -> discord.ui.Select[Any]:
        return discord.ui.Select(custom_id=custom_id, options=[])
