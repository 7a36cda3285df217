"""A member's data exported and forgotten on a real SQLite file: after a forget, no row of any table holds or
names them, every other member's row is byte for byte what it was, the records that must stay (authorship, the
audit) keep the forgotten member's pseudonym, and the erased text is nowhere in the database file."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.common.i18n import default_catalogue
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, Failed, Outcome
from bot.delivery.worker import OutboxWorker
from bot.privacy.presentation import row_count
from bot.privacy.rules import names
from bot.privacy.use_cases import Privacy
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from tests.delivery.fakes import FixedClock
from tests.privacy.seeding import ITEMS, marker, seed, webhook_secret

NOW = datetime(2025, 9, 10, 9, 0, tzinfo=UTC)
TARGET, OTHER, THIRD = 412_345_678_901_234_567, 498_765_432_109_876_543, 455_555_555_555_555_555
GUILD, ELSEWHERE = 811_111_111_111_111_111, 822_222_222_222_222_222


def privacy(store: Store) -> Privacy:
    return Privacy(store, default_catalogue(), ServerDefaults())


def every_row(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'incident_search%'"
            )
        ]
        return {
            table: conn.execute(f"SELECT rowid, {_columns(conn, table)} FROM {table}").fetchall() for table in tables
        }
    finally:
        conn.close()


# Counters that triggers move with any change a server's pages show (a forget is one): bookkeeping, not anyone's data.
MOVED_BY_TRIGGERS = {("public_pages", "version")}


def _columns(conn: sqlite3.Connection, table: str) -> str:
    names = [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")]
    return ", ".join(name for name in names if (table, name) not in MOVED_BY_TRIGGERS)


def holds(row: tuple[Any, ...], member: int) -> bool:
    return any(value == member or (isinstance(value, str) and names(value, member)) for value in row[1:])


@dataclass
class RoleDiscord:
    """Answers every row as done, and takes roles back (`removed`); `refuse` maps a role to the failure Discord
    answers for its removal."""

    refuse: dict[int, Failed] = field(default_factory=dict)
    removed: list[tuple[int, int]] = field(default_factory=list)

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        await context.before_request()
        if delivery.kind == "send_message":
            return Delivered({"message_id": str(delivery.id), "channel_id": str(delivery.payload["channel_id"])})
        if delivery.kind != "remove_role":
            return Delivered({})
        role = int(delivery.payload["role_id"])
        if role in self.refuse:
            return self.refuse[role]
        self.removed.append((int(delivery.payload["user_id"]), role))
        return Delivered({})


async def deliver(store: Store, discord_: RoleDiscord) -> None:
    worker = OutboxWorker(store, discord_, FixedClock(), global_rate=1000.0, global_burst=100.0, poll_s=0.05)
    await worker.start()
    try:
        assert await worker.drain(10)
    finally:
        await worker.stop()


def only_removals_wait(rows: dict[str, list[tuple[Any, ...]]], member: int) -> bool:
    """Whether the only rows holding `member` are the forget's removals of their follow roles, still waiting."""
    held = [(table, row) for table, found in rows.items() for row in found if holds(row, member)]
    # outbox columns: rowid, id, guild_id, lane, kind, payload, depends_on, coalesce_key, status, …
    return all(table == "outbox" and row[4] == "remove_role" and row[8] == "pending" for table, row in held)


async def seeded(store: Store, items: list[tuple[str, int, int]]) -> None:
    async with store.unit_of_work() as conn:
        for n, (item, member, guild) in enumerate(items):
            await seed(conn, item, member, guild, n)


