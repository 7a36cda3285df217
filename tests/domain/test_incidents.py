from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.incidents.rules.model import OPEN_STATUSES, Severity, Status, TransitionError, check_transition, transition
from tests.domain.outage_examples import cerp_declared, paris

AT = paris(2024, 10, 20, 9)


def test_severity_order() -> None:
    assert Severity.MINOR.is_raised_to(Severity.MAJOR)
    assert Severity.MAJOR.is_raised_to(Severity.CRITICAL)
    assert Severity.MINOR.is_raised_to(Severity.CRITICAL)
    assert not Severity.CRITICAL.is_raised_to(Severity.MAJOR)
    assert not Severity.MAJOR.is_raised_to(Severity.MAJOR)


@pytest.mark.parametrize("current", sorted(OPEN_STATUSES))
@pytest.mark.parametrize("to", sorted(OPEN_STATUSES))
def test_open_statuses_move_either_way(current: Status, to: Status) -> None:
    incident = replace(cerp_declared().incident, status=current)
    if current == to:
        with pytest.raises(TransitionError) as raised:
            transition(incident, to, at=AT)
        assert raised.value.message_id == "incident.error.same_status"
    else:
        moved = transition(incident, to, at=AT)
        assert moved.status == to
        assert moved.updated_at == AT
        assert moved.resolved_at is None


@pytest.mark.parametrize("current", sorted(OPEN_STATUSES))
def test_resolve_and_cancel_from_any_open_status(current: Status) -> None:
    incident = replace(cerp_declared().incident, status=current)
    resolved = transition(incident, Status.RESOLVED, at=AT)
    assert resolved.resolved_at == AT
    assert resolved.next_update_at is None
    cancelled = transition(incident, Status.CANCELLED, at=AT)
    assert cancelled.cancelled_at == AT


def test_reopen_clears_the_resolution_and_counts() -> None:
    resolved = transition(cerp_declared().incident, Status.RESOLVED, at=AT)
    reopened = transition(resolved, Status.MONITORING, at=paris(2024, 10, 21, 9))
    assert reopened.status == Status.MONITORING
    assert reopened.resolved_at is None
    assert reopened.reopen_count == 1


@pytest.mark.parametrize(
    ("current", "to", "message_id"),
    [
        (Status.RESOLVED, Status.RESOLVED, "incident.error.already_resolved"),
        (Status.RESOLVED, Status.CANCELLED, "incident.error.cancel_resolved"),
        (Status.CANCELLED, Status.CANCELLED, "incident.error.already_cancelled"),
        (Status.CANCELLED, Status.INVESTIGATING, "incident.error.cancelled_final"),
        (Status.CANCELLED, Status.RESOLVED, "incident.error.cancelled_final"),
    ],
)
def test_refused_transitions(current: Status, to: Status, message_id: str) -> None:
    with pytest.raises(TransitionError) as raised:
        check_transition(current, to)
    assert raised.value.message_id == message_id


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_the_rules_in_one_table(current: Status, to: Status) -> None:
    allowed = current != to and (current.is_open or (current == Status.RESOLVED and to.is_open))
    try:
        check_transition(current, to)
    except TransitionError:
        assert not allowed
    else:
        assert allowed


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        transition(cerp_declared().incident, Status.IDENTIFIED, at=datetime(2024, 10, 20, 9))


def test_label_and_service_lookup() -> None:
    incident = cerp_declared().incident
    assert incident.label == "#42"
    assert incident.service("livraisons") is not None
    assert incident.service("facturation") is None
