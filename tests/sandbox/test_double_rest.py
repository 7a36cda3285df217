"""The double's REST behaviour, driven with plain aiohttp requests as a client would send them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.sandbox import DiscordDouble, Fault, GuildHandle, Overwrite, Perm

T0 = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0) as d:
        yield d


@pytest.fixture
async def http(double: DiscordDouble) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {double.token}"}) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, double: DiscordDouble, method: str, path: str, body: Any = None, **kw: Any
) -> tuple[int, Any, Any]:
    async with http.request(method, double.api_base + path, json=body, **kw) as resp:
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None), resp.headers


def guild(double: DiscordDouble) -> tuple[GuildHandle, int, int]:
    g = double.add_guild("Coordination Grand Ouest")
    return g, g.add_text_channel("annonces"), g.add_member("alice")


async def test_wrong_token_is_401_with_discords_body(double: DiscordDouble) -> None:
    async with (
        aiohttp.ClientSession(headers={"Authorization": "Bot nope"}) as s,
        s.get(double.api_base + "/users/@me") as resp,
    ):
        assert resp.status == 401
        assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
    assert double.requests[-1].status == 401 and double.requests[-1].bot is False


async def test_message_create_is_logged_with_rate_limit_headers(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    _, ch, _ = guild(double)
    status, body, headers = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "hi"})
    assert status == 200 and body["content"] == "hi"
    assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Remaining"] == "4"
    assert headers["Content-Type"] == "application/json"
    record = double.requests[-1]
    assert (record.method, record.route, record.status, record.major_id, record.bot) == (
        "POST",
        "/channels/{channel_id}/messages",
        200,
        str(ch),
        True,
    )
    assert record.simulated == T0
    assert double.channel_messages(ch)[0]["timestamp"].startswith("2024-10-19T08:00:00")


async def test_sixth_message_in_five_seconds_is_429_with_via(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    _, ch, _ = guild(double)
    statuses = []
    last: Any = None
    for i in range(6):
        status, body, headers = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": str(i)})
        statuses.append(status)
        last = (body, headers)
    assert statuses == [200] * 5 + [429]
    body, headers = last
    assert headers["Via"] and float(body["retry_after"]) > 0 and body["global"] is False
    assert len(double.channel_messages(ch)) == 5


async def test_nonce_deduplicates_within_window_only(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, _ = guild(double)
    payload = {"content": "once", "nonce": "outbox-1", "enforce_nonce": True}
    _, first, _ = await call(http, double, "POST", f"/channels/{ch}/messages", payload)
    _, again, _ = await call(http, double, "POST", f"/channels/{ch}/messages", payload)
    assert first["id"] == again["id"] and len(double.channel_messages(ch)) == 1
    await double.advance(timedelta(minutes=5, seconds=1))
    _, later, _ = await call(http, double, "POST", f"/channels/{ch}/messages", payload)
    assert later["id"] != first["id"] and len(double.channel_messages(ch)) == 2
    # Without enforce_nonce Discord does not de-duplicate.
    await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "x", "nonce": "n2"})
    await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "x", "nonce": "n2"})
    assert len(double.channel_messages(ch)) == 4


async def test_permissions_missing_access_and_missing_permissions(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g = double.add_guild("G")
    hidden = g.add_text_channel("hidden", overwrites=[Overwrite(g.bot_role_id, 0, 0, int(Perm.VIEW_CHANNEL))])
    readonly = g.add_text_channel("ro", overwrites=[Overwrite(g.bot_role_id, 0, 0, int(Perm.SEND_MESSAGES))])
    status, body, _ = await call(http, double, "POST", f"/channels/{hidden}/messages", {"content": "x"})
    assert (status, body["code"]) == (403, 50001)
    status, body, _ = await call(http, double, "POST", f"/channels/{readonly}/messages", {"content": "x"})
    assert (status, body["code"]) == (403, 50013)


async def test_embed_over_6000_characters_is_discords_400(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, _ = guild(double)
    embed = {"title": "t", "description": "d" * 4096, "fields": [{"name": "n", "value": "v" * 1024}] * 2}
    status, body, _ = await call(http, double, "POST", f"/channels/{ch}/messages", {"embeds": [embed]})
    assert status == 400 and body["code"] == 50035 and "embeds" in body["errors"]
    assert double.channel_messages(ch) == []


async def test_lost_response_after_the_action(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, _ = guild(double)
    double.faults.inject(Fault("POST", rf"/channels/{ch}/messages", lose_response=True))
    with pytest.raises(aiohttp.ClientError):
        await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "done anyway"})
    assert [m["content"] for m in double.channel_messages(ch)] == ["done anyway"]


async def test_status_fault_before_action_does_nothing(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, _ = guild(double)
    double.faults.inject(Fault("POST", rf"/channels/{ch}/messages", status=502))
    status, _, _ = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "x"})
    assert status == 502 and double.channel_messages(ch) == []
    double.faults.inject(Fault("POST", rf"/channels/{ch}/messages", status=429, retry_after=2.5))
    status, body, headers = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "x"})
    assert status == 429 and headers["Via"] and body["retry_after"] == pytest.approx(2.5, abs=0.01)
    assert double.channel_messages(ch) == []


async def test_upload_over_10_mib_is_413(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, _ = guild(double)

    def form(size: int) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("payload_json", json.dumps({"content": "f", "attachments": [{"id": 0, "filename": "a.csv"}]}))
        data.add_field("files[0]", b"x" * size, filename="a.csv", content_type="text/csv")
        return data

    status, body, _ = await call(http, double, "POST", f"/channels/{ch}/messages", data=form(10 * 1024 * 1024 + 1))
    assert status == 413 and body["code"] == 40005
    status, body, _ = await call(http, double, "POST", f"/channels/{ch}/messages", data=form(1000))
    assert status == 200 and body["attachments"][0]["filename"] == "a.csv" and body["attachments"][0]["size"] == 1000


async def test_role_mention_notifies_role_members_who_can_see_and_edits_notify_nobody(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g = double.add_guild("G")
    role = g.add_role("pharmacies-29", mentionable=True)
    ch = g.add_text_channel(
        "annonces",
        overwrites=[
            Overwrite(g.everyone_role_id, 0, 0, int(Perm.VIEW_CHANNEL)),
            Overwrite(role, 0, int(Perm.VIEW_CHANNEL), 0),
            Overwrite(g.bot_role_id, 0, int(Perm.VIEW_CHANNEL), 0),
        ],
    )
    seer = g.add_member("seer", roles=[role])
    blind = g.add_member("blind", roles=[role])
    g.set_overwrites(ch, [*list(double.world.channel(ch).overwrites), Overwrite(blind, 1, 0, int(Perm.VIEW_CHANNEL))])
    other = g.add_member("other")
    body = {"content": f"<@&{role}> panne", "allowed_mentions": {"roles": [str(role)]}}
    _, msg, _ = await call(http, double, "POST", f"/channels/{ch}/messages", body)
    assert [(n.user_id, n.reason) for n in double.notifications()] == [(seer, "role_mention")]
    assert msg["mention_roles"] == [str(role)]
    await call(http, double, "PATCH", f"/channels/{ch}/messages/{msg['id']}", {"content": f"<@{other}> edit"})
    assert len(double.notifications()) == 1
    assert double.notifications(blind) == [] and double.notifications(other) == []


async def test_threads_archive_unarchive_lock_and_limits(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    _, ch, alice = guild(double)
    _, msg, _ = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "incident"})
    path = f"/channels/{ch}/messages/{msg['id']}/threads"
    status, thread, _ = await call(http, double, "POST", path, {"name": "#1", "auto_archive_duration": 60})
    assert status == 201 and thread["id"] == msg["id"] and thread["type"] == 11
    status, body, _ = await call(http, double, "POST", path, {"name": "#1 again"})
    assert (status, body["code"]) == (400, 160004)
    tid = int(thread["id"])
    await double.advance(timedelta(minutes=61))
    assert double.channel(tid)["thread_metadata"]["archived"] is True
    status, _, _ = await call(http, double, "POST", f"/channels/{tid}/messages", {"content": "update"})
    assert status == 200 and double.channel(tid)["thread_metadata"]["archived"] is False
    await call(http, double, "PATCH", f"/channels/{tid}", {"archived": True, "locked": True})
    status, body, _ = await call(http, double, "POST", f"/channels/{tid}/messages", {"content": "late"})
    assert (status, body["code"]) == (400, 160005)
    # Adding a member by API posts Discord's visible "added" line.
    await call(http, double, "PATCH", f"/channels/{tid}", {"archived": False, "locked": False})
    status, _, _ = await call(http, double, "PUT", f"/channels/{tid}/thread-members/{alice}")
    assert status == 204
    system = double.channel_messages(tid)[-1]
    assert system["type"] == 1 and system["mentions"][0]["id"] == str(alice)
    double.world.max_active_threads = 1
    _, msg2, _ = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "second"})
    status, body, _ = await call(http, double, "POST", f"/channels/{ch}/messages/{msg2['id']}/threads", {"name": "#2"})
    assert (status, body["code"]) == (400, 160006)


async def test_forum_post_with_tags(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    g = double.add_guild("G")
    forum = g.add_forum_channel("incidents", tags=["en cours", "résolu"])
    tag = g.forum_tag_id(forum, "en cours")
    body = {"name": "Cerp en panne", "message": {"content": "Déclaré"}, "applied_tags": [str(tag)]}
    status, post, _ = await call(http, double, "POST", f"/channels/{forum}/threads", body)
    assert status == 201 and post["applied_tags"] == [str(tag)] and post["message"]["content"] == "Déclaré"
    assert post["message"]["id"] == post["id"]
    status, _, _ = await call(http, double, "POST", f"/channels/{forum}/messages", {"content": "x"})
    assert status == 403
    resolved = g.forum_tag_id(forum, "résolu")
    status, edited, _ = await call(http, double, "PATCH", f"/channels/{post['id']}", {"applied_tags": [str(resolved)]})
    assert status == 200 and edited["applied_tags"] == [str(resolved)]


async def test_dms_closed_and_too_fast(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    g = double.add_guild("G")
    open_ = g.add_member("open")
    closed = g.add_member("closed", dms_open=False)
    _, dm, _ = await call(http, double, "POST", "/users/@me/channels", {"recipient_id": str(open_)})
    assert dm["type"] == 1
    status, _, _ = await call(http, double, "POST", f"/channels/{dm['id']}/messages", {"content": "psst"})
    assert status == 200 and [m["content"] for m in double.dms(open_)] == ["psst"]
    assert [n.reason for n in double.notifications(open_)] == ["dm"]
    _, dm2, _ = await call(http, double, "POST", "/users/@me/channels", {"recipient_id": str(closed)})
    status, body, _ = await call(http, double, "POST", f"/channels/{dm2['id']}/messages", {"content": "psst"})
    assert (status, body["code"]) == (403, 50007)
    double.limit_dm_openings(0)
    third = g.add_member("third")
    status, body, _ = await call(http, double, "POST", "/users/@me/channels", {"recipient_id": str(third)})
    assert (status, body["code"]) == (403, 40003)


async def test_roles_hierarchy(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    g, _, alice = guild(double)
    status, role, _ = await call(
        http, double, "POST", f"/guilds/{g.id}/roles", {"name": "suivi-12", "mentionable": True}
    )
    assert status == 200 and role["mentionable"] is True
    status, _, _ = await call(http, double, "PUT", f"/guilds/{g.id}/members/{alice}/roles/{role['id']}")
    assert status == 204 and int(role["id"]) in double.member_roles(g.id, alice)
    high = g.add_role("admins", position=50)
    status, body, _ = await call(http, double, "PUT", f"/guilds/{g.id}/members/{alice}/roles/{high}")
    assert (status, body["code"]) == (403, 50013)
    status, _, _ = await call(http, double, "DELETE", f"/guilds/{g.id}/members/{alice}/roles/{role['id']}")
    assert status == 204 and int(role["id"]) not in double.member_roles(g.id, alice)


async def test_clock_long_poll_wakes_on_move(double: DiscordDouble) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(double.clock_url) as resp:
            first = await resp.json()
        assert first["epoch"] == 0 and datetime.fromisoformat(first["now"]) == T0

        async def poll() -> dict[str, Any]:
            async with s.get(double.clock_url, params={"wait_after": "0"}) as resp:
                return dict(await resp.json())

        task = asyncio.create_task(poll())
        await asyncio.sleep(0)
        assert not task.done()
        await double.advance(timedelta(hours=2))
        moved = await asyncio.wait_for(task, 5)
        assert moved["epoch"] == 1 and datetime.fromisoformat(moved["now"]) == T0 + timedelta(hours=2)


async def test_clock_long_poll_wakes_when_a_driver_asks_and_records_the_answer(double: DiscordDouble) -> None:
    async with aiohttp.ClientSession() as s:

        async def poll() -> dict[str, Any]:
            params = {"wait_after": "0", "asked_after": "0"}
            async with s.get(double.clock_url, params=params) as resp:
                return dict(await resp.json())

        task = asyncio.create_task(poll())
        asking = asyncio.create_task(double.wait_caught_up(timeout=5))
        heard = await asyncio.wait_for(task, 5)
        assert (heard["epoch"], heard["asked"]) == (0, 1), "the question wakes the poll; the clock did not move"
        async with s.post(f"{double.clock_url}/caught-up", json={"epoch": 0, "asked": 1}) as resp:
            assert resp.status == 204
        said = await asyncio.wait_for(asking, 5)
        assert (said.epoch, said.asked) == (0, 1) and double.caught_up == said
        async with s.post(f"{double.clock_url}/caught-up", json={"epoch": "soon"}) as resp:
            assert resp.status == 400


async def test_interaction_replies_skip_the_global_limit_and_notify_unless_ephemeral(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    g, ch, alice = guild(double)
    bob = g.add_member("bob")
    double.world.bulk_overwrite_commands(g.id, [{"name": "ping", "description": "d", "options": []}])
    double.set_global_limit(1)
    status, _, _ = await call(http, double, "POST", f"/channels/{ch}/messages", {"content": "uses the budget"})
    assert status == 200
    status, _, _ = await call(http, double, "GET", f"/channels/{ch}")
    assert status == 429
    ix = await double.run_command(alice, ch, "ping")
    path = f"/interactions/{ix.id}/{ix.token}/callback"
    status, _, _ = await call(http, double, "POST", path, {"type": 4, "data": {"content": f"<@{bob}> public"}})
    assert status == 204
    hook = f"/webhooks/{double.application_id}/{ix.token}?wait=true"
    status, secret, _ = await call(http, double, "POST", hook, {"content": f"<@{bob}> secret", "flags": 64})
    assert status == 200 and secret["flags"] & 64
    assert [(n.user_id, n.reason) for n in double.notifications()] == [(bob, "user_mention")]
    assert [m["content"] for m in double.channel_messages(ch)] == ["uses the budget", f"<@{bob}> public"]
    assert [f["content"] for f in ix.followups] == [f"<@{bob}> secret"]


async def test_stop_releases_a_pending_clock_long_poll_at_once() -> None:
    double = DiscordDouble(T0)
    await double.start()
    async with aiohttp.ClientSession() as s:
        poll = asyncio.create_task(s.get(double.clock_url, params={"wait_after": "0"}))
        await asyncio.sleep(0.1)  # let the request reach the double: nothing observable to wait on
        loop = asyncio.get_running_loop()
        started = loop.time()
        await double.stop()
        assert loop.time() - started < 2.0
        with contextlib.suppress(aiohttp.ClientError):
            (await poll).release()


async def test_roles_added_by_a_test_sit_under_the_bots_role(double: DiscordDouble) -> None:
    guild = double.add_guild("g")
    added = [guild.add_role(f"role {n}") for n in range(4)]
    positions = {int(r["id"]): r["position"] for r in double.roles(guild.id)}
    assert all(positions[guild.bot_role_id] > positions[role] for role in added)
    assert positions[guild.everyone_role_id] == 0
    assert len({positions[role] for role in added}) == len(added)
