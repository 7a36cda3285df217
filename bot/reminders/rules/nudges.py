"""Nudges: when the bot reminds coordinators that an open incident owes its followers an update.

The rules are a pure function of a few facts about the incident (`NudgeState`): `planned_nudges` says what is due
and when, `after_nudge_sent` how the facts change once one is sent. A use case stores the plan as timer rows; when
one fires it loads the facts again (an update since the last nudge starts the count again:
bot/reminders/use_cases/nudging.py `state_of`) and sends what `due_now` returns, so a timer made stale by an
update, a resolution or a new ETA sends nothing.

The issue's rules:
- cadence by severity (defaults: critical 1 h, major 4 h, minor 24 h); the next cadence nudge is due one cadence
  after the later of the last update (the declaration counts) and the last nudge, to the owner;
- a committed "next update" time replaces the cadence while it is pending: at that time one nudge to whoever
  committed to it; the cadence then resumes from that nudge;
- three nudges in a row with no update: the fourth is replaced by one note in the bot-log channel, and no
  nudge follows until the next update;
- an ETA passing while the incident is open: one reminder to the owner to confirm or move it, not a nudge;
- for an incident that is not critical, whatever falls outside working time waits for the next start of working
  time; the cadence counts from when a nudge was actually sent;
- nothing for a resolved or cancelled incident; an update starts the count again.

Decided where the issue is silent:
- The "next update" nudge counts as one of the three nudges in a row: the Cerp scenario has it at 10:00, then
  cadence nudges at 11:00 and 12:00 and the bot-log note at 13:00.
- Working time applies to every kind for a non-critical incident, the committed "next update" nudge and the
  bot-log note included (Octave's note waits for Wednesday 09:00); the coordinator who commits to a Sunday
  time for a major incident is nudged on Monday morning, like everybody else on a quiet day.
- The ETA reminder does not wait for the nudges and is not silenced by the bot-log note: it is a different
  question ("is this date still right?"), and the note does not ask it.
- An update that changes the ETA asks the question again (one reminder per ETA); one that keeps it does not.
- Nothing is ever planned before the latest fact the state knows (its last update or nudge): an ETA that passed
  before an update that kept it is asked about at once, not in the past.
- Only updates whose kind is news count (`UpdateKind.is_news`): corrections, hand-overs and "affected too"
  clicks neither reset the count nor delay the next nudge; use `last_news_at` to find the last one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from bot.common.working_time import WorkingTime
from bot.incidents.rules.lifecycle import Update
from bot.incidents.rules.model import Incident, Severity, Status
from bot.privacy.rules import is_pseudonym
from bot.reminders.rules.reminders import as_utc

MAX_NUDGES_IN_A_ROW = 3

DEFAULT_CADENCE: Mapping[Severity, timedelta] = MappingProxyType(
    {
        Severity.CRITICAL: timedelta(hours=1),
        Severity.MAJOR: timedelta(hours=4),
        Severity.MINOR: timedelta(hours=24),
    }
)
# The same, as `guild_settings` stores it (minutes per severity value).
DEFAULT_CADENCE_MINUTES: Mapping[str, int] = MappingProxyType(
    {severity.value: cadence // timedelta(minutes=1) for severity, cadence in DEFAULT_CADENCE.items()}
)


class NudgeKind(StrEnum):
    CADENCE = "cadence"
    NEXT_UPDATE_DUE = "next_update_due"
    LOG_NOTE = "log_note"
    ETA_PASSED = "eta_passed"


# Placeholders: {who} a mention of the person (in the log note: of the owner, sent without pinging), {incident}
# "#42 · title", {last_update} / {due} / {eta} Discord timestamps, {count} the nudges sent in a row.
NUDGE_MESSAGES: Mapping[NudgeKind, str] = MappingProxyType(
    {
        NudgeKind.CADENCE: "nudge.cadence",
        NudgeKind.NEXT_UPDATE_DUE: "nudge.next_update_due",
        NudgeKind.LOG_NOTE: "nudge.log_note",
        NudgeKind.ETA_PASSED: "nudge.eta_passed",
    }
)

# Same due time: the nudge line before the ETA reminder, so the owner reads "post an update" first.
_ORDER = {NudgeKind.NEXT_UPDATE_DUE: 0, NudgeKind.CADENCE: 0, NudgeKind.LOG_NOTE: 0, NudgeKind.ETA_PASSED: 1}


def cadence_from_minutes(minutes: Mapping[str, int]) -> dict[Severity, timedelta]:
    """The cadence as `GuildConfig.cadence_minutes` stores it ({"critical": 60, …}), defaults for what is
    missing."""
    cadence = dict(DEFAULT_CADENCE)
    for severity in Severity:
        if severity.value in minutes:
            cadence[severity] = timedelta(minutes=minutes[severity.value])
    return cadence


def last_news_at(updates: Iterable[Update]) -> datetime | None:
    """When the incident last had news (the declaration counts), or None without any news entry."""
    return max((u.at for u in updates if u.kind.is_news), default=None, key=as_utc)


@dataclass(frozen=True, kw_only=True)
class NudgeState:
    """What the nudge rules need to know about one incident.

    `last_update_at` is the last news (the declaration counts); `last_nudge_at` when a nudge was last sent, as
    sent; `consecutive_nudges` the nudges sent since the last update; `log_noted` whether the bot-log note for
    them was written. `next_update_at`/`next_update_by` the committed time and who committed to it;
    `next_update_nudged` whether that time's nudge was sent. `eta_reminded` whether the reminder for the
    current `eta` was sent.
    """

    severity: Severity
    status: Status
    owner_id: int
    last_update_at: datetime
    last_nudge_at: datetime | None = None
    consecutive_nudges: int = 0
    log_noted: bool = False
    next_update_at: datetime | None = None
    next_update_by: int | None = None
    next_update_nudged: bool = False
    eta: datetime | None = None
    eta_reminded: bool = False

    @classmethod
    def of_incident(
        cls,
        incident: Incident,
        *,
        last_update_at: datetime,
        last_nudge_at: datetime | None = None,
        consecutive_nudges: int = 0,
        log_noted: bool = False,
        next_update_nudged: bool = False,
        eta_reminded: bool = False,
    ) -> NudgeState:
        """The incident's facts, with the nudge bookkeeping the use case keeps beside it."""
        return cls(
            severity=incident.severity,
            status=incident.status,
            owner_id=incident.owner_id,
            last_update_at=last_update_at,
            last_nudge_at=last_nudge_at,
            consecutive_nudges=consecutive_nudges,
            log_noted=log_noted,
            next_update_at=incident.next_update_at,
            next_update_by=incident.next_update_by,
            next_update_nudged=next_update_nudged,
            eta=incident.eta,
            eta_reminded=eta_reminded,
        )

    @property
    def as_of(self) -> datetime:
        """The latest fact the state knows, as UTC: nothing is planned before it."""
        latest = as_utc(self.last_update_at)
        if self.last_nudge_at is not None:
            latest = max(latest, as_utc(self.last_nudge_at))
        return latest


