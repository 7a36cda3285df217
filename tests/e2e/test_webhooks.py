"""Signed webhooks end to end: the bot runs as its own process against the double, an admin adds a webhook with
/webhook add, coordinators declare, update and resolve, and a real receiver (an aiohttp server on 127.0.0.1 in
the test) gets every event at least once and, repeats dropped by idempotency key, exactly once, each signature
verified, in order per incident: when it answers 500 for a while, when it is down across a restart of the bot,
and when the bot is SIGKILLed while a delivery is in flight. Corrections and an incident made public or private reach
each receiver as one event, in order with the others, and a public-only receiver hears nothing of a private
incident until it is made public."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox import DiscordDouble
from bot.webhooks.rules import KEY_HEADER, SIGNATURE_HEADER, verify
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, settle
from tests.e2e.test_outage_lifecycle import CERP
from tests.e2e.test_setup import all_replies

pytestmark = [pytest.mark.faults, pytest.mark.long]

WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    key: str
    event: str
    number: int
    notes: tuple[str, ...]
    signed: bool
    incident: dict[str, Any] = field(default_factory=dict)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records every request, answers 500 to the first `failing` ones, and holds
    requests while `holding` is set (a delivery in flight)."""

    port: int
    secret: str = ""
    failing: int = 0
    answer: int = 204
    received: list[Received] = field(default_factory=list)
    holding: bool = False
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        data = json.loads(body)
        assert data["idempotency_key"] == request.headers[KEY_HEADER]
        found = Received(
            key=data["idempotency_key"],
            event=data["event"],
            number=int(data["incident"]["number"]),
            notes=tuple(u["text"] for u in data.get("updates", ()) if u.get("text")),
            signed=verify(self.secret, request.headers[SIGNATURE_HEADER], body),
            incident=data["incident"],
        )
        async with self.changed:
            self.received.append(found)
            self.changed.notify_all()
        if self.holding:
            self.held.set()
            await self.release.wait()
        if self.failing > 0:
            self.failing -= 1
            return web.Response(status=500)
        return web.Response(status=self.answer)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def unique(self) -> list[Received]:
        """Repeats dropped by key, in the order first received."""
        seen: dict[str, Received] = {}
        for item in self.received:
            seen.setdefault(item.key, item)
        return list(seen.values())

    async def wait_for(self, count: int, timeout: float = WAIT_S) -> None:
        async def enough() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: len(self.unique()) >= count)

        await asyncio.wait_for(enough(), timeout)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(free_port())
    yield found
    found.release.set()
    await found.stop()


@pytest.fixture
async def public_receiver() -> AsyncIterator[Receiver]:
    found = Receiver(free_port())
    yield found
    found.release.set()
    await found.stop()


@contextlib.asynccontextmanager
async def webhook_bot(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver
) -> AsyncIterator[BotProcess]:
    """The receiver listening, the bot running (loopback allowed, quick retries), the server configured and the
    webhook added by its admin; the bot stopped after."""
    await receiver.start()
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env |= {"TOCSIN_WEBHOOK_ALLOW_LOOPBACK": "true", "TOCSIN_WEBHOOK_RETRY_FIRST": "0.2"}
    await process.start()
    try:
        await configure(double, server)
        await add_webhook(double, server, receiver)
        yield process
    finally:
        receiver.release.set()
        await process.stop()
    assert receiver.secret not in process.log_text()


async def webhook_command(
    double: DiscordDouble, server: Server, command: str, options: dict[str, Any], member: str = "admin.sophie"
) -> str:
    ix = await double.run_command(server.members[member], server.channels["journal-bot"], f"webhook {command}", options)
    reply = await ix.reply()
    assert ix.ephemeral, f"/webhook {command} answered publicly"
    return str(reply.get("content", ""))


async def add_webhook(double: DiscordDouble, server: Server, receiver: Receiver) -> None:
    refused = await webhook_command(double, server, "add", {"url": receiver.url}, member="coord.anne")
    assert "whsec_" not in refused and ("admin" in refused.lower() or "gérer le serveur" in refused.lower()), refused
    metadata = await webhook_command(double, server, "add", {"url": "http://169.254.169.254/latest/meta-data/"})
    assert "adresse privée, locale ou réservée" in metadata and "whsec_" not in metadata, metadata
    said = await webhook_command(double, server, "add", {"url": receiver.url, "private-incidents-too": True})
    found = re.search(r"whsec_[A-Za-z0-9_-]+", said)
    assert found is not None, said
    receiver.secret = found[0]
    listed = await webhook_command(double, server, "list", {})
    assert receiver.url in listed and receiver.secret not in listed, listed


