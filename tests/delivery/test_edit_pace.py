"""Edits that ask for a pace (a report card's, `pace_s`) leave at least that long after the previous edit of the
same message, on monotonic time; other messages' edits and unpaced edits are not held."""

from __future__ import annotations

from typing import Any

from bot.delivery.outbox import Delivery
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock
from tests.delivery.test_pacing import VirtualTime


def edit(row: int, message_id: str, **more: Any) -> Delivery:
    payload = {"channel_id": 5, "message_id": message_id, "content": f"v{row}", **more}
    return Delivery(row, 1, f"reports:1:{message_id}", "edit_message", payload, 1)


async def test_paced_edits_of_one_message_leave_a_second_apart(store: Store) -> None:
    clock = VirtualTime()
    worker = OutboxWorker(store, FakeDiscord(), FixedClock(), monotonic=clock.monotonic, sleep=clock.sleep)
    left: list[tuple[int, float]] = []

    async def deliver(delivery: Delivery) -> None:
        await worker._wait_for_edit_pace(delivery)
        left.append((delivery.id, clock.now))

    await clock.run(deliver(edit(1, "a", pace_s=1.0)))
    await clock.run(deliver(edit(2, "a", pace_s=1.0)), deliver(edit(3, "b", pace_s=1.0)), deliver(edit(4, "a")))
    await clock.run(deliver(edit(5, "a", pace_s=1.0)))
    assert sorted(left) == [(1, 0.0), (2, 1.0), (3, 0.0), (4, 0.0), (5, 2.0)], left
