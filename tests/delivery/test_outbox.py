from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.delivery import outbox
from bot.delivery.outbox import Blocked, Claimed
from bot.storage.store import Store

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
NOBODY: dict[str, Any] = {"parse": [], "users": [], "roles": []}


def send(channel_id: int, content: str) -> dict[str, Any]:
    return {"channel_id": channel_id, "content": content, "allowed_mentions": NOBODY}


async def add(store: Store, lane: str, kind: str, payload: dict[str, Any], **extra: Any) -> int:
    async with store.unit_of_work() as conn:
        return await outbox.enqueue(conn, guild_id=1, lane=lane, kind=kind, payload=payload, now=NOW, **extra)


async def test_enqueue_in_a_rolled_back_unit_of_work_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as conn:
            await outbox.enqueue(conn, guild_id=1, lane="channel:5", kind="send_message", payload=send(5, "x"), now=NOW)
            raise RuntimeError("the use case failed after deciding the message")
    async with store.reading() as conn:
        assert (await outbox.summary(conn)).pending == 0


async def test_a_send_without_allowed_mentions_is_refused(store: Store) -> None:
    async with store.unit_of_work() as conn:
        for kind, payload in [
            ("send_message", {"channel_id": 5, "content": "@everyone"}),
            ("send_dm", {"user_id": 5, "content": "hi"}),
            ("create_thread", {"channel_id": 5, "name": "t", "message": {"content": "x"}}),
            (
                "send_message",
                {"channel_id": 5, "content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
            ),
        ]:
            with pytest.raises(ValueError):
                await outbox.enqueue(conn, guild_id=1, lane="l", kind=kind, payload=payload, now=NOW)


async def test_coalescing_keeps_only_the_latest_pending_edit(store: Store) -> None:
    key = outbox.edit_coalesce_key(5, 77)
    edit = {"channel_id": 5, "message_id": 77}
    first = await add(store, "channel:5", "edit_message", {**edit, "content": "v1"}, coalesce_key=key)
    async with store.unit_of_work() as conn:  # the first one is being delivered: it must not be superseded
        claim = await outbox.claim_next(conn, "channel:5", now=NOW)
    assert isinstance(claim, Claimed) and claim.delivery.id == first
    second = await add(store, "channel:5", "edit_message", {**edit, "content": "v2"}, coalesce_key=key)
    third = await add(store, "channel:5", "edit_message", {**edit, "content": "v3"}, coalesce_key=key)
    async with store.reading() as conn:
        statuses = {row.id: row.status for row in await outbox.rows_of_lane(conn, "channel:5")}
    assert statuses == {first: "in_flight", second: "superseded", third: "pending"}


async def test_references_are_resolved_from_the_referenced_result(store: Store) -> None:
    sent = await add(store, "channel:5", "send_message", send(5, "hello"))
    thread = await add(
        store,
        "channel:5",
        "create_thread",
        {"channel_id": 5, "message_id": outbox.ref(sent), "name": "suivi"},
        depends_on=sent,
    )
    post = await add(
        store, "channel:thread", "send_message", {**send(0, "in thread"), "channel_id": outbox.ref(thread, "thread_id")}
    )
    async with store.unit_of_work() as conn:
        assert await outbox.claim_next(conn, "channel:thread", now=NOW) == Blocked(post, thread)
        claim = await outbox.claim_next(conn, "channel:5", now=NOW)
        assert isinstance(claim, Claimed) and claim.delivery.id == sent and claim.delivery.nonce == f"o{sent}"
        await outbox.mark_done(conn, sent, {"message_id": "900", "channel_id": "5"}, now=NOW)
        claim = await outbox.claim_next(conn, "channel:5", now=NOW)
        assert isinstance(claim, Claimed)
        assert claim.delivery.payload == {"channel_id": 5, "message_id": "900", "name": "suivi"}
        await outbox.mark_done(conn, thread, {"thread_id": "901", "channel_id": "5"}, now=NOW)
        claim = await outbox.claim_next(conn, "channel:thread", now=NOW)
        assert isinstance(claim, Claimed) and claim.delivery.payload["channel_id"] == "901"


async def test_a_failed_dependency_fails_its_dependants(store: Store) -> None:
    sent = await add(store, "channel:5", "send_message", send(5, "hello"))
    edit = await add(
        store, "channel:6", "edit_message", {"channel_id": 5, "message_id": outbox.ref(sent), "content": "v2"}
    )
    after = await add(store, "channel:6", "send_message", send(6, "independent"))
    async with store.unit_of_work() as conn:
        await outbox.claim_next(conn, "channel:5", now=NOW)
        await outbox.mark_failed(conn, sent, status=403, code=50013, text="Missing Permissions", now=NOW)
        claim = await outbox.claim_next(conn, "channel:6", now=NOW)
        assert isinstance(claim, Claimed) and claim.delivery.id == after
        row = await outbox.get(conn, edit)
    assert row is not None and row.status == "failed"
    assert row.error_text is not None and row.error_text.startswith(outbox.DEPENDENCY_FAILED)


async def test_a_webhook_waiting_on_its_receiver_is_not_discord_work_held_up(store: Store) -> None:
    # A receiver down for hours keeps its deliveries pending (retried for a day): the age that tells operators the
    # outbox is stuck is Discord's work only.
    payload = {"webhook_id": 1, "incident_id": 1, "event": "incident_declared", "key": "k", "body": "{}"}
    await add(store, outbox.webhook_lane(1, 1), "send_webhook", payload)
    async with store.reading() as conn:
        state = await outbox.summary(conn)
    assert (state.pending, state.oldest_pending_at) == (1, None)


async def test_reset_in_flight_and_summary(store: Store) -> None:
    first = await add(store, "channel:5", "send_message", send(5, "a"))
    await add(store, "channel:5", "send_message", send(5, "b"))
    async with store.unit_of_work() as conn:
        await outbox.claim_next(conn, "channel:5", now=NOW)
    async with store.reading() as conn:
        state = await outbox.summary(conn)
    assert (state.pending, state.in_flight, state.oldest_pending_at) == (1, 1, NOW)
    async with store.unit_of_work() as conn:
        assert await outbox.reset_in_flight(conn, now=NOW) == 1
        claim = await outbox.claim_next(conn, "channel:5", now=NOW)
    assert isinstance(claim, Claimed) and claim.delivery.id == first and claim.delivery.attempts == 2


async def test_referencing_a_missing_row_is_refused(store: Store) -> None:
    async with store.unit_of_work() as conn:
        with pytest.raises(ValueError, match="does not exist"):
            await outbox.enqueue(
                conn,
                guild_id=1,
                lane="l",
                kind="delete_message",
                payload={"channel_id": 5, "message_id": outbox.ref(999)},
                now=NOW,
            )


async def test_a_thread_refused_for_a_permission_holds_its_posts_owed_and_leaves_its_link_to_a_stand_in(
    store: Store,
) -> None:
    """In the outbox alone: the status message posted, its thread refused (403); the post into the thread is owed
    (not failed), the announcement that links the thread goes with the status message's link, the follow role's
    deletion ordered after the post waits with it; asked again, they go in their order."""
    status = await add(store, "incident", "send_message", send(5, "statut"))
    thread = await add(
        store, "incident", "create_thread", {"channel_id": 5, "message_id": outbox.ref(status), "name": "#1"}
    )
    post = await add(
        store, "incident", "send_message", {**send(0, "point"), "channel_id": outbox.ref(thread, "thread_id")}
    )
    link = outbox.ref(thread, "thread_id", template="https://discord.com/channels/1/{}")
    announcement = await add(
        store, "channel:7", "send_message", {**send(7, "annonce"), "content": {"$concat": ["voir ", link]}}
    )
    role_gone = await add(store, "incident", "delete_role", {"guild_id": 1, "role_id": 9}, after=post)
    async with store.unit_of_work() as conn:
        await outbox.claim_next(conn, "incident", now=NOW)
        await outbox.mark_done(conn, status, {"message_id": "900", "channel_id": "5"}, now=NOW)
        claim = await outbox.claim_next(conn, "incident", now=NOW)
        assert isinstance(claim, Claimed) and claim.delivery.id == thread
        await outbox.mark_failed(conn, thread, status=403, code=50013, text="Missing Permissions", now=NOW, owed=True)
        assert await outbox.claim_next(conn, "incident", now=NOW) is None, "the post and the deletion wait, owed"
        claim = await outbox.claim_next(conn, "channel:7", now=NOW)
        assert isinstance(claim, Claimed) and claim.delivery.id == announcement
        assert claim.delivery.payload["content"] == "voir https://discord.com/channels/1/5/900"
        rows = {row.id: row for row in await outbox.rows_of_lane(conn, "incident")}
        assert (rows[post].status, rows[post].cause_row) == ("failed", thread) and rows[post].owed_since == NOW
        assert rows[role_gone].status == "failed" and rows[role_gone].owed_since == NOW
        assert await outbox.ask_again_owed(conn, guild_id=1, now=NOW) == 3
        claimed = []
        for _ in range(3):
            claim = await outbox.claim_next(conn, "incident", now=NOW)
            assert isinstance(claim, Claimed)
            claimed.append(claim.delivery.id)
            result = {"thread_id": "901", "channel_id": "5"} if claim.delivery.id == thread else {}
            await outbox.mark_done(conn, claim.delivery.id, result, now=NOW)
    assert claimed == [thread, post, role_gone]


async def test_a_row_only_ordered_after_another_goes_once_that_one_failed_for_good(store: Store) -> None:
    first = await add(store, "a", "send_message", send(5, "dernier point"))
    after = await add(store, "b", "delete_role", {"guild_id": 1, "role_id": 9}, after=first)
    async with store.unit_of_work() as conn:
        assert await outbox.claim_next(conn, "b", now=NOW) == Blocked(after, first)
        await outbox.claim_next(conn, "a", now=NOW)
        await outbox.mark_failed(conn, first, status=404, code=10003, text="Unknown Channel", now=NOW)
        claim = await outbox.claim_next(conn, "b", now=NOW)
    assert isinstance(claim, Claimed) and claim.delivery.id == after
