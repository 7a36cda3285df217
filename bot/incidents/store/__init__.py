"""Incidents in SQLite: the incident row with its territories and services, the append-only timeline, the
announcements an incident put in each channel, "affected too" clicks, the server's service names, and the
interactions already handled (handled.py; links between outages in links.py; follows are bot/following/store.py's).

Every function takes the connection of the caller's unit of work: a use case reads, decides and writes in one
transaction (`Store.unit_of_work` holds SQLite's write lock from its first statement, so two coordinators
updating one incident are serialised and neither change is lost; `version` also guards against a writer that
read outside the transaction).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.errors import TocsinError
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.links import links_after
from bot.incidents.rules.model import (
    CancelReason,
    Cause,
    Incident,
    IncidentService,
    ServiceState,
    Severity,
    Status,
    Workaround,
)
from bot.incidents.store.handled import handled as handled
from bot.incidents.store.handled import remember_handled as remember_handled
from bot.incidents.store.handled import replayed as replayed
from bot.incidents.store.links import link_entries
from bot.storage.times import from_db_time, optional_time, to_db_time


class ConcurrentChangeError(TocsinError):
    """The incident changed between reading and writing it (only possible outside one unit of work)."""


@dataclass(frozen=True)
class StoredIncident:
    """An incident with what the store knows beside the domain: its row id, where its thread lives and the
    outbox rows that made the thread and the status message (their results hold the Discord ids)."""

    id: int
    incident: Incident
    incident_channel_id: int | None
    thread_row: int | None
    status_message_row: int | None
    follow_role_id: int | None
    thread_archived_at: datetime | None
    version: int

    @property
    def in_forum(self) -> bool:
        """A forum post's starter message is the status message: one row made both."""
        return self.thread_row is not None and self.thread_row == self.status_message_row


@dataclass(frozen=True)
class StoredAnnouncement:
    incident_id: int
    channel_id: int
    role_ids: tuple[int, ...]
    message_row: int | None
    state: str

    @property
    def active(self) -> bool:
        return self.state == "active"


@dataclass(frozen=True)
class IncidentSummary:
    """One line of a list or an autocomplete."""

    number: int
    title: str
    status: Status
    severity: Severity
    started_at: datetime
    resolved_at: datetime | None


_BATCH = 500  # ids per query of a batched read (SQLite allows 32,766 parameters)


def _stamp(value: datetime | None) -> str | None:
    return to_db_time(value) if value is not None else None


_INCIDENT_COLUMNS = (
    "i.id, i.guild_id, i.number, i.title, i.organisation, i.description, i.impact, i.sector, i.severity, i.cause, "
    "i.status, i.started_at, i.declared_at, i.declared_by, i.owner_id, i.eta, i.next_update_at, "
    "i.next_update_by, i.workaround, i.workaround_version, i.workaround_set_at, i.workaround_set_by, "
    "i.affected_count, i.resolved_at, i.resolution_note, i.cancelled_at, i.cancelled_reason, i.duplicate_of, "
    "i.reopen_count, i.incident_channel_id, i.thread_row, i.status_message_row, i.follow_role_id, "
    "i.thread_archived_at, i.updated_at, i.version, json_extract(o.result, '$.thread_id')"
)


async def next_number(conn: aiosqlite.Connection, guild_id: int) -> int:
    async with conn.execute("SELECT MAX(number) FROM incidents WHERE guild_id = ?", (guild_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0] or 0) + 1 if row is not None else 1


async def insert(conn: aiosqlite.Connection, incident: Incident, *, incident_channel_id: int | None) -> int:
    cursor = await conn.execute(
        "INSERT INTO incidents (guild_id, number, title, sector, severity, cause, status, started_at, declared_at, "
        "declared_by, owner_id, updated_at, incident_channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            incident.guild_id,
            incident.number,
            incident.title,
            incident.sector,
            incident.severity.value,
            incident.cause.value,
            incident.status.value,
            to_db_time(incident.started_at),
            to_db_time(incident.declared_at),
            incident.declared_by,
            incident.owner_id,
            to_db_time(incident.updated_at),
            incident_channel_id,
        ),
    )
    incident_id = cursor.lastrowid
    await cursor.close()
    assert incident_id is not None
    await _write(conn, incident_id, incident)
    return int(incident_id)


async def set_message_rows(
    conn: aiosqlite.Connection, incident_id: int, *, thread_row: int, status_message_row: int
) -> None:
    await conn.execute(
        "UPDATE incidents SET thread_row = ?, status_message_row = ? WHERE id = ?",
        (thread_row, status_message_row, incident_id),
    )


