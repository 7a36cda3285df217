"""The private panels a card's buttons open for the coordinator who clicked, and their menus, as dynamic items
(their custom ids say everything, so a panel still works after a restart):

- Declare: severity, cause and sector (`tocsin:rdecl:<what>:<guild>:<group>:<severity>:<cause>:<sector>`, each
  menu's choice kept in every custom id of the panel), then "Continue" opens the declaration form;
- Attach, Merge, Abuse: one menu of open incidents, of other open cards, of the card's reporters
  (`tocsin:rpick:<action>:<guild>:<group>`).

Every choice is checked again by the use case: the coordinator role, and that the card is still open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord

from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.common.limits import CHOICE_NAME
from bot.common.text import plain_text, truncate
from bot.incidents.presentation.labels import CAUSE_KEYS, SEVERITY_KEYS
from bot.incidents.rules.model import Cause, Severity
from bot.interactions.replies import person_language, reply_done
from bot.reports.rules import ReportError
from bot.reports.use_cases.deciding import DeclareForm
from cogs.common.acting import acting
from cogs.common.items import Answering, Menu
from cogs.reports.modal import DeclareFromReportsModal, attach_card

if TYPE_CHECKING:
    from bot.app import TocsinBot

SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR)
CAUSES = (
    Cause.CYBERATTACK_SUSPECTED,
    Cause.CYBERATTACK_CONFIRMED,
    Cause.TECHNICAL_FAILURE,
    Cause.OVERLOAD,
    Cause.UNKNOWN,
)
NONE = 9  # nothing chosen (severity, cause)
NO_SECTOR = 99
MENU_OPTIONS = 25


@dataclass(frozen=True)
class PanelState:
    guild_id: int
    group_id: int
    severity: int = NONE
    cause: int = NONE
    sector: int = NO_SECTOR

    def custom_id(self, what: str) -> str:
        return f"tocsin:rdecl:{what}:{self.guild_id}:{self.group_id}:{self.severity}:{self.cause}:{self.sector}"

    @property
    def chosen_severity(self) -> Severity | None:
        return SEVERITIES[self.severity] if self.severity < len(SEVERITIES) else None

    @property
    def chosen_cause(self) -> Cause | None:
        return CAUSES[self.cause] if self.cause < len(CAUSES) else None

    def chosen_sector(self, form: DeclareForm) -> str | None:
        return form.sectors[self.sector] if self.sector < len(form.sectors) else None


def first_state(guild_id: int, group_id: int, form: DeclareForm) -> PanelState:
    """The panel as it opens: the sector pre-selected when every reporter holds one sector route's role."""
    sector = form.sectors.index(form.sector) if form.sector in form.sectors[:MENU_OPTIONS] else NO_SECTOR
    return PanelState(guild_id, group_id, sector=sector)


def _option(label: str, value: int, chosen: int) -> discord.SelectOption:
    return discord.SelectOption(
        label=truncate(plain_text(label), CHOICE_NAME), value=str(value), default=value == chosen
    )


def declare_panel(bot: TocsinBot, language: Language, state: PanelState, form: DeclareForm) -> discord.ui.View:
    """Stopped before it is sent: the dynamic items answer its menus and its button."""
    word = bot.services.catalogue.render
    view = discord.ui.View(timeout=None)
    menus: list[tuple[str, str, list[discord.SelectOption]]] = [
        (
            "sev",
            "report.panel.severity",
            [_option(word(language, SEVERITY_KEYS[s]), i, state.severity) for i, s in enumerate(SEVERITIES)],
        ),
        (
            "cause",
            "report.panel.cause",
            [_option(word(language, CAUSE_KEYS[c]), i, state.cause) for i, c in enumerate(CAUSES)],
        ),
        (
            "sector",
            "report.panel.sector",
            [_option(name, i, state.sector) for i, name in enumerate(form.sectors[:MENU_OPTIONS])],
        ),
    ]
    for what, placeholder, menu in menus:
        if menu:
            view.add_item(
                discord.ui.Select(
                    custom_id=state.custom_id(what), placeholder=word(language, placeholder), options=menu
                )
            )
    view.add_item(
        discord.ui.Button(
            label=word(language, "report.panel.continue"),
            style=discord.ButtonStyle.primary,
            custom_id=state.custom_id("go"),
        )
    )
    view.stop()
    return view


