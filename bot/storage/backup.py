"""Backups of the database, and restoring one.

A backup is taken beside the running bot, through a connection of its own: SQLite's backup API in one step
copies every page inside one read transaction, so the copy is one consistent moment of the database (a step-wise
copy starts again whenever another connection writes, and may never end under a steady stream of commands), and
WAL lets the bot write meanwhile. The copy is written to a hidden partial file, checked (`integrity_check`, schema
version), flushed, then renamed to its final name in one step: a backup killed at any point leaves the earlier
backups as they were and at most a partial file, removed by the next backup. Only the newest `keep` are kept.

These functions block (they read and write whole files): callers run them off the event loop, the bot in a
thread of its own at the lowest CPU priority (`in_own_thread`): copying and checking a big database takes a
processor for seconds, and the bot's commands must keep theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import platform
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bot.common.errors import TocsinError
from bot.storage.files import (
    create_private,
    flush,
    move_database_files,
    remove_database_files,
    replace_atomically,
)

BACKUP_NAME = re.compile(r"^tocsin-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")
PARTIAL_SUFFIX = ".partial"
STAMP = "%Y%m%dT%H%M%SZ"
BUSY_TIMEOUT_S = 30.0
LOWEST_PRIORITY = 19
# Linux's ioprio_set(2), which Python does not wrap: its number on each architecture, and the idle class.
IOPRIO_SET = {"x86_64": 251, "aarch64": 30}
IOPRIO_WHO_PROCESS, IOPRIO_CLASS_IDLE, IOPRIO_CLASS_SHIFT = 1, 3, 13

T = TypeVar("T")


class BackupError(TocsinError):
    """A backup could not be taken, or a file cannot be restored: one sentence says which and why."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime


@dataclass(frozen=True)
class Backup(BackupFile):
    """A backup just taken: its file, and what taking it found and did."""

    schema_version: int
    size_bytes: int
    removed: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Restored:
    schema_version: int
    kept_aside: Path | None


def backups_in(folder: Path) -> list[BackupFile]:
    """The backups in `folder`, oldest first (by the time in their name)."""
    if not folder.is_dir():
        return []
    found: list[tuple[str, int, BackupFile]] = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match is not None:
            taken_at = datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
            found.append((match.group(1), int(match.group(2) or 1), BackupFile(path, taken_at)))
    return [backup for _, _, backup in sorted(found, key=lambda item: (item[0], item[1]))]


def lower_priority() -> None:
    """The calling thread (Linux gives each thread its own priorities) yields the processor, and the disk, to
    everything else: the bot's commits, which wait for the disk, go before the backup's writes."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    number = IOPRIO_SET.get(platform.machine())
    if sys.platform == "linux" and number is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall(number, IOPRIO_WHO_PROCESS, threading.get_native_id(), IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT)


async def in_own_thread(work: Callable[[], T]) -> T:
    """Runs `work` in a new thread at the lowest priority and waits for it without blocking the event loop (not in
    the loop's shared executor, whose threads would keep the lowered priority for other work)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        lower_priority()
        try:
            result = work()
        except BaseException as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name="tocsin-backup", daemon=True).start()
    return await done


def take_backup(database: Path, folder: Path, *, now: datetime, keep: int) -> Backup:
    """A checked copy of `database` in `folder`, named after `now`; then only the newest `keep` are kept."""
    if not database.is_file():
        raise BackupError("backup.error.no_database", path=str(database))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _folder_lock(folder):
        for stale in folder.glob(f".tocsin-*{PARTIAL_SUFFIX}"):
            stale.unlink(missing_ok=True)  # left by a backup killed mid-way
        final = _free_name(folder, now)
        partial = folder / f".{final.name}{PARTIAL_SUFFIX}"
        try:
            _copy(database, partial)
            integrity, version = inspect(partial)
            if integrity != "ok":
                raise BackupError("backup.error.damaged", path=str(database), result=integrity[:300])
            replace_atomically(partial, final)
        except sqlite3.Error as exc:
            raise BackupError("backup.error.failed", path=str(database), reason=str(exc)) from exc
        except OSError as exc:
            raise BackupError("backup.error.failed", path=str(database), reason=exc.strerror or str(exc)) from exc
        finally:
            partial.unlink(missing_ok=True)
        removed = prune(folder, keep)
    return Backup(final, now, version, final.stat().st_size, removed)


