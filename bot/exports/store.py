"""Reading incidents for an export: one server's incidents of a period, with their timelines, in batches.

Everything an export reads comes from one read transaction (`snapshot`), so a declaration committed halfway
through never shows half an incident. That transaction is on a connection of its own: the store's shared reader
is serialised by a lock, and holding it for the seconds a 10,000-incident export takes would stall every `/outage
show`, list and autocomplete meanwhile. In WAL mode a reader never blocks the writer, so exports never block the
bot's writes either.

Every query is bounded by `guild_id`: the candidate ids come from `incidents WHERE guild_id = ?`, and the
territories, services and timelines are read only for those ids. An export never reads another server's rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.common.text import name_key
from bot.exports.rules import AuditLine, IncidentRecord, Reported, SetAsideGroup, in_period
from bot.incidents import store as repo
from bot.incidents.presentation.message_parts import thread_url
from bot.storage.rows import all_rows
from bot.storage.store import read_transaction
from bot.storage.times import from_db_time, to_db_time

# Incidents per batch: ~10 timeline entries each, so a batch is a few thousand rows in memory at a time.
BATCH = 400
BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class ExportQuery:
    """Which incidents: a period (start inclusive, end exclusive) and optional filters, all combined with AND.

    `territory_refs`: the incident names one of these refs (the caller passes every ref that overlaps the
    territory asked for). `organisation`: words contained in the organisation, case and accents aside."""

    guild_id: int
    period: tuple[datetime, datetime]
    statuses: tuple[str, ...] | None = None
    severities: tuple[str, ...] | None = None
    sector: str | None = None
    territory_refs: tuple[str, ...] | None = None
    organisation: str | None = None


@asynccontextmanager
async def snapshot(path: str | Path) -> AsyncIterator[aiosqlite.Connection]:
    """A read-only connection inside one read transaction, closed afterwards (the bot's and the command line's
    exports). The first SELECT fixes the snapshot; later commits by the bot are not seen."""
    conn = await aiosqlite.connect(Path(path), isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA query_only = ON")
        async with read_transaction(conn):
            yield conn
    finally:
        await conn.close()


async def matching_ids(conn: aiosqlite.Connection, query: ExportQuery) -> list[int]:
    """The row ids of the server's incidents that may lie in the period and pass the filters, by number.

    The period test here is the index-friendly superset (started before the end, not ended before the start);
    `records` applies the exact rule (`reporting.in_period`) to each incident."""
    start, end = query.period
    sql = [
        (
            "SELECT id, organisation FROM incidents i WHERE guild_id = ? AND started_at < ? "
            "AND (CASE status WHEN 'resolved' THEN COALESCE(resolved_at, '9999') "
            "WHEN 'cancelled' THEN COALESCE(cancelled_at, '9999') ELSE '9999' END) >= ?"
        )
    ]
    args: list[Any] = [query.guild_id, to_db_time(end), to_db_time(start)]
    if query.statuses:
        sql.append(f"AND status IN ({', '.join('?' for _ in query.statuses)})")
        args += list(query.statuses)
    if query.severities:
        sql.append(f"AND severity IN ({', '.join('?' for _ in query.severities)})")
        args += list(query.severities)
    if query.sector is not None:
        sql.append("AND sector = ?")
        args.append(query.sector)
    if query.territory_refs:
        marks = ", ".join("?" for _ in query.territory_refs)
        sql.append(
            "AND EXISTS (SELECT 1 FROM incident_territories t WHERE t.incident_id = i.id "  # noqa: S608
            f"AND t.territory IN ({marks}))"
        )
        args += list(query.territory_refs)
    sql.append("ORDER BY number")
    async with conn.execute(" ".join(sql), args) as cursor:
        rows = await cursor.fetchall()
    if query.organisation is not None and name_key(query.organisation):
        # Case and accents aside, which SQLite's LIKE cannot do: compared here, on the ids' rows only.
        wanted = name_key(query.organisation)
        return [int(r[0]) for r in rows if r[1] is not None and wanted in name_key(str(r[1]))]
    return [int(r[0]) for r in rows]


async def records(
    conn: aiosqlite.Connection,
    query: ExportQuery,
    ids: Sequence[int],
    *,
    now: datetime,
    batch: int = BATCH,
) -> AsyncIterator[list[IncidentRecord]]:
    """The incidents of `ids` (from `matching_ids`, same connection) as export records, `batch` at a time,
    in number order; those whose exact interval misses the period are left out."""
    start, end = query.period
    for first in range(0, len(ids), batch):
        chunk = list(ids[first : first + batch])
        found = await _batch(conn, query.guild_id, chunk)
        yield [record for record in found if in_period(record, start, end, now)]


async def _batch(conn: aiosqlite.Connection, guild_id: int, ids: list[int]) -> list[IncidentRecord]:
    marks = ", ".join("?" for _ in ids)
    async with conn.execute(
        f"SELECT {repo._INCIDENT_COLUMNS} FROM incidents i LEFT JOIN outbox o ON o.id = i.thread_row "  # noqa: S608
        f"WHERE i.guild_id = ? AND i.id IN ({marks})",
        (guild_id, *ids),
    ) as cursor:
        rows = {int(r[0]): r for r in await cursor.fetchall()}
    territories, services = await repo.territories_and_services(conn, ids)
    timelines = await repo.timelines(conn, ids)
    reported: dict[int, Reported] = {}
    async with conn.execute(
        "SELECT incident_id, COUNT(*), COUNT(DISTINCT user_id), MIN(at) FROM reports "  # noqa: S608
        f"WHERE state = 'active' AND incident_id IN ({marks}) GROUP BY incident_id",
        ids,
    ) as cursor:
        for r in await cursor.fetchall():
            reported[int(r[0])] = Reported(int(r[1]), int(r[2]), from_db_time(r[3]))
    out: list[IncidentRecord] = []
    for incident_id in ids:
        row = rows.get(incident_id)
        if row is None:  # not this server's (never: the ids come from its rows), or gone: nothing to export
            continue
        stored = repo.stored_from_row(
            row, tuple(territories.get(incident_id, ())), tuple(services.get(incident_id, ()))
        )
        incident = stored.incident
        link = thread_url(incident.guild_id, incident.thread_id) if incident.thread_id is not None else None
        out.append(IncidentRecord(incident, timelines.get(incident_id, []), {}, link, reported.get(incident_id)))
    return out


async def set_aside_groups(conn: aiosqlite.Connection, query: ExportQuery) -> list[SetAsideGroup]:
    """The server's report groups set aside within the period (listed apart from the incidents), in order."""
    start, end = query.period
    return await all_rows(
        conn,
        "SELECT g.organisation, g.reason, g.decided_at, COUNT(r.id), COUNT(DISTINCT r.user_id) "
        "FROM report_groups g LEFT JOIN reports r ON r.group_id = g.id AND r.state = 'active' "
        "WHERE g.guild_id = ? AND g.status = 'set_aside' AND g.decided_at >= ? AND g.decided_at < ? "
        "GROUP BY g.id ORDER BY g.decided_at, g.id",
        (query.guild_id, to_db_time(start), to_db_time(end)),
        lambda r: SetAsideGroup(str(r[0]), r[1], from_db_time(r[2]) if r[2] else None, int(r[3]), int(r[4])),
    )


def is_database(path: str | Path) -> bool:
    """Whether `path` is an SQLite database with Tocsin's incidents (for the command line's refusal)."""
    file = Path(path)
    if not file.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            conn.execute("SELECT 1 FROM incidents LIMIT 1").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


async def audit_lines(conn: aiosqlite.Connection, guild_id: int, period: tuple[datetime, datetime]) -> list[AuditLine]:
    """The server's audit entries of the period (start inclusive, end exclusive), oldest first."""
    start, end = period
    return await all_rows(
        conn,
        "SELECT at, actor_id, action, arguments, result FROM audit_log WHERE guild_id = ? AND at >= ? AND at < ? "
        "ORDER BY at, id",
        (guild_id, to_db_time(start), to_db_time(end)),
        lambda row: AuditLine(from_db_time(row[0]), row[1], row[2], row[3], row[4]),
    )
