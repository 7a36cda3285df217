from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.errors import TocsinError
from bot.common.territories import TerritoryError
from bot.common.text import FieldError
from bot.incidents.rules.corrections import EditRequest, edit_facts
from bot.incidents.rules.lifecycle import (
    AnnounceReason,
    DeclareRequest,
    UpdateError,
    UpdateKind,
    UpdateRequest,
    apply_update,
    assign,
    cancel,
    declare,
    record_affected,
    reopen,
    resolve,
)
from bot.incidents.rules.model import CancelReason, Cause, Incident, ServiceState, Severity, Status
from bot.incidents.rules.service_changes import ServiceChange
from tests.domain.outage_examples import ANNE, GUILD, YANN, angouleme, cerp_declared, cerp_resolved, paris

LATER = paris(2024, 10, 19, 14)


def open_cerp() -> Incident:
    return cerp_declared().incident


# --- declare ----------------------------------------------------------------------------------------------


def test_cerp_declared() -> None:
    outcome = cerp_declared().outcomes[0]
    incident = outcome.incident
    assert incident.status == Status.INVESTIGATING
    assert incident.number == 42 and incident.guild_id == GUILD
    assert incident.owner_id == ANNE == incident.declared_by
    assert incident.started_at == paris(2024, 10, 19, 12)
    assert incident.declared_at == paris(2024, 10, 19, 12, 40)
    assert incident.territories == ("R53", "R52", "R75")
    assert [(s.name, s.state) for s in incident.services] == [
        ("commandes", ServiceState.DOWN),
        ("livraisons", ServiceState.DOWN),
    ]
    assert all(s.since == s.affected_since == incident.started_at for s in incident.services)
    assert incident.workaround is not None and incident.workaround.version == 1
    assert incident.eta == paris(2024, 10, 21, 9)
    assert [e.kind for e in outcome.entries] == [UpdateKind.DECLARED]
    assert outcome.announce.reasons == (AnnounceReason.DECLARED,)
    assert not outcome.announce.dm_followers


def test_declaration_details_are_json_ready() -> None:
    for entry in cerp_resolved().entries:
        json.dumps(dict(entry.details))


def base_request(**changes: object) -> DeclareRequest:
    request = DeclareRequest(title="Panne", sector="pharmacie", territories=["29"], severity=Severity.MINOR)
    return replace(request, **changes)  # type: ignore[arg-type]


def test_declare_defaults() -> None:
    incident = declare(base_request(), guild_id=GUILD, number=1, at=LATER, by=YANN).incident
    assert incident.started_at == LATER
    assert incident.cause == Cause.UNKNOWN
    assert incident.organisation is None and incident.workaround is None and incident.services == ()


def test_territory_codes_are_stored_as_refs_once() -> None:
    incident = declare(
        base_request(territories=["29", "FR", "r53", "29"]), guild_id=GUILD, number=1, at=LATER, by=YANN
    ).incident
    assert incident.territories == ("29", "FR", "R53")


@pytest.mark.parametrize(
    ("changes", "error", "message_id"),
    [
        ({"title": " "}, FieldError, "incident.error.field_required"),
        ({"title": "x" * 101}, FieldError, "incident.error.field_too_long"),
        ({"sector": ""}, FieldError, "incident.error.field_required"),
        ({"organisation": "x" * 151}, FieldError, "incident.error.field_too_long"),
        ({"workaround": "x" * 1001}, FieldError, "incident.error.field_too_long"),
        ({"territories": []}, UpdateError, "incident.error.territories_required"),
        ({"territories": ["Atlantide"]}, TerritoryError, "territory.error.unknown"),
        ({"started_at": LATER + timedelta(minutes=1)}, UpdateError, "incident.error.start_in_future"),
        ({"eta": LATER}, UpdateError, "incident.error.eta_not_future"),
        ({"next_update_at": LATER - timedelta(hours=1)}, UpdateError, "incident.error.next_update_not_future"),
        ({"services": [f"s{i}" for i in range(21)]}, UpdateError, "incident.error.too_many_services"),
    ],
)
def test_declare_refusals(changes: dict[str, object], error: type[Exception], message_id: str) -> None:
    with pytest.raises(error) as raised:
        declare(base_request(**changes), guild_id=GUILD, number=1, at=LATER, by=YANN)
    assert getattr(raised.value, "message_id", None) == message_id


