"""An in-memory Discord for the worker: it creates messages, de-duplicates by nonce like Discord, and plays
scripted faults per channel."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, Failed, Outcome, RetryLater


class FixedClock:
    def __init__(self) -> None:
        self._now = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class Posted:
    channel_id: int
    content: str
    nonce: str
    message_id: str


@dataclass
class FakeDiscord:
    """Faults: per channel, a list of what the next requests do: "lose" (act, then the response is lost),
    RetryLater/Failed (refuse without acting)."""

    faults: dict[int, list[Any]] = field(default_factory=dict)
    delay_s: float = 0.0
    posted: list[Posted] = field(default_factory=list)
    attempts: list[tuple[int, str]] = field(default_factory=list)
    attempt_times: list[float] = field(default_factory=list)
    nonces: dict[str, str] = field(default_factory=dict)
    in_flight: dict[int, int] = field(default_factory=dict)
    max_in_flight: int = 0
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        channel_id = int(delivery.payload["channel_id"])
        await context.before_request(message_channel_id=channel_id if delivery.kind == "send_message" else None)
        self.attempts.append((channel_id, delivery.nonce))
        self.attempt_times.append(time.monotonic())
        self.in_flight[channel_id] = self.in_flight.get(channel_id, 0) + 1
        self.max_in_flight = max(self.max_in_flight, sum(1 for v in self.in_flight.values() if v))
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            script = self.faults.get(channel_id)
            fault = script.pop(0) if script else None
            if isinstance(fault, RetryLater | Failed):
                return fault
            if delivery.kind == "send_message":
                message_id = self.nonces.get(delivery.nonce)
                if message_id is None:  # enforce_nonce: a repeated nonce returns the first message
                    message_id = str(next(self.ids))
                    self.nonces[delivery.nonce] = message_id
                    self.posted.append(
                        Posted(channel_id, str(delivery.payload.get("content")), delivery.nonce, message_id)
                    )
                result = {"message_id": message_id, "channel_id": str(channel_id)}
            elif delivery.kind == "edit_message":
                target = str(delivery.payload["message_id"])
                for post in self.posted:
                    if post.message_id == target:
                        post.content = str(delivery.payload.get("content"))
                result = {"message_id": target, "channel_id": str(channel_id)}
            else:
                return Failed(None, None, f"fake does not know {delivery.kind}")
            if fault == "lose":
                return RetryLater("unknown_outcome:timeout")
            return Delivered(result)
        finally:
            self.in_flight[channel_id] -= 1

    def contents(self, channel_id: int) -> list[str]:
        return [p.content for p in self.posted if p.channel_id == channel_id]
