"""Request pacing in real (monotonic) time: a token bucket for the bot's global budget and a sliding window
for Discord's per-channel message-creation limit. Both take their time source and sleep as arguments so tests
run them on fake time."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypedDict, Unpack

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Timing(TypedDict, total=False):
    """What a limiter waits with, real time unless given (tests give fake time)."""

    monotonic: Monotonic
    sleep: Sleep


# Waits are computed in floating point: without a tolerance a wait that rounds to a few ulps could be added
# to a large clock value without changing it, and the waiter would spin.
_EPSILON = 1e-9


class _Limiter:
    """What a limiter waits with: its clock, its sleep, and a lock that serves waiters first come first served."""

    def __init__(self, monotonic: Monotonic = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()  # asyncio.Lock is FIFO: waiters are served in arrival order

    def wait_time(self) -> float:
        """Seconds until the next acquisition may succeed (0 if it may now)."""
        raise NotImplementedError

    async def _wait_turn(self) -> None:
        """Sleeps until `wait_time` is 0; the caller holds the lock."""
        while (wait := self.wait_time()) > 0:
            await self._sleep(wait)


class TokenBucket(_Limiter):
    """`rate_per_s` tokens a second, at most `burst` saved up; `acquire` waits for a token, first come first
    served. Over any interval of t seconds at most `burst + rate_per_s * t` acquisitions succeed (counted when
    each spends its token: after its `then`, if it has one)."""

    def __init__(self, rate_per_s: float, burst: float, **timing: Unpack[Timing]) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least one")
        super().__init__(**timing)
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = float(burst)
        self._updated = self._monotonic()
        self._first_waiting = 0  # requests waiting in `take_first`: the queue lets them have the next token

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 - _EPSILON else max(_EPSILON, (1 - self._tokens) / self.rate_per_s)

    async def _wait_turn(self) -> None:
        while (wait := self.wait_time()) > 0 or self._first_waiting:
            await self._sleep(wait if wait > 0 else 1.0 / self.rate_per_s)

    async def acquire(self, then: Callable[[], Awaitable[None]] | None = None) -> None:
        """Waits for a token, first come first served, and spends it.

        `then` is whatever else the same request must wait for before it leaves (the global budget, a pause):
        the token is spent only once `then` has returned, and the bucket stays held meanwhile. So the time a
        request spends queued elsewhere earns the requests behind it no tokens: what is paced is when requests
        leave, not when they queue (spent before queueing, tokens taken during a long wait elsewhere would let
        the requests behind go out together the moment that wait ends)."""
        async with self._lock:
            await self._wait_turn()
            if then is not None:
                await then()
                self._refill()
            self._tokens = max(0.0, self._tokens - 1)

    async def take_first(self) -> None:
        """Waits for a token ahead of the queue (requests of bounded traffic that must not wait behind a backlog:
        a board's edit, at most one a second per board) and spends it; the queue gets the tokens after it."""
        self._first_waiting += 1
        try:
            while (wait := self.wait_time()) > 0:
                await self._sleep(wait)
            self._tokens = max(0.0, self._tokens - 1)
        finally:
            self._first_waiting -= 1


class SlidingWindow(_Limiter):
    """At most `limit` acquisitions in any `window_s` seconds (Discord's "5 messages per 5 s per channel"; a
    token bucket would allow up to twice that within one window)."""

    def __init__(self, limit: int, window_s: float, **timing: Unpack[Timing]) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a sliding window needs a limit of at least one and a positive length")
        super().__init__(**timing)
        self.limit = limit
        self.window_s = window_s
        self._times: deque[float] = deque()

    def wait_time(self) -> float:
        now = self._monotonic()
        while self._times and self._times[0] <= now - self.window_s + _EPSILON:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return max(_EPSILON, self._times[0] + self.window_s - now)

    @property
    def idle(self) -> bool:
        """True when nothing was acquired within the last window (the limiter can be forgotten)."""
        return self.wait_time() == 0.0 and not self._times

    async def acquire(self) -> None:
        async with self._lock:
            await self._wait_turn()
            self._times.append(self._monotonic())


class ChannelPacer:
    """One sliding window per channel (threads and DM channels count as channels)."""

    def __init__(self, limit: int, window_s: float, **timing: Unpack[Timing]) -> None:
        self.limit = limit
        self.window_s = window_s
        self._timing = timing
        self._windows: dict[int, SlidingWindow] = {}

    async def acquire(self, channel_id: int) -> None:
        window = self._windows.get(channel_id)
        if window is None:
            if len(self._windows) > 1000:
                self._forget_idle()
            window = self._windows[channel_id] = SlidingWindow(self.limit, self.window_s, **self._timing)
        await window.acquire()

    def _forget_idle(self) -> None:
        for channel_id in [c for c, w in self._windows.items() if w.idle and not w._lock.locked()]:
            del self._windows[channel_id]
