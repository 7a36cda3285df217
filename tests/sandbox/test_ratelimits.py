from __future__ import annotations

import math
from types import SimpleNamespace

import discord.http
from multidict import CIMultiDict, CIMultiDictProxy

from bot.sandbox.ratelimits import RateLimitDecision, RateLimiter, body_429, bucket_hash

MSG = "POST /channels/{channel_id}/messages"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"


class FakeTime:
    def __init__(self) -> None:
        self.mono = 100.0
        self.wall = 1_700_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def limiter(t: FakeTime, **kw: object) -> RateLimiter:
    return RateLimiter(monotonic=lambda: t.mono, wall=lambda: t.wall, **kw)  # type: ignore[arg-type]


def send(rl: RateLimiter, channel: str = "1", route: str = MSG) -> RateLimitDecision:
    return rl.check(method=route.split()[0], route=route, major_id=channel)


def test_five_messages_per_channel_then_429_until_the_window_ends() -> None:
    t = FakeTime()
    rl = limiter(t)
    remaining = [send(rl).headers["X-RateLimit-Remaining"] for _ in range(5)]
    assert remaining == ["4", "3", "2", "1", "0"]
    t.advance(1.0)
    d = send(rl)
    assert not d.allowed and d.scope == "user" and not d.is_global
    assert math.isclose(d.retry_after, 4.0)
    assert d.headers["Retry-After"] == "4"
    assert d.headers["X-RateLimit-Scope"] == "user"
    assert d.headers["Via"] == "1.1 google"
    assert "X-RateLimit-Global" not in d.headers
    t.advance(3.999)
    assert not send(rl).allowed
    t.advance(0.001)
    d = send(rl)
    assert d.allowed and d.headers["X-RateLimit-Remaining"] == "4"


def test_channels_are_independent() -> None:
    t = FakeTime()
    rl = limiter(t)
    for _ in range(5):
        assert send(rl, "1").allowed
    assert not send(rl, "1").allowed
    assert send(rl, "2").allowed


def test_rejected_requests_do_not_extend_the_window() -> None:
    t = FakeTime()
    rl = limiter(t)
    for _ in range(5):
        send(rl)
    for _ in range(9):
        t.advance(0.5)
        assert not send(rl).allowed
    t.advance(0.5)
    assert send(rl).allowed


def test_headers_are_consistent() -> None:
    t = FakeTime()
    rl = limiter(t)
    first = send(rl)
    t.advance(1.25)
    d = send(rl)
    h = d.headers
    assert h["X-RateLimit-Limit"] == "5"
    assert h["X-RateLimit-Reset-After"] == "3.750"
    assert math.isclose(float(h["X-RateLimit-Reset"]), t.wall + 3.75, abs_tol=1e-3)
    assert h["X-RateLimit-Bucket"] == first.headers["X-RateLimit-Bucket"] == bucket_hash(MSG)
    assert "Retry-After" not in h and "Via" not in h


def test_bucket_hash_is_per_route_template() -> None:
    assert bucket_hash(MSG) != bucket_hash(EDIT)
    t = FakeTime()
    rl = limiter(t)
    assert send(rl, "1").headers["X-RateLimit-Bucket"] == send(rl, "2").headers["X-RateLimit-Bucket"]


def test_route_without_method_prefix_is_accepted() -> None:
    t = FakeTime()
    rl = limiter(t)
    a = rl.check(method="POST", route="/channels/{channel_id}/messages", major_id="1")
    b = rl.check(method="POST", route=MSG, major_id="1")
    assert a.headers["X-RateLimit-Bucket"] == b.headers["X-RateLimit-Bucket"]
    assert b.headers["X-RateLimit-Remaining"] == "3"


def test_global_limit_is_fifty_per_second() -> None:
    t = FakeTime()
    rl = limiter(t)
    for i in range(50):
        assert send(rl, str(i)).allowed
    d = send(rl, "999")
    assert not d.allowed and d.is_global and d.scope == "global"
    assert d.headers["X-RateLimit-Global"] == "true"
    assert d.headers["X-RateLimit-Scope"] == "global"
    assert d.headers["Via"] == "1.1 google"
    assert d.headers["Retry-After"] == "1"
    # Discord's documented global 429 has no bucket headers.
    assert "X-RateLimit-Bucket" not in d.headers
    t.advance(1.0)
    assert send(rl, "999").allowed


