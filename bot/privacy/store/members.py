"""The SQL every entry of the registry shares: a member's rows read for the export, deleted or given the
pseudonym by a forget, the text that names them rewritten; the pseudonyms themselves; the permit that lets the
append-only tables take a forget's rewrite (the privacy migration, `migrations/…_privacy.sql`)."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.privacy.rules import Rewrite, Treatment, names, pseudonym
from bot.privacy.store.registry import (
    BY_INCIDENT,
    GLOBAL,
    NEVER_EXPORTED,
    Erased,
    Forget,
    Held,
    MemberData,
    registry,
)
from bot.storage.rows import first_row


def _where(held: Held, condition: str) -> str:
    condition = f"{condition} AND NOT ({held.spared})" if held.spared else condition
    return f"{condition} AND {held.scope}" if held.scope != GLOBAL else condition


def _scope_args(held: Held, guild_id: int) -> tuple[int, ...]:
    return (guild_id,) if held.scope != GLOBAL else ()


def _like(user_id: int) -> str:
    return f"%{user_id}%"


async def _rows(conn: aiosqlite.Connection, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    async with conn.execute(sql, args) as cursor:
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in await cursor.fetchall()]


async def read_rows(conn: aiosqlite.Connection, held: Held, user_id: int, guild_id: int) -> list[dict[str, Any]]:
    """The rows of `held`'s table that hold or name the member, every column as stored."""
    table, column = held.table, held.column.column
    if held.column.holds_text:
        found = await _rows(
            conn,
            f"SELECT * FROM {table} WHERE {_where(held, f'{column} LIKE ?')}",  # noqa: S608
            (_like(user_id), *_scope_args(held, guild_id)),
        )
        return [row for row in found if names(row[column], user_id)]
    return await _rows(
        conn,
        f"SELECT * FROM {table} WHERE {_where(held, f'{column} = ?')}",  # noqa: S608
        (user_id, *_scope_args(held, guild_id)),
    )


async def export_of(
    conn: aiosqlite.Connection, data: MemberData, user_id: int, guild_id: int, *, with_global: bool
) -> dict[str, Any]:
    """The feature's section of the member's file in one server: per table, the rows that hold or name them (each
    once); `with_global`: also their rows of no server (once in a file)."""
    section: dict[str, list[dict[str, Any]]] = {}
    for held in data.held:
        if held.scope == GLOBAL and not with_global:
            continue
        rows = section.setdefault(held.table, [])
        seen = {json.dumps(row, sort_keys=True, default=str) for row in rows}
        hidden = NEVER_EXPORTED.get(held.table, frozenset())
        for found in await read_rows(conn, held, user_id, guild_id):
            row = {column: value for column, value in found.items() if column not in hidden}
            if json.dumps(row, sort_keys=True, default=str) not in seen:
                rows.append(row)
    return {table: rows for table, rows in section.items() if rows}


def _rewritten(value: str, rewrite: Rewrite) -> str:
    try:
        parsed = json.loads(value)
    except ValueError:
        return rewrite.text(value)
    if isinstance(parsed, dict | list):
        return json.dumps(rewrite.json(parsed), ensure_ascii=False)
    return rewrite.text(value)


async def erase_texts(conn: aiosqlite.Connection, texts: list[Held], forget: Forget, erased: Erased) -> None:
    """The text columns of one table (one scope) that name the member, rewritten: one pass over the table."""
    table, first = texts[0].table, texts[0]
    columns = [held.column.column for held in texts]
    matches = " OR ".join(f"{column} LIKE ?" for column in columns)
    async with conn.execute(
        f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE {_where(first, f'({matches})')}",  # noqa: S608
        (*[_like(forget.user_id)] * len(columns), *_scope_args(first, forget.guild_id)),
    ) as cursor:
        found = await cursor.fetchall()
    for rowid, *values in found:
        changed = {
            column: _rewritten(str(value), forget.rewrite)
            for column, value in zip(columns, values, strict=True)
            if names(value, forget.user_id)
        }
        if changed:
            assignments = ", ".join(f"{column} = ?" for column in changed)
            await conn.execute(
                f"UPDATE {table} SET {assignments} WHERE rowid = ?",  # noqa: S608
                (*changed.values(), rowid),
            )
            erased.rows += 1


