"""The double's gateway and interaction deadlines, spoken to with a raw websocket and raw HTTP."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import zstandard

from bot.sandbox import DiscordDouble

T0 = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)
GUILDS, MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 1, 1 << 9, 1 << 15


class RawGateway:
    """Decodes frames the way discord.py 2.7 does for the transport asked for."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self._zlib = zlib.decompressobj()
        self._buffer = bytearray()
        self._zstd = zstandard.ZstdDecompressor().decompressobj()
        self.frames: list[bytes] = []
        self.events: list[str] = []

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                raise ConnectionError(f"closed {self.ws.close_code}")
            if msg.type is aiohttp.WSMsgType.TEXT:
                assert self.compress is None
                return dict(json.loads(msg.data))
            data: bytes = msg.data
            self.frames.append(data)
            if self.compress == "zlib-stream":
                self._buffer.extend(data)
                if data[-4:] != b"\x00\x00\xff\xff":
                    continue
                text = self._zlib.decompress(bytes(self._buffer))
                self._buffer.clear()
                return dict(json.loads(text))
            return dict(json.loads(self._zstd.decompress(data)))

    async def until(self, event: str) -> dict[str, Any]:
        while True:
            payload = await self.recv()
            if payload.get("t"):
                self.events.append(payload["t"])
            if payload.get("t") == event:
                return payload

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": d}))


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0, interaction_deadline_s=0.3) as d:
        yield d


async def connect(session: aiohttp.ClientSession, double: DiscordDouble, compress: str | None) -> RawGateway:
    url = double.gateway_url + "?v=10&encoding=json" + (f"&compress={compress}" if compress else "")
    return RawGateway(await session.ws_connect(url), compress)


def identify(double: DiscordDouble, intents: int) -> dict[str, Any]:
    return {"token": double.token, "intents": intents, "properties": {}, "compress": True, "large_threshold": 250}


@pytest.mark.parametrize("compress", ["zlib-stream", "zstd-stream", None])
async def test_hello_identify_ready_guild_create_heartbeat(double: DiscordDouble, compress: str | None) -> None:
    g = double.add_guild("G")
    async with aiohttp.ClientSession() as s:
        gw = await connect(s, double, compress)
        hello = await gw.recv()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await gw.send(1, None)
        assert (await gw.recv())["op"] == 11
        await gw.send(2, identify(double, GUILDS))
        ready = await gw.recv()
        assert ready["t"] == "READY" and ready["s"] == 1
        assert ready["d"]["resume_gateway_url"] == double.gateway_url
        create = await gw.recv()
        assert create["t"] == "GUILD_CREATE" and create["d"]["id"] == str(g.id) and create["s"] == 2
        if compress == "zlib-stream":
            assert all(f.endswith(b"\x00\x00\xff\xff") for f in gw.frames)
        if compress is not None:
            assert gw.frames, "compressed transports send binary frames"
        await gw.ws.close()


async def test_bad_token_4004_and_privileged_intents_4014(double: DiscordDouble) -> None:
    async with aiohttp.ClientSession() as s:
        gw = await connect(s, double, None)
        await gw.recv()
        await gw.send(2, {**identify(double, GUILDS), "token": "wrong"})
        with pytest.raises(ConnectionError, match="4004"):
            await gw.recv()
        gw = await connect(s, double, None)
        await gw.recv()
        await gw.send(2, identify(double, GUILDS | MEMBERS))
        with pytest.raises(ConnectionError, match="4014"):
            await gw.recv()


async def test_intents_filter_events_and_message_content(double: DiscordDouble) -> None:
    g = double.add_guild("G")
    ch = g.add_text_channel("c")
    alice = g.add_member("alice")
    role = g.add_role("r")
    async with aiohttp.ClientSession() as s:
        gw = await connect(s, double, "zstd-stream")
        await gw.recv()
        await gw.send(2, identify(double, GUILDS | GUILD_MESSAGES))
        await gw.until("GUILD_CREATE")
        double.world.set_member_role(g.id, alice, role, -1, add=True)  # no GUILD_MEMBERS intent: not sent
        await double.post_message(alice, ch, "secret words")
        created = await gw.until("MESSAGE_CREATE")
        assert created["d"]["content"] == "" and created["d"]["author"]["id"] == str(alice)
        await double.post_message(alice, ch, f"<@{double.bot_user_id}> hello")
        mentioned = await gw.until("MESSAGE_CREATE")
        assert mentioned["d"]["content"].endswith("hello")
        assert gw.events == ["READY", "GUILD_CREATE", "MESSAGE_CREATE", "MESSAGE_CREATE"]