def test_declared_services_may_start_degraded() -> None:
    incident = declare(
        base_request(services=["commandes", ServiceChange("livraisons", ServiceState.DEGRADED), "Commandes"]),
        guild_id=GUILD,
        number=1,
        at=LATER,
        by=YANN,
    ).incident
    assert [(s.name, s.state) for s in incident.services] == [
        ("commandes", ServiceState.DOWN),
        ("livraisons", ServiceState.DEGRADED),
    ]


# --- update -----------------------------------------------------------------------------------------------


def test_cerp_note_and_next_update_only_edit_the_announcements() -> None:
    story = cerp_resolved()
    outcome = story.outcomes[1]
    assert [e.kind for e in outcome.entries] == [UpdateKind.NEXT_UPDATE_SET, UpdateKind.NOTE]
    assert outcome.announce.edit_only
    assert outcome.announce.edit_announcements and outcome.announce.edit_status_message
    assert outcome.announce.thread_post and outcome.announce.dm_followers and not outcome.announce.silent
    assert outcome.incident.next_update_at == paris(2024, 10, 20, 10)
    assert outcome.incident.next_update_by == YANN
    assert outcome.incident.owner_id == ANNE


def test_cerp_monday_update_changes_both_services_and_announces_the_workaround() -> None:
    outcome = cerp_resolved().outcomes[2]
    incident = outcome.incident
    assert incident.status == Status.MONITORING
    assert [(s.key, s.state, s.since) for s in incident.services] == [
        ("commandes", ServiceState.RESTORED, paris(2024, 10, 21, 8, 30)),
        ("livraisons", ServiceState.DEGRADED, paris(2024, 10, 21, 8, 30)),
    ]
    assert [e.kind for e in outcome.entries] == [
        UpdateKind.STATUS_CHANGED,
        UpdateKind.SERVICES_CHANGED,
        UpdateKind.WORKAROUND_CHANGED,
    ]
    services = outcome.entries[1].details["changes"]
    assert [(c["key"], c["from"], c["to"]) for c in services] == [
        ("commandes", "down", "restored"),
        ("livraisons", "down", "degraded"),
    ]
    assert incident.workaround is not None and incident.workaround.version == 2
    assert outcome.announce.reasons == (AnnounceReason.WORKAROUND_CHANGED,)
    # The update did not renew the promise of a next update made on Saturday: that promise is over.
    assert incident.next_update_at is None and incident.next_update_by is None


def test_angouleme_partial_recovery_keeps_each_service_state() -> None:
    story = angouleme()
    incident = story.outcomes[1].incident
    assert {s.name: s.state for s in incident.services} == {
        "sites web": ServiceState.DOWN,
        "messagerie": ServiceState.DOWN,
        "téléphonie": ServiceState.RESTORED,
    }
    assert story.outcomes[1].announce.edit_only
    assert story.outcomes[1].announce.dm_followers
    assert story.outcomes[2].announce.edit_only


def test_silent_update_posts_without_notifying() -> None:
    outcome = apply_update(open_cerp(), UpdateRequest(note="Rien de neuf.", silent=True), at=LATER, by=ANNE)
    assert outcome.announce.thread_post and outcome.announce.silent
    assert not outcome.announce.dm_followers
    assert all(entry.silent for entry in outcome.entries)


def test_a_new_service_can_be_added_by_an_update() -> None:
    outcome = apply_update(
        open_cerp(), UpdateRequest(service_changes=[ServiceChange("Facturation", ServiceState.DOWN)]), at=LATER, by=ANNE
    )
    service = outcome.incident.service("facturation")
    assert service is not None and service.affected_since == LATER
    assert outcome.entries[0].details["changes"] == [
        {"name": "Facturation", "key": "facturation", "from": None, "to": "down"}
    ]


