"""Telling the double's clock what the bot has caught up with (tests, benches and the demo drive the bot through
a Discord double whose clock it follows: bot/timers/clock.py describes the protocol).

Whoever moves the double's clock or acts as a member must know when the bot is done with it: has it seen the new
time, have the reminders and nudges due by then run, is what they queued on Discord? Guessing from what Discord
saw ("nothing was sent for a second") is wrong whenever the bot is slow to notice the time, or busy. So the bot
says it, as a gateway client acknowledges the sequence it has handled: for the latest epoch and question heard,
once `quiet` holds (the bot composes it: bot/app.py) and the clock has not moved while it was checked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from bot.timers.clock import FollowingClock
from bot.timers.tasks import cancel

log = logging.getLogger(__name__)

# While busy, the bot looks at its own state again this often (it holds no event for "everything is done").
RECHECK_S = 0.02
# Between two tries at telling a double that cannot be reached.
RETELL_S = 0.5


class CaughtUpReporter:
    """Answers the double's clock, once `quiet()` holds, with the epoch and the question it last heard."""

    def __init__(self, clock: FollowingClock, quiet: Callable[[], Awaitable[bool]]) -> None:
        self._clock = clock
        self._quiet = quiet
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._serve(), name="tocsin-caught-up")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _serve(self) -> None:
        told = (-1, -1)
        while True:
            heard = await self._clock.wait_news(told)
            try:
                quiet = await self._quiet()
            except Exception:  # a state that cannot be read is not a quiet one; looked at again shortly
                log.warning("could not tell whether the bot has caught up; looking again", exc_info=True)
                quiet = False
            if not quiet:
                await asyncio.sleep(RECHECK_S)
                continue
            if self._clock.heard != heard:  # the clock moved (or a new question came) while the bot looked
                continue
            try:
                await self._clock.tell_caught_up(*heard)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("could not tell the double's clock that the bot caught up (%s)", type(exc).__name__)
                await asyncio.sleep(RETELL_S)
                continue
            told = heard
