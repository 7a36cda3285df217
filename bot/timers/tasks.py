"""The background tasks the timers run (the clock's follower, the scheduler's driver, start-up registration)."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Stops `task` and waits until it has ended: its cancellation is how it is meant to end, not an error."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
