"""Forms (modals) whose submission is checked against their own fields before anything reads it: each field
present when required, within its length, free of what no keyboard types (`bot/interactions/admission.py`). A
failure, checked or not, is one private sentence for whoever submitted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.common.errors import TocsinError
from bot.common.text import truncate
from bot.interactions.admission import admit_form, form_opened

if TYPE_CHECKING:
    from bot.app import TocsinBot


class Form(discord.ui.Modal):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
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


def text_field(
    label: str,
    custom_id: str,
    limit: int,
    default: str | None = None,
    *,
    required: bool = True,
    paragraph: bool = False,
) -> discord.ui.TextInput[Any]:
    """One field of a form, within Discord's limits (a label of 45 characters at most); `paragraph` for long text
    typed on several lines."""
    return discord.ui.TextInput(
        label=truncate(label, 45),
        custom_id=custom_id,
        max_length=limit,
        required=required,
        default=truncate(default, limit) if default else None,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
    )
