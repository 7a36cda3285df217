"""Exports for admins (`/export`, `python -m bot export`) and one incident's account (`/outage summary`).

An export reads one server's incidents from one snapshot (`bot.exports.store`), in batches, and renders them in a
worker thread while the next batch is read: the event loop stays free for the bot's other commands, and a CSV
export never holds more than a few batches of timeline rows. Files go out whole when they fit Discord's upload
limit; a larger JSON, Markdown or HTML file is zipped first, and what still does not fit is cut into numbered
parts (`.001`, `.002`… joined back by concatenation), up to `MAX_PARTS`; beyond that the person is asked to
narrow the period.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import queue
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import aiosqlite

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.files import NamedFile
from bot.common.i18n import Msg
from bot.common.periods import parse_period
from bot.common.text import name_key
from bot.exports import store as export_repo
from bot.exports.presentation import (
    Document,
    audit_csv,
    export_html,
    export_json,
    export_markdown,
    export_zip,
    incident_summary,
)
from bot.exports.rules import IncidentRecord, SetAsideGroup
from bot.incidents import store as repo
from bot.incidents.presentation.message_parts import thread_url
from bot.incidents.rules.lifecycle import UpdateKind
from bot.incidents.use_cases.typed_input import overlapping_refs, resolve_sector
from bot.interactions.access import NotAllowedError
from bot.maintenance import store as maintenance_repo
from bot.maintenance.rules import Maintenance
from bot.settings.rules.config import GuildConfig, ServerDefaults
from bot.settings.use_cases import load_config
from bot.storage import audit
from bot.storage.store import Store

# "audit": the server's audit log as CSV, not its incidents (no filter applies to it).
Format = Literal["csv", "json", "md", "html", "audit"]
FORMATS: tuple[Format, ...] = ("csv", "json", "md", "html")
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": ("investigating", "identified", "monitoring"),
    "resolved": ("resolved",),
    "cancelled": ("cancelled",),
}
SEVERITIES = ("critical", "major", "minor")

# Discord's default upload limit is 10 MiB per message; a part keeps room for the multipart envelope.
UPLOAD_LIMIT = 10 * 1024 * 1024
PART_BYTES = UPLOAD_LIMIT - 64 * 1024
MAX_PARTS = 8

# Phase of a running export, for the progress reply: reading (with a percentage), rendering, sending.
Phase = Literal["reading", "rendering"]
Progress = Callable[[Phase, int], Awaitable[None]]
# User ids → display names, looked up by the caller (the bot knows its members; the command line does not).
Names = Callable[[set[int]], Mapping[int, str]]


class ExportError(TocsinError):
    """An export that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class ExportRequest:
    guild_id: int
    format: Format
    period: str
    status: str | None = None  # a key of STATUS_FILTERS, or None / "all"
    territory: str | None = None
    sector: str | None = None
    organisation: str | None = None
    severity: str | None = None
    actor_id: int | None = None


# An export's file, or one part of it: the bot's one type of file handed to a person.
ExportFile = NamedFile


@dataclass(frozen=True)
class ExportResult:
    files: tuple[ExportFile, ...]  # each within the upload limit
    incidents: int
    period: tuple[datetime, datetime]
    split: bool  # the files are parts of one file, to be joined
    zipped: bool  # a JSON, Markdown or HTML file zipped to fit
    size: int  # bytes of the whole export before it was cut


def _in_field(field_key: str, error: TocsinError) -> ExportError:
    return ExportError("export.error.in_field", field=Msg.of(field_key), reason=Msg(error.message_id, error.args_map))


