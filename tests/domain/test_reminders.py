from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.i18n import LANGUAGES
from bot.common.i18n.catalogue import default_catalogue
from bot.common.time_parsing import TimeParseError
from bot.reminders.rules.reminders import (
    MAX_SHOWN_TEXT,
    MAX_TEXT,
    SNOOZE_LABELS,
    AskInput,
    Reminder,
    ReminderError,
    ReminderStatus,
    SnoozeChoice,
    Where,
    cancel,
    check_owner,
    claim,
    done,
    is_late,
    new_reminder,
    shown_text,
    snooze,
    snoozed_until,
    validate_text,
)

PARIS = ZoneInfo("Europe/Paris")
ANNE, GUILD, CHANNEL = 101, 1, 555
SATURDAY_EVENING = datetime(2024, 10, 19, 20, 10, tzinfo=PARIS)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def ask(when: str = "dans 2 h", text: str | None = "Rappeler la Cerp", **overrides: object) -> Reminder:
    arguments: dict[str, object] = {
        "owner_id": ANNE,
        "guild_id": GUILD,
        "when": when,
        "text": text,
        "where": Where.HERE,
        "channel_id": CHANNEL,
        "incident_number": None,
        "now": SATURDAY_EVENING,
        "zone": PARIS,
    }
    arguments.update(overrides)
    now, zone = arguments.pop("now"), arguments.pop("zone")
    return new_reminder(AskInput(**arguments), now=now, zone=zone)  # type: ignore[arg-type]


# --- asking -----------------------------------------------------------------------------------------------


def test_a_new_reminder_is_pending_and_due_when_asked_even_on_a_sunday_night() -> None:
    reminder = ask("demain 3h")
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.due_at == paris(2024, 10, 20, 3, 0)  # Sunday 03:00: no working time for personal reminders
    assert reminder.due_at.tzinfo == UTC
    assert (reminder.owner_id, reminder.guild_id, reminder.channel_id) == (ANNE, GUILD, CHANNEL)
    assert reminder.created_at == SATURDAY_EVENING
    assert reminder.id is None and reminder.late_from is None


def test_relative_times_are_real_time_across_the_clock_change() -> None:
    reminder = ask("dans 2 h", now=paris(2024, 10, 27, 1, 30))
    assert reminder.due_at - paris(2024, 10, 27, 1, 30) == timedelta(hours=2)


@pytest.mark.parametrize("when", ["hier 14h", "il y a 2 heures", "n'importe quand", "dans 2 ans"])
def test_a_time_that_is_not_ahead_or_not_understood_is_refused(when: str) -> None:
    with pytest.raises(TimeParseError):
        ask(when)


@pytest.mark.parametrize("text", [None, "", "   ", "\u202e\u200f"])
def test_a_reminder_needs_text(text: str | None) -> None:
    with pytest.raises(ReminderError) as raised:
        ask(text=text)
    assert raised.value.message_id == "reminder.error.text_required"


def test_text_is_cleaned_and_limited_to_a_thousand_characters() -> None:
    assert validate_text("  Appeler\u202e la Cerp\r\n\n\n\nà 9h  ") == "Appeler la Cerp\n\nà 9h"
    assert len(validate_text("x" * MAX_TEXT)) == MAX_TEXT
    with pytest.raises(ReminderError) as raised:
        validate_text("x" * (MAX_TEXT + 1))
    assert raised.value.message_id == "reminder.error.text_too_long"
    assert raised.value.args_map == {"limit": MAX_TEXT, "length": MAX_TEXT + 1}


def test_typed_text_never_pings_when_shown() -> None:
    reminder = ask(text="@everyone <@123> <@&456> relancer **vite**")
    shown = shown_text(reminder)
    assert "@everyone" not in shown and "<@123>" not in shown and "<@&456>" not in shown
    assert "\\*\\*vite\\*\\*" in shown
    assert reminder.text == "@everyone <@123> <@&456> relancer **vite**"  # stored as typed


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=MAX_TEXT))
def test_shown_text_always_fits(text: str) -> None:
    try:
        reminder = ask(text=text)
    except ReminderError:
        return
    assert len(shown_text(reminder)) <= MAX_SHOWN_TEXT


def test_where_the_reminder_goes() -> None:
    assert ask(where=Where.DM).channel_id is None
    thread = ask(where=Where.THREAD, incident_number=42)
    assert (thread.where, thread.incident_number) == (Where.THREAD, 42)
    with pytest.raises(ReminderError) as raised:
        ask(where=Where.THREAD, incident_number=None)
    assert raised.value.message_id == "reminder.error.thread_needs_incident"
    with pytest.raises(ValueError, match="channel"):
        ask(where=Where.HERE, channel_id=None)


# --- snoozing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "now", "expected"),
    [
        (SnoozeChoice.FIFTEEN_MINUTES, paris(2024, 10, 19, 20, 10), paris(2024, 10, 19, 20, 25)),
        (SnoozeChoice.ONE_HOUR, paris(2024, 10, 19, 23, 30), paris(2024, 10, 20, 0, 30)),
        (SnoozeChoice.TOMORROW_MORNING, paris(2024, 10, 19, 20, 10), paris(2024, 10, 20, 9, 0)),  # Sunday too
        (SnoozeChoice.TOMORROW_MORNING, paris(2024, 10, 19, 0, 30), paris(2024, 10, 20, 9, 0)),
        (SnoozeChoice.TOMORROW_MORNING, paris(2024, 10, 26, 22, 0), paris(2024, 10, 27, 9, 0)),  # clocks go back
        (SnoozeChoice.TOMORROW_MORNING, paris(2024, 12, 31, 18, 0), paris(2025, 1, 1, 9, 0)),
    ],
)
def test_snoozed_until(choice: SnoozeChoice, now: datetime, expected: datetime) -> None:
    result = snoozed_until(choice, now, PARIS)
    assert result == expected
    assert result.tzinfo == UTC


