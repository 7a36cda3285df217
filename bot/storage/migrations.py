"""Numbered SQL migrations (`NNNN_name.sql`), applied in order, each in one transaction with its version.

The source is the top-level `migrations` package by default; tests pass their own folder. A migration that
fails leaves neither its tables nor a bumped `user_version`: the script runs as
`BEGIN IMMEDIATE; <script>; PRAGMA user_version = N; COMMIT;` and is rolled back on any error (plain
`executescript` would otherwise commit statement by statement).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

import aiosqlite

from bot.storage.rows import first_row

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationSourceError(Exception):
    """The migrations folder itself is wrong (a gap, a duplicate, a bad name): a packaging bug."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass(frozen=True)
class MigrationReport:
    from_version: int
    to_version: int
    applied: list[str] = field(default_factory=list)


def default_source() -> Traversable:
    return resources.files("migrations")


def load_migrations(source: Traversable | None = None) -> list[Migration]:
    """Every migration of `source`, in order; numbers must run 1, 2, 3… without gap or duplicate."""
    folder = source if source is not None else default_source()
    found: dict[int, tuple[str, Traversable]] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = MIGRATION_NAME.match(entry.name)
        if match is None:
            raise MigrationSourceError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        number = int(match.group(1))
        if number in found:
            raise MigrationSourceError(
                f"migration number {number} is used twice: {found[number][0]!r} and {entry.name!r}"
            )
        found[number] = (entry.name, entry)
    migrations: list[Migration] = []
    for expected, number in enumerate(sorted(found), start=1):
        filename, entry = found[number]
        if number != expected:
            raise MigrationSourceError(
                f"migration {filename!r} has number {number}, expected {expected}: numbers must be contiguous"
            )
        match = MIGRATION_NAME.match(filename)
        assert match is not None
        migrations.append(Migration(number, match.group(2), entry.read_text(encoding="utf-8")))
    return migrations


def known_version(source: Traversable | None = None) -> int:
    """The newest schema this version of Tocsin knows."""
    return max((migration.version for migration in load_migrations(source)), default=0)


async def current_version(conn: aiosqlite.Connection) -> int:
    version = await first_row(conn, "PRAGMA user_version", (), lambda row: int(row[0]))
    return version if version is not None else 0


async def apply_migration(conn: aiosqlite.Connection, migration: Migration) -> None:
    """Applies one migration atomically on `conn` (autocommit mode, no transaction open, caller holds the
    write lock)."""
    script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;\nPRAGMA user_version = {int(migration.version)};\nCOMMIT;\n"
    try:
        await conn.executescript(script)
    except sqlite3.Error:
        if conn.in_transaction:
            await conn.rollback()
        raise
