"""Webhooks told of corrections and of an incident's visibility, on a real SQLite file: `/outage edit` plans an
`incident_edited` delivery (the corrected incident) for each webhook allowed to see it, in the incident's lane and the
edit's unit of work; an incident made public reaches public-only webhooks as one `incident_published` carrying its
whole public state, made private as one `incident_withdrawn` carrying its number only; an internal update's words
never reach them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.delivery import outbox
from bot.incidents.rules.model import Cause, Severity
from bot.incidents.use_cases.typed_input import EditInput
from bot.public.use_cases import PublicPages
from bot.storage.store import Store
from bot.webhooks.rules import EventKind
from bot.webhooks.use_cases import Webhooks
from tests.services.test_lifecycle import ANNE, CERP, NOW, UpdateInput, lifecycle
from tests.services.test_webhooks import ADMIN, ALL, Clock, public_page, sent, webhooks

__all__ = ["webhooks"]  # the fixture, used by name

LATER = NOW + timedelta(minutes=10)


def body(row: outbox.OutboxRow) -> dict[str, Any]:
    return dict(json.loads(row.payload["body"]))


async def two_webhooks(webhooks: Webhooks) -> None:
    """#1 takes public incidents only, #2 private ones too; both every event."""
    await webhooks.add(ADMIN, "https://hooks.example.org/public", ALL, public_only=True, now=NOW)
    await webhooks.add(ADMIN, "https://hooks.example.org/all", ALL, public_only=False, now=NOW)


async def visibility(store: Store, number: int, public: bool) -> None:
    await PublicPages(store, Clock()).set_visibility(ANNE, number, public)  # type: ignore[arg-type]


async def test_each_correction_of_what_a_receiver_holds_is_one_incident_edited_in_the_incidents_lane(
    store: Store, webhooks: Webhooks
) -> None:
    await public_page(store, default_public=True)
    await two_webhooks(webhooks)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    corrections: list[tuple[dict[str, Any], str, Any]] = [
        ({"title": "Cerp: commandes à l'arrêt"}, "title", "Cerp: commandes à l'arrêt"),
        ({"organisation": "Cerp BA"}, "organisation", "Cerp BA"),
        ({"impact": "≈2 000 officines"}, "impact", "≈2 000 officines"),
        ({"territories": "29"}, "territories", ["29"]),
        ({"started": "aujourd'hui 11h"}, "started_at", "2024-10-19T09:00:00Z"),
    ]
    for typed, key, value in corrections:
        before = len(await sent(store))
        await service.edit(ANNE, 1, EditInput(**typed), now=LATER)
        rows = (await sent(store))[before:]
        assert [(r.lane, r.payload["event"]) for r in rows] == [
            ("webhook:1:1", "incident_edited"),
            ("webhook:2:1", "incident_edited"),
        ], typed
        assert all(body(r)["incident"][key] == value for r in rows), (typed, [body(r)["incident"] for r in rows])
        assert all(body(r)["updates"] == [] for r in rows), "a correction is no news on the public timeline"
        assert all(str(ANNE.user_id) not in r.payload["body"] for r in rows)
    # A lowered severity is an entry of the public timeline: an update, carrying the corrected incident too.
    before = len(await sent(store))
    await service.edit(ANNE, 1, EditInput(severity=Severity.MINOR, title="Cerp: lenteurs"), now=LATER)
    rows = (await sent(store))[before:]
    assert [r.payload["event"] for r in rows] == ["incident_updated", "incident_updated"]
    assert body(rows[0])["incident"]["severity"] == "minor" and body(rows[0])["incident"]["title"] == "Cerp: lenteurs"
    # The cause is not shown outside the server: correcting it alone tells receivers nothing.
    before = len(await sent(store))
    await service.edit(ANNE, 1, EditInput(cause=Cause.TECHNICAL_FAILURE), now=LATER)
    assert len(await sent(store)) == before
    assert all("cause" not in body(r)["incident"] for r in await sent(store))