async def save(conn: aiosqlite.Connection, stored: StoredIncident, incident: Incident) -> StoredIncident:
    """Writes the changed incident; refuses if someone else saved it since `stored` was read."""
    cursor = await conn.execute(
        "UPDATE incidents SET version = version + 1 WHERE id = ? AND version = ?", (stored.id, stored.version)
    )
    changed = cursor.rowcount
    await cursor.close()
    if changed != 1:
        raise ConcurrentChangeError("outage.error.concurrent_change", number=incident.number)
    await _write(conn, stored.id, incident)
    return replace(stored, incident=incident, version=stored.version + 1)


async def _write(conn: aiosqlite.Connection, incident_id: int, incident: Incident) -> None:
    workaround = incident.workaround
    await conn.execute(
        "UPDATE incidents SET title = ?, organisation = ?, description = ?, impact = ?, sector = ?, severity = ?, "
        "cause = ?, status = ?, started_at = ?, owner_id = ?, eta = ?, next_update_at = ?, next_update_by = ?, "
        "workaround = ?, workaround_version = ?, workaround_set_at = ?, workaround_set_by = ?, affected_count = ?, "
        "resolved_at = ?, resolution_note = ?, cancelled_at = ?, cancelled_reason = ?, duplicate_of = ?, "
        "reopen_count = ?, updated_at = ? WHERE id = ?",
        (
            incident.title,
            incident.organisation,
            incident.description,
            incident.impact,
            incident.sector,
            incident.severity.value,
            incident.cause.value,
            incident.status.value,
            to_db_time(incident.started_at),
            incident.owner_id,
            _stamp(incident.eta),
            _stamp(incident.next_update_at),
            incident.next_update_by,
            workaround.text if workaround else None,
            workaround.version if workaround else 0,
            _stamp(workaround.set_at) if workaround else None,
            workaround.set_by if workaround else None,
            incident.affected_count,
            _stamp(incident.resolved_at),
            incident.resolution_note,
            _stamp(incident.cancelled_at),
            incident.cancelled_reason.value if incident.cancelled_reason else None,
            incident.duplicate_of,
            incident.reopen_count,
            to_db_time(incident.updated_at),
            incident_id,
        ),
    )
    await conn.execute("DELETE FROM incident_territories WHERE incident_id = ?", (incident_id,))
    await conn.executemany(
        "INSERT INTO incident_territories (incident_id, territory, position) VALUES (?, ?, ?)",
        [(incident_id, ref, position) for position, ref in enumerate(incident.territories)],
    )
    await conn.execute("DELETE FROM incident_services WHERE incident_id = ?", (incident_id,))
    await conn.executemany(
        "INSERT INTO incident_services (incident_id, key, name, state, since, affected_since, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                incident_id,
                s.key,
                s.name,
                s.state.value,
                to_db_time(s.since),
                to_db_time(s.affected_since),
                position,
            )
            for position, s in enumerate(incident.services)
        ],
    )


async def get(conn: aiosqlite.Connection, guild_id: int, number: int) -> StoredIncident | None:
    sql = "SELECT id FROM incidents WHERE guild_id = ? AND number = ?"
    rows = list(await conn.execute_fetchall(sql, (guild_id, number)))
    return await get_by_id(conn, int(rows[0][0])) if rows else None


async def get_by_id(conn: aiosqlite.Connection, incident_id: int) -> StoredIncident | None:
    return (await get_many(conn, [incident_id])).get(incident_id)


def _batches(ids: Sequence[int]) -> Iterator[tuple[list[int], str]]:
    """Ids by the batch, each with its placeholders ("?, ?, ?")."""
    for first in range(0, len(ids), _BATCH):
        chunk = list(ids[first : first + _BATCH])
        yield chunk, ", ".join("?" for _ in chunk)


async def get_many(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, StoredIncident]:
    """Many incidents by row id, each whole (territories, services, links), in four queries a batch whatever their
    number (pages read by the batch)."""
    found: dict[int, StoredIncident] = {}
    for chunk, marks in _batches(ids):
        sql = f"SELECT {_INCIDENT_COLUMNS} FROM incidents i LEFT JOIN outbox o ON o.id = i.thread_row WHERE i.id IN ({marks})"  # noqa: S608, E501
        rows = list(await conn.execute_fetchall(sql, chunk))
        territories, services = await territories_and_services(conn, chunk)
        links = await link_entries(conn, chunk)
        convert = functools.partial(_from_rows, rows, territories, services, links)
        # Hundreds of rows take a while to convert: off the event loop, so that Discord's work goes on.
        found.update(await asyncio.to_thread(convert) if len(rows) > 20 else convert())
    return found