async def test_export_holds_every_feature_and_forget_leaves_no_trace(store: Store) -> None:
    items = [(item, member, GUILD) for item in ITEMS for member in (TARGET, OTHER)]
    await seeded(store, items)
    file = await privacy(store).export(TARGET, guild_id=GUILD, everywhere=True, now=NOW)
    document = json.loads(file.data)
    assert document["member_id"] == TARGET
    sections = document["servers"][str(GUILD)]
    assert {"member", "following", "reminders", "reports", "incidents", "settings", "audit"} <= set(sections)
    assert marker(TARGET, ITEMS.index("reminder") * 2) in file.data.decode()
    assert marker(OTHER, ITEMS.index("reminder") * 2 + 1) not in file.data.decode(), "only their own rows"
    webhook = ITEMS.index("webhook") * 2
    assert [row["created_by"] for row in sections["settings"]["webhooks"]] == [TARGET]
    assert webhook_secret(TARGET, webhook) not in file.data.decode(), "a webhook's secret is shown once, never again"
    assert row_count(file.data) >= len(ITEMS) - 4  # outbox rows are not exported; one public page per server

    before = every_row(store.path)
    forgotten = await privacy(store).forget(
        TARGET, guild_id=GUILD, everywhere=True, by="member", actor_id=None, now=NOW
    )
    after = every_row(store.path)
    assert forgotten.name == "ancien membre n° 1" and forgotten.servers == 1
    assert only_removals_wait(after, TARGET), "only the removals of their follow roles hold them, until delivered"
    await deliver(store, RoleDiscord())
    left = [(table, row) for table, rows in every_row(store.path).items() for row in rows if holds(row, TARGET)]
    assert left == []
    for table, rows in before.items():
        untouched = [row for row in rows if not holds(row, TARGET)]
        gone = [row for row in untouched if row not in after[table]]
        # the other member's rows stay byte for byte (a forget's own new rows aside)
        assert gone == [], table
    # what must stay, stays under the pseudonym
    incidents = [row for row in after["incidents"] if -1 in row]
    assert incidents, "the incident they declared keeps its author, as a pseudonym"
    assert any(row[3] == -1 for row in after["audit_log"]), "the audit rows they made stay, pseudonymised"
    forget_rows = [row for row in after["audit_log"] if row[4] == "privacy forget"]
    assert len(forget_rows) == 1 and forget_rows[0][3] is None, "the forget is audited, naming no one"
    # a waiting DM to them is dropped; a waiting post that pings them goes out without the ping
    dms = {row[3]: row[8] for row in after["outbox"] if row[4] == "send_dm"}
    assert dms == {"dm:-1": "superseded", f"dm:{OTHER}": "pending"}
    waiting = [json.loads(r[5]) for r in after["outbox"] if r[3] == "channel:301" and r[8] == "pending"]
    pinged = [p["allowed_mentions"]["users"] for p in waiting]
    assert [OTHER] in pinged and [] in pinged
    assert any("ancien membre n° 1" in p["content"] for p in waiting)


async def test_a_posted_message_naming_them_is_edited_without_the_ping(store: Store) -> None:
    await seeded(store, [("post_done", TARGET, GUILD), ("post_done", OTHER, GUILD)])
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="admin", actor_id=THIRD, now=NOW)
    rows = every_row(store.path)["outbox"]
    edits = [row for row in rows if row[4] == "edit_message"]
    assert len(edits) == 1, "only the message naming them"
    payload = json.loads(edits[0][5])
    assert payload["message_id"] == {"$ref": 1, "field": "message_id"}
    assert payload["content"].startswith("ancien membre n° 1")
    assert payload["allowed_mentions"]["users"] == []
    audit = [row for row in every_row(store.path)["audit_log"] if row[4] == "privacy forget"]
    assert audit[0][3] == THIRD, "an admin's forget names the admin who asked"


async def test_a_message_being_sent_as_they_are_forgotten_is_edited_once_sent(store: Store) -> None:
    """The worker holds the row's payload as it claimed it: the message goes out with the mention, and the edit
    planned behind it, on its lane, takes it off once Discord has given the message its id."""
    await seeded(store, [("thanks_waiting", TARGET, GUILD)])
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE outbox SET status = 'in_flight'")
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="member", actor_id=None, now=NOW)
    rows = every_row(store.path)["outbox"]
    (edit,) = [json.loads(row[5]) for row in rows if row[4] == "edit_message"]
    assert edit["message_id"] == {"$ref": rows[0][1], "field": "message_id"} and edit["channel_id"] == 301
    assert TARGET not in edit["allowed_mentions"]["users"] and "ancien membre n° 1" in edit["content"]
    assert [row[3] for row in rows] == ["channel:301", "channel:301"], "on the message's lane, after it"