@pytest.mark.parametrize(
    "request_",
    [
        UpdateRequest(),
        UpdateRequest(status=Status.INVESTIGATING),
        UpdateRequest(service_changes=[ServiceChange("Commandes", ServiceState.DOWN)]),
        UpdateRequest(
            workaround=" " + "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche."
        ),
        UpdateRequest(eta=paris(2024, 10, 21, 9)),
        UpdateRequest(severity=Severity.CRITICAL),
        UpdateRequest(note="   "),
    ],
)
def test_an_update_that_changes_nothing_is_refused(request_: UpdateRequest) -> None:
    with pytest.raises(UpdateError) as raised:
        apply_update(open_cerp(), request_, at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.nothing_to_update"


@pytest.mark.parametrize(
    ("request_", "message_id"),
    [
        (UpdateRequest(status=Status.RESOLVED), "incident.error.update_to_resolved"),
        (UpdateRequest(status=Status.CANCELLED), "incident.error.update_to_cancelled"),
        (UpdateRequest(eta=LATER), "incident.error.eta_not_future"),
        (UpdateRequest(next_update_at=LATER), "incident.error.next_update_not_future"),
        (UpdateRequest(note="x" * 1501), "incident.error.field_too_long"),
    ],
)
def test_update_refusals(request_: UpdateRequest, message_id: str) -> None:
    with pytest.raises((UpdateError, FieldError)) as raised:
        apply_update(open_cerp(), request_, at=LATER, by=ANNE)
    assert raised.value.message_id == message_id


def test_closed_incidents_refuse_updates() -> None:
    resolved = cerp_resolved().incident
    with pytest.raises(UpdateError) as raised:
        apply_update(resolved, UpdateRequest(note="x"), at=paris(2024, 10, 23, 9), by=ANNE)
    assert raised.value.message_id == "incident.error.closed_resolved"
    cancelled = cancel(open_cerp(), CancelReason.FALSE_ALARM, at=LATER, by=ANNE).incident
    with pytest.raises(UpdateError) as raised:
        apply_update(cancelled, UpdateRequest(note="x"), at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.closed_cancelled"


def test_severity_raised_is_news_lowered_is_not() -> None:
    minor = declare(base_request(), guild_id=GUILD, number=1, at=LATER, by=YANN).incident
    raised = apply_update(minor, UpdateRequest(severity=Severity.MAJOR), at=LATER, by=YANN)
    assert raised.announce.reasons == (AnnounceReason.SEVERITY_RAISED,)
    lowered = apply_update(raised.incident, UpdateRequest(severity=Severity.MINOR), at=LATER, by=YANN)
    assert lowered.announce.edit_only


def test_workaround_and_severity_in_one_update_make_one_new_message() -> None:
    minor = declare(base_request(), guild_id=GUILD, number=1, at=LATER, by=YANN).incident
    outcome = apply_update(
        minor, UpdateRequest(severity=Severity.CRITICAL, workaround="Passer par Dilicom."), at=LATER, by=YANN
    )
    assert outcome.announce.new_message
    assert set(outcome.announce.reasons) == {AnnounceReason.SEVERITY_RAISED, AnnounceReason.WORKAROUND_CHANGED}


def test_clear_eta() -> None:
    outcome = apply_update(open_cerp(), UpdateRequest(clear_eta=True), at=LATER, by=ANNE)
    assert outcome.incident.eta is None
    assert outcome.entries[0].details == {"from": paris(2024, 10, 21, 9).isoformat(), "to": None}


# --- resolve, reopen, cancel ------------------------------------------------------------------------------


def test_cerp_resolved() -> None:
    outcome = cerp_resolved().outcomes[-1]
    incident = outcome.incident
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == paris(2024, 10, 22, 11)
    assert incident.resolution_note == "Activité rétablie, livraisons normales."
    assert all(s.state == ServiceState.RESTORED for s in incident.services)
    assert incident.service("commandes").since == paris(2024, 10, 21, 8, 30)  # type: ignore[union-attr]
    assert incident.service("livraisons").since == paris(2024, 10, 22, 11)  # type: ignore[union-attr]
    assert outcome.entries[0].details["services_restored"] == ["livraisons"]
    assert outcome.announce.reasons == (AnnounceReason.RESOLVED,)
    assert outcome.announce.dm_followers and outcome.announce.thread_post


def test_resolving_twice_is_refused() -> None:
    with pytest.raises(TocsinError) as raised:
        resolve(cerp_resolved().incident, at=paris(2024, 10, 23, 9), by=ANNE)
    assert raised.value.message_id == "incident.error.already_resolved"


def test_reopen_is_recorded_and_announced() -> None:
    resolved = cerp_resolved().incident
    outcome = reopen(resolved, note="Les livraisons sont de nouveau bloquées.", at=paris(2024, 10, 23, 9), by=YANN)
    assert outcome.incident.status == Status.INVESTIGATING
    assert outcome.incident.resolved_at is None and outcome.incident.resolution_note is None
    assert outcome.incident.reopen_count == 1
    assert outcome.entries[0].kind == UpdateKind.REOPENED
    assert outcome.announce.reasons == (AnnounceReason.REOPENED,)
    again = resolve(outcome.incident, at=paris(2024, 10, 24, 9), by=YANN).incident
    assert again.resolved_at == paris(2024, 10, 24, 9)
    assert again.started_at == paris(2024, 10, 19, 12)


def test_reopen_refusals() -> None:
    with pytest.raises(TocsinError) as raised:
        reopen(open_cerp(), at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.not_resolved"
    with pytest.raises(TocsinError) as raised:
        reopen(cerp_resolved().incident, to=Status.RESOLVED, at=paris(2024, 10, 23), by=ANNE)
    assert raised.value.message_id == "incident.error.reopen_status"
    cancelled = cancel(open_cerp(), CancelReason.FALSE_ALARM, at=LATER, by=ANNE).incident
    with pytest.raises(TocsinError) as raised:
        reopen(cancelled, at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.cancelled_final"


def test_cancel_as_duplicate() -> None:
    original = open_cerp()
    copy = replace(original, number=43)
    outcome = cancel(copy, CancelReason.DUPLICATE, duplicate_of=original, at=LATER, by=YANN)
    assert outcome.incident.status == Status.CANCELLED
    assert outcome.incident.duplicate_of == 42
    assert outcome.incident.cancelled_reason == CancelReason.DUPLICATE
    assert outcome.entries[0].details == {"reason": "duplicate", "duplicate_of": 42, "text": None}
    assert outcome.announce.edit_only and outcome.announce.thread_post and outcome.announce.dm_followers


@pytest.mark.parametrize(
    ("reason", "other", "message_id"),
    [
        (CancelReason.DUPLICATE, None, "incident.error.duplicate_needed"),
        (CancelReason.DUPLICATE, "self", "incident.error.duplicate_of_self"),
        (CancelReason.DUPLICATE, "other_guild", "incident.error.duplicate_of_self"),
        (CancelReason.DUPLICATE, "cancelled", "incident.error.duplicate_of_cancelled"),
        (CancelReason.FALSE_ALARM, "fine", "incident.error.false_alarm_with_duplicate"),
    ],
)
def test_cancel_refusals(reason: CancelReason, other: str | None, message_id: str) -> None:
    incident = replace(open_cerp(), number=43)
    others = {
        None: None,
        "self": incident,
        "other_guild": replace(incident, guild_id=GUILD + 1, number=42),
        "cancelled": replace(incident, number=41, status=Status.CANCELLED),
        "fine": replace(incident, number=41),
    }
    with pytest.raises(UpdateError) as raised:
        cancel(incident, reason, duplicate_of=others[other], at=LATER, by=ANNE)
    assert raised.value.message_id == message_id


def test_a_resolved_incident_cannot_be_cancelled() -> None:
    with pytest.raises(TocsinError) as raised:
        cancel(cerp_resolved().incident, CancelReason.FALSE_ALARM, at=paris(2024, 10, 23), by=ANNE)
    assert raised.value.message_id == "incident.error.cancel_resolved"


# --- assign, affected -------------------------------------------------------------------------------------


def test_assign_hands_over_and_mentions_only_the_new_owner() -> None:
    outcome = assign(open_cerp(), YANN, at=LATER, by=ANNE)
    assert outcome.incident.owner_id == YANN
    assert outcome.entries[0].details == {"from": ANNE, "to": YANN}
    assert outcome.announce.mention_users == (YANN,)
    assert outcome.announce.silent and not outcome.announce.dm_followers and not outcome.announce.edit_announcements
    with pytest.raises(UpdateError) as raised:
        assign(outcome.incident, YANN, at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.already_owner"


def test_affected_too_counts_and_only_edits() -> None:
    outcome = record_affected(open_cerp(), at=LATER, by=99)
    assert outcome.incident.affected_count == 1
    assert outcome.announce.edit_announcements and outcome.announce.edit_status_message
    assert not outcome.announce.thread_post and not outcome.announce.new_message
    assert not outcome.announce.dm_followers
    assert not outcome.entries[0].kind.is_news
    with pytest.raises(UpdateError):
        record_affected(cerp_resolved().incident, at=paris(2024, 10, 23), by=99)


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_territories_asks_for_rerouting() -> None:
    outcome = edit_facts(open_cerp(), EditRequest(territories=["R53", "R52"]), at=LATER, by=ANNE)
    assert outcome.incident.territories == ("R53", "R52")
    assert outcome.reroute_needed and outcome.territories_changed and not outcome.sector_changed
    assert outcome.entries[0].details == {
        "changes": {"territories": {"from": ["R53", "R52", "R75"], "to": ["R53", "R52"]}}
    }
    assert outcome.announce.edit_only and outcome.announce.silent and not outcome.announce.dm_followers


def test_edit_title_and_clear_organisation() -> None:
    outcome = edit_facts(open_cerp(), EditRequest(title="Cerp BA à l'arrêt", organisation=""), at=LATER, by=ANNE)
    assert outcome.incident.title == "Cerp BA à l'arrêt"
    assert outcome.incident.organisation is None
    assert outcome.title_changed and not outcome.reroute_needed
    assert set(outcome.changed) == {"title", "organisation"}


def test_edit_raising_severity_is_news() -> None:
    minor = declare(base_request(), guild_id=GUILD, number=1, at=LATER, by=YANN).incident
    outcome = edit_facts(minor, EditRequest(severity=Severity.MAJOR, sector="Pharmacie"), at=LATER, by=YANN)
    assert outcome.announce.reasons == (AnnounceReason.SEVERITY_RAISED,)
    assert not outcome.announce.silent and outcome.announce.dm_followers
    assert [e.kind for e in outcome.entries] == [UpdateKind.EDITED, UpdateKind.SEVERITY_CHANGED]
    assert outcome.sector_changed and "severity" in outcome.changed


def test_edit_started_at_moves_the_services_that_started_with_it() -> None:
    earlier = paris(2024, 10, 19, 11)
    outcome = edit_facts(open_cerp(), EditRequest(started_at=earlier), at=LATER, by=ANNE)
    assert all(s.affected_since == earlier == s.since for s in outcome.incident.services)
    with pytest.raises(UpdateError) as raised:
        edit_facts(open_cerp(), EditRequest(started_at=paris(2024, 10, 19, 13)), at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.start_after_declared"


def test_raising_the_severity_of_a_resolved_incident_corrects_the_record_without_pinging() -> None:
    resolved = cerp_resolved().incident
    lower = next(s for s in Severity if s != resolved.severity and s.is_raised_to(resolved.severity))
    lowered = edit_facts(resolved, EditRequest(severity=lower), at=paris(2024, 11, 1), by=ANNE).incident
    outcome = edit_facts(lowered, EditRequest(severity=resolved.severity), at=paris(2024, 11, 2), by=ANNE)
    assert outcome.incident.severity == resolved.severity
    assert outcome.announce.reasons == () and outcome.announce.silent and not outcome.announce.dm_followers
    assert all(entry.silent for entry in outcome.entries)
    # The same correction of an open incident is news, pinged again.
    reopened_minor = edit_facts(open_cerp(), EditRequest(severity=lower), at=LATER, by=ANNE).incident
    raised = edit_facts(reopened_minor, EditRequest(severity=resolved.severity), at=LATER, by=ANNE)
    assert raised.announce.reasons == (AnnounceReason.SEVERITY_RAISED,) and not raised.announce.silent


def test_edit_of_a_resolved_incident_is_allowed_but_not_of_a_cancelled_one() -> None:
    resolved = cerp_resolved().incident
    assert edit_facts(resolved, EditRequest(cause=Cause.CYBERATTACK_CONFIRMED), at=paris(2024, 11, 1), by=ANNE)
    cancelled = cancel(open_cerp(), CancelReason.FALSE_ALARM, at=LATER, by=ANNE).incident
    with pytest.raises(UpdateError) as raised:
        edit_facts(cancelled, EditRequest(title="x"), at=LATER, by=ANNE)
    assert raised.value.message_id == "incident.error.closed_cancelled"


def test_edit_that_changes_nothing_is_refused() -> None:
    with pytest.raises(UpdateError) as raised:
        edit_facts(
            open_cerp(), EditRequest(title="Cerp Bretagne Atlantique à l'arrêt", sector="pharmacie"), at=LATER, by=ANNE
        )
    assert raised.value.message_id == "incident.error.nothing_to_edit"


# --- properties -------------------------------------------------------------------------------------------

states = st.sampled_from(list(ServiceState))
names = st.sampled_from(["commandes", "Commandes", "livraisons", "facturation", "téléphonie", "Telephonie"])


@given(st.lists(st.tuples(names, states), min_size=1, max_size=6), st.booleans())
def test_updates_only_record_real_changes(changes: list[tuple[str, ServiceState]], silent: bool) -> None:
    incident = open_cerp()
    unique: dict[str, ServiceChange] = {}
    for name, state in changes:
        unique.setdefault(name.lower().replace("é", "e"), ServiceChange(name, state))
    request = UpdateRequest(service_changes=list(unique.values()), silent=silent)
    try:
        outcome = apply_update(incident, request, at=LATER, by=ANNE)
    except UpdateError as error:
        assert error.message_id == "incident.error.nothing_to_update"
        assert all((s := incident.service(c.key)) is not None and s.state == c.state for c in unique.values())
        return
    recorded = outcome.entries[0].details["changes"]
    assert all(c["from"] != c["to"] for c in recorded)
    for change in unique.values():
        service = outcome.incident.service(change.key)
        assert service is not None and service.state == change.state
    assert outcome.announce.silent == silent and outcome.announce.dm_followers != silent
    assert outcome.announce.edit_only  # service changes alone never post a new channel message


@given(back=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)))
def test_a_resolution_dated_before_the_declaration_is_stored_at_the_start_never_before(back: timedelta) -> None:
    """A clock moved back: the end is never stored before the start, nor its timeline entry before the
    declaration, and the services' recovery is not dated before either."""
    incident = open_cerp()
    began = max(incident.started_at, incident.declared_at)
    outcome = resolve(incident, at=incident.declared_at - back, by=ANNE)
    resolved = outcome.incident
    assert resolved.resolved_at is not None and resolved.resolved_at >= began
    assert resolved.resolved_at >= resolved.started_at
    assert all(entry.at >= began for entry in outcome.entries)
    assert all(service.since >= incident.started_at for service in resolved.services)
