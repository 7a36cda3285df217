"""The outage forms. Discord allows five fields a form, so the declaration form (`/outage declare` run without
options) holds the essentials, and the reply to a declaration made from a form offers a second one for what had no
room (`offer_more`, `MoreForm`: the workaround and the impact, long text on several lines); `/outage update` given
only the incident opens `UpdateForm` (the note and the workaround). Each checks who may act before it opens (it is
the first answer) and again, in the use case, when it is submitted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.limits import TextField
from bot.common.text import name_key, truncate
from bot.incidents.rules.model import Severity
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, OutageError, UpdateInput
from bot.interactions.replies import person_language, reply_done
from cogs.common.acting import acting
from cogs.common.forms import Form, field

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from bot.composition import Services
    from cogs.incidents.outage import Outage

NO_PINGS = discord.AllowedMentions.none()

# The words a modal's severity field accepts (no choices in a modal text input).
SEVERITY_WORDS = {
    "critique": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "majeure": Severity.MAJOR,
    "majeur": Severity.MAJOR,
    "major": Severity.MAJOR,
    "mineure": Severity.MINOR,
    "mineur": Severity.MINOR,
    "minor": Severity.MINOR,
}


def title_field(word: Callable[[str], str]) -> discord.ui.TextInput[Any]:
    """The incident's title, asked the same in every form that declares."""
    return field(
        word("outage.modal.field.title"),
        "title",
        TextField.TITLE.limit,
        placeholder=word("outage.modal.placeholder.title"),
    )


class DeclareModal(Form):
    """Opened by `/outage declare` without options; submitting it declares (`Outage.run_declare`)."""

    def __init__(self, cog: Outage, language: Language) -> None:
        word = partial(cog.word, language)
        self.cog = cog
        self.title_input = title_field(word)
        self.sector_input = field(
            word("outage.modal.field.sector"),
            "sector",
            TextField.SECTOR.limit,
            placeholder=word("outage.modal.placeholder.sector"),
        )
        self.territories_input = field(
            word("outage.modal.field.territories"),
            "territories",
            1000,
            placeholder=word("outage.modal.placeholder.territories"),
        )
        self.severity_input = field(
            word("outage.modal.field.severity"), "severity", 20, placeholder=word("outage.modal.placeholder.severity")
        )
        self.started_input = field(
            word("outage.modal.field.started"),
            "started",
            100,
            required=False,
            placeholder=word("outage.modal.placeholder.started"),
        )
        fields = (self.title_input, self.sector_input, self.territories_input, self.severity_input, self.started_input)
        super().__init__(word("outage.modal.title"), *fields, timeout=900)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        typed_severity = name_key(self.severity_input.value)
        severity = SEVERITY_WORDS.get(typed_severity)
        if severity is None:
            raise OutageError("outage.error.severity_unknown", text=self.severity_input.value.strip()[:30])
        typed = DeclareInput(
            title=self.title_input.value,
            sector=self.sector_input.value,
            territories=self.territories_input.value,
            severity=severity,
            started=self.started_input.value or None,
        )
        number = await self.cog.run_declare(interaction, typed)
        await offer_more(self.cog.services, interaction, acting(interaction, Actor).guild_id, number)


def more_button_id(guild_id: int, number: int) -> str:
    return f"tocsin:more:{guild_id}:{number}"


async def offer_more(services: Services, interaction: discord.Interaction[Any], guild_id: int, number: int) -> None:
    """After a declaration made from a form: a private follow-up offering the form for the workaround and impact
    (the dynamic item `cogs.incidents.buttons.MoreButton` answers it, also after a restart)."""
    language = person_language(interaction)
    more = discord.ui.View(timeout=None)
    more.add_item(
        discord.ui.Button(
            label=truncate(services.catalogue.render(language, "outage.more.button"), 80),
            style=discord.ButtonStyle.secondary,
            custom_id=more_button_id(guild_id, number),
        )
    )
    more.stop()
    hint = services.catalogue.render(language, "outage.more.hint", number=number)
    await interaction.followup.send(hint, ephemeral=True, view=more, allowed_mentions=NO_PINGS)


class MoreForm(Form):
    """The workaround and the impact of an outage just declared from a form: what its five fields had no room for.
    The workaround is an update (announced as new instructions), the impact a correction."""

    def __init__(self, bot: TocsinBot, language: Language, number: int) -> None:
        word = partial(bot.services.catalogue.render, language)
        self.bot, self.number = bot, number
        self.workaround = field(
            word("outage.more.workaround"), "workaround", TextField.WORKAROUND.limit, required=False, paragraph=True
        )
        self.impact = field(
            word("outage.more.impact"), "impact", TextField.IMPACT.limit, required=False, paragraph=True
        )
        super().__init__(word("outage.more.title", number=number), self.workaround, self.impact, timeout=900)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        workaround, impact = self.workaround.value.strip(), self.impact.value.strip()
        if not workaround and not impact:
            raise OutageError("outage.more.nothing")
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        lifecycle, now = services.lifecycle, services.clock.now()
        if workaround:
            await lifecycle.update(actor, self.number, UpdateInput(workaround=workaround), now=now)
        if impact:  # a second command of the same interaction: not a replay of the first
            await lifecycle.edit(replace(actor, interaction_id=None), self.number, EditInput(impact=impact), now=now)
        services.outbox.wake()
        said = services.catalogue.render(person_language(interaction), "outage.more.done", number=self.number)
        await reply_done(interaction, said)


class UpdateForm(Form):
    """`/outage update` given only the incident: the note and the new workaround, each on several lines. Submitted,
    it is the same update as the command's options (`Outage.run_update`)."""

    def __init__(self, cog: Outage, language: Language, number: int, *, silent: bool = False) -> None:
        word = partial(cog.word, language)
        self.cog, self.number, self.silent = cog, number, silent
        self.note = field(word("outage.update_form.note"), "note", TextField.NOTE.limit, required=False, paragraph=True)
        self.workaround = field(
            word("outage.update_form.workaround"),
            "workaround",
            TextField.WORKAROUND.limit,
            required=False,
            paragraph=True,
        )
        super().__init__(word("outage.update_form.title", number=number), self.note, self.workaround, timeout=900)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        note, workaround = self.note.value.strip(), self.workaround.value.strip()
        if not note and not workaround:
            raise OutageError("outage.update_form.nothing")
        typed = UpdateInput(note=note or None, workaround=workaround or None, silent=self.silent)
        await self.cog.run_update(interaction, str(self.number), typed)
