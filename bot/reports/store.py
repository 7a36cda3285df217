"""Reports in SQLite: report groups with the keys they answer to and their cards, the reports themselves, the
server's summary card, members marked as abusive, and the organisations named (for autocomplete).

Every function takes the connection of the caller's unit of work or read transaction. One open group per
organisation key is kept by the use cases, which read and write inside one unit of work (SQLite's write lock is
held from its first statement, so two reports about one organisation never open two groups). Reads use
`execute_fetchall` and inserts `execute_insert`: one trip to aiosqlite's thread instead of three (execute, fetch,
close), which was most of a report's time inside its unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.actor import Actor
from bot.incidents import store as incidents
from bot.reports.rules import GroupReport, GroupStatus, OpenOutage, ReportState, TypedReport
from bot.storage.times import from_db_time, optional_time, to_db_time


@dataclass(frozen=True)
class StoredGroup:
    id: int
    guild_id: int
    organisation: str
    status: GroupStatus
    opened_at: datetime
    alerted_at: datetime | None
    card_channel_id: int | None
    card_row: int | None
    card_edit_row: int | None
    on_summary: bool
    decided_at: datetime | None
    decided_by: int | None
    reason: str | None
    incident_id: int | None
    merged_into: int | None


@dataclass(frozen=True)
class StoredReport:
    id: int
    guild_id: int
    group_id: int | None
    incident_id: int | None
    user_id: int
    role_ids: frozenset[int]
    organisation: str
    services: tuple[str, ...]
    territories: tuple[str, ...]
    since: datetime | None
    details: str | None
    at: datetime
    state: ReportState

    @property
    def as_group_report(self) -> GroupReport:
        return GroupReport(
            user_id=self.user_id,
            at=self.at,
            services=self.services,
            territories=self.territories,
            since=self.since,
            details=self.details,
            counted=self.state == ReportState.ACTIVE,
        )


@dataclass(frozen=True)
class OpenIncident:
    number: int
    organisation: str


_GROUP_FIELDS = (
    "id", "guild_id", "organisation", "status", "opened_at", "alerted_at", "card_channel_id", "card_row",
    "card_edit_row", "on_summary", "decided_at", "decided_by", "reason", "incident_id", "merged_into",
)  # fmt: skip
_GROUP_COLUMNS = ", ".join(_GROUP_FIELDS)
_GROUP_COLUMNS_OF_G = ", ".join(f"g.{name}" for name in _GROUP_FIELDS)
_REPORT_COLUMNS = (
    "id, guild_id, group_id, incident_id, user_id, role_ids, organisation, services, territories, since, details, "
    "at, state"
)


def _group(row: Any) -> StoredGroup:
    return StoredGroup(
        id=int(row[0]),
        guild_id=int(row[1]),
        organisation=str(row[2]),
        status=GroupStatus(row[3]),
        opened_at=from_db_time(row[4]),
        alerted_at=optional_time(row[5]),
        card_channel_id=row[6],
        card_row=row[7],
        card_edit_row=row[8],
        on_summary=bool(row[9]),
        decided_at=optional_time(row[10]),
        decided_by=row[11],
        reason=row[12],
        incident_id=row[13],
        merged_into=row[14],
    )


def _report(row: Any) -> StoredReport:
    return StoredReport(
        id=int(row[0]),
        guild_id=int(row[1]),
        group_id=row[2],
        incident_id=row[3],
        user_id=int(row[4]),
        role_ids=frozenset(int(r) for r in json.loads(row[5])),
        organisation=str(row[6]),
        services=tuple(json.loads(row[7])),
        territories=tuple(json.loads(row[8])),
        since=optional_time(row[9]),
        details=row[10],
        at=from_db_time(row[11]),
        state=ReportState(row[12]),
    )


async def _first(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> aiosqlite.Row | None:
    """The query's first row, if it has one."""
    return next(iter(await conn.execute_fetchall(sql, params)), None)


# --- groups -------------------------------------------------------------------------------------------------


