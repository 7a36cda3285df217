"""The unit tests that start a real bot (tests/unit/idle_bot.py) do so on a server configured as the service
tests configure it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.store import Store
from tests.services.test_lifecycle import configure


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "tocsin.db")
    await opened.migrate()
    await configure(opened)
    yield opened
    await opened.close()
