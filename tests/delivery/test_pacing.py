from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

from bot.delivery import outbox
from bot.delivery.pacing import ChannelPacer, SlidingWindow, TokenBucket
from bot.delivery.worker import OutboxWorker, _LaneContext
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class VirtualTime:
    """Time for several concurrent sleepers: `sleep` parks until the clock reaches its end; `run` moves the clock to
    the earliest end whenever every task is parked (FakeTime would add up sleeps that overlap)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._parked: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._parked, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *steps: Awaitable[Any]) -> None:
        tasks = [asyncio.ensure_future(step) for step in steps]
        while not all(task.done() for task in tasks):
            for _ in range(50):  # every task runs until it parks or ends
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            assert self._parked, "a task waits for something other than time"
            wake, _, future = heapq.heappop(self._parked)
            self.now = max(self.now, wake)
            future.set_result(None)
        for task in tasks:
            task.result()


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_token_bucket_respects_the_rate_after_its_burst() -> None:
    clock = FakeTime()
    bucket = TokenBucket(45.0, 5.0, monotonic=clock.monotonic, sleep=clock.sleep)
    times: list[float] = []
    for _ in range(455):
        await bucket.acquire()
        times.append(clock.now)
    assert times[:5] == [0.0] * 5  # the burst goes at once
    assert abs(times[-1] - 450 / 45.0) < 1e-6  # then exactly 45 a second
    assert most_in_any_window(times, 1.0) <= 5 + 45


async def test_sliding_window_never_exceeds_its_limit() -> None:
    clock = FakeTime()
    window = SlidingWindow(5, 5.0, monotonic=clock.monotonic, sleep=clock.sleep)
    times: list[float] = []
    for _ in range(23):
        await window.acquire()
        times.append(clock.now)
    assert most_in_any_window(times, 5.0) == 5
    assert times[5] == 5.0 and times[-1] == 20.0


async def test_channels_are_paced_separately_and_concurrent_waiters_share_one_window() -> None:
    clock = FakeTime()
    pacer = ChannelPacer(5, 5.0, monotonic=clock.monotonic, sleep=clock.sleep)
    stamps: dict[int, list[float]] = {1: [], 2: []}

    async def send(channel: int) -> None:
        await pacer.acquire(channel)
        stamps[channel].append(clock.now)

    await asyncio.gather(*(send(1) for _ in range(10)))
    assert most_in_any_window(stamps[1], 5.0) <= 5
    before = clock.now
    await asyncio.gather(*(send(2) for _ in range(5)))
    assert stamps[2] == [before] * 5  # channel 1's waiting did not slow channel 2


async def test_a_token_is_spent_when_the_request_leaves_not_while_it_queues_elsewhere() -> None:
    """The DM pace (5/s, burst 1) in front of a global budget busy for the first second (a fan-out of channel
    messages holding it, or a global 429): the DMs must leave 0.2 s apart, at the configured rate."""
    clock = VirtualTime()
    dm_pace = TokenBucket(5.0, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    left: list[float] = []

    async def global_budget() -> None:
        if clock.now < 1.0:
            await clock.sleep(1.0 - clock.now)

    async def dm() -> None:
        await dm_pace.acquire(then=global_budget)
        left.append(clock.now)

    await clock.run(*(dm() for _ in range(11)))
    gaps = [b - a for a, b in itertools.pairwise(left)]
    assert left[0] == 1.0 and min(gaps) >= 0.2 - 1e-9, left
    assert abs(left[-1] - (1.0 + 10 / 5.0)) < 1e-6  # the steady rate is the configured one
    assert most_in_any_window(left, 1.0 - 1e-6) <= 5


async def test_spending_the_token_before_queueing_elsewhere_lets_a_burst_through() -> None:
    """The old order, for the record: tokens spent during the busy second, then five DMs leave together."""
    clock = VirtualTime()
    dm_pace = TokenBucket(5.0, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    left: list[float] = []

    async def dm() -> None:
        await dm_pace.acquire()
        if clock.now < 1.0:
            await clock.sleep(1.0 - clock.now)
        left.append(clock.now)

    await clock.run(*(dm() for _ in range(11)))
    assert left[:6] == [1.0] * 6  # what bench/fanout.py measured as dm_pace_ratio=1.10


def paced_worker(store: Store, clock: VirtualTime) -> OutboxWorker:
    return OutboxWorker(
        store, FakeDiscord(), FixedClock(), dm_rate_per_s=5.0, monotonic=clock.monotonic, sleep=clock.sleep
    )


async def test_the_worker_spaces_dms_by_when_they_leave(store: Store) -> None:
    """Through the worker: a global pause (a global 429) holds every request for the first second while eleven
    DMs queue. They must leave 0.2 s apart (TOCSIN_DM_RATE=5), not five together when the pause ends."""
    clock = VirtualTime()
    worker = paced_worker(store, clock)
    worker._paused_until = 1.0
    opened: list[float] = []
    sent: list[float] = []

    async def dm(user: int) -> None:
        context = _LaneContext(worker, outbox.dm_lane(user))
        await context.before_request()  # opening the DM channel
        opened.append(clock.now)
        await context.before_request(message_channel_id=1000 + user)  # the message
        sent.append(clock.now)

    await clock.run(*(dm(user) for user in range(1, 12)))
    gaps = [b - a for a, b in itertools.pairwise(opened)]
    assert opened[0] == 1.0 and min(gaps) >= 0.2 - 1e-9, opened
    assert abs(opened[-1] - 3.0) < 1e-6, "and no slower than the rate"
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 0.2 - 1e-9, sent


async def test_a_dm_message_held_up_after_its_channel_opened_does_not_leave_with_the_next_dm(store: Store) -> None:
    """DM 1 opens its channel at once; then the global budget is held for a second (a channel fan-out) and its
    message waits. DM 2 opens 0.2 s after DM 1 opened, behind the same wait: the two messages must still leave
    0.2 s apart, not together when the wait ends."""
    clock = VirtualTime()
    worker = paced_worker(store, clock)
    sent: dict[int, float] = {}

    async def message(context: _LaneContext, user: int) -> None:
        await context.before_request(message_channel_id=1000 + user)
        sent[user] = clock.now

    first = _LaneContext(worker, outbox.dm_lane(1))
    await clock.run(first.before_request())
    worker._paused_until = 1.0

    async def second() -> None:
        context = _LaneContext(worker, outbox.dm_lane(2))
        await context.before_request()
        await message(context, 2)

    await clock.run(message(first, 1), second())
    assert sent[1] == 1.0 and sent[2] >= 1.2 - 1e-9, sent


async def test_a_dm_to_a_known_channel_is_one_request_paced_once(store: Store) -> None:
    """A DM whose channel is remembered is its message alone: one token of each pace, spent together."""
    clock = VirtualTime()
    worker = paced_worker(store, clock)
    sent: list[float] = []

    async def dm(user: int) -> None:
        await _LaneContext(worker, outbox.dm_lane(user)).before_request(message_channel_id=1000 + user)
        sent.append(clock.now)

    await clock.run(*(dm(user) for user in range(1, 7)))
    assert [round(t, 6) for t in sent] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


async def test_a_request_that_goes_first_takes_the_next_token_ahead_of_the_queue() -> None:
    """A board's edit (at most one a second per board) must not wait behind a backlog of posts: it takes the next
    token, the queue the one after, and the rate stays the bucket's."""
    clock = VirtualTime()
    bucket = TokenBucket(10.0, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    left: list[tuple[str, float]] = []

    async def queued(n: int) -> None:
        await bucket.acquire()
        left.append((f"post{n}", clock.now))

    async def first() -> None:
        await clock.sleep(0.35)
        await bucket.take_first()
        left.append(("board", clock.now))

    await clock.run(*(queued(n) for n in range(20)), first())
    board_at = dict(left)["board"]
    assert board_at <= 0.35 + 0.1 + 1e-9, left  # the next token after it asked, not after the 16 posts still queued
    times = sorted(t for _, t in left)
    assert most_in_any_window(times, 1.0) <= 1 + 10
