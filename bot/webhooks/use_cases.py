"""Webhooks' use cases: an admin's (add, list, remove, rotate a secret, switch on and off, from `/setup webhook`),
the planning of each event's deliveries inside the incident change's own unit of work (`plan_declared`,
`plan_changed`: what is committed with the change is delivered, whatever stops after; `plan_visibility`, an incident
made public or private), the maintenance change's (`plan_maintenance`, in a lane of its own per webhook and
maintenance), and what the outbox asks of webhooks (`Webhooks.target` before a delivery, `Webhooks.outcome` in the
unit of work that records one).

A secret is made here and returned once to the cog, which shows it privately; it is never audited, logged or
returned again. A webhook paused by repeated permanent failures, or a server's webhooks switched off, gets no
deliveries planned until an admin turns it on again; a delivery already queued then is dropped unsent.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import aiosqlite

from bot.common.actor import Actor
from bot.common.i18n import Msg, default_catalogue, language_of
from bot.common.text import safe_text
from bot.delivery import consequences, outbox
from bot.delivery import store as delivery_store
from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.webhook_transport import NOT_SENT, WebhookTarget
from bot.incidents import store as incidents_store
from bot.incidents.rules.lifecycle import Update
from bot.incidents.rules.model import Incident
from bot.maintenance.rules import Maintenance
from bot.public import store as public_store
from bot.settings.rules.model import Outcome
from bot.storage import audit
from bot.storage.store import Store
from bot.webhooks import store as repo
from bot.webhooks.presentation import shown_url, webhook_line
from bot.webhooks.rules import (
    MAX_WEBHOOKS,
    EventKind,
    Webhook,
    WebhookError,
    check_url,
    delivery_body,
    event_of_change,
    maintenance_body,
    new_secret,
    pauses,
    visibility_event,
    wants,
    withdrawn_body,
)

# Checks what a URL's name resolves to now (bot/delivery/webhook_transport.py `check_target`): refused at `add`.
CheckTarget = Callable[[str], Awaitable[None]]
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


@dataclass(frozen=True)
class SecretShown:
    """A change whose answer shows a secret once: `outcome` says what was done, `secret` is for the admin's eyes."""

    outcome: Outcome
    secret: str


@dataclass(frozen=True)
class Listed:
    switched_on: bool
    webhooks: tuple[Webhook, ...]

    @property
    def lines(self) -> tuple[Msg, ...]:
        return tuple(webhook_line(w) for w in self.webhooks)


def _number(text: str | int) -> int:
    value = str(text).strip().lstrip("#")
    if not value.isdigit():
        raise WebhookError("webhook.error.unknown", number=safe_text(value[:20]))
    return int(value)


