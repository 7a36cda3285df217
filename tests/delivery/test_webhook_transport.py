"""The webhook sender and its address guard, never connecting outside loopback: names resolve through a stub that
maps them to private, link-local and metadata addresses, behind a connector that fails any connection to anything
but the test's own receiver; a redirect to such a name; a live receiver on 127.0.0.2 while loopback is refused."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.delivery.kinds import OutboxKind
from bot.delivery.outbox import Delivery
from bot.delivery.transport import Delivered, Failed, RetryLater
from bot.delivery.webhook_transport import GuardedConnector, WebhookTarget, WebhookTransport, check_target
from bot.webhooks.rules import KEY_HEADER, RETRY_FOR, SIGNATURE_HEADER, AddressError, verify

SECRET = "whsec_transport_test"
NAMES = {
    "private.test": "10.0.0.5",
    "private6.test": "fd00::5",
    "linklocal.test": "169.254.1.1",
    "metadata.test": "169.254.169.254",
    "mapped.test": "::ffff:127.0.0.1",
    "metadata6.test": "fd00:ec2::254",
    "loopback.test": "127.0.0.1",
    "second.test": "127.0.0.2",
}
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class StubResolver(AbstractResolver):
    """Resolves only the test's names, never asks a real DNS server."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.names:
            raise OSError(f"unknown name {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.names[host]
        ]

    async def close(self) -> None:
        return None


class OnlyTo(GuardedConnector):
    """Fails any connection but to the addresses the test serves on: whatever the guard lets through is seen."""

    allowed: frozenset[str] = frozenset()
    tried: ClassVar[list[str]] = []

    async def _wrap_create_connection(self, *args: Any, addr_infos: Any, **kwargs: Any) -> Any:
        hosts = [info[4][0] for info in addr_infos]
        OnlyTo.tried.extend(hosts)
        if not set(hosts) <= self.allowed:
            raise AssertionError(f"connected to {hosts}")
        return await super()._wrap_create_connection(*args, addr_infos=addr_infos, **kwargs)


def delivery(attempts: int = 1, first: datetime = START) -> Delivery:
    body = json.dumps({"schema_version": 1, "idempotency_key": "k1", "event": "incident_declared"})
    return Delivery(
        id=1,
        guild_id=42,
        lane="webhook:1:1",
        kind=OutboxKind.SEND_WEBHOOK,
        payload={"webhook_id": 1, "incident_id": 1, "event": "incident_declared", "key": "k1", "body": body},
        attempts=attempts,
        earlier_attempt_at=first if attempts > 1 else None,
        claimed_at=first if attempts == 1 else first + timedelta(minutes=1),
    )


class Context:
    def __init__(self) -> None:
        self.sent = 0

    def sending(self) -> None:
        self.sent += 1

    async def before_request(self, *, message_channel_id: int | None = None) -> None:
        raise AssertionError("a webhook never waits on Discord's budget")

    async def dm_channel(self, user_id: int) -> int | None:
        raise AssertionError

    async def remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        raise AssertionError

    async def board_message(self, board_id: int) -> int | None:
        raise AssertionError


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[web.StreamResponse] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append((dict(request.headers), await request.read()))
        if self.answers:
            return self.answers.pop(0)
        return web.Response(status=204)


async def serve(host: str, receiver: Receiver) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    server = site._server
    assert server is not None
    port = int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner, port


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, int]]:
    found = Receiver()
    runner, port = await serve("127.0.0.1", found)
    yield found, port
    await runner.cleanup()


def transport(url: str, *, allow_loopback: bool, names: dict[str, str] | None = None, **kw: Any) -> WebhookTransport:
    resolver = StubResolver({name: [address] for name, address in (names or NAMES).items()})

    async def targets(webhook_id: int) -> WebhookTarget | None:
        return WebhookTarget(url=url, secret=SECRET, active=True)

    OnlyTo.tried = []
    OnlyTo.allowed = frozenset({"127.0.0.1"} if allow_loopback else set())
    return WebhookTransport(
        targets,
        lambda: START,
        allow_loopback=allow_loopback,
        retry_first_s=5.0,
        resolver=resolver,
        connector_class=OnlyTo,
        **kw,
    )


