"""Forms (modals) whose submission is checked against their own fields before anything reads it: each field
present when required, within its length, free of what no keyboard types (`bot/interactions/admission.py`). A
failure, checked or not, is one private sentence for whoever submitted. Each form's title and fields are cut to
what Discord accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.errors import TocsinError
from bot.common.limits import FIELD_LABEL, MODAL_TITLE
from bot.common.text import truncate
from bot.interactions.admission import admit_form, form_opened

if TYPE_CHECKING:
    from bot.app import TocsinBot


def field(
    label: str,
    custom_id: str,
    limit: int,
    *,
    required: bool = True,
    placeholder: str | None = None,
    default: str | None = None,
    paragraph: bool = False,
) -> discord.ui.TextInput[Any]:
    """A text field of at most `limit` characters, pre-filled with `default` cut to that limit."""
    return discord.ui.TextInput(
        label=truncate(label, FIELD_LABEL),
        custom_id=custom_id,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        max_length=limit,
        required=required,
        placeholder=placeholder,
        default=truncate(default, limit) if default else None,
    )


class Form(discord.ui.Modal):
    def __init__(self, title: str, *fields: discord.ui.TextInput[Any], **kwargs: Any) -> None:
        """A form with these fields in this order (`kwargs`: the rest of `discord.ui.Modal`'s)."""
        super().__init__(title=truncate(title, MODAL_TITLE), **kwargs)
        for item in fields:
            self.add_item(item)
        form_opened(self)  # a submission of a form never opened (or closed) is answered, not dropped

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        admit_form(self, interaction)
        return True

    async def on_error(  # type: ignore[override]  # discord.py's Modal narrows BaseView's signature
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        bot: TocsinBot = interaction.client
        if not isinstance(error, TocsinError):
            # discord.py failed reading the fields before the check: the check says what was wrong with them.
            try:
                admit_form(self, interaction)
            except TocsinError as refusal:
                error = refusal
        await bot.report_error(interaction, error)