def prune(folder: Path, keep: int) -> list[Path]:
    """Removes all but the newest `keep` (at least one) backups; returns what it removed."""
    old = backups_in(folder)[: -max(1, keep)]
    for backup in old:
        backup.path.unlink(missing_ok=True)
    if old:
        flush(folder)
    return [backup.path for backup in old]


def inspect(path: Path) -> tuple[str, int]:
    """SQLite's integrity verdict on the file at `path` ("ok" or the problems, one a line) and its schema version;
    read-only, never creating a file."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
    return "\n".join(str(row[0]) for row in rows), version


def restore_backup(source: Path, database: Path, *, known: int, now: datetime) -> Restored:
    """Puts the backup `source` in place of `database`, whose files are kept aside (renamed, with their WAL).

    The caller holds the database lock: no bot runs on it. `source` must be a sound SQLite file of a schema this
    version knows; it is copied beside the database first, and only a complete copy takes the database's name."""
    version = check_restorable(source, known=known)
    incoming = database.with_name(database.name + ".restoring")
    remove_database_files(incoming)
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy(source, incoming)
        kept_aside: Path | None = None
        if database.exists():
            kept_aside = database.with_name(f"{database.name}.replaced-{now.astimezone(UTC).strftime(STAMP)}")
            move_database_files(database, kept_aside)
        replace_atomically(incoming, database)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError("restore.error.failed", path=str(source), reason=str(exc)) from exc
    finally:
        remove_database_files(incoming)
    return Restored(version, kept_aside)


def check_restorable(source: Path, *, known: int) -> int:
    """The schema version of `source`, or a refusal saying what is wrong with it."""
    if not source.is_file():
        raise BackupError("restore.error.not_found", path=str(source))
    try:
        integrity, version = inspect(source)
    except sqlite3.Error as exc:
        raise BackupError("restore.error.not_a_database", path=str(source), reason=str(exc)) from exc
    if integrity != "ok":
        raise BackupError("restore.error.damaged", path=str(source), result=integrity[:300])
    if version == 0:
        raise BackupError("restore.error.not_tocsin", path=str(source))
    if version > known:
        raise BackupError("restore.error.newer_schema", path=str(source), found=version, known=known)
    return version


def _copy(source: Path, target: Path) -> None:
    """A one-step copy of `source` (through SQLite, so its WAL is included) into the new private file `target`,
    left as a single file (rollback journal) that can be opened, moved and copied alone.

    The copy is written without syncing: nobody reads the partial file until it is checked, and it is flushed
    once, by the rename (`replace_atomically`), at the backup thread's disk priority."""
    target.unlink(missing_ok=True)
    create_private(target)
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        writer = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            writer.execute("PRAGMA synchronous = OFF")
            reader.backup(writer, pages=-1)
            writer.execute("PRAGMA journal_mode = DELETE")
        finally:
            writer.close()
    finally:
        reader.close()


def _free_name(folder: Path, now: datetime) -> Path:
    """The name of a backup taken at `now`: after every backup of the same second, even pruned ones' successors,
    so that the newest always sorts last."""
    stamp = now.astimezone(UTC).strftime(STAMP)
    numbers = [
        int(match.group(2) or 1)
        for path in folder.iterdir()
        if (match := BACKUP_NAME.match(path.name)) is not None and match.group(1) == stamp
    ]
    number = max(numbers, default=0) + 1
    return folder / (f"tocsin-{stamp}.db" if number == 1 else f"tocsin-{stamp}-{number}.db")


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One backup at a time per folder (the bot's daily one and a `backup` command may meet): the second waits."""
    path = folder / ".lock"
    create_private(path, exist_ok=True)
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
