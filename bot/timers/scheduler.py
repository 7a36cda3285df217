"""Timers over database rows: one component, two drivers.

The database row is always the truth (a timer's owner re-registers its pending rows at start-up); this component
only wakes the owner at the right instant. With the system clock the wake-ups are APScheduler 3 date jobs
(in memory, rebuilt from the rows at start-up; `misfire_grace_time=None` and `coalesce=True` so a job that came
due while the loop was busy still runs, once). With a simulated clock (tests, the demo) the same jobs are driven
by the clock: they run when the clock reaches them, however far it jumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.timers.clock import Clock, SystemClock
from bot.timers.tasks import cancel

log = logging.getLogger(__name__)

JobCallback = Callable[[], Awaitable[None]]

# APScheduler refuses bound methods and lambdas in persistent stores; keeping callbacks in a registry keyed by
# job id keeps the jobs themselves plain (module-level function + id), whichever store is used.
_callbacks: dict[str, JobCallback] = {}


async def _run_registered(job_id: str) -> None:
    callback = _callbacks.pop(job_id, None)
    if callback is None:
        return
    try:
        await callback()
    except Exception:
        log.exception("scheduler: job %s failed", job_id)


class Scheduler:
    """Runs `callback` once the clock reaches `when`; scheduling the same id again replaces the earlier job."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._use_apscheduler = isinstance(clock, SystemClock)
        self._aps: AsyncIOScheduler | None = None
        self._heap: list[tuple[datetime, int, str]] = []
        self._due: dict[str, datetime] = {}
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: str | None = None  # the clock driver's job being run

    @property
    def driver(self) -> str:
        return "apscheduler" if self._use_apscheduler else "clock"

    def pending(self) -> int:
        if self._aps is not None:
            return len(self._aps.get_jobs())
        return len(self._due)

    def due_by(self, when: datetime) -> bool:
        """A job due at or before `when` is still waiting, or running."""
        if self._aps is not None:
            return any(job.next_run_time is not None and job.next_run_time <= when for job in self._aps.get_jobs())
        return self._running is not None or any(due <= when for due in self._due.values())

    async def start(self) -> None:
        if self._use_apscheduler:
            self._aps = AsyncIOScheduler(
                timezone="UTC",
                job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )
            self._aps.start()
        else:
            self._task = asyncio.create_task(self._drive(), name="tocsin-scheduler")

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
        await cancel(self._task)

    def schedule(self, job_id: str, when: datetime, callback: JobCallback) -> None:
        if when.tzinfo is None:
            raise ValueError("scheduler times must be aware")
        _callbacks[job_id] = callback
        if self._aps is not None:
            self._aps.add_job(_run_registered, "date", run_date=when, args=[job_id], id=job_id, replace_existing=True)
            return
        self._due[job_id] = when
        heapq.heappush(self._heap, (when, next(self._order), job_id))
        self._changed.set()

    def cancel(self, job_id: str) -> None:
        _callbacks.pop(job_id, None)
        if self._aps is not None:
            with contextlib.suppress(Exception):
                self._aps.remove_job(job_id)
            return
        self._due.pop(job_id, None)
        self._changed.set()

    async def _drive(self) -> None:
        while True:
            self._changed.clear()
            while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
                heapq.heappop(self._heap)  # replaced or cancelled
            if not self._heap:
                await self._changed.wait()
                continue
            when, _, job_id = self._heap[0]
            sleeper = asyncio.create_task(self._clock.sleep_until(when))
            changed = asyncio.create_task(self._changed.wait())
            done, pending = await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if sleeper in done and self._due.get(job_id) == when:
                heapq.heappop(self._heap)
                del self._due[job_id]
                self._running = job_id
                try:
                    await _run_registered(job_id)
                finally:
                    self._running = None
