"""The outbox made complete (issue 5, item 1): rate limits never bring a row closer to giving up, permanent
failures are told once in the bot log, closed DMs mark the member and stop their DMs, a 40003 pauses every DM
(and the pause survives a restart), placeholders with defaults and concatenations, and the markers an earlier
attempt leaves. Real SQLite; a fake Discord."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord

from bot.delivery import outbox
from bot.delivery.outbox import Claimed, Delivery
from bot.delivery.transport import Delivered, DeliveryContext, DiscordTransport, Failed, Outcome, RetryLater
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock
from tests.delivery.test_worker import NOBODY, queue_sends, statuses, worker_for

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
LOG_CHANNEL = 77


async def run(worker: OutboxWorker, timeout: float = 5.0) -> None:
    await worker.start()
    try:
        assert await worker.drain(timeout)
    finally:
        await worker.stop()


async def test_rate_limits_do_not_count_towards_giving_up(store: Store) -> None:
    limited = RetryLater("rate_limited", 0.001)
    discord_ = FakeDiscord(faults={5: [limited] * 6})
    await queue_sends(store, 5, 1)
    await run(worker_for(store, discord_, max_attempts=2))
    assert discord_.contents(5) == ["m0"]
    async with store.reading() as conn:
        (row,) = await outbox.rows_of_lane(conn, outbox.channel_lane(5))
    assert row.status == "done" and row.attempts == 1


async def test_server_errors_still_give_up(store: Store) -> None:
    discord_ = FakeDiscord(faults={5: [RetryLater("server_error_503")] * 6})
    await queue_sends(store, 5, 1)
    await run(worker_for(store, discord_, max_attempts=2))
    assert await statuses(store, outbox.channel_lane(5)) == ["failed"]


async def configure_log(store: Store, guild_id: int = 1, language: str = "fr") -> None:
    async with store.unit_of_work() as conn:
        await conn.execute(
            "INSERT INTO guild_settings (guild_id, language, bot_log_channel_id, updated_at) VALUES (?, ?, ?, ?)",
            (guild_id, language, LOG_CHANNEL, "2024-11-04T09:00:00+00:00"),
        )


async def test_a_permanent_failure_is_told_once_in_the_bot_log(store: Store) -> None:
    # A channel that no longer exists: nothing can make these messages deliverable again.
    await configure_log(store)
    refused = Failed(404, 10003, "Unknown Channel")
    discord_ = FakeDiscord(faults={5: [refused, refused, refused]})
    await queue_sends(store, 5, 3)
    await run(worker_for(store, discord_))
    assert await statuses(store, outbox.channel_lane(5)) == ["failed"] * 3
    (told,) = discord_.contents(LOG_CHANNEL)
    assert told.startswith("⚠️ Échec définitif : publication dans <#5>.") and "10003" in told, told
    async with (
        store.reading() as conn,
        conn.execute("SELECT COUNT(*) FROM outbox WHERE failure_told_at IS NOT NULL") as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None and row[0] == 3, "every failed row is marked told, one sentence for all"


async def test_a_missing_permission_is_told_once_as_waiting_and_what_it_holds_goes_out_when_asked_again(
    store: Store,
) -> None:
    await configure_log(store)
    refused = Failed(403, 50013, "Missing Permissions")
    discord_ = FakeDiscord(faults={5: [refused, refused, refused, refused]})
    await queue_sends(store, 5, 3)
    await run(worker_for(store, discord_))
    assert await statuses(store, outbox.channel_lane(5)) == ["failed"] * 3
    (told,) = discord_.contents(LOG_CHANNEL)
    assert told.startswith("⚠️ Envoi en attente : publication dans <#5>.") and "50013" in told, told
    assert "Tocsin ne réessaiera pas" not in told
    # Asked again while the channel still refuses: one request, not three, and nothing told again.
    attempts = len(discord_.attempts)
    async with store.unit_of_work() as conn:
        assert await outbox.ask_again_owed(conn, guild_id=1, now=NOW) == 3
    await run(worker_for(store, discord_))
    assert len(discord_.attempts) == attempts + 1
    assert await statuses(store, outbox.channel_lane(5)) == ["failed"] * 3
    assert len(discord_.contents(LOG_CHANNEL)) == 1
    # The permission is back: the three go out once, in their order.
    async with store.unit_of_work() as conn:
        await outbox.ask_again_owed(conn, guild_id=1, now=NOW)
    await run(worker_for(store, discord_))
    assert discord_.contents(5) == ["m0", "m1", "m2"]
    assert await statuses(store, outbox.channel_lane(5)) == ["done"] * 3


async def test_what_is_owed_is_asked_again_when_the_worker_starts(store: Store) -> None:
    refused = Failed(403, 50001, "Missing Access")
    discord_ = FakeDiscord(faults={5: [refused]})
    await queue_sends(store, 5, 2)
    await run(worker_for(store, discord_))
    assert discord_.contents(5) == ["m1"]
    await run(worker_for(store, discord_))  # a restart: the access came back meanwhile
    assert discord_.contents(5) == ["m1", "m0"]
    assert await statuses(store, outbox.channel_lane(5)) == ["done", "done"]


class FakeDMs:
    """DMs: a user's DM channel is its id + 1000; `closed` users answer 50007; `too_fast` answers 40003 for the
    first openings."""

    def __init__(self, closed: set[int] = frozenset(), too_fast: int = 0, pause_s: float = 0.3) -> None:  # type: ignore[assignment]
        self.closed = set(closed)
        self.too_fast = too_fast
        self.pause_s = pause_s
        self.sent: list[tuple[int, float]] = []
        self.refused: list[int] = []

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        user = int(delivery.payload["user_id"])
        await context.before_request()
        if self.too_fast:
            self.too_fast -= 1
            return RetryLater("dm_opened_too_fast", self.pause_s)
        if user in self.closed:
            self.refused.append(user)
            return Failed(403, 50007, "Cannot send messages to this user")
        self.sent.append((user, time.monotonic()))
        return Delivered({"message_id": str(len(self.sent)), "channel_id": str(user + 1000)})


async def queue_dms(store: Store, users: list[int], count: int = 1) -> None:
    async with store.unit_of_work() as conn:
        for n in range(count):
            for user in users:
                await outbox.enqueue(
                    conn,
                    guild_id=1,
                    lane=outbox.dm_lane(user),
                    kind="send_dm",
                    payload={"user_id": user, "content": f"dm{n}", "allowed_mentions": NOBODY},
                    now=NOW,
                )


async def test_closed_dms_mark_the_member_and_drop_their_waiting_dms(store: Store) -> None:
    dms = FakeDMs(closed={2})
    await queue_dms(store, [1, 2], count=3)
    await run(worker_for(store, dms))  # type: ignore[arg-type]
    assert dms.refused == [2], "one refused request, never retried, the others not attempted"
    assert sorted(u for u, _ in dms.sent) == [1, 1, 1]
    async with store.reading() as conn:
        async with conn.execute("SELECT user_id, told_at FROM member_dm_status") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(2, None)]
        async with conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'send_message'") as cursor:
            row = await cursor.fetchone()
    assert row is not None and row[0] == 0, "closed DMs are the member's choice: not told in the bot log"


async def test_40003_pauses_every_dm_and_the_pause_survives_a_restart(store: Store) -> None:
    dms = FakeDMs(too_fast=1, pause_s=0.4)
    await queue_dms(store, [1, 2, 3])
    started = time.monotonic()
    await run(worker_for(store, dms, dm_rate_per_s=100.0))  # type: ignore[arg-type]
    assert sorted(u for u, _ in dms.sent) == [1, 2, 3]
    assert min(at for _, at in dms.sent) - started >= 0.35, "no DM went out during the pause"
    async with (
        store.reading() as conn,
        conn.execute("SELECT value FROM delivery_state WHERE key = 'dm_paused_until'") as cursor,
    ):
        assert await cursor.fetchone() is not None

    # A restarted worker reads the pause back and waits it out.
    async with store.unit_of_work() as conn:
        later = (NOW + timedelta(seconds=0.4)).isoformat()
        await conn.execute("UPDATE delivery_state SET value = ? WHERE key = 'dm_paused_until'", (later,))
    dms2 = FakeDMs()
    await queue_dms(store, [4])
    started = time.monotonic()
    await run(worker_for(store, dms2))  # type: ignore[arg-type]
    assert dms2.sent and dms2.sent[0][1] - started >= 0.3


async def test_dms_share_one_pace(store: Store) -> None:
    dms = FakeDMs()
    await queue_dms(store, list(range(1, 7)))
    await run(worker_for(store, dms, dm_rate_per_s=20.0))  # type: ignore[arg-type]
    times = sorted(at for _, at in dms.sent)
    assert times[-1] - times[0] >= 5 / 20.0 * 0.8, "six DMs at 20/s take at least a quarter second"


async def test_a_reference_with_a_default_survives_a_failed_row_and_concatenations_resolve(store: Store) -> None:
    async with store.unit_of_work() as conn:
        role_row = await outbox.enqueue(
            conn, guild_id=1, lane="guild:1:roles", kind="create_role", payload={"guild_id": 1, "name": "x"}, now=NOW
        )
        ref = outbox.ref(role_row, "role_id")
        post = await outbox.enqueue(
            conn,
            guild_id=1,
            lane="incident:1:1",
            kind="send_message",
            payload={
                "channel_id": 9,
                "content": {"$concat": [{**ref, "format": "<@&{}> ", "default": ""}, "hello"]},
                "allowed_mentions": {"parse": [], "users": [], "roles": [{**ref, "default": None}]},
            },
            now=NOW,
        )
        await outbox.mark_failed(conn, role_row, status=403, code=50013, text="no", now=NOW)
        claim = await outbox.claim_next(conn, "incident:1:1", now=NOW)
    assert isinstance(claim, Claimed) and claim.delivery.id == post
    assert claim.delivery.payload["content"] == "hello"
    assert claim.delivery.payload["allowed_mentions"]["roles"] == []

    async with store.unit_of_work() as conn:
        role_row = await outbox.enqueue(
            conn, guild_id=1, lane="guild:1:roles2", kind="create_role", payload={"guild_id": 1, "name": "y"}, now=NOW
        )
        ref = outbox.ref(role_row, "role_id")
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane="incident:1:2",
            kind="send_message",
            payload={
                "channel_id": 9,
                "content": {"$concat": [{**ref, "format": "<@&{}> ", "default": ""}, "hello"]},
                "allowed_mentions": {"parse": [], "users": [], "roles": [{**ref, "default": None}]},
            },
            now=NOW,
        )
        assert isinstance(await outbox.claim_next(conn, "incident:1:2", now=NOW), outbox.Blocked)
        await outbox.mark_done(conn, role_row, {"role_id": "555"}, now=NOW)
        claim = await outbox.claim_next(conn, "incident:1:2", now=NOW)
    assert isinstance(claim, Claimed)
    assert claim.delivery.payload["content"] == "<@&555> hello"
    assert claim.delivery.payload["allowed_mentions"]["roles"] == ["555"]


# --- markers of earlier attempts ---------------------------------------------------------------------------


class FakeHttp:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.roles: list[dict[str, Any]] = [{"id": "31", "name": "suivi #4"}]
        self.messages: list[dict[str, Any]] = []
        self.threads: list[dict[str, Any]] = []

    async def get_roles(self, guild_id: int) -> list[dict[str, Any]]:
        self.calls.append("get_roles")
        return self.roles

    async def create_role(self, guild_id: int, **fields: Any) -> dict[str, Any]:
        self.calls.append("create_role")
        return {"id": "99"}

    async def request(self, route: Any, **kwargs: Any) -> Any:
        self.calls.append(f"{route.method} {route.path}")
        if route.method == "GET" and route.path.endswith("/messages"):
            return self.messages
        if route.method == "GET" and route.path.endswith("/threads/active"):
            return {"threads": self.threads}
        if route.method == "POST" and route.path.endswith("/messages"):
            return {"id": "500", "channel_id": str(route.channel_id)}
        if route.method == "POST" and route.path.endswith("/threads"):
            return {"id": "600"}
        raise AssertionError(route.path)


class Context:
    async def before_request(self, *, message_channel_id: int | None = None) -> None:
        return None

    async def dm_channel(self, user_id: int) -> int | None:
        return None

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        return None


def transport_with(http: FakeHttp) -> DiscordTransport:
    client: Any = SimpleNamespace(http=http, user=SimpleNamespace(id=1))
    return DiscordTransport(client)


def delivery(kind: str, payload: dict[str, Any], *, earlier: datetime | None, claimed: datetime = NOW) -> Delivery:
    return Delivery(12, 1, "lane", kind, payload, 2 if earlier else 1, earlier_attempt_at=earlier, claimed_at=claimed)


async def test_a_role_made_by_an_earlier_attempt_is_adopted() -> None:
    http = FakeHttp()
    row = delivery("create_role", {"guild_id": 1, "name": "suivi #4"}, earlier=NOW - timedelta(seconds=5))
    assert await transport_with(http).perform(row, Context()) == Delivered({"role_id": "31"})
    assert http.calls == ["get_roles"]
    first = delivery("create_role", {"guild_id": 1, "name": "suivi #4"}, earlier=None)
    assert await transport_with(http).perform(first, Context()) == Delivered({"role_id": "99"})


async def test_a_forum_post_made_by_an_earlier_attempt_is_adopted() -> None:
    http = FakeHttp()
    http.threads = [{"id": "700", "parent_id": "8", "name": "#4 · panne"}]
    payload = {"channel_id": 8, "name": "#4 · panne", "message": {"content": "x", "allowed_mentions": NOBODY}}
    row = delivery("create_thread", payload, earlier=NOW - timedelta(seconds=5))
    outcome = await transport_with(http).perform(row, Context())
    assert outcome == Delivered({"thread_id": "700", "channel_id": "8", "message_id": "700"})


async def test_a_send_past_the_nonce_window_looks_for_its_earlier_message() -> None:
    http = FakeHttp()
    http.messages = [{"id": "450", "author": {"id": "1"}, "nonce": "o12", "content": "hello"}]
    payload = {"channel_id": 9, "content": "hello", "allowed_mentions": NOBODY}
    late = delivery("send_message", payload, earlier=NOW - timedelta(minutes=6))
    assert await transport_with(http).perform(late, Context()) == Delivered({"message_id": "450", "channel_id": "9"})
    assert "POST /channels/{channel_id}/messages" not in http.calls
    # Within the window the nonce protects the repeat: no lookup.
    http.calls.clear()
    soon = delivery("send_message", payload, earlier=NOW - timedelta(seconds=30))
    assert await transport_with(http).perform(soon, Context()) == Delivered({"message_id": "500", "channel_id": "9"})
    assert http.calls == ["POST /channels/{channel_id}/messages"]


async def test_a_locked_thread_sends_to_its_parent() -> None:
    class LockedHttp(FakeHttp):
        async def request(self, route: Any, **kwargs: Any) -> Any:
            if route.method == "POST" and "channel_id" in route.path and route.channel_id == 9:
                response: Any = SimpleNamespace(status=400, reason="x", headers={})
                raise discord.HTTPException(response, {"code": 160005, "message": "Thread is locked"})
            return await super().request(route, **kwargs)

        async def get_channel(self, channel_id: int) -> dict[str, Any]:
            return {"id": str(channel_id), "parent_id": "8"}

    http = LockedHttp()
    payload = {"channel_id": 9, "content": "hello", "allowed_mentions": NOBODY}
    outcome = await transport_with(http).perform(delivery("send_message", payload, earlier=None), Context())
    assert outcome == Delivered({"message_id": "500", "channel_id": "8", "fallback_from": "9"})


async def test_concurrent_lanes_are_not_slowed_by_a_dm_pause(store: Store) -> None:
    dms = FakeDMs(too_fast=1, pause_s=0.5)
    await queue_dms(store, [1])
    await queue_sends(store, 5, 1)

    class Both:
        def __init__(self) -> None:
            self.channel = FakeDiscord()

        async def perform(self, d: Delivery, context: DeliveryContext) -> Outcome:
            return await (dms if d.kind == "send_dm" else self.channel).perform(d, context)

    both = Both()
    worker = OutboxWorker(store, both, FixedClock(), poll_s=0.05, backoff=(0.005, 0.02))
    await worker.start()
    try:
        await asyncio.sleep(0.2)
        assert both.channel.contents(5) == ["m0"], "a channel post does not wait for the DM pause"
        assert await worker.drain(5)
    finally:
        await worker.stop()
