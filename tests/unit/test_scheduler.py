from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.timers.clock import SystemClock
from bot.timers.scheduler import Scheduler


class ManualClock:
    """A clock moved by hand, like the double's simulated clock."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def move_to(self, when: datetime) -> None:
        async with self._moved:
            self._now = when
            self._moved.notify_all()

    async def sleep_until(self, when: datetime) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= when)

    async def catch_up(self) -> None:
        return None  # moved by hand only

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


START = datetime(2024, 10, 19, 10, 0, tzinfo=UTC)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_clock_driven_jobs_fire_in_order_when_the_clock_jumps_past_them() -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    assert scheduler.driver == "clock"
    fired: list[str] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def record() -> None:
            fired.append(name)

        return record

    await scheduler.start()
    scheduler.schedule("b", START + timedelta(hours=2), recorder("b"))
    scheduler.schedule("a", START + timedelta(hours=1), recorder("a"))
    scheduler.schedule("later", START + timedelta(days=3), recorder("later"))
    await settle()
    assert fired == []
    await clock.move_to(START + timedelta(hours=5))
    await settle()
    assert fired == ["a", "b"]
    assert scheduler.pending() == 1
    await scheduler.stop()


async def test_rescheduling_replaces_and_cancel_removes() -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    fired: list[str] = []

    async def first() -> None:
        fired.append("first")

    async def second() -> None:
        fired.append("second")

    await scheduler.start()
    scheduler.schedule("job", START + timedelta(minutes=10), first)
    scheduler.schedule("job", START + timedelta(minutes=30), second)
    scheduler.schedule("gone", START + timedelta(minutes=5), first)
    scheduler.cancel("gone")
    await clock.move_to(START + timedelta(minutes=20))
    await settle()
    assert fired == []
    await clock.move_to(START + timedelta(minutes=30))
    await settle()
    assert fired == ["second"]
    await scheduler.stop()


async def test_a_failing_job_does_not_stop_the_others() -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    fired: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        fired.append("fine")

    await scheduler.start()
    scheduler.schedule("broken", START + timedelta(seconds=1), broken)
    scheduler.schedule("fine", START + timedelta(seconds=2), fine)
    await clock.move_to(START + timedelta(seconds=3))
    await settle()
    assert fired == ["fine"]
    await scheduler.stop()


async def test_system_clock_uses_apscheduler_and_fires_overdue_jobs() -> None:
    scheduler = Scheduler(SystemClock())
    assert scheduler.driver == "apscheduler"
    done = asyncio.Event()
    overdue = asyncio.Event()

    async def soon() -> None:
        done.set()

    async def was_due() -> None:
        overdue.set()

    await scheduler.start()
    now = datetime.now(UTC)
    scheduler.schedule("soon", now + timedelta(milliseconds=50), soon)
    scheduler.schedule("overdue", now - timedelta(minutes=10), was_due)
    await asyncio.wait_for(done.wait(), timeout=5)
    await asyncio.wait_for(overdue.wait(), timeout=5)
    await scheduler.stop()


def test_naive_times_are_refused() -> None:
    scheduler = Scheduler(ManualClock(START))

    async def nothing() -> None:
        return None

    with pytest.raises(ValueError):
        scheduler.schedule("x", datetime(2024, 10, 19, 10, 0), nothing)
