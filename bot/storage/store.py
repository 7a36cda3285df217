"""The store: one aiosqlite writer connection behind a lock, and a small pool of read-only connections for
snapshots (WAL lets readers run beside each other and beside the writer, each in its own thread: a keystroke's
autocomplete does not queue behind the outbox worker's reads).

One aiosqlite connection is one transaction shared by every coroutine using it (a rollback in one coroutine
undoes another's writes), so every write goes through `unit_of_work()`, which holds an asyncio lock for the
whole `BEGIN IMMEDIATE … COMMIT`. `BEGIN IMMEDIATE` takes SQLite's write lock at once, so `busy_timeout`
applies; a deferred transaction upgrading to a write would fail with SQLITE_BUSY without waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import aiosqlite

from bot.common.errors import TocsinError
from bot.storage import migrations as migrations_module
from bot.storage.files import create_private_if_absent
from bot.storage.migrations import MigrationReport
from bot.storage.rows import first_row

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
READERS = 4

# The stores whose unit of work the current task (and the tasks it spawned) is inside: a nested
# unit_of_work would wait forever on the lock its own caller holds, so it is refused instead.
_inside_unit_of_work: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "tocsin_inside_unit_of_work", default=frozenset()
)

_WRITE_FAILURES = (
    "readonly",
    "read-only",
    "disk is full",
    "database is locked",
    "disk i/o error",
    "database or disk is full",
)


@asynccontextmanager
async def read_transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """One snapshot of the database: the first SELECT fixes it. A read has nothing to keep, so it is rolled back
    either way, which releases the snapshot."""
    try:
        await conn.execute("BEGIN")
    except BaseException:
        await asyncio.shield(end_abandoned_begin(conn))
        raise
    try:
        yield conn
    finally:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")


async def end_abandoned_begin(conn: aiosqlite.Connection) -> None:
    """Cancelled while waiting on BEGIN (a stop, a timeout): aiosqlite's thread still runs it. A statement queued
    after it returns once it has run; the transaction nobody owns is then rolled back, so the next user of the
    connection does not start inside it ("cannot start a transaction within a transaction")."""
    with suppress(sqlite3.Error):
        await conn.execute("SELECT 1")
        if conn.in_transaction:
            await conn.execute("ROLLBACK")


class StoreError(TocsinError):
    """The database could not be opened, is of a newer schema, or refused a write."""


def _is_write_failure(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(marker in text for marker in _WRITE_FAILURES)


class Store:
    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        readers: list[aiosqlite.Connection],
        migrations_source: Traversable | None = None,
    ) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._idle_readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._idle_readers.put_nowait(reader)
        self._migrations_source = migrations_source
        self._write_lock = asyncio.Lock()
        self._closed = False
        # Units of work committed through this store: while it has not moved, nothing this process could write
        # has changed (the bot is the database's only writer while it runs: see the lock in bot/storage/lock.py).
        self.commits = 0

    @classmethod
    async def open(cls, path: str | Path, *, migrations_source: Traversable | None = None) -> Store:
        """Opens (creating if needed, readable by its owner only) the database at `path`; `migrations_source`
        replaces the packaged `migrations` folder (tests)."""
        db_path = Path(path)
        writer: aiosqlite.Connection | None = None
        readers: list[aiosqlite.Connection] = []
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            create_private_if_absent(db_path)  # SQLite gives its WAL and shared-memory files the same mode
            writer = await aiosqlite.connect(db_path, isolation_level=None)
            await writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            async with writer.execute("PRAGMA journal_mode = WAL") as cursor:
                mode_row = await cursor.fetchone()
            await writer.execute("PRAGMA foreign_keys = ON")
            await writer.execute("PRAGMA synchronous = FULL")
            # Erased text (a forgotten member's reports, reminders) is overwritten, not left in free pages.
            await writer.execute("PRAGMA secure_delete = ON")
            if mode_row is None or str(mode_row[0]).lower() != "wal":
                raise sqlite3.OperationalError(f"journal mode stayed {mode_row[0] if mode_row else '?'}")
            # Creating the WAL needs a write: prove now that the file is writable, not at the first command.
            await writer.execute("BEGIN IMMEDIATE")
            await writer.execute("COMMIT")
            for _ in range(READERS):
                reader = await aiosqlite.connect(db_path, isolation_level=None)
                readers.append(reader)
                await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await reader.execute("PRAGMA query_only = ON")
                await reader.execute("PRAGMA foreign_keys = ON")
                await reader.execute("PRAGMA secure_delete = ON")
        except (OSError, sqlite3.Error) as exc:
            for conn in (*readers, writer):
                if conn is not None:
                    await conn.close()
            raise StoreError("store.error.cannot_open", path=str(db_path), reason=str(exc)) from exc
        return cls(db_path, writer, readers, migrations_source)

    def unit_of_work(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """`BEGIN IMMEDIATE` … `COMMIT` on the writer connection under the write lock; ROLLBACK and re-raise
        on any exception. A failing write (read-only file, full disk, lock held past the busy timeout) is
        raised as `StoreError("store.error.write_failed")`."""
        return self._unit_of_work()

    @asynccontextmanager
    async def _unit_of_work(self) -> AsyncIterator[aiosqlite.Connection]:
        inside = _inside_unit_of_work.get()
        if id(self) in inside:
            raise RuntimeError("unit_of_work() nested inside another unit of work of the same store")
        self._ensure_open()
        async with self._write_lock:
            token = _inside_unit_of_work.set(inside | {id(self)})
            try:
                try:
                    await self._writer.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise self._write_failed(exc) from exc
                except BaseException:
                    await asyncio.shield(end_abandoned_begin(self._writer))
                    raise
                try:
                    yield self._writer
                except BaseException as exc:
                    await self._rollback_quietly()
                    if isinstance(exc, sqlite3.Error) and _is_write_failure(exc):
                        raise self._write_failed(exc) from exc
                    raise
                try:
                    await self._writer.execute("COMMIT")
                except sqlite3.Error as exc:
                    await self._rollback_quietly()
                    raise self._write_failed(exc) from exc
                self.commits += 1
            finally:
                _inside_unit_of_work.reset(token)

    def reading(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """An idle read-only connection inside `BEGIN` … `COMMIT`: every query sees one consistent snapshot."""
        return self._reading()

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        self._ensure_open()
        async with self._borrowed_reader() as reader, read_transaction(reader):
            yield reader

    def one_statement(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """An idle read-only connection for a single statement, which is its own snapshot: no BEGIN … ROLLBACK
        around it (one trip to aiosqlite's thread with `execute_fetchall`, for reads made on every request)."""
        self._ensure_open()
        return self._borrowed_reader()

    @asynccontextmanager
    async def _borrowed_reader(self) -> AsyncIterator[aiosqlite.Connection]:
        reader = await self._idle_readers.get()
        try:
            yield reader
        finally:
            self._idle_readers.put_nowait(reader)

    async def migrate(self, source: Traversable | None = None) -> MigrationReport:
        """Applies the pending migrations in order; refuses a database newer than the code."""
        self._ensure_open()
        known = migrations_module.load_migrations(source if source is not None else self._migrations_source)
        highest = known[-1].version if known else 0
        if _inside_unit_of_work.get() and id(self) in _inside_unit_of_work.get():
            raise RuntimeError("migrate() called inside a unit of work")
        async with self._write_lock:
            found = await migrations_module.current_version(self._writer)
            if found > highest:
                raise StoreError("store.error.newer_schema", path=str(self.path), found=found, known=highest)
            applied: list[str] = []
            for migration in known:
                if migration.version <= found:
                    continue
                try:
                    await migrations_module.apply_migration(self._writer, migration)
                except sqlite3.Error as exc:
                    if _is_write_failure(exc):
                        raise self._write_failed(exc) from exc
                    raise StoreError(
                        "store.error.migration_failed", migration=migration.label, reason=str(exc)
                    ) from exc
                applied.append(migration.label)
                self.commits += 1
                log.info("applied migration %s", migration.label)
            to_version = await migrations_module.current_version(self._writer)
        return MigrationReport(from_version=found, to_version=to_version, applied=applied)

    async def check_schema(self, source: Traversable | None = None) -> int:
        """The schema version, refusing a database newer than the code knows (for `check`)."""
        known = migrations_module.load_migrations(source if source is not None else self._migrations_source)
        highest = known[-1].version if known else 0
        found = await self.schema_version()
        if found > highest:
            raise StoreError("store.error.newer_schema", path=str(self.path), found=found, known=highest)
        return found

    async def schema_version(self) -> int:
        async with self.reading() as conn:
            return await migrations_module.current_version(conn)

    async def integrity_check(self) -> str:
        """SQLite's verdict: "ok", or the problems it found, one per line."""
        async with self.reading() as conn, conn.execute("PRAGMA integrity_check") as cursor:
            rows = await cursor.fetchall()
        return "\n".join(str(row[0]) for row in rows)

    async def backup(self, dest: Path) -> None:
        """An online copy of the database to `dest` (SQLite's backup API), taken from a consistent snapshot.

        Never copy the file itself: a WAL database's last commits live in the -wal file."""
        self._ensure_open()
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = await aiosqlite.connect(dest)
        try:
            async with self._borrowed_reader() as reader:
                await reader.backup(target)
        finally:
            await target.close()

    async def checkpoint(self) -> bool:
        """Copies the WAL into the database file and empties it (`wal_checkpoint(TRUNCATE)`), so that pages a
        forget rewrote leave no older copy in the WAL. False when a reader's snapshot kept it from finishing."""
        self._ensure_open()
        async with self._write_lock, self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        return row is not None and int(row[0]) == 0

    async def stats(self) -> dict[str, Any]:
        """Size and mode of the database, for `/tocsin about` and `check`."""
        async with self.reading() as conn:
            page_count = await self._pragma(conn, "page_count")
            page_size = await self._pragma(conn, "page_size")
            journal_mode = await self._pragma(conn, "journal_mode")
            version = await migrations_module.current_version(conn)
        wal = self.path.with_name(self.path.name + "-wal")
        return {
            "path": str(self.path),
            "file_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
            "page_count": int(page_count),
            "page_size": int(page_size),
            "journal_mode": str(journal_mode),
            "wal": str(journal_mode).lower() == "wal",
            "schema_version": version,
        }

    async def close(self) -> None:
        """Closes every connection (their threads end, so the process can exit); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            for conn in (*self._readers, self._writer):
                try:
                    await conn.close()
                except Exception:  # closing is best effort: the other connection must still be closed
                    log.exception("could not close a database connection cleanly")

    @property
    def closed(self) -> bool:
        return self._closed

    @staticmethod
    async def _pragma(conn: aiosqlite.Connection, name: str) -> Any:
        return await first_row(conn, f"PRAGMA {name}", (), lambda row: row[0])

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    async def _rollback_quietly(self) -> None:
        if self._writer.in_transaction:
            try:
                await self._writer.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback failed")

    def _write_failed(self, exc: sqlite3.Error) -> StoreError:
        # The member who acted is told that nothing was saved; where the file lives is the operator's business.
        log.error("database write failed on %s: %s", self.path, exc)
        return StoreError("store.error.write_failed", reason=str(exc))
