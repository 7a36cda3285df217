"""Edits that ask for a pace (a report card's, `pace_s`) leave at least that long after the previous edit of the
same message, on monotonic time; other messages' edits and unpaced edits are not held."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, Outcome
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock
from tests.delivery.test_pacing import VirtualTime

NOW = datetime(2024, 10, 19, 10, 20, tzinfo=UTC)


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
        worker._note_edit(delivery)  # answered at once

    await clock.run(deliver(edit(1, "a", pace_s=1.0)))
    await clock.run(deliver(edit(2, "a", pace_s=1.0)), deliver(edit(3, "b", pace_s=1.0)), deliver(edit(4, "a")))
    await clock.run(deliver(edit(5, "a", pace_s=1.0)))
    assert sorted(left) == [(1, 0.0), (2, 1.0), (3, 0.0), (4, 0.0), (5, 2.0)], left


async def test_the_pace_runs_from_when_the_previous_edit_was_answered(store: Store) -> None:
    """An edit held up after its pace (by the global budget, a slow answer) pushes the next one back as much: Discord
    never receives two edits of one card closer than the pace."""
    clock = VirtualTime()
    worker = OutboxWorker(store, FakeDiscord(), FixedClock(), monotonic=clock.monotonic, sleep=clock.sleep)
    left: list[float] = []

    async def slow(delivery: Delivery) -> None:
        await worker._wait_for_edit_pace(delivery)
        await clock.sleep(0.4)  # waiting for the budget, then Discord's answer
        left.append(clock.now)
        worker._note_edit(delivery)

    await clock.run(slow(edit(1, "a", pace_s=1.0)))
    await clock.run(slow(edit(2, "a", pace_s=1.0)))
    assert [round(t, 6) for t in left] == [0.4, 1.8], left


class RecordingDiscord:
    """Answers every edit at once and notes when each arrived, and with what."""

    def __init__(self) -> None:
        self.edits: list[tuple[float, str]] = []

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        await context.before_request()
        self.edits.append((time.monotonic(), str(delivery.payload["content"])))
        return Delivered({"message_id": str(delivery.payload["message_id"])})


async def test_a_card_lane_waits_out_the_pace_then_sends_only_the_latest_edit(store: Store) -> None:
    discord = RecordingDiscord()
    worker = OutboxWorker(store, discord, FixedClock(), poll_s=0.05)
    nobody = {"parse": [], "users": [], "roles": []}

    async def edit_card(content: str) -> None:
        async with store.unit_of_work() as conn:
            await outbox.enqueue(
                conn,
                guild_id=1,
                lane="reports:1:7",
                kind=OutboxKind.EDIT_MESSAGE,
                payload={
                    "channel_id": 5,
                    "message_id": 99,
                    "content": content,
                    "allowed_mentions": nobody,
                    "pace_s": 0.3,
                },
                coalesce_key=outbox.edit_coalesce_key(5, "row1"),
                now=NOW,
            )
        worker.wake()

    await worker.start()
    try:
        await edit_card("1 report")
        assert await worker.drain(5)
        for count in (2, 3, 4):
            await edit_card(f"{count} reports")
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert [content for _, content in discord.edits] == ["1 report", "4 reports"], discord.edits
    assert discord.edits[1][0] - discord.edits[0][0] >= 0.3
