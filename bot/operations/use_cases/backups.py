"""The bot's own backups, when a backup folder is set (TOCSIN_BACKUP_DIR): one a day, on the bot's clock.

The next one is due a day after the newest backup in the folder (at once if there is none), so restarts neither
skip a day nor take one backup per start. The copy is taken and checked in a thread of its own at the lowest CPU
priority (`bot/storage/backup.py`): the event loop, and with it every member's command, never waits for it. A
failed backup is tried again an hour later; the time of the last one that worked is kept for the metrics.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from pathlib import Path

from bot.storage.backup import Backup, backups_in, in_own_thread, take_backup

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)
RETRY = timedelta(hours=1)


class DailyBackups:
    def __init__(self, database: Path, folder: Path, *, keep: int) -> None:
        self.database = database
        self.folder = folder
        self.keep = keep
        self.last_taken_at: datetime | None = None
        self.failures = 0

    def next_due(self, now: datetime) -> datetime:
        found = backups_in(self.folder)
        if not found:
            return now
        self.last_taken_at = self.last_taken_at or found[-1].taken_at
        return max(now, found[-1].taken_at + EVERY)

    async def take(self, now: datetime) -> datetime:
        """Takes today's backup; returns when the next one is due (a day later, or an hour if this one failed)."""
        try:
            backup: Backup = await in_own_thread(
                functools.partial(take_backup, self.database, self.folder, now=now, keep=self.keep)
            )
        except Exception as exc:
            self.failures += 1
            log.error("the daily backup to %s failed (%r); trying again in an hour", self.folder, exc)
            return now + RETRY
        self.last_taken_at = backup.taken_at
        log.info("daily backup %s (%d bytes; %d older removed)", backup.path, backup.size_bytes, len(backup.removed))
        return now + EVERY
