"""The public page's SQL: each server's page (`public_pages`) and each incident's visibility (`incident_visibility`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.public.rules import PublicPage
from bot.storage.rows import all_rows, any_row, first_row, int_column, only_row
from bot.storage.times import from_db_time, to_db_time

_PAGE_COLUMNS = "guild_id, slug, name, enabled, default_public"


def _page(row: Any) -> tuple[PublicPage, str]:
    page = PublicPage(guild_id=int(row[0]), slug=str(row[1]), enabled=bool(row[3]), default_public=bool(row[4]))
    return page, str(row[2])


async def page_by_slug(conn: aiosqlite.Connection, slug: str) -> tuple[PublicPage, str] | None:
    """The page served at `slug` and the server's name, enabled or not."""
    return await first_row(conn, f"SELECT {_PAGE_COLUMNS} FROM public_pages WHERE slug = ?", (slug,), _page)  # noqa: S608


async def page_set_at(conn: aiosqlite.Connection, guild_id: int) -> datetime | None:
    """When an admin last set the server's page."""
    return await first_row(
        conn, "SELECT updated_at FROM public_pages WHERE guild_id = ?", (guild_id,), lambda row: from_db_time(row[0])
    )


async def page_of(conn: aiosqlite.Connection, guild_id: int) -> tuple[PublicPage, str] | None:
    return await first_row(conn, f"SELECT {_PAGE_COLUMNS} FROM public_pages WHERE guild_id = ?", (guild_id,), _page)  # noqa: S608


async def slug_taken(conn: aiosqlite.Connection, slug: str, *, by_other_than: int) -> bool:
    return await any_row(conn, "SELECT 1 FROM public_pages WHERE slug = ? AND guild_id != ?", (slug, by_other_than))


async def save_page(conn: aiosqlite.Connection, page: PublicPage, *, name: str, at: datetime, by: int | None) -> None:
    await conn.execute(
        "INSERT INTO public_pages (guild_id, slug, name, enabled, default_public, updated_at, updated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET slug = excluded.slug, "
        "name = excluded.name, enabled = excluded.enabled, default_public = excluded.default_public, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (page.guild_id, page.slug, name, int(page.enabled), int(page.default_public), to_db_time(at), by),
    )


async def set_public(
    conn: aiosqlite.Connection, incident_id: int, public: bool, *, at: datetime, by: int | None
) -> None:
    await conn.execute(
        "INSERT INTO incident_visibility (incident_id, public, set_at, set_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (incident_id) DO UPDATE SET public = excluded.public, set_at = excluded.set_at, "
        "set_by = excluded.set_by",
        (incident_id, int(public), to_db_time(at), by),
    )


async def is_public(conn: aiosqlite.Connection, incident_id: int) -> bool:
    async with conn.execute("SELECT public FROM incident_visibility WHERE incident_id = ?", (incident_id,)) as cursor:
        row = await cursor.fetchone()
    return row is not None and bool(row[0])


async def public_incident_ids(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    resolved_since: datetime,
    sectors: Sequence[str] | None = None,
    territories: Sequence[str] = (),
) -> list[int]:
    """Ids of the server's public incidents that are open, or resolved since `resolved_since`; of one of `sectors`,
    or carrying one of `territories`, when given."""
    where, args = _scoped(sectors, territories)
    return await int_column(
        conn,
        "SELECT i.id FROM incidents i JOIN incident_visibility v ON v.incident_id = i.id AND v.public = 1 "  # noqa: S608
        f"WHERE i.guild_id = ? AND i.status != 'cancelled' AND (i.status != 'resolved' OR i.resolved_at >= ?){where} "
        "ORDER BY i.number DESC",
        (guild_id, to_db_time(resolved_since), *args),
    )


def _scoped(sectors: Sequence[str] | None, territories: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    where, args = "", tuple[str, ...]()
    if sectors is not None:
        where, args = f" AND i.sector IN ({', '.join('?' for _ in sectors)})", tuple(sectors)
    if territories:
        marks = ", ".join("?" for _ in territories)
        within = f"SELECT 1 FROM incident_territories t WHERE t.incident_id = i.id AND t.territory IN ({marks})"  # noqa: S608 (only marks)
        where += f" AND EXISTS ({within})"
        args = (*args, *territories)
    return where, args


async def public_sectors(conn: aiosqlite.Connection, guild_id: int) -> list[str]:
    """The sectors (as written on incidents) of the server's public incidents, ever, not cancelled: a sector's page
    exists only once a public incident was of it."""
    return await all_rows(
        conn,
        "SELECT DISTINCT i.sector FROM incidents i JOIN incident_visibility v ON v.incident_id = i.id AND v.public = 1 "
        "WHERE i.guild_id = ? AND i.status != 'cancelled'",
        (guild_id,),
        lambda row: str(row[0]),
    )


async def public_incident_numbers(
    conn: aiosqlite.Connection, guild_id: int, *, limit: int, offset: int
) -> tuple[list[int], int]:
    """One page of the ids of all the server's public, non-cancelled incidents (newest number first), and how
    many there are in all."""
    visible = (
        "FROM incidents i JOIN incident_visibility v ON v.incident_id = i.id AND v.public = 1 "
        "WHERE i.guild_id = ? AND i.status != 'cancelled'"
    )
    async with conn.execute(f"SELECT COUNT(*) {visible}", (guild_id,)) as cursor:
        row = await cursor.fetchone()
    total = int(row[0]) if row is not None else 0
    ids = await int_column(
        conn,
        f"SELECT i.id {visible} ORDER BY i.number DESC LIMIT ? OFFSET ?",
        (guild_id, limit, offset),
    )
    return ids, total


async def public_incident_id(conn: aiosqlite.Connection, guild_id: int, number: int) -> int | None:
    """The id of the server's incident `number` when it is public; None whether it is private or does not exist."""
    return await first_row(
        conn,
        "SELECT i.id FROM incidents i JOIN incident_visibility v ON v.incident_id = i.id AND v.public = 1 "
        "WHERE i.guild_id = ? AND i.number = ? AND i.status != 'cancelled'",
        (guild_id, number),
        lambda row: int(row[0]),
    )


async def page_version(conn: aiosqlite.Connection, slug: str) -> int | None:
    """The version of the page served at `slug` (it moves with any change to what its pages show), None when
    there is no such page or it is turned off."""
    return await only_row(
        conn, "SELECT version FROM public_pages WHERE slug = ? AND enabled = 1", (slug,), lambda row: int(row[0])
    )
