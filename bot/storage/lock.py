"""The lock a running bot holds on its database: one bot per database, and no restore or migration under it.

An advisory `flock` on `<database>.lock`, taken without waiting and held for the life of the process: the kernel
releases it when the process ends however it ends (a SIGKILL, a crash), so a stale lock never blocks a restart.
The file holds the holder's pid, for the sentence that refuses the second comer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.storage.files import create_private
from bot.storage.store import StoreError


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def take(cls, database: Path) -> DatabaseLock:
        """Takes the lock or refuses at once with `store.error.in_use` (naming the holder's pid)."""
        path = lock_path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path, exist_ok=True)
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise StoreError("store.error.in_use", path=str(database), pid=holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()