async def test_resume_replays_missed_events_and_invalid_session(double: DiscordDouble) -> None:
    g = double.add_guild("G")
    ch = g.add_text_channel("c")
    alice = g.add_member("alice")
    async with aiohttp.ClientSession() as s:
        gw = await connect(s, double, "zlib-stream")
        await gw.recv()
        await gw.send(2, identify(double, GUILDS | GUILD_MESSAGES))
        ready = await gw.recv()
        create = await gw.recv()
        await double.drop_gateway(resumable=True)
        with pytest.raises(ConnectionError):
            await gw.recv()
        await double.post_message(alice, ch, "while away")
        gw = await connect(s, double, "zlib-stream")
        await gw.recv()
        await gw.send(6, {"token": double.token, "session_id": ready["d"]["session_id"], "seq": create["s"]})
        missed = await gw.recv()
        assert missed["t"] == "MESSAGE_CREATE" and missed["s"] == create["s"] + 1
        assert (await gw.recv())["t"] == "RESUMED"
        await double.drop_gateway(resumable=False)
        invalid = await gw.recv()
        assert invalid == {"op": 9, "d": False, "s": None, "t": None}


async def test_interaction_deadline_and_double_acknowledgement(double: DiscordDouble) -> None:
    g = double.add_guild("G")
    ch = g.add_text_channel("c")
    alice = g.add_member("alice")
    double.world.bulk_overwrite_commands(g.id, [{"name": "tocsin", "description": "d", "options": []}])
    async with aiohttp.ClientSession() as s:
        ix = await double.run_command(alice, ch, "tocsin")
        url = f"{double.api_base}/interactions/{ix.id}/{ix.token}/callback?with_response=true"
        async with s.post(url, json={"type": 5, "data": {"flags": 64}}) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["interaction"]["response_message_loading"] is True
            assert body["resource"]["message"]["flags"] & 64
        async with s.post(url, json={"type": 4, "data": {"content": "x"}}) as resp:
            assert (resp.status, (await resp.json())["code"]) == (400, 40060)
        hook = f"{double.api_base}/webhooks/{double.application_id}/{ix.token}/messages/@original"
        async with s.patch(hook, json={"content": "done"}) as resp:
            assert resp.status == 200
        reply = await ix.reply()
        assert reply["content"] == "done" and ix.ephemeral and double.channel_messages(ch) == []
        late = await double.run_command(alice, ch, "tocsin")
        # The deadline is real time by design (0.3 s configured above): let it pass. Not waiting for the bot.
        await asyncio.sleep(0.4)
        url = f"{double.api_base}/interactions/{late.id}/{late.token}/callback"
        async with s.post(url, json={"type": 4, "data": {"content": "too late"}}) as resp:
            assert (resp.status, (await resp.json())["code"]) == (404, 10062)
        assert double.channel_messages(ch) == []


@pytest.mark.parametrize("compress", ["zlib-stream", "zstd-stream", None])
async def test_a_modified_clients_payload_reaches_the_bot_as_written(
    double: DiscordDouble, compress: str | None
) -> None:
    """`send_raw`: Discord's envelope around data it did not check; a lone surrogate arrives as a JSON escape."""
    g = double.add_guild("G")
    ch = g.add_text_channel("c")
    alice = g.add_member("alice")
    elsewhere = double.add_guild("H").add_text_channel("ailleurs")
    double.world.bulk_overwrite_commands(
        g.id, [{"name": "tocsin", "description": "d", "options": [{"name": "salon", "description": "d", "type": 7}]}]
    )
    with pytest.raises(LookupError):  # a client's channel picker offers this server's channels only
        double.command_data(ch, "tocsin", {"salon": elsewhere})
    forged = {"name": "tocsin", "type": 1, "options": [{"name": "x\ud800", "type": 3, "value": "\x00\udfff"}]}
    async with aiohttp.ClientSession() as s:
        gw = await connect(s, double, compress)
        await gw.recv()
        await gw.send(2, identify(double, GUILDS))
        await gw.until("GUILD_CREATE")
        await double.send_raw(alice, ch, type=2, data=forged)
        created = await gw.until("INTERACTION_CREATE")
        assert created["d"]["data"] == forged
        assert created["d"]["member"]["user"]["id"] == str(alice) and created["d"]["guild_id"] == str(g.id)
