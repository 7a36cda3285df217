"""Every timer of the bot, registered here and nowhere else: one scheduler job per pending reminder, per open
incident (its next nudge, and the time its committed next update becomes late), per digest, per planned
maintenance not over yet (its next stage, bot/maintenance/rules.py) and per resolved incident whose thread is
still to archive; and one that asks the outbox again, every `OWED_RETRY`, for what it
owes (sends a missing permission held back, bot/delivery). At start the boards are planned once more too
(bot/board/use_cases.py): what came due or was deleted while the bot was down shows again.

The bot starts the timers once its scheduler runs, whichever cogs loaded: a cog that fails to load cannot stop a
reminder, a nudge or an archive. The database is the truth; a job only wakes a use case at the time the use case
returned, and the pending rows are registered again at every start. A feature that adds a timer adds its
registration to `Timers.start` and its scheduling methods here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.board.use_cases import Boards
from bot.common.i18n import Msg, list_of
from bot.delivery.dependencies import OWED_RETRY
from bot.digests.use_cases import Digests
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.maintenance.use_cases import Maintenances
from bot.operations.use_cases.backups import DailyBackups
from bot.reminders.use_cases.nudging import Nudging
from bot.reminders.use_cases.reminders import Reminders
from bot.timers.clock import Clock
from bot.timers.scheduler import Scheduler
from bot.timers.tasks import cancel

log = logging.getLogger(__name__)

# Waits between two tries at registering what is pending (a database locked or full at start-up): short at
# first, for a lock held a moment, then once a minute until it works.
RETRY_PAUSES_S = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0)
# A nudge that could not be planned is planned again this long after, on the bot's clock.
REPLAN_RETRY = timedelta(minutes=1)
# What /tocsin about calls each kind of timer still waiting, in the reader's words, listed as a sentence lists.
KIND_WORDS = {
    "reminders": "about.timers.kind.reminders",
    "nudges": "about.timers.kind.nudges",
    "archives": "about.timers.kind.archives",
    "late updates": "about.timers.kind.late_updates",
    "boards": "about.timers.kind.boards",
    "digests": "about.timers.kind.digests",
    "maintenance": "about.timers.kind.maintenance",
}


def timer_kind_word(kind: str) -> Msg:
    """A kind of timer as /tocsin about names it."""
    return Msg.of(KIND_WORDS[kind])


class Outbox(Protocol):
    def wake(self) -> None:
        """New rows were committed: the sender should look for them now."""

    async def ask_again_owed(self, guild_id: int | None = None) -> int:
        """What is owed goes back to its lanes (its cause may be fixed)."""


@dataclass
class Timers:
    scheduler: Scheduler
    clock: Clock
    outbox: Outbox
    lifecycle: Lifecycle
    reminders: Reminders
    nudging: Nudging
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep
    # The daily backup, when a backup folder is set.
    backups: DailyBackups | None = None
    boards: Boards | None = None
    digests: Digests | None = None
    maintenance: Maintenances | None = None
    startup: asyncio.Task[None] | None = field(default=None, init=False)
    # Kinds of timer whose registration failed and is being tried again: told in /tocsin about until it works.
    waiting: set[str] = field(default_factory=set, init=False)

    async def start(self) -> None:
        """Once the scheduler runs: every committed change of an incident replans its nudges, and the pending
        rows are registered in the background (the bot must not wait for thousands of rows to connect)."""
        if self.startup is not None:
            return
        self.lifecycle.after_commit.append(self.replan)
        self.lifecycle.after_commit.append(self.watch_lateness)
        self.startup = asyncio.create_task(self._register_pending(), name="tocsin-timers-startup")
        self._schedule_owed_retry()
        if self.backups is not None:
            self._schedule_backup(self.backups.next_due(self.clock.now()))

    async def stop(self) -> None:
        if self.startup is not None and not self.startup.done():
            await cancel(self.startup)

    def registrations(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """Each kind of timer registered at start-up (named by `KIND_WORDS`), and what registers it."""
        return {
            "reminders": self._register_reminders,
            "nudges": self._register_nudges,
            "archives": self._register_archives,
            "late updates": self._register_lateness,
            "boards": self._refresh_boards,
            "digests": self._register_digests,
            "maintenance": self._register_maintenance,
        }

    async def _register_pending(self) -> None:
        # Each kind on its own: one that cannot be read does not keep the others from their times. A kind that
        # fails is tried again until it works, so a database locked at start-up delays timers but loses none.
        registrations = self.registrations()
        left = set(registrations)
        tries = 0
        while True:
            for kind, register in registrations.items():
                if kind not in left:
                    continue
                try:
                    await register()
                except Exception as exc:
                    self.waiting.add(kind)
                    log.warning("could not register the pending %s (%s); trying again", kind, exc, exc_info=True)
                else:
                    left.discard(kind)
                    self.waiting.discard(kind)
                    if tries:
                        log.info("the pending %s are registered, after %d more tries", kind, tries)
            if not left:
                return
            pause = RETRY_PAUSES_S[min(tries, len(RETRY_PAUSES_S) - 1)]
            tries += 1
            log.warning("timers not registered yet: %s; next try in %.0f s", ", ".join(sorted(left)), pause)
            await self.pause(pause)

    @property
    def ready(self) -> bool:
        """Started, and no registration failing (one still running at start-up has not failed)."""
        return self.startup is not None and not self.waiting

    def caught_up(self) -> bool:
        """Every pending row is registered, and every timer due by the clock's time has run."""
        registered = self.startup is not None and self.startup.done() and not self.waiting
        return registered and not self.scheduler.due_by(self.clock.now())

    def state(self) -> Msg:
        """What /tocsin about says of the timers."""
        if self.startup is None:
            return Msg.of("about.timers.stopped")
        if self.waiting:
            return Msg.of(
                "about.timers.waiting", kinds=list_of([timer_kind_word(kind) for kind in sorted(self.waiting)])
            )
        return Msg.of("about.timers.ready")

    async def _register_reminders(self) -> None:
        for reminder_id, due_at in await self.reminders.recover():
            self.schedule_reminder(reminder_id, due_at)

    async def _register_nudges(self) -> None:
        for incident_id in await self.nudging.open_incidents():
            await self.replan(incident_id)

    async def _register_archives(self) -> None:
        for guild_id, number, when in await self.lifecycle.archive_times():
            self._schedule_archive(guild_id, number, when)

    async def _register_lateness(self) -> None:
        for incident_id in await self.lifecycle.awaiting_news():
            await self.watch_lateness(incident_id)

    async def _refresh_boards(self) -> None:
        if self.boards is not None and await self.boards.refresh_all(now=self.clock.now()):
            self.outbox.wake()

    async def _register_digests(self) -> None:
        if self.digests is not None:
            for digest_id, when in await self.digests.due_times():
                self.schedule_digest(digest_id, when)

    async def _register_maintenance(self) -> None:
        if self.maintenance is not None:
            for maintenance_id in await self.maintenance.pending():
                await self.advance_maintenance(maintenance_id)

    # -- reminders --

    def schedule_reminder(self, reminder_id: int, when: datetime) -> None:
        async def fire() -> None:
            now = self.clock.now()
            # APScheduler may wake a hair early by the clock's reading; never claim before the due time.
            if await self.reminders.fire(reminder_id, now=max(now, when) if when - now < timedelta(seconds=1) else now):
                self.outbox.wake()

        self.scheduler.schedule(f"reminder:{reminder_id}", when, fire)

    def cancel_reminder(self, reminder_id: int) -> None:
        self.scheduler.cancel(f"reminder:{reminder_id}")

    # -- nudges --

    async def _step(self, job: str, step: Callable[[], Awaitable[datetime | None]], failed: str, *args: object) -> None:
        """Runs `step`, which does what has come due and returns when it is due next, and points `job` at that
        time (None: nothing more is due, the job goes). A step that fails is tried again shortly (logged as
        `failed % args`): what could not be done once must not stay silent."""

        async def again() -> None:
            await self._step(job, step, failed, *args)

        try:
            due = await step()
        except Exception:
            log.exception(failed + "; trying again in a minute", *args)
            self.scheduler.schedule(job, self.clock.now() + REPLAN_RETRY, again)
            return
        self.outbox.wake()
        if due is None:
            self.scheduler.cancel(job)
            return
        self.scheduler.schedule(job, due, again)

    async def replan(self, incident_id: int) -> None:
        """Sends the incident's due nudges, if any, and points its one job at the next."""

        async def tick() -> datetime | None:
            return await self.nudging.tick(incident_id, self.clock.now())

        await self._step(f"nudge:{incident_id}", tick, "nudges of incident %s could not be planned", incident_id)

    # -- what the outbox owes --

    def _schedule_owed_retry(self) -> None:
        async def retry() -> None:
            try:
                await self.outbox.ask_again_owed()
            except Exception:  # the database busy at that instant: the next period asks again
                log.exception("what the outbox owes could not be asked again; next try in %s", OWED_RETRY)
            self._schedule_owed_retry()

        self.scheduler.schedule("owed-deliveries", self.clock.now() + OWED_RETRY, retry)

    # -- digests --

    def schedule_digest(self, digest_id: int, when: datetime) -> None:
        """The digest's job at its time; it sends the digest (late if the time passed while the bot was down) and
        points itself at the next time."""
        digests = self.digests
        if digests is None:
            return

        async def send_due() -> datetime | None:
            return await digests.send_due(digest_id, now=self.clock.now())

        async def send() -> None:
            await self._step(f"digest:{digest_id}", send_due, "digest %s could not be sent", digest_id)

        self.scheduler.schedule(f"digest:{digest_id}", when, send)

    def cancel_digest(self, digest_id: int) -> None:
        self.scheduler.cancel(f"digest:{digest_id}")

    # -- planned maintenance --

    async def advance_maintenance(self, maintenance_id: int) -> None:
        """Acts on the stage whose time has come (once, late if the bot was down), and points its job at the next.
        Also called after each command that changed it: the row says what is due."""
        maintenance = self.maintenance
        if maintenance is None:
            return

        async def advance() -> datetime | None:
            return await maintenance.advance(maintenance_id, now=self.clock.now())

        await self._step(f"maintenance:{maintenance_id}", advance, "maintenance %s could not move on", maintenance_id)

    # -- a committed next update that comes due --

    async def watch_lateness(self, incident_id: int) -> None:
        """Shows the incident late if its committed next update has passed, else points its job at that time."""

        async def show_late() -> datetime | None:
            return await self.lifecycle.show_late(incident_id, now=self.clock.now())

        await self._step(
            f"late:{incident_id}", show_late, "the lateness of incident %s could not be shown", incident_id
        )

    # -- archive delays of resolved incidents --

    async def archive_when_due(self, guild_id: int, number: int) -> None:
        """After a resolution: the thread is archived once the server's archive delay has passed."""
        when = await self.lifecycle.archive_time(guild_id, number)
        if when is not None:
            self._schedule_archive(guild_id, number, when)

    def cancel_archive(self, guild_id: int, number: int) -> None:
        self.scheduler.cancel(f"archive:{guild_id}:{number}")

    def _schedule_archive(self, guild_id: int, number: int, when: datetime) -> None:
        async def archive() -> None:
            if await self.lifecycle.archive_due(guild_id, number, now=self.clock.now()):
                self.outbox.wake()

        self.scheduler.schedule(f"archive:{guild_id}:{number}", when, archive)

    # -- the daily backup --

    def _schedule_backup(self, when: datetime) -> None:
        async def back_up() -> None:
            assert self.backups is not None
            self._schedule_backup(await self.backups.take(self.clock.now()))

        self.scheduler.schedule("backup:daily", when, back_up)
