"""Random sequences of the outage use cases (declare, update, resolve, reopen, edit, cancel, assign, "Follow",
and a repeated interaction) on a real SQLite file, with a manual clock, checked against a small model after
every step: on one incident, on two incidents of one server, and on one incident in each of two servers.

After every step:
- the command succeeded exactly when the model says it may (the coordinator role, the status rules, "nothing
  changes" refusals); a refusal is a `TocsinError` worded in French and English, and writes nothing at all
  (the whole database is compared); so does a repeated interaction, and a command whose audit write fails
  (the transaction is one: no incident change, timeline entry or outbox row survives it);
- a successful command writes exactly one audit row and its timeline entries, all stamped with its time, for
  its own incident, and every outbox row it plans belongs to its server;
- every incident's stored status, owner, severity and title are the model's; numbers are 1…n per server;
- no two pending outbox rows share a coalescing key, no two rows a nonce; one command sends at most one
  message per channel;
- no send may ping @everyone/@here or anyone DESIGN.md's "Who is told what" does not name: a channel
  message the roles of that channel's routes, a thread post the incident's follow role (and, for a hand-over,
  the new owner), nothing else; typed mentions are neutralised.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.common.i18n import LANGUAGES, default_catalogue
from bot.delivery import outbox
from bot.following.use_cases import Following
from bot.incidents.rules.model import CancelReason, ServiceState, Severity, Status
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, UpdateInput
from bot.interactions.access import NotAllowedError
from bot.settings.rules.config import ServerDefaults
from bot.storage import audit
from bot.storage.store import Store
from bot.storage.times import to_db_time

pytestmark = pytest.mark.long

START = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
OPEN = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


@dataclass(frozen=True)
class Server:
    guild_id: int
    coordinator_role: int
    incident_channel: int
    routes: tuple[tuple[int, str | None, str | None, int | None], ...]  # channel, territory, sector, role
    coordinators: tuple[int, int]
    member: int
    forum: bool = False  # the incident channel is a forum: a post per incident, its status shown as a tag

    @property
    def channels(self) -> set[int]:
        return {self.incident_channel, *(channel for channel, *_ in self.routes)}

    def roles_of(self, channel: int) -> set[int]:
        return {role for ch, _t, _s, role in self.routes if ch == channel and role is not None}

    def actor(self, who: int, interaction_id: int | None) -> Actor:
        if who < 2:
            return Actor(self.guild_id, self.coordinators[who], frozenset({self.coordinator_role}), interaction_id)
        return Actor(self.guild_id, self.member, frozenset({self.coordinator_role + 1}), interaction_id)


ONE = Server(
    1,
    10,
    100,
    (
        (201, "R53", None, None),
        (202, "R52", None, None),
        (203, "R75", None, None),
        (205, "R76", None, None),
        (204, None, "pharmacie", 304),
        (207, None, "librairie", 307),
        (206, "16", "collectivité", 306),
    ),
    (1001, 1002),
    2001,
)
TWO = Server(
    2,
    20,
    110,
    ((211, "R53", None, None), (212, "R75", None, 412), (214, None, "pharmacie", 414), (215, None, "librairie", 415)),
    (3001, 3002),
    4001,
    forum=True,
)
# The forum's tags, named by the status codes (one of the ways `status_tag` recognises them).
TAGS = {status.value: 500 + position for position, status in enumerate(Status)}

TITLES = ("Cerp à l'arrêt", "Panne ERP @everyone <@&304>", "Serveur national saturé")
TERRITORIES = ("53", "52, 75", "29", "France", "16")
SECTORS = ("pharmacie", "librairie")
SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR)
WORKAROUNDS = ("Commander par téléphone.", "Commander via Dilicom.", "Reporter les commandes @here.")
NOTE = "Point de situation @here <@&304> <@999>"  # typed mentions: shown, never live


def refs(text: str) -> tuple[str, ...]:
    return tuple(t.ref for t in territory_data.parse_list(text, prefer_kind="region"))


# --- the model ------------------------------------------------------------------------------------------------


@dataclass
class Known:
    status: Status
    owner: int
    severity: Severity
    title: str
    territories: tuple[str, ...]
    sector: str
    workaround: str | None
    eta: datetime | None
    services: dict[str, ServiceState]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass
class Predicted:
    """What the model expects of a command: allowed or not, and if allowed the audit action, the timeline entry
    kinds, the incident afterwards, the person a hand-over names, and the entries another incident gets (the
    original of a duplicate: its number and kinds)."""

    ok: bool
    action: str = ""
    kinds: tuple[str, ...] = ()
    after: Known | None = None
    assigned_to: int | None = None
    other: tuple[int, tuple[str, ...]] | None = None


REFUSED = Predicted(ok=False)


@dataclass(frozen=True)
class Step:
    op: str
    server: int
    number: int
    who: int  # 0 and 1: the server's coordinators; 2: a member without the role
    arg: int
    minutes: int
    crash: bool


Run = Callable[[Lifecycle, Actor, datetime], Awaitable[Any]]


@dataclass
class World:
    store: Store
    outages: Lifecycle
    servers: tuple[Server, ...]
    now: datetime = START
    known: dict[tuple[int, int], Known] = field(default_factory=dict)
    interactions: int = 9000
    replayable: list[tuple[Actor, Run]] = field(default_factory=list)

    def count(self, guild_id: int) -> int:
        return sum(1 for guild, _ in self.known if guild == guild_id)


# --- commands and their predictions -------------------------------------------------------------------------


def declare_command(step: Step, world: World, server: Server) -> tuple[Run, Predicted]:
    title = TITLES[step.arg % len(TITLES)]
    severity = SEVERITIES[step.arg // 3 % 3]
    territories = TERRITORIES[step.arg % len(TERRITORIES)]
    sector = SECTORS[step.arg // 2 % 2]
    typed = DeclareInput(
        title=title,
        sector=sector,
        territories=territories,
        severity=severity,
        services="commandes, livraisons",
        workaround=WORKAROUNDS[0],
    )

    async def run(outages: Lifecycle, actor: Actor, now: datetime) -> Any:
        return await outages.declare(actor, typed, now=now)

    if step.who == 2:
        return run, REFUSED
    after = Known(
        status=Status.INVESTIGATING,
        owner=server.coordinators[step.who],
        severity=severity,
        title=title,
        territories=refs(territories),
        sector=sector,
        workaround=WORKAROUNDS[0],
        eta=None,
        services={"commandes": ServiceState.DOWN, "livraisons": ServiceState.DOWN},
    )
    return run, Predicted(True, "outage declare", ("declared",), after)


def update_command(known: Known, arg: int, now: datetime) -> tuple[UpdateInput, Predicted]:
    """One of the update variants, and whether it changes something (else it is refused)."""
    variant = arg % 17
    same = replace(known, services=dict(known.services))
    if variant in (0, 16):
        return UpdateInput(note=NOTE, silent=variant == 16), Predicted(True, kinds=("note",), after=same)
    if 1 <= variant <= 3:
        status = OPEN[variant - 1]
        ok = status != known.status
        return UpdateInput(status=status), Predicted(ok, kinds=("status_changed",), after=replace(same, status=status))
    if variant == 4:
        return UpdateInput(status=Status.RESOLVED), REFUSED
    if 5 <= variant <= 7:
        severity = SEVERITIES[variant - 5]
        after = replace(same, severity=severity)
        return UpdateInput(severity=severity), Predicted(
            severity != known.severity, kinds=("severity_changed",), after=after
        )
    if 8 <= variant <= 9:
        text = WORKAROUNDS[variant - 7]
        after = replace(same, workaround=text)
        return UpdateInput(workaround=text), Predicted(
            text != known.workaround, kinds=("workaround_changed",), after=after
        )
    if 10 <= variant <= 11:
        hours = 2 if variant == 10 else 5
        eta = now + timedelta(hours=hours)
        return UpdateInput(eta=f"dans {hours} h"), Predicted(
            eta != known.eta, kinds=("eta_changed",), after=replace(same, eta=eta)
        )
    if variant == 12:
        return UpdateInput(next_update="dans 1 h"), Predicted(True, kinds=("next_update_set",), after=same)
    if 13 <= variant <= 15:
        name, state, typed = (
            ("commandes", ServiceState.RESTORED, "commandes: rétabli"),
            ("livraisons", ServiceState.DEGRADED, "livraisons: dégradé"),
            ("commandes", ServiceState.DOWN, "commandes: en panne"),
        )[variant - 13]
        services = {**known.services, name: state}
        ok = known.services.get(name) != state
        return UpdateInput(services=typed), Predicted(
            ok, kinds=("services_changed",), after=replace(same, services=services)
        )
    raise AssertionError(variant)


def edit_command(known: Known, arg: int) -> tuple[EditInput, Predicted]:
    variant = arg % 7
    title = TITLES[arg // 7 % len(TITLES)]
    severity = SEVERITIES[arg // 7 % 3]
    territories = TERRITORIES[arg // 7 % len(TERRITORIES)]
    sector = SECTORS[arg // 7 % 2]
    typed: EditInput
    if variant == 0:
        typed, after = EditInput(title=title), replace(known, title=title)
    elif variant == 1:
        typed, after = EditInput(severity=severity), replace(known, severity=severity)
    elif variant == 2:
        typed, after = EditInput(territories=territories), replace(known, territories=refs(territories))
    elif variant == 3:
        typed, after = EditInput(sector=sector), replace(known, sector=sector)
    elif variant == 4:  # a correction that moves the announcements and raises the severity at once
        typed = EditInput(territories=territories, severity=Severity.CRITICAL)
        after = replace(known, territories=refs(territories), severity=Severity.CRITICAL)
    elif variant == 5:
        typed = EditInput(sector=sector, severity=Severity.CRITICAL)
        after = replace(known, sector=sector, severity=Severity.CRITICAL)
    else:
        typed, after = (
            EditInput(title=title, territories=territories),
            replace(known, title=title, territories=refs(territories)),
        )
    facts = (after.title, after.territories, after.sector) != (known.title, known.territories, known.sector)
    severity_changed = after.severity != known.severity
    kinds = (("edited",) if facts else ()) + (("severity_changed",) if severity_changed else ())
    if known.status == Status.CANCELLED or not kinds:
        return typed, REFUSED
    return typed, Predicted(True, "outage edit", kinds, after)


def change_command(step: Step, world: World, server: Server) -> tuple[Run, Predicted]:
    known = world.known.get((server.guild_id, step.number))
    allowed = step.who < 2 and known is not None
    number, arg, now = step.number, step.arg, world.now
    run: Run
    predicted = REFUSED
    if step.op == "update":
        typed, maybe = update_command(known, arg, now) if known is not None else (UpdateInput(note=NOTE), REFUSED)

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.update(actor, number, typed, now=at)

        if allowed and known is not None and known.is_open and maybe.ok:
            predicted = replace(maybe, action="outage update")
    elif step.op == "resolve":
        silent = arg % 2 == 1

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.resolve(actor, number, summary="Activité rétablie @everyone", silent=silent, now=at)

        if allowed and known is not None and known.is_open:
            services = dict.fromkeys(known.services, ServiceState.RESTORED)
            after = replace(known, status=Status.RESOLVED, services=services)
            predicted = Predicted(True, "outage resolve", ("resolved",), after)
    elif step.op == "reopen":

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.reopen(actor, number, reason="Rechute", now=at)

        if allowed and known is not None and known.status == Status.RESOLVED:
            predicted = Predicted(True, "outage reopen", ("reopened",), replace(known, status=Status.INVESTIGATING))
    elif step.op == "edit":
        typed_edit, maybe = edit_command(known, arg) if known is not None else (EditInput(title="x"), REFUSED)

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.edit(actor, number, typed_edit, now=at)

        if allowed:
            predicted = maybe
    elif step.op == "cancel":
        duplicate_of = None if arg % 2 == 0 else arg // 2 % 3 + 1
        reason = CancelReason.FALSE_ALARM if duplicate_of is None else CancelReason.DUPLICATE

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.cancel(actor, number, reason=reason, duplicate_of=duplicate_of, note="Doublon", now=at)

        original = world.known.get((server.guild_id, duplicate_of)) if duplicate_of is not None else None
        duplicate_ok = duplicate_of is None or (
            original is not None and duplicate_of != number and original.status != Status.CANCELLED
        )
        if allowed and known is not None and known.is_open and duplicate_ok:
            predicted = Predicted(True, "outage cancel", ("cancelled",), replace(known, status=Status.CANCELLED))
            if duplicate_of is not None:  # the original is told of its duplicate in its own timeline
                predicted.other = (duplicate_of, ("linked",))
    elif step.op == "assign":
        to_member = arg % 3 == 2
        to = server.member if to_member else server.coordinators[arg % 3]
        to_roles = frozenset() if to_member else frozenset({server.coordinator_role})

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            return await outages.assign(actor, number, to=to, to_roles=to_roles, now=at)

        if allowed and known is not None and known.is_open and not to_member and to != known.owner:
            predicted = Predicted(True, "outage assign", ("assigned",), replace(known, owner=to), assigned_to=to)
    elif step.op == "follow":
        guild_id = server.guild_id

        async def run(outages: Lifecycle, actor: Actor, at: datetime) -> Any:
            following = Following(outages.store, outages.defaults)
            return await following.follow_incident(actor, number, dm=None, now=at, guild_id=guild_id)

        if known is not None:  # open to every member, the incident's state unchanged
            predicted = Predicted(True, "follow incident", (), replace(known, services=dict(known.services)))
    else:
        raise AssertionError(step.op)
    return run, predicted


# --- reading the database ------------------------------------------------------------------------------------


Dump = dict[str, list[tuple[Any, ...]]]


def _row_order(row: tuple[Any, ...]) -> list[tuple[int, Any]]:
    """Rows in the order of their values, numbers as numbers (ids first: the order they were written)."""
    return [(0, value) if isinstance(value, int | float) else (1, str(value)) for value in row]


async def dump(store: Store) -> Dump:
    """Every row of every table: what "writes nothing" is compared on."""
    async with store.reading() as conn:
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) as cursor:
            tables = [str(r[0]) for r in await cursor.fetchall()]
        found: Dump = {}
        for table in tables:
            async with conn.execute(f"SELECT * FROM {table}") as cursor:
                found[table] = sorted((tuple(r) for r in await cursor.fetchall()), key=_row_order)
    return found


def added(before: Dump, after: Dump, table: str) -> list[tuple[Any, ...]]:
    earlier = set(before[table])
    return [row for row in after[table] if row not in earlier]


async def outbox_rows(store: Store, after: int) -> dict[int, outbox.OutboxRow]:
    async with store.reading() as conn:
        async with conn.execute("SELECT id FROM outbox WHERE id > ? ORDER BY id", (after,)) as cursor:
            ids = [int(r[0]) for r in await cursor.fetchall()]
        rows = [await outbox.get(conn, i) for i in ids]
    return {r.id: r for r in rows if r is not None}


async def kind_and_guild(store: Store, row_id: int) -> tuple[str, int | None]:
    async with store.reading() as conn, conn.execute("SELECT kind, guild_id FROM outbox WHERE id = ?", (row_id,)) as c:
        row = await c.fetchone()
    assert row is not None, f"a reference to outbox row {row_id}, which does not exist"
    return str(row[0]), row[1]


def texts(value: Any) -> list[str]:
    """The plain strings of a content value (a `$concat` keeps its literal parts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and "$concat" in value:
        return [part for part in value["$concat"] if isinstance(part, str)]
    return []


async def check_send(store: Store, row: outbox.OutboxRow, server: Server, assigned_to: int | None) -> None:
    """Who the send may ping: exactly what DESIGN.md's "Who is told what" names, and never @everyone."""
    payload = dict(row.payload)
    if row.kind in ("create_thread", "edit_thread"):
        payload.pop("name", None)  # a thread name is plain text: it cannot ping
    shown = json.dumps(payload, ensure_ascii=False).replace("@\u200beveryone", "").replace("@\u200bhere", "")
    assert "@everyone" not in shown and "@here" not in shown, row
    if row.kind == "create_thread" and "message" in row.payload:  # a forum post: the status message
        assert row.payload["message"]["allowed_mentions"] == {"parse": [], "users": [], "roles": []}, row
        assert row.payload["channel_id"] == server.incident_channel
    if row.kind not in ("send_message", "send_dm"):
        return
    allowed = row.payload["allowed_mentions"]
    assert allowed.get("parse", []) == [], row
    roles, users = allowed.get("roles", []), allowed.get("users", [])
    if row.kind == "send_dm":
        assert roles == [] and users == [], row
        return
    channel = row.payload["channel_id"]
    if isinstance(channel, int):
        assert channel in server.channels, f"a message of server {server.guild_id} sent to channel {channel}"
        assert set(roles) <= server.roles_of(channel), row
        assert users == [], row
        permitted_roles: set[int] = set(roles)
    else:
        assert set(channel) == {"$ref", "field"} and channel["field"] == "thread_id", row
        assert await kind_and_guild(store, channel["$ref"]) == ("create_thread", server.guild_id)
        for role in roles:  # the incident's follow role, still being created
            assert isinstance(role, dict) and role.get("field") == "role_id", row
            assert await kind_and_guild(store, role["$ref"]) == ("create_role", server.guild_id)
        assert users == ([assigned_to] if assigned_to is not None else []), row
        permitted_roles = set()
    for text in texts(row.payload.get("content")):
        assert {int(r) for r in re.findall(r"<@&(\d+)>", text)} <= permitted_roles, row
        # People are named (author, owner) without being pinged; a typed mention is never left live.
        assert {int(u) for u in re.findall(r"<@!?(\d+)>", text)} <= set(server.coordinators), row


async def check_everywhere(world: World, before: Dump, after: Dump) -> None:
    """What holds after any step, whatever it did."""
    for guild_id in {s.guild_id for s in world.servers}:
        numbers = sorted(int(r[2]) for r in after["incidents"] if r[1] == guild_id)
        assert numbers == list(range(1, world.count(guild_id) + 1))
    async with world.store.reading() as conn:
        for (guild_id, number), known in world.known.items():
            async with conn.execute(
                "SELECT id, status, owner_id, severity, title, sector, workaround, eta FROM incidents "
                "WHERE guild_id = ? AND number = ?",
                (guild_id, number),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            incident_id, *stored = row
            eta = to_db_time(known.eta) if known.eta is not None else None
            expected = [known.status.value, known.owner, known.severity.value, known.title, known.sector]
            assert stored == [*expected, known.workaround, eta], f"#{number} of server {guild_id}"
            async with conn.execute(
                "SELECT key, state FROM incident_services WHERE incident_id = ?", (incident_id,)
            ) as cursor:
                services = {str(r[0]): ServiceState(r[1]) for r in await cursor.fetchall()}
            assert services == known.services, f"#{number} of server {guild_id}"
            async with conn.execute(
                "SELECT territory FROM incident_territories WHERE incident_id = ? ORDER BY position", (incident_id,)
            ) as cursor:
                assert tuple(str(r[0]) for r in await cursor.fetchall()) == known.territories
        async with conn.execute(
            "SELECT coalesce_key FROM outbox WHERE status = 'pending' AND coalesce_key IS NOT NULL "
            "GROUP BY coalesce_key HAVING COUNT(*) > 1"
        ) as cursor:
            assert await cursor.fetchall() == [], "two pending rows with one coalescing key"
        async with conn.execute("SELECT id FROM outbox") as cursor:
            ids = [int(r[0]) for r in await cursor.fetchall()]
    assert len({outbox.nonce_for(i) for i in ids}) == len(ids)
    assert set(before["audit_log"]) <= set(after["audit_log"]), "the audit log only grows"
    assert set(before["updates"]) <= set(after["updates"]), "the timeline only grows"


def say(error: TocsinError) -> None:
    """A refusal is a sentence in each language, not a traceback."""
    catalogue = default_catalogue()
    for language in LANGUAGES:
        assert catalogue.render(language, error.message_id, **error.args_map).strip()


class CrashError(Exception):
    """The audit write fails: the command's whole transaction must go."""


# --- one step --------------------------------------------------------------------------------------------------


async def play(world: World, step: Step) -> None:
    world.now += timedelta(minutes=step.minutes)
    server = world.servers[step.server % len(world.servers)]
    before = await dump(world.store)
    last_row = max((int(r[0]) for r in before["outbox"]), default=0)

    if step.op == "replay":
        if not world.replayable:
            return
        actor, run = world.replayable[step.arg % len(world.replayable)]
        result = await run(world.outages, actor, world.now)
        assert result.replayed
        assert await dump(world.store) == before, "an interaction answered twice writes nothing the second time"
        return

    if step.op == "declare":
        run, predicted = declare_command(step, world, server)
    else:
        run, predicted = change_command(step, world, server)
    world.interactions += 1
    actor = server.actor(step.who, None if step.op == "follow" else world.interactions)

    real_record = audit.record
    if step.crash:

        async def failing_record(*args: Any, **kwargs: Any) -> None:
            raise CrashError

        audit.record = failing_record  # type: ignore[assignment]
    try:
        result = await run(world.outages, actor, world.now)
    except CrashError:
        assert step.crash and predicted.ok
        assert await dump(world.store) == before, "a failed transaction leaves nothing behind"
        return
    except (TocsinError, NotAllowedError) as refused:
        assert not predicted.ok, f"{step} refused: {refused!r}"
        say(refused)
        assert await dump(world.store) == before, f"{step} was refused ({refused.message_id}) but wrote"
        return
    finally:
        audit.record = real_record
    assert predicted.ok, f"{step} was expected to be refused, got {result}"
    assert not step.crash

    after = await dump(world.store)
    number = result.number
    assert predicted.after is not None
    if step.op == "declare":
        assert number == world.count(server.guild_id) + 1, "numbers follow on per server"
    earlier = world.known.get((server.guild_id, number))
    world.known[(server.guild_id, number)] = predicted.after

    # One audit row, stamped now, for this actor and server; the timeline entries with it.
    (audit_row,) = added(before, after, "audit_log")
    columns = ("id", "guild_id", "actor_id", "action", "arguments", "result", "at")
    written = dict(zip(columns, audit_row, strict=True))
    assert (written["guild_id"], written["actor_id"], written["action"]) == (
        server.guild_id,
        actor.user_id,
        predicted.action,
    )
    assert written["at"] == to_db_time(world.now)
    async with (
        world.store.reading() as conn,
        conn.execute("SELECT id FROM incidents WHERE guild_id = ? AND number = ?", (server.guild_id, number)) as c,
    ):
        found = await c.fetchone()
    assert found is not None
    entries = added(before, after, "updates")
    own = [e for e in entries if e[1] == found[0]]
    assert tuple(e[2] for e in own) == predicted.kinds, f"{step}: {[e[2] for e in entries]}"
    others = [e for e in entries if e[1] != found[0]]
    if predicted.other is None:
        assert others == [], f"{step}: {[e[2] for e in entries]}"
    else:
        other_number, other_kinds = predicted.other
        async with (
            world.store.reading() as conn,
            conn.execute(
                "SELECT id FROM incidents WHERE guild_id = ? AND number = ?", (server.guild_id, other_number)
            ) as c,
        ):
            other_row = await c.fetchone()
        assert other_row is not None
        assert [(e[1], e[2]) for e in others] == [(other_row[0], kind) for kind in other_kinds], step
    assert all(e[3] == to_db_time(world.now) for e in entries)
    handled = added(before, after, "handled_interactions")
    assert len(handled) == (0 if actor.interaction_id is None else 1)
    if actor.interaction_id is not None:
        world.replayable.append((actor, run))

    # What it plans: for its own server; one message per channel at most; pinging only whom it may.
    planned = await outbox_rows(world.store, last_row)
    assert all(row.guild_id == server.guild_id for row in planned.values())
    places = [json.dumps(r.payload["channel_id"]) for r in planned.values() if r.kind == "send_message"]
    assert len(places) == len(set(places)), f"{step}: two messages in one place for one command"
    dms = [r.payload["user_id"] for r in planned.values() if r.kind == "send_dm"]
    assert len(dms) == len(set(dms))
    for row in planned.values():
        await check_send(world.store, row, server, predicted.assigned_to)
    if server.forum:  # the post's tag follows the status, once per change
        status = predicted.after.status
        if step.op == "declare":
            (post,) = [r for r in planned.values() if r.kind == "create_thread"]
            assert post.payload["applied_tags"] == [TAGS[status.value]]
        else:
            retagged = [r.payload["applied_tags"] for r in planned.values() if "applied_tags" in r.payload]
            changed = earlier is not None and earlier.status != status
            assert retagged == ([[TAGS[status.value]]] if changed else []), step
    await check_everywhere(world, before, after)


# --- the three layouts ------------------------------------------------------------------------------------------


async def configure(store: Store, servers: tuple[Server, ...]) -> None:
    stamp = to_db_time(START)
    async with store.unit_of_work() as conn:
        for server in servers:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, language, time_zone, coordinator_role_id, incident_channel_id, "
                "updated_at) VALUES (?, 'fr', 'Europe/Paris', ?, ?, ?)",
                (server.guild_id, server.coordinator_role, server.incident_channel, stamp),
            )
            for channel, territory, sector, role in server.routes:
                await conn.execute(
                    "INSERT INTO routes (guild_id, channel_id, territory, sector, role_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (server.guild_id, channel, territory, sector, role, stamp),
                )


async def scenario(servers: tuple[Server, ...], first: list[Step], steps: list[Step]) -> World:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "t.db")
        try:
            await store.migrate()
            await configure(store, servers)
            forums = {server.incident_channel for server in servers if server.forum}
            outages = Lifecycle(store, ServerDefaults(), forum_tags=lambda channel: TAGS if channel in forums else None)
            world = World(store, outages, servers)
            for step in (*first, *steps):
                await play(world, step)
            assert set(world.known) >= {(servers[s.server].guild_id, 1) for s in first}
            return world
        finally:
            await store.close()


