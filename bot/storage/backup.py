"""Backups of the database, and restoring one.

A backup is taken beside the running bot, through a connection of its own: SQLite's backup API in one step
copies every page inside one read transaction, so the copy is one consistent moment of the database (a step-wise
copy starts again whenever another connection writes, and may never end under a steady stream of commands), and
WAL lets the bot write meanwhile. The copy is written to a hidden partial file, checked (`integrity_check`, schema
version), flushed, then renamed to its final name in one step: a backup killed at any point leaves the earlier
backups as they were and at most a partial file, removed by the next backup. Only the newest `keep` are kept.

These functions block (they read and write whole files): callers run them in a thread, off the event loop.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.common.errors import TocsinError
from bot.storage.files import (
    create_private,
    flush_folder,
    move_database_files,
    remove_database_files,
    replace_atomically,
)

BACKUP_NAME = re.compile(r"^tocsin-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")
PARTIAL_SUFFIX = ".partial"
STAMP = "%Y%m%dT%H%M%SZ"
BUSY_TIMEOUT_S = 30.0


class BackupError(TocsinError):
    """A backup could not be taken, or a file cannot be restored: one sentence says which and why."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
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
        flush_folder(folder)
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
    left as a single file (rollback journal) that can be opened, moved and copied alone."""
    target.unlink(missing_ok=True)
    create_private(target)
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        writer = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            reader.backup(writer, pages=-1)
            writer.execute("PRAGMA journal_mode = DELETE")
        finally:
            writer.close()
    finally:
        reader.close()


def _free_name(folder: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime(STAMP)
    candidate, number = folder / f"tocsin-{stamp}.db", 1
    while candidate.exists():
        number += 1
        candidate = folder / f"tocsin-{stamp}-{number}.db"
    return candidate


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