async def attempt(url: str, *, allow_loopback: bool, sent: Delivery | None = None, **kw: Any) -> Any:
    sender = transport(url, allow_loopback=allow_loopback, **kw)
    try:
        return await sender.perform(sent or delivery(), Context())
    finally:
        await sender.close()


@pytest.mark.parametrize("name", ["private.test", "private6.test", "linklocal.test", "metadata.test", "mapped.test",
                                  "metadata6.test", "loopback.test"])  # fmt: skip
async def test_names_that_resolve_to_forbidden_addresses_are_refused_without_connecting(name: str) -> None:
    outcome = await attempt(f"http://{name}:8080/hook", allow_loopback=False)
    assert isinstance(outcome, Failed) and "refused" in outcome.text
    assert OnlyTo.tried == []


async def test_one_forbidden_address_among_the_answers_refuses_the_name() -> None:
    names = {"mixed.test": "93.184.215.14"}
    sender = transport("http://mixed.test/hook", allow_loopback=False, names=names)
    assert isinstance(sender._resolver, StubResolver)
    sender._resolver.names["mixed.test"] = ["93.184.215.14", "10.0.0.1"]
    try:
        outcome = await sender.perform(delivery(), Context())
    finally:
        await sender.close()
    assert isinstance(outcome, Failed) and "refused" in outcome.text
    assert OnlyTo.tried == []


async def test_an_address_written_in_the_url_is_refused_at_each_attempt() -> None:
    for url in ("http://169.254.169.254/latest", "http://[::ffff:10.0.0.1]/x", "http://127.0.0.1:9/x"):
        outcome = await attempt(url, allow_loopback=False)
        assert isinstance(outcome, Failed) and "refused" in outcome.text, url
    assert OnlyTo.tried == []


async def test_a_redirect_to_a_forbidden_name_is_refused(receiver: tuple[Receiver, int]) -> None:
    found, port = receiver
    found.answers.append(web.Response(status=307, headers={"Location": "http://metadata.test/latest/meta-data/"}))
    outcome = await attempt(f"http://loopback.test:{port}/hook", allow_loopback=True)
    assert len(found.received) == 1
    assert isinstance(outcome, Failed) and "refused" in outcome.text
    assert set(OnlyTo.tried) == {"127.0.0.1"}


async def test_redirects_are_followed_a_bounded_number_of_times(receiver: tuple[Receiver, int]) -> None:
    found, port = receiver
    for _ in range(10):
        found.answers.append(web.Response(status=308, headers={"Location": f"http://127.0.0.1:{port}/next"}))
    outcome = await attempt(f"http://127.0.0.1:{port}/hook", allow_loopback=True)
    assert len(found.received) == 4  # the first request and three redirects
    assert isinstance(outcome, Failed) and "redirect" in outcome.text


async def test_a_live_receiver_on_127_0_0_2_is_never_reached_while_loopback_is_refused() -> None:
    found = Receiver()
    runner, port = await serve("127.0.0.2", found)
    try:
        for url in (f"http://127.0.0.2:{port}/hook", f"http://second.test:{port}/hook"):
            outcome = await attempt(url, allow_loopback=False)
            assert isinstance(outcome, Failed) and "refused" in outcome.text
    finally:
        await runner.cleanup()
    assert found.received == []
    assert OnlyTo.tried == []