def steps(ops: tuple[str, ...], *, servers: int, declared: int) -> st.SearchStrategy[list[Step]]:
    """Commands mostly on the incidents declared first, sometimes on the next number (unknown until declared)."""
    step = st.builds(
        Step,
        op=st.sampled_from(ops),
        server=st.integers(0, servers - 1),
        number=st.sampled_from((*range(1, declared + 1),) * 4 + (declared + 1,)),
        who=st.sampled_from((0, 0, 0, 1, 1, 2)),
        arg=st.sampled_from(range(61)),
        minutes=st.integers(1, 600),
        crash=st.sampled_from((False,) * 9 + (True,)),
    )
    return st.lists(step, min_size=1, max_size=12)


CHANGES = (
    *("update",) * 4,
    *("resolve", "reopen", "edit", "assign") * 2,
    *("cancel", "follow", "replay"),
)
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def declared(server: int, arg: int) -> Step:
    return Step("declare", server, 1, 0, arg, 1, crash=False)


@PROPERTY
@given(steps(CHANGES, servers=1, declared=1))
def test_one_incident(sequence: list[Step]) -> None:
    asyncio.run(scenario((ONE,), [declared(0, 1)], sequence))


@PROPERTY
@given(steps((*CHANGES, "declare"), servers=1, declared=2))
def test_two_incidents_of_one_server(sequence: list[Step]) -> None:
    asyncio.run(scenario((ONE,), [declared(0, 1), declared(0, 4)], sequence))


