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
