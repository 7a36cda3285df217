from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.formatting import format_duration
from bot.incidents.rules.corrections import EditRequest, edit_facts
from bot.incidents.rules.durations import restored_after, service_durations, total_duration
from bot.incidents.rules.lifecycle import (
    UpdateError,
    UpdateRequest,
    apply_update,
    cancel,
    reopen,
    resolve,
)
from bot.incidents.rules.model import CancelReason, ServiceState
from bot.incidents.rules.service_changes import ServiceChange
from tests.domain.outage_examples import ANNE, angouleme, cerp_declared, cerp_resolved, paris


def test_cerp_total_duration() -> None:
    incident = cerp_resolved().incident
    assert total_duration(incident) == timedelta(days=2, hours=23)
    assert format_duration(total_duration(incident) or timedelta(0), "fr") == "2 j 23 h"


def test_cerp_per_service_durations() -> None:
    story = cerp_resolved()
    by_key = {d.key: d for d in service_durations(story.incident, story.entries)}
    commandes, livraisons = by_key["commandes"], by_key["livraisons"]
    assert format_duration(commandes.downtime, "fr") == "1 j 20 h 30 min"
    assert commandes.degraded_time == timedelta(0)
    assert format_duration(livraisons.downtime, "fr") == "1 j 20 h 30 min"
    assert format_duration(livraisons.degraded_time, "fr") == "1 j 2 h 30 min"
    assert [s.state for s in livraisons.spans] == [ServiceState.DOWN, ServiceState.DEGRADED]
    assert livraisons.spans[-1].end == paris(2024, 10, 22, 11)


def test_angouleme_telephonie_down_2_days_6_hours_while_the_rest_runs_on() -> None:
    story = angouleme()
    now = paris(2023, 7, 29, 12)
    by_name = {d.name: d for d in service_durations(story.incident, story.entries, now=now)}
    assert format_duration(by_name["téléphonie"].downtime, "fr") == "2 j 6 h"
    assert by_name["sites web"].downtime == now - paris(2023, 7, 25, 8)
    assert restored_after(story.incident, "telephonie") == timedelta(days=2, hours=6)
    assert restored_after(story.incident, "messagerie") is None


def test_open_incident_has_no_duration_unless_asked_so_far() -> None:
    incident = angouleme().incident
    assert total_duration(incident) is None
    assert total_duration(incident, now=paris(2023, 7, 26, 8)) == timedelta(days=1)
    with pytest.raises(ValueError, match="now"):
        service_durations(incident, angouleme().entries)


def test_cancelled_incidents_are_out_of_the_figures() -> None:
    story = cerp_declared()
    story.add(cancel(story.incident, CancelReason.FALSE_ALARM, at=paris(2024, 10, 19, 13), by=ANNE))
    assert total_duration(story.incident, now=paris(2024, 10, 20)) is None
    assert service_durations(story.incident, story.entries, now=paris(2024, 10, 20)) == ()


def test_a_reopened_incident_counts_to_its_final_resolution() -> None:
    story = cerp_resolved()
    story.add(reopen(story.incident, at=paris(2024, 10, 23, 9), by=ANNE))
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(service_changes=[ServiceChange("livraisons", ServiceState.DOWN)]),
            at=paris(2024, 10, 23, 10),
            by=ANNE,
        )
    )
    story.add(resolve(story.incident, at=paris(2024, 10, 23, 12), by=ANNE))
    assert total_duration(story.incident) == paris(2024, 10, 23, 12) - paris(2024, 10, 19, 12)
    livraisons = next(d for d in service_durations(story.incident, story.entries) if d.key == "livraisons")
    # Down until Monday 08:30, then down again on Wednesday 10:00–12:00; restored in between.
    assert livraisons.downtime == timedelta(days=1, hours=20, minutes=30) + timedelta(hours=2)
    assert livraisons.degraded_time == timedelta(days=1, hours=2, minutes=30)


def test_a_service_added_later_counts_from_when_it_was_added() -> None:
    story = cerp_declared()
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(service_changes=[ServiceChange("facturation", ServiceState.DEGRADED)]),
            at=paris(2024, 10, 20, 12),
            by=ANNE,
        )
    )
    story.add(resolve(story.incident, at=paris(2024, 10, 21, 12), by=ANNE))
    facturation = next(d for d in service_durations(story.incident, story.entries) if d.key == "facturation")
    assert facturation.degraded_time == timedelta(days=1)
    assert facturation.downtime == timedelta(0)


def test_a_start_corrected_earlier_lengthens_every_duration() -> None:
    story = cerp_resolved()
    story.add(
        edit_facts(story.incident, EditRequest(started_at=paris(2024, 10, 19, 11)), at=paris(2024, 11, 1), by=ANNE)
    )
    assert total_duration(story.incident) == timedelta(days=3)
    commandes = next(d for d in service_durations(story.incident, story.entries) if d.key == "commandes")
    assert commandes.downtime == timedelta(days=1, hours=21, minutes=30)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=5000),
            st.sampled_from(["commandes", "livraisons", "facturation"]),
            st.sampled_from(list(ServiceState)),
        ),
        max_size=8,
    ),
    st.integers(min_value=1, max_value=5000),
)
def test_service_time_never_exceeds_the_incident(
    steps: list[tuple[int, str, ServiceState]], resolve_after: int
) -> None:
    story = cerp_declared()
    at = story.incident.declared_at
    for minutes, name, state in steps:
        at += timedelta(minutes=minutes)
        try:
            story.add(
                apply_update(
                    story.incident, UpdateRequest(service_changes=[ServiceChange(name, state)]), at=at, by=ANNE
                )
            )
        except UpdateError as error:  # the same state again changes nothing; the story goes on
            assert error.message_id == "incident.error.nothing_to_update"
    story.add(resolve(story.incident, at=at + timedelta(minutes=resolve_after), by=ANNE))
    total = total_duration(story.incident)
    assert total is not None
    for service in service_durations(story.incident, story.entries):
        assert timedelta(0) <= service.impaired_time <= total
        assert sum((s.duration for s in service.spans), timedelta(0)) <= total
        starts = [s.start for s in service.spans]
        assert starts == sorted(starts)
