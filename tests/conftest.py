"""Fixtures shared by the unit tests: a real SQLite file, migrated to the current schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "t.db")
    await opened.migrate()
    yield opened
    await opened.close()