async def erase_held(conn: aiosqlite.Connection, held: Held, forget: Forget, erased: Erased) -> None:
    table, column = held.table, held.column.column
    scope = _scope_args(held, forget.guild_id)
    if held.column.treatment == Treatment.ERASED:
        sql = f"DELETE FROM {table} WHERE {_where(held, f'{column} = ?')}"  # noqa: S608
        cursor = await conn.execute(sql, (forget.user_id, *scope))
    else:
        sql = f"UPDATE {table} SET {column} = ? WHERE {_where(held, f'{column} = ?')}"  # noqa: S608
        cursor = await conn.execute(sql, (forget.rewrite.pseudonym, forget.user_id, *scope))
    erased.rows += max(cursor.rowcount, 0)


def _texts_by_table(held: tuple[Held, ...]) -> list[list[Held]]:
    grouped: dict[tuple[str, str], list[Held]] = {}
    for item in held:
        if item.column.holds_text:
            grouped.setdefault((item.table, item.scope), []).append(item)
    return list(grouped.values())


async def erase_member(conn: aiosqlite.Connection, forget: Forget) -> Erased:
    """Every feature's part of a forget, inside the caller's transaction: each feature's own eraser first (it sees
    the rows as they were), then every declared column (the text columns of a table in one pass), with the
    append-only tables' permit held meanwhile."""
    erased = Erased()
    await conn.execute("INSERT INTO privacy_forgetting (guild_id) VALUES (?)", (forget.guild_id,))
    for data in registry():
        if data.erase is not None:
            await data.erase(conn, forget, erased)
        for held in data.held:
            if not held.column.holds_text:
                await erase_held(conn, held, forget, erased)
        for texts in _texts_by_table(data.held):
            await erase_texts(conn, texts, forget, erased)
    await conn.execute("DELETE FROM privacy_forgetting")
    return erased


async def next_pseudonym(conn: aiosqlite.Connection, guild_id: int) -> int:
    await conn.execute(
        "INSERT INTO privacy_pseudonyms (guild_id, last_number) VALUES (?, 1) "
        "ON CONFLICT(guild_id) DO UPDATE SET last_number = last_number + 1",
        (guild_id,),
    )
    async with conn.execute("SELECT last_number FROM privacy_pseudonyms WHERE guild_id = ?", (guild_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return pseudonym(int(row[0]))


async def server_language(conn: aiosqlite.Connection, guild_id: int) -> str | None:
    return await first_row(
        conn, "SELECT language FROM guild_settings WHERE guild_id = ?", (guild_id,), lambda row: str(row[0])
    )


def _server_of(held: Held) -> str:
    return "guild_id" if held.scope != BY_INCIDENT else "(SELECT guild_id FROM incidents i WHERE i.id = incident_id)"


async def servers_of(conn: aiosqlite.Connection, user_id: int) -> set[int]:
    """The servers where some row holds or names the member (the text columns of a table in one pass)."""
    found: set[int] = set()
    for data in registry():
        for held in data.held:
            if held.scope == GLOBAL or held.column.holds_text:
                continue
            sql = f"SELECT DISTINCT {_server_of(held)} FROM {held.table} WHERE {held.column.column} = ?"  # noqa: S608
            async with conn.execute(sql, (user_id,)) as cursor:
                found.update(int(row[0]) for row in await cursor.fetchall() if row[0] is not None)
        for texts in _texts_by_table(data.held):
            columns = [held.column.column for held in texts]
            matches = " OR ".join(f"{column} LIKE ?" for column in columns)
            spared = f" AND NOT ({texts[0].spared})" if texts[0].spared else ""
            sql = f"SELECT {_server_of(texts[0])}, {', '.join(columns)} FROM {texts[0].table} WHERE ({matches}){spared}"  # noqa: S608
            async with conn.execute(sql, (_like(user_id),) * len(columns)) as cursor:
                for guild_id, *values in await cursor.fetchall():
                    if guild_id is not None and any(names(value, user_id) for value in values):
                        found.add(int(guild_id))
    return found
