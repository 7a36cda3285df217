"""Performing a `send_webhook` row: one signed HTTP POST to a server's webhook, through an address guard.

The guard (`GuardedConnector`) is aiohttp's own connector with a resolver that judges what it returns
(`GuardedResolver`): every address a name resolves to is judged by bot/webhooks/rules.py `refusal`, and aiohttp
connects to the addresses that resolution returned, checked (no second lookup, so a name cannot resolve to a
public address when checked and to a private one when connected: DNS rebinding). aiohttp skips the resolver for an
address written in the URL: `check_url` judges it before every request, redirects included. Nothing is cached
between attempts, and proxies from the environment are ignored. Redirects are followed by hand, at most
`MAX_REDIRECTS`, each target checked like the first (the same POST, body and signature); one more is a permanent
failure.

Webhooks are paced apart from Discord: their own token bucket, never the worker's global budget or its pauses
(`DeliveryContext.sending` only notes that a request is leaving). What an answer means, how long it is tried
again and when it is given up are the rules' (`verdict`, `retry_delay`); the worker records the outcome, and the
webhooks feature counts permanent failures (bot/delivery/aftermath.py `WebhookOutcome`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.delivery.outbox import Delivery
from bot.delivery.pacing import TokenBucket
from bot.delivery.transport import Delivered, DeliveryContext, Failed, Outcome, RetryLater
from bot.webhooks.rules import (
    EVENT_HEADER,
    KEY_HEADER,
    MAX_REDIRECTS,
    SIGNATURE_HEADER,
    AddressError,
    Attempted,
    Verdict,
    check_url,
    literal_address,
    refusal,
    retry_delay,
    signature_header,
    verdict,
)

log = logging.getLogger(__name__)

# In a failure's text: the guard refused the address (a permanent failure, counted), the webhook is off or gone
# (nothing was attempted, nothing counted).
REFUSED = "refused address"
NOT_SENT = "webhook off or removed"
REDIRECTS = (301, 302, 303, 307, 308)


class RefusedAddressError(OSError):
    """The guard refused what a name resolved to (or the address written in the URL)."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str
    active: bool  # False: paused, or the server's webhooks switched off


Targets = Callable[[int], Awaitable["WebhookTarget | None"]]


def _judged(host: str, found: list[ResolveResult], *, allow_loopback: bool) -> list[ResolveResult]:
    """`found` when every address in it may be reached; one forbidden address refuses the name."""
    for result in found:
        try:
            address = ipaddress.ip_address(str(result["host"]).split("%", 1)[0])
        except ValueError as exc:
            raise RefusedAddressError(f"{host} resolved to something that is not an address") from exc
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise RefusedAddressError(f"{host} resolves to a {reason} address")
    return found


class GuardedResolver(AbstractResolver):
    """Resolves with `base` (aiohttp's threaded resolver by default) and hands aiohttp only what the guard accepts."""

    def __init__(self, *, allow_loopback: bool, base: AbstractResolver | None = None) -> None:
        self.allow_loopback = allow_loopback
        self._base = base if base is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return _judged(host, await self._base.resolve(host, port, family), allow_loopback=self.allow_loopback)

    async def close(self) -> None:
        await self._base.close()


class GuardedConnector(aiohttp.TCPConnector):
    """aiohttp's connector, connecting only to addresses the guard accepts, from one resolution per connection."""

    def __init__(self, *, allow_loopback: bool, resolver: AbstractResolver | None = None, **kwargs: Any) -> None:
        guarded = GuardedResolver(allow_loopback=allow_loopback, base=resolver)
        super().__init__(use_dns_cache=False, resolver=guarded, **kwargs)
        self.allow_loopback = allow_loopback


