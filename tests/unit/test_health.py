"""Readiness and metrics on a real bot that is built but never connected (tests/unit/idle_bot.py), a real SQLite
file and a manual clock; the HTTP site on a free loopback port, read back as a monitoring system would (the
metrics through prometheus_client's own parser)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.app import TocsinBot
from bot.common.i18n import default_catalogue
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, Failed, RetryLater
from bot.operations.use_cases.health import HealthChecks, Readiness
from bot.operations.use_cases.metrics import Metrics
from bot.reminders.use_cases.reminders import Reminders
from bot.storage.store import Store
from bot.web.health import gateway_connected, health_routes
from bot.web.server import Site
from tests.services.test_lifecycle import NOW
from tests.unit.idle_bot import CALL_THE_DSI, idle_bot
from tests.unit.test_scheduler import ManualClock


@pytest.fixture
async def bot(store: Store, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TocsinBot]:
    idle, _ = idle_bot(store, ManualClock(NOW), monkeypatch)
    await idle.setup_hook()
    assert idle.services.timers.startup is not None
    await idle.services.timers.startup
    yield idle
    await idle.close()


def checks_of(bot: TocsinBot, *, connected: bool = True, max_age: timedelta = timedelta(minutes=15)) -> HealthChecks:
    services = bot.services
    return HealthChecks(
        services.store,
        services.clock,
        services.timers,
        gateway_connected=lambda: connected,
        outbox_max_age=max_age,
    )


def found(readiness: Readiness, language: str = "en") -> dict[str, Any]:
    return readiness.as_json(default_catalogue(), language)  # type: ignore[arg-type]


async def queue_one(store: Store, clock: ManualClock) -> None:
    async with store.unit_of_work() as conn:
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane=outbox.channel_lane(5),
            kind=OutboxKind.SEND_MESSAGE,
            payload={"channel_id": 5, "content": "x", "allowed_mentions": {"parse": []}},
            now=clock.now(),
        )


async def test_ready_when_connected_writable_delivering_and_timers_in_place(bot: TocsinBot) -> None:
    readiness = await checks_of(bot).readiness()
    assert found(readiness) == {
        "ready": True,
        "checks": {
            "gateway": {"ok": True, "found": "connected to Discord's gateway"},
            "database": {"ok": True, "found": "the database takes writes"},
            "outbox": {"ok": True, "found": "0 messages waiting, the oldest for 0 s (at most 900 s allowed)"},
            "timers": {"ok": True, "found": "every timer in place"},
        },
    }


async def test_not_ready_while_the_gateway_is_down(bot: TocsinBot) -> None:
    readiness = await checks_of(bot, connected=False).readiness()
    assert not readiness.ready
    assert found(readiness, "fr")["checks"]["gateway"] == {
        "ok": False,
        "found": "pas connecté à la passerelle de Discord (démarrage ou reconnexion en cours)",
    }
    assert gateway_connected(bot) is False, "a bot that never connected is not connected"


async def test_not_ready_when_the_oldest_waiting_message_is_older_than_allowed(bot: TocsinBot) -> None:
    clock = bot.services.clock
    assert isinstance(clock, ManualClock)
    await queue_one(bot.services.store, clock)
    await clock.move_to(NOW + timedelta(seconds=59))
    assert (await checks_of(bot, max_age=timedelta(minutes=1)).readiness()).ready
    await clock.move_to(NOW + timedelta(seconds=61))
    readiness = await checks_of(bot, max_age=timedelta(minutes=1)).readiness()
    assert not readiness.ready
    assert found(readiness)["checks"]["outbox"]["found"].startswith(
        "1 message waiting, the oldest for 61 s, longer than the 60 s allowed"
    )


async def test_not_ready_while_another_program_holds_the_database(bot: TocsinBot) -> None:
    holder = sqlite3.connect(bot.services.store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        readiness = await checks_of(bot).readiness()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert found(readiness)["checks"]["database"] == {
        "ok": False,
        "found": "the database did not take a write within 2 s (locked by another program?)",
    }


async def test_not_ready_while_timers_are_not_registered(bot: TocsinBot) -> None:
    bot.services.timers.waiting.add("reminders")
    readiness = await checks_of(bot).readiness()
    assert found(readiness)["checks"]["timers"] == {
        "ok": False,
        "found": "not in place yet (reminders): the database could not be read; trying again",
    }


async def serve(bot: TocsinBot) -> Site:
    site = Site("health", ("127.0.0.1", 0))
    site.add_routes("operations", health_routes(checks_of(bot), bot.services))
    assert await site.start()
    return site


async def test_metrics_parse_with_prometheus_own_parser_and_count_what_happened(bot: TocsinBot) -> None:
    services = bot.services
    clock = services.clock
    assert isinstance(clock, ManualClock)
    await Reminders(services.store, services.catalogue, services.defaults).ask(CALL_THE_DSI, now=NOW)
    await queue_one(services.store, clock)
    await clock.move_to(NOW + timedelta(seconds=90))
    metrics: Metrics = services.metrics
    delivery = Delivery(id=1, guild_id=1, lane="channel:5", kind="send_message", payload={}, attempts=1)

    class Outcomes:
        def __init__(self) -> None:
            self.next: list[Any] = [Delivered(), RetryLater("rate_limited", 1.0), Failed(403, 50001, "no access")]

        async def perform(self, delivery: Delivery, context: Any) -> Any:
            return self.next.pop(0)

    counted = metrics.counting(Outcomes())
    for _ in range(3):
        await counted.perform(delivery, None)
    metrics.command_done("outage declare", 0.042)
    site = await serve(bot)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{site.port}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
                text = await response.text()
            async with session.get(f"http://127.0.0.1:{site.port}/healthz") as response:
                assert (response.status, (await response.json())["alive"]) == (200, True)
    finally:
        await site.stop()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("tocsin_outbox_depth", ())] == 1
    assert samples[("tocsin_outbox_oldest_pending_age_seconds", ())] == 90
    assert samples[("tocsin_reminders", (("status", "pending"),))] == 1
    assert samples[("tocsin_nudges_planned", ())] == 0
    for result in ("delivered", "rate_limited", "failed"):
        assert samples[("tocsin_sends_total", (("kind", "send_message"), ("result", result)))] == 1
    assert samples[("tocsin_command_duration_seconds_count", (("command", "outage declare"),))] == 1
    assert samples[("tocsin_command_duration_seconds_bucket", (("command", "outage declare"), ("le", "0.05")))] == 1
    assert samples[("tocsin_backup_last_success_timestamp_seconds", ())] == 0


async def test_every_429_discord_answers_is_counted_even_those_discordpy_retries(bot: TocsinBot) -> None:
    async def limited(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
            status=429,
            headers={"X-RateLimit-Scope": "shared"},
        )

    discord = Site("fake discord", ("127.0.0.1", 0))
    discord.add_routes("limits", [web.get("/limited", limited)])
    assert await discord.start()
    metrics = bot.services.metrics
    try:
        async with aiohttp.ClientSession(trace_configs=[metrics.discord_trace()]) as session:
            for _ in range(2):
                async with session.get(f"http://127.0.0.1:{discord.port}/limited") as response:
                    assert response.status == 429
    finally:
        await discord.stop()
    assert metrics.rate_limited.labels("shared")._value.get() == 2


async def test_a_site_serves_each_features_routes_and_never_stops_the_bot_for_its_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def status(request: web.Request) -> web.Response:
        return web.Response(text="status")

    first = Site("public", ("127.0.0.1", 0))
    first.add_routes("one feature", [web.get("/hello", hello)])
    first.add_routes("another", [web.get("/status", status)])
    with pytest.raises(ValueError, match="another already has its routes"):
        first.add_routes("another", [])
    assert await first.start()
    try:
        with pytest.raises(RuntimeError):
            first.add_routes("late", [])
        async with aiohttp.ClientSession() as session:
            for path, text in (("/hello", "hello"), ("/status", "status")):
                async with session.get(f"http://127.0.0.1:{first.port}{path}") as response:
                    assert await response.text() == text
        taken = Site("health", ("127.0.0.1", first.port or 0))
        assert await taken.start() is False
        assert "cannot serve the health site on 127.0.0.1" in caplog.text
        assert await Site("turned off", None).start() is False
    finally:
        await first.stop()
    await asyncio.sleep(0)
