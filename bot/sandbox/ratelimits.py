"""Discord's REST rate limits for the double, in real time.

Shapes from developers/topics/rate-limits (discord-api-docs). Numbers: global 50 requests per second
(documented); message creation 5 per 5 s per channel (observed, not documented); other routes a
generous default. Each bucket is a fixed window that opens on the first request after the previous
window ended, which is how Discord's buckets report themselves (a Reset that does not move while the
window lasts). Only allowed requests consume budget; a rejected request does not extend a window.

discord.py 2.7.1 (http.py) reads X-Ratelimit-Limit, -Remaining, -Reset-After (or -Reset when
`use_clock`), -Bucket; on a 429 it needs a `Via` header (else it assumes a Cloudflare ban) and reads
`retry_after` and `global` from the JSON body.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "INVALID_REQUEST_STATUSES",
    "MESSAGE_CREATE_ROUTES",
    "RateLimitDecision",
    "RateLimiter",
    "body_429",
    "bucket_hash",
    "sub_limit_headers",
]

INVALID_REQUEST_STATUSES = frozenset({401, 403, 429})
INVALID_WINDOW_S = 600.0
MESSAGE_CREATE_ROUTES = frozenset(
    {
        "POST /channels/{channel_id}/messages",
    }
)


@dataclass
class RateLimitDecision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float
    scope: str | None  # "global" | "user" | "shared" | None
    is_global: bool
    message: str = field(default="You are being rate limited.")


def bucket_hash(route: str) -> str:
    """Opaque, stable identifier of a route template's bucket (X-RateLimit-Bucket)."""
    return hashlib.sha256(route.encode()).hexdigest()[:32]


def _fmt_seconds(value: float) -> str:
    # Rounded up to the millisecond so a client that sleeps exactly this long never arrives early.
    return f"{math.ceil(max(value, 0.0) * 1000) / 1000:.3f}"


def body_429(decision: RateLimitDecision, *, code: int | None = None) -> dict[str, Any]:
    """JSON body of a 429. Discord's documented examples carry no `code`; pass one to add it."""
    body: dict[str, Any] = {
        "message": decision.message,
        "retry_after": round(decision.retry_after, 3),
        "global": decision.is_global,
    }
    if code is not None:
        body["code"] = code
    return body


def sub_limit_headers(retry_after: float) -> dict[str, str]:
    """The headers of a 429 a route answers for a limit of its own beside its bucket (30046, the edits of
    messages older than an hour): the bucket's headers still say requests remain, as Discord's do then."""
    headers: dict[str, str] = {}
    RateLimiter._limited_headers(headers, retry_after, "user", False)
    return headers


@dataclass
class _Window:
    limit: int
    window_s: float
    opened_at: float = -math.inf
    used: int = 0

    def refresh(self, now: float) -> None:
        if now >= self.opened_at + self.window_s:
            self.opened_at = now
            self.used = 0

    def reset_after(self, now: float) -> float:
        return max(self.opened_at + self.window_s - now, 0.0)


