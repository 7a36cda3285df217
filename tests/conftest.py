"""Fixtures shared by the unit tests: a real SQLite file, migrated to the current schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.storage.store import Store

# The suite runs in parallel workers (README): a property's speed on a loaded machine is not what it checks.
settings.register_profile("tocsin", deadline=None)
settings.load_profile("tocsin")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "t.db")
    await opened.migrate()
    yield opened
    await opened.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the parallel workers take tests in this order, so a test of tens of seconds started last
    would keep one worker busy while the others wait. `long` tests, then the other end-to-end ones, then the rest;
    within each, the order of collection."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("long"):
            return 0
        return 1 if item.get_closest_marker("e2e") else 2

    items.sort(key=weight)