def _from_rows(
    rows: Iterable[Any], territories: dict[int, list[str]], services: dict[int, list[Any]], links: dict[int, Any]
) -> dict[int, StoredIncident]:
    found = {}
    for r in rows:
        stored = stored_from_row(r, tuple(territories.get(r[0], ())), tuple(services.get(r[0], ())))
        linked = links_after(links.get(r[0], ()))
        found[int(r[0])] = replace(stored, incident=replace(stored.incident, links=linked)) if linked else stored
    return found


async def territories_and_services(
    conn: aiosqlite.Connection, ids: Sequence[int]
) -> tuple[dict[int, list[str]], dict[int, list[IncidentService]]]:
    """The territories and services of many incidents at once, by incident id, each in its order: two queries."""
    marks = ", ".join("?" for _ in ids)
    territories: dict[int, list[str]] = {}
    sql = f"SELECT incident_id, territory FROM incident_territories WHERE incident_id IN ({marks}) ORDER BY incident_id, position"  # noqa: S608, E501
    for r in await conn.execute_fetchall(sql, ids):
        territories.setdefault(int(r[0]), []).append(str(r[1]))
    services: dict[int, list[IncidentService]] = {}
    sql = f"SELECT incident_id, key, name, state, since, affected_since FROM incident_services WHERE incident_id IN ({marks}) ORDER BY incident_id, position"  # noqa: S608, E501
    for r in await conn.execute_fetchall(sql, ids):
        since, affected_since = from_db_time(r[4]), from_db_time(r[5])
        service = IncidentService(
            name=r[2], key=r[1], state=ServiceState(r[3]), since=since, affected_since=affected_since
        )
        services.setdefault(int(r[0]), []).append(service)
    return territories, services


def stored_from_row(row: Any, territories: tuple[str, ...], services: tuple[IncidentService, ...]) -> StoredIncident:
    """A row of `_INCIDENT_COLUMNS` with its territories and services (exports read those in batches)."""
    incident_id = int(row[0])
    workaround = (
        Workaround(version=int(row[19]), text=row[18], set_at=from_db_time(row[20]), set_by=int(row[21]))
        if row[18] is not None
        else None
    )
    incident = Incident(
        guild_id=int(row[1]),
        number=int(row[2]),
        title=row[3],
        organisation=row[4],
        description=row[5],
        impact=row[6],
        sector=row[7],
        territories=territories,
        severity=Severity(row[8]),
        cause=Cause(row[9]),
        status=Status(row[10]),
        started_at=from_db_time(row[11]),
        declared_at=from_db_time(row[12]),
        declared_by=int(row[13]),
        owner_id=int(row[14]),
        eta=optional_time(row[15]),
        next_update_at=optional_time(row[16]),
        next_update_by=row[17],
        workaround=workaround,
        affected_count=int(row[22]),
        resolved_at=optional_time(row[23]),
        resolution_note=row[24],
        cancelled_at=optional_time(row[25]),
        cancelled_reason=CancelReason(row[26]) if row[26] else None,
        duplicate_of=row[27],
        reopen_count=int(row[28]),
        updated_at=from_db_time(row[34]),
        services=services,
        thread_id=int(row[36]) if row[36] is not None else None,
    )
    return StoredIncident(
        id=incident_id,
        incident=incident,
        incident_channel_id=row[29],
        thread_row=row[30],
        status_message_row=row[31],
        follow_role_id=row[32],
        thread_archived_at=optional_time(row[33]),
        version=int(row[35]),
    )


# --- the timeline -----------------------------------------------------------------------------------------


async def append_updates(
    conn: aiosqlite.Connection, incident_id: int, entries: Iterable[Update], *, thread_post_row: int | None
) -> None:
    await conn.executemany(
        "INSERT INTO updates (incident_id, kind, at, by, silent, details, thread_post_row) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                incident_id,
                entry.kind.value,
                to_db_time(entry.at),
                entry.by,
                int(entry.silent),
                json.dumps(dict(entry.details), ensure_ascii=False),
                thread_post_row,
            )
            for entry in entries
        ],
    )


async def timelines(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, list[Update]]:
    """The timelines of many incidents by row id, each in its order, in one query a batch."""
    found: dict[int, list[Update]] = {}
    for chunk, marks in _batches(ids):
        sql = f"SELECT incident_id, kind, at, by, silent, details FROM updates WHERE incident_id IN ({marks}) ORDER BY incident_id, id"  # noqa: S608, E501
        for r in await conn.execute_fetchall(sql, chunk):
            entry = Update(UpdateKind(r[1]), from_db_time(r[2]), int(r[3] or 0), bool(r[4]), json.loads(r[5]))
            found.setdefault(int(r[0]), []).append(entry)
    return found


