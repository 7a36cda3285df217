from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server, build_grand_ouest

# Saturday 19 October 2024, 12:40 in Paris: the moment the Cerp Bretagne Atlantique outage is declared.
SCENARIO_START = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(now=SCENARIO_START) as running:
        yield running


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    return build_grand_ouest(double)


@pytest.fixture
async def bot(
    double: DiscordDouble, server: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BotProcess]:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    yield process
    await process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("---- bot log ----\n" + process.log_text()[-20000:])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
