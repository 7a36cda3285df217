"""The database's files on disk: created readable by their owner only, replaced atomically, moved with their
side files.

A SQLite database in WAL mode is up to three files (`x.db`, `x.db-wal`, `x.db-shm`); SQLite creates the side files
with the main file's permissions, so a main file created 0600 keeps the whole database private. A rename is
atomic on one file system, and durable once the folder itself is flushed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")


def create_private(path: Path, *, exist_ok: bool = False) -> None:
    """Creates `path` empty and readable by its owner only (an empty file is a valid, empty SQLite database)."""
    flags = os.O_CREAT | os.O_WRONLY | (0 if exist_ok else os.O_EXCL)
    os.close(os.open(path, flags, PRIVATE))


def create_private_if_absent(path: Path) -> bool:
    """`create_private` unless `path` exists (whose mode is then left as its owner set it); True if created."""
    try:
        create_private(path)
    except FileExistsError:
        return False
    return True


def side_files(database: Path) -> list[Path]:
    return [database.with_name(database.name + suffix) for suffix in SIDE_FILES]


def remove_database_files(database: Path) -> None:
    for path in (database, *side_files(database)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def move_database_files(database: Path, destination: Path) -> None:
    """Renames the database and its side files together, side files first: a WAL left behind by a crash holds
    committed transactions, and must stay beside its main file to be read."""
    for source, target in zip(side_files(database), side_files(destination), strict=True):
        if source.exists():
            os.replace(source, target)
    os.replace(database, destination)
    flush(destination.parent)


def flush(path: Path) -> None:
    """Makes a file's content, or a folder's renames and creations, durable (a power cut must not undo them)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(source: Path, target: Path) -> None:
    """`source`, complete, takes `target`'s name in one step, durably."""
    flush(source)
    os.replace(source, target)
    flush(target.parent)
