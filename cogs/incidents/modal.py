"""The declaration form: the essentials of a declaration, when `/outage declare` is run without options."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from bot.common.i18n import Language
from bot.common.limits import TextField
from bot.common.text import name_key
from bot.incidents.rules.model import Severity
from bot.incidents.use_cases.typed_input import DeclareInput, OutageError
from cogs.common.forms import Form, field

if TYPE_CHECKING:
    from cogs.incidents.outage import Outage

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


class DeclareModal(Form):
    """Opened by `/outage declare` without options; submitting it declares (`Outage.run_declare`)."""

    def __init__(self, cog: Outage, language: Language) -> None:
        word = partial(cog.word, language)
        self.cog = cog
        self.title_input = field(
            word("outage.modal.field.title"),
            "title",
            TextField.TITLE.limit,
            placeholder=word("outage.modal.placeholder.title"),
        )
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
        await self.cog.run_declare(interaction, typed)
