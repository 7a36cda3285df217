"""Where Tocsin's notion of "now" comes from: the system clock, or a Discord double's simulated clock.

Domain time (timestamps, due reminders, nudges) always comes from a `Clock`. Pacing, retries and back-off use
real monotonic time (`asyncio.sleep`), never the clock: a simulated clock may stand still or jump by days.

The double's clock protocol (served by `bot.sandbox`):
  GET {clock_url}                     -> {"now": "<ISO 8601 UTC>", "epoch": <int>, "asked": <int>}
  GET {clock_url}?wait_after=<epoch>&asked_after=<asked>
                                      -> same body, answered once the epoch or `asked` is greater than the one
                                         given (or after about 25 s with the current values, to keep the poll
                                         alive)
  POST {clock_url}/caught-up {"epoch": <int>, "asked": <int>}
                                      -> 204: the follower has caught up with that epoch (below)
Every move of the simulated clock increases the epoch by one; `asked` counts the times a driver (a test, a
bench, the demo) asked whether the bot has caught up. The follower answers, for the latest epoch and question
it has heard, once it has caught up: it has seen that epoch's time, every timer due by then has run, and what
they, and the interactions answered before, queued is sent, or held by Discord (bot/timers/caught_up.py). A
driver waits for that answer instead of guessing from what Discord saw; with the system clock nobody asks.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from bot.timers.tasks import cancel

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now()` has reached `when` (at once if it already has)."""
        ...

    async def catch_up(self) -> None:
        """An event has arrived: read the time from the source again before it is handled (a clock that follows
        another may not have heard of its latest move yet)."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:  # noqa: ASYNC110 - polls a moving wall clock
            # Sleep in slices so a wall-clock jump (NTP, DST irrelevant in UTC) is noticed within a minute.
            await asyncio.sleep(min(delay, 60.0))

    async def catch_up(self) -> None:
        return None  # the wall clock is always current

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class FollowingClock:
    """Follows a Discord double's simulated clock by long-polling it; wakes sleepers when it moves."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._now: datetime | None = None
        self._epoch = -1
        self._asked = -1
        self._moved = asyncio.Condition()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        if self._now is None:
            raise RuntimeError("FollowingClock.start() must run before now() is read")
        return self._now

    @property
    def heard(self) -> tuple[int, int]:
        """The latest epoch and the latest count of questions heard from the double."""
        return self._epoch, self._asked

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        await self._poll_once(wait=False)
        self._task = asyncio.create_task(self._follow(), name="tocsin-following-clock")

    async def close(self) -> None:
        await cancel(self._task)
        if self._session is not None:
            await self._session.close()

    async def sleep_until(self, when: datetime) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self.now() >= when)

    async def wait_news(self, after: tuple[int, int]) -> tuple[int, int]:
        """Returns what was heard once it differs from `after` (an epoch and a count of questions)."""
        async with self._moved:
            await self._moved.wait_for(lambda: self.heard != after)
            return self.heard

    async def catch_up(self) -> None:
        # The double moves its clock, then creates the interaction; the long-poll answer about that move may
        # still be on its way when the interaction arrives, so the time is asked for once more. Unreachable, the
        # last known time serves, as it does for the follower (the interaction must not fail for it).
        try:
            await self._poll_once(wait=False)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "clock: could not reach the double's clock (%s); keeping the last known time", type(exc).__name__
            )

    async def tell_caught_up(self, epoch: int, asked: int) -> None:
        """Says to the double that the bot has caught up with `epoch`, having heard `asked` questions."""
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=10)
        body = {"epoch": epoch, "asked": asked}
        async with self._session.post(f"{self._url}/caught-up", json=body, timeout=timeout) as response:
            response.raise_for_status()

    async def _poll_once(self, *, wait: bool) -> None:
        assert self._session is not None
        params = {"wait_after": str(self._epoch), "asked_after": str(self._asked)} if wait else {}
        timeout = aiohttp.ClientTimeout(total=40)
        async with self._session.get(self._url, params=params, timeout=timeout) as response:
            response.raise_for_status()
            body = await response.json()
        now = datetime.fromisoformat(body["now"]).astimezone(UTC)
        epoch, asked = int(body["epoch"]), int(body.get("asked", -1))
        async with self._moved:
            # Two polls may cross (the long-poll and an interaction's catch-up): an older answer arriving last
            # must not move the clock back.
            if epoch >= self._epoch:
                self._now, self._epoch = now, epoch
            self._asked = max(self._asked, asked)
            self._moved.notify_all()

    async def _follow(self) -> None:
        while True:
            try:
                await self._poll_once(wait=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the double may be restarting; keep the last known time meanwhile
                log.warning("clock: could not reach the double's clock (%s); retrying", type(exc).__name__)
                await asyncio.sleep(0.5)
