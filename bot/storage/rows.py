"""Rows that many stores read alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite


async def int_column(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[int]:
    """The first column of every row `sql` selects, as integers (ids, numbers), in the query's order."""
    async with conn.execute(sql, params) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]
