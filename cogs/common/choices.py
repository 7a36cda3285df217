"""Choices that several commands offer (the same words in /outage and /export), defined once, and how every
command declares its choices: their English by value, their French at `cmd.<command>.choice.<value>` (the
convention of cogs/common/options.py)."""

from __future__ import annotations

from discord import app_commands

from bot.interactions.translator import text


def shared_choices(command: str, **english: str) -> list[app_commands.Choice[str]]:
    """The choices of an option of `/command` (its full name; or of the commands of that group), in this order,
    by value."""
    ids = "cmd." + command.replace(" ", ".").replace("-", "_")
    return [
        app_commands.Choice(name=text(name, f"{ids}.choice.{value}"), value=value) for value, name in english.items()
    ]


SEVERITY_CHOICES = shared_choices("outage", critical="critical", major="major", minor="minor")
LIST_STATUS_CHOICES = shared_choices("outage", open="open", resolved="resolved", cancelled="cancelled", all="all")
