"""The declaration's private reply does not wait for the thread: its link is planned as an edit of the reply."""

from __future__ import annotations

from bot.delivery import outbox
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, configure, lifecycle


async def test_the_thread_id_is_read_without_waiting(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    result = await service.declare(ANNE, CERP, now=NOW)
    assert await service.thread_id(result.thread_row) is None  # not made yet: no wait, no link
    async with store.unit_of_work() as conn:
        await outbox.mark_done(conn, result.thread_row, {"thread_id": "777", "channel_id": "100"}, now=NOW)
    assert await service.thread_id(result.thread_row) == 777


async def test_the_link_is_planned_as_an_edit_of_the_reply_waiting_for_the_thread(store: Store) -> None:
    await configure(store)
    service = lifecycle(store)
    result = await service.declare(ANNE, CERP, now=NOW)
    row_id = await service.link_private_reply(
        GUILD, result.thread_row, application_id=900, token="tok", before="Panne #1 : ", after="\nfin", now=NOW
    )
    async with store.reading() as conn:
        row = await outbox.get(conn, row_id)
        claim = await outbox.claim_next(conn, outbox.reply_lane(GUILD), now=NOW)
    assert row is not None and row.kind == "edit_interaction_reply" and row.lane == outbox.reply_lane(GUILD)
    assert row.payload == {
        "application_id": "900",
        "token": "tok",
        "content": [
            "Panne #1 : ",
            outbox.ref(result.thread_row, "thread_id", template=f"https://discord.com/channels/{GUILD}/{{}}"),
            "\nfin",
        ],
        "allowed_mentions": {"parse": []},
    }
    assert claim == outbox.Blocked(row_id, result.thread_row)  # sent only once the thread exists
