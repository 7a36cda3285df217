"""CSV exports: `incidents.csv`, `services.csv`, `timeline.csv` and a `README.txt`, zipped.

Column names are fixed English snake_case (they are for machines); cell text follows the server's language; the
separator is `;` in French (the spreadsheet default there, where `,` is the decimal mark) and `,` otherwise.
UTF-8 with a BOM so spreadsheets guess the encoding; quoting by the csv module (RFC 4180, CRLF).

No cell can run as a formula (OWASP, reference §4): a text cell beginning with `=`, `+`, `-`, `@`, tab, CR or NUL
gets a leading `'`, which spreadsheets read as "text". Numbers we compute are written as numbers; only text
passes through `inert`. Dates are ISO 8601 in the server's zone with its offset ("2024-10-19T12:00+02:00").

The writers take any iterable of records and keep one record at a time, so a large export needs no list.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.domain.incidents import Status
from bot.domain.reporting import IncidentRecord, Measure, measure, minutes
from bot.domain.updates import Update
from bot.exports.common import SameGuild, Words, definitions
from bot.i18n.catalogue import Language

INCIDENT_COLUMNS = (
    "number",
    "title",
    "status",
    "organisation",
    "sector",
    "territories",
    "severity",
    "cause",
    "declared",
    "started",
    "resolved",
    "duration_min",
    "first_update_min",
    "affected_count",
    "updates",
    "link",
)
SERVICE_COLUMNS = ("number", "title", "service", "state", "states", "downtime_min", "degraded_min")
TIMELINE_COLUMNS = ("number", "at", "author_id", "author", "kind", "silent", "text")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
BOM = "\ufeff"


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def inert(value: Any) -> Any:
    """A cell that no spreadsheet evaluates: text starting like a formula gets a leading `'`."""
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def delimiter(language: Language) -> str:
    return ";" if language == "fr" else ","


class _Writer:
    def __init__(self, out: TextIO, language: Language) -> None:
        self._csv = csv.writer(out, delimiter=delimiter(language), lineterminator="\r\n")

    def row(self, values: Iterable[Any]) -> None:
        """Any row: every text cell checked (headers, rows of unknown origin)."""
        first = _FORMULA_FIRST
        self._csv.writerow([f"'{v}" if isinstance(v, str) and v[:1] in first else v for v in values])

    def checked_row(self, values: list[Any]) -> None:
        """A row whose builder already passed every free-text cell through `inert`: the builders below know
        which cells people typed (titles, names, notes), and checking the other ~10⁶ cells of a large export
        (numbers, ISO dates, catalogue words) was a third of its time. The property test over every file keeps
        the builders honest."""
        self._csv.writerow(values)

    def checked_rows(self, rows: Iterable[list[Any]]) -> None:
        """`checked_row` for each row, in one call."""
        self._csv.writerows(rows)


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def incident_row(m: Measure, words: Words) -> list[Any]:
    incident = m.incident
    resolved = incident.resolved_at if incident.status == Status.RESOLVED else None
    return [
        incident.number,
        inert(incident.title),
        words.status(incident.status),
        inert(incident.organisation or ""),
        inert(incident.sector),
        words.territories(incident),
        words.severity(incident.severity),
        words.cause(incident.cause),
        words.iso(incident.declared_at),
        words.iso(incident.started_at),
        words.iso(resolved),
        _blank(minutes(m.duration)),
        _blank(minutes(m.first_update)),
        incident.affected_count,
        m.updates,
        inert(m.record.link or ""),
    ]


def service_rows(m: Measure, words: Words) -> Iterable[list[Any]]:
    number = m.incident.number
    title = inert(m.incident.title)
    state = words.state
    iso = words.iso
    isos = words.isos
    for service in m.services:
        # ISO 8601 intervals, start/end, one per state the service went through.
        states = " | ".join(
            f"{state(span.state)} {isos.get(span.start) or iso(span.start)}/{isos.get(span.end) or iso(span.end)}"
            for span in service.durations.spans
        )
        yield [
            number,
            title,
            inert(service.name),
            state(service.state),
            states,
            minutes(service.downtime),
            minutes(service.degraded_time),
        ]


def timeline_rows(m: Measure, words: Words) -> Iterable[list[Any]]:
    # The hot loop of a large export (one row per timeline entry): lookups hoisted, `inert` inlined, dates read
    # from the words' cache before calling it.
    yes, no = words("export.yes"), words("export.no")
    number = m.incident.number
    record = m.record
    authors = record.authors
    kinds = words.kind_labels()
    iso = words.iso
    isos = words.isos
    entry_text = words.entry_text
    first = _FORMULA_FIRST
    for entry in sorted(record.timeline, key=_at):
        by = entry.by
        at = entry.at
        author = authors.get(by) or str(by)
        text = entry_text(m, entry)
        yield [
            number,
            isos.get(at) or iso(at),
            by,
            "'" + author if author[:1] in first else author,
            kinds[entry.kind],
            yes if entry.silent else no,
            "'" + text if text[:1] in first else text,
        ]


def _at(entry: Update) -> datetime:
    return entry.at


def write_csvs(
    records: Iterable[IncidentRecord],
    *,
    incidents: TextIO,
    services: TextIO,
    timeline: TextIO,
    language: Language,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """The three CSV files in one pass over `records` (BOM included); returns the number of incidents."""
    words = Words(language, zone, now)
    guard = SameGuild()
    writers = {name: _Writer(out, language) for name, out in (("i", incidents), ("s", services), ("t", timeline))}
    for out in (incidents, services, timeline):
        out.write(BOM)
    writers["i"].row(INCIDENT_COLUMNS)
    writers["s"].row(SERVICE_COLUMNS)
    writers["t"].row(TIMELINE_COLUMNS)
    write_incident = writers["i"].checked_row
    write_services = writers["s"].checked_rows
    write_timeline = writers["t"].checked_rows
    count = 0
    for record in guard.all(records):
        m = measure(record, now=now)
        write_incident(incident_row(m, words))
        write_services(service_rows(m, words))
        write_timeline(timeline_rows(m, words))
        count += 1
    return count


def readme(language: Language, zone: ZoneInfo, now: datetime, period: tuple[datetime, datetime] | None) -> str:
    words = Words(language, zone, now)
    lines = [words("export.title"), ""]
    if period is not None:
        lines.append(words("export.period", start=words.full_date(period[0]), end=words.full_date(period[1])))
    lines.append(words("export.generated", time=words.full_date(now), zone=zone.key))
    lines += ["", words("export.heading.definitions"), ""]
    lines += [f"- {line}" for line in definitions(language)]
    lines += ["", words("export.readme.files"), "", words("export.readme.format", separator=delimiter(language))]
    return "\r\n".join(lines) + "\r\n"


def export_zip(
    records: Iterable[IncidentRecord],
    language: Language,
    zone: ZoneInfo,
    now: datetime,
    *,
    period: tuple[datetime, datetime] | None = None,
) -> bytes:
    """`incidents.csv`, `services.csv`, `timeline.csv` and `README.txt` in one zip."""
    buffers = {name: io.StringIO(newline="") for name in ("incidents.csv", "services.csv", "timeline.csv")}
    write_csvs(
        records,
        incidents=buffers["incidents.csv"],
        services=buffers["services.csv"],
        timeline=buffers["timeline.csv"],
        language=language,
        zone=zone,
        now=now,
    )
    out = io.BytesIO()
    # Level 1: a third of level 6's time for a zip a fifth larger, on text that compresses ~10×.
    # Entries dated at the export time, not the wall clock, so one export is always the same bytes.
    stamp = now.astimezone(zone).timetuple()[:6]
    files = {"README.txt": BOM + readme(language, zone, now, period)} | {k: v.getvalue() for k, v in buffers.items()}
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return out.getvalue()