def build_query(request: ExportRequest, config: GuildConfig, *, now: datetime) -> export_repo.ExportQuery:
    """Every option checked and turned into the repository's terms, before anything is read."""
    try:
        period = parse_period(request.period, now=now, tz=config.zone)
    except TocsinError as exc:
        raise _in_field("export.field.period", exc) from None
    refs: tuple[str, ...] | None = None
    if request.territory and request.territory.strip():
        try:
            found = territory_data.lookup(request.territory, prefer_kind="region")
        except TocsinError as exc:
            raise _in_field("export.field.territory", exc) from None
        refs = tuple(overlapping_refs(found))
    sector = None
    if request.sector and request.sector.strip():
        try:
            sector = resolve_sector(config, request.sector)
        except TocsinError as exc:
            raise _in_field("export.field.sector", exc) from None
    if request.status not in (None, "all", *STATUS_FILTERS):
        raise ExportError("export.error.unknown_status", status=str(request.status)[:30])
    if request.severity is not None and request.severity not in SEVERITIES:
        raise ExportError("export.error.unknown_severity", severity=str(request.severity)[:30])
    if request.format not in FORMATS:
        raise ExportError("export.error.unknown_format", format=str(request.format)[:30])
    organisation = request.organisation.strip() if request.organisation and request.organisation.strip() else None
    return export_repo.ExportQuery(
        guild_id=request.guild_id,
        period=period,
        statuses=STATUS_FILTERS.get(request.status or "all"),
        severities=(request.severity,) if request.severity else None,
        sector=sector,
        territory_refs=refs,
        organisation=organisation,
    )


def file_stem(period: tuple[datetime, datetime], zone: ZoneInfo) -> str:
    start, end = (moment.astimezone(zone) for moment in period)
    return f"tocsin-{start:%Y-%m-%d}-{end:%Y-%m-%d}"


WRITERS: dict[Format, Callable[[Document], bytes]] = {
    "csv": export_zip,
    "json": export_json,
    "md": lambda document: export_markdown(document).encode("utf-8"),
    "html": export_html,
}


async def _set_aside(conn: aiosqlite.Connection, query: export_repo.ExportQuery) -> list[SetAsideGroup]:
    """Reports set aside in the period, unless the export is narrowed to some incidents (by status, severity,
    sector or territory: a set-aside group has none of those); the organisation filter applies to them too."""
    if query.statuses or query.severities or query.sector is not None or query.territory_refs:
        return []
    groups = await export_repo.set_aside_groups(conn, query)
    if query.organisation is not None and name_key(query.organisation):
        wanted = name_key(query.organisation)
        groups = [g for g in groups if wanted in name_key(g.organisation)]
    return groups


async def _maintenance(conn: aiosqlite.Connection, query: export_repo.ExportQuery) -> list[Maintenance]:
    """Planned maintenance whose span meets the period, listed apart: none when the export is narrowed by an
    incident's status or severity (a maintenance has neither); sector, territory and organisation apply."""
    if query.statuses or query.severities:
        return []
    found = [s.maintenance for s in await maintenance_repo.between(conn, query.guild_id, *query.period)]
    if query.sector is not None:
        found = [m for m in found if name_key(m.sector) == name_key(query.sector)]
    if query.territory_refs:
        found = [m for m in found if set(m.territories) & set(query.territory_refs)]
    if query.organisation is not None and name_key(query.organisation):
        found = [m for m in found if name_key(query.organisation) in name_key(m.organisation)]
    return found


EXTENSIONS: dict[Format, str] = {"csv": "zip", "json": "json", "md": "md", "html": "html"}


