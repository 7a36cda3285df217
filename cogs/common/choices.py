"""Choices that several commands offer (the same words in /outage and /export), defined once."""

from __future__ import annotations

from discord import app_commands

from bot.interactions.translator import text

SEVERITY_CHOICES = [
    app_commands.Choice(name=text("critical", "cmd.outage.choice.critical"), value="critical"),
    app_commands.Choice(name=text("major", "cmd.outage.choice.major"), value="major"),
    app_commands.Choice(name=text("minor", "cmd.outage.choice.minor"), value="minor"),
]

LIST_STATUS_CHOICES = [
    app_commands.Choice(name=text("open", "cmd.outage.choice.open"), value="open"),
    app_commands.Choice(name=text("resolved", "cmd.outage.choice.resolved"), value="resolved"),
    app_commands.Choice(name=text("cancelled", "cmd.outage.choice.cancelled"), value="cancelled"),
    app_commands.Choice(name=text("all", "cmd.outage.choice.all"), value="all"),
]
