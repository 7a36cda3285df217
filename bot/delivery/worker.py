"""The one worker that delivers outbox rows to Discord.

Lanes are delivered concurrently, each strictly in id order, one row at a time. Every request waits for the
global token bucket (and, for a message creation, its channel's window); a DM also waits for the DM pace, whose
tokens are spent only when its requests leave, so DMs held up behind other traffic never leave together.
Outcomes are recorded each in its own short unit of work: the write lock is never held while Discord is being
talked to. Stored times (`not_before`, `updated_at`) come from the injected clock; waits (back-off, pacing,
pauses) are monotonic time, since a simulated clock may stand still (real by default; pacing and pauses take an
injected `monotonic` and `sleep` so tests can run them on fake time).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.common.formatting import log_count
from bot.delivery import aftermath, dependencies, outbox, store
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Blocked, Busy, Claimed, Delivery
from bot.delivery.pacing import ChannelPacer, Sleep, Timing, TokenBucket
from bot.delivery.transport import (
    OLD_MESSAGE_EDITS,
    RATE_LIMIT_REASONS,
    Delivered,
    Failed,
    Outcome,
    RetryLater,
    Transport,
)
from bot.storage.store import Store
from bot.timers.clock import Clock

log = logging.getLogger(__name__)

# Paced edits remembered at most (the older ones, past their pace, are forgotten when there are more).
EDIT_PACES_KEPT = 1000


@dataclass(frozen=True)
class WorkerCounters:
    delivered: int
    retried: int
    failed: int


class _LaneContext:
    """Lent to the transport for one delivery; notes when the first request went out (from then on a stop
    lets the delivery finish rather than cancelling it)."""

    def __init__(self, worker: OutboxWorker, lane: str) -> None:
        self._worker = worker
        self._lane = lane
        self.requested = False
        self._dm_paced = False
        self._dm_message_paced = False

    async def before_request(self, *, message_channel_id: int | None = None) -> None:
        worker = self._worker
        # A paced lane (a board) is bounded traffic: its requests go ahead of the queue for the global budget.
        first = outbox.lane_interval(self._lane) > 0
        wait: Callable[[], Awaitable[None]] = functools.partial(worker._wait_for_budget, message_channel_id, first)
        if self._lane.startswith("dm:"):
            # One DM at the configured pace: its first request (opening the DM channel, or the message when the
            # channel is known) and its message each leave at least 1/rate after the previous DM's. Tokens are
            # spent when the request leaves (after the global budget), not when it starts queueing.
            if message_channel_id is not None and not self._dm_message_paced:
                wait = functools.partial(worker._dm_messages.acquire, then=wait)
                self._dm_message_paced = True
            if not self._dm_paced:
                wait = functools.partial(worker._wait_for_dm_budget, wait)
                self._dm_paced = True
        await wait()
        self.requested = True
        self._worker._performing.add(self._lane)

    def sending(self) -> None:
        self.requested = True
        self._worker._performing.add(self._lane)

    async def dm_channel(self, user_id: int) -> int | None:
        async with self._worker.store.reading() as conn:
            return await store.dm_channel(conn, user_id)

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        async with self._worker.store.unit_of_work() as conn:
            await store.remember_dm_channel(conn, user_id, channel_id, now=self._worker.clock.now())

    async def board_message(self, board_id: int) -> int | None:
        async with self._worker.store.reading() as conn:
            return await store.board_message_id(conn, board_id)


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        clock: Clock,
        *,
        global_rate: float = 45.0,
        global_burst: float = 5.0,
        channel_messages: int = 5,
        channel_window_s: float = 5.0,
        max_attempts: int = 12,
        backoff: tuple[float, float] = (0.5, 30.0),
        jitter: float = 0.2,
        poll_s: float = 2.0,
        stop_timeout_s: float = 10.0,
        dm_rate_per_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        role_gone: aftermath.RoleGone | None = None,
        webhook_outcome: aftermath.WebhookOutcome | None = None,
    ) -> None:
        self.store = store
        self.role_gone = role_gone
        self.webhook_outcome = webhook_outcome
        self.transport = transport
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.jitter = jitter
        self.poll_s = poll_s
        self.stop_timeout_s = stop_timeout_s
        self._monotonic = monotonic
        self._sleep = sleep  # pacing waits only (budgets and pauses), so tests can run them on fake time
        timing = Timing(monotonic=monotonic, sleep=sleep)
        self._global = TokenBucket(global_rate, global_burst, **timing)
        self._channels = ChannelPacer(channel_messages, channel_window_s, **timing)
        self._paused_until = 0.0
        # Discord treats mass DMs as spam: every DM request shares one slower pace, and a 40003 pauses them all.
        # A burst of one: the first DM goes at once, each next one 1/rate after the one before it left. Openings
        # and messages are paced apart: a message held up behind other traffic after its DM channel was opened
        # must not leave together with the next DM's.
        self._dm_bucket = TokenBucket(dm_rate_per_s, 1.0, **timing)
        self._dm_messages = TokenBucket(dm_rate_per_s, 1.0, **timing)
        self._dm_paused_until = 0.0
        # When each paced message (channel, message) was last edited, monotonic: `_wait_for_edit_pace`.
        self._edited_at: dict[tuple[str, str], float] = {}
        self._lane_ready_at: dict[str, float] = {}  # a lane's next claim after a paced edit
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._performing: set[str] = set()
        # Lanes whose head waits for another row (a thread, a message): not claimed again on every wake (each
        # delivery wakes the dispatcher; hundreds of blocked lanes would each cost a write transaction), only
        # once that row is recorded, and all of them every `poll_s` in case a head changed meanwhile.
        self._blocked: dict[str, int] = {}
        # When the last request of each paced lane (outbox.LANE_INTERVALS_S) was answered.
        self._lane_sent: dict[str, float] = {}
        # Lanes of edits set aside (outbox.set_aside) and when they may be tried again.
        self._resume_at: dict[str, float] = {}
        self._blocked_checked = 0.0
        self._wake_event = asyncio.Event()
        self._generation = 0
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._delivered = 0
        self._retried = 0
        self._failed = 0

    # -- public---

    @property
    def counters(self) -> WorkerCounters:
        """Since start: rows delivered, attempts put back for a retry, rows failed permanently."""
        return WorkerCounters(self._delivered, self._retried, self._failed)

    @property
    def running(self) -> bool:
        return self._dispatcher is not None and not self._dispatcher.done()

    async def start(self) -> None:
        """Resumes where a previous run stopped (rows left in flight go back to pending, and what was owed is
        asked for again: a permission may have been given back while the bot was away), then delivers."""
        if self.running:
            return
        self._stopping = False
        async with self.store.unit_of_work() as conn:
            resumed = await outbox.reset_in_flight(conn, now=self.clock.now())
            owed = await outbox.ask_again_owed(conn, guild_id=None, now=self.clock.now())
            paused_until = await store.dms_paused_until(conn)
        if paused_until is not None:
            remaining = (paused_until - self.clock.now()).total_seconds()
            if remaining > 0:
                self._dm_paused_until = self._monotonic() + remaining
                log.warning("outbox: direct messages stay paused for %.0f s (Discord refused DMs: 40003)", remaining)
        if resumed:
            log.info("outbox: %s left in flight by the previous run will be attempted again", log_count(resumed, "row"))
        if owed:
            log.info("outbox: %s owed asked for again", log_count(owed, "row"))
        self._dispatcher = asyncio.create_task(self._dispatch(), name="tocsin-outbox-dispatcher")

    def wake(self) -> None:
        """New rows were committed: look for them now rather than at the next poll."""
        self._generation += 1
        self._wake_event.set()

    async def stop(self) -> None:
        """Lets deliveries already talking to Discord finish and record their outcome; everything else stays
        pending for the next start."""
        self._stopping = True
        self._wake_event.set()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        idle = [lane for lane in self._lanes if lane not in self._performing]
        for lane in idle:
            self._lanes[lane].cancel()
        tasks = list(self._lanes.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.stop_timeout_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if idle:
            # A lane stopped before its request left may have been stopped while its claim committed: what it
            # claimed was not attempted, and goes back to pending uncounted.
            with contextlib.suppress(Exception):
                async with self.store.unit_of_work() as conn:
                    for lane in idle:
                        await outbox.release_lane(conn, lane, now=self.clock.now())

    async def ask_again_owed(self, guild_id: int | None = None) -> int:
        """What is owed (of one server, or of all) goes back to its lanes: a permission may have been given back,
        Discord may answer again. Cheap when nothing is owed; returns how many rows."""
        async with self.store.unit_of_work() as conn:
            count = await outbox.ask_again_owed(conn, guild_id=guild_id, now=self.clock.now())
        if count:
            where = f" for server {guild_id}" if guild_id else ""
            log.info("outbox: %s owed asked for again%s", log_count(count, "row"), where)
            self.wake()
        return count

    async def drain(self, timeout: float) -> bool:
        """Waits until no row is pending or in flight; False if `timeout` seconds passed first."""
        deadline = self._monotonic() + timeout
        while True:
            async with self.store.reading() as conn:
                state = await outbox.summary(conn)
            if state.pending == 0 and state.in_flight == 0:
                return True
            if self._monotonic() >= deadline:
                return False
            await asyncio.sleep(min(0.02, max(0.0, deadline - self._monotonic())))

    async def nothing_to_send(self) -> bool:
        """No row is pending or in flight but those Discord holds: DMs while Discord's DM pause lasts (40003), and
        rows waiting for a thread Discord refused for its cap (a forum post: asked again at the next post)."""
        blocked = dict(self._blocked)
        async with self.store.reading() as conn:
            lanes = await outbox.unfinished_lanes(conn)
            if self._monotonic() < self._dm_paused_until:
                lanes = {lane for lane in lanes if not lane.startswith("dm:")}
            refused = await outbox.failed_among(conn, {blocked[lane] for lane in lanes if lane in blocked})
        return all(blocked.get(lane) in refused for lane in lanes)

    # -- dispatching
    # -- dispatching

    async def _dispatch(self) -> None:
        while not self._stopping:
            self._wake_event.clear()
            try:
                async with self.store.reading() as conn:
                    lanes = await outbox.lanes_with_work(conn)
            except Exception:
                log.exception("outbox: could not read the pending lanes; trying again shortly")
                lanes = []
            if self._monotonic() - self._blocked_checked >= self.poll_s:
                self._blocked.clear()
                self._blocked_checked = self._monotonic()
            for lane in lanes:
                if lane not in self._lanes and lane not in self._blocked and not self._stopping:
                    task = asyncio.create_task(self._run_lane(lane), name=f"tocsin-outbox-{lane}")
                    self._lanes[lane] = task
                    task.add_done_callback(functools.partial(self._lane_finished, lane))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), timeout=self.poll_s)

    def _lane_finished(self, lane: str, task: asyncio.Task[None]) -> None:
        if self._lanes.get(lane) is task:
            del self._lanes[lane]
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox: lane %s stopped on an unexpected error", lane, exc_info=task.exception())

    async def _run_lane(self, lane: str) -> None:
        interval = outbox.lane_interval(lane)
        while not self._stopping:
            # A lane that just sent a paced edit waits out the pace before claiming: its next edit is then the
            # latest one (the older ones collapsed meanwhile), not one claimed early and sent stale.
            ready_at = self._lane_ready_at.pop(lane, None)
            if ready_at is not None and (remaining := ready_at - self._monotonic()) > 0:
                await self._sleep(remaining)
            resume = self._resume_at.pop(lane, None)
            if resume is not None:
                await self._sleep(max(0.0, resume - self._monotonic()))
            if interval:
                # Waits before claiming, so the row claimed is the latest: what was enqueued meanwhile superseded
                # the rows before it.
                await self._sleep(max(0.0, self._lane_sent.get(lane, -interval) + interval - self._monotonic()))
            generation = self._generation
            settled: list[int] = []
            try:
                async with self.store.unit_of_work() as conn:
                    claim = await outbox.claim_next(conn, lane, now=self.clock.now(), settled=settled)
            except Exception:
                log.exception("outbox: could not claim the next row of %s", lane)
                await asyncio.sleep(self._backoff_delay(1))
                continue
            if settled:
                # Rows failed or owed without being attempted: the lanes waiting for them go on (with a stand-in
                # link, say) or are held with them.
                self._unblock(settled)
                self.wake()
            if not isinstance(claim, Claimed):
                if isinstance(claim, Blocked):
                    self._blocked[lane] = claim.waiting_for
                if isinstance(claim, Blocked | Busy) or generation == self._generation:
                    return  # a commit (wake) or the dependency's completion brings the lane back
                continue  # something was committed while we looked: look again before leaving
            retry_after = await self._deliver(claim.delivery)
            if interval:
                self._lane_sent[lane] = self._monotonic()
            if retry_after is not None:
                await asyncio.sleep(retry_after)

    async def _deliver(self, delivery: Delivery) -> float | None:
        """Performs one claimed row and records its outcome; returns the wait before the lane's next attempt
        (None: go on at once)."""
        context = _LaneContext(self, delivery.lane)
        try:
            try:
                await self._wait_for_edit_pace(delivery)
                outcome = await self._perform(delivery, context)
                self._note_edit(delivery)
            except asyncio.CancelledError:
                if not context.requested:  # stopped while waiting for budget: nothing was sent, give the row back
                    async with self.store.unit_of_work() as conn:
                        await outbox.release(conn, delivery.id, now=self.clock.now())
                raise
            # Still "performing" while the answer is recorded: a stop now waits for the record, or the row
            # would stay in flight and be sent again at the next start.
            return await self._record(delivery, outcome)
        finally:
            self._performing.discard(delivery.lane)

    async def _perform(self, delivery: Delivery, context: _LaneContext) -> Outcome:
        try:
            return await self.transport.perform(delivery, context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("outbox: row %s (%s) raised while being delivered", delivery.id, delivery.kind)
            return Failed(None, None, f"internal error: {type(exc).__name__}: {exc}")

    async def _record(self, delivery: Delivery, outcome: Outcome) -> float | None:
        now = self.clock.now()
        # Discord refused a rate-limited request before acting: such attempts never bring a row closer to giving up.
        rate_limited = isinstance(outcome, RetryLater) and outcome.reason in RATE_LIMIT_REASONS
        capped = isinstance(outcome, RetryLater) and not rate_limited and not outcome.own_limit
        if isinstance(outcome, RetryLater) and capped and delivery.attempts >= self.max_attempts:
            outcome = Failed(None, None, f"{dependencies.GAVE_UP} {delivery.attempts} attempts: {outcome.reason}")
        wait = 0.0
        dm_pause_until: datetime | None = None
        if isinstance(outcome, RetryLater):
            wait = outcome.after_s if outcome.after_s is not None else self._backoff_delay(delivery.attempts)
            if outcome.is_global:  # before any other await, so no lane slips a request in meanwhile
                self._paused_until = max(self._paused_until, self._monotonic() + wait)
            if outcome.reason == "dm_opened_too_fast":
                self._dm_paused_until = max(self._dm_paused_until, self._monotonic() + wait)
                dm_pause_until = now + timedelta(seconds=wait)
                log.warning("outbox: Discord refused to open a DM (40003): every DM pauses for %.0f s", wait)
        aside: str | None = None
        async with self.store.unit_of_work() as conn:
            if isinstance(outcome, Delivered):
                await outbox.mark_done(conn, delivery.id, outcome.result, now=now)
                await aftermath.after_delivered(
                    conn, delivery, outcome.result, role_gone=self.role_gone, webhooks=self.webhook_outcome, now=now
                )
                await store.erase_forgotten_member(conn, delivery.id, delivery.payload)
            elif isinstance(outcome, Failed):
                cause = dependencies.cause_of(outcome.status, outcome.code, outcome.text)
                owed = dependencies.is_owed(delivery.kind, cause, delivery.payload)
                await outbox.mark_failed(
                    conn, delivery.id, status=outcome.status, code=outcome.code, text=outcome.text, now=now, owed=owed
                )
                await aftermath.after_failed(
                    conn,
                    delivery,
                    status=outcome.status,
                    code=outcome.code,
                    text=outcome.text,
                    webhooks=self.webhook_outcome,
                    now=now,
                )
                if not owed:  # failed for good: a forgotten member's id leaves it now
                    await store.erase_forgotten_member(conn, delivery.id, delivery.payload)
            else:
                if outcome.reason == OLD_MESSAGE_EDITS:
                    aside = await outbox.set_aside(
                        conn, delivery.id, not_before=now + timedelta(seconds=wait), reason=outcome.reason, now=now
                    )
                if aside is None:
                    await outbox.mark_retry(
                        conn,
                        delivery.id,
                        not_before=now + timedelta(seconds=wait),
                        reason=outcome.reason,
                        now=now,
                        counted=not rate_limited,
                    )
                if dm_pause_until is not None:  # survives a restart: a restarted bot must not DM at once
                    await store.pause_dms_until(conn, dm_pause_until, now=now)
        if isinstance(outcome, Delivered | Failed):
            self._unblock([delivery.id])
        if isinstance(outcome, Failed) and delivery.asked_again:
            self._blocked.clear()  # rows of its lane asked with it may be held again unattempted (aftermath)
        if isinstance(outcome, Delivered):
            self._delivered += 1
            self.wake()  # rows of other lanes may have been waiting for this one
            return None
        if isinstance(outcome, Failed):
            self._failed += 1
            cause = dependencies.cause_of(outcome.status, outcome.code, outcome.text)
            owed = dependencies.is_owed(delivery.kind, cause, delivery.payload)
            log.warning(
                "outbox: row %s (%s) on lane %s failed %s: status %s, code %s: %s",
                delivery.id,
                delivery.kind,
                delivery.lane,
                "(owed: asked again when its cause may be fixed)" if owed else "permanently",
                outcome.status,
                outcome.code,
                outcome.text,
            )
            self.wake()
            return None
        self._retried += 1
        if aside is not None:
            # Its own lane waits for Discord's retry_after; this lane goes on with the rows behind it at once.
            self._resume_at[aside] = self._monotonic() + wait
            log.info("outbox: row %s set aside on %s for %.2f s (%s)", delivery.id, aside, wait, outcome.reason)
            self.wake()
            return None
        if outcome.is_global:
            log.warning("outbox: global rate limit; every lane pauses for %.2f s", wait)
        else:
            log.info(
                "outbox: row %s on lane %s retried in %.2f s (%s)",
                delivery.id,
                delivery.lane,
                wait,
                outcome.reason,
            )
        return wait

    def _unblock(self, row_ids: list[int]) -> None:
        for lane in [lane for lane, row_id in self._blocked.items() if row_id in row_ids]:
            del self._blocked[lane]

    # -- pacing

    async def _wait_for_budget(self, message_channel_id: int | None, first: bool = False) -> None:
        await self._wait_out_pause()
        if message_channel_id is not None:
            await self._channels.acquire(message_channel_id)
        if first:
            await self._global.take_first()
        else:
            await self._global.acquire()
        await self._wait_out_pause()  # a global 429 may have come back while we queued

    @staticmethod
    def _paced(delivery: Delivery) -> tuple[float, tuple[str, str]] | None:
        pace = delivery.payload.get("pace_s") if delivery.kind == OutboxKind.EDIT_MESSAGE else None
        if not pace:
            return None
        return float(pace), (str(delivery.payload.get("channel_id")), str(delivery.payload.get("message_id")))

    async def _wait_for_edit_pace(self, delivery: Delivery) -> None:
        """An edit that asks for a pace (`pace_s`, a report card's) leaves at least that long after the previous
        edit of the same message was answered (so Discord never receives two closer than that, whatever the
        other waits of the first); meanwhile newer edits of it wait pending, and collapse into the latest."""
        paced = self._paced(delivery)
        if paced is None:
            return
        pace, key = paced
        last = self._edited_at.get(key)
        if last is not None and (remaining := last + pace - self._monotonic()) > 0:
            await self._sleep(remaining)

    def _note_edit(self, delivery: Delivery) -> None:
        paced = self._paced(delivery)
        if paced is None:
            return
        pace, key = paced
        now = self._monotonic()
        if len(self._edited_at) > EDIT_PACES_KEPT:
            self._edited_at = {k: at for k, at in self._edited_at.items() if at > now - pace}
        self._edited_at[key] = now
        self._lane_ready_at[delivery.lane] = now + pace

    async def _wait_for_dm_budget(self, then: Callable[[], Awaitable[None]]) -> None:
        """Waits for the DM pace, then for `then` (the request's other budgets); the DM's token is spent when
        `then` returns, i.e. when the request leaves. Spent before `then`, DM tokens taken while the global
        budget was busy with a fan-out let the DMs queued behind it go out together once it freed (the 10%
        excess bench/fanout.py measured)."""
        await self._wait_out_dm_pause()

        async def rest() -> None:
            await self._wait_out_dm_pause()  # a 40003 may have come back while this DM queued for its turn
            await then()

        await self._dm_bucket.acquire(then=rest)

    async def _wait_out_dm_pause(self) -> None:
        while (remaining := self._dm_paused_until - self._monotonic()) > 0:
            await self._sleep(remaining)

    async def _wait_out_pause(self) -> None:
        # A pause ends at a known instant; polling the deadline is simpler than an event nobody would set.
        while (remaining := self._paused_until - self._monotonic()) > 0:
            await self._sleep(remaining)

    def _backoff_delay(self, attempts: int) -> float:
        first, ceiling = self.backoff
        delay = min(ceiling, first * (2.0 ** max(0, attempts - 1)))
        spread = delay * self.jitter
        return max(0.0, delay + random.uniform(-spread, spread))  # noqa: S311 (jitter, not security)
