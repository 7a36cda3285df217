from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.delivery import outbox
from bot.delivery.outbox import Delivery
from bot.delivery.transport import DeliveryContext, Failed, Outcome, RetryLater
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
NOBODY: dict[str, Any] = {"parse": [], "users": [], "roles": []}


def worker_for(store: Store, discord: FakeDiscord, **options: Any) -> OutboxWorker:
    defaults: dict[str, Any] = {
        "global_rate": 1000.0,
        "global_burst": 100.0,
        "channel_messages": 100,
        "backoff": (0.005, 0.02),
        "poll_s": 0.05,
    }
    return OutboxWorker(store, discord, FixedClock(), **{**defaults, **options})


async def queue_sends(store: Store, channel_id: int, count: int, prefix: str = "m") -> list[int]:
    async with store.unit_of_work() as conn:
        return [
            await outbox.enqueue(
                conn,
                guild_id=1,
                lane=outbox.channel_lane(channel_id),
                kind="send_message",
                payload={"channel_id": channel_id, "content": f"{prefix}{i}", "allowed_mentions": NOBODY},
                now=NOW,
            )
            for i in range(count)
        ]


async def statuses(store: Store, lane: str) -> list[str]:
    async with store.reading() as conn:
        return [row.status for row in await outbox.rows_of_lane(conn, lane)]


async def test_order_within_a_lane(store: Store) -> None:
    discord = FakeDiscord()
    await queue_sends(store, 5, 10)
    worker = worker_for(store, discord)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert discord.contents(5) == [f"m{i}" for i in range(10)]
    assert worker.counters.delivered == 10


async def test_lanes_run_in_parallel(store: Store) -> None:
    discord = FakeDiscord(delay_s=0.05)
    for channel in range(1, 11):
        await queue_sends(store, channel, 2)
    worker = worker_for(store, discord)
    started = time.monotonic()
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    elapsed = time.monotonic() - started
    assert discord.max_in_flight > 1
    assert elapsed < 10 * 2 * 0.05  # serial delivery would take a second
    for channel in range(1, 11):
        assert discord.contents(channel) == ["m0", "m1"]


async def test_retry_after_retry_later_uses_the_same_nonce(store: Store) -> None:
    discord = FakeDiscord(faults={5: [RetryLater("server_error_502"), RetryLater("rate_limited", 0.01)]})
    [row] = await queue_sends(store, 5, 1)
    worker = worker_for(store, discord)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert discord.attempts == [(5, f"o{row}")] * 3
    assert discord.contents(5) == ["m0"]
    assert worker.counters.retried == 2


async def test_a_lost_response_does_not_duplicate(store: Store) -> None:
    discord = FakeDiscord(faults={5: ["lose"]})
    await queue_sends(store, 5, 2)
    worker = worker_for(store, discord)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert len(discord.attempts) == 3
    assert discord.contents(5) == ["m0", "m1"]