class Webhooks:
    def __init__(self, store: Store, check_target: CheckTarget, *, allow_loopback: bool = False) -> None:
        self.store = store
        self.check_target = check_target
        self.allow_loopback = allow_loopback

    async def _found(self, conn: aiosqlite.Connection, actor: Actor, number: str | int) -> Webhook:
        found = await repo.by_number(conn, actor.guild_id, _number(number))
        if found is None:
            raise WebhookError("webhook.error.unknown", number=safe_text(str(number)[:20]))
        return found

    async def add(
        self, actor: Actor, url: str, events: frozenset[EventKind], *, public_only: bool, now: datetime
    ) -> SecretShown:
        url = check_url(url, allow_loopback=self.allow_loopback)
        if not events:
            raise WebhookError("webhook.error.events")
        await self.check_target(url)  # before the unit of work: a name resolved, never while holding the writer
        secret = new_secret()
        async with self.store.unit_of_work() as conn:
            if len(await repo.webhooks(conn, actor.guild_id)) >= MAX_WEBHOOKS:
                raise WebhookError("webhook.error.too_many", most=MAX_WEBHOOKS)
            made = await repo.add(
                conn,
                actor.guild_id,
                url=url,
                secret=secret,
                events=frozenset(e.value for e in events),
                public_only=public_only,
                by=actor.user_id,
                now=now,
            )
            arguments = {
                "webhook": made.number,
                "host": urlsplit(url).hostname,
                "events": sorted(e.value for e in events),
                "public_only": public_only,
            }
            await audit.record_by(conn, actor, "setup webhook add", arguments, "ok", now)
        return SecretShown(Outcome((Msg.of("webhook.added", webhook=webhook_line(made)),)), secret)

    async def listed(self, guild_id: int) -> Listed:
        async with self.store.reading() as conn:
            return Listed(await repo.switched_on(conn, guild_id), tuple(await repo.webhooks(conn, guild_id)))

    async def remove(self, actor: Actor, number: str | int, *, now: datetime) -> Outcome:
        async with self.store.unit_of_work() as conn:
            found = await self._found(conn, actor, number)
            await repo.remove(conn, found.id)
            arguments = {"webhook": found.number, "host": urlsplit(found.url).hostname}
            await audit.record_by(conn, actor, "setup webhook remove", arguments, "ok", now)
        return Outcome((Msg.of("webhook.removed", number=found.number, url=shown_url(found.url)),))

    async def rotate(self, actor: Actor, number: str | int, *, now: datetime) -> SecretShown:
        secret = new_secret()
        async with self.store.unit_of_work() as conn:
            found = await self._found(conn, actor, number)
            await repo.set_secret(conn, found.id, secret, now=now)
            await audit.record_by(conn, actor, "setup webhook rotate", {"webhook": found.number}, "ok", now)
        return SecretShown(Outcome((Msg.of("webhook.rotated", number=found.number),)), secret)

    async def switch(self, actor: Actor, on: bool, *, number: str | int | None, now: datetime) -> Outcome:
        """All of the server's webhooks on or off; with a `number`, that one resumed (its failures forgotten) or
        paused."""
        async with self.store.unit_of_work() as conn:
            if number is None:
                await repo.switch(conn, actor.guild_id, on, by=actor.user_id, now=now)
                await audit.record_by(conn, actor, "setup webhook switch", {"on": on}, "ok", now)
                return Outcome((Msg.of("webhook.switched.on" if on else "webhook.switched.off"),))
            found = await self._found(conn, actor, number)
            if on:
                await repo.resume(conn, found.id)
            else:
                await repo.pause(conn, found.id, now=now)
            arguments = {"webhook": found.number, "on": on}
            await audit.record_by(conn, actor, "setup webhook switch", arguments, "ok", now)
            lines = [Msg.of("webhook.resumed" if on else "webhook.paused", number=found.number)]
            if on and not await repo.switched_on(conn, actor.guild_id):
                lines.append(Msg.of("webhook.still_switched_off"))
        return Outcome(tuple(lines))

    # -- what the outbox asks

    async def target(self, webhook_id: int) -> WebhookTarget | None:
        async with self.store.reading() as conn:
            found = await repo.target(conn, webhook_id)
        return WebhookTarget(*found) if found is not None else None

    async def outcome(
        self, conn: aiosqlite.Connection, delivery: Delivery, *, status: int | None, text: str | None, now: datetime
    ) -> None:
        webhook_id = int(delivery.payload["webhook_id"])
        if text is None:
            await repo.delivered(conn, webhook_id)
            return
        if text == NOT_SENT:
            return  # off or removed: nothing was attempted
        found = await repo.failed(conn, webhook_id, text, now=now)
        if found is None or found.paused_at is not None or not pauses(found.failures):
            return
        await repo.pause(conn, webhook_id, now=now)
        await audit.record(
            conn,
            guild_id=found.guild_id,
            actor_id=None,
            action="webhook paused",
            arguments={"webhook": found.number, "failures": found.failures},
            result=text[:300],
            at=now,
        )
        await _tell_paused(conn, found, text, now=now)


async def _tell_paused(conn: aiosqlite.Connection, webhook: Webhook, error: str, *, now: datetime) -> None:
    channel, server_language = await delivery_store.log_channel_and_language(conn, webhook.guild_id)
    if channel is None:
        return  # /setup check says it
    language = language_of(server_language, fallback="fr")
    catalogue = default_catalogue()
    sentence = catalogue.render(
        language,
        "webhook.paused.told",
        number=webhook.number,
        url=shown_url(webhook.url),
        error=safe_text(error[:300]),
    )
    await consequences.tell_log_channel(
        conn, webhook.guild_id, channel, sentence, now=now, allowed_mentions=NO_MENTIONS
    )


def check_lines(listed: Listed) -> tuple[Msg, ...]:
    """What `/setup check` says of webhooks: each paused one, and the switch when it is off."""
    lines = [Msg.of("webhook.check.paused", webhook=webhook_line(w)) for w in listed.webhooks if w.paused_at]
    if not listed.switched_on and listed.webhooks:
        lines.append(Msg.of("webhook.check.switched_off"))
    return tuple(lines)


# -- planning deliveries, inside an incident change's unit of work


async def _hooks(conn: aiosqlite.Connection, guild_id: int) -> list[Webhook]:
    """The server's webhooks that take deliveries now: none while switched off, none paused."""
    if not await repo.switched_on(conn, guild_id):
        return []
    return [w for w in await repo.webhooks(conn, guild_id) if w.paused_at is None]


async def _server_name(conn: aiosqlite.Connection, guild_id: int) -> str | None:
    page = await public_store.page_of(conn, guild_id)
    return page[1] if page is not None else None


