"""A declaration from a card while a colleague declared the same outage by hand, on a real SQLite file: held back
naming the open incident (same organisation, or a shared service, territories overlapping), nothing stored or
queued; attaching instead, or declaring anyway over the incidents named; two submits at the same instant cannot
both pass the check."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.reports import store as repo
from bot.reports.rules import GroupStatus
from bot.reports.use_cases.deciding import SameOutageError
from bot.reports.use_cases.results import ReportInput
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, YANN, lifecycle
from tests.services.test_report_decisions import declared_from, three_reports
from tests.services.test_reports import BREST, QUIMPER, configured, member, rows


async def incident_count(store: Store) -> int:
    return len((await lifecycle(store).list_incidents(GUILD, status="all", now=NOW)).incidents)


async def group_status(store: Store, group_id: int) -> GroupStatus:
    async with store.reading() as conn:
        group = await repo.get_group(conn, group_id)
    assert group is not None
    return group.status


async def test_a_card_declared_over_a_hand_declaration_of_its_organisation_is_held_back(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    await lifecycle(store).declare(YANN, CERP, now=NOW)  # by hand, meanwhile: regions 53, 52, 75
    queued = len(await rows(store))
    typed = replace(declared_from("commandes", "22, 29, 16", None), organisation="CERP bretagne-atlantique")
    with pytest.raises(SameOutageError) as told:
        await reports.declare(ANNE, group_id, typed, now=NOW)
    assert [(o.number, o.title) for o in told.value.matches] == [(1, CERP.title)]
    assert await incident_count(store) == 1 and len(await rows(store)) == queued, "nothing stored, nothing queued"
    assert await group_status(store, group_id) == GroupStatus.OPEN
    # Declared anyway over #1, the one she was shown.
    assert (await reports.declare(ANNE, group_id, typed, over=(1,), now=NOW)).number == 2


async def test_declaring_anyway_over_some_incidents_is_held_back_by_another_one(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    await lifecycle(store).declare(YANN, CERP, now=NOW)
    await lifecycle(store).declare(YANN, replace(CERP, title="Commandes Cerp"), now=NOW)
    with pytest.raises(SameOutageError) as told:
        await reports.declare(ANNE, group_id, declared_from("commandes", "22", None), over=(1,), now=NOW)
    assert [o.number for o in told.value.matches] == [2, 1]


async def test_a_shared_service_holds_back_another_organisation_but_not_territories_apart(store: Store) -> None:
    reports = await configured(store)
    group_id = await three_reports(reports)
    far = replace(CERP, organisation="Grossiste Lyon", territories="84", services="livraisons")
    await lifecycle(store).declare(YANN, far, now=NOW)  # Auvergne-Rhône-Alpes, away from 22, 29
    near = replace(CERP, organisation="Grossiste Brest", territories="29", services="Commandes")
    await lifecycle(store).declare(YANN, near, now=NOW)
    typed = declared_from("livraisons, commandes", "22, 29", None)
    with pytest.raises(SameOutageError) as told:
        await reports.declare(ANNE, group_id, replace(typed, organisation="Autre nom"), now=NOW)
    assert [o.number for o in told.value.matches] == [2]
    attached = await reports.attach(ANNE, group_id, 2, now=NOW)
    assert attached.reporters == 3 and await group_status(store, group_id) == GroupStatus.ATTACHED


async def test_two_cards_declared_at_the_same_instant_make_one_incident(store: Store) -> None:
    reports = await configured(store)
    first = await three_reports(reports)
    other = await reports.report(member(QUIMPER), ReportInput(organisation="Cerp Quimper"), now=NOW)
    again = await reports.report(member(BREST), ReportInput(organisation="Cerp Quimper"), now=NOW)
    assert other.group_id is not None and again.group_id == other.group_id
    typed = declared_from("commandes", "29", None)
    outcomes = await asyncio.gather(
        reports.declare(ANNE, first, typed, now=NOW),
        reports.declare(YANN, other.group_id, replace(typed, organisation="Cerp Quimper"), now=NOW),
        return_exceptions=True,
    )
    held = [o for o in outcomes if isinstance(o, SameOutageError)]
    assert len(held) == 1 and [o.number for o in held[0].matches] == [1], outcomes
    assert await incident_count(store) == 1
