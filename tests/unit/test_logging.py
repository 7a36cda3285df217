from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import REDACTED, configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("discord.http", "discord.gateway")}
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
