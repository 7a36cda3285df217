"""Two admins editing `/setup` at once: each edit keeps what the other one wrote.

`/setup hours` and `/setup cadence` change only the options given and keep the stored value of the others, so
they read the settings before writing them. Both edits here reach their write at the same moment (the store
below holds each unit of work until the other edit has reached its own): whatever an edit read before its
transaction, it read before the other one wrote, and an edit that wrote back what it read would undo the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, time
from typing import Any

from bot.common.actor import Actor
from bot.settings import use_cases as service
from bot.settings.rules.model import Outcome, SetupError
from bot.storage.store import Store

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
GUILD = 1000
SOPHIE = Actor(GUILD, 7)
MARC = Actor(GUILD, 8)


class EditsAtOnce:
    """The store, with every unit of work held until `parties` of them are waiting: the edits write together."""

    def __init__(self, store: Store, parties: int = 2) -> None:
        self._store = store
        self._together = asyncio.Barrier(parties)

    def reading(self) -> AbstractAsyncContextManager[Any]:
        return self._store.reading()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Any]:
        await self._together.wait()
        async with self._store.unit_of_work() as conn:
            yield conn


async def at_once(*edits: Any) -> list[Any]:
    """The edits' outcomes, or the errors they raised, in order."""
    async with asyncio.timeout(30):  # a guard: an edit that never reaches its write would hold the other forever
        return await asyncio.gather(*edits, return_exceptions=True)


async def test_two_admins_moving_the_start_and_the_end_of_the_hours_at_once_both_keep_their_change(
    store: Store,
) -> None:
    both: Any = EditsAtOnce(store)
    outcomes = await at_once(
        service.set_hours(both, SOPHIE, start="08:00", end=None, days=None, now=NOW),
        service.set_hours(both, MARC, start=None, end="18:00", days=None, now=NOW),
    )
    assert all(isinstance(outcome, Outcome) for outcome in outcomes)
    hours = (await service.load_view(store, SOPHIE)).config.hours
    assert (hours.start, hours.end) == (time(8, 0), time(18, 0))


async def test_two_admins_changing_the_days_and_the_holidays_at_once_both_keep_their_change(store: Store) -> None:
    both: Any = EditsAtOnce(store)
    outcomes = await at_once(
        service.set_hours(both, SOPHIE, start=None, end=None, days="lun,mar,mer,jeu,ven,sam", now=NOW),
        service.set_hours(both, MARC, start=None, end=None, days=None, now=NOW, holidays_country="BE"),
    )
    assert all(isinstance(outcome, Outcome) for outcome in outcomes)
    hours = (await service.load_view(store, SOPHIE)).config.hours
    assert (hours.days, hours.holidays_country) == (frozenset({1, 2, 3, 4, 5, 6}), "BE")


async def test_two_admins_changing_two_cadences_at_once_both_keep_their_change(store: Store) -> None:
    both: Any = EditsAtOnce(store)
    outcomes = await at_once(
        service.set_cadence(both, SOPHIE, critical="30 min", major=None, minor=None, now=NOW),
        service.set_cadence(both, MARC, critical=None, major=None, minor="2 j", now=NOW),
    )
    assert all(isinstance(outcome, Outcome) for outcome in outcomes)
    cadence = (await service.load_view(store, SOPHIE)).config.cadence_minutes
    assert cadence == {"critical": 30, "major": 240, "minor": 2880}


async def test_the_order_of_the_cadences_is_checked_against_what_the_other_admin_just_wrote(store: Store) -> None:
    """Critical at 3 h is fine beside the default major (4 h), and major at 2 h beside the default critical (1 h),
    but not both: whichever edit writes second reads the first one's value and is refused."""
    both: Any = EditsAtOnce(store)
    results = await at_once(
        service.set_cadence(both, SOPHIE, critical="3 h", major=None, minor=None, now=NOW),
        service.set_cadence(both, MARC, critical=None, major="2 h", minor=None, now=NOW),
    )
    cadence = (await service.load_view(store, SOPHIE)).config.cadence_minutes
    assert cadence["critical"] <= cadence["major"]
    assert sum(isinstance(r, SetupError) for r in results) == 1
