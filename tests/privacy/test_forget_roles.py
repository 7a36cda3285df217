"""A forgotten member's follow roles, on a real SQLite file: the forget queues, in its own unit of work, one role
removal for each follow role the bot gave them in that server (an open incident's follow role, the route roles
their territory and sector follows gave), on the server's roles lane; those rows alone hold their id while they
wait, a second forget leaves them waiting, and once each is delivered (or failed for good) its id is gone in the
unit of work that records it: nothing names the member any more. Roles the bot did not give are never touched."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import aiosqlite
import discord

from bot.delivery import outbox
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DiscordTransport, Failed
from bot.storage.store import Store
from tests.privacy.seeding import AT, incident
from tests.privacy.test_forget import (
    ELSEWHERE,
    GUILD,
    NOW,
    OTHER,
    TARGET,
    RoleDiscord,
    deliver,
    every_row,
    holds,
    privacy,
)

INCIDENT_ROLE, SECTOR_ROLE, TERRITORY_ROLE, UNFOLLOWED_ROLE = 9001, 9002, 9003, 9004
ROLES_LANE = outbox.roles_lane(GUILD)
LOG_CHANNEL = 555


async def follows(conn: aiosqlite.Connection, member: int, guild: int = GUILD) -> None:
    """`member` follows an open incident (its follow role made), a closed one, one whose role is being made, a
    sector and a territory (whose route roles the bot gave; the route role they held before is not in role_ids)."""
    open_incident = await incident(conn, guild, member % 100)
    await conn.execute("UPDATE incidents SET follow_role_id = ? WHERE id = ?", (INCIDENT_ROLE, open_incident))
    closed = await incident(conn, guild, member % 100 + 1)
    await conn.execute("UPDATE incidents SET status = 'resolved' WHERE id = ?", (closed,))
    making = await incident(conn, guild, member % 100 + 2)
    create = await outbox.enqueue(
        conn,
        guild_id=guild,
        lane=outbox.roles_lane(guild),
        kind="create_role",
        payload={"guild_id": guild, "name": "suivi", "incident_id": making},
        now=NOW,
    )
    await conn.execute("UPDATE incidents SET follow_role_row = ? WHERE id = ?", (create, making))
    for target in (open_incident, closed, making):
        await conn.execute(
            "INSERT INTO subscriptions (guild_id, user_id, kind, target, created_at) VALUES (?, ?, 'incident', ?, ?)",
            (guild, member, str(target), AT),
        )
    for kind, target, roles in (
        ("sector", "pharmacie", [SECTOR_ROLE]),
        ("territory", "R53", [SECTOR_ROLE, TERRITORY_ROLE]),
    ):
        await conn.execute(
            "INSERT INTO subscriptions (guild_id, user_id, kind, target, created_at, role_ids) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild, member, kind, target, AT, json.dumps(roles)),
        )


async def role_change(conn: aiosqlite.Connection, kind: str, member: int, role: int) -> int:
    return await outbox.enqueue(
        conn,
        guild_id=GUILD,
        lane=ROLES_LANE,
        kind=kind,
        payload={"guild_id": GUILD, "user_id": member, "role_id": role},
        now=NOW,
    )


async def seeded(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute(
            "INSERT INTO guild_settings (guild_id, bot_log_channel_id, updated_at) VALUES (?, ?, ?)",
            (GUILD, LOG_CHANNEL, AT),
        )
        await follows(conn, TARGET)
        await follows(conn, OTHER)
        await follows(conn, TARGET, ELSEWHERE)
        # Unfollowed just before the forget: its removal still waits. A follow just asked: its add still waits.
        await role_change(conn, "remove_role", TARGET, UNFOLLOWED_ROLE)
        await role_change(conn, "add_role", TARGET, 9006)
        await role_change(conn, "add_role", OTHER, 9006)


def removals(rows: dict[str, list[tuple[Any, ...]]], status: str = "pending") -> list[dict[str, Any]]:
    # outbox columns: rowid, id, guild_id, lane, kind, payload, depends_on, coalesce_key, status, …
    return [
        json.loads(row[5])
        for row in rows["outbox"]
        if row[4] == "remove_role" and row[8] == status and row[2] == GUILD and row[3] == ROLES_LANE
    ]


def holding(rows: dict[str, list[tuple[Any, ...]]], member: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [(table, row) for table, found in rows.items() for row in found if holds(row, member)]


async def test_the_forget_queues_one_removal_per_role_the_bot_gave_and_they_alone_hold_the_id(store: Store) -> None:
    await seeded(store)
    before = every_row(store.path)
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="member", actor_id=None, now=NOW)
    after = every_row(store.path)
    waiting = removals(after)
    assert sorted(p["role_id"] for p in waiting) == [INCIDENT_ROLE, SECTOR_ROLE, TERRITORY_ROLE, UNFOLLOWED_ROLE]
    assert {p["user_id"] for p in waiting} == {TARGET} and all(p["guild_id"] == GUILD for p in waiting)
    assert all("on_failure" not in p for p in waiting), "nothing waits to tell them anything"
    # Only those pending rows hold their id (and what the forget left of the other server, not asked here).
    here = [(t, r) for t, r in holding(after, TARGET) if not (t == "subscriptions" and r[2] == ELSEWHERE)]
    here = [(t, r) for t, r in here if not (t == "incidents" and r[2] == ELSEWHERE)]
    assert {t for t, _ in here} == {"outbox"}
    assert sorted(json.loads(r[5])["role_id"] for _, r in here) == sorted(p["role_id"] for p in waiting)
    assert all(r[8] == "pending" and r[4] == "remove_role" for _, r in here)
    # The other member's rows, and their role add, are as they were; the member's waiting add is dropped.
    for table, rows in before.items():
        assert [r for r in rows if not holds(r, TARGET) and r not in after[table]] == [], table
    adds = {json.loads(r[5])["user_id"]: r[8] for r in after["outbox"] if r[4] == "add_role"}
    assert adds == {-1: "superseded", OTHER: "pending"}


async def test_once_delivered_or_failed_for_good_no_row_names_them(store: Store) -> None:
    await seeded(store)
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="member", actor_id=None, now=NOW)
    refused = Failed(403, 50013, f"Missing Permissions (member {TARGET})")  # a text that names them goes too
    discord_ = RoleDiscord(refuse={TERRITORY_ROLE: refused})
    await deliver(store, discord_)
    assert sorted(discord_.removed) == [(TARGET, INCIDENT_ROLE), (TARGET, SECTOR_ROLE), (TARGET, UNFOLLOWED_ROLE)]
    after = every_row(store.path)
    assert [(t, r) for t, r in holding(after, TARGET) if GUILD in r] == [], "nothing of this server names them"
    done = removals(after, "done") + removals(after, "failed")
    assert len(done) == 4 and all("user_id" not in p for p in done)
    # The refusal is told to the server's admins without naming them: their pseudonym stands in.
    told = [json.loads(r[5]) for r in after["outbox"] if r[4] == "send_message" and r[3] == f"channel:{LOG_CHANNEL}"]
    assert len(told) == 1 and "ancien membre n° 1" in told[0]["content"] and str(TARGET) not in told[0]["content"]
    assert told[0]["allowed_mentions"]["users"] == []


async def test_a_second_forget_leaves_the_waiting_removals_as_they_are(store: Store) -> None:
    await seeded(store)
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="member", actor_id=None, now=NOW)
    first = removals(every_row(store.path))
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="admin", actor_id=OTHER, now=NOW)
    assert removals(every_row(store.path)) == first, "an admin's forget after theirs takes nothing back twice"
    forgotten = await privacy(store).forget(
        TARGET, guild_id=ELSEWHERE, everywhere=True, by="member", actor_id=None, now=NOW
    )
    assert forgotten.servers == 1, "the removals waiting in the first server are no data of theirs left there"
    assert removals(every_row(store.path)) == first
    elsewhere = [
        json.loads(r[5]) for r in every_row(store.path)["outbox"] if r[4] == "remove_role" and r[2] == ELSEWHERE
    ]
    assert sorted(p["role_id"] for p in elsewhere) == [INCIDENT_ROLE, SECTOR_ROLE, TERRITORY_ROLE]
    await deliver(store, RoleDiscord())
    assert holding(every_row(store.path), TARGET) == []


async def test_a_member_who_left_is_a_removal_done() -> None:
    """Discord answers 10007 Unknown Member for a member who left the server: nothing is left to take back."""

    async def gone(*_: Any) -> None:
        response: Any = SimpleNamespace(status=404, reason="Not Found", headers={})
        raise discord.NotFound(response, {"code": 10007, "message": "Unknown Member"})

    client: Any = SimpleNamespace(http=SimpleNamespace(remove_role=gone), user=None)

    class Context:
        async def before_request(self, *, message_channel_id: int | None = None) -> None:
            return None

    delivery = Delivery(1, GUILD, ROLES_LANE, "remove_role", {"guild_id": GUILD, "user_id": TARGET, "role_id": 1}, 1)
    outcome = await DiscordTransport(client).perform(delivery, Context())  # type: ignore[arg-type]
    assert isinstance(outcome, Delivered)
