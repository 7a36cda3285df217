"""A database that cannot be read when the timers are registered (locked, full, failing) delays them but loses
none: registration is tried again until it works, /tocsin about says meanwhile that they are not in place, and
the reminder then fires at its time. A nudge that could not be planned is planned again a minute later."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.common.i18n import LANGUAGES, default_catalogue
from bot.storage.store import Store, StoreError
from bot.timers.registry import timer_kind_word
from tests.services.manual_timers import fetch_one, reminders_service
from tests.services.test_lifecycle import ANNE, CERP, NOW, lifecycle
from tests.unit.idle_bot import CALL_THE_DSI, idle_bot
from tests.unit.test_scheduler import ManualClock


def locked(times: int, original: Any) -> Any:
    """The use case's read, refused `times` times the way the store refuses a locked database."""
    left = [times]

    async def read(*args: Any, **kwargs: Any) -> Any:
        if left[0] > 0:
            left[0] -= 1
            raise StoreError("store.error.write_failed", reason="database is locked")
        return await original(*args, **kwargs)

    return read


async def test_timers_registered_while_the_database_is_locked_are_registered_once_it_is_free(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reminder = await reminders_service(store).ask(CALL_THE_DSI, now=NOW)
    clock = ManualClock(NOW)
    bot, woken = idle_bot(store, clock, monkeypatch)
    services = bot.services
    monkeypatch.setattr(services.reminders, "recover", locked(3, services.reminders.recover))
    told: list[str] = []
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        told.append(default_catalogue().word("fr", services.timers.state()))

    services.timers.pause = pause
    try:
        await bot.setup_hook()
        startup = services.timers.startup
        assert startup is not None
        await startup
        assert pauses == [1.0, 2.0, 5.0]
        assert all("pas encore en place (rappels)" in line for line in told), told
        assert "en place" in default_catalogue().word("fr", services.timers.state())
        assert not services.timers.waiting

        await clock.move_to(reminder.due_at)
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert await fetch_one(store, "SELECT status FROM reminders WHERE id = ?", reminder.id) == ("done",)
    finally:
        await bot.close()


async def test_a_nudge_that_could_not_be_planned_is_planned_again_a_minute_later(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    clock = ManualClock(NOW)
    bot, woken = idle_bot(store, clock, monkeypatch)
    services = bot.services
    monkeypatch.setattr(services.nudging, "tick", locked(1, services.nudging.tick))
    try:
        await bot.setup_hook()
        assert services.timers.startup is not None
        await services.timers.startup
        assert await fetch_one(store, "SELECT count(*) FROM incident_nudges") == (0,)
        woken.clear()
        await clock.move_to(NOW + timedelta(minutes=1))
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert await fetch_one(store, "SELECT count(*) FROM incident_nudges") == (1,)
    finally:
        await bot.close()


async def test_about_names_every_kind_of_timer_not_in_place_in_the_readers_language(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, _ = idle_bot(store, ManualClock(NOW), monkeypatch)
    timers, catalogue = bot.services.timers, default_catalogue()
    try:
        await bot.setup_hook()
        assert timers.startup is not None
        await timers.startup
        kinds = sorted(timers.registrations())
        words = {lang: {kind: catalogue.word(lang, timer_kind_word(kind)) for kind in kinds} for lang in LANGUAGES}
        assert words["fr"]["late updates"] == "mises à jour en retard" and words["en"]["digests"] == "digests"
        for waiting in [{kind} for kind in kinds] + [set(kinds)]:
            timers.waiting = waiting
            for lang in LANGUAGES:
                said = catalogue.word(lang, timers.state())
                assert all(words[lang][kind] in said for kind in waiting), said
                assert "{" not in said
        timers.waiting = set(kinds)
        assert catalogue.word("en", timers.state()).startswith(
            "not in place yet (archiving, boards, digests, late updates, planned maintenance, nudges and reminders)"
        )
    finally:
        timers.waiting = set()
        await bot.close()
