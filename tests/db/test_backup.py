"""Backups and restore on real files: a backup is one consistent moment even while another connection writes,
is checked, private and put in place atomically; a backup killed mid-way leaves the earlier ones intact; a restore
refuses what it cannot trust and keeps the database it replaces, WAL included."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.common.errors import TocsinError
from bot.storage.backup import BackupError, backups_in, inspect, restore_backup, take_backup
from bot.storage.migrations import known_version
from bot.storage.store import Store
from tests.db.test_store import store

__all__ = ["store"]  # the fixture: a migrated database alone in its folder

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


async def remember(store: Store, user_id: int) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute("INSERT INTO member_locales VALUES (?, 'fr', 'x')", (user_id,))


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_backup_is_checked_private_named_after_its_time_and_only_the_last_ones_are_kept(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    taken = []
    for day in range(4):
        await remember(store, day)
        taken.append(take_backup(store.path, folder, now=NOW + timedelta(days=day), keep=3))
    assert [b.path.name for b in backups_in(folder)] == [
        "tocsin-20241020T104000Z.db",
        "tocsin-20241021T104000Z.db",
        "tocsin-20241022T104000Z.db",
    ]
    assert taken[-1].removed == [folder / "tocsin-20241019T104000Z.db"]
    assert taken[-1].schema_version == known_version()
    assert stat.S_IMODE(taken[-1].path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert rows(taken[-1].path, "SELECT user_id FROM member_locales ORDER BY 1") == [(0,), (1,), (2,), (3,)]
    assert rows(taken[-1].path, "PRAGMA journal_mode") == [("delete",)], "one file, that can be copied alone"
    again = take_backup(store.path, folder, now=NOW + timedelta(days=3), keep=3)
    assert again.path.name == "tocsin-20241022T104000Z-2.db", "two in one second do not overwrite each other"


def test_many_backups_in_one_second_keep_the_newest(tmp_path: Path) -> None:
    database = tmp_path / "tocsin.db"
    sqlite3.connect(database).close()
    for _ in range(5):
        taken = take_backup(database, tmp_path / "backups", now=NOW, keep=2)
        assert taken.path.exists(), "the backup just taken is never the one pruned"
        assert [b.path for b in backups_in(tmp_path / "backups")][-1] == taken.path
    assert [b.path.name for b in backups_in(tmp_path / "backups")] == [
        "tocsin-20241019T104000Z-4.db",
        "tocsin-20241019T104000Z-5.db",
    ]


async def test_a_backup_taken_while_another_connection_writes_is_one_consistent_moment(
    store: Store, tmp_path: Path
) -> None:
    # Each unit of work writes a pair; a copy that caught one half of a pair would show an odd count.
    stop = threading.Event()

    async def writing() -> int:
        n = 0
        while not stop.is_set():
            async with store.unit_of_work() as conn:
                await conn.execute("INSERT INTO member_locales VALUES (?, 'fr', 'x')", (2 * n,))
                await asyncio.sleep(0)
                await conn.execute("INSERT INTO member_locales VALUES (?, 'en', 'x')", (2 * n + 1,))
            n += 1
        return n

    writer = asyncio.create_task(writing())
    copies = []
    for i in range(5):
        copies.append(await asyncio.to_thread(take_backup, store.path, tmp_path / "b", now=NOW, keep=10))
        assert not writer.done()
        await remember(store, 10_000_000 + i)  # the writer gets its turns between copies too
    stop.set()
    written = await writer
    counts = [rows(c.path, "SELECT COUNT(*) FROM member_locales WHERE user_id < 10000000")[0][0] for c in copies]
    assert all(isinstance(n, int) and n % 2 == 0 for n in counts), counts
    assert counts == sorted(counts) and counts[-1] <= 2 * written
    assert all(inspect(c.path)[0] == "ok" for c in copies)


async def test_a_backup_killed_mid_way_leaves_the_earlier_backups_intact(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    earlier = take_backup(store.path, folder, now=NOW, keep=5)
    before = digest(earlier.path)
    async with store.unit_of_work() as conn:  # enough pages for the copy to take a moment
        await conn.executemany(
            "INSERT INTO member_locales VALUES (?, ?, 'x')", [(n, "fr" + "x" * 200) for n in range(200_000)]
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
    env |= {"PYTHONPATH": str(ROOT), "TOCSIN_DATABASE_PATH": str(store.path), "LANG": "C.UTF-8"}
    backup = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot", "backup", "--out", str(folder), "--env-file", str(tmp_path / "absent.env")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = asyncio.get_running_loop().time() + 30
        partial: list[Path] = []
        while not partial:  # the copy has begun: its partial file has pages in it
            assert backup.returncode is None, "the backup ended before it could be killed mid-way"
            assert asyncio.get_running_loop().time() < deadline
            partial = [p for p in folder.glob(".tocsin-*.partial") if p.stat().st_size > 0]
            await asyncio.sleep(0.005)  # a file system has no event to wait on here
        backup.send_signal(signal.SIGKILL)
    finally:
        await backup.wait()
    assert backup.returncode == -signal.SIGKILL
    assert [b.path for b in backups_in(folder)] == [earlier.path], "nothing half-made took a backup's name"
    assert digest(earlier.path) == before and inspect(earlier.path) == ("ok", known_version())
    later = take_backup(store.path, folder, now=NOW + timedelta(days=1), keep=5)
    assert list(folder.glob(".tocsin-*.partial")) == [], "the next backup clears what the killed one left"
    assert rows(later.path, "SELECT COUNT(*) FROM member_locales") == [(200_000,)]


async def test_restore_puts_the_backup_in_place_and_keeps_the_replaced_database_with_its_wal(
    store: Store, tmp_path: Path
) -> None:
    await remember(store, 1)
    backup = take_backup(store.path, tmp_path / "backups", now=NOW, keep=5)
    await remember(store, 2)
    # A crash leaves the last commits in the WAL: the WAL goes aside with its database, nothing is lost.
    crashed = sqlite3.connect(store.path)
    crashed.execute("PRAGMA wal_autocheckpoint = 0")
    crashed.execute("INSERT INTO member_locales VALUES (3, 'fr', 'x')")
    crashed.commit()
    await store.close()
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.stat().st_size > 0
    restored = restore_backup(backup.path, store.path, known=known_version(), now=NOW + timedelta(hours=1))
    crashed.close()
    assert restored.schema_version == known_version()
    assert restored.kept_aside == store.path.with_name("tocsin.db.replaced-20241019T114000Z")
    assert rows(store.path, "SELECT user_id FROM member_locales") == [(1,)]
    assert rows(restored.kept_aside, "SELECT user_id FROM member_locales ORDER BY 1") == [(1,), (2,), (3,)]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert not list(store.path.parent.glob("*.restoring*"))


def broken_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    data[3 * page : 4 * page] = b"\x0d" + bytes(page - 1)  # a b-tree page whose content is gone
    target.write_bytes(bytes(data))
    return target


async def test_restore_refuses_what_it_cannot_trust_and_leaves_the_database_as_it_was(
    store: Store, tmp_path: Path
) -> None:
    await remember(store, 1)
    good = take_backup(store.path, tmp_path / "backups", now=NOW, keep=5)
    newer = tmp_path / "newer.db"
    newer.write_bytes(good.path.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {known_version() + 1}")
    conn.close()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, " * 100)
    await store.close()
    before = digest(store.path)
    cases = {
        tmp_path / "absent.db": "restore.error.not_found",
        text: "restore.error.not_a_database",
        broken_copy(good.path, tmp_path / "broken.db"): "restore.error.damaged",
        empty: "restore.error.not_tocsin",
        newer: "restore.error.newer_schema",
    }
    for source, refusal in cases.items():
        with pytest.raises(BackupError) as refused:
            restore_backup(source, store.path, known=known_version(), now=NOW)
        assert refused.value.message_id == refusal, source
        assert digest(store.path) == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["tocsin.db"]


def test_a_backup_of_no_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(TocsinError) as refused:
        take_backup(tmp_path / "absent.db", tmp_path / "backups", now=NOW, keep=3)
    assert refused.value.message_id == "backup.error.no_database"
    assert not (tmp_path / "absent.db").exists()
