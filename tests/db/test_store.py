from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.common.i18n.catalogue import Catalogue
from bot.storage.store import Store, StoreError
from bot.storage.times import from_db_time, to_db_time


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "data" / "tocsin.db")
    await opened.migrate()
    yield opened
    await opened.close()


async def pragma(store: Store, name: str) -> object:
    async with store.unit_of_work() as conn, conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def test_open_creates_parent_folders_and_sets_the_pragmas(store: Store) -> None:
    assert store.path.exists()
    assert await pragma(store, "journal_mode") == "wal"
    assert await pragma(store, "foreign_keys") == 1
    assert await pragma(store, "synchronous") == 2  # FULL
    assert await pragma(store, "busy_timeout") == 5000
    stats = await store.stats()
    assert stats["wal"] is True and stats["page_count"] > 0 and stats["file_bytes"] > 0


async def test_two_units_of_work_never_share_a_transaction(store: Store) -> None:
    # The reference's demo on one shared connection: A inserts, B commits, A rolls back -> A's row persisted.
    a_inserted = asyncio.Event()

    async def a() -> None:
        with pytest.raises(RuntimeError):
            async with store.unit_of_work() as conn:
                await conn.execute("INSERT INTO member_locales VALUES (1, 'fr', 'x')")
                a_inserted.set()
                await asyncio.sleep(0.05)  # B tries to commit meanwhile
                raise RuntimeError("A gives up")

    async def b() -> None:
        await a_inserted.wait()
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO member_locales VALUES (2, 'en', 'x')")

    await asyncio.gather(a(), b())
    async with store.reading() as conn, conn.execute("SELECT user_id FROM member_locales") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == [2]


async def test_rollback_on_exception_and_commit_on_success(store: Store) -> None:
    with pytest.raises(ValueError):
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO member_locales VALUES (1, 'fr', 'x')")
            raise ValueError
    async with store.unit_of_work() as conn:
        await conn.execute("INSERT INTO member_locales VALUES (3, 'fr', 'x')")
    async with store.reading() as conn, conn.execute("SELECT user_id FROM member_locales") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == [3]


async def test_a_unit_of_work_cancelled_while_it_begins_leaves_the_next_one_free(store: Store) -> None:
    """A stop cancels a task waiting on BEGIN IMMEDIATE: SQLite still runs that BEGIN in aiosqlite's thread, and
    the next unit of work must not find itself inside a transaction nobody owns."""
    entered = asyncio.Event()

    async def write() -> None:
        async with store.unit_of_work():
            entered.set()

    task = asyncio.create_task(write())
    await asyncio.sleep(0)  # the task is now awaiting its BEGIN
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not entered.is_set()
    async with store.unit_of_work() as conn:
        await conn.execute("SELECT 1")
    assert not store._writer.in_transaction


async def test_a_read_cancelled_while_it_begins_leaves_its_connection_free(store: Store) -> None:
    """The same for a read: its connection goes back to the pool and must not be inside a transaction."""

    async def read() -> None:
        async with store.reading():
            pass

    for _ in range(8):  # more than the pool holds: every reader is cancelled at least once
        task = asyncio.create_task(read())
        await asyncio.sleep(0)  # the task is now awaiting its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    for _ in range(8):
        async with store.reading() as conn, conn.execute("SELECT 1") as cursor:
            assert await cursor.fetchone() == (1,)


async def test_nested_unit_of_work_is_refused_not_deadlocked(store: Store) -> None:
    async with store.unit_of_work():
        with pytest.raises(RuntimeError, match="nested"):
            async with store.unit_of_work():
                pass


async def test_reading_sees_one_snapshot(store: Store) -> None:
    async with store.reading() as conn:
        async with conn.execute("SELECT COUNT(*) FROM member_locales") as cursor:
            before = await cursor.fetchone()
        async with store.unit_of_work() as writer:
            await writer.execute("INSERT INTO member_locales VALUES (5, 'fr', 'x')")
        async with conn.execute("SELECT COUNT(*) FROM member_locales") as cursor:
            during = await cursor.fetchone()
    async with store.reading() as conn, conn.execute("SELECT COUNT(*) FROM member_locales") as cursor:
        after = await cursor.fetchone()
    assert before == during == (0,)
    assert after == (1,)


