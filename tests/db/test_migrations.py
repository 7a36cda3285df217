from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.migrations import MigrationSourceError, load_migrations
from bot.storage.store import Store, StoreError


def write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"-- {name}: why this migration exists (test)\n{sql}", encoding="utf-8")


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


async def test_packaged_migrations_apply_in_order_and_rerun_is_idempotent(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "t.db")
    try:
        report = await store.migrate()
        assert report.from_version == 0
        assert report.applied[0] == "0001_foundation"
        assert report.to_version == len(load_migrations()) == await store.schema_version()
        again = await store.migrate()
        assert again.applied == [] and again.from_version == again.to_version == report.to_version
    finally:
        await store.close()
    assert {"guild_settings", "member_locales", "audit_log", "outbox", "dm_channels"} <= tables(tmp_path / "t.db")


async def test_each_packaged_migration_explains_itself() -> None:
    for migration in load_migrations():
        assert migration.sql.lstrip().startswith("--"), migration.label


async def test_injected_source_applies_pending_ones_only(tmp_path: Path) -> None:
    source = tmp_path / "migs"
    write(source, "0001_first.sql", "CREATE TABLE one (x INTEGER);")
    store = await Store.open(tmp_path / "t.db", migrations_source=source)
    try:
        assert (await store.migrate()).applied == ["0001_first"]
        write(source, "0002_second.sql", "CREATE TABLE two (x INTEGER);\nCREATE INDEX two_x ON two (x);")
        report = await store.migrate()
        assert (report.from_version, report.to_version, report.applied) == (1, 2, ["0002_second"])
    finally:
        await store.close()
    assert {"one", "two"} <= tables(tmp_path / "t.db")


async def test_failing_migration_leaves_no_table_and_no_version(tmp_path: Path) -> None:
    source = tmp_path / "migs"
    write(source, "0001_first.sql", "CREATE TABLE one (x INTEGER);")
    write(source, "0002_broken.sql", "CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
    store = await Store.open(tmp_path / "t.db", migrations_source=source)
    try:
        with pytest.raises(StoreError) as caught:
            await store.migrate()
        assert caught.value.message_id == "store.error.migration_failed"
        assert caught.value.args_map["migration"] == "0002_broken"
        assert await store.schema_version() == 1
        async with store.unit_of_work() as conn:  # the writer is usable again: no transaction left open
            await conn.execute("INSERT INTO one VALUES (1)")
    finally:
        await store.close()
    assert "half" not in tables(tmp_path / "t.db")
    assert "one" in tables(tmp_path / "t.db")


@pytest.mark.parametrize(
    ("names", "culprit"),
    [
        (["0001_a.sql", "0003_c.sql"], "0003_c.sql"),
        (["0001_a.sql", "0001_b.sql"], "0001_"),
        (["0001_a.sql", "2_b.sql"], "2_b.sql"),
    ],
)
def test_gaps_duplicates_and_bad_names_are_refused_naming_the_file(
    tmp_path: Path, names: list[str], culprit: str
) -> None:
    for name in names:
        write(tmp_path, name, "SELECT 1;")
    with pytest.raises(MigrationSourceError, match=culprit):
        load_migrations(tmp_path)
