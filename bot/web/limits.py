"""Who a request comes from, and how many requests each client may make: a token bucket per client address.

The client is the connection's peer, unless the peer is a trusted reverse proxy (TOCSIN_WEB_TRUSTED_PROXY): then
it is the address that proxy reports (`X-Forwarded-For`, else `Forwarded: for=`), read from the right, skipping
the trusted proxies themselves, so that a client cannot name itself by sending the header before the proxy adds
its own. Anyone else's forwarding headers are ignored: behind no proxy, a client cannot take another's allowance.

Each client may make `burst` requests at once and `rate` per second after that; the buckets of the clients seen
least recently are forgotten past `max_clients` (a forgotten client starts again with a full bucket, which only
ever lets more through), so memory stays bounded whatever the number of addresses."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

Refusal = Callable[[web.Request, int], web.Response]


class RequestLimit:
    def __init__(
        self, rate: float, burst: int, *, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`rate` requests per second per client after a `burst`; a rate of 0 lets everything through."""
        self.rate = rate
        self.burst = burst
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client: (tokens, at)

    def __len__(self) -> int:
        return len(self._buckets)

    def wait_for(self, client: str) -> float | None:
        """Takes one request from the client's allowance: None when allowed, else the seconds until it may."""
        if self.rate <= 0:
            return None
        now = self._clock()
        tokens, at = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate


def _address(text: str) -> str | None:
    """An address as a proxy writes it ("198.51.100.7", "198.51.100.7:4711", "[2001:db8::1]:80", quoted)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _forwarded_for(request: web.Request) -> list[str]:
    """The addresses the proxies reported, oldest first: X-Forwarded-For when present (what nginx, HAProxy and Caddy
    set), else `Forwarded` (RFC 7239). The proxy sets the one it uses and drops the other (deploy/nginx.conf)."""
    forwarded_for = request.headers.getall("X-Forwarded-For", [])
    if forwarded_for:
        return ",".join(forwarded_for).split(",")
    hops = []
    for element in ",".join(request.headers.getall("Forwarded", [])).split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.strip().lower() == "for":
                hops.append(value)
    return hops


def client_address(request: web.Request, trusted_proxies: frozenset[str]) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    address = _address(str(peer[0])) if peer else None
    if address is None:
        return "unknown"
    if address not in trusted_proxies:
        return address
    for hop in reversed(_forwarded_for(request)):
        reported = _address(hop)
        if reported is None:
            break  # "unknown", an obfuscated name, garbage: nothing further left can be trusted
        if reported not in trusted_proxies:
            return reported
    return address


def request_limit(limit: RequestLimit, trusted_proxies: frozenset[str], refuse: Refusal) -> Middleware:
    """The aiohttp middleware answering `refuse(request, seconds)` (a 429 with Retry-After) past the limit."""

    @web.middleware
    async def limited(request: web.Request, handler: Handler) -> web.StreamResponse:
        wait = limit.wait_for(client_address(request, trusted_proxies))
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            response = refuse(request, seconds)
            response.headers["Retry-After"] = str(seconds)
            return response
        return await handler(request)

    return limited
