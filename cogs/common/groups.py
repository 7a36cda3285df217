"""Command groups (`/outage`, `/setup`, `/tocsin`): offered in servers only, never in direct messages."""

from __future__ import annotations

from typing import Any

from discord import app_commands


def server_group(
    name: app_commands.locale_str, description: app_commands.locale_str, **more: Any
) -> app_commands.Group:
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        **more,
    )
