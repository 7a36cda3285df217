"""The nudge rules, checked by simulating the scenarios' timelines: plan → send when due → plan again, with the
scenarios' updates applied when they happen. Expected times are the scenarios' own lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.i18n import LANGUAGES
from bot.common.i18n.catalogue import default_catalogue, placeholders
from bot.common.working_time import WorkingTime
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Cause, Incident, Severity, Status
from bot.reminders.rules.nudges import (
    DEFAULT_CADENCE,
    MAX_NUDGES_IN_A_ROW,
    NUDGE_MESSAGES,
    NudgeKind,
    NudgeState,
    PlannedNudge,
    after_nudge_sent,
    cadence_from_minutes,
    due_now,
    last_news_at,
    next_nudge,
    planned_nudges,
)
from bot.reminders.rules.reminders import as_utc

PARIS = ZoneInfo("Europe/Paris")
WORKING = WorkingTime()
ANNE, YANN = 101, 102

CADENCE = NudgeKind.CADENCE
NEXT_UPDATE = NudgeKind.NEXT_UPDATE_DUE
LOG_NOTE = NudgeKind.LOG_NOTE
ETA = NudgeKind.ETA_PASSED


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# --- the simulator ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something a person does at `at` (an update, a resolution) that changes the facts."""

    at: datetime
    apply: Callable[[NudgeState], NudgeState]
    closes: bool = False


@dataclass(frozen=True)
class Sent:
    kind: NudgeKind
    at: datetime
    to: int | None

    def __repr__(self) -> str:  # readable failures: Paris wall clock
        return f"Sent({self.kind.value}, {self.at.astimezone(PARIS):%a %d/%m %H:%M}, {self.to})"


def after_update(
    state: NudgeState,
    update_at: datetime,
    next_update_at: datetime | None,
    next_update_by: int | None,
    eta: datetime | None,
) -> NudgeState:
    """The facts after a news update at `update_at`, as the nudge use case reads them back from the incident and
    its bookkeeping (bot/reminders/use_cases/nudging.py `state_of`): the count starts again, the update's
    commitment replaces the previous one (None ends it), and a new ETA is asked about again."""
    when = max(as_utc(update_at), as_utc(state.last_update_at))
    same_eta = eta is not None and state.eta is not None and as_utc(eta) == as_utc(state.eta)
    return replace(
        state,
        last_update_at=when,
        consecutive_nudges=0,
        log_noted=False,
        next_update_at=next_update_at,
        next_update_by=next_update_by if next_update_at is not None else None,
        next_update_nudged=False,
        eta=eta,
        eta_reminded=state.eta_reminded and same_eta,
    )


def update(
    at: datetime, *, next_update_at: datetime | None = None, by: int | None = None, eta: datetime | None = None
) -> Event:
    return Event(at, lambda state: after_update(state, at, next_update_at, by, eta))


def close(at: datetime, status: Status) -> Event:
    return Event(at, lambda state: replace(state, status=status), closes=True)


def simulate(
    state: NudgeState,
    events: Sequence[Event],
    *,
    until: datetime,
    delay: Callable[[PlannedNudge], timedelta] = lambda _: timedelta(0),
    working: WorkingTime = WORKING,
    cadence: dict[Severity, timedelta] | None = None,
    check: Callable[[NudgeState, list[PlannedNudge]], None] | None = None,
) -> list[Sent]:
    """Plan, send the soonest when it is due (plus `delay`), apply events as their time comes; until `until`."""
    pending = sorted(events, key=lambda e: e.at)
    sent: list[Sent] = []
    for _ in range(10_000):
        plans = planned_nudges(state, cadence=cadence or DEFAULT_CADENCE, working=working)
        if check is not None:
            check(state, plans)
        soonest = plans[0] if plans else None
        # A person acting at the very minute a nudge is due acts first: the nudge is then stale.
        if pending and (soonest is None or pending[0].at <= soonest.due_at + delay(soonest)):
            state = pending.pop(0).apply(state)
            continue
        if soonest is None:
            return sent
        sent_at = soonest.due_at + delay(soonest)
        if sent_at > until:
            return sent
        sent.append(Sent(soonest.kind, sent_at, soonest.to_user_id))
        state = after_nudge_sent(state, soonest, sent_at)
    raise AssertionError("the simulation does not end")