async def coordinate(double: DiscordDouble, server: Server, command: str, options: dict[str, Any]) -> None:
    ix = await double.run_command(server.members["coord.anne"], server.channels["incidents"], command, options)
    await ix.reply()


async def scenario(double: DiscordDouble, server: Server) -> list[tuple[int, str, str | None]]:
    """Two incidents, interleaved; what each receiver must see per incident: (number, event, a note it carries)."""
    await coordinate(double, server, "outage declare", CERP)
    await coordinate(double, server, "outage update", {"incident": "1", "note": "Point 1"})
    await coordinate(double, server, "outage declare", {**CERP, "title": "Standard en panne"})
    await coordinate(double, server, "outage update", {"incident": "1", "note": "Point 2"})
    await coordinate(double, server, "outage update", {"incident": "2", "note": "Point A"})
    await coordinate(double, server, "outage resolve", {"incident": "1", "summary": "Rétabli"})
    await coordinate(double, server, "outage resolve", {"incident": "2"})
    return [
        (1, "incident_declared", None),
        (1, "incident_updated", "Point 1"),
        (1, "incident_updated", "Point 2"),
        (1, "incident_resolved", None),
        (2, "incident_declared", None),
        (2, "incident_updated", "Point A"),
        (2, "incident_resolved", None),
    ]


def check_exactly_once_in_order(receiver: Receiver, expected: list[tuple[int, str, str | None]]) -> None:
    unique = receiver.unique()
    assert len(unique) == len(expected), [(u.number, u.event) for u in unique]
    assert all(item.signed for item in receiver.received), "every request, repeats included, is signed"
    for number in (1, 2):
        got = [u for u in unique if u.number == number]
        want = [e for e in expected if e[0] == number]
        assert [u.event for u in got] == [e[1] for e in want], number
        for item, (_, _, note) in zip(got, want, strict=True):
            assert note is None or note in item.notes, (item, note)
    # Repeats carry the same key and the same content: dropping them by key loses nothing.
    by_key: dict[str, Received] = {}
    for item in receiver.received:
        assert by_key.setdefault(item.key, item) == item


