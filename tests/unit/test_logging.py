from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.logging_setup import PAYLOAD_LOGGERS, REDACTED, configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, previous in quiet.items():
        logging.getLogger(name).setLevel(previous)


def test_token_never_reaches_the_log_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.G1a2b3.abcdefghijklmnopqrstuvwxyz012345"
    configure_logging("DEBUG", secrets=[token])
    logging.getLogger("discord.http").warning("PATCH with headers {'Authorization': 'Bot %s'}", token)
    logging.getLogger("discord.client").debug("token is %s", token)
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        logging.getLogger("bot").exception("boom")
    err = capsys.readouterr().err
    assert token not in err
    assert err.count(REDACTED) >= 3


def test_discord_http_stays_at_info_even_at_debug() -> None:
    configure_logging("DEBUG", secrets=[])
    assert logging.getLogger("discord.http").getEffectiveLevel() == logging.INFO


def test_interaction_and_webhook_tokens_never_reach_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    interaction = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6"
    webhook = "Zk9_x-1aB2.cD3eF4gH5iJ6kL7mN8oP9qR0sT"
    configure_logging("DEBUG", secrets=[])
    logging.getLogger("discord.webhook.async_").warning(
        "Webhook ID 123 with PATCH https://discord.com/api/v10/webhooks/123/%s/messages/@original", interaction
    )
    logging.getLogger("bot").error("POST /api/v10/webhooks/456/%s failed", webhook)
    logging.getLogger("bot").error("callback https://discord.com/api/v10/interactions/789/%s/callback", interaction)
    err = capsys.readouterr().err
    assert interaction not in err
    assert webhook not in err
    assert err.count(REDACTED) == 3
    assert "/webhooks/123/" in err and "/webhooks/456/" in err and "/interactions/789/" in err


def test_loggers_that_dump_payloads_stay_at_info_even_at_debug() -> None:
    configure_logging("DEBUG", secrets=[])
    for name in ("discord.webhook.async_", "aiosqlite", "discord.state"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO, name


def test_json_lines_are_one_event_a_line_with_every_token_still_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.G1a2b3.abcdefghijklmnopqrstuvwxyz012345"
    interaction = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6"
    configure_logging("DEBUG", secrets=[token], json_lines=True)
    logging.getLogger("bot").info("logged in with %s", token)
    logging.getLogger("bot").warning("reply to /interactions/789/%s/callback\nover two lines", interaction)
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        logging.getLogger("bot.delivery").exception("boom")
    err = capsys.readouterr().err
    assert token not in err and interaction not in err
    events = [json.loads(line) for line in err.splitlines()]
    assert [(e["level"], e["logger"]) for e in events] == [
        ("INFO", "bot"),
        ("WARNING", "bot"),
        ("ERROR", "bot.delivery"),
    ]
    assert events[0]["message"] == f"logged in with {REDACTED}"
    assert events[1]["message"].endswith("over two lines")
    assert "RuntimeError: failed with " + REDACTED in events[2]["traceback"]
    assert all(datetime.fromisoformat(e["time"]).tzinfo is not None for e in events)


def test_a_gateway_reconnection_attempt_is_one_line_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", secrets=[])
    try:
        raise OSError(101, "Network is unreachable")
    except OSError:
        logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 3.14159)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "Attempting a reconnect in 3.14s (OSError: [Errno 101] Network is unreachable)" in err