def declared(
    at: datetime, severity: Severity, owner: int, *, eta: datetime | None = None, status: Status = Status.INVESTIGATING
) -> NudgeState:
    return NudgeState(severity=severity, status=status, owner_id=owner, last_update_at=at, eta=eta)


# --- the scenarios ----------------------------------------------------------------------------------------


def test_cerp_critical_nudges_any_hour_with_a_committed_time_and_an_eta() -> None:
    # Sat 19/10 12:40: declared critical by anne, ETA "lundi matin" = Mon 21/10 09:00.
    state = declared(paris(2024, 10, 19, 12, 40), Severity.CRITICAL, ANNE, eta=paris(2024, 10, 21, 9, 0))
    eta = paris(2024, 10, 21, 9, 0)
    events = [
        # Sat 20:10, yann: note, next update "demain 10h".
        update(paris(2024, 10, 19, 20, 10), next_update_at=paris(2024, 10, 20, 10, 0), by=YANN, eta=eta),
        # Mon 08:30, anne: status, services and workaround; the ETA stays.
        update(paris(2024, 10, 21, 8, 30), eta=eta),
        close(paris(2024, 10, 22, 11, 0), Status.RESOLVED),
    ]
    sent = simulate(state, events, until=paris(2024, 10, 31, 0, 0))
    assert sent == [
        Sent(CADENCE, paris(2024, 10, 19, 13, 40), ANNE),
        Sent(CADENCE, paris(2024, 10, 19, 14, 40), ANNE),
        Sent(CADENCE, paris(2024, 10, 19, 15, 40), ANNE),
        Sent(LOG_NOTE, paris(2024, 10, 19, 16, 40), None),
        Sent(NEXT_UPDATE, paris(2024, 10, 20, 10, 0), YANN),
        Sent(CADENCE, paris(2024, 10, 20, 11, 0), ANNE),
        Sent(CADENCE, paris(2024, 10, 20, 12, 0), ANNE),
        Sent(LOG_NOTE, paris(2024, 10, 20, 13, 0), None),
        Sent(ETA, paris(2024, 10, 21, 9, 0), ANNE),
        Sent(CADENCE, paris(2024, 10, 21, 9, 30), ANNE),
        Sent(CADENCE, paris(2024, 10, 21, 10, 30), ANNE),
        Sent(CADENCE, paris(2024, 10, 21, 11, 30), ANNE),
        Sent(LOG_NOTE, paris(2024, 10, 21, 12, 30), None),
    ]


def test_octave_major_nudges_wait_for_working_hours() -> None:
    # Mon 19/08/2024 15:00: declared major by yann, no ETA.
    state = declared(paris(2024, 8, 19, 15, 0), Severity.MAJOR, YANN)
    events = [
        # Fri 23/08 10:00: status, workaround, services, ETA "mi-septembre" = Sun 15/09 09:00.
        update(paris(2024, 8, 23, 10, 0), eta=paris(2024, 9, 15, 9, 0)),
        close(paris(2024, 9, 18, 17, 0), Status.RESOLVED),
    ]
    sent = simulate(state, events, until=paris(2024, 9, 30, 0, 0))
    assert sent[:4] == [
        Sent(CADENCE, paris(2024, 8, 20, 9, 0), YANN),  # 15:00 + 4 h = 19:00, outside
        Sent(CADENCE, paris(2024, 8, 20, 13, 0), YANN),
        Sent(CADENCE, paris(2024, 8, 20, 17, 0), YANN),
        Sent(LOG_NOTE, paris(2024, 8, 21, 9, 0), None),  # 21:00 is outside
    ]
    # After Friday's update (not in the scenario, from the same rules): 14:00, 18:00, then 22:00 → Monday
    # 09:00, and the note at 13:00; the ETA fell on a Sunday, asked about on Monday 16/09 at 09:00.
    assert sent[4:] == [
        Sent(CADENCE, paris(2024, 8, 23, 14, 0), YANN),
        Sent(CADENCE, paris(2024, 8, 23, 18, 0), YANN),
        Sent(CADENCE, paris(2024, 8, 26, 9, 0), YANN),
        Sent(LOG_NOTE, paris(2024, 8, 26, 13, 0), None),
        Sent(ETA, paris(2024, 9, 16, 9, 0), YANN),
    ]


