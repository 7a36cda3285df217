"""A server at Discord's cap on active threads (400, code 160006 "Maximum number of active threads reached"):
the incident's thread cannot be created. Its status message, announcements, thread posts and DMs still go out
(posts into the thread in its parent channel, links to the status message), the refusal is recorded once and
told once in the bot log, nothing is lost or sent twice, and the thread is asked for again at the next post.
Real SQLite and the real worker; a fake Discord that keeps a count of active threads."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord

from bot.delivery import outbox
from bot.delivery.outbox import Blocked, Claimed
from bot.delivery.transport import Delivered, DeliveryContext, DiscordTransport, Failed, Outcome
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.test_delivery_complete import LOG_CHANNEL, Context, FakeHttp, configure_log
from tests.delivery.test_worker import NOBODY, worker_for

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
INCIDENTS, FORUM = 10, 11
ROUTES = (21, 22)
FULL = Failed(400, 160006, "Maximum number of active threads reached")
LINK = "https://discord.com/channels/1/{}"


@dataclass
class Thread:
    id: int
    parent: int
    name: str
    archived: bool = False


@dataclass
class FullServer:
    """Discord for one guild with `cap` active threads at most (threads already there count)."""

    cap: int
    active_elsewhere: int = 0
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    messages: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    threads: dict[int, Thread] = field(default_factory=dict)
    dms: dict[int, list[str]] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)

    @property
    def active(self) -> int:
        return self.active_elsewhere + sum(1 for t in self.threads.values() if not t.archived)

    def texts(self, channel: int) -> list[str]:
        return [text for _, text in self.messages.get(channel, [])]

    def post(self, channel: int, text: str) -> int:
        message_id = next(self.ids)
        self.messages.setdefault(channel, []).append((message_id, text))
        return message_id

    async def perform(self, delivery: outbox.Delivery, context: DeliveryContext) -> Outcome:
        payload = delivery.payload
        await context.before_request()
        if delivery.kind == "send_message":
            channel = int(payload["channel_id"])
            self.requests.append(("post", channel))
            if channel in self.threads and self.threads[channel].archived:
                return Failed(400, 50083, "Thread is archived")
            return Delivered(
                {"message_id": str(self.post(channel, str(payload["content"]))), "channel_id": str(channel)}
            )
        if delivery.kind == "send_dm":
            self.dms.setdefault(int(payload["user_id"]), []).append(str(payload["content"]))
            return Delivered({"message_id": str(next(self.ids)), "channel_id": "900"})
        if delivery.kind == "edit_message":
            channel, message = int(payload["channel_id"]), int(payload["message_id"])
            self.requests.append(("edit", channel))
            for index, (mid, _) in enumerate(self.messages.get(channel, [])):
                if mid == message:
                    self.messages[channel][index] = (mid, str(payload["content"]))
                    return Delivered({"message_id": str(mid), "channel_id": str(channel)})
            return Failed(404, 10008, "Unknown Message")
        if delivery.kind == "create_thread":
            parent = int(payload["channel_id"])
            self.requests.append(("create_thread", parent))
            if self.active >= self.cap:
                return FULL
            if payload.get("message_id") is not None:
                thread = Thread(int(payload["message_id"]), parent, str(payload["name"]))
                self.threads[thread.id] = thread
                return Delivered({"thread_id": str(thread.id), "channel_id": str(parent)})
            thread = Thread(next(self.ids), parent, str(payload["name"]))
            self.threads[thread.id] = thread
            self.messages[thread.id] = [(thread.id, str(payload["message"]["content"]))]
            return Delivered({"thread_id": str(thread.id), "channel_id": str(parent), "message_id": str(thread.id)})
        if delivery.kind == "edit_thread":
            target = int(payload["thread_id"])
            self.requests.append(("edit_thread", target))
            if target not in self.threads:
                return Failed(400, 50024, "Cannot execute action on this channel type")
            self.threads[target].archived = bool(payload.get("archived", self.threads[target].archived))
            return Delivered({"thread_id": str(target)})
        return Failed(None, None, f"unexpected {delivery.kind}")


LANE = "incident:1:1"


def say(text: Any) -> dict[str, Any]:
    return {"content": text, "allowed_mentions": NOBODY}


async def declare(store: Store, *, forum: bool = False, lane: str = LANE, title: str = "#1") -> int:
    """What a declaration plans (bot/incidents/use_cases/deliveries.plan_declared): the status message and its thread
    (or the forum post that is both), then one announcement per route linking the thread; returns the thread row."""
    async with store.unit_of_work() as conn:
        if forum:
            thread = await outbox.enqueue(
                conn,
                guild_id=1,
                lane=lane,
                kind="create_thread",
                payload={"channel_id": FORUM, "name": title, "message": say(f"{title} statut")},
                now=NOW,
            )
        else:
            status = await outbox.enqueue(
                conn,
                guild_id=1,
                lane=lane,
                kind="send_message",
                payload={"channel_id": INCIDENTS, **say(f"{title} statut")},
                now=NOW,
            )
            thread = await outbox.enqueue(
                conn,
                guild_id=1,
                lane=lane,
                kind="create_thread",
                payload={"channel_id": INCIDENTS, "message_id": outbox.ref(status), "name": title},
                depends_on=status,
                now=NOW,
            )
        for route in ROUTES:
            link = outbox.ref(thread, "thread_id", template=LINK)
            await outbox.enqueue(
                conn,
                guild_id=1,
                lane=outbox.channel_lane(route),
                kind="send_message",
                payload={"channel_id": route, **say({"$concat": [f"{title} annoncé ", link]})},
                now=NOW,
            )
    return thread


async def post(store: Store, thread: int, text: str, *, lane: str = LANE, dm_to: tuple[int, ...] = ()) -> None:
    """What an update plans: a post into the thread, and opt-in DMs linking it."""
    async with store.unit_of_work() as conn:
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane=lane,
            kind="send_message",
            payload={"channel_id": outbox.ref(thread, "thread_id"), **say(text)},
            now=NOW,
        )
        for user in dm_to:
            link = outbox.ref(thread, "thread_id", template=LINK)
            await outbox.enqueue(
                conn,
                guild_id=1,
                lane=outbox.dm_lane(user),
                kind="send_dm",
                payload={"user_id": user, **say({"$concat": [f"{text} ", link]})},
                now=NOW,
            )


async def edit_thread(store: Store, thread: int, **fields: Any) -> None:
    async with store.unit_of_work() as conn:
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane=LANE,
            kind="edit_thread",
            payload={"thread_id": outbox.ref(thread, "thread_id"), **fields},
            now=NOW,
        )


async def run(worker: OutboxWorker, until: Callable[[], bool] | None = None, timeout: float = 5.0) -> None:
    """Delivers until nothing is left to send (or until `until` holds, when rows are expected to wait)."""
    await worker.start()
    try:
        if until is None:
            assert await worker.drain(timeout)
        else:
            async with asyncio.timeout(timeout):
                while not until():  # noqa: ASYNC110 (the fake Discord has no event to wait on)
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # whatever else the worker would (wrongly) do now
    finally:
        await worker.stop()


async def row(store: Store, row_id: int) -> outbox.OutboxRow:
    async with store.reading() as conn:
        found = await outbox.get(conn, row_id)
    assert found is not None
    return found


async def failed_rows(store: Store) -> list[tuple[str, int | None, str | None]]:
    async with (
        store.reading() as conn,
        conn.execute("SELECT kind, error_code, error_text FROM outbox WHERE status = 'failed' ORDER BY id") as cursor,
    ):
        return [(str(r[0]), r[1], r[2]) for r in await cursor.fetchall()]


def told(discord_: FullServer) -> list[str]:
    return discord_.texts(LOG_CHANNEL)


async def test_a_full_server_still_gets_the_status_announcements_posts_and_dms_and_is_told_once(store: Store) -> None:
    await configure_log(store)
    server = FullServer(cap=3, active_elsewhere=3)
    thread = await declare(store)
    await post(store, thread, "Point de 10 h", dm_to=(41, 42))
    await run(worker_for(store, server))

    (status_id, status_text), fallback = server.messages[INCIDENTS]
    assert status_text == "#1 statut"
    assert fallback[1] == "Point de 10 h", "the post went to the thread's parent channel, once"
    assert server.threads == {}
    for route in ROUTES:  # each announcement once, linking the status message the thread would have started from
        assert server.texts(route) == [f"#1 annoncé https://discord.com/channels/1/{INCIDENTS}/{status_id}"]
    assert server.dms == {
        user: [f"Point de 10 h https://discord.com/channels/1/{INCIDENTS}/{status_id}"] for user in (41, 42)
    }
    # Recorded once (the thread's creation, 400 / 160006), nothing failed because of it, told once.
    assert await failed_rows(store) == [("create_thread", 160006, "Maximum number of active threads reached")]
    assert server.requests.count(("create_thread", INCIDENTS)) == 1
    (sentence,) = told(server)
    assert sentence.startswith(
        "⚠️ Limite de fils atteinte — création d'un fil dans <#10> : le serveur a atteint la limite Discord de fils "
        "actifs (HTTP 400, code 160006)."
    )
    assert "publiés dans <#10>" in sentence and "redemandé à la prochaine mise à jour" in sentence


async def test_edits_of_a_thread_never_made_touch_nothing(store: Store) -> None:
    server = FullServer(cap=0)
    thread = await declare(store)
    await edit_thread(store, thread, name="#1 renommé")
    await edit_thread(store, thread, archived=True)
    await run(worker_for(store, server))
    assert not [r for r in server.requests if r[0] == "edit_thread"], "never the parent channel renamed or archived"
    async with store.reading() as conn:
        edits = [r for r in await outbox.rows_of_lane(conn, LANE) if r.kind == "edit_thread"]
    assert [(r.status, r.result) for r in edits] == [("done", {"skipped": f"thread of row {thread} not created"})] * 2


async def test_the_next_post_asks_for_the_thread_again_and_goes_into_it_once_it_exists(store: Store) -> None:
    await configure_log(store)
    server = FullServer(cap=3, active_elsewhere=3)
    thread = await declare(store)
    await post(store, thread, "Point 1")
    await run(worker_for(store, server))
    assert server.texts(INCIDENTS) == ["#1 statut", "Point 1"]

    # Still full at the next post: asked again (one refused request), posted in the parent again, not told again.
    await post(store, thread, "Point 2")
    assert (await row(store, thread)).status == "pending", "the refused creation is asked again first"
    await run(worker_for(store, server))
    assert server.requests.count(("create_thread", INCIDENTS)) == 2
    assert server.texts(INCIDENTS) == ["#1 statut", "Point 1", "Point 2"]
    assert len(told(server)) == 1
    assert await failed_rows(store) == [("create_thread", 160006, "Maximum number of active threads reached")]

    # A slot freed (threads archived elsewhere): the next post creates the thread from the status message first.
    server.active_elsewhere = 0
    await post(store, thread, "Point 3", dm_to=(41,))
    await run(worker_for(store, server))
    status_id = server.messages[INCIDENTS][0][0]
    assert list(server.threads) == [status_id]
    assert server.texts(status_id) == ["Point 3"]
    assert server.texts(INCIDENTS) == ["#1 statut", "Point 1", "Point 2"], "nothing posted twice"
    assert server.dms[41] == [f"Point 3 https://discord.com/channels/1/{status_id}"]
    assert (await row(store, thread)).status == "done" and await failed_rows(store) == []
    assert len(told(server)) == 1
    # From now on it is an ordinary thread: its edits reach it.
    await edit_thread(store, thread, archived=True)
    await run(worker_for(store, server))
    assert server.threads[status_id].archived


async def test_a_forum_post_waits_for_a_slot_while_its_announcements_go_out(store: Store) -> None:
    await configure_log(store)
    server = FullServer(cap=1, active_elsewhere=1)
    thread = await declare(store, forum=True)
    await post(store, thread, "Point 1")
    await run(worker_for(store, server), until=lambda: all(server.texts(r) for r in ROUTES) and bool(told(server)))
    # A forum takes no message: the announcements link the forum, what goes into the post waits, nothing fails.
    for route in ROUTES:
        assert server.texts(route) == [f"#1 annoncé https://discord.com/channels/1/{FORUM}"]
    assert server.messages.get(FORUM) is None and server.threads == {}
    assert ("post", FORUM) not in server.requests
    async with store.unit_of_work() as conn:
        waiting = [r.status for r in await outbox.rows_of_lane(conn, LANE) if r.kind == "send_message"]
        assert waiting == ["pending"]
        assert isinstance(await outbox.claim_next(conn, LANE, now=NOW), Blocked)
    assert len(told(server)) == 1

    # The next post asks again; with a slot free, the post is made, then both posts go into it, in order.
    server.active_elsewhere = 0
    await post(store, thread, "Point 2")
    await run(worker_for(store, server, poll_s=0.02))
    (made,) = server.threads
    assert server.texts(made) == ["#1 statut", "Point 1", "Point 2"]
    assert await failed_rows(store) == [] and len(told(server)) == 1


async def test_two_incidents_refused_within_the_hour_are_told_once(store: Store) -> None:
    await configure_log(store)
    server = FullServer(cap=0)
    await declare(store, lane="incident:1:1", title="#1")
    await declare(store, lane="incident:1:2", title="#2")
    await run(worker_for(store, server))
    assert [kind for kind, _, _ in await failed_rows(store)] == ["create_thread", "create_thread"]
    assert len(told(server)) == 1, "a full server is one cause, told once"
    assert server.texts(INCIDENTS) == ["#1 statut", "#2 statut"]


async def test_links_and_posts_resolve_against_the_refused_row_directly(store: Store) -> None:
    """The resolution alone: a link becomes the status message's URL, a post's channel the parent, a plain
    reference to a forum post that does not exist waits, a field a thread never has fails as before."""
    thread = await declare(store)
    async with store.unit_of_work() as conn:
        (status_row,) = [r.id for r in await outbox.rows_of_lane(conn, LANE) if r.kind == "send_message"]
        await outbox.mark_done(conn, status_row, {"message_id": "321", "channel_id": str(INCIDENTS)}, now=NOW)
        await outbox.mark_failed(conn, thread, status=400, code=160006, text="full", now=NOW)
        stand_in = await outbox.unmade_thread(conn, thread)
        assert stand_in == outbox.UnmadeThread(thread, str(INCIDENTS), f"{INCIDENTS}/321", in_forum=False)
        claim = await outbox.claim_next(conn, outbox.channel_lane(ROUTES[0]), now=NOW)
        assert isinstance(claim, Claimed)
        assert claim.delivery.payload["content"] == f"#1 annoncé https://discord.com/channels/1/{INCIDENTS}/321"
        other = await outbox.enqueue(
            conn,
            guild_id=1,
            lane="other",
            kind="send_message",
            payload={"channel_id": 5, **say({"$concat": ["x", outbox.ref(thread, "message_id")]})},
            now=NOW,
        )
        assert await outbox.claim_next(conn, "other", now=NOW) is None
        gone = await outbox.get(conn, other)
        assert gone is not None and gone.status == "failed" and (gone.error_text or "").startswith("dependency_failed")
        # Only a refusal for the cap stands in: a thread refused for a permission still fails what needs it.
        await outbox.mark_failed(conn, thread, status=403, code=50013, text="Missing Permissions", now=NOW)
        assert await outbox.unmade_thread(conn, thread) is None


async def test_posting_into_an_archived_thread_of_a_full_server_goes_to_its_parent() -> None:
    """The thread exists but is archived, and a message would unarchive it: Discord refuses it with 160006 like
    a locked thread's 160005; the post goes to the parent channel."""

    class FullHttp(FakeHttp):
        async def request(self, route: Any, **kwargs: Any) -> Any:
            if route.method == "POST" and "channel_id" in route.path and route.channel_id == 9:
                response: Any = SimpleNamespace(status=400, reason="Bad Request", headers={})
                raise discord.HTTPException(response, {"code": 160006, "message": FULL.text})
            return await super().request(route, **kwargs)

        async def get_channel(self, channel_id: int) -> dict[str, Any]:
            return {"id": str(channel_id), "parent_id": "8", "thread_metadata": {"archived": True}}

    client: Any = SimpleNamespace(http=FullHttp(), user=SimpleNamespace(id=1))
    row_ = outbox.Delivery(12, 1, "lane", "send_message", {"channel_id": 9, **say("hello")}, 1, claimed_at=NOW)
    outcome = await DiscordTransport(client).perform(row_, Context())
    assert outcome == Delivered({"message_id": "500", "channel_id": "8", "fallback_from": "9"})


async def test_a_refusal_told_more_than_an_hour_ago_on_another_incident_is_told_again(store: Store) -> None:
    await configure_log(store)
    server = FullServer(cap=0)
    await declare(store, lane="incident:1:1", title="#1")
    await run(worker_for(store, server))
    async with store.unit_of_work() as conn:
        await conn.execute(
            "UPDATE outbox SET failure_told_at = ? WHERE failure_told_at IS NOT NULL",
            ((NOW - timedelta(hours=2)).isoformat(),),
        )
    await declare(store, lane="incident:1:2", title="#2")
    await run(worker_for(store, server))
    assert len(told(server)) == 2
