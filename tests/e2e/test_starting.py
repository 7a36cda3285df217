"""A stop asked for while the bot starts (a service manager's SIGTERM) ends the start where it is, with one sentence
and exit status 0, whatever the start was waiting for; the bot never reaches the gateway."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bot.sandbox import DiscordDouble, Fault
from tests.e2e.harness import BotProcess, Server
from tests.unit.test_starting import sentences

STOPPED = "Stopped on request during start-up: Tocsin did not connect to Discord and left nothing half-done."


@pytest.mark.faults
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", r"/users/@me"), ("PUT", r"/applications/\d+/guilds/\d+/commands")],
    ids=["while-logging-in", "while-publishing-commands"],
)
async def test_sigterm_during_start_up_is_one_sentence_and_exit_0(
    double: DiscordDouble, server: Server, tmp_path: Path, method: str, path: str
) -> None:
    # Discord holds the request the start is waiting for: the stop arrives exactly then.
    held = double.faults.inject(Fault(method, path, delay_s=120))
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env["LANG"] = "en_US.UTF-8"
    await process.start(wait_ready=False)
    try:
        await double.wait_for(lambda: held.hits > 0, timeout=30, what=f"the bot's {method} {path}")
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
        assert await process.wait_exit(timeout=20) == 0
    finally:
        process.kill()
    log = process.log_text()
    assert "Traceback" not in log
    assert sentences(log) == [STOPPED]
    assert double.identified_sessions == 0