async def timeline(conn: aiosqlite.Connection, incident_id: int) -> list[Update]:
    return (await timelines(conn, [incident_id])).get(incident_id, [])


# --- announcements ----------------------------------------------------------------------------------------


async def add_announcement(
    conn: aiosqlite.Connection,
    incident_id: int,
    channel_id: int,
    role_ids: Sequence[int],
    *,
    message_row: int,
    at: datetime,
) -> None:
    """A channel that now announces the incident (again, after a correction that brought it back)."""
    await conn.execute(
        "INSERT INTO announcements (incident_id, channel_id, role_ids, message_row, state, announced_at) "
        "VALUES (?, ?, ?, ?, 'active', ?) ON CONFLICT (incident_id, channel_id) DO UPDATE SET "
        "role_ids = excluded.role_ids, message_row = excluded.message_row, state = 'active', "
        "announced_at = excluded.announced_at",
        (incident_id, channel_id, json.dumps(list(role_ids)), message_row, to_db_time(at)),
    )


async def set_announcement(
    conn: aiosqlite.Connection, incident_id: int, channel_id: int, *, state: str, role_ids: Sequence[int]
) -> None:
    await conn.execute(
        "UPDATE announcements SET state = ?, role_ids = ? WHERE incident_id = ? AND channel_id = ?",
        (state, json.dumps(list(role_ids)), incident_id, channel_id),
    )


async def announcements(conn: aiosqlite.Connection, incident_id: int) -> list[StoredAnnouncement]:
    async with conn.execute(
        "SELECT channel_id, role_ids, message_row, state FROM announcements WHERE incident_id = ? "
        "ORDER BY announced_at, rowid",
        (incident_id,),
    ) as cursor:
        return [
            StoredAnnouncement(incident_id, int(r[0]), tuple(int(x) for x in json.loads(r[1])), r[2], r[3])
            for r in await cursor.fetchall()
        ]


# --- members who are affected too -------------------------------------------------------------------------


