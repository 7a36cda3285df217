"""Webhook rows in the worker: paced apart from Discord (a Discord backlog or a global 429 pause never holds them up,
and they spend none of its budget), retried past the worker's attempt cap while their transport says so, and
their end reported to the webhooks feature in the unit of work that records it."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import aiosqlite

from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, KindsTransport, Outcome, RetryLater
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord
from tests.delivery.test_worker import NOW, queue_sends, worker_for


class FakeReceiver:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.delivered: list[tuple[str, float]] = []

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        context.sending()
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            return RetryLater("webhook: HTTP 500", 0.001, own_limit=True)
        self.delivered.append((str(delivery.payload["key"]), time.monotonic()))
        return Delivered({"status": 204})


async def queue_hooks(store: Store, count: int) -> None:
    async with store.unit_of_work() as conn:
        for i in range(count):
            payload = {"webhook_id": 1, "incident_id": 1, "event": "incident_updated", "key": f"k{i}", "body": "{}"}
            await outbox.enqueue(
                conn, guild_id=1, lane=outbox.webhook_lane(1, 1), kind=OutboxKind.SEND_WEBHOOK, payload=payload, now=NOW
            )


async def test_webhooks_pass_a_discord_backlog_and_a_global_pause_and_spend_none_of_its_budget(store: Store) -> None:
    pause = 2.0
    discord = FakeDiscord(faults={5: [RetryLater("rate_limited_global", pause, is_global=True)]})
    hooks = FakeReceiver()
    await queue_sends(store, 5, 1)
    await queue_sends(store, 6, 20)  # at one request a second, a 20 s backlog for Discord
    await queue_hooks(store, 5)
    worker = worker_for(
        store, KindsTransport(discord, {OutboxKind.SEND_WEBHOOK: hooks}), global_rate=1.0, global_burst=1.0
    )
    started = time.monotonic()
    await worker.start()
    try:
        while len(hooks.delivered) < 5 and time.monotonic() - started < 10:
            await worker.drain(0.05)
    finally:
        await worker.stop()
    assert [key for key, _ in hooks.delivered] == [f"k{i}" for i in range(5)]
    assert max(at for _, at in hooks.delivered) - started < 1.0, "no webhook waited on Discord's budget or pause"
    assert len(discord.attempt_times) <= 3, "Discord's budget went on at its own pace"


async def test_a_webhook_retried_past_the_attempt_cap_and_its_end_reported(store: Store) -> None:
    hooks = FakeReceiver(failures=15)
    reported: list[tuple[int, str | None]] = []

    async def outcome(
        conn: aiosqlite.Connection, delivery: Delivery, *, status: int | None, text: str | None, now: datetime
    ) -> None:
        async with conn.execute("SELECT status FROM outbox WHERE id = ?", (delivery.id,)) as cursor:
            row: Any = await cursor.fetchone()
        assert row[0] == "done", "reported in the unit of work that records the outcome"
        reported.append((int(delivery.payload["webhook_id"]), text))

    await queue_hooks(store, 1)
    worker = worker_for(
        store, KindsTransport(FakeDiscord(), {OutboxKind.SEND_WEBHOOK: hooks}), max_attempts=3, webhook_outcome=outcome
    )
    await worker.start()
    try:
        assert await worker.drain(10)
    finally:
        await worker.stop()
    assert hooks.attempts == 16 and [key for key, _ in hooks.delivered] == ["k0"]
    assert reported == [(1, None)]
