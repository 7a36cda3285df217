"""Webhooks' use cases on a real SQLite file: deliveries planned in the incident change's own unit of work (public
incidents only unless the admin said otherwise, none while switched off or paused), one lane per webhook and
incident, a secret shown once and never audited, and repeated permanent failures pausing a webhook, told once in
the bot-log channel."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.webhook_transport import NOT_SENT
from bot.public.use_cases import PublicPages
from bot.storage.store import Store
from bot.webhooks.rules import EVENTS, AddressError, EventKind, WebhookError, verify
from bot.webhooks.use_cases import Webhooks, check_lines
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, UpdateInput, configure, lifecycle

ADMIN = Actor(guild_id=GUILD, user_id=1009)
BOT_LOG = 777
ALL = frozenset(EVENTS)


class Clock:
    def now(self):  # type: ignore[no-untyped-def]
        return NOW


async def accept(url: str) -> None:
    return None


@pytest.fixture
async def webhooks(store: Store) -> Webhooks:
    await configure(store)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE guild_settings SET bot_log_channel_id = ? WHERE guild_id = ?", (BOT_LOG, GUILD))
    return Webhooks(store, accept)


async def sent(store: Store) -> list[outbox.OutboxRow]:
    async with (
        store.reading() as conn,
        conn.execute("SELECT id FROM outbox WHERE kind = 'send_webhook' ORDER BY id") as cursor,
    ):
        ids = [int(r[0]) for r in await cursor.fetchall()]
    async with store.reading() as conn:
        return [row for row_id in ids if (row := await outbox.get(conn, row_id)) is not None]


async def public_page(store: Store, *, default_public: bool) -> None:
    pages = PublicPages(store, Clock())  # type: ignore[arg-type]
    await pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=default_public)


async def test_each_change_plans_one_delivery_per_webhook_in_its_incidents_lane(
    store: Store, webhooks: Webhooks
) -> None:
    await public_page(store, default_public=True)
    shown = await webhooks.add(ADMIN, "https://hooks.example.org/a", ALL, public_only=True, now=NOW)
    other = await webhooks.add(
        ADMIN, "https://hooks.example.org/b", frozenset({EventKind.RESOLVED}), public_only=True, now=NOW
    )
    assert shown.secret != other.secret
    service = lifecycle(store)
    await service.declare(ANNE, CERP, now=NOW)
    await service.declare(ANNE, replace(CERP, title="Deuxième"), now=NOW)
    await service.update(ANNE, 1, UpdateInput(note="Commandes reprises en partie."), now=NOW + timedelta(minutes=5))
    await service.resolve(ANNE, 1, summary="Rétabli.", silent=False, now=NOW + timedelta(hours=1))

    rows = await sent(store)
    found = [(r.lane, r.payload["event"]) for r in rows]
    assert found == [
        ("webhook:1:1", "incident_declared"),
        ("webhook:1:2", "incident_declared"),
        ("webhook:1:1", "incident_updated"),
        ("webhook:1:1", "incident_resolved"),
        ("webhook:2:1", "incident_resolved"),
    ]
    bodies = [json.loads(r.payload["body"]) for r in rows]
    assert len({b["idempotency_key"] for b in bodies}) == 5
    assert all(b["idempotency_key"] == r.payload["key"] for b, r in zip(bodies, rows, strict=True))
    assert bodies[2]["updates"][0]["text"] == "Commandes reprises en partie."
    assert bodies[3]["incident"]["status"] == "resolved"
    assert all(str(ANNE.user_id) not in r.payload["body"] for r in rows)
    assert all(shown.secret not in json.dumps(r.payload) for r in rows)


async def test_private_incidents_only_to_webhooks_that_asked_for_them(store: Store, webhooks: Webhooks) -> None:
    await public_page(store, default_public=False)
    await webhooks.add(ADMIN, "https://hooks.example.org/public", ALL, public_only=True, now=NOW)
    await webhooks.add(ADMIN, "https://hooks.example.org/all", ALL, public_only=False, now=NOW)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    rows = await sent(store)
    assert [r.payload["webhook_id"] for r in rows] == [2]
    assert json.loads(rows[0].payload["body"])["incident"]["public"] is False


async def test_nothing_is_planned_while_switched_off_or_paused(store: Store, webhooks: Webhooks) -> None:
    await public_page(store, default_public=True)
    await webhooks.add(ADMIN, "https://hooks.example.org/a", ALL, public_only=True, now=NOW)
    await webhooks.add(ADMIN, "https://hooks.example.org/b", ALL, public_only=True, now=NOW)
    await webhooks.switch(ADMIN, False, number=None, now=NOW)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    assert await sent(store) == []
    assert (await webhooks.target(1)) is not None and not (await webhooks.target(1)).active  # type: ignore[union-attr]
    await webhooks.switch(ADMIN, True, number=None, now=NOW)
    await webhooks.switch(ADMIN, False, number="#2", now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Suite."), now=NOW)
    assert [r.payload["webhook_id"] for r in await sent(store)] == [1]


async def test_the_secret_is_shown_once_never_audited_and_rotation_replaces_it(
    store: Store, webhooks: Webhooks
) -> None:
    shown = await webhooks.add(ADMIN, "https://hooks.example.org/a?token=abc", ALL, public_only=True, now=NOW)
    rotated = await webhooks.rotate(ADMIN, "1", now=NOW)
    assert rotated.secret != shown.secret
    target = await webhooks.target(1)
    assert target is not None and target.secret == rotated.secret
    async with store.reading() as conn, conn.execute("SELECT arguments, result FROM audit_log") as cursor:
        audited = " ".join(f"{a} {r}" for a, r in await cursor.fetchall())
    assert shown.secret not in audited and rotated.secret not in audited
    assert "token=abc" not in audited
    listed = await webhooks.listed(GUILD)
    assert all(shown.secret not in str(line.args) and rotated.secret not in str(line.args) for line in listed.lines)
    await webhooks.remove(ADMIN, "1", now=NOW)
    assert await webhooks.target(1) is None
    with pytest.raises(WebhookError):
        await webhooks.rotate(ADMIN, "1", now=NOW)


async def test_refused_urls_are_not_kept(store: Store, webhooks: Webhooks) -> None:
    async def refuse(url: str) -> None:
        raise AddressError("webhook.error.address")

    guarded = Webhooks(store, refuse)
    for url in ("http://169.254.169.254/", "https://intranet.example/hook"):
        with pytest.raises(AddressError):
            await guarded.add(ADMIN, url, ALL, public_only=True, now=NOW)
    assert (await webhooks.listed(GUILD)).webhooks == ()


def delivery(webhook_id: int) -> Delivery:
    return Delivery(1, GUILD, f"webhook:{webhook_id}:1", OutboxKind.SEND_WEBHOOK, {"webhook_id": webhook_id}, 1)


async def test_repeated_permanent_failures_pause_a_webhook_and_tell_the_bot_log_once(
    store: Store, webhooks: Webhooks
) -> None:
    await webhooks.add(ADMIN, "https://hooks.example.org/a", ALL, public_only=True, now=NOW)

    async def record(status: int | None, text: str | None) -> None:
        async with store.unit_of_work() as conn:
            await webhooks.outcome(conn, delivery(1), status=status, text=text, now=NOW)

    await record(410, "HTTP 410")
    await record(410, "HTTP 410")
    await record(200, None)  # a success in between: the run starts again
    await record(404, "HTTP 404")
    await record(None, NOT_SENT)  # not attempted: not counted
    await record(404, "HTTP 404")
    assert (await webhooks.target(1)).active  # type: ignore[union-attr]
    await record(404, "HTTP 404")
    assert not (await webhooks.target(1)).active  # type: ignore[union-attr]
    await record(404, "HTTP 404")  # already paused: told once
    async with (
        store.reading() as conn,
        conn.execute("SELECT payload FROM outbox WHERE lane = ?", (outbox.channel_lane(BOT_LOG),)) as cursor,
    ):
        told = [json.loads(r[0]) for r in await cursor.fetchall()]
    assert len(told) == 1
    assert "#1" in told[0]["content"] or "n° 1" in told[0]["content"]
    assert told[0]["allowed_mentions"] == {"parse": []}
    lines = check_lines(await webhooks.listed(GUILD))
    assert [line.message_id for line in lines] == ["webhook.check.paused"]
    await webhooks.switch(ADMIN, True, number="1", now=NOW)
    assert (await webhooks.target(1)).active  # type: ignore[union-attr]
    assert check_lines(await webhooks.listed(GUILD)) == ()


def test_a_receiver_verifies_what_was_signed() -> None:
    # The README's verification is the rules' `verify`: a body re-serialised by the receiver does not verify.
    from bot.webhooks.rules import signature_header

    body = b'{"a":1}'
    header = signature_header("whsec_x", 1700000000, body)
    assert verify("whsec_x", header, body)
    assert not verify("whsec_x", header, b'{"a": 1}')


async def test_a_maintenance_turned_into_an_incident_is_declared_to_webhooks(store: Store, webhooks: Webhooks) -> None:
    from bot.incidents.use_cases.lifecycle import Lifecycle
    from bot.maintenance.use_cases import Maintenances
    from bot.settings.rules.config import ServerDefaults
    from tests.services.test_maintenance import END, WEEKEND

    await webhooks.add(ADMIN, "https://hooks.example.org/all", ALL, public_only=False, now=NOW)
    lifecycle = Lifecycle(store, ServerDefaults())
    maintenance = Maintenances(store, ServerDefaults(), incident_changed=lifecycle.run_after_commit)
    scheduled = await maintenance.schedule(ANNE, WEEKEND, now=NOW)
    await maintenance.advance(scheduled.maintenance_id, now=END - timedelta(minutes=15))
    planned = await sent(store)
    assert [r for r in planned if "incident_id" in r.payload] == [], "a maintenance is no incident"
    assert [r.payload["event"] for r in planned] == ["maintenance_scheduled", "maintenance_started"]
    await maintenance.convert(ANNE, 1, now=END - timedelta(minutes=10))
    rows = [r for r in await sent(store) if "incident_id" in r.payload]
    assert [(r.payload["event"], json.loads(r.payload["body"])["incident"]["number"]) for r in rows] == [
        ("incident_declared", 1)
    ]
    ended = (await sent(store))[-1]
    assert ended.payload["event"] == "maintenance_ended"
    assert json.loads(ended.payload["body"])["maintenance"]["stage"] == "converted"