# --- one rule at a time -----------------------------------------------------------------------------------


def test_the_cadence_counts_from_when_the_nudge_was_actually_sent() -> None:
    state = declared(paris(2024, 8, 19, 9, 0), Severity.MAJOR, YANN)
    late = timedelta(minutes=25)  # the bot was down, or the worker behind
    sent = simulate(state, [], until=paris(2024, 8, 19, 18, 0), delay=lambda _: late)
    assert [s.at for s in sent] == [paris(2024, 8, 19, 13, 25), paris(2024, 8, 19, 17, 50)]


def test_each_severity_has_its_cadence_and_the_configured_one_wins() -> None:
    start = paris(2024, 8, 19, 9, 0)
    for severity, expected in [
        (Severity.CRITICAL, paris(2024, 8, 19, 10, 0)),
        (Severity.MAJOR, paris(2024, 8, 19, 13, 0)),
        (Severity.MINOR, paris(2024, 8, 20, 9, 0)),
    ]:
        plan = next_nudge(declared(start, severity, ANNE), working=WORKING)
        assert plan is not None and plan.due_at == expected
    custom = cadence_from_minutes({"major": 90})
    assert custom[Severity.MAJOR] == timedelta(minutes=90)
    assert custom[Severity.CRITICAL] == DEFAULT_CADENCE[Severity.CRITICAL]
    plan = next_nudge(declared(start, Severity.MAJOR, ANNE), cadence=custom, working=WORKING)
    assert plan is not None and plan.due_at == paris(2024, 8, 19, 10, 30)


def test_a_cadence_that_is_not_positive_is_refused() -> None:
    state = declared(paris(2024, 8, 19, 9, 0), Severity.MAJOR, ANNE)
    with pytest.raises(ValueError, match="positive"):
        planned_nudges(state, cadence={**DEFAULT_CADENCE, Severity.MAJOR: timedelta(0)}, working=WORKING)


def test_a_committed_time_far_ahead_replaces_the_cadence_and_goes_to_whoever_committed() -> None:
    start = paris(2024, 10, 19, 12, 0)
    state = after_update(declared(start, Severity.CRITICAL, ANNE), start, paris(2024, 10, 19, 18, 0), YANN, None)
    assert planned_nudges(state, working=WORKING) == [
        PlannedNudge(NEXT_UPDATE, paris(2024, 10, 19, 18, 0), YANN, counts_as_nudge=True)
    ]


def test_a_committed_time_sooner_than_the_cadence_is_nudged_then_the_cadence_resumes_from_it() -> None:
    start = paris(2024, 10, 19, 12, 0)
    events = [update(start, next_update_at=paris(2024, 10, 19, 12, 20), by=YANN)]
    sent = simulate(declared(start, Severity.CRITICAL, ANNE), events, until=paris(2024, 10, 19, 14, 30))
    assert sent == [
        Sent(NEXT_UPDATE, paris(2024, 10, 19, 12, 20), YANN),
        Sent(CADENCE, paris(2024, 10, 19, 13, 20), ANNE),
        Sent(CADENCE, paris(2024, 10, 19, 14, 20), ANNE),
    ]


def test_a_commitment_without_its_author_goes_to_the_owner() -> None:
    start = paris(2024, 10, 19, 12, 0)
    state = after_update(declared(start, Severity.CRITICAL, ANNE), start, paris(2024, 10, 19, 15, 0), None, None)
    plan = next_nudge(state, working=WORKING)
    assert plan is not None and (plan.kind, plan.to_user_id) == (NEXT_UPDATE, ANNE)


