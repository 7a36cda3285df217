"""The timers belong to no cog (bot/timers/registry.py): with the reminders cog failing to load, the bot still
registers the pending reminders and nudges when it starts, and fires each at its time.

A real bot on a real SQLite file, started without Discord (its outbox worker stays idle: the rows it would deliver
are what the test reads), its scheduler driven by a manual clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import app
from bot.storage.store import Store
from tests.services.manual_timers import fetch_one, reminders_service
from tests.services.test_lifecycle import ANNE, CERP, NOW, lifecycle
from tests.unit.idle_bot import CALL_THE_DSI, idle_bot
from tests.unit.test_scheduler import ManualClock

BROKEN = "tests.unit.broken_extension"


async def test_a_reminder_and_a_nudge_fire_when_the_reminders_cog_fails_to_load(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the start: a reminder due in 10 minutes, and a critical incident whose owner is nudged after 1 h.
    reminder = await reminders_service(store).ask(CALL_THE_DSI, now=NOW)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)

    monkeypatch.setattr(app, "COGS", tuple(BROKEN if name == "cogs.reminders" else name for name in app.COGS))
    clock = ManualClock(NOW)
    bot, woken = idle_bot(store, clock, monkeypatch)
    try:
        await bot.setup_hook()
        assert bot.failed_cogs == [BROKEN]
        assert bot.get_cog("ReminderCog") is None and bot.get_cog("Outage") is not None
        startup = bot.services.timers.startup
        assert startup is not None
        await startup
        assert await fetch_one(store, "SELECT status FROM reminders WHERE id = ?", reminder.id) == ("pending",)
        assert await fetch_one(store, "SELECT consecutive_nudges FROM incident_nudges WHERE incident_id = 1") == (0,)

        woken.clear()
        await clock.move_to(reminder.due_at)
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert await fetch_one(store, "SELECT status FROM reminders WHERE id = ?", reminder.id) == ("done",)

        woken.clear()
        await clock.move_to(NOW + timedelta(hours=1))
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert await fetch_one(store, "SELECT consecutive_nudges FROM incident_nudges WHERE incident_id = 1") == (1,)
    finally:
        await bot.close()