async def test_a_reminder_said_in_a_channel_is_deleted_not_edited(store: Store) -> None:
    await seeded(store, [("reminder_said", TARGET, GUILD), ("reminder_said", OTHER, GUILD)])
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="member", actor_id=None, now=NOW)
    planned = [(row[4], json.loads(row[5])) for row in every_row(store.path)["outbox"] if row[8] == "pending"]
    assert planned == [("delete_message", {"channel_id": 302, "message_id": 8_000_000})]


async def test_each_server_has_its_own_pseudonym_and_an_admin_reaches_only_theirs(store: Store) -> None:
    await seeded(store, [("declared", TARGET, GUILD), ("declared", TARGET, ELSEWHERE), ("declared", OTHER, GUILD)])
    await privacy(store).forget(OTHER, guild_id=GUILD, everywhere=False, by="admin", actor_id=THIRD, now=NOW)
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=False, by="admin", actor_id=THIRD, now=NOW)
    declared = {(row[2], row[14]) for row in every_row(store.path)["incidents"]}
    assert declared == {(GUILD, -1), (GUILD, -2), (ELSEWHERE, TARGET)}
    forgotten = await privacy(store).forget(
        TARGET, guild_id=GUILD, everywhere=True, by="member", actor_id=None, now=NOW
    )
    assert forgotten.servers == 2
    declared = {(row[2], row[14]) for row in every_row(store.path)["incidents"]}
    assert declared == {(GUILD, -1), (GUILD, -2), (ELSEWHERE, -1)}


async def test_the_append_only_tables_refuse_any_other_rewrite(store: Store) -> None:
    await seeded(store, [("audit", TARGET, GUILD), ("update", TARGET, GUILD)])
    for sql in (
        "UPDATE audit_log SET actor_id = 5",
        "UPDATE audit_log SET action = 'z'",
        "DELETE FROM audit_log",
        "UPDATE updates SET by = 5",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            async with store.unit_of_work() as conn:
                await conn.execute(sql)
    with pytest.raises(sqlite3.IntegrityError):
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO privacy_forgetting VALUES (1)")
            await conn.execute("UPDATE audit_log SET result = 'changed'")


async def test_the_erased_text_is_nowhere_in_the_database_file(store: Store) -> None:
    await seeded(store, [(item, TARGET, GUILD) for item in ITEMS])
    secret = marker(TARGET, ITEMS.index("report")).encode()
    reminder = marker(TARGET, ITEMS.index("reminder")).encode()
    await store.checkpoint()
    assert secret in store.path.read_bytes(), "the marker was on disk before"
    await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=True, by="member", actor_id=None, now=NOW)
    await deliver(store, RoleDiscord())  # the removals of their follow roles, which held their id until then
    assert await store.checkpoint()
    data = store.path.read_bytes()
    wal = store.path.with_name(store.path.name + "-wal")
    data += wal.read_bytes() if wal.exists() else b""
    assert secret not in data and reminder not in data
    assert str(TARGET).encode() not in data, "their id, as text, is nowhere"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(ITEMS), st.sampled_from((TARGET, OTHER, THIRD)), st.sampled_from((GUILD, ELSEWHERE))),
        max_size=25,
    )
)
async def test_any_mix_forgotten_leaves_no_trace_and_others_untouched(
    tmp_path_factory: pytest.TempPathFactory, items: list[tuple[str, int, int]]
) -> None:
    store = await Store.open(tmp_path_factory.mktemp("mix") / "t.db")
    try:
        await store.migrate()
        await seeded(store, items)
        before = every_row(store.path)
        await privacy(store).forget(TARGET, guild_id=GUILD, everywhere=True, by="member", actor_id=None, now=NOW)
        after = every_row(store.path)
        assert only_removals_wait(after, TARGET)
        await deliver(store, RoleDiscord())
        delivered = every_row(store.path)
    finally:
        await store.close()
    assert [(t, r) for t, rows in delivered.items() for r in rows if holds(r, TARGET)] == []
    for table, rows in before.items():
        assert [r for r in rows if not holds(r, TARGET) and r not in after[table]] == [], table