def test_an_update_before_the_committed_time_ends_the_commitment() -> None:
    start = paris(2024, 10, 19, 12, 0)
    committed = after_update(declared(start, Severity.CRITICAL, ANNE), start, paris(2024, 10, 19, 18, 0), YANN, None)
    kept = after_update(committed, paris(2024, 10, 19, 13, 0), None, None, None)
    assert planned_nudges(kept, working=WORKING) == [
        PlannedNudge(CADENCE, paris(2024, 10, 19, 14, 0), ANNE, counts_as_nudge=True)
    ]


def test_a_non_critical_commitment_outside_working_hours_waits() -> None:
    start = paris(2024, 8, 23, 10, 0)  # Friday
    state = after_update(declared(start, Severity.MAJOR, ANNE), start, paris(2024, 8, 24, 10, 0), YANN, None)
    plan = next_nudge(state, working=WORKING)
    assert plan is not None and (plan.kind, plan.due_at) == (NEXT_UPDATE, paris(2024, 8, 26, 9, 0))


def test_three_nudges_then_one_log_note_then_silence_until_an_update() -> None:
    start = paris(2024, 10, 19, 12, 0)
    sent = simulate(declared(start, Severity.CRITICAL, ANNE), [], until=paris(2024, 10, 26, 0, 0))
    assert [s.kind for s in sent] == [CADENCE] * MAX_NUDGES_IN_A_ROW + [LOG_NOTE]
    assert sent[-1].to is None
    # An update starts the count again.
    again = simulate(
        declared(start, Severity.CRITICAL, ANNE),
        [update(paris(2024, 10, 20, 9, 0))],
        until=paris(2024, 10, 26, 0, 0),
    )
    assert [s.kind for s in again] == ([CADENCE] * MAX_NUDGES_IN_A_ROW + [LOG_NOTE]) * 2
    assert again[4].at == paris(2024, 10, 20, 10, 0)


def test_the_eta_reminder_is_not_a_nudge_and_is_not_hidden_by_the_cadence() -> None:
    start = paris(2024, 10, 21, 8, 30)
    state = declared(start, Severity.CRITICAL, ANNE, eta=paris(2024, 10, 21, 9, 0))
    plans = planned_nudges(state, working=WORKING)
    assert plans == [
        PlannedNudge(ETA, paris(2024, 10, 21, 9, 0), ANNE, counts_as_nudge=False),
        PlannedNudge(CADENCE, paris(2024, 10, 21, 9, 30), ANNE, counts_as_nudge=True),
    ]
    reminded = after_nudge_sent(state, plans[0], paris(2024, 10, 21, 9, 0))
    assert (reminded.consecutive_nudges, reminded.last_nudge_at, reminded.eta_reminded) == (0, None, True)
    assert [p.kind for p in planned_nudges(reminded, working=WORKING)] == [CADENCE]


def test_the_eta_reminder_comes_after_the_nudge_due_at_the_same_time() -> None:
    start = paris(2024, 10, 21, 8, 0)
    state = declared(start, Severity.CRITICAL, ANNE, eta=paris(2024, 10, 21, 9, 0))
    assert [p.kind for p in planned_nudges(state, working=WORKING)] == [CADENCE, ETA]


def test_the_eta_reminder_survives_the_log_note() -> None:
    start = paris(2024, 10, 19, 12, 0)
    state = declared(start, Severity.CRITICAL, ANNE, eta=paris(2024, 10, 21, 9, 0))
    sent = simulate(state, [], until=paris(2024, 10, 30, 0, 0))
    assert [s.kind for s in sent] == [CADENCE, CADENCE, CADENCE, LOG_NOTE, ETA]