@PROPERTY
@given(steps((*CHANGES, "declare"), servers=2, declared=1))
def test_one_incident_in_each_of_two_servers(sequence: list[Step]) -> None:
    asyncio.run(scenario((ONE, TWO), [declared(0, 1), declared(1, 5)], sequence))


# --- the named cases, always run -----------------------------------------------------------------------------------


def named(*ops: tuple[str, int, int, bool]) -> list[Step]:
    """Steps five minutes apart on #1: (command, who, argument, whether its audit write fails)."""
    return [Step(op, 0, 1, who, arg, 5, crash) for op, who, arg, crash in ops]


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        # resolve twice: the second is refused with a sentence; reopen brings it back; resolve again works
        (named(("resolve", 0, 0, False), ("resolve", 1, 0, False), ("reopen", 0, 0, False)), Status.INVESTIGATING),
        (named(("resolve", 0, 0, False), ("reopen", 1, 0, False), ("resolve", 0, 1, False)), Status.RESOLVED),
        # cancelled is final: update, reopen, edit, hand-over, a second cancel and resolve are refused
        (
            named(("cancel", 0, 0, False), *((op, 0, 0, False) for op in ("update", "reopen", "edit", "assign"))),
            Status.CANCELLED,
        ),
        (named(("cancel", 0, 0, False), ("cancel", 1, 0, False), ("resolve", 0, 0, False)), Status.CANCELLED),
        # a member without the role changes nothing, but may follow
        (named(*((op, 2, 0, False) for op in ("update", "resolve", "edit", "cancel", "assign", "follow"))), None),
        # a hand-over names the new owner; one to a member is refused; a failed audit write undoes everything;
        # the hand-over's interaction answered again changes nothing
        (
            named(
                ("assign", 0, 1, False),
                ("assign", 1, 2, False),
                ("update", 1, 0, True),
                ("declare", 0, 0, True),
                ("resolve", 1, 0, True),
                ("replay", 0, 0, False),
            ),
            Status.INVESTIGATING,
        ),
    ],
)
def test_named_sequences(sequence: list[Step], final: Status | None) -> None:
    world = asyncio.run(scenario((ONE,), [declared(0, 1)], sequence))
    assert world.known[(ONE.guild_id, 1)].status == (final or Status.INVESTIGATING)
    assert set(world.known) == {(ONE.guild_id, 1)}


