"""`edit_interaction_reply`: the private reply of a declaration gets the thread's link once the thread exists,
through the real transport against a recording HTTP client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord.http import Route

from bot.delivery import outbox
from bot.delivery.transport import DiscordTransport
from bot.delivery.worker import OutboxWorker
from bot.storage.store import Store
from tests.delivery.fakes import FixedClock

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
GUILD, CHANNEL, APP = 1, 50, 900


class RecordingHttp:
    """Answers like Discord: a thread gets id 777 (once `thread_may_go` is set); an expired token is refused."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.thread_may_go = asyncio.Event()

    async def request(self, route: Route, **kwargs: Any) -> Any:
        if route.path.endswith("/threads"):
            await self.thread_may_go.wait()
        self.requests.append((route.method, route.url, kwargs.get("json")))
        if "/webhooks/" in route.url and "expired" in route.url:
            response: Any = SimpleNamespace(status=404, reason="Not Found", headers={})
            raise discord.NotFound(response, {"code": 10015, "message": "Unknown Webhook"})
        if route.path.endswith("/threads"):
            return {"id": "777"}
        return {"id": "555"}


def worker_for(store: Store, http: RecordingHttp) -> OutboxWorker:
    transport = DiscordTransport(SimpleNamespace(http=http))  # type: ignore[arg-type]
    return OutboxWorker(store, transport, FixedClock(), global_rate=1000.0, global_burst=100.0, poll_s=0.05)


async def declare_with_reply_edits(store: Store, tokens: list[str]) -> tuple[int, list[int]]:
    async with store.unit_of_work() as conn:
        thread_row = await outbox.enqueue(
            conn,
            guild_id=GUILD,
            lane=outbox.channel_lane(CHANNEL),
            kind="create_thread",
            payload={"channel_id": CHANNEL, "name": "#1 · Cerp"},
            now=NOW,
        )
    edits = []
    for token in tokens:
        async with store.unit_of_work() as conn:  # written after the reply was sent, as the cog does
            link = outbox.ref(thread_row, "thread_id", template=f"https://discord.com/channels/{GUILD}/{{}}")
            edits.append(
                await outbox.enqueue(
                    conn,
                    guild_id=GUILD,
                    lane=outbox.reply_lane(GUILD),
                    kind="edit_interaction_reply",
                    payload={
                        "application_id": str(APP),
                        "token": token,
                        "content": ["Panne #1 déclarée : Cerp\nFil : ", link, "\nDébut : <t:1:F>"],
                        "allowed_mentions": {"parse": []},
                    },
                    now=NOW,
                )
            )
    return thread_row, edits


async def row(store: Store, row_id: int) -> outbox.OutboxRow:
    async with store.reading() as conn:
        found = await outbox.get(conn, row_id)
    assert found is not None
    return found


async def test_the_reply_is_edited_with_the_link_once_the_thread_exists(store: Store) -> None:
    http = RecordingHttp()
    thread_row, (edit,) = await declare_with_reply_edits(store, ["tok-1"])
    worker = worker_for(store, http)
    await worker.start()
    try:
        worker.wake()
        async with store.reading() as conn:
            assert isinstance(await outbox.claim_next(conn, outbox.reply_lane(GUILD), now=NOW), outbox.Blocked)
        assert not any("/webhooks/" in url for _, url, _ in http.requests)  # nothing to link yet
        http.thread_may_go.set()
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert (await row(store, thread_row)).status == "done"
    done = await row(store, edit)
    assert done.status == "done"
    method, url, body = http.requests[-1]
    assert method == "PATCH" and url.endswith(f"/webhooks/{APP}/tok-1/messages/@original")
    assert body == {
        "content": f"Panne #1 déclarée : Cerp\nFil : https://discord.com/channels/{GUILD}/777\nDébut : <t:1:F>",
        "allowed_mentions": {"parse": []},
    }


async def test_an_expired_token_fails_the_edit_alone_and_is_recorded(store: Store) -> None:
    http = RecordingHttp()
    http.thread_may_go.set()
    _, (stale, fresh) = await declare_with_reply_edits(store, ["expired", "tok-2"])
    worker = worker_for(store, http)
    await worker.start()
    try:
        assert await worker.drain(5)
    finally:
        await worker.stop()
    failed = await row(store, stale)
    assert (failed.status, failed.error_status, failed.error_code) == ("failed", 404, 10015)
    assert (await row(store, fresh)).status == "done"
    assert worker.counters.failed == 1


async def test_an_edit_needs_its_application_and_token(store: Store) -> None:
    async with store.unit_of_work() as conn:
        with pytest.raises(ValueError, match="application_id and token"):
            await outbox.enqueue(
                conn,
                guild_id=GUILD,
                lane=outbox.reply_lane(GUILD),
                kind="edit_interaction_reply",
                payload={"application_id": str(APP), "content": "x"},
                now=NOW,
            )
