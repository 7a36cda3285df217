"""Every column of the schema that holds a member's id is known to privacy's registry (so `/privacy` exports it
and a forget erases it): a migration that adds one, and no entry, fails here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.privacy.rules import is_other_id, names_a_member
from bot.privacy.store.registry import declared_columns
from bot.storage.store import Store


async def schema(store: Store) -> dict[str, list[str]]:
    async with store.reading() as conn:
        cursor = await conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'incident_search%'"
        )
        tables = [str(row[0]) for row in await cursor.fetchall()]
        found: dict[str, list[str]] = {}
        for table in tables:
            cursor = await conn.execute(f"PRAGMA table_info({table})")
            found[table] = [str(row[1]) for row in await cursor.fetchall()]
    return found


async def test_every_column_naming_a_member_is_declared_and_every_other_id_is_classified(store: Store) -> None:
    declared = {(c.table, c.column) for c in declared_columns() if not c.holds_text}
    unknown: list[str] = []
    unclassified: list[str] = []
    for table, columns in (await schema(store)).items():
        for column in columns:
            if names_a_member(column):
                if (table, column) not in declared:
                    unknown.append(f"{table}.{column}")
            elif column.endswith("_id") and not is_other_id(column):
                unclassified.append(f"{table}.{column}")
    assert unknown == [], "columns holding a member's id that bot/privacy/store/registry.py does not declare"
    assert unclassified == [], "ids of what? name them with a member word, or add the word to OTHER_ID_WORDS"


async def test_every_declared_column_exists(store: Store) -> None:
    tables = await schema(store)
    missing = [f"{c.table}.{c.column}" for c in declared_columns() if c.column not in tables.get(c.table, [])]
    assert missing == []


async def test_a_new_member_column_without_a_declaration_fails(tmp_path: Path, store: Store) -> None:
    """The check above catches what it is for: a table added with a member's id, unknown to the registry."""
    conn = sqlite3.connect(store.path)
    conn.execute("CREATE TABLE maintenance_windows (id INTEGER PRIMARY KEY, owner_id INTEGER, webhook_id INTEGER)")
    conn.execute("CREATE TABLE webhook_targets (id INTEGER PRIMARY KEY, subscriber_ref INTEGER, target_id INTEGER)")
    conn.commit()
    conn.close()
    declared = {(c.table, c.column) for c in declared_columns()}
    columns = await schema(store)
    assert ("maintenance_windows", "owner_id") not in declared and names_a_member("owner_id")
    assert "owner_id" in columns["maintenance_windows"]
    assert not is_other_id("target_id") and not names_a_member("target_id"), "an unclassified id is caught too"
