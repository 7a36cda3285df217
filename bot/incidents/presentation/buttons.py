"""The buttons under an incident's messages: Follow and "Affected too" (their custom ids say what they do to which
incident, so they work after a restart), and the link to the incident's thread."""

from __future__ import annotations

from typing import Any

from bot.common.i18n.catalogue import Language
from bot.common.limits import CUSTOM_ID
from bot.incidents.presentation.message_parts import button
from bot.incidents.rules.model import Incident

FOLLOW = "follow"
AFFECTED = "affected"
_CUSTOM_ID_PREFIX = "tocsin"


def custom_id(action: str, guild_id: int, number: int) -> str:
    """ "tocsin:follow:<guild>:<number>": what a button does, to which incident, readable after a restart."""
    if action not in (FOLLOW, AFFECTED):
        raise ValueError(f"unknown button action {action!r}")
    value = f"{_CUSTOM_ID_PREFIX}:{action}:{guild_id}:{number}"
    if len(value) > CUSTOM_ID:
        raise ValueError("custom_id too long")
    return value


def parse_custom_id(value: str) -> tuple[str, int, int] | None:
    """(action, guild_id, number) of one of our buttons, or None for anything else (never trusted further:
    the click's guild must be checked against `guild_id` by the caller)."""
    parts = value.split(":")
    if len(parts) != 4 or parts[0] != _CUSTOM_ID_PREFIX or parts[1] not in (FOLLOW, AFFECTED):
        return None
    if not (parts[2].isascii() and parts[2].isdigit() and parts[3].isascii() and parts[3].isdigit()):
        return None
    return parts[1], int(parts[2]), int(parts[3])


def thread_button(language: Language, url: Any) -> dict[str, Any]:
    """A link to the incident's thread (`url` may be a placeholder that the outbox fills in once it exists)."""
    return button(language, "incident.button.thread", 5, url=url)


def buttons(incident: Incident, language: Language, *, url: str | None = None) -> list[dict[str, Any]]:
    """Follow and "affected too" (disabled once the incident is closed), and a link to the thread."""
    closed = not incident.is_open
    row: list[dict[str, Any]] = [
        button(
            language,
            "incident.button.follow",
            1,
            custom_id=custom_id(FOLLOW, incident.guild_id, incident.number),
            disabled=closed,
        ),
        button(
            language,
            "incident.button.affected",
            2,
            custom_id=custom_id(AFFECTED, incident.guild_id, incident.number),
            disabled=closed,
        ),
    ]
    if url is not None:
        row.append(thread_button(language, url))
    return [{"type": 1, "components": row}]