async def test_a_delivery_is_signed_and_reaches_the_checked_address(receiver: tuple[Receiver, int]) -> None:
    found, port = receiver
    sender = transport(f"http://loopback.test:{port}/hook", allow_loopback=True)
    context = Context()
    try:
        outcome = await sender.perform(delivery(), context)
    finally:
        await sender.close()
    assert isinstance(outcome, Delivered)
    assert context.sent == 1
    ((headers, body),) = found.received
    assert headers["Host"].startswith("loopback.test")
    assert headers["Content-Type"] == "application/json"
    assert headers[KEY_HEADER] == "k1"
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert json.loads(body)["idempotency_key"] == "k1"
    assert SECRET not in json.dumps(headers) and SECRET.encode() not in body


async def test_answers_retried_given_up_and_refused(receiver: tuple[Receiver, int]) -> None:
    found, port = receiver
    url = f"http://127.0.0.1:{port}/hook"
    for status, expected in [(500, RetryLater), (503, RetryLater), (408, RetryLater), (429, RetryLater),
                             (400, Failed), (404, Failed), (410, Failed), (200, Delivered)]:  # fmt: skip
        found.answers.append(web.Response(status=status))
        outcome = await attempt(url, allow_loopback=True, sent=delivery(attempts=3))
        assert isinstance(outcome, expected), status
        if isinstance(outcome, RetryLater):
            assert outcome.own_limit and outcome.after_s == 20.0
    # Failing for a day: given up.
    found.answers.append(web.Response(status=500))
    outcome = await attempt(url, allow_loopback=True, sent=delivery(attempts=30, first=START - RETRY_FOR))
    assert isinstance(outcome, Failed) and outcome.status == 500


async def test_nobody_listening_is_retried() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    outcome = await attempt(f"http://127.0.0.1:{port}/hook", allow_loopback=True)
    assert isinstance(outcome, RetryLater) and outcome.own_limit


async def test_a_slow_receiver_times_out_and_is_retried() -> None:
    never = asyncio.Event()

    class Slow(Receiver):
        async def handle(self, request: web.Request) -> web.StreamResponse:
            await never.wait()
            return web.Response()

    runner, port = await serve("127.0.0.1", Slow())
    try:
        outcome = await attempt(f"http://127.0.0.1:{port}/slow", allow_loopback=True, timeout_s=0.2)
    finally:
        never.set()
        await runner.cleanup()
    assert isinstance(outcome, RetryLater)


async def test_a_paused_or_removed_webhook_is_not_sent() -> None:
    async def off(webhook_id: int) -> WebhookTarget | None:
        return WebhookTarget(url="http://127.0.0.1:9/x", secret=SECRET, active=False)

    async def gone(webhook_id: int) -> WebhookTarget | None:
        return None

    for targets in (off, gone):
        sender = WebhookTransport(targets, lambda: START, allow_loopback=True, connector_class=OnlyTo)
        OnlyTo.tried = []
        try:
            outcome = await sender.perform(delivery(), Context())
        finally:
            await sender.close()
        assert isinstance(outcome, Failed)
        assert OnlyTo.tried == []


async def test_add_checks_what_the_name_resolves_to_now() -> None:
    resolver = StubResolver({**{name: [address] for name, address in NAMES.items()}, "public.test": ["93.184.215.14"]})
    for name in ("private.test", "metadata.test", "mapped.test", "linklocal.test", "private6.test"):
        with pytest.raises(AddressError) as refused:
            await check_target(f"https://{name}/hook", allow_loopback=False, resolver=resolver)
        assert refused.value.message_id == "webhook.error.address", name
    with pytest.raises(AddressError) as unknown:
        await check_target("https://nowhere.test/hook", allow_loopback=False, resolver=resolver)
    assert unknown.value.message_id == "webhook.error.unresolved"
    await check_target("https://public.test/hook", allow_loopback=False, resolver=resolver)
    await check_target("http://loopback.test:8080/hook", allow_loopback=True, resolver=resolver)
    with pytest.raises(AddressError):
        await check_target("http://loopback.test:8080/hook", allow_loopback=False, resolver=resolver)
