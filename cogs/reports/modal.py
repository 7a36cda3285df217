"""The reports' forms: the report itself (`/report` run without options, with a paragraph for the details), the
declaration from a card's reports, and the reason a card is set aside."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord

from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.limits import BUTTON_LABEL, MESSAGE_CONTENT, TextField
from bot.common.text import plain_text, safe_text, truncate
from bot.incidents.presentation.message_parts import numbered_title
from bot.incidents.rules.model import Cause, Severity
from bot.incidents.use_cases.typed_input import DeclareInput
from bot.interactions.payload_rules import PayloadError
from bot.interactions.replies import person_language, reply_done
from bot.reports.rules import ReportError
from bot.reports.use_cases.deciding import DecisionError, DeclareForm, SameOutageError
from bot.reports.use_cases.results import ReportInput
from cogs.common.acting import acting
from cogs.common.forms import Form, field
from cogs.common.items import Button
from cogs.incidents.modal import offer_more, title_field
from cogs.incidents.replies import answer_declared

if TYPE_CHECKING:
    from bot.app import TocsinBot
    from cogs.reports.command import Report


class ReportModal(Form):
    """Submitting it reports (`Report.run_report`)."""

    def __init__(self, cog: Report, language: Language) -> None:
        word = partial(cog.word, language)
        self.cog = cog
        self.organisation = field(
            word("report.modal.organisation"),
            "organisation",
            TextField.ORGANISATION.limit,
            placeholder=word("report.modal.placeholder.organisation"),
        )
        self.services = field(
            word("report.modal.services"),
            "services",
            300,
            required=False,
            placeholder=word("report.modal.placeholder.services"),
        )
        self.territories = field(
            word("report.modal.territories"),
            "territories",
            300,
            required=False,
            placeholder=word("report.modal.placeholder.territories"),
        )
        self.since = field(
            word("report.modal.since"), "since", 100, required=False, placeholder=word("report.modal.placeholder.since")
        )
        self.details = field(
            word("report.modal.details"),
            "details",
            TextField.REPORT_DETAILS.limit,
            required=False,
            placeholder=word("report.modal.placeholder.details"),
            paragraph=True,
        )
        fields = (self.organisation, self.services, self.territories, self.since, self.details)
        super().__init__(word("report.modal.title"), *fields, timeout=900)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        typed = ReportInput(
            organisation=self.organisation.value,
            services=self.services.value or None,
            territories=self.territories.value or None,
            since=self.since.value or None,
            details=self.details.value or None,
        )
        await self.cog.run_report(interaction, typed)


class DeclareFromReportsModal(Form):
    """The declaration form a card's panel opens, pre-filled from the reports (five fields, Discord's most): the
    organisation, the services, the territories, since the earliest time reported, and the title to type."""

    def __init__(
        self,
        bot: TocsinBot,
        language: Language,
        *,
        group_id: int,
        form: DeclareForm,
        severity: Severity,
        cause: Cause | None,
        sector: str | None,
    ) -> None:
        word = bot.services.catalogue.render
        self.bot = bot
        self.group_id = group_id
        self.severity, self.cause, self.sector = severity, cause, sector
        since = ""
        if form.since is not None:
            since = form.since.astimezone(ZoneInfo(form.time_zone)).strftime("%d/%m/%Y %H:%M")
        self.title_input = title_field(partial(word, language))
        self.organisation = field(
            word(language, "report.modal.organisation"),
            "organisation",
            TextField.ORGANISATION.limit,
            default=form.organisation,
        )
        self.services = field(
            word(language, "report.modal.services"), "services", 1000, default=form.services, required=False
        )
        self.territories = field(
            word(language, "outage.modal.field.territories"), "territories", 1000, default=form.territories
        )
        self.started = field(
            word(language, "outage.modal.field.started"), "started", 100, default=since, required=False
        )
        fields = (self.title_input, self.organisation, self.services, self.territories, self.started)
        super().__init__(word(language, "report.declare.title"), *fields, timeout=900)

    def typed(self) -> DeclareInput:
        return DeclareInput(
            title=self.title_input.value,
            organisation=self.organisation.value or None,
            sector=self.sector,
            territories=self.territories.value,
            severity=self.severity,
            cause=self.cause,
            started=self.started.value or None,
            services=self.services.value or None,
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await declare_from_reports(self.bot, interaction, self.group_id, HeldForm(self.typed()))


async def declare_from_reports(
    bot: TocsinBot, interaction: discord.Interaction[Any], group_id: int, held: HeldForm
) -> None:
    """Declares from the card's reports and answers as `/outage declare` does. When a colleague set the card aside
    while the form was open, or an open incident plausibly is this outage already, nothing is declared: the
    coordinator is told so, with a button to declare anyway (and to attach the card to that incident)."""
    actor = acting(interaction, Actor)
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    services = bot.services
    language = person_language(interaction)
    word = services.catalogue.render
    try:
        result = await services.reports.declare(
            actor, group_id, held.typed, anyway=held.anyway, over=held.over, now=services.clock.now()
        )
    except DecisionError as exc:
        if exc.message_id != "report.error.decided_aside":
            raise
        text = word(language, exc.message_id, **exc.args_map) + "\n" + word(language, "report.declare.anyway_hint")
        view = anyway_view(bot, language, actor.guild_id, group_id, replace(held, anyway=True))
        await interaction.followup.send(text, ephemeral=True, view=view, allowed_mentions=NO_PINGS)
        return
    except SameOutageError as exc:
        named = "\n".join(f"- {numbered_title(m.number, safe_text(m.title))}" for m in exc.matches)
        text = word(language, "report.declare.same_outage", incidents=named)
        over = tuple(sorted({*held.over, *(m.number for m in exc.matches)}))
        attach = [  # the newest first, before "Declare anyway"
            discord.ui.Button[discord.ui.View](
                label=truncate(word(language, "report.declare.attach_to", number=m.number), BUTTON_LABEL),
                custom_id=f"tocsin:rdsame:{actor.guild_id}:{group_id}:{m.number}",
            )
            for m in exc.matches
        ]
        view = anyway_view(bot, language, actor.guild_id, group_id, replace(held, over=over), first=attach)
        await interaction.followup.send(
            truncate(text, MESSAGE_CONTENT), ephemeral=True, view=view, allowed_mentions=NO_PINGS
        )
        return
    await answer_declared(services, interaction, actor, result)
    await offer_more(services, interaction, actor.guild_id, result.number)


NO_PINGS = discord.AllowedMentions.none()


@dataclass(frozen=True)
class HeldForm:
    """A declaration form as the coordinator filled it, and what they were told and chose to declare over: a
    colleague's setting the card aside (`anyway`), open incidents plausibly of the same outage (`over`)."""

    typed: DeclareInput
    anyway: bool = False
    over: tuple[int, ...] = ()