async def test_permanent_failure_is_recorded_and_not_retried(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    discord = FakeDiscord(faults={5: [Failed(403, 50013, "Missing Permissions")]})
    [failed, _after] = await queue_sends(store, 5, 2)
    await queue_sends(store, 6, 1)
    worker = worker_for(store, discord)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    async with store.reading() as conn:
        row = await outbox.get(conn, failed)
    assert row is not None and (row.status, row.error_status, row.error_code) == ("failed", 403, 50013)
    assert discord.attempts.count((5, f"o{failed}")) == 1
    assert discord.contents(5) == ["m1"] and discord.contents(6) == ["m0"]
    assert worker.counters.failed == 1
    assert any("channel:5" in r.getMessage() and "50013" in r.getMessage() for r in caplog.records)


async def test_gives_up_after_max_attempts(store: Store) -> None:
    discord = FakeDiscord(faults={5: [RetryLater("server_error_500")] * 10})
    [_row] = await queue_sends(store, 5, 1)
    worker = worker_for(store, discord, max_attempts=3)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert len(discord.attempts) == 3
    assert await statuses(store, "channel:5") == ["failed"]


async def test_restart_resumes_in_flight_rows(store: Store) -> None:
    [first, _second] = await queue_sends(store, 5, 2)
    async with store.unit_of_work() as conn:  # a previous process claimed the first row and was killed
        await outbox.claim_next(conn, "channel:5", now=NOW)
    discord = FakeDiscord()
    worker = worker_for(store, discord)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert discord.contents(5) == ["m0", "m1"]
    assert discord.attempts[0] == (5, f"o{first}")


async def test_wake_picks_up_new_rows_before_the_poll(store: Store) -> None:
    discord = FakeDiscord()
    worker = worker_for(store, discord, poll_s=30.0)
    await worker.start()
    try:
        await queue_sends(store, 5, 1)
        worker.wake()
        assert await worker.drain(1.0)
    finally:
        await worker.stop()
    assert discord.contents(5) == ["m0"]


async def test_a_global_rate_limit_pauses_every_lane(store: Store) -> None:
    pause = 0.3
    discord = FakeDiscord(faults={5: [RetryLater("rate_limited_global", pause, is_global=True)]})
    await queue_sends(store, 5, 1)
    await queue_sends(store, 6, 3)
    limited: list[float] = []
    original = discord.perform

    async def timed(delivery: Any, context: Any) -> Any:
        outcome = await original(delivery, context)
        if isinstance(outcome, RetryLater):
            limited.append(time.monotonic())
        return outcome

    discord.perform = timed  # type: ignore[method-assign]
    # Channel 6 is paced to one message per 0.1 s, so most of its messages come after the 429 on channel 5.
    worker = worker_for(store, discord, channel_messages=1, channel_window_s=0.1)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    [limited_at] = limited
    later = [at for at in discord.attempt_times if at > limited_at]
    assert len(later) >= 2
    assert min(later) >= limited_at + pause * 0.95
    assert discord.contents(6) == ["m0", "m1", "m2"] and discord.contents(5) == ["m0"]


async def test_a_channel_rate_limit_delays_only_that_lane(store: Store) -> None:
    discord = FakeDiscord(faults={5: [RetryLater("rate_limited", 0.5)]})
    await queue_sends(store, 5, 1)
    await queue_sends(store, 6, 3)
    worker = worker_for(store, discord)
    await worker.start()
    try:
        started = time.monotonic()
        while discord.contents(6) != ["m0", "m1", "m2"]:
            assert time.monotonic() - started < 0.4, "channel 6 waited for channel 5's rate limit"
            await worker.drain(0.01)
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert discord.contents(5) == ["m0"]


async def test_stop_leaves_the_rest_pending(store: Store) -> None:
    discord = FakeDiscord()
    await queue_sends(store, 5, 6)
    # One message per second on the channel: the worker stops while waiting for the pace.
    worker = worker_for(store, discord, channel_messages=1, channel_window_s=1.0)
    await worker.start()
    while not discord.posted:
        await worker.drain(0.01)
    await worker.stop()
    assert discord.contents(5) == ["m0"]
    assert await statuses(store, "channel:5") == ["done"] + ["pending"] * 5


async def test_a_stop_while_a_sent_message_is_recorded_waits_for_the_record(store: Store) -> None:
    """The stop comes as Discord answers: the answer is recorded before the worker stops, so the row is done,
    not left in flight to be sent again (a duplicate where no nonce protects it) at the next start."""
    stops: list[asyncio.Task[None]] = []

    class StopsAtTheFirstAnswer(FakeDiscord):
        async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
            outcome = await super().perform(delivery, context)
            if not stops:
                stops.append(asyncio.create_task(worker.stop()))
            return outcome

    discord = StopsAtTheFirstAnswer()
    await queue_sends(store, 5, 2)
    worker = worker_for(store, discord)
    await worker.start()
    async with asyncio.timeout(5):
        while not stops:  # noqa: ASYNC110 (the fake has no event to wait on)
            await asyncio.sleep(0.01)
        await stops[0]
    assert discord.contents(5) == ["m0"]
    assert await statuses(store, "channel:5") == ["done", "pending"]
