"""Rows that many stores read alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


async def first_row(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any], mapped: Callable[[aiosqlite.Row], T]
) -> T | None:
    """The first row `sql` selects, as `mapped` makes it, or None when it selects none (only that row is read)."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return mapped(row) if row is not None else None


async def only_row(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any], mapped: Callable[[aiosqlite.Row], T]
) -> T | None:
    """The one row `sql` selects by a unique key (or `LIMIT 1`), as `mapped` makes it, or None: read in one trip to
    aiosqlite's thread (`execute_fetchall`), for reads made on every command or inside the write lock."""
    found = await conn.execute_fetchall(sql, params)
    row = next(iter(found), None)
    return mapped(row) if row is not None else None


async def first_value(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any], converted: Callable[[Any], T]
) -> T | None:
    """The first column of the first row `sql` selects, `converted`; None when it selects none or the value is NULL."""
    value = await first_row(conn, sql, params, lambda row: row[0])
    return converted(value) if value is not None else None


async def any_row(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> bool:
    """Whether `sql` selects at least one row (only the first is read)."""
    return await first_row(conn, sql, params, lambda row: row) is not None


async def all_rows(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any], mapped: Callable[[aiosqlite.Row], T]
) -> list[T]:
    """Every row `sql` selects, as `mapped` makes it, in the query's order (one trip to aiosqlite's thread)."""
    return [mapped(row) for row in await conn.execute_fetchall(sql, params)]


async def int_column(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[int]:
    """The first column of every row `sql` selects, as integers (ids, numbers), in the query's order."""
    return await all_rows(conn, sql, params, lambda row: int(row[0]))