def test_a_new_eta_is_asked_about_again_the_same_eta_is_not() -> None:
    start = paris(2024, 10, 21, 8, 0)
    state = declared(start, Severity.CRITICAL, ANNE, eta=paris(2024, 10, 21, 9, 0))
    eta_plan = planned_nudges(state, working=WORKING)[-1]
    reminded = after_nudge_sent(state, eta_plan, paris(2024, 10, 21, 9, 0))
    same = after_update(reminded, paris(2024, 10, 21, 9, 5), None, None, paris(2024, 10, 21, 9, 0))
    assert ETA not in [p.kind for p in planned_nudges(same, working=WORKING)]
    moved = after_update(reminded, paris(2024, 10, 21, 9, 5), None, None, paris(2024, 10, 21, 14, 0))
    assert PlannedNudge(ETA, paris(2024, 10, 21, 14, 0), ANNE, False) in planned_nudges(moved, working=WORKING)
    cleared = after_update(reminded, paris(2024, 10, 21, 9, 5), None, None, None)
    assert ETA not in [p.kind for p in planned_nudges(cleared, working=WORKING)]


def test_an_eta_that_passed_before_an_update_is_asked_about_at_once_not_in_the_past() -> None:
    eta = paris(2024, 10, 21, 9, 0)
    state = declared(paris(2024, 10, 21, 8, 0), Severity.CRITICAL, ANNE, eta=eta)
    later = after_update(state, paris(2024, 10, 21, 9, 40), None, None, eta)
    assert planned_nudges(later, working=WORKING)[0] == PlannedNudge(ETA, paris(2024, 10, 21, 9, 40), ANNE, False)


def test_a_non_critical_nudge_due_at_seven_pm_sharp_waits_and_one_just_before_does_not() -> None:
    at_seven = next_nudge(declared(paris(2024, 8, 19, 15, 0), Severity.MAJOR, ANNE), working=WORKING)
    assert at_seven is not None and at_seven.due_at == paris(2024, 8, 20, 9, 0)
    before = next_nudge(declared(paris(2024, 8, 19, 14, 59), Severity.MAJOR, ANNE), working=WORKING)
    assert before is not None and before.due_at == paris(2024, 8, 19, 18, 59)


def test_a_non_critical_nudge_waits_over_public_holidays() -> None:
    # Minor, declared Wednesday 14/08/2024 10:00: due Thursday 15/08 (Assumption) → Friday 09:00.
    plan = next_nudge(declared(paris(2024, 8, 14, 10, 0), Severity.MINOR, ANNE), working=WORKING)
    assert plan is not None and plan.due_at == paris(2024, 8, 16, 9, 0)
    # Minor, declared Tuesday 31/12/2024 10:00: due New Year's Day → Thursday 2 January 2025 09:00.
    plan = next_nudge(declared(paris(2024, 12, 31, 10, 0), Severity.MINOR, ANNE), working=WORKING)
    assert plan is not None and plan.due_at == paris(2025, 1, 2, 9, 0)


def test_a_critical_incident_ignores_working_time() -> None:
    sunday_night = paris(2024, 8, 18, 2, 0)
    plan = next_nudge(declared(sunday_night, Severity.CRITICAL, ANNE), working=WORKING)
    assert plan is not None and plan.due_at == paris(2024, 8, 18, 3, 0)


def test_the_cadence_is_real_time_across_the_autumn_clock_change() -> None:
    start = datetime(2024, 10, 27, 1, 30, tzinfo=PARIS)  # +02:00, before the clocks go back at 03:00
    sent = simulate(declared(start, Severity.CRITICAL, ANNE), [], until=paris(2024, 10, 28, 0, 0))
    assert [s.at.astimezone(UTC) for s in sent] == [datetime(2024, 10, 27, h, 30, tzinfo=UTC) for h in (0, 1, 2, 3)]
    # On the wall clock: 02:30 summer time, 02:30 winter time, 03:30 winter time.
    assert [s.at.astimezone(PARIS).strftime("%H:%M%z") for s in sent[:3]] == ["02:30+0200", "02:30+0100", "03:30+0100"]