def test_interaction_endpoints_skip_the_global_limit() -> None:
    t = FakeTime()
    rl = limiter(t)
    for i in range(50):
        send(rl, str(i))
    assert not send(rl, "x").allowed
    d = rl.check(method="POST", route=CALLBACK, major_id=None, is_interaction_callback=True)
    assert d.allowed
    # ... and do not consume it either.
    t.advance(1.0)
    for _ in range(40):
        rl.check(method="POST", route=CALLBACK, major_id="w", is_interaction_callback=True)
    for i in range(50):
        assert send(rl, f"c{i}").allowed


def test_default_route_limit() -> None:
    t = FakeTime()
    rl = limiter(t, default_route_limit=3, default_route_window_s=2.0)
    assert [send(rl, "1", EDIT).allowed for _ in range(4)] == [True, True, True, False]
    t.advance(2.0)
    assert send(rl, "1", EDIT).allowed


def test_disabled_allows_everything_without_headers() -> None:
    t = FakeTime()
    rl = limiter(t, enabled=False)
    assert all(send(rl).allowed for _ in range(100))
    assert send(rl).headers == {}


def test_hold_on_a_route_keeps_it_limited() -> None:
    t = FakeTime()
    rl = limiter(t)
    forced = rl.hold(route=MSG, major_id="1", retry_after=60.0)
    assert not forced.allowed and forced.headers["Retry-After"] == "60" and forced.headers["Via"]
    t.advance(30)
    d = send(rl, "1")
    assert not d.allowed and math.isclose(d.retry_after, 30.0)
    assert send(rl, "2").allowed
    t.advance(30)
    assert send(rl, "1").allowed


def test_global_hold_blocks_everything_but_interactions() -> None:
    t = FakeTime()
    rl = limiter(t)
    forced = rl.hold(route=MSG, major_id="1", retry_after=2.5, is_global=True)
    assert forced.is_global and forced.headers["Retry-After"] == "3"
    assert not send(rl, "2").allowed
    assert rl.check(method="POST", route=CALLBACK, major_id=None, is_interaction_callback=True).allowed
    t.advance(2.5)
    assert send(rl, "2").allowed


def test_body_429() -> None:
    d = RateLimitDecision(False, {}, 1.23456, "user", False)
    assert body_429(d) == {"message": "You are being rate limited.", "retry_after": 1.235, "global": False}
    assert body_429(d, code=0)["code"] == 0


def test_invalid_request_counter() -> None:
    t = FakeTime()
    rl = limiter(t)
    for status in (200, 204, 400, 401, 403, 404, 429):
        rl.record_status(status)
    rl.record_status(429, scope="shared")
    assert rl.invalid_requests_last_10_min() == 3
    t.advance(599)
    rl.record_status(403)
    assert rl.invalid_requests_last_10_min() == 4
    t.advance(1)
    assert rl.invalid_requests_last_10_min() == 1


def _response(headers: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(headers=CIMultiDictProxy(CIMultiDict(headers)))


async def test_discord_py_reads_our_headers_as_we_mean_them() -> None:
    t = FakeTime()
    rl = limiter(t)
    for _ in range(4):
        send(rl)
    t.advance(0.5)
    d = send(rl)
    bucket = discord.http.Ratelimit(None)
    bucket.update(_response(d.headers))  # type: ignore[arg-type]
    assert bucket.limit == 5
    assert bucket.remaining == 0
    assert math.isclose(bucket.reset_after, 4.5)


async def test_discord_py_clock_mode_agrees_with_reset_after() -> None:
    import time

    rl = RateLimiter(monotonic=time.monotonic, wall=time.time)
    d = send(rl)
    bucket = discord.http.Ratelimit(None)
    bucket.update(_response(d.headers), use_clock=True)  # type: ignore[arg-type]
    assert abs(bucket.reset_after - float(d.headers["X-RateLimit-Reset-After"])) < 0.1


def test_429_headers_are_what_discord_py_needs_to_retry() -> None:
    t = FakeTime()
    rl = limiter(t)
    for _ in range(5):
        send(rl)
    d = send(rl)
    headers = CIMultiDictProxy(CIMultiDict(d.headers))
    # http.py: `if not response.headers.get('Via') or isinstance(data, str): raise HTTPException`.
    assert headers.get("Via")
    body = body_429(d)
    assert isinstance(body["retry_after"], float) and body["retry_after"] > 0
    assert body["global"] is False
