"""What reminders and nudges show on Discord: a fired reminder's message with its Snooze and Done buttons, and the
nudges, ETA reminders and bot-log notes posted about an open incident. Each mentions only the person it is for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.formatting import format_datetime
from bot.common.i18n import Catalogue, Language
from bot.incidents.presentation.message_parts import discord_time, heading
from bot.incidents.rules.model import Incident
from bot.reminders.rules import reminders as rules
from bot.reminders.rules.nudges import NudgeState, PlannedNudge
from bot.reminders.rules.reminders import Reminder, SnoozeChoice

BUTTON_PREFIX = "tocsin:reminder"
DONE = "done"


def button_id(action: str, reminder_id: int) -> str:
    return f"{BUTTON_PREFIX}:{action}:{reminder_id}"


def dated(at: datetime, language: Language, zone: ZoneInfo, now: datetime) -> str:
    """A time inside a sentence, worded in the server's zone ("samedi 19 octobre à 12:40", the sentence gives the
    article), then how far it is as each reader's client says it ("il y a 4 heures")."""
    return f"{format_datetime(at, language, zone, now)} ({discord_time(at, 'R')})"


def reminder_message(
    reminder: Reminder, language: Language, catalogue: Catalogue, *, zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    """The reminder's message: its text, mentioning only its owner, with Snooze and Done buttons."""
    assert reminder.id is not None
    words: dict[str, Any] = {"who": f"<@{reminder.owner_id}>", "text": rules.shown_text(reminder)}
    if reminder.late_from is not None:
        words["due"] = format_datetime(reminder.late_from, language, zone, now)
    buttons = [
        {
            "type": 2,
            "style": 2,
            "label": catalogue.render(language, choice.label_id),
            "custom_id": button_id(choice.value, reminder.id),
        }
        for choice in SnoozeChoice
    ]
    buttons.append(
        {
            "type": 2,
            "style": 3,
            "label": catalogue.render(language, "reminder.button.done"),
            "custom_id": button_id(DONE, reminder.id),
        }
    )
    return {
        "content": catalogue.render(language, reminder.message_id, **words),
        "components": [{"type": 1, "components": buttons}],
        "allowed_mentions": {"parse": [], "users": [reminder.owner_id], "roles": []},
    }


def nudge_message(
    incident: Incident,
    state: NudgeState,
    planned: PlannedNudge,
    language: Language,
    catalogue: Catalogue,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, Any]:
    """A nudge or an ETA reminder, mentioning only the person it is for; or the bot-log note, which names the
    owner but pings nobody: it is for the coordinators who read the log, not an alarm."""
    words = {
        "who": f"<@{planned.to_user_id if planned.to_user_id is not None else incident.owner_id}>",
        "incident": heading(incident),
        "last_update": dated(state.last_update_at, language, zone, now),
        "due": dated(state.next_update_at, language, zone, now) if state.next_update_at else "—",
        "eta": format_datetime(state.eta, language, zone, now) if state.eta else "—",
        "count": state.consecutive_nudges,
    }
    users = [planned.to_user_id] if planned.to_user_id is not None else []
    return {
        "content": catalogue.render(language, planned.message_id, **words),
        "allowed_mentions": {"parse": [], "users": users, "roles": []},
    }