def test_a_major_incident_over_the_clock_change_weekend_is_nudged_at_nine_on_monday() -> None:
    plan = next_nudge(declared(paris(2024, 10, 25, 16, 0), Severity.MAJOR, ANNE), working=WORKING)
    assert plan is not None and plan.due_at == datetime(2024, 10, 28, 8, 0, tzinfo=UTC)  # 09:00 at +01:00


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CANCELLED])
def test_nothing_is_planned_for_a_closed_incident(status: Status) -> None:
    state = declared(paris(2024, 8, 19, 9, 0), Severity.CRITICAL, ANNE, eta=paris(2024, 8, 19, 9, 30))
    state = after_update(state, paris(2024, 8, 19, 9, 0), paris(2024, 8, 19, 9, 10), YANN, state.eta)
    assert planned_nudges(state, working=WORKING) != []
    closed = replace(state, status=status)
    assert planned_nudges(closed, working=WORKING) == []
    assert next_nudge(closed, working=WORKING) is None


def test_a_reopened_incident_is_nudged_again_from_the_reopening() -> None:
    start = paris(2024, 10, 19, 12, 0)
    events = [close(paris(2024, 10, 19, 12, 30), Status.RESOLVED)]
    reopened = Event(
        paris(2024, 10, 19, 18, 0),
        lambda s: replace(after_update(s, paris(2024, 10, 19, 18, 0), None, None, None), status=Status.INVESTIGATING),
    )
    sent = simulate(declared(start, Severity.CRITICAL, ANNE), [*events, reopened], until=paris(2024, 10, 19, 19, 30))
    assert sent == [Sent(CADENCE, paris(2024, 10, 19, 19, 0), ANNE)]


def test_due_now_sends_what_is_due_and_a_stale_timer_sends_nothing() -> None:
    start = paris(2024, 10, 19, 12, 0)
    state = declared(start, Severity.CRITICAL, ANNE, eta=paris(2024, 10, 19, 13, 0))
    assert due_now(state, paris(2024, 10, 19, 12, 59), working=WORKING) == []
    assert [p.kind for p in due_now(state, paris(2024, 10, 19, 13, 0), working=WORKING)] == [CADENCE, ETA]
    # The timer planned for 13:00 fires after an update at 12:50 that moved the ETA: nothing is due any more.
    updated = after_update(state, paris(2024, 10, 19, 12, 50), None, None, paris(2024, 10, 19, 16, 0))
    assert due_now(updated, paris(2024, 10, 19, 13, 0), working=WORKING) == []


def test_last_news_ignores_bookkeeping_entries() -> None:
    declared_at = paris(2024, 10, 19, 12, 40)
    entries = [
        Update(UpdateKind.DECLARED, declared_at, ANNE),
        Update(UpdateKind.NOTE, paris(2024, 10, 19, 20, 10), YANN),
        Update(UpdateKind.AFFECTED, paris(2024, 10, 19, 21, 0), 7),
        Update(UpdateKind.EDITED, paris(2024, 10, 19, 21, 5), ANNE),
        Update(UpdateKind.ASSIGNED, paris(2024, 10, 19, 21, 10), ANNE),
    ]
    assert last_news_at(entries) == paris(2024, 10, 19, 20, 10)
    assert last_news_at(entries[2:]) is None


def test_the_state_from_an_incident() -> None:
    incident = Incident(
        guild_id=1,
        number=42,
        title="Cerp",
        sector="pharmacie",
        territories=("R53",),
        severity=Severity.CRITICAL,
        cause=Cause.CYBERATTACK_SUSPECTED,
        status=Status.IDENTIFIED,
        started_at=paris(2024, 10, 19, 12, 0),
        declared_at=paris(2024, 10, 19, 12, 40),
        declared_by=ANNE,
        owner_id=ANNE,
        updated_at=paris(2024, 10, 19, 20, 10),
        eta=paris(2024, 10, 21, 9, 0),
        next_update_at=paris(2024, 10, 20, 10, 0),
        next_update_by=YANN,
    )
    state = NudgeState.of_incident(incident, last_update_at=paris(2024, 10, 19, 20, 10))
    assert (state.severity, state.status, state.owner_id) == (Severity.CRITICAL, Status.IDENTIFIED, ANNE)
    assert (state.eta, state.next_update_at, state.next_update_by) == (incident.eta, incident.next_update_at, YANN)
    plan = next_nudge(state, working=WORKING)
    assert plan is not None
    assert (plan.kind, plan.due_at, plan.to_user_id) == (NEXT_UPDATE, incident.next_update_at, YANN)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2024, 10, 19, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        planned_nudges(declared(naive, Severity.CRITICAL, ANNE), working=WORKING)


