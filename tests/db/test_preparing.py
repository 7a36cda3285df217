"""The database brought to the current schema before a start: a new one whole or absent, an old one backed up first,
a failed migration leaving the database at its last good schema with the backup beside it."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.backup import backups_in, inspect
from bot.storage.preparing import prepare_database
from bot.storage.store import Store, StoreError
from tests.db.test_migrations import write

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


def version_of(path: Path) -> int:
    return inspect(path)[1]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".new" in p.name or p.name.endswith(("-wal", "-shm")))


async def test_a_new_database_is_made_whole_private_and_without_side_files(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tocsin.db"
    prepared = await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW)
    assert prepared.created and prepared.backup is None
    assert leftovers(path.parent) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert version_of(path) == prepared.report.to_version > 0


async def test_a_new_database_whose_migration_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    source = tmp_path / "migs"
    write(source, "0001_first.sql", "CREATE TABLE one (x INTEGER);")
    write(source, "0002_broken.sql", "CREATE TABLE two (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
    path = tmp_path / "state" / "tocsin.db"
    with pytest.raises(StoreError) as refused:
        await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW, source=source)
    assert refused.value.message_id == "store.error.migration_failed"
    assert sorted(p.name for p in path.parent.iterdir()) == []


async def test_what_a_killed_start_left_while_making_the_database_is_cleared(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.db"
    (tmp_path / "tocsin.db.new").write_bytes(b"half of a database")
    (tmp_path / "tocsin.db.new-wal").write_bytes(b"and its log")
    await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW)
    assert leftovers(tmp_path) == []
    assert version_of(path) > 0


async def old_database(tmp_path: Path) -> tuple[Path, Path]:
    """A database at schema 1 holding a row, and its migrations folder, where a second migration is now waiting."""
    source, path = tmp_path / "migs", tmp_path / "tocsin.db"
    write(source, "0001_first.sql", "CREATE TABLE one (x INTEGER);")
    store = await Store.open(path, migrations_source=source)
    try:
        await store.migrate()
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO one VALUES (42)")
    finally:
        await store.close()
    write(source, "0002_second.sql", "CREATE TABLE two (x INTEGER);")
    return path, source


async def test_an_old_database_is_backed_up_before_it_is_migrated(tmp_path: Path) -> None:
    path, source = await old_database(tmp_path)
    prepared = await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW, source=source)
    assert prepared.backup is not None and not prepared.created
    assert (prepared.report.from_version, prepared.report.to_version) == (1, 2)
    assert [b.path for b in backups_in(tmp_path / "backups")] == [prepared.backup.path]
    assert inspect(prepared.backup.path) == ("ok", 1)
    copy = sqlite3.connect(prepared.backup.path)
    try:
        assert copy.execute("SELECT x FROM one").fetchall() == [(42,)]
    finally:
        copy.close()
    again = await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW, source=source)
    assert again.backup is None, "nothing to migrate: no backup"


async def test_a_failed_migration_of_an_old_database_names_its_schema_and_the_backup(tmp_path: Path) -> None:
    path, source = await old_database(tmp_path)
    write(source, "0003_broken.sql", "INSERT INTO nowhere VALUES (1);")
    with pytest.raises(StoreError) as refused:
        await prepare_database(path, backup_folder=tmp_path / "backups", keep=3, now=NOW, source=source)
    assert refused.value.message_id == "store.error.migration_failed_backed_up"
    backup = backups_in(tmp_path / "backups")[0].path
    assert refused.value.args_map | {"reason": "-"} == {
        "migration": "0003_broken",
        "reason": "-",
        "version": 2,
        "backup": str(backup),
    }
    assert version_of(path) == 2 and version_of(backup) == 1
