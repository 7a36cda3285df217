"""The bot's side of "settled": a FollowingClock on a real double, and the reporter that tells the double the bot
has caught up with its clock only once the bot's own check says so (bot/timers/caught_up.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, DeliveryContext, Outcome, RetryLater
from bot.delivery.worker import OutboxWorker
from bot.sandbox import DiscordDouble
from bot.storage.store import Store
from bot.timers.caught_up import CaughtUpReporter
from bot.timers.clock import FollowingClock
from bot.timers.scheduler import Scheduler
from tests.delivery.fakes import FixedClock
from tests.unit.test_scheduler import ManualClock

T0 = datetime(2024, 10, 19, 10, 0, tzinfo=UTC)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(T0) as running:
        yield running


@pytest.fixture
async def clock(double: DiscordDouble) -> AsyncIterator[FollowingClock]:
    following = FollowingClock(double.clock_url)
    await following.start()
    yield following
    await following.close()


class Work:
    """The bot's state as the reporter sees it: busy until told otherwise; counts the checks."""

    def __init__(self) -> None:
        self.busy = True
        self.checks = 0
        self.checked = asyncio.Event()

    async def quiet(self) -> bool:
        self.checks += 1
        self.checked.set()
        return not self.busy


async def test_the_bot_says_it_caught_up_only_once_it_is_quiet_and_for_the_current_epoch(
    double: DiscordDouble, clock: FollowingClock
) -> None:
    work = Work()
    reporter = CaughtUpReporter(clock, work.quiet)
    await reporter.start()
    try:
        double.set_time(T0 + timedelta(hours=1))
        asking = asyncio.create_task(double.wait_caught_up(timeout=10))
        await asyncio.wait_for(work.checked.wait(), 5)
        work.checked.clear()
        await asyncio.wait_for(work.checked.wait(), 5)  # looked again: still busy, so nothing said
        assert not asking.done() and double.caught_up is None
        work.busy = False
        said = await asyncio.wait_for(asking, 10)
        assert (said.epoch, said.asked) == (double.world.epoch, double.caught_up_asked)
        assert clock.now() == T0 + timedelta(hours=1)

        # Asked again without a move: answered again, for the same epoch and the new question.
        again = await double.wait_caught_up(timeout=10)
        assert again.asked == said.asked + 1 and again.epoch == said.epoch
    finally:
        await reporter.stop()


async def test_an_answer_for_an_earlier_epoch_does_not_settle_a_later_one(
    double: DiscordDouble, clock: FollowingClock
) -> None:
    work = Work()
    work.busy = False
    reporter = CaughtUpReporter(clock, work.quiet)
    await reporter.start()
    try:
        first = await double.wait_caught_up(timeout=10)
        work.busy = True
        double.set_time(T0 + timedelta(minutes=30))
        asking = asyncio.create_task(double.wait_caught_up(timeout=10))
        work.checked.clear()
        await asyncio.wait_for(work.checked.wait(), 5)
        assert not asking.done(), "the earlier answer must not stand for the new epoch"
        work.busy = False
        later = await asyncio.wait_for(asking, 10)
        assert later.epoch == first.epoch + 1 == double.world.epoch
    finally:
        await reporter.stop()


async def test_without_an_answer_waiting_fails_naming_what_the_bot_said_last(double: DiscordDouble) -> None:
    with pytest.raises(TimeoutError, match="the bot last said it had caught up at: never"):
        await double.wait_caught_up(timeout=0.2)


