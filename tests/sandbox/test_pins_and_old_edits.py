"""The double's pins (Pin Messages, the "pinned a message" line, 250 per channel) and its budget of edits to
messages older than an hour (429 30046), through plain HTTP as a client sends them and through discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest
from discord.http import MultipartParameters

from bot.sandbox import DiscordDouble, Perm
from bot.sandbox.state.objects import DEFAULT_BOT_PERMISSIONS, MSG_CHANNEL_PINNED
from tests.sandbox.double_client import running
from tests.sandbox.test_double_rest import call

T0 = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)
WITH_PINS = DEFAULT_BOT_PERMISSIONS | int(Perm.PIN_MESSAGES)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0) as d:
        yield d


@pytest.fixture
async def http(double: DiscordDouble) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {double.token}"}) as session:
        yield session


async def post(http: aiohttp.ClientSession, double: DiscordDouble, channel: int, content: str) -> int:
    status, body, _ = await call(http, double, "POST", f"/channels/{channel}/messages", {"content": content})
    assert status == 200, body
    return int(body["id"])


@pytest.mark.parametrize("route", ["/channels/{c}/messages/pins/{m}", "/channels/{c}/pins/{m}"])
async def test_pinning_needs_pin_messages_not_manage_messages(
    double: DiscordDouble, http: aiohttp.ClientSession, route: str
) -> None:
    g = double.add_guild("Coordination")  # the bot has Manage Messages, not Pin Messages
    channel = g.add_text_channel("tableau")
    message = await post(http, double, channel, "tableau")
    status, body, _ = await call(http, double, "PUT", route.format(c=channel, m=message))
    assert (status, body["code"]) == (403, 50013)
    assert double.pins(channel) == [] and len(double.channel_messages(channel)) == 1


async def test_a_pin_posts_one_pinned_a_message_line_that_notifies_nobody(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g = double.add_guild("Coordination", bot_permissions=WITH_PINS)
    channel = g.add_text_channel("tableau")
    g.add_member("alice")
    message = await post(http, double, channel, "tableau")
    notes = len(double.notifications())
    status, _, _ = await call(http, double, "PUT", f"/channels/{channel}/messages/pins/{message}")
    assert status == 204
    again, _, _ = await call(http, double, "PUT", f"/channels/{channel}/messages/pins/{message}")
    assert again == 204
    assert [int(m["id"]) for m in double.pins(channel)] == [message]
    lines = [m for m in double.channel_messages(channel) if m["type"] == MSG_CHANNEL_PINNED]
    assert len(lines) == 1, "pinning a pinned message posts no second line"
    assert lines[0]["author"]["id"] == str(double.bot_user_id)
    assert lines[0]["message_reference"]["message_id"] == str(message)
    assert len(double.notifications()) == notes
    status, _, _ = await call(http, double, "DELETE", f"/channels/{channel}/messages/{message}")
    assert status == 204 and double.pins(channel) == [], "a deleted message takes its pin with it"


async def test_a_channel_holds_at_most_250_pins(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    g = double.add_guild("Coordination", bot_permissions=WITH_PINS)
    channel = g.add_text_channel("tableau")
    world = double.world
    for i in range(250):
        message = world.create_message(channel, world.bot.id, {"content": f"n°{i}"}, check_permissions=False)
        message.pinned_at = world.now
    last = await post(http, double, channel, "un de trop")
    status, body, _ = await call(http, double, "PUT", f"/channels/{channel}/messages/pins/{last}")
    assert (status, body["code"]) == (400, 30003), body
    assert "250" in body["message"] and len(double.pins(channel)) == 250


async def test_edits_of_messages_older_than_an_hour_spend_a_budget(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g = double.add_guild("Coordination")
    channel = g.add_text_channel("tableau")
    old = await post(http, double, channel, "ancien")
    double.set_time(T0 + timedelta(minutes=61))
    young = await post(http, double, channel, "récent")
    double.limit_old_message_edits(1, window_s=60.0)
    path = f"/channels/{channel}/messages/"
    assert (await call(http, double, "PATCH", path + str(old), {"content": "1"}))[0] == 200
    status, body, headers = await call(http, double, "PATCH", path + str(old), {"content": "2"})
    assert (status, body["code"], body["global"]) == (429, 30046, False), body
    assert 0 < body["retry_after"] <= 60 and headers["Via"] and headers["X-RateLimit-Scope"] == "user"
    assert double.message(channel, old)["content"] == "1"
    for n in range(3):  # a message younger than an hour is not counted
        assert (await call(http, double, "PATCH", path + str(young), {"content": str(n)}))[0] == 200


async def test_discord_py_gives_up_with_30046_when_the_budget_stays_spent(double: DiscordDouble) -> None:
    g = double.add_guild("Coordination")
    channel = g.add_text_channel("tableau")
    world = double.world
    message = world.create_message(channel, world.bot.id, {"content": "ancien"}, check_permissions=False)
    double.set_time(T0 + timedelta(hours=2))
    double.limit_old_message_edits(0, window_s=3600.0, retry_after_s=0.05)
    client = discord.Client(intents=discord.Intents.default())
    async with running(double, client):
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.edit_message(
                channel, message.id, params=MultipartParameters({"content": "x"}, None, None)
            )
    assert (refused.value.status, refused.value.code) == (429, 30046)
    patches = [r for r in double.requests if r.method == "PATCH"]
    assert len(patches) == 5, "discord.py retries after retry_after, five tries in all"