def panel_text(bot: TocsinBot, language: Language, form: DeclareForm) -> str:
    return bot.services.catalogue.render(language, "report.panel.declare", organisation=plain_text(form.organisation))


class DeclarePanelMenu(
    Answering[discord.ui.Select[Any]],
    template=(
        r"tocsin:rdecl:(?P<what>sev|cause|sector):(?P<guild_id>\d{1,20}):(?P<group_id>\d{1,18})"
        r":(?P<severity>\d):(?P<cause>\d):(?P<sector>\d{1,2})"
    ),
):
    def __init__(self, what: str, guild_id: int, group_id: int, severity: int, cause: int, sector: int) -> None:
        self.state = PanelState(guild_id, group_id, severity, cause, sector)
        super().__init__(discord.ui.Select(custom_id=self.state.custom_id(what), options=[]))
        self.what = what

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        form = await bot.services.reports.declare_form(actor, self.state.group_id)
        value = int(self.item.values[0]) if self.item.values else NONE
        field = {"sev": "severity", "cause": "cause", "sector": "sector"}[self.what]
        state = replace(self.state, **{field: value})
        language = person_language(interaction)
        await interaction.response.edit_message(view=declare_panel(bot, language, state, form))


class DeclarePanelGo(
    Answering[discord.ui.Button[Any]],
    template=(
        r"tocsin:rdecl:go:(?P<guild_id>\d{1,20}):(?P<group_id>\d{1,18}):(?P<severity>\d):(?P<cause>\d)"
        r":(?P<sector>\d{1,2})"
    ),
):
    def __init__(self, guild_id: int, group_id: int, severity: int, cause: int, sector: int) -> None:
        self.state = PanelState(guild_id, group_id, severity, cause, sector)
        super().__init__(discord.ui.Button(custom_id=self.state.custom_id("go")))

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        form = await bot.services.reports.declare_form(actor, self.state.group_id)
        severity = self.state.chosen_severity
        if severity is None:
            raise ReportError("report.error.severity_needed")
        modal = DeclareFromReportsModal(
            bot,
            person_language(interaction),
            group_id=self.state.group_id,
            form=form,
            severity=severity,
            cause=self.state.chosen_cause,
            sector=self.state.chosen_sector(form),
        )
        await interaction.response.send_modal(modal)


ATTACH, MERGE, ABUSE = "attach", "merge", "abuse"


def pick_menu(
    bot: TocsinBot, language: Language, action: str, guild_id: int, group_id: int, options: list[tuple[str, str]]
) -> discord.ui.View:
    """One menu of (label, value) under a private panel: open incidents, other cards, or reporters."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Select(
            custom_id=f"tocsin:rpick:{action}:{guild_id}:{group_id}",
            placeholder=bot.services.catalogue.render(language, PICK_PLACEHOLDERS[action]),
            options=[
                discord.SelectOption(label=truncate(plain_text(label), CHOICE_NAME) or value, value=value)
                for label, value in options[:MENU_OPTIONS]
            ],
        )
    )
    view.stop()
    return view


PICK_PLACEHOLDERS = {
    ATTACH: "report.panel.pick_incident",
    MERGE: "report.panel.pick_card",
    ABUSE: "report.panel.pick_member",
}


class PickMenu(
    Menu,
    template=r"tocsin:rpick:(?P<action>attach|merge|abuse):(?P<guild_id>\d{1,20}):(?P<group_id>\d{1,18})",
):
    action: str
    guild_id: int
    group_id: int

    async def _click(self, bot: TocsinBot, interaction: discord.Interaction[Any]) -> None:
        actor = acting(interaction, Actor)
        if actor.guild_id != self.guild_id or not self.item.values:
            raise ReportError("report.error.group_unknown")
        chosen = int(self.item.values[0])
        if self.action == ATTACH:
            await attach_card(bot, interaction, self.group_id, chosen)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = bot.services
        now = services.clock.now()
        language = person_language(interaction)
        word = services.catalogue.render
        if self.action == MERGE:
            merged = await services.reports.merge(actor, self.group_id, chosen, now=now)
            text = word(language, "report.reply.merged", into=plain_text(merged.organisation))
        else:
            await services.reports.mark_abuse(actor, self.group_id, chosen, now=now)
            text = word(language, "report.reply.abuse", member=f"<@{chosen}>")
        services.outbox.wake()
        await reply_done(interaction, text)