async def open_group_for_key(conn: aiosqlite.Connection, guild_id: int, key: str) -> StoredGroup | None:
    row = await _first(
        conn,
        f"SELECT {_GROUP_COLUMNS_OF_G} "  # noqa: S608
        "FROM report_group_keys k JOIN report_groups g ON g.id = k.group_id "
        "WHERE k.guild_id = ? AND k.key = ? AND g.status = 'open' ORDER BY g.id LIMIT 1",
        (guild_id, key),
    )
    return _group(row) if row is not None else None


async def get_group(conn: aiosqlite.Connection, group_id: int) -> StoredGroup | None:
    row = await _first(
        conn,
        f"SELECT {_GROUP_COLUMNS} FROM report_groups WHERE id = ?",  # noqa: S608
        (group_id,),
    )
    return _group(row) if row is not None else None


async def open_groups(conn: aiosqlite.Connection, guild_id: int, *, limit: int = 200) -> list[StoredGroup]:
    found = await conn.execute_fetchall(
        f"SELECT {_GROUP_COLUMNS} FROM report_groups WHERE guild_id = ? AND status = 'open' "  # noqa: S608
        "ORDER BY id LIMIT ?",
        (guild_id, limit),
    )
    return [_group(row) for row in found]


async def create_group(
    conn: aiosqlite.Connection, guild_id: int, organisation: str, key: str, *, on_summary: bool, now: datetime
) -> int:
    stamp = to_db_time(now)
    inserted = await conn.execute_insert(
        "INSERT INTO report_groups (guild_id, organisation, status, opened_at, on_summary, updated_at) "
        "VALUES (?, ?, 'open', ?, ?, ?)",
        (guild_id, organisation, stamp, int(on_summary), stamp),
    )
    assert inserted is not None
    group_id = int(inserted[0])
    await add_key(conn, group_id, guild_id, key)
    return group_id


async def add_key(conn: aiosqlite.Connection, group_id: int, guild_id: int, key: str) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO report_group_keys (group_id, guild_id, key) VALUES (?, ?, ?)", (group_id, guild_id, key)
    )


async def keys_of(conn: aiosqlite.Connection, group_id: int) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT key FROM report_group_keys WHERE group_id = ? ORDER BY key", (group_id,)
    )
    return [str(row[0]) for row in found]


async def open_carded_count(conn: aiosqlite.Connection, guild_id: int) -> int:
    """Open groups that have a card of their own."""
    row = await _first(
        conn,
        "SELECT COUNT(*) FROM report_groups WHERE guild_id = ? AND status = 'open' AND on_summary = 0",
        (guild_id,),
    )
    return int(row[0]) if row is not None else 0


async def set_card(conn: aiosqlite.Connection, group_id: int, *, channel_id: int | None, card_row: int | None) -> None:
    await conn.execute(
        "UPDATE report_groups SET card_channel_id = ?, card_row = ?, card_edit_row = NULL, on_summary = 0 WHERE id = ?",
        (channel_id, card_row, group_id),
    )


async def groups_of_card(conn: aiosqlite.Connection, guild_id: int, channel_id: int, message_id: int) -> list[int]:
    """The groups whose card is that message (one, or none: most deleted messages are not cards)."""
    found = await conn.execute_fetchall(
        "SELECT g.id FROM report_groups g JOIN outbox o ON o.id = g.card_row "
        "WHERE g.guild_id = ? AND g.card_channel_id = ? AND json_extract(o.result, '$.message_id') = ?",
        (guild_id, channel_id, str(message_id)),
    )
    return [int(row[0]) for row in found]


async def summary_card_is(conn: aiosqlite.Connection, guild_id: int, channel_id: int, message_id: int) -> bool:
    return (
        await _first(
            conn,
            "SELECT 1 FROM report_summary_cards s JOIN outbox o ON o.id = s.card_row "
            "WHERE s.guild_id = ? AND s.channel_id = ? AND json_extract(o.result, '$.message_id') = ?",
            (guild_id, channel_id, str(message_id)),
        )
        is not None
    )


async def set_card_edit(conn: aiosqlite.Connection, group_id: int, edit_row: int) -> None:
    await conn.execute("UPDATE report_groups SET card_edit_row = ? WHERE id = ?", (edit_row, group_id))