async def add_affected(conn: aiosqlite.Connection, incident_id: int, user_id: int, *, at: datetime) -> bool:
    """True when this member had not said so yet (each member counts once)."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO affected_members (incident_id, user_id, at) VALUES (?, ?, ?)",
        (incident_id, user_id, to_db_time(at)),
    )
    added = cursor.rowcount == 1
    await cursor.close()
    return added


# --- the server's service names ---------------------------------------------------------------------------


async def remember_service_names(
    conn: aiosqlite.Connection, guild_id: int, services: Iterable[tuple[str, str]], *, at: datetime
) -> None:
    """(key, name) pairs used now: offered first by autocomplete next time."""
    await conn.executemany(
        "INSERT INTO service_names (guild_id, key, name, last_used_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, key) DO UPDATE SET name = excluded.name, last_used_at = excluded.last_used_at, "
        "uses = uses + 1",
        [(guild_id, key, name, to_db_time(at)) for key, name in services],
    )


async def service_names(conn: aiosqlite.Connection, guild_id: int, *, limit: int = 200) -> list[tuple[str, str]]:
    async with conn.execute(
        "SELECT key, name FROM service_names WHERE guild_id = ? ORDER BY uses DESC, last_used_at DESC LIMIT ?",
        (guild_id, limit),
    ) as cursor:
        return [(str(r[0]), str(r[1])) for r in await cursor.fetchall()]


# --- finding incidents ------------------------------------------------------------------------------------


def _summary(row: Any) -> IncidentSummary:
    return IncidentSummary(
        number=int(row[0]),
        title=row[1],
        status=Status(row[2]),
        severity=Severity(row[3]),
        started_at=from_db_time(row[4]),
        resolved_at=optional_time(row[5]),
    )


_SUMMARY = "number, title, status, severity, started_at, resolved_at"


_FOUND = "i.number, i.title, i.status, i.severity, i.started_at, i.resolved_at"


def _phrase(word: str) -> str:
    """One typed word as an FTS5 prefix phrase: quoted, so that nothing typed is read as query syntax."""
    return '"' + word.replace('"', '""') + '"*'


async def search(conn: aiosqlite.Connection, guild_id: int, text: str, *, limit: int = 25) -> list[IncidentSummary]:
    """Autocomplete: the incident whose number was typed alone, then open incidents, then the others, newest
    first; every typed word must start a word of the title (accents and case aside), and a number also matches
    incidents whose number starts with it. A lookup by number and queries on the full-text index
    `incident_search` (migration 0004) that stop at `limit`: about a millisecond with 100,000 incidents, in one
    or two round trips to the database thread (each await is a turn of an event loop the outbox also uses)."""
    words = [w for w in text.casefold().replace("#", " ").split() if any(c.isalnum() for c in w)][:5]
    number = next((w for w in words if w.isascii() and w.isdigit()), None)
    terms = [
        f"(number : {_phrase(w)} OR title : {_phrase(w)})" if w == number else f"title : {_phrase(w)}" for w in words
    ]

    def matching(group: int, scope: str) -> tuple[str, list[Any]]:
        sql = (
            f"SELECT * FROM (SELECT {group}, {_FOUND} FROM incident_search s JOIN incidents i ON i.id = s.rowid "  # noqa: S608
            "WHERE incident_search MATCH ? ORDER BY s.rowid DESC LIMIT ?)"
        )
        return sql, [" AND ".join([f'scope : "g{int(guild_id)}{scope}"', *terms]), limit]

    first, args = matching(1, "o")
    if number is not None and len(words) == 1:  # typed alone, a number names its incident, however old
        first = f"SELECT 0, {_FOUND} FROM incidents i WHERE i.guild_id = ? AND i.number = ? UNION ALL {first}"  # noqa: S608
        args = [guild_id, int(number), *args]
    rows = list(await conn.execute_fetchall(first, args))
    if len({int(row[1]) for row in rows}) < limit:
        rows += await conn.execute_fetchall(*matching(2, "c"))
    found: list[IncidentSummary] = []
    seen: set[int] = set()
    for row in sorted(rows, key=lambda r: (int(r[0]), -int(r[1]))):
        if int(row[1]) not in seen:
            seen.add(int(row[1]))
            found.append(_summary(row[1:]))
    return found[:limit]


async def list_incidents(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    statuses: Sequence[str],
    territory_refs: Sequence[str] | None = None,
    sector: str | None = None,
    period: tuple[datetime, datetime] | None = None,
    limit: int = 20,
    before_number: int | None = None,
) -> list[IncidentSummary]:
    """Newest first. `territory_refs`: the incident has one of these territories. `period`: the incident was
    going on at some time within [start, end)."""
    marks = ", ".join("?" for _ in statuses)
    # Open incidents are ~1 % of a server's history, scattered through it: reading newest first by number
    # would scan most of the table to find 20. Some statuses only: read them through their own index.
    index = "" if {"resolved", "cancelled"} <= set(statuses) else "INDEXED BY incidents_by_status "
    sql = [f"SELECT {_SUMMARY} FROM incidents i {index}WHERE guild_id = ? AND status IN ({marks})"]  # noqa: S608
    args: list[Any] = [guild_id, *statuses]
    if territory_refs:
        refs = ", ".join("?" for _ in territory_refs)
        sql.append(
            f"AND EXISTS (SELECT 1 FROM incident_territories t WHERE t.incident_id = i.id "  # noqa: S608
            f"AND t.territory IN ({refs}))"
        )
        args += list(territory_refs)
    if sector is not None:
        sql.append("AND sector = ?")
        args.append(sector)
    if period is not None:
        sql.append("AND started_at < ? AND COALESCE(resolved_at, cancelled_at, '9999') >= ?")
        args += [to_db_time(period[1]), to_db_time(period[0])]
    if before_number is not None:
        sql.append("AND number < ?")
        args.append(before_number)
    sql.append("ORDER BY number DESC LIMIT ?")
    args.append(limit)
    async with conn.execute(" ".join(sql), args) as cursor:
        return [_summary(row) for row in await cursor.fetchall()]


async def resolved_not_archived(conn: aiosqlite.Connection) -> list[tuple[int, int, int, datetime]]:
    """(incident id, guild id, number, resolved at) of resolved incidents whose thread is not archived yet."""
    async with conn.execute(
        "SELECT id, guild_id, number, resolved_at FROM incidents WHERE status = 'resolved' "
        "AND thread_archived_at IS NULL AND thread_row IS NOT NULL"
    ) as cursor:
        return [(int(r[0]), int(r[1]), int(r[2]), from_db_time(r[3])) for r in await cursor.fetchall()]


async def mark_thread_archived(conn: aiosqlite.Connection, incident_id: int, *, at: datetime) -> None:
    await conn.execute("UPDATE incidents SET thread_archived_at = ? WHERE id = ?", (to_db_time(at), incident_id))


async def clear_thread_archived(conn: aiosqlite.Connection, incident_id: int) -> None:
    await conn.execute("UPDATE incidents SET thread_archived_at = NULL WHERE id = ?", (incident_id,))
