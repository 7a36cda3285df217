"""Health and metrics of the bot as its own process, read as a monitoring system reads them: its loopback address,
`/readyz` turning 503 while messages wait too long and 200 again once they go, `/metrics` through
prometheus_client's own parser (commands, sends, the 429s Discord answered); its log as JSON lines."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox import DiscordDouble, Fault
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import settle


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.text()
        return response.status, json.loads(body) if response.content_type == "application/json" else body


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_readiness_and_metrics_follow_what_the_bot_does(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    port = free_port()
    channel = server.channels["bretagne"]
    double.faults.inject(
        Fault(method="POST", path_pattern=rf"/channels/{channel}/messages", status=429, retry_after=0.2, times=2)
    )
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env |= {
        "TOCSIN_HEALTH_ADDRESS": f"127.0.0.1:{port}",
        "TOCSIN_READY_OUTBOX_AGE": "60",
        "TOCSIN_LOG_FORMAT": "json",
        "TOCSIN_LANGUAGE": "en",
    }
    await process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        assert await get(f"{base}/healthz") == (200, {"alive": True, "version": "0.1.0"})
        await double.wait_for(lambda: "connected as Tocsin" in process.log_text(), what="discord.py's ready")
        status, ready = await get(f"{base}/readyz")
        assert (status, ready["ready"]) == (200, True), ready

        admin = server.members["admin.sophie"]
        ix = await double.run_command(admin, channel, "tocsin test-delivery", {"channel": channel, "count": 3})
        await ix.reply()
        await double.wait_for(lambda: len(double.channel_messages(channel)) == 3, timeout=30, what="the 3 tests")
        status, text = await get(f"{base}/metrics")
        assert status == 200
        found = samples(text)
        assert found[("tocsin_discord_rate_limited_total", (("scope", "user"),))] == 2
        assert found[("tocsin_sends_total", (("kind", "send_message"), ("result", "delivered")))] == 3
        assert found[("tocsin_command_duration_seconds_count", (("command", "tocsin test-delivery"),))] == 1
        assert ("tocsin_reminders", (("status", "pending"),)) in found
        assert ("tocsin_nudges_planned", ()) in found

        # Discord refuses every message now: they wait, and past the allowed age the bot is no longer ready.
        refusing = double.faults.inject(
            Fault(method="POST", path_pattern=rf"/channels/{channel}/messages", status=503, times=-1)
        )
        ix = await double.run_command(admin, channel, "tocsin test-delivery", {"channel": channel, "count": 1})
        await ix.reply()
        await double.wait_for(lambda: refusing.hits > 0, timeout=30, what="the refused message")
        await double.advance(timedelta(minutes=2))
        status, stuck = await get(f"{base}/readyz")
        assert status == 503
        assert stuck["checks"]["outbox"]["ok"] is False
        assert "longer than the 60 s allowed" in stuck["checks"]["outbox"]["found"]
        assert all(check["ok"] for name, check in stuck["checks"].items() if name != "outbox")

        double.faults.clear()
        await double.wait_for(lambda: len(double.channel_messages(channel)) == 4, timeout=60, what="the message")
        await double.wait_for(lambda: "complete" in double.channel_messages(channel)[3]["content"], what="its edit")
        await settle(double, server)  # the bot has recorded the delivery
        status, ready = await get(f"{base}/readyz")
        assert (status, ready["ready"]) == (200, True), ready
    finally:
        await process.stop()
    lines = process.log_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(events[0])
    assert double.token not in process.log_text()
