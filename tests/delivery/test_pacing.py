from __future__ import annotations

import asyncio

from bot.delivery.pacing import ChannelPacer, SlidingWindow, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


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