async def check_target(url: str, *, allow_loopback: bool, resolver: AbstractResolver | None = None) -> None:
    """Refuses (AddressError) a URL whose name does not resolve, or resolves to an address the guard refuses: what
    `/setup webhook add` checks before keeping it (each attempt checks again)."""
    check_url(url, allow_loopback=allow_loopback)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if literal_address(host) is not None:
        return
    own = resolver is None
    asker = resolver if resolver is not None else aiohttp.ThreadedResolver()
    try:
        found = await asker.resolve(host, parts.port or 0, family=socket.AF_UNSPEC)
    except OSError as exc:
        raise AddressError("webhook.error.unresolved", host=host[:100]) from exc
    finally:
        if own:
            await asker.close()
    try:
        _judged(host, found, allow_loopback=allow_loopback)
    except RefusedAddressError as exc:
        raise AddressError("webhook.error.address") from exc


def _refused(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RefusedAddressError):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


class WebhookTransport:
    def __init__(
        self,
        targets: Targets,
        now: Callable[[], datetime],
        *,
        allow_loopback: bool = False,
        retry_first_s: float = 5.0,
        rate_per_s: float = 20.0,
        timeout_s: float = 10.0,
        resolver: AbstractResolver | None = None,
        connector_class: type[GuardedConnector] = GuardedConnector,
    ) -> None:
        self._targets = targets
        self._now = now
        self.allow_loopback = allow_loopback
        self.retry_first_s = retry_first_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, 5.0))
        self._resolver = resolver
        self._connector_class = connector_class
        # Webhooks' own pace: never Discord's budget (bot/delivery/worker.py).
        self._bucket = TokenBucket(rate_per_s, max(1.0, rate_per_s / 4))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            kwargs: dict[str, Any] = {"allow_loopback": self.allow_loopback, "limit": 50}
            if self._resolver is not None:
                kwargs["resolver"] = self._resolver
            connector = self._connector_class(**kwargs)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def perform(self, delivery: Delivery, context: DeliveryContext) -> Outcome:
        payload = delivery.payload
        target = await self._targets(int(payload["webhook_id"]))
        if target is None or not target.active:
            return Failed(None, None, NOT_SENT)
        body = str(payload["body"]).encode("utf-8")
        await self._bucket.acquire()
        context.sending()
        stamp = int(self._now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Tocsin-Webhooks/1",
            SIGNATURE_HEADER: signature_header(target.secret, stamp, body),
            EVENT_HEADER: str(payload.get("event", "")),
            KEY_HEADER: str(payload.get("key", "")),
        }
        attempted, text, retry_after = await self._post(target.url, body, headers)
        first = delivery.earlier_attempt_at or delivery.claimed_at or self._now()
        found = verdict(attempted, first_attempt_at=first, now=self._now())
        if found == Verdict.DELIVERED:
            return Delivered({"status": attempted.status})
        if found == Verdict.PERMANENT:
            return Failed(attempted.status, None, text)
        wait = max(retry_delay(delivery.attempts, first_s=self.retry_first_s), retry_after or 0.0)
        return RetryLater(f"webhook: {text}", wait, own_limit=True)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[Attempted, str, float | None]:
        """Posts, following redirects by hand; (what the last hop got, its words, a Retry-After if any)."""
        status = 0
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, allow_loopback=self.allow_loopback)
            except AddressError:
                return Attempted(None, refused=True), f"{REFUSED}: the URL names a forbidden address", None
            try:
                async with self._client().post(url, data=body, headers=headers, allow_redirects=False) as response:
                    status = response.status
                    location = response.headers.get("Location")
                    retry_after = _seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                refused = _refused(exc)
                if refused is not None:
                    return Attempted(None, refused=True), f"{REFUSED}: {refused}", None
                return Attempted(None), f"no answer ({type(exc).__name__})", None
            except asyncio.CancelledError:
                raise
            if status in REDIRECTS and location:
                url = urljoin(url, location)
                continue
            return Attempted(status), f"HTTP {status}", retry_after
        return Attempted(status), f"more than {MAX_REDIRECTS} redirects", None


def _seconds(value: str | None) -> float | None:
    try:
        return min(3600.0, max(0.0, float(value))) if value is not None else None
    except ValueError:
        return None
