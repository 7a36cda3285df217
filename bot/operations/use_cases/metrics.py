"""The bot's figures for Prometheus (`/metrics`, bot/web/health.py), in a registry of its own.

Counters are kept as things happen: each outbox delivery attempt by kind and result (the outbox's transport,
wrapped once in bot/composition.py), each 429 Discord answered (discord.py's HTTP session, traced), each command's
duration (the operations cog). Gauges are read from the database at each scrape, through a read connection, by
one reader per feature: a feature adds its own with `add_reader` (the reports feature adds its figures there),
and the figure readers never write.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import aiosqlite
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.delivery import outbox
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, Failed, Outcome, RetryLater, Transport
from bot.operations import store as figures
from bot.storage.store import Store

# What a feature gives to be read at each scrape: it sets its own gauges from one read transaction.
Reader = Callable[[aiosqlite.Connection, datetime], Awaitable[None]]

# Command durations, in seconds: Discord's 3 s to answer sits between 2.5 and 5.
COMMAND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.sends = Counter(
            "tocsin_sends", "Outbox delivery attempts by kind and result", ["kind", "result"], registry=registry
        )
        self.rate_limited = Counter(
            "tocsin_discord_rate_limited", "429 answers received from Discord, by scope", ["scope"], registry=registry
        )
        self.commands = Histogram(
            "tocsin_command_duration_seconds",
            "Time from a command's arrival to the end of its handling, completed commands",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "tocsin_outbox_depth", "Outbox rows waiting (pending or in flight)", registry=registry
        )
        self.outbox_oldest = Gauge(
            "tocsin_outbox_oldest_pending_age_seconds",
            "Age of the oldest waiting outbox row (0 when none waits)",
            registry=registry,
        )
        self.outbox_rows = Gauge("tocsin_outbox_rows", "Outbox rows by status", ["status"], registry=registry)
        self.reminders = Gauge("tocsin_reminders", "Reminders by status", ["status"], registry=registry)
        self.nudges_planned = Gauge(
            "tocsin_nudges_planned", "Open incidents whose next nudge is planned", registry=registry
        )
        self.nudges_unanswered = Gauge(
            "tocsin_nudges_unanswered",
            "Nudges sent to owners of open incidents since those incidents' last news",
            registry=registry,
        )
        self.backup_last = Gauge(
            "tocsin_backup_last_success_timestamp_seconds",
            "When the bot's last daily backup was taken (0: none yet)",
            registry=registry,
        )
        self.readers: list[Reader] = [self._read_outbox, self._read_reminders_and_nudges]

    def add_reader(self, reader: Reader) -> None:
        """A feature's figures, read at each scrape (reports: received, groups by state…)."""
        self.readers.append(reader)

    async def render(self, store: Store, *, now: datetime, last_backup_at: datetime | None) -> bytes:
        """The text exposition of every figure, the database's read at this instant."""
        async with store.reading() as conn:
            for read in self.readers:
                await read(conn, now)
        self.backup_last.set(last_backup_at.timestamp() if last_backup_at is not None else 0)
        return generate_latest(self.registry)

    async def _read_outbox(self, conn: aiosqlite.Connection, now: datetime) -> None:
        summary = await outbox.summary(conn)
        self.outbox_depth.set(summary.pending + summary.in_flight)
        oldest = summary.oldest_pending_at
        self.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        for status in ("pending", "in_flight", "done", "failed", "superseded"):
            self.outbox_rows.labels(status).set(getattr(summary, status))

    async def _read_reminders_and_nudges(self, conn: aiosqlite.Connection, now: datetime) -> None:
        counts = await figures.reminders_by_status(conn)
        for status in ("pending", "firing", "done", "cancelled"):
            self.reminders.labels(status).set(counts.get(status, 0))
        planned, unanswered = await figures.nudge_counts(conn)
        self.nudges_planned.set(planned)
        self.nudges_unanswered.set(unanswered)

    # -- counted as it happens

    def command_done(self, command: str, seconds: float) -> None:
        self.commands.labels(command).observe(seconds)

    def counting(self, transport: Transport) -> Transport:
        """The outbox's transport, each attempt's outcome counted by the row's kind."""
        return CountedTransport(transport, self.sends)

    def discord_trace(self) -> aiohttp.TraceConfig:
        """For discord.py's HTTP session: counts every 429 Discord answers, including those discord.py waits out
        and retries by itself (the outbox never sees them)."""
        trace = aiohttp.TraceConfig()

        async def on_request_end(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
            if params.response.status == 429:
                self.rate_limited.labels(params.response.headers.get("X-RateLimit-Scope", "unknown")).inc()

        trace.on_request_end.append(on_request_end)
        return trace


class CountedTransport:
    def __init__(self, transport: Transport, sends: Counter) -> None:
        self._transport = transport
        self._sends = sends

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        try:
            outcome = await self._transport.perform(delivery, context)
        except Exception:
            self._sends.labels(delivery.kind, "error").inc()
            raise
        self._sends.labels(delivery.kind, result_of(outcome)).inc()
        return outcome


def result_of(outcome: Outcome) -> str:
    if isinstance(outcome, Delivered):
        return "delivered"
    if isinstance(outcome, Failed):
        return "failed"
    assert isinstance(outcome, RetryLater)
    return "rate_limited" if outcome.reason.startswith("rate_limited") else "retried"


class Stopwatch:
    """Monotonic start times of the commands being handled, by interaction id (at most `limit` kept: a command
    that never completes — refused, or failed — is forgotten rather than kept forever)."""

    def __init__(self, limit: int = 1000) -> None:
        self._started: dict[int, float] = {}
        self._limit = limit

    def start(self, interaction_id: int) -> None:
        if len(self._started) >= self._limit:
            self._started.pop(next(iter(self._started)))
        self._started[interaction_id] = time.monotonic()

    def stop(self, interaction_id: int) -> float | None:
        started = self._started.pop(interaction_id, None)
        return None if started is None else time.monotonic() - started