async def test_the_clock_never_goes_back_when_two_answers_cross(double: DiscordDouble, clock: FollowingClock) -> None:
    """An interaction's catch-up and the long-poll may both be answered; the older arriving last is ignored."""
    double.set_time(T0 + timedelta(hours=2))
    await clock.catch_up()
    assert clock.now() == T0 + timedelta(hours=2)
    stale = {"now": T0.isoformat(), "epoch": 0, "asked": 0}

    class Stale:
        async def __aenter__(self) -> Stale:
            return self

        async def __aexit__(self, *_: object) -> None:
            return None

        def raise_for_status(self) -> None:
            return None

        async def json(self) -> dict[str, object]:
            return stale

    session = clock._session
    assert isinstance(session, aiohttp.ClientSession)
    original = session.get
    session.get = lambda *a, **k: Stale()  # type: ignore[method-assign,assignment,return-value]
    try:
        await clock.catch_up()
    finally:
        session.get = original  # type: ignore[method-assign]
    assert clock.now() == T0 + timedelta(hours=2) and clock.heard[0] == double.world.epoch


# --- what the outbox counts as sent -----------------------------------------------------------------------------


class Discord:
    """Posts to channels at once; opening a DM is refused with 40003 (Discord's pause for DMs opened too fast)."""

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.refused_dms = 0
        self.release = asyncio.Event()

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        await context.before_request()
        if delivery.kind == OutboxKind.SEND_DM:
            self.refused_dms += 1
            return RetryLater("dm_opened_too_fast", after_s=600.0)
        await self.release.wait()
        self.posted.append(str(delivery.payload["content"]))
        return Delivered({"message_id": str(len(self.posted)), "channel_id": str(delivery.payload["channel_id"])})


async def queue(store: Store, *, dm: bool = False) -> None:
    """A message to channel 5, or a DM to member 7."""
    kind, lane, to = (
        (OutboxKind.SEND_DM, outbox.dm_lane(7), {"user_id": 7})
        if dm
        else (OutboxKind.SEND_MESSAGE, outbox.channel_lane(5), {"channel_id": 5})
    )
    payload = {**to, "content": "MP" if dm else "annonce", "allowed_mentions": {"parse": [], "roles": [], "users": []}}
    async with store.unit_of_work() as conn:
        await outbox.enqueue(conn, guild_id=1, lane=lane, kind=kind, payload=payload, now=T0)


async def test_the_outbox_has_nothing_to_send_once_sent_or_held_by_discords_dm_pause(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "t.db")
    await store.migrate()
    discord = Discord()
    worker = OutboxWorker(store, discord, FixedClock(), poll_s=0.05)
    try:
        await worker.start()
        assert await worker.nothing_to_send()
        await queue(store)
        worker.wake()
        assert not await worker.nothing_to_send(), "a row waiting to be sent"
        discord.release.set()
        async with asyncio.timeout(5):
            while not await worker.nothing_to_send():  # noqa: ASYNC110 (the worker has no event to wait on)
                await asyncio.sleep(0.01)
        assert discord.posted == ["annonce"]

        # A DM Discord refused with 40003 waits out the pause (ten minutes): held, not owed now.
        await queue(store, dm=True)
        worker.wake()
        async with asyncio.timeout(5):
            while not discord.refused_dms:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert await worker.nothing_to_send()
        await queue(store)  # ...but a channel's message queued meanwhile is owed
        assert not await worker.nothing_to_send()
    finally:
        await worker.stop()
        await store.close()


async def test_a_timer_is_owed_from_its_due_time_until_it_has_run() -> None:
    clock = ManualClock(T0)
    scheduler = Scheduler(clock)
    running, release = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        running.set()
        await release.wait()

    await scheduler.start()
    try:
        scheduler.schedule("reminder:1", T0 + timedelta(minutes=10), job)
        assert not scheduler.due_by(clock.now()), "not due yet"
        await clock.move_to(T0 + timedelta(minutes=10))
        assert scheduler.due_by(clock.now()), "due, not run yet"
        await asyncio.wait_for(running.wait(), 5)
        assert scheduler.due_by(clock.now()), "running"
        release.set()
        async with asyncio.timeout(5):
            while scheduler.due_by(clock.now()):  # noqa: ASYNC110 (the scheduler has no event for it)
                await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