def test_every_kind_has_a_message_with_who_and_incident_in_both_languages() -> None:
    catalogue = default_catalogue()
    for kind in NudgeKind:
        message_id = PlannedNudge(kind, paris(2024, 1, 1, 9), ANNE, True).message_id
        assert message_id == NUDGE_MESSAGES[kind]
        for language in LANGUAGES:
            assert {"who", "incident"} <= placeholders(catalogue.raw(language, message_id))


# --- properties -------------------------------------------------------------------------------------------

START = datetime(2024, 1, 1, tzinfo=UTC)
NIGHT_SHIFT = WorkingTime(days=frozenset({7}), start=time(3, 0), end=time(4, 0), holidays_country=None)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[NudgeState, list[Event], datetime, dict[Severity, timedelta], timedelta]:
    """A declaration, some updates (with or without a commitment or an ETA), maybe a closing; random cadences
    and a random lateness of the sends."""
    severity = draw(st.sampled_from(list(Severity)))
    declared_at = START + timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))
    cadence = {s: timedelta(minutes=draw(st.integers(10, 48 * 60))) for s in Severity}

    def offset(low: int, high: int) -> timedelta:
        return timedelta(minutes=draw(st.integers(low, high)))

    eta = declared_at + offset(1, 10 * 24 * 60) if draw(st.booleans()) else None
    state = declared(declared_at, severity, ANNE, eta=eta)
    events: list[Event] = []
    at = declared_at
    for _ in range(draw(st.integers(0, 4))):
        at = at + offset(1, 5 * 24 * 60)
        next_update_at = at + offset(1, 3 * 24 * 60) if draw(st.booleans()) else None
        if draw(st.booleans()):
            eta = at + offset(1, 10 * 24 * 60)
        events.append(update(at, next_update_at=next_update_at, by=YANN, eta=eta))
    until = at + timedelta(days=20)
    if draw(st.booleans()):
        closed_at = at + offset(1, 10 * 24 * 60)
        events.append(close(closed_at, draw(st.sampled_from([Status.RESOLVED, Status.CANCELLED]))))
    return state, events, until, cadence, offset(0, 90)


def _raw_due(state: NudgeState, plan: PlannedNudge, cadence: dict[Severity, timedelta]) -> datetime:
    """When the issue's rule puts `plan`, before working time."""
    if plan.kind == ETA:
        assert state.eta is not None
        return max(state.eta, state.as_of)
    if plan.kind == NEXT_UPDATE or (plan.kind == LOG_NOTE and state.next_update_at and not state.next_update_nudged):
        assert state.next_update_at is not None
        return max(state.next_update_at, state.as_of)
    return state.as_of + cadence[state.severity]


