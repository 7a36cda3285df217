"""The boards' use cases on a real SQLite file: which `show_board` rows each change plans (one per board whose
content changed, the older waiting one superseded), what /setup refuses, the late flag planned once per committed
time, a deleted board posted anew, and the start-up refresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.board import store as boards_repo
from bot.board.rules import MAX_BOARDS, Board, board_view
from bot.board.use_cases import Boards
from bot.delivery.kinds import OutboxKind
from bot.incidents.rules.model import Severity
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.typed_input import UpdateInput
from bot.settings import use_cases as setup
from bot.settings.rules.config import ServerDefaults
from bot.settings.rules.model import ChannelFacts, SetupError
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, PHARMA, configure

ADMIN = replace(ANNE, user_id=3001)
TABLEAU, BRETAGNE_BOARD = 401, 402
FULL = frozenset({"view", "send", "embed_links", "read_history", "pin"})


def channel(channel_id: int, permissions: frozenset[str] = FULL) -> ChannelFacts:
    return ChannelFacts(channel_id, "text", permissions=permissions)


async def board_rows(store: Store, status: str = "pending") -> list[dict[str, Any]]:
    async with (
        store.reading() as conn,
        conn.execute(
            "SELECT id, lane, payload FROM outbox WHERE kind = ? AND status = ? ORDER BY id",
            (OutboxKind.SHOW_BOARD, status),
        ) as cursor,
    ):
        rows = await cursor.fetchall()
    return [{"id": r[0], "lane": r[1], "payload": outbox_payload(r[2])} for r in rows]


def outbox_payload(text: str) -> dict[str, Any]:
    import json

    return dict(json.loads(text))


def described(row: dict[str, Any]) -> str:
    parts = []
    for embed in row["payload"].get("embeds", []):
        value = embed.get("description", "")
        parts.append("".join(p for p in value["$concat"] if isinstance(p, str)) if isinstance(value, dict) else value)
    return "\n".join(parts)


@pytest.fixture
async def ready(store: Store) -> tuple[Store, Lifecycle, Boards]:
    await configure(store)
    return store, Lifecycle(store, ServerDefaults()), Boards(store, ServerDefaults())


async def test_each_change_plans_one_row_per_board_whose_content_changed(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    store, lifecycle, boards = ready
    said = await boards.add(ADMIN, channel(TABLEAU), territory=None, sector=None, now=NOW)
    assert [m.message_id for m in said.lines] == ["board.setup.added"]
    await boards.add(ADMIN, channel(BRETAGNE_BOARD, FULL - {"pin"}), territory="R53", sector=None, now=NOW)
    first = await board_rows(store)
    assert [r["lane"] for r in first] == [f"board:{GUILD}:1", f"board:{GUILD}:2"]
    assert all("Rien n'est en panne" in described(r) for r in first)

    await lifecycle.declare(ANNE, CERP, now=NOW)
    pending = await board_rows(store)
    assert len(pending) == 2, "the waiting rows of each board collapse into the latest"
    assert all("#1 · Cerp Bretagne Atlantique à l'arrêt" in described(r) for r in pending)
    assert pending[0]["payload"]["silent"] is True and pending[0]["payload"]["allowed_mentions"]["roles"] == []

    # "Affected too" changes nothing a board shows: no row.
    await lifecycle.affected(PHARMA, GUILD, 1, now=NOW + timedelta(minutes=1))
    assert [r["id"] for r in await board_rows(store)] == [r["id"] for r in pending]

    # A new workaround does: one new row per board, the previous ones superseded.
    await lifecycle.update(ANNE, 1, UpdateInput(workaround="Commander par fax"), now=NOW + timedelta(minutes=2))
    latest = await board_rows(store)
    assert len(latest) == 2 and all("Commander par fax" in described(r) for r in latest)
    assert len(await board_rows(store, "superseded")) == 4


async def test_setup_refuses_a_twin_a_wrong_channel_and_the_twenty_sixth(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    _, _, boards = ready
    await boards.add(ADMIN, channel(TABLEAU), territory="29", sector=None, now=NOW)
    with pytest.raises(SetupError) as twin:
        await boards.add(ADMIN, channel(TABLEAU), territory="Finistère", sector=None, now=NOW)
    assert twin.value.message_id == "board.error.exists"
    with pytest.raises(SetupError):
        await boards.add(ADMIN, ChannelFacts(TABLEAU + 1, "forum"), territory=None, sector=None, now=NOW)
    for n in range(MAX_BOARDS - 1):
        await boards.add(ADMIN, channel(500 + n), territory=None, sector=None, now=NOW)
    with pytest.raises(SetupError) as full:
        await boards.add(ADMIN, channel(999), territory=None, sector=None, now=NOW)
    assert full.value.message_id == "board.error.too_many"


async def test_a_board_without_pin_messages_is_said_and_a_removed_one_deletes_its_message(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    store, _, boards = ready
    said = await boards.add(ADMIN, channel(TABLEAU, FULL - {"pin", "send"}), territory=None, sector=None, now=NOW)
    assert [m.message_id for m in said.lines] == [
        "board.setup.added",
        "board.setup.cannot_post",
        "board.setup.cannot_pin",
    ]
    (listed,) = await boards.listed(GUILD)
    with pytest.raises(SetupError):
        await boards.remove(ADMIN, "#99", now=NOW)
    await boards.remove(ADMIN, str(listed.id), now=NOW)
    assert await boards.listed(GUILD) == []
    (removal,) = await board_rows(store)
    assert removal["payload"]["remove"] is True, "the waiting post is superseded by the removal"


async def test_a_sector_a_board_shows_cannot_be_removed_until_the_board_is(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    store, _, boards = ready
    await setup.add_sector(store, ADMIN, "Librairie", now=NOW)
    await boards.add(ADMIN, channel(TABLEAU), territory=None, sector="Librairie", now=NOW)
    await boards.add(ADMIN, channel(BRETAGNE_BOARD), territory="R53", sector="librairie", now=NOW)
    with pytest.raises(SetupError) as refused:
        await setup.remove_sector(store, ADMIN, "Librairie", now=NOW)
    assert refused.value.message_id == "setup.error.sector_on_board"
    assert refused.value.args_map["channels"] == f"<#{TABLEAU}>, <#{BRETAGNE_BOARD}>"
    assert refused.value.args_map["count"] == 2
    for listed in await boards.listed(GUILD):
        await boards.remove(ADMIN, str(listed.id), now=NOW)
    await setup.remove_sector(store, ADMIN, "Librairie", now=NOW)
    assert "librairie" not in await setup.sector_names(store, ADMIN)


async def test_a_committed_update_that_passes_is_shown_late_once(ready: tuple[Store, Lifecycle, Boards]) -> None:
    store, lifecycle, boards = ready
    await boards.add(ADMIN, channel(TABLEAU), territory=None, sector=None, now=NOW)
    await lifecycle.declare(ANNE, CERP, now=NOW)
    await lifecycle.update(ANNE, 1, UpdateInput(next_update="dans 30 min"), now=NOW)
    due = NOW + timedelta(minutes=30)
    assert await lifecycle.show_late(1, now=NOW + timedelta(minutes=10)) == due
    before = len(await board_rows(store, "pending")) + len(await board_rows(store, "superseded"))
    assert await lifecycle.show_late(1, now=due) is None
    (row,) = await board_rows(store)
    assert "mise à jour en retard" in described(row)
    async with (
        store.reading() as conn,
        conn.execute("SELECT payload FROM outbox WHERE kind = 'edit_message' ORDER BY id DESC LIMIT 1") as cursor,
    ):
        status = outbox_payload((await cursor.fetchone())[0])
    assert "⏰ **en retard**" in str(status["embeds"][0]["fields"])
    again = await lifecycle.show_late(1, now=due + timedelta(minutes=5))
    assert again is None
    after = len(await board_rows(store, "pending")) + len(await board_rows(store, "superseded"))
    assert after == before + 1, "shown once per committed time"
    assert await lifecycle.awaiting_news() == [1]


async def test_a_deleted_board_is_planned_anew_and_the_start_refreshes_every_board(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    store, _, boards = ready
    await boards.add(ADMIN, channel(TABLEAU), territory=None, sector=None, now=NOW)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE outbox SET status = 'done' WHERE kind = 'show_board'")
        await conn.execute("UPDATE boards SET message_id = 7000")
    assert not await boards.message_deleted(TABLEAU, 6999, now=NOW)
    assert await board_rows(store) == []
    assert await boards.message_deleted(TABLEAU, 7000, now=NOW)
    assert len(await board_rows(store)) == 1
    async with store.reading() as conn:
        (stored,) = await boards_repo.boards(conn, GUILD)
    assert stored.message_id is None
    # Nothing changed since: a start plans every board all the same (its message may be gone).
    assert await boards.refresh(GUILD, now=NOW) == 0
    assert await boards.refresh_all(now=NOW) == 1


async def test_the_store_hands_in_the_first_of_a_boards_order_and_counts_the_rest(
    ready: tuple[Store, Lifecycle, Boards],
) -> None:
    store, lifecycle, _ = ready
    severities = [Severity.MINOR, Severity.CRITICAL, Severity.MAJOR, Severity.CRITICAL, Severity.MINOR]
    for n, severity in enumerate(severities):
        typed = replace(CERP, severity=severity, started=f"il y a {60 - n} min", territories="29" if n % 2 else "35")
        await lifecycle.declare(ANNE, typed, now=NOW + timedelta(minutes=n))
    await lifecycle.resolve(ANNE, 4, summary=None, silent=False, now=NOW + timedelta(minutes=9))
    board = Board(id=1, guild_id=GUILD, channel_id=TABLEAU, territory="R53")
    async with store.reading() as conn:
        found, _ = await boards_repo.first_shown(conn, GUILD, territory_refs=None, sector=None, limit=100, loaded={})
        everything = [s.incident for s in found]
        first, matching = await boards_repo.first_shown(
            conn, GUILD, territory_refs=["R53", "29", "35", "FR"], sector=None, limit=2, loaded={}
        )
    expected = [i.number for i in board_view(board, everything, NOW).incidents]
    assert [i.number for i in everything] == expected == [2, 3, 1, 5]
    assert [s.incident.number for s in first] == expected[:2] and matching == 4
