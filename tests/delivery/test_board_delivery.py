"""Delivering boards: the transport edits a board's message, posts it anew (and pins it when the bot may) when it
has none, was deleted (10008) or is refused more edits (30046, the old one then deleted by a row of its own);
a board lane sends at most one request per interval, always the latest content."""

from __future__ import annotations

import asyncio
import itertools
import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.delivery import aftermath, outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import (
    RATE_LIMIT_REASONS,
    Delivered,
    DeliveryContext,
    DiscordTransport,
    Outcome,
    RetryLater,
    outcome_of_error,
)
from bot.storage.store import Store
from tests.delivery.fakes import FakeDiscord, FixedClock, Posted
from tests.delivery.test_worker import NOBODY, NOW, worker_for

BOARD = {"board_id": 3, "channel_id": 9, "content": "", "embeds": [{"title": "📋"}], "allowed_mentions": NOBODY}


def refusal(status: int, code: int) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="x", headers={})
    return discord.HTTPException(response, {"code": code, "message": "refused"})


class Http:
    def __init__(self, *, edit: discord.HTTPException | None = None) -> None:
        self.calls: list[str] = []
        self.edit = edit

    async def request(self, route: Any, **kwargs: Any) -> Any:
        self.calls.append(f"{route.method} {route.path}")
        if route.method == "PATCH":
            if self.edit is not None:
                raise self.edit
            return {"id": "70"}
        return {"id": "71", "channel_id": "9"}

    async def pin_message(self, channel_id: int, message_id: int) -> None:
        self.calls.append(f"pin {message_id}")

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        self.calls.append(f"delete {message_id}")


class Context:
    def __init__(self, message: int | None) -> None:
        self.message = message

    async def before_request(self, *, message_channel_id: int | None = None) -> None:
        return None

    async def dm_channel(self, user_id: int) -> int | None:
        return None

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        return None

    async def board_message(self, board_id: int) -> int | None:
        return self.message


def transport(http: Http, *, may_pin: bool) -> DiscordTransport:
    permissions = SimpleNamespace(pin_messages=may_pin)
    channel = SimpleNamespace(guild=SimpleNamespace(me=object()), permissions_for=lambda _me: permissions)
    client: Any = SimpleNamespace(http=http, user=SimpleNamespace(id=1), get_channel=lambda _id: channel)
    return DiscordTransport(client)


async def show(http: Http, message: int | None, *, may_pin: bool = True, **payload: Any) -> Outcome:
    row = Delivery(12, 1, "board:1:3", OutboxKind.SHOW_BOARD, {**BOARD, **payload}, 1, claimed_at=NOW)
    context: DeliveryContext = Context(message)
    return await transport(http, may_pin=may_pin).perform(row, context)


async def test_a_board_with_a_message_is_edited_without_a_nonce_nor_a_silent_flag() -> None:
    http = Http()
    assert await show(http, 70, silent=True) == Delivered({"message_id": "70", "channel_id": "9"})
    assert http.calls == ["PATCH /channels/{channel_id}/messages/{message_id}"]


@pytest.mark.parametrize("may_pin", [True, False])
async def test_a_board_without_a_message_is_posted_and_pinned_when_the_bot_may(may_pin: bool) -> None:
    http = Http()
    outcome = await show(http, None, may_pin=may_pin)
    assert outcome == Delivered({"message_id": "71", "channel_id": "9", "posted": True, "pinned": may_pin})
    assert http.calls == ["POST /channels/{channel_id}/messages", *(["pin 71"] if may_pin else [])]


async def test_a_deleted_board_is_posted_anew() -> None:
    http = Http(edit=refusal(404, 10008))
    outcome = await show(http, 70)
    assert outcome == Delivered({"message_id": "71", "channel_id": "9", "posted": True, "pinned": True})
    assert http.calls[-1] == "pin 71"


async def test_a_board_refused_more_edits_is_posted_anew_and_names_the_old_one() -> None:
    http = Http(edit=refusal(429, 30046))
    outcome = await show(http, 70)
    assert outcome == Delivered(
        {"message_id": "71", "channel_id": "9", "posted": True, "pinned": True, "replaced": "70"}
    )
    assert not any(call.startswith("delete") for call in http.calls), "deleted later, by a row of its own"


async def test_any_other_refusal_is_the_rows_outcome() -> None:
    outcome = await show(Http(edit=refusal(403, 50013)), 70)
    assert not isinstance(outcome, Delivered)


async def test_a_removed_board_deletes_its_message() -> None:
    http = Http()
    assert await show(http, 70, remove=True) == Delivered({"removed": True})
    assert http.calls == ["delete 70"]