async def set_alerted(conn: aiosqlite.Connection, group_id: int, *, at: datetime) -> None:
    await conn.execute("UPDATE report_groups SET alerted_at = ? WHERE id = ?", (to_db_time(at), group_id))


async def close_group(
    conn: aiosqlite.Connection,
    group_id: int,
    status: GroupStatus,
    *,
    by: int | None,
    at: datetime,
    reason: str | None = None,
    incident_id: int | None = None,
    merged_into: int | None = None,
) -> bool:
    """Closes an open group; False when it was no longer open (another decision came first)."""
    cursor = await conn.execute(
        "UPDATE report_groups SET status = ?, decided_at = ?, decided_by = ?, reason = ?, incident_id = ?, "
        "merged_into = ?, updated_at = ? WHERE id = ? AND status = 'open'",
        (status.value, to_db_time(at), by, reason, incident_id, merged_into, to_db_time(at), group_id),
    )
    closed = cursor.rowcount == 1
    await cursor.close()
    return closed


async def redecide(
    conn: aiosqlite.Connection,
    group_id: int,
    status: GroupStatus,
    *,
    by: int,
    at: datetime,
    incident_id: int | None = None,
    merged_into: int | None = None,
) -> None:
    """A group set aside decided otherwise: declared anyway, or merged when its setting aside is undone."""
    await conn.execute(
        "UPDATE report_groups SET status = ?, decided_at = ?, decided_by = ?, reason = NULL, incident_id = ?, "
        "merged_into = ?, updated_at = ? WHERE id = ? AND status = 'set_aside'",
        (status.value, to_db_time(at), by, incident_id, merged_into, to_db_time(at), group_id),
    )


async def reopen_group(conn: aiosqlite.Connection, group_id: int, *, at: datetime) -> None:
    await conn.execute(
        "UPDATE report_groups SET status = 'open', decided_at = NULL, decided_by = NULL, reason = NULL, "
        "updated_at = ? WHERE id = ? AND status = 'set_aside'",
        (to_db_time(at), group_id),
    )


# --- reports ------------------------------------------------------------------------------------------------


async def add_report(
    conn: aiosqlite.Connection,
    actor: Actor,
    report: TypedReport,
    *,
    group_id: int | None,
    incident_id: int | None,
    at: datetime,
    state: ReportState = ReportState.ACTIVE,
) -> int:
    inserted = await conn.execute_insert(
        "INSERT INTO reports (guild_id, group_id, incident_id, user_id, role_ids, organisation, services, "
        "territories, since, details, at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            actor.guild_id,
            group_id,
            incident_id,
            actor.user_id,
            json.dumps(sorted(actor.role_ids)),
            report.organisation,
            json.dumps(list(report.services), ensure_ascii=False),
            json.dumps(list(report.territories)),
            to_db_time(report.since) if report.since is not None else None,
            report.details,
            to_db_time(at),
            state.value,
        ),
    )
    assert inserted is not None
    return int(inserted[0])


async def group_reports(conn: aiosqlite.Connection, group_id: int) -> list[StoredReport]:
    found = await conn.execute_fetchall(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE group_id = ? ORDER BY at, id",  # noqa: S608
        (group_id,),
    )
    return [_report(row) for row in found]


async def get_report(conn: aiosqlite.Connection, report_id: int) -> StoredReport | None:
    row = await _first(
        conn,
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = ?",  # noqa: S608
        (report_id,),
    )
    return _report(row) if row is not None else None


async def recent_report_times(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, *, since: datetime
) -> list[datetime]:
    """When the member reported in the server since `since`, withdrawn reports included (they were made)."""
    found = await conn.execute_fetchall(
        "SELECT at FROM reports WHERE guild_id = ? AND user_id = ? AND at > ? ORDER BY at",
        (guild_id, user_id, to_db_time(since)),
    )
    return [from_db_time(row[0]) for row in found]


async def set_report_state(
    conn: aiosqlite.Connection, report_ids: Sequence[int], state: ReportState, *, at: datetime
) -> None:
    await conn.executemany(
        "UPDATE reports SET state = ?, withdrawn_at = ? WHERE id = ?",
        [(state.value, to_db_time(at) if state == ReportState.WITHDRAWN else None, rid) for rid in report_ids],
    )


