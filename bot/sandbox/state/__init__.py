"""What the double holds (guilds, channels, threads, roles, members, messages, commands, interactions) and the
actions that change it, with the Discord payloads it serves.

Every action is synchronous and raises `ApiError` with Discord's status and JSON body when Discord would refuse;
it queues the gateway events it causes through `emit` (the async layer sends them in order) and records who
is notified. Shapes follow Discord's documented objects (discord-api-docs `resources/*`), which is also what
discord.py 2.7 parses.

`World` is one object built from one part per resource, each a module of this package: `core` (what is held,
look-ups, permissions), `payloads` (Discord's JSON shapes), `guilds` (guilds, members, roles),
`thread_activity` (auto-archiving, the active-thread cap), `messages` (messages, mentions, notifications, pins),
`channels` (channels, overwrites, threads, DMs), `interactions` and `commands`. A part builds only on those
before it.
"""

from __future__ import annotations

from datetime import datetime

from bot.sandbox.state.channels import Channels
from bot.sandbox.state.commands import Commands
from bot.sandbox.state.guilds import Guilds
from bot.sandbox.state.interactions import Interactions
from bot.sandbox.state.objects import ApiError

__all__ = ["ApiError", "World"]


class World(Guilds, Channels, Interactions, Commands):
    """The state of the simulated Discord and the actions Discord performs on it."""

    def set_time(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("aware datetime required")
        self.now = when
        self.epoch += 1
        self.archive_idle_threads()
        self.changed()