# The forms kept for "Declare anyway", by key, with when they were kept: in memory only, as long as Discord keeps
# the reply usable (15 minutes). After a restart the button is answered as an outdated one.
HELD_FOR_S = 900.0
HELD_FORMS: dict[str, tuple[float, HeldForm]] = {}


def anyway_view(
    bot: TocsinBot,
    language: Language,
    guild_id: int,
    group_id: int,
    held: HeldForm,
    *,
    first: Sequence[discord.ui.Item[discord.ui.View]] = (),
) -> discord.ui.View:
    """ "Declare anyway" under the sentence saying why nothing was declared: the form as typed is kept with what
    it is declared over (`HELD_FORMS`); the dynamic item `AnywayButton` answers the click."""
    now = time.monotonic()
    for key, (kept_at, _) in list(HELD_FORMS.items()):
        if now - kept_at > HELD_FOR_S:
            del HELD_FORMS[key]
    key = secrets.token_hex(8)
    HELD_FORMS[key] = (now, held)
    view = discord.ui.View(timeout=None)
    for item in first:
        view.add_item(item)
    view.add_item(
        discord.ui.Button(
            label=truncate(bot.services.catalogue.render(language, "report.declare.anyway"), BUTTON_LABEL),
            style=discord.ButtonStyle.danger,
            custom_id=f"tocsin:rdanyway:{guild_id}:{group_id}:{key}",
        )
    )
    view.stop()
    return view


class AnywayButton(
    Button,
    template=r"tocsin:rdanyway:(?P<guild_id>\d{1,20}):(?P<group_id>\d{1,18}):(?P<key>[0-9a-f]{16})",
):
    guild_id: int
    group_id: int
    key: str

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        held = HELD_FORMS.get(self.key)
        if held is None or time.monotonic() - held[0] > HELD_FOR_S:
            raise PayloadError("core.error.component_outdated")
        if acting(interaction, Actor).guild_id != self.guild_id:
            raise ReportError("report.error.group_unknown")
        await declare_from_reports(bot, interaction, self.group_id, held[1])  # the use case checks the role


class SameOutageAttachButton(
    Button,
    template=r"tocsin:rdsame:(?P<guild_id>\d{1,20}):(?P<group_id>\d{1,18}):(?P<number>\d{1,9})",
):
    """ "Attach to #N" under the sentence saying an open incident may already be this outage: the card's Attach."""

    guild_id: int
    group_id: int
    number: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        if acting(interaction, Actor).guild_id != self.guild_id:
            raise ReportError("report.error.group_unknown")
        await attach_card(bot, interaction, self.group_id, self.number)


async def attach_card(bot: TocsinBot, interaction: discord.Interaction[Any], group_id: int, number: int) -> None:
    """The card's reports join open incident `number` (the use case checks the coordinator role and that the card
    is still open), and the coordinator is told how many members now count as affected."""
    actor = acting(interaction, Actor)
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    services = bot.services
    attached = await services.reports.attach(actor, group_id, number, now=services.clock.now())
    services.outbox.wake()
    text = services.catalogue.render(
        person_language(interaction), "report.reply.attached", number=number, count=attached.reporters
    )
    await reply_done(interaction, text)


class SetAsideModal(Form):
    """The reason a card is set aside, required: the reporters read it in `/following`."""

    def __init__(self, bot: TocsinBot, language: Language, group_id: int) -> None:
        word = bot.services.catalogue.render
        self.bot, self.group_id = bot, group_id
        self.reason = field(
            word(language, "report.aside.reason"), "reason", 300, placeholder=word(language, "report.aside.placeholder")
        )
        super().__init__(word(language, "report.aside.title"), self.reason, timeout=900)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        decided = await services.reports.set_aside(actor, self.group_id, self.reason.value, now=services.clock.now())
        services.outbox.wake()
        language = person_language(interaction)
        organisation = plain_text(decided.organisation)
        await reply_done(
            interaction, services.catalogue.render(language, "report.reply.set_aside", organisation=organisation)
        )
