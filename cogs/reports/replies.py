"""How `/report` words its result in the private reply to the member, in their language."""

from __future__ import annotations

import discord

from bot.common.i18n import Catalogue, Language
from bot.common.limits import BUTTON_LABEL, MESSAGE_CONTENT
from bot.common.text import safe_text, truncate
from bot.incidents.presentation.message_parts import discord_time
from bot.reports.use_cases.results import ReportOutcome, ReportResult
from cogs.incidents.replies import thread_mention

WITHDRAW = "withdraw"


def report_text(catalogue: Catalogue, language: Language, result: ReportResult, *, guild_id: int) -> str:
    word = catalogue.render
    organisation = safe_text(result.organisation)
    if result.outcome == ReportOutcome.DECLARED:
        link = thread_mention(guild_id, result.thread_id, result.incident_channel_id)
        title = safe_text(result.title or "")
        lines = [word(language, "report.reply.declared", number=result.number, title=title, link=link)]
    elif result.outcome == ReportOutcome.AGAIN:
        lines = [word(language, "report.reply.again", organisation=organisation)]
    else:
        lines = [word(language, "report.reply.recorded", organisation=organisation)]
    if result.since is not None:
        lines.append(word(language, "report.reply.since", time=discord_time(result.since, "F")))
    if result.resolved_lately is not None:
        lines.append(word(language, "report.reply.resolved_lately", number=result.resolved_lately))
    return truncate("\n".join(lines), MESSAGE_CONTENT)


def withdraw_view(
    catalogue: Catalogue, language: Language, result: ReportResult, *, guild_id: int, user_id: int
) -> discord.ui.View | None:
    """The "take my report back" button under the reply to a report that joined a group. Stopped before it is
    sent: the dynamic item (`buttons.WithdrawButton`) answers the click, also after a restart."""
    if result.group_id is None or result.outcome == ReportOutcome.DECLARED:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=truncate(catalogue.render(language, "report.button.withdraw"), BUTTON_LABEL),
            style=discord.ButtonStyle.secondary,
            custom_id=f"tocsin:report:{WITHDRAW}:{guild_id}:{result.report_id}:{user_id}",
        )
    )
    view.stop()
    return view