async def test_the_message_shown_and_the_one_replaced_are_recorded(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute(
            "INSERT INTO boards (id, guild_id, channel_id, message_id, created_at) VALUES (3, 1, 9, 70, '2024')"
        )
        row = Delivery(12, 1, "board:1:3", OutboxKind.SHOW_BOARD, BOARD, 1)
        result = {"message_id": "71", "channel_id": "9", "posted": True, "replaced": "70"}
        await aftermath.after_delivered(conn, row, result, now=NOW)
    async with store.reading() as conn:
        assert list(await conn.execute_fetchall("SELECT message_id FROM boards")) == [(71,)]
        (deletion,) = await outbox.rows_of_lane(conn, "board:1:3")
    assert (deletion.kind, deletion.payload) == (OutboxKind.DELETE_MESSAGE, {"channel_id": 9, "message_id": 70})


class Boards:
    """A Discord that answers board rows and notes when each arrived and what it showed."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        await context.before_request()
        self.shown.append((time.monotonic(), str(delivery.payload["content"])))
        await asyncio.sleep(0.01)
        return Delivered({"message_id": "70", "channel_id": "9"})


async def test_a_board_lane_sends_at_most_once_per_interval_and_always_the_latest(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(outbox.LANE_INTERVALS_S, "board:", 0.2)
    discord_ = Boards()
    worker = worker_for(store, discord_)  # type: ignore[arg-type]
    worker.clock = FixedClock()
    await worker.start()
    lane = outbox.board_lane(1, 3)
    try:
        for n in range(30):
            async with store.unit_of_work() as conn:
                await outbox.enqueue(
                    conn,
                    guild_id=1,
                    lane=lane,
                    kind=OutboxKind.SHOW_BOARD,
                    payload={**BOARD, "content": f"v{n}"},
                    coalesce_key=lane,
                    now=NOW,
                )
            worker.wake()
            await asyncio.sleep(0.02)
        assert await worker.drain(5)
    finally:
        await worker.stop()
    times = [t for t, _ in discord_.shown]
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(times)), times
    # Waiting edits collapse: however slowly this machine enqueued the 30 changes, no more edits than the
    # intervals the sending took, and fewer than the changes.
    assert len(times) <= min(29, 1 + (times[-1] - times[0]) / 0.2), times
    assert discord_.shown[-1][1] == "v29", "the last content is always shown"


# --- edits of standing messages refused with 30046 ------------------------------------------------------------


def test_30046_is_a_wait_for_discords_budget_not_a_failure() -> None:
    outcome = outcome_of_error(refusal(429, 30046))
    assert isinstance(outcome, RetryLater) and outcome.reason == "old_message_edits"
    assert outcome.reason in RATE_LIMIT_REASONS, "never given up: Discord takes edits again later"


async def test_an_edit_refused_with_30046_steps_aside_and_the_posts_behind_it_go_on(store: Store) -> None:
    """A standing announcement older than an hour that Discord may not edit for now: the news posted in its channel
    after it are not held; the edit is tried again later, on a lane of its own, and a newer edit of the same
    message joins it and supersedes it, so the one edit that lands shows the latest."""
    discord_ = FakeDiscord(faults={5: [RetryLater("old_message_edits", 0.3)]})
    lane = outbox.channel_lane(5)
    key = outbox.edit_coalesce_key(5, "row1")
    async with store.unit_of_work() as conn:
        posted = await outbox.enqueue(
            conn,
            guild_id=1,
            lane=lane,
            kind=OutboxKind.SEND_MESSAGE,
            payload={"channel_id": 5, "content": "annonce", "allowed_mentions": NOBODY},
            now=NOW,
        )
        await conn.execute(
            "UPDATE outbox SET status = 'done', result = ? WHERE id = ?", ('{"message_id": "999"}', posted)
        )

    async def edit(content: str) -> int:
        async with store.unit_of_work() as conn:
            return await outbox.enqueue(
                conn,
                guild_id=1,
                lane=lane,
                kind=OutboxKind.EDIT_MESSAGE,
                payload={"channel_id": 5, "message_id": outbox.ref(posted), "content": content},
                coalesce_key=key,
                now=NOW,
            )

    await edit("annonce v2")
    async with store.unit_of_work() as conn:
        await outbox.enqueue(
            conn,
            guild_id=1,
            lane=lane,
            kind=OutboxKind.SEND_MESSAGE,
            payload={"channel_id": 5, "content": "nouvelles consignes", "allowed_mentions": NOBODY},
            now=NOW,
        )
    discord_.posted.append(Posted(5, "annonce", f"o{posted}", "999"))
    worker = worker_for(store, discord_)
    await worker.start()
    try:
        await asyncio.sleep(0.1)
        assert discord_.contents(5) == ["annonce", "nouvelles consignes"], "the news did not wait for the edit"
        await edit("annonce v3")
        worker.wake()
        assert await worker.drain(5)
    finally:
        await worker.stop()
    assert discord_.contents(5) == ["annonce v3", "nouvelles consignes"]
    async with store.reading() as conn:
        kept = await outbox.rows_of_lane(conn, key)
    assert [(r.status, r.payload.get("content")) for r in kept] == [
        ("superseded", "annonce v2"),
        ("done", "annonce v3"),
    ]