async def test_resolve_on_a_resolved_and_update_on_a_cancelled_incident_are_refused_with_a_sentence(
    store: Store,
) -> None:
    await configure(store, (ONE,))
    outages = Lifecycle(store, ServerDefaults())
    anne = ONE.actor(0, None)
    for _ in range(2):
        await outages.declare(
            anne, DeclareInput(title="Panne", sector="pharmacie", territories="53", severity=Severity.MAJOR), now=START
        )
    await outages.resolve(anne, 1, summary=None, silent=False, now=START)
    await outages.cancel(anne, 2, reason=CancelReason.FALSE_ALARM, duplicate_of=None, note=None, now=START)
    catalogue = default_catalogue()
    with pytest.raises(TocsinError) as resolved:
        await outages.resolve(anne, 1, summary=None, silent=False, now=START)
    assert resolved.value.message_id == "incident.error.already_resolved"
    with pytest.raises(TocsinError) as cancelled:
        await outages.update(anne, 2, UpdateInput(note="Encore ?"), now=START)
    assert cancelled.value.message_id == "incident.error.closed_cancelled"
    assert "#2" in catalogue.render("fr", cancelled.value.message_id, **cancelled.value.args_map)
    reopened = await outages.reopen(anne, 1, reason=None, now=START + timedelta(minutes=1))
    assert reopened.status == Status.INVESTIGATING