async def test_a_resolved_incident_corrected_is_edited_and_a_private_one_only_for_webhooks_taking_private_ones(
    store: Store, webhooks: Webhooks
) -> None:
    await public_page(store, default_public=False)
    await two_webhooks(webhooks)
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.resolve(ANNE, 1, summary="Rétabli.", silent=False, now=LATER)
    await service.edit(ANNE, 1, EditInput(title="Cerp: corrigé"), now=LATER)
    rows = await sent(store)
    assert [(r.payload["webhook_id"], r.payload["event"]) for r in rows] == [
        (2, "incident_declared"),
        (2, "incident_resolved"),
        (2, "incident_edited"),
    ]
    assert body(rows[-1])["incident"]["status"] == "resolved" and body(rows[-1])["incident"]["public"] is False


async def test_an_incident_made_public_reaches_public_only_webhooks_once_with_its_whole_public_state(
    store: Store, webhooks: Webhooks
) -> None:
    await public_page(store, default_public=False)
    await two_webhooks(webhooks)
    await webhooks.add(
        ADMIN, "https://hooks.example.org/resolved", frozenset({EventKind.RESOLVED}), public_only=True, now=NOW
    )
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.update(ANNE, 1, UpdateInput(note="Point public."), now=NOW + timedelta(minutes=1))
    await service.update(
        ANNE, 1, UpdateInput(note="Piste: le pare-feu.", internal=True), now=NOW + timedelta(minutes=2)
    )
    await service.edit(ANNE, 1, EditInput(title="Cerp: commandes"), now=NOW + timedelta(minutes=3))
    assert {r.payload["webhook_id"] for r in await sent(store)} == {2}, "a private incident reaches no public-only hook"

    before = len(await sent(store))
    await visibility(store, 1, True)
    rows = (await sent(store))[before:]
    assert [(r.lane, r.payload["event"]) for r in rows] == [
        ("webhook:1:1", "incident_published"),
        ("webhook:2:1", "incident_edited"),
    ], "one event each; #3 takes resolutions only"
    published = body(rows[0])
    assert published["incident"]["title"] == "Cerp: commandes" and published["incident"]["public"] is True
    assert published["incident"]["workaround"] == CERP.workaround
    assert [u["kind"] for u in published["updates"]] == ["declared", "note"]
    assert published["updates"][1]["text"] == "Point public."
    assert "pare-feu" not in rows[0].payload["body"], "an internal update's words never leave"
    assert str(ANNE.user_id) not in rows[0].payload["body"]
    assert body(rows[1])["incident"]["public"] is True and body(rows[1])["updates"] == []

    await visibility(store, 1, True)  # already public: nothing changed, nothing told
    assert len(await sent(store)) == before + 2
    await service.update(ANNE, 1, UpdateInput(note="Suite."), now=NOW + timedelta(minutes=4))
    assert [r.payload["webhook_id"] for r in (await sent(store))[before + 2 :]] == [1, 2]


async def test_an_incident_made_private_is_withdrawn_from_public_only_webhooks_with_its_number_only(
    store: Store, webhooks: Webhooks
) -> None:
    await public_page(store, default_public=True)
    await two_webhooks(webhooks)
    await webhooks.add(
        ADMIN, "https://hooks.example.org/resolved", frozenset({EventKind.RESOLVED}), public_only=True, now=NOW
    )
    await webhooks.add(
        ADMIN, "https://hooks.example.org/m", frozenset({EventKind.MAINTENANCE_SCHEDULED}), public_only=True, now=NOW
    )
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    before = len(await sent(store))
    await visibility(store, 1, False)
    rows = (await sent(store))[before:]
    assert [(r.lane, r.payload["event"]) for r in rows] == [
        ("webhook:1:1", "incident_withdrawn"),
        ("webhook:2:1", "incident_edited"),
        ("webhook:3:1", "incident_withdrawn"),
    ], "every public-only hook taking incidents is told; #4 takes maintenance only"
    withdrawn = body(rows[0])
    assert withdrawn["incident"] == {"number": 1}
    assert "updates" not in withdrawn
    assert CERP.title not in rows[0].payload["body"] and CERP.organisation not in rows[0].payload["body"]
    assert {k for k in withdrawn if k != "incident"} == {
        "schema_version",
        "idempotency_key",
        "event",
        "occurred_at",
        "server",
    }
    assert body(rows[1])["incident"]["public"] is False

    await visibility(store, 1, False)  # already private
    await service.update(ANNE, 1, UpdateInput(note="En privé."), now=LATER)
    await service.edit(ANNE, 1, EditInput(title="En privé"), now=LATER)
    assert {r.payload["webhook_id"] for r in (await sent(store))[before + 3 :]} == {2}