def test_snoozing_for_an_hour_over_the_clock_change_is_an_hour_of_real_time() -> None:
    now = datetime(2024, 10, 27, 2, 30, tzinfo=PARIS)  # the first 02:30, +02:00
    assert snoozed_until(SnoozeChoice.ONE_HOUR, now, PARIS) == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    tomorrow = snoozed_until(SnoozeChoice.TOMORROW_MORNING, now, PARIS)
    assert tomorrow == datetime(2024, 10, 28, 8, 0, tzinfo=UTC)  # 09:00 at +01:00


def test_tomorrow_morning_is_in_the_servers_zone() -> None:
    reunion = ZoneInfo("Indian/Reunion")  # +04:00: already Sunday 00:10 there at Saturday 22:10 in Paris
    assert snoozed_until(SnoozeChoice.TOMORROW_MORNING, paris(2024, 10, 19, 22, 10), reunion) == datetime(
        2024, 10, 21, 9, 0, tzinfo=reunion
    )


def test_every_snooze_choice_has_a_label_in_both_languages() -> None:
    catalogue = default_catalogue()
    for choice in SnoozeChoice:
        assert choice.label_id == SNOOZE_LABELS[choice]
        for language in LANGUAGES:
            assert catalogue.render(language, choice.label_id)


# --- lateness and lifecycle -------------------------------------------------------------------------------


def test_late_means_more_than_the_grace_after_due() -> None:
    reminder = ask("dans 2 h")
    assert not is_late(reminder, reminder.due_at)
    assert not is_late(reminder, reminder.due_at + timedelta(minutes=1))
    assert is_late(reminder, reminder.due_at + timedelta(minutes=1, seconds=1))
    assert is_late(reminder, reminder.due_at + timedelta(seconds=10), grace=timedelta(seconds=5))


def test_on_time_claim_done_then_snooze() -> None:
    reminder = replace(ask("dans 2 h"), id=7)
    firing = claim(reminder, reminder.due_at + timedelta(seconds=2))
    assert (firing.status, firing.late_from, firing.message_id) == (ReminderStatus.FIRING, None, "reminder.fired")
    finished = done(firing)
    assert finished.status == ReminderStatus.DONE
    again = snooze(finished, SnoozeChoice.FIFTEEN_MINUTES, paris(2024, 10, 19, 22, 15), PARIS)
    assert (again.status, again.due_at, again.id) == (ReminderStatus.PENDING, paris(2024, 10, 19, 22, 30), 7)


def test_a_reminder_due_while_the_bot_was_down_fires_late_and_says_when_it_was_due() -> None:
    reminder = ask("dans 2 h")
    firing = claim(reminder, reminder.due_at + timedelta(hours=3))
    assert firing.late_from == reminder.due_at
    assert firing.message_id == "reminder.fired_late"
    # Snoozed afterwards, it is on time again.
    again = snooze(done(firing), SnoozeChoice.ONE_HOUR, reminder.due_at + timedelta(hours=3), PARIS)
    assert again.late_from is None and again.message_id == "reminder.fired"


def test_a_reminder_is_not_claimed_before_it_is_due() -> None:
    reminder = ask("dans 2 h")
    with pytest.raises(ValueError, match="due"):
        claim(reminder, reminder.due_at - timedelta(seconds=1))


def test_cancel_a_pending_reminder() -> None:
    assert cancel(ask()).status == ReminderStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "operation", "message_id"),
    [
        (ReminderStatus.FIRING, "claim", "reminder.error.firing"),
        (ReminderStatus.DONE, "claim", "reminder.error.already_done"),
        (ReminderStatus.CANCELLED, "claim", "reminder.error.cancelled"),
        (ReminderStatus.PENDING, "done", "reminder.error.not_fired"),
        (ReminderStatus.DONE, "done", "reminder.error.already_done"),
        (ReminderStatus.CANCELLED, "done", "reminder.error.cancelled"),
        (ReminderStatus.FIRING, "cancel", "reminder.error.firing"),
        (ReminderStatus.DONE, "cancel", "reminder.error.already_done"),
        (ReminderStatus.CANCELLED, "cancel", "reminder.error.cancelled"),
        (ReminderStatus.PENDING, "snooze", "reminder.error.not_fired"),
        (ReminderStatus.FIRING, "snooze", "reminder.error.firing"),
        (ReminderStatus.CANCELLED, "snooze", "reminder.error.cancelled"),
    ],
)
def test_transitions_the_lifecycle_refuses(status: ReminderStatus, operation: str, message_id: str) -> None:
    reminder = replace(ask(), status=status)
    later = reminder.due_at + timedelta(minutes=5)
    with pytest.raises(ReminderError) as raised:
        if operation == "claim":
            claim(reminder, later)
        elif operation == "done":
            done(reminder)
        elif operation == "cancel":
            cancel(reminder)
        else:
            snooze(reminder, SnoozeChoice.ONE_HOUR, later, PARIS)
    assert raised.value.message_id == message_id


def test_only_the_owner_may_use_a_reminder() -> None:
    reminder = ask()
    check_owner(reminder, ANNE)
    with pytest.raises(ReminderError) as raised:
        check_owner(reminder, ANNE + 1)
    assert raised.value.message_id == "reminder.error.not_owner"


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2024, 10, 19, 20, 10)
    with pytest.raises(ValueError, match="aware"):
        snoozed_until(SnoozeChoice.ONE_HOUR, naive, PARIS)
    with pytest.raises(ValueError, match="aware"):
        is_late(ask(), naive)
