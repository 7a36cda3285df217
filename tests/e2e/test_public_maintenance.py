"""Planned maintenance beyond the server, end to end: the bot as its own process against the double, its public
page served on TOCSIN_WEB_ADDRESS and a real webhook receiver on 127.0.0.1. A maintenance scheduled while new
incidents are public shows on the page and reaches the receiver (signed); one scheduled while they are private
shows on neither, nor does its owner."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import feedparser
from aiohttp import web

from bot.sandbox import DiscordDouble
from bot.webhooks.rules import SIGNATURE_HEADER, verify
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, settle
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_maintenance import schedule
from tests.e2e.test_public_page import get
from tests.e2e.test_webhooks import WAIT_S, free_port, webhook_command


async def test_a_public_maintenance_reaches_the_page_and_a_receiver_and_a_private_one_neither(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    received: list[dict[str, Any]] = []
    secret: list[str] = []
    arrived = asyncio.Condition()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        assert verify(secret[0], request.headers[SIGNATURE_HEADER], body)
        async with arrived:
            received.append(json.loads(body))
            arrived.notify_all()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    hook_port, web_port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env |= {
        "TOCSIN_WEB_ADDRESS": f"127.0.0.1:{web_port}",
        "TOCSIN_WEBHOOK_ALLOW_LOOPBACK": "true",
        "TOCSIN_WEBHOOK_RETRY_FIRST": "0.2",
    }
    await process.start()
    try:
        await configure(double, server)
        public = {"name": "grand-ouest", "online": True, "new-incidents-public": True}
        await run_setup(double, server, "public-page", public)
        url = f"http://127.0.0.1:{hook_port}/hook"
        said = await webhook_command(double, server, "add", {"url": url, "events": "maintenance_scheduled"})
        found = re.search(r"whsec_[A-Za-z0-9_-]+", said)
        assert found is not None, said
        secret.append(found[0])

        await schedule(double, server, start="dimanche 22h", end="lundi 6h")
        await run_setup(double, server, "public-page", {"new-incidents-public": False})
        await schedule(double, server, start="mardi 9h", end="mardi 10h", organisation="Grossiste interne Ouest")
        await run_setup(double, server, "public-page", {"new-incidents-public": True})
        await schedule(double, server, start="mercredi 9h", end="mercredi 10h", organisation="Dilicom")
        await settle(double)

        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: len({r["idempotency_key"] for r in received}) >= 2), WAIT_S)
        status, page = await get(f"http://127.0.0.1:{web_port}/grand-ouest")
        feed_status, feed = await get(f"http://127.0.0.1:{web_port}/grand-ouest/feed.atom")
    finally:
        await process.stop()
        await runner.cleanup()

    assert status == 200
    assert "Maintenance M1" in page and "Maintenance M3" in page and "Dilicom" in page
    assert "Maintenance M2" not in page and "Grossiste interne" not in page
    # Its feed tells each public maintenance's scheduling, in the server's language; the private one's, never.
    parsed = feedparser.parse(feed)
    assert feed_status == 200 and not parsed.bozo, parsed.get("bozo_exception")
    assert sorted(entry.title.split(" · ")[0] for entry in parsed.entries) == ["Maintenance M1", "Maintenance M3"]
    assert all(entry.title.endswith("Maintenance programmée") for entry in parsed.entries)
    assert "Grossiste interne" not in feed and "M2" not in feed
    unique = {r["idempotency_key"]: r for r in received}.values()
    assert sorted((r["event"], r["maintenance"]["number"]) for r in unique) == [
        ("maintenance_scheduled", 1),
        ("maintenance_scheduled", 3),
    ], "the private M2 is for webhooks that take private ones too: this one does not"
    assert all(r["maintenance"]["public"] for r in unique)
    anne = str(server.members["coord.anne"])
    assert anne not in page and not any(anne in json.dumps(r) for r in received)
    assert secret[0] not in process.log_text()