@settings(max_examples=200, deadline=None)
@given(timelines())
def test_simulated_timelines_keep_the_rules(
    timeline: tuple[NudgeState, list[Event], datetime, dict[Severity, timedelta], timedelta],
) -> None:
    state, events, until, cadence, lateness = timeline

    def check(current: NudgeState, plans: list[PlannedNudge]) -> None:
        if not current.status.is_open:
            assert plans == []
        assert [p.due_at for p in plans] == sorted(p.due_at for p in plans)
        assert len([p for p in plans if p.kind != ETA]) <= 1 and len([p for p in plans if p.kind == ETA]) <= 1
        for plan in plans:
            # Never back in time.
            assert plan.due_at >= current.as_of
            if current.severity == Severity.CRITICAL:
                # Never delayed: exactly where the rule puts it, whatever the working time.
                assert plan.due_at == _raw_due(current, plan, cadence)
                assert plans == planned_nudges(current, cadence=cadence, working=NIGHT_SHIFT)
            else:
                assert WORKING.is_working(plan.due_at)
                assert plan.due_at == WORKING.next_start(_raw_due(current, plan, cadence))

    sent = simulate(state, events, until=until, cadence=cadence, delay=lambda _: lateness, check=check)
    assert [s.at for s in sent] == sorted(s.at for s in sent)
    # Between two updates: at most three nudges, at most one note, and nothing after the note but the ETA.
    bounds = [e.at for e in events] + [until + timedelta(days=1)]
    low = state.last_update_at
    for high in bounds:
        window = [s for s in sent if low <= s.at < high]
        counted = [s for s in window if s.kind in (CADENCE, NEXT_UPDATE)]
        notes = [s for s in window if s.kind == LOG_NOTE]
        assert len(counted) <= MAX_NUDGES_IN_A_ROW
        assert len(notes) <= 1
        if notes:
            assert len(counted) == MAX_NUDGES_IN_A_ROW
            assert all(s.kind == ETA for s in window if s.at > notes[0].at)
        low = high
    # Closed: nothing after.
    closings = [e.at for e in events if e.closes]
    if closings:
        assert all(s.at < closings[0] for s in sent)


@st.composite
def states(draw: st.DrawFn) -> NudgeState:
    """Any facts, consistent or not, with the times near one another so that they interact."""
    last_update_at = START + timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))

    def near(low_days: int, high_days: int) -> datetime:
        return last_update_at + draw(st.timedeltas(timedelta(days=low_days), timedelta(days=high_days)))

    return NudgeState(
        severity=draw(st.sampled_from(list(Severity))),
        status=draw(st.sampled_from(list(Status))),
        owner_id=ANNE,
        last_update_at=last_update_at,
        last_nudge_at=near(0, 3) if draw(st.booleans()) else None,
        consecutive_nudges=draw(st.integers(0, MAX_NUDGES_IN_A_ROW)),
        log_noted=draw(st.booleans()),
        next_update_at=near(-2, 3) if draw(st.booleans()) else None,
        next_update_by=draw(st.none() | st.just(YANN)),
        next_update_nudged=draw(st.booleans()),
        eta=near(-2, 30) if draw(st.booleans()) else None,
        eta_reminded=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(states())
def test_any_state_keeps_the_rules(state: NudgeState) -> None:
    plans = planned_nudges(state, working=WORKING)
    if not state.status.is_open:
        assert plans == []
        return
    for plan in plans:
        assert plan.due_at >= state.as_of
        assert plan.to_user_id is None if plan.kind == LOG_NOTE else plan.to_user_id in (ANNE, YANN)
        assert plan.counts_as_nudge is (plan.kind in (CADENCE, NEXT_UPDATE))
        if state.severity == Severity.CRITICAL:
            assert plan.due_at == _raw_due(state, plan, dict(DEFAULT_CADENCE))
        else:
            assert WORKING.is_working(plan.due_at)
    if state.log_noted:
        assert [p.kind for p in plans] in ([], [ETA])
    if state.consecutive_nudges >= MAX_NUDGES_IN_A_ROW:
        assert not any(p.counts_as_nudge for p in plans)


def test_a_forgotten_owner_is_nudged_no_more_but_a_colleague_who_committed_is() -> None:
    forgotten = -1  # the pseudonym a forget gave the owner's id (bot/privacy/rules.py)
    state = declared(paris(2024, 10, 19, 12, 40), Severity.CRITICAL, forgotten, eta=paris(2024, 10, 21, 9, 0))
    events = [update(paris(2024, 10, 19, 20, 10), next_update_at=paris(2024, 10, 20, 10, 0), by=YANN)]
    sent = simulate(state, events, until=paris(2024, 10, 23, 0, 0))
    assert sent == [Sent(NEXT_UPDATE, paris(2024, 10, 20, 10, 0), YANN)]
