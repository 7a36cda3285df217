"""The double adds the members a thread message mentions (and may ping) to the thread, silently, as Discord does:
no "added" line (only an API add posts one); a mention the message may not ping, or of someone who cannot see the
thread, adds nobody."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sandbox import DiscordDouble, Overwrite, Perm
from tests.sandbox.test_double_rest import T0, call, guild


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0) as d:
        yield d


@pytest.fixture
async def http(double: DiscordDouble) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {double.token}"}) as session:
        yield session


async def thread_in(double: DiscordDouble, http: aiohttp.ClientSession, channel: int) -> int:
    _, start, _ = await call(http, double, "POST", f"/channels/{channel}/messages", {"content": "incident"})
    path = f"/channels/{channel}/messages/{start['id']}/threads"
    _, thread, _ = await call(http, double, "POST", path, {"name": "#1"})
    return int(thread["id"])


async def test_a_thread_post_mentioning_members_makes_them_thread_members(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g, ch, alice = guild(double)
    bob, carol = g.add_member("bob"), g.add_member("carol")
    tid = await thread_in(double, http, ch)
    before = double.thread_members(tid)
    allowed = {"parse": [], "users": [alice, bob]}
    body = {"content": f"<@{alice}> <@{bob}> <@{carol}> merci", "allowed_mentions": allowed}
    status, _, _ = await call(http, double, "POST", f"/channels/{tid}/messages", body)
    assert status == 200
    assert double.thread_members(tid) == [*before, alice, bob], "carol was named but not pinged"
    assert [m["type"] for m in double.channel_messages(tid)] == [0], "no visible 'added' line"
    status, listed, _ = await call(http, double, "GET", f"/channels/{tid}/thread-members")
    assert status == 200 and {str(alice), str(bob)} <= {m["user_id"] for m in listed}


async def test_someone_who_cannot_see_the_thread_is_not_made_a_member(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g, _, alice = guild(double)
    staff_only = [
        Overwrite(g.everyone_role_id, 0, 0, int(Perm.VIEW_CHANNEL)),
        Overwrite(g.bot_role_id, 0, int(Perm.VIEW_CHANNEL), 0),
    ]
    hidden = g.add_text_channel("coulisses", overwrites=staff_only)
    tid = await thread_in(double, http, hidden)
    before = double.thread_members(tid)
    body = {"content": f"<@{alice}>", "allowed_mentions": {"parse": ["users"]}}
    status, _, _ = await call(http, double, "POST", f"/channels/{tid}/messages", body)
    assert status == 200 and double.thread_members(tid) == before
