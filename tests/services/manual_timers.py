"""A manual clock and the timer wiring of cogs/reminders.py, without Discord: the reminder and nudge services
driven by hand, the way the scheduler drives them with a simulated clock.

`advance_to` is a bot that keeps running: every job runs when the clock reaches its time, in time order.
A stop is modelled by dropping the `Timers` (the jobs were in memory only) and building new services on the same
store; `start` is then what the cog does at start-up (`recover`, then a `tick` of every open incident).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.common.i18n import default_catalogue
from bot.delivery import outbox
from bot.reminders.use_cases.nudging import Nudging
from bot.reminders.use_cases.reminders import Reminders
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store

Job = Callable[[], Awaitable[None]]


class ManualClock:
    """Time moved by the test only; it never goes back."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock reads aware datetimes")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def move_to(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError(f"the clock does not go back ({self._now} → {when})")
        self._now = when

    def move_by(self, delta: timedelta) -> None:
        self.move_to(self._now + delta)


def reminders_service(store: Store) -> Reminders:
    return Reminders(store, default_catalogue(), ServerDefaults())


def nudging_service(store: Store) -> Nudging:
    return Nudging(store, default_catalogue(), ServerDefaults())


@dataclass
class Timers:
    """One job per reminder and one per incident, as cogs/reminders.py keeps them in the scheduler."""

    clock: ManualClock
    reminders: Reminders
    nudging: Nudging
    jobs: dict[str, tuple[datetime, Job]] = field(default_factory=dict)
    fired: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, store: Store, clock: ManualClock) -> Timers:
        return cls(clock, reminders_service(store), nudging_service(store))

    async def start(self) -> None:
        """What the cog does once ready: pending reminders registered again, every open incident ticked."""
        for reminder_id, due_at in await self.reminders.recover():
            self.schedule_reminder(reminder_id, due_at)
        for incident_id in await self.nudging.open_incidents():
            await self.replan(incident_id)

    def schedule_reminder(self, reminder_id: int, when: datetime) -> None:
        async def fire() -> None:
            if await self.reminders.fire(reminder_id, now=self.clock.now()):
                self.fired.append(reminder_id)

        self.jobs[f"reminder:{reminder_id}"] = (when, fire)

    async def replan(self, incident_id: int) -> None:
        """The lifecycle's after-commit hook: the incident's due nudges sent, its one job pointed at the next."""
        due = await self.nudging.tick(incident_id, self.clock.now())
        job = f"nudge:{incident_id}"
        if due is None:
            self.jobs.pop(job, None)
            return

        async def wake() -> None:
            await self.replan(incident_id)

        self.jobs[job] = (due, wake)

    def next_due(self) -> datetime | None:
        return min((when for when, _ in self.jobs.values()), default=None)

    async def advance_to(self, when: datetime) -> None:
        """The clock runs to `when`; each job runs at its own time (or at once when already past), in order."""
        while True:
            due = [(at, job_id) for job_id, (at, _) in self.jobs.items() if at <= when]
            if not due:
                break
            at, job_id = min(due)
            _, job = self.jobs.pop(job_id)
            self.clock.move_to(max(self.clock.now(), at))
            await job()
        self.clock.move_to(when)


async def outbox_rows(store: Store, *, after: int = 0) -> list[outbox.OutboxRow]:
    """Every outbox row with an id above `after`, oldest first."""
    async with store.reading() as conn:
        async with conn.execute("SELECT id FROM outbox WHERE id > ? ORDER BY id", (after,)) as cursor:
            ids = [int(r[0]) for r in await cursor.fetchall()]
        found = [await outbox.get(conn, i) for i in ids]
    return [r for r in found if r is not None]


async def last_outbox_id(store: Store) -> int:
    async with store.reading() as conn, conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def fetch_one(store: Store, sql: str, *args: Any) -> tuple[Any, ...]:
    async with store.reading() as conn, conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    assert row is not None, sql
    return tuple(row)
