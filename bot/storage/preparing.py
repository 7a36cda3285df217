"""Bringing the database to the current schema before anything else runs on it (`run`, `migrate`).

A new database is made whole at a temporary name — created private, migrated, closed — and only then renamed to
its path: a start that fails or is killed at any point leaves either no database or a complete one, never a
half-made one (a leftover temporary file is removed by the next start). An existing database with migrations to
apply is backed up first; each migration is all or nothing, so a failed one leaves the database at the schema of
the last one that worked, with the backup beside it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.storage import migrations
from bot.storage.backup import Backup, take_backup
from bot.storage.files import remove_database_files, replace_atomically
from bot.storage.migrations import MigrationReport
from bot.storage.store import Store, StoreError


@dataclass(frozen=True)
class Prepared:
    created: bool
    report: MigrationReport
    backup: Backup | None


async def prepare_database(
    path: Path,
    *,
    backup_folder: Path,
    keep: int,
    now: datetime,
    source: Traversable | None = None,
) -> Prepared:
    if not path.exists():  # noqa: ASYNC240 - one stat, before anything else runs
        return Prepared(True, await _create_whole(path, source), None)
    store = await Store.open(path, migrations_source=source)
    try:
        found = await store.check_schema()
        backup: Backup | None = None
        if 0 < found < migrations.known_version(source):
            backup = await asyncio.to_thread(take_backup, path, backup_folder, now=now, keep=keep)
        try:
            report = await store.migrate()
        except StoreError as failed:
            if backup is None or failed.message_id != "store.error.migration_failed":
                raise
            raise StoreError(
                "store.error.migration_failed_backed_up",
                migration=failed.args_map["migration"],
                reason=failed.args_map["reason"],
                version=await store.schema_version(),
                backup=str(backup.path),
            ) from failed
    finally:
        await store.close()
    return Prepared(False, report, backup)


async def _create_whole(path: Path, source: Traversable | None) -> MigrationReport:
    making = path.with_name(path.name + ".new")
    remove_database_files(making)  # a start killed while making it
    try:
        store = await Store.open(making, migrations_source=source)
        try:
            report = await store.migrate()
        finally:
            await store.close()  # the last connection's close folds the WAL into the file and removes it
        replace_atomically(making, path)
    finally:
        remove_database_files(making)
    return report
