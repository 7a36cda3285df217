"""The double's cap on active threads: Discord answers 400 with JSON code 160006 ("Maximum number of active
threads reached") when a guild already has its maximum of active threads (1000) and something would make one
more active: a thread from a message, a thread without one, a forum post, or unarchiving a thread (by a
message or an edit). Archived threads do not count; archiving, by hand or by the clock, frees a slot."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from bot.sandbox import DiscordDouble, GuildHandle
from bot.sandbox.state import ApiError

T0 = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)
FULL = {"message": "Maximum number of active threads reached", "code": 160006}


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0, max_active_threads=2) as d:
        yield d


@pytest.fixture
async def http(double: DiscordDouble) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {double.token}"}) as session:
        yield session


async def call(http: aiohttp.ClientSession, double: DiscordDouble, method: str, path: str, body: Any = None) -> Any:
    async with http.request(method, double.api_base + path, json=body) as resp:
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None)


async def status_message(http: aiohttp.ClientSession, double: DiscordDouble, channel: int, content: str) -> str:
    status, body = await call(http, double, "POST", f"/channels/{channel}/messages", {"content": content})
    assert status == 200, body
    return str(body["id"])


async def thread_from(http: aiohttp.ClientSession, double: DiscordDouble, channel: int, name: str) -> Any:
    message = await status_message(http, double, channel, name)
    return await call(http, double, "POST", f"/channels/{channel}/messages/{message}/threads", {"name": name})


def server(double: DiscordDouble) -> tuple[GuildHandle, int, int]:
    g = double.add_guild("Coordination Grand Ouest")
    return g, g.add_text_channel("incidents"), g.add_forum_channel("pannes", tags=["en cours"])


def test_the_cap_defaults_to_discords_and_is_set_per_double() -> None:
    assert DiscordDouble(T0).world.max_active_threads == 1000
    assert DiscordDouble(T0, max_active_threads=3).world.max_active_threads == 3
    double = DiscordDouble(T0)
    double.set_max_active_threads(5)
    assert double.world.max_active_threads == 5
    with pytest.raises(ValueError):
        double.set_max_active_threads(-1)


async def test_threads_forum_posts_and_members_threads_share_the_cap_and_the_refusal_creates_nothing(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g, incidents, forum = server(double)
    alice = g.add_member("alice")
    status, _ = await thread_from(http, double, incidents, "#1 · Panne")
    assert status == 201
    post_body = {"name": "#2 · Panne", "message": {"content": "Déclarée"}}
    status, post = await call(http, double, "POST", f"/channels/{forum}/threads", post_body)
    assert status == 201 and post["message"]["content"] == "Déclarée"
    assert double.active_thread_count(g.id) == 2

    # Full: a thread from a message, a forum post, a thread without a message, a member's thread.
    threads_before = len(double.threads(g.id))
    message = await status_message(http, double, incidents, "#3 · Panne")
    status, body = await call(
        http, double, "POST", f"/channels/{incidents}/messages/{message}/threads", {"name": "#3 · Panne"}
    )
    assert (status, body) == (400, FULL)
    assert double.message(incidents, int(message)).get("thread") is None
    assert not double.message(incidents, int(message))["flags"] & (1 << 5), "no HAS_THREAD flag"
    status, body = await call(http, double, "POST", f"/channels/{forum}/threads", {**post_body, "name": "#4"})
    assert (status, body) == (400, FULL)
    status, body = await call(http, double, "POST", f"/channels/{incidents}/threads", {"name": "privé", "type": 12})
    assert (status, body) == (400, FULL)
    with pytest.raises(ApiError) as refused:
        double.start_thread(alice, incidents, "discussion")
    assert (refused.value.status, refused.value.body) == (400, FULL)
    assert len(double.threads(g.id)) == threads_before, "nothing was created"
    assert double.channel_messages(incidents)[-1]["id"] == message, "only the status message itself was posted"


async def test_archiving_by_hand_or_by_the_clock_frees_a_slot(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g, incidents, _ = server(double)
    alice = g.add_member("alice")
    _, first = await thread_from(http, double, incidents, "#1")
    short = double.start_thread(alice, incidents, "courte", auto_archive_duration=60)
    status, _ = await thread_from(http, double, incidents, "#2")
    assert status == 400

    status, _ = await call(http, double, "PATCH", f"/channels/{first['id']}", {"archived": True})
    assert status == 200 and double.active_thread_count(g.id) == 1
    status, second = await thread_from(http, double, incidents, "#2")
    assert status == 201, second

    await double.advance(timedelta(minutes=61))  # the member's thread archives itself after an hour
    assert double.channel(short)["thread_metadata"]["archived"] is True
    status, _ = await thread_from(http, double, incidents, "#3")
    assert status == 201
    double.archive_thread(int(second["id"]))  # a moderator archives it
    assert double.channel(int(second["id"]))["thread_metadata"]["archived"] is True
    assert double.active_thread_count(g.id) == 1


async def test_unarchiving_needs_a_free_slot_too(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    g, incidents, _ = server(double)
    _, old = await thread_from(http, double, incidents, "#1 ancien")
    await call(http, double, "PATCH", f"/channels/{old['id']}", {"archived": True})
    await thread_from(http, double, incidents, "#2")
    await thread_from(http, double, incidents, "#3")
    assert double.active_thread_count(g.id) == 2

    # A message would unarchive it: refused, nothing posted, still archived.
    status, body = await call(http, double, "POST", f"/channels/{old['id']}/messages", {"content": "relance"})
    assert (status, body) == (400, FULL)
    assert double.channel_messages(int(old["id"])) == []
    assert double.channel(int(old["id"]))["thread_metadata"]["archived"] is True
    # Unarchiving by an edit: refused before any other field changes.
    status, body = await call(http, double, "PATCH", f"/channels/{old['id']}", {"archived": False, "name": "renommé"})
    assert (status, body) == (400, FULL)
    assert double.channel(int(old["id"]))["name"] == "#1 ancien"
    # Edits that keep it archived, or that archive, are not limited.
    status, _ = await call(http, double, "PATCH", f"/channels/{old['id']}", {"name": "renommé"})
    assert status == 200

    double.set_max_active_threads(3)
    status, _ = await call(http, double, "POST", f"/channels/{old['id']}/messages", {"content": "relance"})
    assert status == 200 and double.channel(int(old["id"]))["thread_metadata"]["archived"] is False


async def test_each_guild_has_its_own_cap(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, first, _ = server(double)
    await thread_from(http, double, first, "#1")
    await thread_from(http, double, first, "#2")
    assert (await thread_from(http, double, first, "#3"))[0] == 400
    other = double.add_guild("Autre serveur").add_text_channel("incidents")
    assert (await thread_from(http, double, other, "#1"))[0] == 201


@contextlib.contextmanager
def pointed_at(double: DiscordDouble) -> Iterator[None]:
    old = Route.BASE
    Route.BASE = double.api_base
    try:
        yield
    finally:
        Route.BASE = old


async def test_discord_py_raises_what_a_full_guild_answers(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, incidents, _ = server(double)
    await thread_from(http, double, incidents, "#1")
    await thread_from(http, double, incidents, "#2")
    message = await status_message(http, double, incidents, "#3")
    client = discord.Client(intents=discord.Intents.none())
    with pointed_at(double):
        await client.login(double.token)
        try:
            with pytest.raises(discord.HTTPException) as raised:
                await client.http.start_thread_with_message(
                    incidents, int(message), name="#3", auto_archive_duration=60
                )
        finally:
            await client.close()
    assert (raised.value.status, raised.value.code, raised.value.text) == (
        400,
        160006,
        "Maximum number of active threads reached",
    )
