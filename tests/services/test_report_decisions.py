"""What coordinators decide on a card, on a real SQLite file: declaring from the reports (the reporters affected,
following, thanked in the thread; the card showing the outcome), two decisions at the same instant (one wins, the
other is told), attaching, merging, setting aside and undoing, marking abuse, and the summary card's groups taking
a freed place."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.incidents.rules.model import Cause, Severity
from bot.incidents.use_cases.typed_input import DeclareInput
from bot.interactions.access import NotAllowedError
from bot.reports import store as repo
from bot.reports.rules import OPEN_CARDS_CAP, GroupStatus, ReportError, ReportState
from bot.reports.use_cases import Reports
from bot.reports.use_cases.cards import card_lane
from bot.reports.use_cases.deciding import DecisionError
from bot.reports.use_cases.results import ReportInput
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, YANN, lifecycle
from tests.services.test_reports import ANGOULEME, BREST, QUIMPER, STBRIEUC, cerp, configured, member, rows

TITLE = "Cerp Bretagne Atlantique à l'arrêt"


async def three_reports(reports: Reports) -> int:
    await reports.report(
        member(STBRIEUC), cerp(services="livraisons", since="midi", territories="22"), now=NOW - timedelta(minutes=25)
    )
    await reports.report(member(BREST), cerp(services="commandes", territories="29"), now=NOW - timedelta(minutes=13))
    third = await reports.report(member(ANGOULEME), cerp(territories="16"), now=NOW - timedelta(minutes=4))
    assert third.group_id is not None
    return third.group_id


def declared_from(form_services: str, territories: str, started: str | None) -> DeclareInput:
    return DeclareInput(
        title=TITLE,
        organisation="Cerp Bretagne Atlantique",
        sector="pharmacie",
        territories=territories,
        severity=Severity.CRITICAL,
        cause=Cause.CYBERATTACK_SUSPECTED,
        started=started,
        services=form_services,
    )


async def test_declaring_from_the_card_counts_thanks_and_follows_the_reporters(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    form = await reports.declare_form(ANNE, group_id)
    assert form.sector == "pharmacie", "every reporter holds @pharmacies-ouest, the pharmacie route's role"
    assert form.organisation == "Cerp Bretagne Atlantique"
    assert form.services == "livraisons, commandes"
    assert form.territories == "Côtes-d'Armor (22), Finistère (29), Charente (16)"
    assert form.since == datetime(2024, 10, 19, 10, 0, tzinfo=UTC)  # "midi", the earliest time reported
    with pytest.raises(NotAllowedError):
        await reports.declare_form(member(BREST), group_id)

    result = await reports.declare(
        ANNE, group_id, declared_from(form.services, form.territories, "19/10/2024 12:00"), now=NOW
    )
    assert result.number == 1 and result.started_at == datetime(2024, 10, 19, 10, 0, tzinfo=UTC)
    shown = await lifecycle(store).show(GUILD, 1)
    assert shown.stored.incident.affected_count == 3
    assert [r.payload["user_id"] for r in await rows(store, kind="add_role")] == [STBRIEUC, BREST, ANGOULEME]
    (thanks,) = [r for r in await rows(store, kind="send_message", lane="incident:1:1") if "Merci" in str(r.payload)]
    assert thanks.payload["allowed_mentions"] == {"parse": [], "users": [STBRIEUC, BREST, ANGOULEME], "roles": []}
    assert thanks.payload["content"].startswith(f"<@{STBRIEUC}> <@{BREST}> <@{ANGOULEME}>")
    async with store.reading() as conn:
        group = await repo.get_group(conn, group_id)
        linked = {r.incident_id for r in await repo.group_reports(conn, group_id)}
    assert group is not None and group.status == GroupStatus.DECLARED and linked == {shown.stored.id}
    card = (await rows(store, lane=card_lane(GUILD, group_id), kind="edit_message"))[-1].payload
    outcome = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Suite donnée")
    assert outcome.startswith(f"→ panne #1, déclarée par <@{ANNE.user_id}>")
    assert card["components"] == [], "its buttons stop acting"
    # Too late for a colleague: told who declared it.
    with pytest.raises(DecisionError) as told:
        await reports.set_aside(YANN, group_id, "doublon", now=NOW)
    assert told.value.message_id == "report.error.decided_incident" and told.value.args_map["number"] == 1


async def test_declare_and_set_aside_at_the_same_instant_one_wins_the_other_is_told(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    typed = declared_from("commandes", "22, 29, 16", None)
    outcomes = await asyncio.gather(
        reports.declare(ANNE, group_id, typed, now=NOW),
        reports.set_aside(YANN, group_id, "fausse alerte", now=NOW),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, DecisionError)]
    assert len(refused) == 1, outcomes
    async with store.reading() as conn:
        group = await repo.get_group(conn, group_id)
    assert group is not None and group.status in (GroupStatus.DECLARED, GroupStatus.SET_ASIDE)
    if group.status == GroupStatus.SET_ASIDE:
        assert refused[0].message_id == "report.error.decided_aside"
        # Told, anne may declare anyway with her form as typed.
        result = await reports.declare(ANNE, group_id, typed, anyway=True, now=NOW)
        assert result.number == 1
    else:
        assert refused[0].message_id == "report.error.decided_incident"
    assert len((await lifecycle(store).list_incidents(GUILD, status="all", now=NOW)).incidents) <= 1


async def test_a_declaration_over_a_card_set_aside_meanwhile_is_refused_unless_confirmed(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    await reports.set_aside(YANN, group_id, "incident local", now=NOW)
    typed = declared_from("commandes", "22", None)
    with pytest.raises(DecisionError) as told:
        await reports.declare(ANNE, group_id, typed, now=NOW)
    assert told.value.args_map["reason"] == "incident local" and told.value.args_map["by"] == f"<@{YANN.user_id}>"
    assert (await reports.declare(ANNE, group_id, typed, anyway=True, now=NOW)).number == 1


async def test_attaching_to_an_open_incident(store: Store) -> None:
    reports = await configured(store)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    group_id = (await reports.report(member(BREST), ReportInput(organisation="Cerp Rennes"), now=NOW)).group_id
    assert group_id is not None
    with pytest.raises(ReportError):
        await reports.attach(ANNE, group_id, 9, now=NOW)
    attached = await reports.attach(ANNE, group_id, 1, now=NOW)
    assert (attached.number, attached.reporters) == (1, 1)
    assert (await lifecycle(store).show(GUILD, 1)).stored.incident.affected_count == 1
    with pytest.raises(DecisionError):
        await reports.attach(YANN, group_id, 1, now=NOW)


async def test_merging_two_names_of_one_organisation_and_alerting_once_merged(store: Store) -> None:
    reports = await configured(store)
    short = (await reports.report(member(BREST), ReportInput(organisation="Cerp"), now=NOW)).group_id
    long = (await reports.report(member(STBRIEUC), cerp(), now=NOW)).group_id
    await reports.report(member(ANGOULEME), cerp(), now=NOW)
    assert short is not None and long is not None and short != long
    merged = await reports.merge(ANNE, short, long, now=NOW)
    assert merged.organisation == "Cerp Bretagne Atlantique"
    async with store.reading() as conn:
        target = await repo.get_group(conn, long)
    assert target is not None and target.alerted_at is not None, "three members once merged: the alert"
    alerts = [r for r in await rows(store, kind="send_message") if r.lane == outbox.channel_lane(400)]
    assert len(alerts) == 1
    later = await reports.report(member(QUIMPER), ReportInput(organisation="CERP"), now=NOW)
    assert later.group_id == long, "the merged name now leads to the group it joined"


async def test_setting_aside_needs_a_reason_and_can_be_undone(store: Store) -> None:
    reports = await configured(store)
    group_id = (await reports.report(member(BREST), ReportInput(organisation="Pollen"), now=NOW)).group_id
    assert group_id is not None
    with pytest.raises(Exception) as refused:
        await reports.set_aside(YANN, group_id, "   ", now=NOW)
    assert getattr(refused.value, "message_id", "") == "incident.error.field_required"
    await reports.set_aside(YANN, group_id, "incident local chez un seul libraire", now=NOW)
    lines = await reports.member_reports(member(BREST), now=NOW)
    assert [(line.outcome, line.reason) for line in lines] == [("set_aside", "incident local chez un seul libraire")]
    await reports.undo(ANNE, group_id, now=NOW)
    async with store.reading() as conn:
        group = await repo.get_group(conn, group_id)
    assert group is not None and group.status == GroupStatus.OPEN and group.reason is None
    card = (await rows(store, lane=card_lane(GUILD, group_id)))[-1].payload
    assert card["components"][0]["components"][0]["label"] == "Déclarer"


async def test_marking_abuse_sets_a_members_reports_aside_for_a_day(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    assert [r.user_id for r in await reports.reporters(ANNE, group_id)] == [STBRIEUC, BREST, ANGOULEME]
    await reports.mark_abuse(ANNE, group_id, BREST, now=NOW)
    async with store.reading() as conn:
        states = {r.user_id: r.state for r in await repo.group_reports(conn, group_id)}
    assert states[BREST] == ReportState.ABUSE and states[STBRIEUC] == ReportState.ACTIVE
    card = (await rows(store, lane=card_lane(GUILD, group_id)))[-1].payload
    assert next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Membres") == "2"
    later = await reports.report(member(BREST), ReportInput(organisation="Autre"), now=NOW + timedelta(hours=1))
    assert later.group_id is None
    after_a_day = await reports.report(member(BREST), cerp(), now=NOW + timedelta(hours=25))
    assert after_a_day.group_id == group_id


async def test_a_freed_place_goes_to_the_oldest_group_on_the_summary_card(store: Store) -> None:
    reports = await configured(store)
    groups = []
    for index in range(OPEN_CARDS_CAP + 1):
        result = await reports.report(member(5000 + index), ReportInput(organisation=f"Structure {index}"), now=NOW)
        groups.append(result.group_id)
    await reports.set_aside(ANNE, groups[0] or 0, "hors sujet", now=NOW)
    async with store.reading() as conn:
        promoted = await repo.get_group(conn, groups[-1] or 0)
        assert await repo.summary_groups(conn, GUILD) == []
    assert promoted is not None and not promoted.on_summary
    (posted,) = await rows(store, lane=card_lane(GUILD, groups[-1] or 0))
    assert posted.kind == "send_message"
    summary = (await rows(store, lane=card_lane(GUILD, "summary")))[-1].payload
    assert "Structure" not in summary["embeds"][0]["description"]


async def test_only_coordinators_decide(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    for decision in (
        reports.set_aside(member(BREST), group_id, "non", now=NOW),
        reports.merge(member(BREST), group_id, group_id, now=NOW),
        reports.mark_abuse(member(BREST), group_id, STBRIEUC, now=NOW),
        reports.declare(Actor(GUILD, BREST), group_id, declared_from("x", "22", None), now=NOW),
    ):
        with pytest.raises(NotAllowedError):
            await decision


async def test_the_export_reads_the_reports_of_each_incident_and_the_groups_set_aside(store: Store) -> None:
    import json

    from bot.exports.use_cases import ExportRequest, export

    reports = await configured(store)
    group_id = await three_reports(reports)
    await reports.report(member(BREST), cerp(details="encore"), now=NOW - timedelta(minutes=2))
    await reports.declare(ANNE, group_id, declared_from("commandes", "22, 29, 16", "midi"), now=NOW)
    await reports.report(member(QUIMPER), cerp(), now=NOW + timedelta(minutes=30))
    pollen = (await reports.report(member(2200), ReportInput(organisation="Pollen"), now=NOW)).group_id
    await reports.set_aside(YANN, pollen or 0, "incident local", now=NOW + timedelta(hours=1))
    later = NOW + timedelta(days=4)

    async def exported(**filters: str) -> dict[str, Any]:
        request = ExportRequest(guild_id=GUILD, format="json", period="octobre 2024", **filters)
        result = await export(store.path, request, now=later, default_language="fr", default_time_zone="Europe/Paris")
        loaded: dict[str, Any] = json.loads(result.files[0].data)
        return loaded

    document = await exported()
    (incident,) = document["incidents"]
    assert (incident["reports"], incident["reporting_members"]) == (5, 4)
    assert incident["first_report_at"] == "2024-10-19T12:15:00+02:00"
    assert incident["time_to_declare_min"] == 25, "12:15 → 12:40"
    assert [g["organisation"] for g in document["set_aside"]] == ["Pollen"]
    assert document["figures"]["reports"] == 5
    assert (await exported(status="open"))["set_aside"] == [], "narrowed to some incidents: no group listed"
    assert [g["organisation"] for g in (await exported(organisation="pollen"))["set_aside"]] == ["Pollen"]
