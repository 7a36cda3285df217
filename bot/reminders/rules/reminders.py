"""Personal reminders (`/remind`, `/rappel`): what one is, when it fires, how it moves through its life.

A personal reminder fires exactly when asked, any day and any hour: working time is for nudges, not for what a
person asked for themselves.

Lifecycle (the `reminders` table is the truth; ARCHITECTURE.md "Timers"):
  pending ──claim──▶ firing ──done──▶ done ──snooze──▶ pending
     └──cancel──▶ cancelled
A timer claims its row before sending and marks it done only after. The use case enqueues the message in the
claim's own transaction, so a crash between the two leaves a `firing` row whose message is already in the outbox:
start-up marks it done without enqueuing it again, and the outbox, which resumes, sends it once (its nonce and
markers cover a send cut short).

Decided where the issue is silent:
- Snooze is offered on the reminder's message, so it moves a reminder that fired (done) back to pending; a
  reminder still waiting is moved by cancelling it and asking again, which shows the new time understood.
- "Tomorrow morning" is 09:00 on the next calendar day of the server's zone, also when asked after midnight:
  the button says "tomorrow", and 09:00 is the morning that `parse_when` gives "demain matin".
- A reminder is late when it fires more than a minute after it was due; the lateness is decided when it is
  claimed and kept on the row (`late_from`), so a send repeated after a crash says the same thing.
- Reminder text is one to 1,000 characters once cleaned, kept on several lines as typed; it is stored as typed
  and made unable to ping anyone only when shown (`shown_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.common.errors import TocsinError
from bot.common.text import clean_input, safe_text, truncate
from bot.common.time_parsing import parse_when

MAX_TEXT = 1000
# Escaping can double a text's length; what is shown leaves room for the header and the mention in 2,000.
MAX_SHOWN_TEXT = 1500
LATE_GRACE = timedelta(minutes=1)
MORNING = time(9, 0)


class ReminderError(TocsinError, ValueError):
    """A reminder request or button the rules refuse; the message says what to do instead."""


class ReminderStatus(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    DONE = "done"
    CANCELLED = "cancelled"


class Where(StrEnum):
    HERE = "here"  # the channel where /remind was typed
    THREAD = "thread"  # the thread of an incident
    DM = "dm"


class SnoozeChoice(StrEnum):
    FIFTEEN_MINUTES = "15m"
    ONE_HOUR = "1h"
    TOMORROW_MORNING = "tomorrow_morning"

    @property
    def label_id(self) -> str:
        return SNOOZE_LABELS[self]


SNOOZE_LABELS: dict[SnoozeChoice, str] = {
    SnoozeChoice.FIFTEEN_MINUTES: "reminder.snooze.15m",
    SnoozeChoice.ONE_HOUR: "reminder.snooze.1h",
    SnoozeChoice.TOMORROW_MORNING: "reminder.snooze.tomorrow_morning",
}

_SNOOZE_DURATIONS = {SnoozeChoice.FIFTEEN_MINUTES: timedelta(minutes=15), SnoozeChoice.ONE_HOUR: timedelta(hours=1)}


@dataclass(frozen=True, kw_only=True)
class Reminder:
    """One reminder. `id` is None until stored. `channel_id`: where it is posted for `here` (for `thread`, the
    use case fills in the incident's thread). `late_from`: the due time it was late from, set when claimed
    late."""

    id: int | None
    owner_id: int
    guild_id: int
    due_at: datetime
    text: str
    where: Where
    channel_id: int | None
    incident_number: int | None
    status: ReminderStatus
    created_at: datetime
    late_from: datetime | None = None

    @property
    def message_id(self) -> str:
        """The message it fires with: on time, or late with the time it was due."""
        return "reminder.fired_late" if self.late_from is not None else "reminder.fired"


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(UTC)


def validate_text(text: str | None) -> str:
    """The reminder's text, cleaned; `ReminderError` when empty or longer than 1,000 characters."""
    cleaned = clean_input(text or "", multiline=True)
    if not cleaned:
        raise ReminderError("reminder.error.text_required")
    if len(cleaned) > MAX_TEXT:
        raise ReminderError("reminder.error.text_too_long", limit=MAX_TEXT, length=len(cleaned))
    return cleaned


def shown_text(reminder: Reminder) -> str:
    """The text as it goes out: mentions neutralised, markdown shown as typed, within the message's room."""
    return truncate(safe_text(reminder.text, multiline=True), MAX_SHOWN_TEXT)


@dataclass(frozen=True)
class AskInput:
    """What a person typed to ask for a reminder, before it is read."""

    guild_id: int
    owner_id: int
    when: str
    text: str | None
    where: Where
    channel_id: int | None
    incident_number: int | None


def new_reminder(typed: AskInput, *, now: datetime, zone: ZoneInfo) -> Reminder:
    """A pending reminder from what was typed: `when` through `parse_when` (in the future, in the server's
    zone, `TimeParseError` otherwise), `text` validated. `here` needs the channel; `thread` needs an
    incident."""
    body = validate_text(typed.text)
    due = parse_when(typed.when, now=now, tz=zone, prefer="future")
    where = typed.where
    if where == Where.THREAD and typed.incident_number is None:
        raise ReminderError("reminder.error.thread_needs_incident")
    if where == Where.HERE and typed.channel_id is None:
        raise ValueError("a reminder posted here needs the channel it was asked in")
    return Reminder(
        id=None,
        owner_id=typed.owner_id,
        guild_id=typed.guild_id,
        due_at=as_utc(due),
        text=body,
        where=where,
        channel_id=typed.channel_id if where != Where.DM else None,
        incident_number=typed.incident_number,
        status=ReminderStatus.PENDING,
        created_at=as_utc(now),
    )


def snoozed_until(choice: SnoozeChoice, now: datetime, zone: ZoneInfo) -> datetime:
    """When a reminder snoozed at `now` fires again (UTC): 15 min or 1 h later in real time, or 09:00 on the
    next day of `zone`'s calendar."""
    instant = as_utc(now)
    duration = _SNOOZE_DURATIONS.get(choice)
    if duration is not None:
        return instant + duration
    tomorrow: date = instant.astimezone(zone).date() + timedelta(days=1)
    # Normalised through UTC: should 09:00 not exist that day in some zone, the clock's next reading is meant.
    return datetime.combine(tomorrow, MORNING, tzinfo=zone).astimezone(UTC)


def is_late(reminder: Reminder, fired_at: datetime, grace: timedelta = LATE_GRACE) -> bool:
    """Whether firing at `fired_at` is late (the bot was down or behind), worth telling the reader."""
    return as_utc(fired_at) - as_utc(reminder.due_at) > grace


def check_owner(reminder: Reminder, user_id: int) -> None:
    """Only the person who asked may snooze, finish or cancel a reminder."""
    if reminder.owner_id != user_id:
        raise ReminderError("reminder.error.not_owner")


def _refuse(reminder: Reminder) -> ReminderError:
    if reminder.status == ReminderStatus.CANCELLED:
        return ReminderError("reminder.error.cancelled")
    if reminder.status == ReminderStatus.DONE:
        return ReminderError("reminder.error.already_done")
    if reminder.status == ReminderStatus.FIRING:
        return ReminderError("reminder.error.firing")
    return ReminderError("reminder.error.not_fired")


def claim(reminder: Reminder, at: datetime) -> Reminder:
    """pending → firing, taken by the timer at `at`; marked late if `at` is past the grace."""
    if reminder.status != ReminderStatus.PENDING:
        raise _refuse(reminder)
    if as_utc(at) < as_utc(reminder.due_at):
        raise ValueError("a reminder is claimed when it is due, not before")
    late_from = reminder.due_at if is_late(reminder, at) else None
    return replace(reminder, status=ReminderStatus.FIRING, late_from=late_from)


def done(reminder: Reminder) -> Reminder:
    """firing → done, once its message was sent."""
    if reminder.status != ReminderStatus.FIRING:
        raise _refuse(reminder)
    return replace(reminder, status=ReminderStatus.DONE)


def finish(reminder: Reminder) -> Reminder:
    """Done on the reminder's message: allowed once it fired (done), refused with the reason otherwise (still
    being sent, not come due, cancelled); the reminder is unchanged."""
    if reminder.status != ReminderStatus.DONE:
        raise _refuse(reminder)
    return reminder


def cancel(reminder: Reminder) -> Reminder:
    """pending → cancelled (from `/reminders`)."""
    if reminder.status != ReminderStatus.PENDING:
        raise _refuse(reminder)
    return replace(reminder, status=ReminderStatus.CANCELLED)


def snooze(reminder: Reminder, choice: SnoozeChoice, now: datetime, zone: ZoneInfo) -> Reminder:
    """done → pending again, due at `snoozed_until(choice, now, zone)`; no longer late."""
    if reminder.status != ReminderStatus.DONE:
        raise _refuse(reminder)
    return replace(reminder, status=ReminderStatus.PENDING, due_at=snoozed_until(choice, now, zone), late_from=None)