async def set_aside_open_reports(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[int]:
    """The member's counted reports in open groups no longer count (abuse); returns those groups."""
    found = await conn.execute_fetchall(
        "SELECT DISTINCT r.group_id FROM reports r JOIN report_groups g ON g.id = r.group_id "
        "WHERE r.guild_id = ? AND r.user_id = ? AND r.state = 'active' AND g.status = 'open' ORDER BY r.group_id",
        (guild_id, user_id),
    )
    groups = [int(row[0]) for row in found]
    await conn.executemany(
        "UPDATE reports SET state = 'abuse' WHERE user_id = ? AND group_id = ? AND state = 'active'",
        [(user_id, group_id) for group_id in groups],
    )
    return groups


async def move_reports(conn: aiosqlite.Connection, from_group: int, to_group: int) -> None:
    await conn.execute("UPDATE reports SET group_id = ? WHERE group_id = ?", (to_group, from_group))


async def link_incident(conn: aiosqlite.Connection, group_id: int, incident_id: int) -> None:
    """The group's reports now belong to the incident's figures."""
    await conn.execute("UPDATE reports SET incident_id = ? WHERE group_id = ?", (incident_id, group_id))


async def member_reports(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, *, since: datetime, limit: int = 25
) -> list[tuple[StoredReport, StoredGroup | None]]:
    """The member's reports since `since`, newest first, each with its group."""
    found = await conn.execute_fetchall(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE guild_id = ? AND user_id = ? AND at >= ? "  # noqa: S608
        "ORDER BY at DESC, id DESC LIMIT ?",
        (guild_id, user_id, to_db_time(since), limit),
    )
    reports = [_report(row) for row in found]
    return [(report, await get_group(conn, report.group_id) if report.group_id else None) for report in reports]


# --- the summary card, abuse, organisation names ----------------------------------------------------------------


async def summary_card(conn: aiosqlite.Connection, guild_id: int) -> tuple[int, int | None, int | None] | None:
    """(channel id, card row, last edit row) of the server's summary card, if it has one."""
    row = await _first(
        conn, "SELECT channel_id, card_row, card_edit_row FROM report_summary_cards WHERE guild_id = ?", (guild_id,)
    )
    return (int(row[0]), row[1], row[2]) if row is not None else None


async def set_summary_card(
    conn: aiosqlite.Connection, guild_id: int, *, channel_id: int, card_row: int | None, edit_row: int | None
) -> None:
    await conn.execute(
        "INSERT INTO report_summary_cards (guild_id, channel_id, card_row, card_edit_row) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, card_row = excluded.card_row, "
        "card_edit_row = excluded.card_edit_row",
        (guild_id, channel_id, card_row, edit_row),
    )


async def summary_groups(conn: aiosqlite.Connection, guild_id: int) -> list[StoredGroup]:
    found = await conn.execute_fetchall(
        f"SELECT {_GROUP_COLUMNS} FROM report_groups WHERE guild_id = ? AND status = 'open' "  # noqa: S608
        "AND on_summary = 1 ORDER BY id",
        (guild_id,),
    )
    return [_group(row) for row in found]


async def abuse_until(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> datetime | None:
    row = await _first(conn, "SELECT until FROM report_abuse WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return from_db_time(row[0]) if row is not None else None


async def mark_abuse(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, *, until: datetime, by: int, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO report_abuse (guild_id, user_id, until, marked_by, marked_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET until = excluded.until, marked_by = excluded.marked_by, "
        "marked_at = excluded.marked_at",
        (guild_id, user_id, to_db_time(until), by, to_db_time(at)),
    )


async def remember_organisation(
    conn: aiosqlite.Connection, guild_id: int, key: str, name: str, *, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO report_organisations (guild_id, key, name, last_used_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, key) DO UPDATE SET last_used_at = excluded.last_used_at",
        (guild_id, key, name, to_db_time(at)),
    )


async def organisation_names(conn: aiosqlite.Connection, guild_id: int, *, limit: int = 200) -> list[str]:
    """Organisations named in the server's reports, most recently named first."""
    found = await conn.execute_fetchall(
        "SELECT name FROM report_organisations WHERE guild_id = ? ORDER BY last_used_at DESC LIMIT ?",
        (guild_id, limit),
    )
    return [str(row[0]) for row in found]


async def delivery_states(conn: aiosqlite.Connection, row_ids: Sequence[int]) -> dict[int, tuple[str, int | None]]:
    """(status, Discord's error code) of outbox rows, by id: whether a card was posted, or found gone."""
    if not row_ids:
        return {}
    marks = ", ".join("?" * len(row_ids))
    found = await conn.execute_fetchall(
        f"SELECT id, status, error_code FROM outbox WHERE id IN ({marks})",  # noqa: S608
        list(row_ids),
    )
    return {int(row[0]): (str(row[1]), row[2]) for row in found}


async def channel_refused(conn: aiosqlite.Connection, guild_id: int, channel_id: int) -> bool:
    """Whether Discord refused the bot's last message (post or edit) attempted in `channel_id`: no access, no
    permission, or the channel is gone."""
    row = await _first(
        conn,
        "SELECT status, error_status FROM outbox WHERE guild_id = ? AND kind IN ('send_message', 'edit_message') "
        "AND json_extract(payload, '$.channel_id') = ? AND status IN ('done', 'failed') "
        "AND (error_text IS NULL OR error_text NOT LIKE 'dependency_failed%') "
        "ORDER BY updated_at DESC, id DESC LIMIT 1",
        (guild_id, channel_id),
    )
    return row is not None and row[0] == "failed" and row[1] in (403, 404)


# --- incidents, as reports see them -----------------------------------------------------------------------------


async def open_incidents(conn: aiosqlite.Connection, guild_id: int) -> list[OpenIncident]:
    """The server's open incidents that name an organisation, one per name as written (the newest): every report
    compares its organisation with these, read from their own index (`incidents_open_by_organisation`), whatever
    the history holds."""
    found = await conn.execute_fetchall(
        "SELECT MAX(number), organisation FROM incidents WHERE guild_id = ? "
        "AND status IN ('investigating', 'identified', 'monitoring') AND organisation IS NOT NULL "
        "GROUP BY organisation",
        (guild_id,),
    )
    return sorted((OpenIncident(int(r[0]), str(r[1])) for r in found), key=lambda i: -i.number)


async def open_outages(conn: aiosqlite.Connection, guild_id: int) -> list[OpenOutage]:
    """Every open incident of the server with its organisation, service keys and territory refs (what a
    declaration from a card is compared with), read through the open incidents' index; their services and
    territories in two queries, whatever their number."""
    found = list(
        await conn.execute_fetchall(
            "SELECT id, number, title, organisation FROM incidents INDEXED BY incidents_by_status "
            "WHERE guild_id = ? AND status IN ('investigating', 'identified', 'monitoring')",
            (guild_id,),
        )
    )
    if not found:
        return []
    territories, services = await incidents.territories_and_services(conn, [int(r[0]) for r in found])
    return [
        OpenOutage(
            int(r[1]),
            str(r[2]),
            r[3],
            tuple(service.key for service in services.get(int(r[0]), ())),
            tuple(territories.get(int(r[0]), ())),
        )
        for r in found
    ]


async def resolved_since(conn: aiosqlite.Connection, guild_id: int, *, since: datetime) -> list[OpenIncident]:
    """Incidents resolved since `since` that name an organisation, latest resolution first."""
    found = await conn.execute_fetchall(
        "SELECT number, organisation FROM incidents WHERE guild_id = ? AND status = 'resolved' "
        "AND resolved_at >= ? AND organisation IS NOT NULL ORDER BY resolved_at DESC LIMIT 50",
        (guild_id, to_db_time(since)),
    )
    return [OpenIncident(int(r[0]), str(r[1])) for r in found]


async def recent_incident_organisations(conn: aiosqlite.Connection, guild_id: int, *, limit: int = 200) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT organisation FROM incidents WHERE guild_id = ? AND organisation IS NOT NULL "
        "ORDER BY number DESC LIMIT ?",
        (guild_id, limit),
    )
    return [str(row[0]) for row in found]