async def _enqueue(
    conn: aiosqlite.Connection,
    hook: Webhook,
    event: EventKind,
    key: str,
    body: bytes,
    *,
    lane: str,
    now: datetime,
    about: dict[str, int],
) -> None:
    await outbox.enqueue(
        conn,
        guild_id=hook.guild_id,
        lane=lane,
        kind=OutboxKind.SEND_WEBHOOK,
        payload={"webhook_id": hook.id, **about, "event": event.value, "key": key, "body": body.decode("utf-8")},
        now=now,
    )


async def _plan(
    conn: aiosqlite.Connection,
    event: EventKind,
    incident_id: int,
    incident: Incident,
    entries: Iterable[Update],
    *,
    now: datetime,
) -> int:
    hooks = await _hooks(conn, incident.guild_id)
    if not hooks:
        return 0
    public = await public_store.is_public(conn, incident_id)
    server = await _server_name(conn, incident.guild_id)
    timeline = tuple(entries)
    planned = 0
    for hook in hooks:
        if not wants(hook.events, public_only=hook.public_only, event=event, public=public):
            continue
        key = str(uuid.uuid4())
        body = delivery_body(event, incident, timeline, key=key, public=public, occurred_at=now, server=server)
        lane = outbox.webhook_lane(hook.id, incident_id)
        await _enqueue(conn, hook, event, key, body, lane=lane, now=now, about={"incident_id": incident_id})
        planned += 1
    return planned


async def plan_maintenance(
    conn: aiosqlite.Connection, event: EventKind, maintenance_id: int, maintenance: Maintenance, *, now: datetime
) -> int:
    """A maintenance event's deliveries, in the change's unit of work: to each webhook that asked for it (a private
    maintenance only to those that take private ones too), in the webhook's lane for this maintenance."""
    hooks = await _hooks(conn, maintenance.guild_id)
    if not hooks:
        return 0
    server = await _server_name(conn, maintenance.guild_id)
    planned = 0
    for hook in hooks:
        if not wants(hook.events, public_only=hook.public_only, event=event, public=maintenance.public):
            continue
        key = str(uuid.uuid4())
        body = maintenance_body(event, maintenance, key=key, occurred_at=now, server=server)
        lane = outbox.maintenance_webhook_lane(hook.id, maintenance_id)
        await _enqueue(conn, hook, event, key, body, lane=lane, now=now, about={"maintenance_id": maintenance_id})
        planned += 1
    return planned


async def plan_declared(
    conn: aiosqlite.Connection, incident_id: int, incident: Incident, entries: Iterable[Update], *, now: datetime
) -> int:
    return await _plan(conn, EventKind.DECLARED, incident_id, incident, entries, now=now)


async def plan_changed(
    conn: aiosqlite.Connection,
    incident_id: int,
    before: Incident,
    after: Incident,
    entries: Iterable[Update],
    *,
    now: datetime,
) -> int:
    timeline = tuple(entries)
    event = event_of_change(before, after, timeline)
    if event is None:
        return 0
    return await _plan(conn, event, incident_id, after, timeline, now=now)


async def plan_visibility(
    conn: aiosqlite.Connection, incident_id: int, incident: Incident, *, was: bool, public: bool, now: datetime
) -> int:
    """An incident made public or private, in that change's unit of work: nothing when it already was; else one
    delivery per webhook that takes incidents, in its lane for this incident. A public-only webhook gets the
    incident appearing with its whole public state (its public timeline: never an internal entry) or leaving with
    its number alone; one taking private incidents too gets its `public` flag corrected."""
    if was == public:
        return 0
    hooks = await _hooks(conn, incident.guild_id)
    if not hooks:
        return 0
    server = await _server_name(conn, incident.guild_id)
    timeline: tuple[Update, ...] | None = None
    planned = 0
    for hook in hooks:
        event = visibility_event(public_only=hook.public_only, public=public)
        # The event already says what the hook may see (a withdrawal is for public-only hooks): its choice alone.
        if not wants(hook.events, public_only=False, event=event, public=public):
            continue
        key = str(uuid.uuid4())
        if event == EventKind.WITHDRAWN:
            body = withdrawn_body(incident, key=key, occurred_at=now, server=server)
        else:
            entries: tuple[Update, ...] = ()
            if event == EventKind.PUBLISHED:
                if timeline is None:
                    timeline = tuple(await incidents_store.timeline(conn, incident_id))
                entries = timeline
            body = delivery_body(event, incident, entries, key=key, public=public, occurred_at=now, server=server)
        lane = outbox.webhook_lane(hook.id, incident_id)
        await _enqueue(conn, hook, event, key, body, lane=lane, now=now, about={"incident_id": incident_id})
        planned += 1
    return planned