async def test_reading_connection_cannot_write(store: Store) -> None:
    async with store.reading() as conn:
        with pytest.raises(sqlite3.OperationalError):
            await conn.execute("INSERT INTO member_locales VALUES (6, 'fr', 'x')")


async def test_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA user_version = 999")
    plain.close()
    store = await Store.open(path)
    try:
        with pytest.raises(StoreError) as caught:
            await store.migrate()
        assert caught.value.message_id == "store.error.newer_schema"
        assert caught.value.args_map["found"] == 999
        with pytest.raises(StoreError):
            await store.check_schema()
    finally:
        await store.close()
    text = Catalogue.load().render("fr", caught.value.message_id, **caught.value.args_map)
    assert "999" in text and "plus récente" in text


async def test_read_only_database_surfaces_as_write_failed(store: Store) -> None:
    # Tests run as root, for whom file modes do not bite; query_only makes SQLite answer exactly as it does
    # for a read-only file ("attempt to write a readonly database").
    await store._writer.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError) as caught:
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO member_locales VALUES (7, 'fr', 'x')")
    assert caught.value.message_id == "store.error.write_failed"
    await store._writer.execute("PRAGMA query_only = OFF")
    async with store.unit_of_work() as conn:  # the store is still usable afterwards
        await conn.execute("INSERT INTO member_locales VALUES (8, 'fr', 'x')")


async def test_lock_held_past_busy_timeout_is_write_failed(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = await Store.open(path)
    await store._writer.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            async with store.unit_of_work():
                pass
        assert caught.value.message_id == "store.error.write_failed"
    finally:
        other.execute("ROLLBACK")
        other.close()
        await store.close()


async def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        await Store.open(blocker / "tocsin.db")
    assert caught.value.message_id == "store.error.cannot_open"


async def test_backup_and_integrity(store: Store, tmp_path: Path) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute("INSERT INTO member_locales VALUES (9, 'fr', 'x')")
    assert await store.integrity_check() == "ok"
    dest = tmp_path / "backups" / "copy.db"
    await store.backup(dest)
    copy = sqlite3.connect(dest)
    try:
        assert copy.execute("SELECT user_id FROM member_locales").fetchall() == [(9,)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


async def test_audit_log_is_append_only(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute("INSERT INTO audit_log (action, arguments, result, at) VALUES ('a', '{}', 'ok', 't')")
    for statement in ("UPDATE audit_log SET result = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError):
            async with store.unit_of_work() as conn:
                await conn.execute(statement)


async def test_close_twice_is_harmless(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "t.db")
    await store.close()
    await store.close()
    with pytest.raises(RuntimeError):
        async with store.unit_of_work():
            pass


def test_db_times_are_utc_text_and_refuse_naive() -> None:
    paris = timezone(timedelta(hours=2))
    instant = datetime(2024, 10, 26, 23, 30, tzinfo=paris)
    text = to_db_time(instant)
    assert text == "2024-10-26T21:30:00.000000+00:00"
    assert from_db_time(text) == instant
    with pytest.raises(ValueError):
        to_db_time(datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        from_db_time("2024-01-01T00:00:00")
    assert to_db_time(datetime(2024, 1, 1, tzinfo=UTC)) < to_db_time(datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC))


async def test_a_refused_write_tells_members_no_path_and_logs_it(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await store._writer.execute("PRAGMA query_only = ON")
    with caplog.at_level("ERROR", logger="bot.storage.store"), pytest.raises(StoreError) as caught:
        async with store.unit_of_work() as conn:
            await conn.execute("INSERT INTO member_locales VALUES (7, 'fr', 'x')")
    await store._writer.execute("PRAGMA query_only = OFF")
    catalogue = Catalogue.load()
    for language in ("fr", "en"):
        sentence = catalogue.render(language, caught.value.message_id, **caught.value.args_map)
        assert str(store.path) not in sentence and store.path.name not in sentence, sentence
        assert "readonly" in sentence
    assert str(store.path) in caplog.text
