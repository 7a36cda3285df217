"""A real bot on a real SQLite file, built and set up but never connected to Discord: its outbox worker stays
idle (the rows it would deliver are what the tests read) and an event is set each time a use case wakes it. Its
scheduler follows a manual clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import TocsinBot
from bot.common.i18n import default_catalogue
from bot.config import Settings
from bot.reminders.rules.reminders import AskInput, Where
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, GUILD
from tests.unit.test_scheduler import ManualClock

# A reminder due 10 minutes after it is asked for, by DM.
CALL_THE_DSI = AskInput(
    guild_id=GUILD,
    owner_id=ANNE.user_id,
    when="dans 10 min",
    text="Appeler la DSI",
    where=Where.DM,
    channel_id=555,
    incident_number=None,
)


async def nothing() -> None:
    return None


def idle_bot(store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> tuple[TocsinBot, asyncio.Event]:
    """The bot, and the event its outbox's wake-ups set."""
    bot = TocsinBot(
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
        store=store,
        clock=clock,
        catalogue=default_catalogue(),
    )
    woken = asyncio.Event()
    monkeypatch.setattr(bot.services.outbox, "start", nothing)
    monkeypatch.setattr(bot.services.outbox, "wake", woken.set)
    return bot, woken
