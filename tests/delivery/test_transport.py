from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import discord

from bot.delivery.transport import SUPPRESS_NOTIFICATIONS, Failed, RetryLater, message_body, outcome_of_error


def http_error(status: int, code: int = 0, headers: dict[str, str] | None = None) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="x", headers=headers or {})
    return discord.HTTPException(response, {"code": code, "message": f"error {code}"})


def test_transient_errors_are_retried_permanent_ones_are_not() -> None:
    assert outcome_of_error(discord.RateLimited(42.0)) == RetryLater("rate_limited", 42.0)
    assert outcome_of_error(http_error(503)) == RetryLater("server_error_503")
    assert outcome_of_error(http_error(429, headers={"Retry-After": "3", "X-RateLimit-Global": "true"})) == (
        RetryLater("rate_limited_global", 3.0, True)
    )
    assert isinstance(outcome_of_error(TimeoutError()), RetryLater)
    assert isinstance(outcome_of_error(aiohttp.ServerDisconnectedError()), RetryLater)
    for status, code in [(403, 50013), (403, 50001), (403, 50007), (404, 10003), (404, 10008), (400, 50035)]:
        outcome = outcome_of_error(http_error(status, code))
        assert isinstance(outcome, Failed) and (outcome.status, outcome.code) == (status, code)
    assert outcome_of_error(ValueError()) is None


def test_message_body_carries_nonce_mentions_and_silence() -> None:
    body = message_body(
        {"channel_id": 1, "content": "x", "allowed_mentions": {"parse": []}, "silent": True}, nonce="o12"
    )
    assert body == {
        "content": "x",
        "allowed_mentions": {"parse": []},
        "flags": SUPPRESS_NOTIFICATIONS,
        "nonce": "o12",
        "enforce_nonce": True,
    }
