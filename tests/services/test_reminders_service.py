"""The reminder use cases (bot/reminders/use_cases/reminders.py) on a real SQLite file, driven by a manual clock: what
the
`reminders` row says at each step, and the one outbox row each firing enqueues (kind, target, words, and
allowed mentions naming exactly the reminder's owner)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.common.time_parsing import TimeParseError
from bot.delivery import outbox
from bot.incidents import store as incidents_repo
from bot.incidents.use_cases.deliveries import incident_lane
from bot.reminders.presentation import button_id
from bot.reminders.rules import reminders as reminder_rules
from bot.reminders.rules.reminders import AskInput, Reminder, ReminderError, SnoozeChoice, Where
from bot.reminders.use_cases import reminders as reminders_module
from bot.storage import member_locales
from bot.storage.store import Store
from bot.storage.times import to_db_time
from tests.services.manual_timers import ManualClock, Timers, fetch_one, last_outbox_id, outbox_rows
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, configure, lifecycle

OWNER = ANNE.user_id
OTHER = 1002
HERE_CHANNEL = 555
ONLY_OWNER: dict[str, list[int]] = {"parse": [], "users": [OWNER], "roles": []}


def asked(when: str, text: str = "Appeler la DSI", *, where: Where = Where.DM, owner: int = OWNER) -> AskInput:
    return AskInput(
        guild_id=GUILD,
        owner_id=owner,
        when=when,
        text=text,
        where=where,
        channel_id=HERE_CHANNEL,
        incident_number=1 if where == Where.THREAD else None,
    )


async def ask(timers: Timers, typed: AskInput) -> Reminder:
    """`/remind` as the cog does it: the service stores it, the cog points a timer at it."""
    reminder = await timers.reminders.ask(typed, now=timers.clock.now())
    assert reminder.id is not None
    timers.schedule_reminder(reminder.id, reminder.due_at)
    return reminder


async def row_of(store: Store, reminder_id: int) -> dict[str, Any]:
    names = ("status", "due_at", "fired_at", "late_from", "message_row", "snoozes")
    values = await fetch_one(store, f"SELECT {', '.join(names)} FROM reminders WHERE id = ?", reminder_id)
    return dict(zip(names, values, strict=True))


async def count(store: Store, sql: str, *args: Any) -> int:
    return int((await fetch_one(store, sql, *args))[0])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def stamp(at: datetime) -> str:
    return to_db_time(at)


@pytest.fixture
async def timers(store: Store) -> Timers:
    await configure(store)
    return Timers.of(store, ManualClock(NOW))


# --- set, due, claimed, sent once, done ----------------------------------------------------------------------


async def test_a_dm_reminder_is_pending_then_sent_once_at_its_time_and_done(store: Store, timers: Timers) -> None:
    reminder = await ask(timers, asked("dans 2 h", "Rappeler la DSI @everyone <@2001> <@&304>"))
    assert reminder.id is not None
    due = NOW + timedelta(hours=2)
    assert reminder.due_at == due
    assert await row_of(store, reminder.id) == {
        "status": "pending",
        "due_at": stamp(due),
        "fired_at": None,
        "late_from": None,
        "message_row": None,
        "snoozes": 0,
    }

    await timers.advance_to(due - timedelta(seconds=1))
    assert await outbox_rows(store) == [] and (await row_of(store, reminder.id))["status"] == "pending"
    # A timer woken early by mistake sends nothing and leaves the row waiting.
    assert not await timers.reminders.fire(reminder.id, now=due - timedelta(seconds=1))
    assert (await row_of(store, reminder.id))["status"] == "pending"

    await timers.advance_to(due + timedelta(hours=1))
    (sent,) = await outbox_rows(store)
    assert (sent.kind, sent.lane, sent.status) == ("send_dm", outbox.dm_lane(OWNER), "pending")
    assert sent.payload["user_id"] == OWNER
    assert sent.payload["allowed_mentions"] == ONLY_OWNER
    content = sent.payload["content"]
    assert content.startswith(f"<@{OWNER}> Rappel : Rappeler la DSI")
    assert "@everyone" not in content.replace("@\u200beveryone", "")
    assert "<@2001>" not in content and "<@&304>" not in content
    (buttons,) = sent.payload["components"]
    assert [b["custom_id"] for b in buttons["components"]] == [
        button_id("15m", reminder.id),
        button_id("1h", reminder.id),
        button_id("tomorrow_morning", reminder.id),
        button_id("done", reminder.id),
    ]
    assert await row_of(store, reminder.id) == {
        "status": "done",
        "due_at": stamp(due),
        "fired_at": stamp(due),
        "late_from": None,
        "message_row": sent.id,
        "snoozes": 0,
    }
    # Fired once: a repeated timer finds nothing to send.
    assert not await timers.reminders.fire(reminder.id, now=due + timedelta(hours=1))
    assert len(await outbox_rows(store)) == 1


async def test_here_and_thread_reminders_go_where_asked_in_the_servers_language(store: Store, timers: Timers) -> None:
    declared = await lifecycle(store).declare(ANNE, CERP, now=NOW)
    async with store.unit_of_work() as conn:  # the owner's own locale is English: it only matters for DMs
        await member_locales.remember(conn, user_id=OWNER, locale="en-GB", seen_at=NOW)
    start = await last_outbox_id(store)
    here = await ask(timers, asked("dans 1 h", "Point ici", where=Where.HERE))
    thread = await ask(timers, asked("dans 1 h", "Point fil", where=Where.THREAD))
    dm = await ask(timers, asked("dans 1 h", "Point DM"))
    await timers.advance_to(NOW + timedelta(hours=1))

    by_text = {r.payload["content"].rsplit(": ", 1)[-1]: r for r in await outbox_rows(store, after=start)}
    assert set(by_text) == {"Point ici", "Point fil", "Point DM"}
    posted_here = by_text["Point ici"]
    assert (posted_here.kind, posted_here.lane) == ("send_message", outbox.channel_lane(HERE_CHANNEL))
    assert posted_here.payload["channel_id"] == HERE_CHANNEL
    posted_thread = by_text["Point fil"]
    assert posted_thread.kind == "send_message"
    assert posted_thread.payload["channel_id"] == outbox.ref(declared.thread_row, "thread_id")
    async with store.reading() as conn:
        incident = await incidents_repo.get(conn, GUILD, declared.number)
    assert incident is not None
    # The incident's own lane: posted after the thread exists, in order with its other posts.
    assert posted_thread.lane == incident_lane(incident.incident) == f"incident:{GUILD}:1"
    for row in (posted_here, posted_thread):
        assert row.payload["content"] == f"<@{OWNER}> Rappel : {row.payload['content'].rsplit(': ', 1)[-1]}"
        assert row.payload["allowed_mentions"] == ONLY_OWNER
    sent_dm = by_text["Point DM"]
    assert sent_dm.kind == "send_dm" and sent_dm.payload["content"] == f"<@{OWNER}> Reminder: Point DM"
    assert sent_dm.payload["allowed_mentions"] == ONLY_OWNER
    for reminder in (here, thread, dm):
        assert reminder.id is not None
        assert (await row_of(store, reminder.id))["status"] == "done"


# --- what a stop does -----------------------------------------------------------------------------------------


class StopError(Exception):
    """The process stops here."""


async def test_a_stop_between_the_claim_and_done_leaves_one_message_and_start_up_finishes_the_row(
    store: Store, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    reminder = await ask(timers, asked("dans 2 h"))
    assert reminder.id is not None
    due = NOW + timedelta(hours=2)

    def stop_before_done(_reminder: Reminder) -> Reminder:
        raise StopError

    # The claim and its message commit together; the process stops before the row is marked done.
    monkeypatch.setattr(reminders_module.rules, "done", stop_before_done)
    with pytest.raises(StopError):
        await timers.advance_to(due)
    monkeypatch.undo()
    (sent,) = await outbox_rows(store)
    row = await row_of(store, reminder.id)
    assert (row["status"], row["message_row"], row["fired_at"]) == ("firing", sent.id, stamp(due))
    # Until start-up finishes it, its buttons say it is being sent (not that it has not come due).
    for click in (
        timers.reminders.finish(reminder.id, user_id=OWNER, now=due),
        timers.reminders.snooze(reminder.id, SnoozeChoice.ONE_HOUR, user_id=OWNER, now=due),
        timers.reminders.cancel(reminder.id, user_id=OWNER, now=due),
    ):
        with pytest.raises(ReminderError) as firing:
            await click
        assert firing.value.message_id == "reminder.error.firing"

    # Start-up: the claimed row's message is already in the outbox (which resumes); the row is finished, not
    # registered again, and nothing is enqueued a second time.
    clock = ManualClock(due + timedelta(minutes=30))
    restarted = Timers.of(store, clock)
    await restarted.start()
    await restarted.advance_to(clock.now() + timedelta(days=1))
    assert restarted.jobs == {} and restarted.fired == []
    assert (await row_of(store, reminder.id))["status"] == "done"
    assert [r.id for r in await outbox_rows(store)] == [sent.id]
    assert not await restarted.reminders.fire(reminder.id, now=clock.now())


async def test_a_stop_inside_the_claim_loses_nothing_the_reminder_fires_late_at_start_up(
    store: Store, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    reminder = await ask(timers, asked("dans 2 h"))
    assert reminder.id is not None
    due = NOW + timedelta(hours=2)
    real_save = reminders_module.repo.save

    async def stop_at_the_claim(*args: Any, **kwargs: Any) -> None:
        if "message_row" in kwargs:  # the claim's own write: the message was enqueued just before
            raise StopError
        await real_save(*args, **kwargs)

    monkeypatch.setattr(reminders_module.repo, "save", stop_at_the_claim)
    with pytest.raises(StopError):
        await timers.advance_to(due)
    monkeypatch.undo()
    # Rolled back together: neither a claim nor a message.
    assert await outbox_rows(store) == []
    assert (await row_of(store, reminder.id))["status"] == "pending"

    # Back five hours later: registered again, fired at once, once, and said to be late.
    back = due + timedelta(hours=5)
    restarted = Timers.of(store, ManualClock(back))
    await restarted.start()
    assert restarted.jobs.keys() == {f"reminder:{reminder.id}"}
    await restarted.advance_to(back)
    (sent,) = await outbox_rows(store)
    assert (
        sent.payload["content"] == f"<@{OWNER}> Rappel (en retard, prévu le samedi 19 octobre à 14:40) : Appeler la DSI"
    )
    assert sent.payload["allowed_mentions"] == ONLY_OWNER
    assert await row_of(store, reminder.id) == {
        "status": "done",
        "due_at": stamp(due),
        "fired_at": stamp(back),
        "late_from": stamp(due),
        "message_row": sent.id,
        "snoozes": 0,
    }
    # A second start-up finds nothing owed.
    again = Timers.of(store, ManualClock(back + timedelta(minutes=5)))
    await again.start()
    await again.advance_to(back + timedelta(days=1))
    assert again.jobs == {} and len(await outbox_rows(store)) == 1


async def test_overdue_at_start_up_after_a_real_reopen_of_the_database_is_sent_once_tagged_late(
    store: Store, timers: Timers
) -> None:
    reminder = await ask(timers, asked("lundi 9h", "Point avec la DSI"))  # Monday 21/10 09:00 Paris
    assert reminder.id is not None
    due = utc("2024-10-21T09:00:00+02:00")
    assert reminder.due_at == due
    await timers.advance_to(utc("2024-10-20T12:00:00+02:00"))  # the bot stops on Sunday
    await store.close()

    reopened = await Store.open(store.path)
    try:
        back = utc("2024-10-21T09:20:00+02:00")
        restarted = Timers.of(reopened, ManualClock(back))
        await restarted.start()
        await restarted.advance_to(back)
        (sent,) = await outbox_rows(reopened)
        assert sent.payload["content"].startswith(f"<@{OWNER}> Rappel (en retard, prévu le lundi 21 octobre à 09:00)")
        assert restarted.fired == [reminder.id]
        assert (await row_of(reopened, reminder.id))["late_from"] == stamp(due)
        second = Timers.of(reopened, ManualClock(back + timedelta(minutes=1)))
        await second.start()
        await second.advance_to(back + timedelta(hours=1))
        assert second.fired == [] and len(await outbox_rows(reopened)) == 1
    finally:
        await reopened.close()


async def test_a_reminder_fired_within_the_grace_minute_is_not_late(store: Store, timers: Timers) -> None:
    reminder = await ask(timers, asked("dans 1 h"))
    assert reminder.id is not None
    assert await timers.reminders.fire(reminder.id, now=NOW + timedelta(hours=1, seconds=59))
    (sent,) = await outbox_rows(store)
    assert sent.payload["content"] == f"<@{OWNER}> Rappel : Appeler la DSI"
    assert (await row_of(store, reminder.id))["late_from"] is None


# --- only the owner ----------------------------------------------------------------------------------------------


async def test_only_the_owner_snoozes_finishes_or_cancels_and_an_old_message_snoozes_once(
    store: Store, timers: Timers
) -> None:
    reminder = await ask(timers, asked("dans 1 h"))
    assert reminder.id is not None
    rid = reminder.id
    service = timers.reminders
    with pytest.raises(ReminderError) as early:
        await service.finish(rid, user_id=OWNER, now=NOW)
    assert early.value.message_id == "reminder.error.not_fired"
    with pytest.raises(ReminderError) as early_snooze:
        await service.snooze(rid, SnoozeChoice.FIFTEEN_MINUTES, user_id=OWNER, now=NOW)
    assert early_snooze.value.message_id == "reminder.error.not_fired"

    fired_at = NOW + timedelta(hours=1)
    await timers.advance_to(fired_at)
    before = await row_of(store, rid)
    for refused in (
        service.snooze(rid, SnoozeChoice.ONE_HOUR, user_id=OTHER, now=fired_at),
        service.finish(rid, user_id=OTHER, now=fired_at),
        service.cancel(rid, user_id=OTHER, now=fired_at),
    ):
        with pytest.raises(ReminderError) as not_owner:
            await refused
        assert not_owner.value.message_id == "reminder.error.not_owner"
    assert await row_of(store, rid) == before

    done = await service.finish(rid, user_id=OWNER, now=NOW)
    assert done.status == reminder_rules.ReminderStatus.DONE and await row_of(store, rid) == before

    snoozed_at = fired_at + timedelta(minutes=3)
    timers.clock.move_to(snoozed_at)
    snoozed = await service.snooze(rid, SnoozeChoice.FIFTEEN_MINUTES, user_id=OWNER, now=snoozed_at)
    timers.schedule_reminder(rid, snoozed.due_at)
    again = snoozed_at + timedelta(minutes=15)
    assert snoozed.due_at == again
    row = await row_of(store, rid)
    assert (row["status"], row["due_at"], row["snoozes"], row["late_from"]) == ("pending", stamp(again), 1, None)
    # The same old message clicked again: refused, nothing moves.
    with pytest.raises(ReminderError) as twice:
        await service.snooze(rid, SnoozeChoice.ONE_HOUR, user_id=OWNER, now=snoozed_at)
    assert twice.value.message_id == "reminder.error.not_fired"
    assert (await row_of(store, rid))["due_at"] == stamp(again)
    # A timer still pointed at the old time finds it not due.
    assert not await service.fire(rid, now=snoozed_at)

    await timers.advance_to(again + timedelta(hours=2))
    first, second = await outbox_rows(store)
    assert first.payload["content"] == second.payload["content"] == f"<@{OWNER}> Rappel : Appeler la DSI"
    assert second.payload["allowed_mentions"] == ONLY_OWNER
    row = await row_of(store, rid)
    assert (row["status"], row["fired_at"], row["message_row"]) == ("done", stamp(again), second.id)


async def test_two_reminders_due_at_once_are_each_sent_once_to_their_own_owner(store: Store, timers: Timers) -> None:
    mine = await ask(timers, asked("dans 2 h", "Le mien"))
    theirs = await ask(timers, asked("dans 2 h", "Le sien", owner=OTHER))
    assert mine.due_at == theirs.due_at
    await timers.advance_to(NOW + timedelta(hours=3))
    rows = await outbox_rows(store)
    assert [(r.payload["user_id"], r.payload["content"], r.payload["allowed_mentions"]["users"]) for r in rows] == [
        (OWNER, f"<@{OWNER}> Rappel : Le mien", [OWNER]),
        (OTHER, f"<@{OTHER}> Rappel : Le sien", [OTHER]),
    ]
    assert [r.lane for r in rows] == [outbox.dm_lane(OWNER), outbox.dm_lane(OTHER)]
    assert len(timers.fired) == 2 and set(timers.fired) == {mine.id, theirs.id}
    for reminder, row in zip((mine, theirs), rows, strict=True):
        assert reminder.id is not None
        assert (await row_of(store, reminder.id))["message_row"] == row.id


async def test_a_cancelled_reminder_is_never_sent(store: Store, timers: Timers) -> None:
    reminder = await ask(timers, asked("dans 2 h"))
    assert reminder.id is not None
    kept = await ask(timers, asked("dans 3 h", "Gardé"))
    with pytest.raises(ReminderError) as not_owner:
        await timers.reminders.cancel(reminder.id, user_id=OTHER, now=NOW)
    assert not_owner.value.message_id == "reminder.error.not_owner"
    cancelled = await timers.reminders.cancel(reminder.id, user_id=OWNER, now=NOW)
    assert cancelled.status == reminder_rules.ReminderStatus.CANCELLED
    assert (await row_of(store, reminder.id))["status"] == "cancelled"
    listed, _zone = await timers.reminders.pending(GUILD, OWNER)
    assert [r.id for r in listed] == [kept.id]
    with pytest.raises(ReminderError) as again:
        await timers.reminders.cancel(reminder.id, user_id=OWNER, now=NOW)
    assert again.value.message_id == "reminder.error.cancelled"

    # Its timer still runs (the cog does not cancel it): it finds the row cancelled and sends nothing.
    await timers.advance_to(NOW + timedelta(hours=4))
    (sent,) = await outbox_rows(store)
    assert sent.payload["content"].endswith("Gardé")
    assert not await timers.reminders.fire(reminder.id, now=NOW + timedelta(hours=4))
    assert await timers.reminders.due_time(reminder.id) is None
    # Nor does a start-up bring it back.
    restarted = Timers.of(store, ManualClock(NOW + timedelta(hours=5)))
    await restarted.start()
    assert restarted.jobs == {}
    with pytest.raises(ReminderError) as no_snooze:
        await timers.reminders.snooze(reminder.id, SnoozeChoice.ONE_HOUR, user_id=OWNER, now=NOW)
    assert no_snooze.value.message_id == "reminder.error.cancelled"
    assert (await row_of(store, reminder.id))["status"] == "cancelled"


# --- the October clock change ------------------------------------------------------------------------------------

DST_EVE = utc("2024-10-26T23:30:00+02:00")  # Saturday night; at 03:00 CEST the clocks go back to 02:00 CET


async def test_a_typed_0230_on_the_night_of_the_october_change_is_refused_and_nothing_is_stored(
    store: Store, timers: Timers
) -> None:
    timers.clock.move_to(DST_EVE)
    for typed in ("27/10/2024 02:30", "demain 2h30"):
        with pytest.raises(TimeParseError) as ambiguous:
            await timers.reminders.ask(asked(typed), now=DST_EVE)
        assert ambiguous.value.message_id == "time.error.ambiguous"
    assert await count(store, "SELECT COUNT(*) FROM reminders") == 0


async def test_a_reminder_at_the_second_0230_fires_then_and_not_at_the_first(store: Store, timers: Timers) -> None:
    timers.clock.move_to(DST_EVE)
    reminder = await ask(timers, asked("dans 4 heures"))
    morning = await ask(timers, asked("demain 9h", "Matin"))
    second_0230 = utc("2024-10-27T02:30:00+01:00")
    assert reminder.due_at == second_0230 == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert morning.due_at == datetime(2024, 10, 27, 8, 0, tzinfo=UTC)  # 09:00 CET, not 09:00 CEST

    first_0230 = utc("2024-10-27T02:30:00+02:00")
    await timers.advance_to(first_0230)
    assert await outbox_rows(store) == []
    await timers.advance_to(second_0230)
    (sent,) = await outbox_rows(store)
    assert sent.payload["content"] == f"<@{OWNER}> Rappel : Appeler la DSI"  # on time, not late
    assert reminder.id is not None
    assert (await row_of(store, reminder.id))["fired_at"] == stamp(second_0230)

    # Snoozed "tomorrow morning" from the second 02:30: 09:00 on Monday, CET.
    snoozed = await timers.reminders.snooze(reminder.id, SnoozeChoice.TOMORROW_MORNING, user_id=OWNER, now=second_0230)
    assert snoozed.due_at == datetime(2024, 10, 28, 8, 0, tzinfo=UTC)
    # An hour's snooze is an hour of real time across the change.
    await timers.advance_to(morning.due_at)
    assert morning.id is not None
    hour = await timers.reminders.snooze(morning.id, SnoozeChoice.ONE_HOUR, user_id=OWNER, now=morning.due_at)
    assert hour.due_at == datetime(2024, 10, 27, 9, 0, tzinfo=UTC)


# --- limits ----------------------------------------------------------------------------------------------------------


async def test_a_thread_reminder_for_an_unknown_incident_and_the_26th_pending_are_refused(
    store: Store, timers: Timers
) -> None:
    with pytest.raises(ReminderError) as unknown:
        await timers.reminders.ask(asked("dans 1 h", where=Where.THREAD), now=NOW)
    assert unknown.value.message_id == "reminder.error.incident_unknown"
    for minutes in range(reminders_module.MAX_PENDING):
        await timers.reminders.ask(asked(f"dans {minutes + 1} min"), now=NOW)
    with pytest.raises(ReminderError) as too_many:
        await timers.reminders.ask(asked("dans 2 h"), now=NOW)
    assert too_many.value.message_id == "reminder.error.too_many"
    assert await count(store, "SELECT COUNT(*) FROM reminders") == reminders_module.MAX_PENDING
    # Someone else is not limited by this person's reminders.
    await timers.reminders.ask(asked("dans 2 h", owner=OTHER), now=NOW)


async def test_the_limit_counts_the_reminders_that_servers_list_can_show_and_cancel(
    store: Store, timers: Timers
) -> None:
    # `/reminders` lists (and cancels) one server's reminders: a full list in one server must not refuse a
    # reminder in another, where the list the refusal points to is empty.
    other_server = GUILD + 1
    for minutes in range(reminders_module.MAX_PENDING):
        await timers.reminders.ask(asked(f"dans {minutes + 1} min"), now=NOW)
    elsewhere = await timers.reminders.ask(replace(asked("dans 2 h"), guild_id=other_server), now=NOW)
    listed, _zone = await timers.reminders.pending(other_server, OWNER)
    assert [r.id for r in listed] == [elsewhere.id]
    full, _zone = await timers.reminders.pending(GUILD, OWNER)
    assert len(full) == reminders_module.MAX_PENDING


async def test_two_timers_firing_one_reminder_at_once_send_it_once(store: Store, timers: Timers) -> None:
    reminder = await ask(timers, asked("dans 1 h"))
    assert reminder.id is not None
    due = NOW + timedelta(hours=1)
    fired = await asyncio.gather(*(timers.reminders.fire(reminder.id, now=due) for _ in range(3)))
    assert sorted(fired) == [False, False, True]
    (sent,) = await outbox_rows(store)
    assert (await row_of(store, reminder.id))["message_row"] == sent.id


# --- the audit log ---------------------------------------------------------------------------------------------


async def audit_of(store: Store) -> list[tuple[int | None, int | None, str, dict[str, Any], str]]:
    async with (
        store.reading() as conn,
        conn.execute(
            "SELECT guild_id, actor_id, action, arguments, result FROM audit_log WHERE action LIKE 'reminder%' "
            "ORDER BY id"
        ) as cursor,
    ):
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in await cursor.fetchall()]


async def test_the_audit_log_keeps_reminders_created_snoozed_cancelled_and_done_by_their_owner(
    store: Store, timers: Timers
) -> None:
    service = timers.reminders
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    first = await ask(timers, asked("dans 1 h"))
    second = await ask(timers, asked("dans 3 h", "Rappeler la Cerp", where=Where.THREAD))
    assert first.id is not None and second.id is not None
    fired_at = NOW + timedelta(hours=1)
    await timers.advance_to(fired_at)
    snoozed = await service.snooze(first.id, SnoozeChoice.FIFTEEN_MINUTES, user_id=OWNER, now=fired_at)
    timers.schedule_reminder(first.id, snoozed.due_at)
    await timers.advance_to(snoozed.due_at)
    await service.finish(first.id, user_id=OWNER, now=snoozed.due_at)
    await service.cancel(second.id, user_id=OWNER, now=snoozed.due_at)
    with pytest.raises(ReminderError):
        await service.cancel(second.id, user_id=OTHER, now=snoozed.due_at)

    assert [(guild, actor, action, result) for guild, actor, action, _, result in await audit_of(store)] == [
        (GUILD, OWNER, "reminder create", "ok"),
        (GUILD, OWNER, "reminder create", "ok"),
        (GUILD, OWNER, "reminder snooze", "ok"),
        (GUILD, OWNER, "reminder done", "ok"),
        (GUILD, OWNER, "reminder cancel", "ok"),
    ], "a refused attempt changes nothing and is audited by the adapter, like every refused command"
    created, thread, moved, done, cancelled = (arguments for *_, arguments, _ in await audit_of(store))
    assert created == {"reminder": first.id, "where": "dm", "due_at": (NOW + timedelta(hours=1)).isoformat()}
    assert thread["incident"] == 1 and thread["where"] == "thread"
    assert moved == {"reminder": first.id, "snooze": "15m", "due_at": snoozed.due_at.isoformat()}
    assert done == {"reminder": first.id} and cancelled == {"reminder": second.id}
    assert all("Appeler" not in json.dumps(arguments) for *_, arguments, _ in await audit_of(store)), (
        "what the member wrote to themselves stays out of the audit log"
    )