@dataclass(frozen=True)
class PlannedNudge:
    """One thing to send: `due_at` (UTC) to `to_user_id` (None: the bot-log note, addressed to a channel).
    `counts_as_nudge`: whether sending it counts toward the three in a row and restarts the cadence."""

    kind: NudgeKind
    due_at: datetime
    to_user_id: int | None
    counts_as_nudge: bool

    @property
    def message_id(self) -> str:
        return NUDGE_MESSAGES[self.kind]


def _nudge_line(state: NudgeState, cadence: Mapping[Severity, timedelta]) -> PlannedNudge | None:
    """The next of the nudges proper (cadence, committed time or the bot-log note), before working time."""
    if state.log_noted:
        return None
    if state.next_update_at is not None and not state.next_update_nudged:
        due = max(as_utc(state.next_update_at), state.as_of)
        # A commitment recorded without its author goes to the owner, who answers for the incident.
        to = state.next_update_by if state.next_update_by is not None else state.owner_id
        kind = NudgeKind.NEXT_UPDATE_DUE
    else:
        every = cadence[state.severity]
        if every <= timedelta(0):
            raise ValueError(f"the {state.severity} cadence must be positive, got {every}")
        due, kind, to = state.as_of + every, NudgeKind.CADENCE, state.owner_id
    if to is not None and is_pseudonym(to):
        return None  # a forgotten member is nudged no more; the incident waits for a coordinator to take it over
    if state.consecutive_nudges >= MAX_NUDGES_IN_A_ROW:
        return PlannedNudge(NudgeKind.LOG_NOTE, due, None, counts_as_nudge=False)
    return PlannedNudge(kind, due, to, counts_as_nudge=True)


def _eta_reminder(state: NudgeState) -> PlannedNudge | None:
    if state.eta is None or state.eta_reminded or is_pseudonym(state.owner_id):
        return None
    due = max(as_utc(state.eta), state.as_of)
    return PlannedNudge(NudgeKind.ETA_PASSED, due, state.owner_id, counts_as_nudge=False)


def planned_nudges(
    state: NudgeState, *, cadence: Mapping[Severity, timedelta] = DEFAULT_CADENCE, working: WorkingTime
) -> list[PlannedNudge]:
    """Everything planned for the incident, soonest first: at most one nudge (or the bot-log note) and at most
    one ETA reminder. Empty once the incident is resolved or cancelled."""
    if not state.status.is_open:
        return []
    plans = [plan for plan in (_nudge_line(state, cadence), _eta_reminder(state)) if plan is not None]
    if state.severity != Severity.CRITICAL:
        plans = [replace(plan, due_at=as_utc(working.next_start(plan.due_at))) for plan in plans]
    return sorted(plans, key=lambda plan: (plan.due_at, _ORDER[plan.kind]))


def next_nudge(
    state: NudgeState, *, cadence: Mapping[Severity, timedelta] = DEFAULT_CADENCE, working: WorkingTime
) -> PlannedNudge | None:
    """The soonest of `planned_nudges`, or None when nothing is planned."""
    plans = planned_nudges(state, cadence=cadence, working=working)
    return plans[0] if plans else None


def due_now(
    state: NudgeState,
    now: datetime,
    *,
    cadence: Mapping[Severity, timedelta] = DEFAULT_CADENCE,
    working: WorkingTime,
) -> list[PlannedNudge]:
    """What to send when a timer fires at `now`, from the facts as they are then (a stale timer sends nothing).

    Send them in order, applying `after_nudge_sent` after each: sending one may make the next due later.
    """
    instant = as_utc(now)
    return [plan for plan in planned_nudges(state, cadence=cadence, working=working) if plan.due_at <= instant]


def after_nudge_sent(state: NudgeState, planned: PlannedNudge, sent_at: datetime) -> NudgeState:
    """The facts once `planned` was sent at `sent_at` (the cadence counts from there, not from when it was due)."""
    sent = as_utc(sent_at)
    if planned.kind == NudgeKind.ETA_PASSED:
        return replace(state, eta_reminded=True)
    if planned.kind == NudgeKind.LOG_NOTE:
        return replace(state, log_noted=True)
    counted = replace(state, last_nudge_at=sent, consecutive_nudges=state.consecutive_nudges + 1)
    if planned.kind == NudgeKind.NEXT_UPDATE_DUE:
        return replace(counted, next_update_nudged=True)
    return counted
