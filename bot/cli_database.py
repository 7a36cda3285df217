"""`python -m bot migrate | check | backup | restore`: the database, looked after from the terminal.

`backup` runs beside the bot (it reads one consistent snapshot through its own connection); `migrate` and
`restore` refuse while a bot holds the database (`bot/storage/lock.py`), since the bot would go on with a schema or
a content it did not open.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
from datetime import UTC, datetime
from pathlib import Path

from bot.common.formatting import format_number
from bot.common.i18n import Msg
from bot.config import Settings
from bot.delivery import outbox
from bot.storage.backup import in_own_thread, restore_backup, take_backup
from bot.storage.lock import DatabaseLock
from bot.storage.migrations import known_version
from bot.storage.preparing import prepare_database
from bot.storage.store import Store
from bot.terminal import EXIT_OK, EXIT_PROBLEM, operator_language, say


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="the folder of backups (default: TOCSIN_BACKUP_DIR, else ./backups)")
    parser.add_argument("--keep", type=int, help="how many backups to keep there (default: TOCSIN_BACKUP_KEEP)")


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the backup to put in place of the database")


def now() -> datetime:
    return datetime.now(UTC)


async def migrate_database(settings: Settings) -> int:
    with DatabaseLock.take(settings.database_path):
        prepared = await prepare_database(
            settings.database_path, backup_folder=settings.backup_folder, keep=settings.backup_keep, now=now()
        )
    if prepared.backup is not None:
        say("cli.migrate.backed_up", backup=prepared.backup.path)
    report = prepared.report
    say("cli.migrate.done", path=settings.database_path, before=report.from_version, after=report.to_version)
    return EXIT_OK


async def back_up(settings: Settings, arguments: argparse.Namespace) -> int:
    folder: Path = arguments.out or settings.backup_folder
    keep: int = arguments.keep if arguments.keep is not None else settings.backup_keep
    backup = await in_own_thread(
        functools.partial(take_backup, settings.database_path, folder, now=now(), keep=max(1, keep))
    )
    say(
        "cli.backup.done",
        path=backup.path,
        version=backup.schema_version,
        size=format_number(backup.size_bytes / 2**20, operator_language(), decimals=1),
        removed=Msg.of("cli.backup.removed", count=len(backup.removed)),
        kept=Msg.of("cli.backup.kept", count=max(1, keep)),
    )
    return EXIT_OK


async def restore(settings: Settings, arguments: argparse.Namespace) -> int:
    source: Path = arguments.file
    known = known_version()
    with DatabaseLock.take(settings.database_path):
        restored = await asyncio.to_thread(restore_backup, source, settings.database_path, known=known, now=now())
    say("cli.restore.done", path=settings.database_path, source=source, version=restored.schema_version)
    if restored.kept_aside is not None:
        say("cli.restore.kept_aside", aside=restored.kept_aside)
    if restored.schema_version < known:
        say("cli.check.database_behind")
    return EXIT_OK


async def check_everything(settings: Settings) -> int:
    """Says what it finds: configuration first, then the database; exit 1 if something needs fixing."""
    problems = 0
    token_set = settings.discord_token is not None and bool(settings.discord_token.get_secret_value().strip())
    say("cli.check.token_set" if token_set else "cli.check.token_missing")
    problems += 0 if token_set else 1
    say(
        "cli.check.settings",
        language=settings.default_language,
        zone=settings.time_zone,
        api=settings.discord_api_base,
        guild=settings.dev_guild_id or "-",
    )
    if not settings.database_path.exists():
        say("cli.check.database_absent", path=settings.database_path)
        return EXIT_PROBLEM if problems else EXIT_OK
    store = await Store.open(settings.database_path)
    try:
        version = await store.schema_version()
        integrity = await store.integrity_check()
        summary = None
        if version == known_version():  # an older schema may not have the outbox yet
            async with store.reading() as conn:
                summary = await outbox.summary(conn)
    finally:
        await store.close()
    say("cli.check.database", path=settings.database_path, version=version, known=known_version())
    if version < known_version():
        problems += 1
        say("cli.check.database_behind")
    if version > known_version():
        problems += 1
        say("store.error.newer_schema", path=settings.database_path, found=version, known=known_version())
    if integrity != "ok":
        problems += 1
    say("cli.check.integrity", result=integrity)
    if summary is not None:
        say(
            "cli.check.outbox",
            pending=summary.pending + summary.in_flight,
            failed=summary.failed,
            done=Msg.of("about.outbox.sent", count=summary.done),
        )
    return EXIT_PROBLEM if problems else EXIT_OK