async def test_every_event_reaches_a_receiver_answering_500_for_a_while_once_each_in_order(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.failing = 4
    async with webhook_bot(double, server, tmp_path, receiver):
        expected = await scenario(double, server)
        await receiver.wait_for(len(expected))
    assert len(receiver.received) >= len(expected) + 4, "the 500s were answered and their deliveries tried again"
    check_exactly_once_in_order(receiver, expected)


async def test_a_receiver_down_across_a_restart_of_the_bot_gets_everything_after(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    async with webhook_bot(double, server, tmp_path, receiver) as process:
        await receiver.stop()  # down: every attempt finds nobody listening
        expected = await scenario(double, server)
        await process.stop()
        assert receiver.received == []
        await receiver.start()
        await process.start()
        await receiver.wait_for(len(expected))
    check_exactly_once_in_order(receiver, expected)


async def test_a_bot_killed_while_a_delivery_is_in_flight_sends_it_again_with_the_same_key(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    kills = 0
    async with webhook_bot(double, server, tmp_path, receiver) as process:
        receiver.holding = True
        expected = await scenario(double, server)
        while kills < 3:
            await asyncio.wait_for(receiver.held.wait(), WAIT_S)  # a delivery is in flight, unanswered
            process.kill()
            kills += 1
            await process.wait_exit()
            receiver.held.clear()
            if kills == 3:
                receiver.holding = False
            receiver.release.set()  # the killed bot's connection is gone: its answer reaches nobody
            receiver.release = asyncio.Event()
            await process.start()
        await receiver.wait_for(len(expected))
    assert kills == 3
    keys = [item.key for item in receiver.received]
    assert len(keys) > len(set(keys)), "a delivery in flight at a kill was sent again"
    check_exactly_once_in_order(receiver, expected)


async def test_repeated_permanent_failures_pause_the_webhook_and_tell_the_admins(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.answer = 410
    log = server.channels["journal-bot"]
    async with webhook_bot(double, server, tmp_path, receiver):
        before = len(double.channel_messages(log))
        for title in ("Panne 1", "Panne 2", "Panne 3"):
            await coordinate(double, server, "outage declare", {**CERP, "title": title})
            await settle(double)
        told = [m["content"] for m in double.channel_messages(log)[before:]]
        assert len(told) == 1 and "en pause" in told[0] and receiver.url in told[0], told
        assert receiver.secret not in told[0]
        checked = await all_replies(double, server, "check")
        assert "En pause (après des échecs répétés" in checked and receiver.url in checked, checked
        assert "send_webhook" not in checked, "a webhook's failures are said in its own words, once it pauses"

        await coordinate(double, server, "outage update", {"incident": "1", "note": "Pendant la pause"})
        await settle(double)
        assert len(receiver.received) == 3, "nothing is sent to a paused webhook"

        receiver.answer = 204
        said = await webhook_command(double, server, "switch", {"on": True, "webhook": "1"})
        assert "de nouveau actif" in said, said
        await coordinate(double, server, "outage update", {"incident": "2", "note": "Après la pause"})
        await receiver.wait_for(4)
        await settle(double)
        assert "En pause" not in await all_replies(double, server, "check")
    assert [u.event for u in receiver.unique()] == ["incident_declared"] * 3 + ["incident_updated"]
    assert "Après la pause" in receiver.unique()[-1].notes


async def test_corrections_and_visibility_reach_each_receiver_once_in_order_and_a_private_incident_only_when_public(
    double: DiscordDouble, server: Server, tmp_path: Path, receiver: Receiver, public_receiver: Receiver
) -> None:
    public_receiver.failing = 2  # its first deliveries are tried again: still once each, in order
    async with webhook_bot(double, server, tmp_path, receiver):
        await public_receiver.start()
        said = await webhook_command(double, server, "add", {"url": public_receiver.url})
        found = re.search(r"whsec_[A-Za-z0-9_-]+", said)
        assert found is not None, said
        public_receiver.secret = found[0]

        await coordinate(double, server, "outage declare", {**CERP, "public": False})
        await coordinate(double, server, "outage update", {"incident": "1", "note": "Point privé"})
        await coordinate(double, server, "outage update", {"incident": "1", "note": "Piste interne", "internal": True})
        await coordinate(double, server, "outage edit", {"incident": "1", "title": "Cerp: commandes"})
        await receiver.wait_for(3)
        await settle(double)
        assert public_receiver.received == [], "a public-only receiver hears nothing of a private incident"

        await coordinate(double, server, "outage edit", {"incident": "1", "public": True})
        await coordinate(double, server, "outage edit", {"incident": "1", "organisation": "Cerp BA"})
        await coordinate(double, server, "outage update", {"incident": "1", "note": "Point public"})
        await coordinate(double, server, "outage edit", {"incident": "1", "public": False})
        await coordinate(double, server, "outage update", {"incident": "1", "note": "De nouveau privé"})
        await coordinate(double, server, "outage resolve", {"incident": "1"})
        await receiver.wait_for(9)
        await public_receiver.wait_for(4)
        await settle(double)

    check_exactly_once_in_order(
        receiver,
        [
            (1, "incident_declared", None),
            (1, "incident_updated", "Point privé"),
            (1, "incident_edited", None),
            (1, "incident_edited", None),
            (1, "incident_edited", None),
            (1, "incident_updated", "Point public"),
            (1, "incident_edited", None),
            (1, "incident_updated", "De nouveau privé"),
            (1, "incident_resolved", None),
        ],
    )
    told = receiver.unique()
    assert [item.incident["public"] for item in told] == [False, False, False, True, True, True, False, False, False]
    assert told[2].incident["title"] == "Cerp: commandes" and told[4].incident["organisation"] == "Cerp BA"

    check_exactly_once_in_order(
        public_receiver,
        [
            (1, "incident_published", "Point privé"),
            (1, "incident_edited", None),
            (1, "incident_updated", "Point public"),
            (1, "incident_withdrawn", None),
        ],
    )
    assert len(public_receiver.received) >= 4 + 2, "its 500s were answered and tried again"
    published, edited, _, withdrawn = public_receiver.unique()
    assert published.incident["title"] == "Cerp: commandes" and published.incident["public"] is True
    assert published.notes == ("Point privé",), "the public timeline so far, never an internal update's words"
    assert edited.incident["organisation"] == "Cerp BA"
    assert withdrawn.incident == {"number": 1} and withdrawn.notes == ()
    assert all("Piste interne" not in item.notes for item in [*receiver.received, *public_receiver.received])