def fit(
    name: str, data: bytes, *, limit: int = PART_BYTES, max_parts: int = MAX_PARTS
) -> tuple[list[ExportFile], bool, bool]:
    """The export as files that each fit one upload: whole, zipped (text compresses ~10×), or cut in parts.
    Returns (files, zipped, split); refuses past `max_parts`."""
    if len(data) <= limit:
        return [ExportFile(name, data)], False, False
    zipped = False
    if not name.endswith(".zip"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        name, data, zipped = name + ".zip", out.getvalue(), True
        if len(data) <= limit:
            return [ExportFile(name, data)], zipped, False
    parts = -(-len(data) // limit)
    if parts > max_parts:
        raise ExportError("export.error.too_large", size=round(len(data) / 1024 / 1024), parts=max_parts)
    files = [ExportFile(f"{name}.{i + 1:03d}", data[i * limit : (i + 1) * limit]) for i in range(parts)]
    return files, zipped, True


_END = object()


async def _produce(
    conn: aiosqlite.Connection,
    query: export_repo.ExportQuery,
    ids: list[int],
    *,
    now: datetime,
    names: Names | None,
    progress: Progress | None,
    feed: queue.Queue[Any],
    consumer: asyncio.Future[Any],
) -> None:
    done = 0
    async for batch in export_repo.records(conn, query, ids, now=now):
        if names is not None:
            batch = [dataclasses.replace(record, authors=names(_people(record))) for record in batch]
        if not await asyncio.to_thread(_put, feed, batch, consumer):
            return  # the renderer stopped (it failed): its error is raised by the caller
        done += len(batch)
        if progress is not None and ids:
            await progress("reading", min(99, done * 100 // len(ids)))


def _put(feed: queue.Queue[Any], item: Any, consumer: asyncio.Future[Any]) -> bool:
    while True:
        try:
            feed.put(item, timeout=0.2)
            return True
        except queue.Full:
            if consumer.done():
                return False


def _stop(feed: queue.Queue[Any]) -> None:
    while True:
        try:
            feed.get_nowait()
        except queue.Empty:
            break
    feed.put_nowait(_END)


def _drain(feed: queue.Queue[Any]) -> Iterator[IncidentRecord]:
    while True:
        batch = feed.get()
        if batch is _END:
            return
        yield from batch


def _people(record: IncidentRecord) -> set[int]:
    incident = record.incident
    people = {incident.declared_by, incident.owner_id}
    for entry in record.timeline:
        people.add(entry.by)
        if entry.kind == UpdateKind.ASSIGNED and isinstance(entry.details.get("to"), int):
            people.add(entry.details["to"])
        if entry.kind == UpdateKind.NEXT_UPDATE_SET and isinstance(entry.details.get("by"), int):
            people.add(entry.details["by"])
    return people


async def export(
    db_path: str | Path,
    request: ExportRequest,
    *,
    now: datetime,
    default_language: str,
    default_time_zone: str,
    names: Names | None = None,
    progress: Progress | None = None,
    limit: int = PART_BYTES,
) -> ExportResult:
    """Reads the server's incidents from one snapshot of the database at `db_path` and renders them."""
    if request.format == "audit":
        narrowed = (request.status, request.territory, request.sector, request.organisation, request.severity)
        if any(value is not None and value != "all" for value in narrowed):
            raise ExportError("export.error.audit_filters")
        return await audit_log_export(
            db_path,
            request.guild_id,
            request.period,
            now=now,
            default_language=default_language,
            default_time_zone=default_time_zone,
            names=names,
            limit=limit,
        )
    async with export_repo.snapshot(db_path) as conn:
        config = await load_config(conn, request.guild_id, ServerDefaults(default_language, default_time_zone))
        query = build_query(request, config, now=now)
        ids = await export_repo.matching_ids(conn, query)
        set_aside = await _set_aside(conn, query)
        planned = await _maintenance(conn, query)
        if progress is not None:
            await progress("reading", 0)
        feed: queue.Queue[Any] = queue.Queue(maxsize=2)
        counted = [0]

        def counting() -> Iterator[IncidentRecord]:
            for record in _drain(feed):
                counted[0] += 1
                yield record

        consumer = asyncio.ensure_future(
            asyncio.to_thread(
                WRITERS[request.format],
                Document(counting(), config.language, config.zone, now, query.period, set_aside, planned),
            )
        )
        try:
            await _produce(conn, query, ids, now=now, names=names, progress=progress, feed=feed, consumer=consumer)
        except BaseException:
            # The renderer waits on the queue: make room and end its input, so its thread finishes too.
            _stop(feed)
            raise
        await asyncio.to_thread(_put, feed, _END, consumer)
    if progress is not None:
        await progress("rendering", 100)
    data = await consumer
    name = f"{file_stem(query.period, config.zone)}.{EXTENSIONS[request.format]}"
    files, zipped, split = fit(name, data, limit=limit)
    return ExportResult(tuple(files), counted[0], query.period, split, zipped, len(data))


async def audit_log_export(
    db_path: str | Path,
    guild_id: int,
    period: str,
    *,
    now: datetime,
    default_language: str,
    default_time_zone: str,
    names: Names | None = None,
    limit: int = PART_BYTES,
) -> ExportResult:
    """The server's audit log for a period, as one CSV file (`/export format: audit log`, admins only: checked by
    the caller). `ExportResult.incidents` counts its entries."""
    async with export_repo.snapshot(db_path) as conn:
        config = await load_config(conn, guild_id, ServerDefaults(default_language, default_time_zone))
        try:
            parsed = parse_period(period, now=now, tz=config.zone)
        except TocsinError as exc:
            raise _in_field("export.field.period", exc) from None
        lines = await export_repo.audit_lines(conn, guild_id, parsed)
    people = {line.actor_id for line in lines if line.actor_id is not None}
    shown = names(people) if names is not None and people else {}
    data = await asyncio.to_thread(audit_csv, lines, shown, config.language, config.zone)
    start, end = (moment.astimezone(config.zone) for moment in parsed)
    files, zipped, split = fit(f"tocsin-audit-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv", data, limit=limit)
    return ExportResult(tuple(files), len(lines), parsed, split, zipped, len(data))


async def audit_export(store: Store, request: ExportRequest, result: ExportResult | None, *, now: datetime) -> None:
    """Who exported what is kept like every other action (an export is a disclosure of the server's data)."""
    arguments = {
        "format": request.format,
        "period": request.period,
        "status": request.status,
        "territory": request.territory,
        "sector": request.sector,
        "organisation": request.organisation,
        "severity": request.severity,
    }
    outcome = f"{result.incidents} incidents, {result.size} bytes" if result is not None else "refused"
    async with store.unit_of_work() as conn:
        await audit.record(
            conn,
            guild_id=request.guild_id,
            actor_id=request.actor_id,
            action="export",
            arguments={k: v for k, v in arguments.items() if v is not None},
            result=outcome,
            at=now,
        )


@dataclass(frozen=True)
class SummaryResult:
    number: int
    files: tuple[ExportFile, ...]  # the Markdown and the HTML account


async def summary(
    store: Store,
    guild_id: int,
    number: int,
    *,
    now: datetime,
    default_language: str,
    default_time_zone: str,
    names: Names | None = None,
    actor_id: int | None = None,
    admin: bool = False,
    role_ids: frozenset[int] = frozenset(),
) -> SummaryResult:
    """`/outage summary`: one incident's dated account, in the server's language and zone. For the server's
    coordinators and admins only (it names who wrote what)."""
    async with store.reading() as conn:
        config = await load_config(conn, guild_id, ServerDefaults(default_language, default_time_zone))
        if not admin and (config.coordinator_role_id is None or config.coordinator_role_id not in role_ids):
            raise NotAllowedError("export.error.coordinator_or_admin")
        stored = await repo.get(conn, guild_id, number)
        if stored is None:
            raise ExportError("outage.error.incident_unknown", number=number)
        timeline = await repo.timeline(conn, stored.id)
    incident = stored.incident
    link = thread_url(guild_id, incident.thread_id) if incident.thread_id is not None else None
    record = IncidentRecord(incident, timeline, {}, link)
    if names is not None:
        record = dataclasses.replace(record, authors=names(_people(record)))
    markdown, html = incident_summary(record, config.language, config.zone, now)
    stem = f"tocsin-{number}-{now.astimezone(config.zone):%Y-%m-%d}"
    async with store.unit_of_work() as conn:
        await audit.record(
            conn,
            guild_id=guild_id,
            actor_id=actor_id,
            action="outage summary",
            arguments={"incident": number},
            result="summarised",
            at=now,
        )
    return SummaryResult(number, (ExportFile(f"{stem}.html", html), ExportFile(f"{stem}.md", markdown.encode("utf-8"))))
