"""The rate limiter behind a minimal aiohttp server, driven by discord.py's own HTTPClient.

Short windows keep it fast; what is checked is that discord.py, reading our headers, paces itself
without being refused, and that it retries our 429s instead of taking them for a Cloudflare ban.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import ClassVar

import aiohttp
import discord
import discord.http
import pytest
from aiohttp import web

from bot.sandbox.ratelimits import RateLimiter, body_429

MSG = "POST /channels/{channel_id}/messages"


def discord_json(data: object, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py's json_or_text only decodes a Content-Type of exactly "application/json" (as Discord
    # sends it); aiohttp's json_response adds "; charset=utf-8", which discord.py would read as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


@dataclass
class Server:
    limiter: RateLimiter
    base: str = ""
    statuses: list[int] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server(RateLimiter(channel_messages=3, channel_window_s=0.3))

    async def me(_: web.Request) -> web.Response:
        return discord_json({"id": "1", "username": "bot", "discriminator": "0", "avatar": None, "global_name": None})

    async def create(request: web.Request) -> web.Response:
        channel = request.match_info["channel_id"]
        decision = srv.limiter.check(method="POST", route=MSG, major_id=channel)
        if not decision.allowed:
            srv.statuses.append(429)
            return discord_json(body_429(decision), status=429, headers=decision.headers)
        body = await request.json()
        srv.delivered.append(f"{channel}:{body['content']}")
        srv.statuses.append(200)
        return discord_json({"id": str(len(srv.delivered))}, headers=decision.headers)

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", me)
    app.router.add_post("/api/v10/channels/{channel_id}/messages", create)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.base = f"http://127.0.0.1:{port}/api/v10"
    try:
        yield srv
    finally:
        await runner.cleanup()


@pytest.fixture
async def http(server: Server, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[discord.http.HTTPClient]:
    monkeypatch.setattr(discord.http.Route, "BASE", server.base)
    client = discord.http.HTTPClient(asyncio.get_running_loop(), connector=aiohttp.TCPConnector(limit=0))
    await client.static_login("token")
    try:
        yield client
    finally:
        await client.close()


async def post(http: discord.http.HTTPClient, channel: int, content: str) -> None:
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
    await http.request(route, json={"content": content})


async def test_discord_py_paces_itself_from_our_headers(server: Server, http: discord.http.HTTPClient) -> None:
    for i in range(7):
        await post(http, 10, str(i))
    assert server.delivered == [f"10:{i}" for i in range(7)]
    # The first response tells discord.py the bucket; it then waits for resets instead of hitting 429.
    assert 429 not in server.statuses


async def test_content_type_with_charset_makes_discord_py_see_text() -> None:
    # Guard for the double: the exact header matters to discord.py.
    class Resp:
        headers: ClassVar[dict[str, str]] = {"content-type": "application/json; charset=utf-8"}

        async def text(self, encoding: str) -> str:
            return "{}"

    assert await discord.http.json_or_text(Resp()) == "{}"  # type: ignore[arg-type]


async def test_discord_py_retries_a_route_429(server: Server, http: discord.http.HTTPClient) -> None:
    server.limiter.hold(route=MSG, major_id="20", retry_after=0.2)
    await post(http, 20, "after hold")
    assert server.statuses == [429, 200]
    assert server.delivered == ["20:after hold"]


async def test_discord_py_retries_a_global_429(server: Server, http: discord.http.HTTPClient) -> None:
    server.limiter.hold(route=MSG, major_id=None, retry_after=0.2, is_global=True)
    await asyncio.gather(post(http, 30, "a"), post(http, 31, "b"))
    assert sorted(server.delivered) == ["30:a", "31:b"]
    assert server.statuses.count(200) == 2