class RateLimiter:
    def __init__(
        self,
        *,
        global_per_second: int = 50,
        channel_messages: int = 5,
        channel_window_s: float = 5.0,
        default_route_limit: int = 50,
        default_route_window_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        enabled: bool = True,
    ) -> None:
        self.global_per_second = global_per_second
        self.channel_messages = channel_messages
        self.channel_window_s = channel_window_s
        self.default_route_limit = default_route_limit
        self.default_route_window_s = default_route_window_s
        self.enabled = enabled
        self._monotonic = monotonic
        self._wall = wall
        self._global = _Window(global_per_second, 1.0)
        self._buckets: dict[tuple[str, str | None], _Window] = {}
        # Forced holds from fault injection: key -> monotonic time the hold ends.
        self._route_holds: dict[tuple[str, str | None], float] = {}
        self._global_hold_until = -math.inf
        self._invalid: deque[float] = deque()

    # -- budgets -------------------------------------------------------------------------------

    def _limits_for(self, route: str) -> tuple[int, float]:
        if route in MESSAGE_CREATE_ROUTES:
            return self.channel_messages, self.channel_window_s
        return self.default_route_limit, self.default_route_window_s

    def _bucket(self, route: str, major_id: str | None) -> _Window:
        key = (route, major_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            limit, window = self._limits_for(route)
            bucket = _Window(limit, window)
            self._buckets[key] = bucket
        return bucket

    def _route_headers(self, route: str, bucket: _Window, now: float) -> dict[str, str]:
        reset_after = bucket.reset_after(now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.limit - bucket.used, 0)),
            "X-RateLimit-Reset": f"{self._wall() + float(_fmt_seconds(reset_after)):.3f}",
            "X-RateLimit-Reset-After": _fmt_seconds(reset_after),
            "X-RateLimit-Bucket": bucket_hash(route),
        }

    @staticmethod
    def _limited_headers(headers: dict[str, str], retry_after: float, scope: str, is_global: bool) -> None:
        headers["Retry-After"] = str(max(math.ceil(retry_after), 1))
        headers["X-RateLimit-Scope"] = scope
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        # Discord's 429s pass Google's front end; discord.py treats a 429 without Via as a Cloudflare ban.
        headers["Via"] = "1.1 google"

    def _global_429(self, retry_after: float) -> RateLimitDecision:
        # Discord's documented global 429 carries no bucket headers: it is not a route's limit.
        headers: dict[str, str] = {}
        self._limited_headers(headers, retry_after, "global", True)
        return RateLimitDecision(False, headers, retry_after, "global", True)

    def _route_429(
        self, route: str, bucket: _Window, now: float, retry_after: float, *, held: bool
    ) -> RateLimitDecision:
        headers = self._route_headers(route, bucket, now)
        if held:
            # A forced hold outlasts the bucket's own window: the headers say when the hold ends.
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset-After"] = _fmt_seconds(retry_after)
            headers["X-RateLimit-Reset"] = f"{self._wall() + float(_fmt_seconds(retry_after)):.3f}"
        self._limited_headers(headers, retry_after, "user", False)
        return RateLimitDecision(False, headers, retry_after, "user", False)

    def check(
        self, *, method: str, route: str, major_id: str | None, is_interaction_callback: bool = False
    ) -> RateLimitDecision:
        """Decide one request. `route` is the template including the method, e.g.
        "POST /channels/{channel_id}/messages"; a template without a method is prefixed with it."""
        if not route.startswith(method.upper() + " "):
            route = f"{method.upper()} {route}"
        if not self.enabled:
            return RateLimitDecision(True, {}, 0.0, None, False)
        now = self._monotonic()
        # Interaction endpoints (callbacks, follow-ups on the interaction token) are exempt from the
        # global limit (rate-limits: "Interaction endpoints are not bound to the bot's Global Rate Limit").
        counts_globally = not is_interaction_callback
        if counts_globally:
            if now < self._global_hold_until:
                return self._global_429(self._global_hold_until - now)
            self._global.refresh(now)
            if self._global.used >= self._global.limit:
                return self._global_429(self._global.reset_after(now))
        bucket = self._bucket(route, major_id)
        bucket.refresh(now)
        hold_until = self._route_holds.get((route, major_id), -math.inf)
        if now < hold_until:
            return self._route_429(route, bucket, now, hold_until - now, held=True)
        if bucket.used >= bucket.limit:
            return self._route_429(route, bucket, now, bucket.reset_after(now), held=False)
        bucket.used += 1
        if counts_globally:
            self._global.used += 1
        return RateLimitDecision(True, self._route_headers(route, bucket, now), 0.0, None, False)

    def hold(
        self, *, route: str, major_id: str | None, retry_after: float, is_global: bool = False
    ) -> RateLimitDecision:
        """A forced 429 (fault injection): the route, or every request when global, stays limited
        for `retry_after` seconds, as Discord would keep answering 429 until then."""
        now = self._monotonic()
        if is_global:
            self._global_hold_until = max(self._global_hold_until, now + retry_after)
            return self._global_429(retry_after)
        key = (route, major_id)
        self._route_holds[key] = max(self._route_holds.get(key, -math.inf), now + retry_after)
        bucket = self._bucket(route, major_id)
        bucket.refresh(now)
        return self._route_429(route, bucket, now, retry_after, held=True)

    def reset(self) -> None:
        self._global = _Window(self.global_per_second, 1.0)
        self._buckets.clear()
        self._route_holds.clear()
        self._global_hold_until = -math.inf

    # -- invalid requests ------------------------------------------------------------------------

    def record_status(self, status: int, *, scope: str | None = None) -> None:
        """Count a response toward the invalid-request limit (10,000 per 10 min for 401/403/429;
        429s with scope "shared" do not count, per Discord's docs)."""
        if status not in INVALID_REQUEST_STATUSES:
            return
        if status == 429 and scope == "shared":
            return
        now = self._monotonic()
        self._invalid.append(now)
        self._trim_invalid(now)

    def _trim_invalid(self, now: float) -> None:
        while self._invalid and self._invalid[0] <= now - INVALID_WINDOW_S:
            self._invalid.popleft()

    def invalid_requests_last_10_min(self) -> int:
        self._trim_invalid(self._monotonic())
        return len(self._invalid)
