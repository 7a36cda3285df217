"""CSV exports: `incidents.csv`, `services.csv`, `timeline.csv`, `figures.csv` (counts, durations and MTTR overall,
per sector, territory and service), `set_aside.csv` (members' reports set aside, apart from every incident) and a
`README.txt`, zipped; and the audit log of a period (`audit_csv`).

Column names are fixed English snake_case (they are for machines); cell text follows the server's language; the
separator is `;` in French (the spreadsheet default there, where `,` is the decimal mark) and `,` otherwise.
UTF-8 with a BOM so spreadsheets guess the encoding; quoting as the csv module quotes (RFC 4180, CRLF).

No cell can run as a formula (OWASP, reference §4): a text cell beginning with `=`, `+`, `-`, `@`, tab, CR or NUL
gets a leading `'`, which spreadsheets read as "text". Numbers we compute are written as numbers; every text
cell, typed or worded, passes through `inert`. Dates are ISO 8601 in the server's zone with its offset
("2024-10-19T12:00+02:00").

The writers take any iterable of records and keep one record at a time, so a large export needs no list.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.common.i18n.catalogue import Language
from bot.exports.presentation import planned, reported
from bot.exports.presentation.common import Document, SameGuild, Words, definitions
from bot.exports.presentation.summary import header_lines
from bot.exports.rules import (
    AuditLine,
    DurationStats,
    Figures,
    IncidentRecord,
    Measure,
    SetAsideGroup,
    figures,
    measure,
    minutes,
)
from bot.incidents.rules.lifecycle import Update
from bot.incidents.rules.model import Cause, ServiceState, Severity, Status

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
    *reported.INCIDENT_COLUMNS,
)
SERVICE_COLUMNS = ("number", "title", "service", "state", "states", "downtime_min", "degraded_min")
TIMELINE_COLUMNS = ("number", "at", "author_id", "author", "kind", "silent", "text")
FIGURE_COLUMNS = ("dimension", "key", "label", "incidents", "resolved", "total_min", "median_min", "mttr_min")
AUDIT_COLUMNS = ("at", "member_id", "member", "action", "arguments", "result")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
BOM = "\ufeff"
NEWLINE = "\r\n"

_FORMULA_FIRST = frozenset(FORMULA_STARTS)
# Lines are gathered and written this many incidents at a time: a large export streams, few writes.
_BATCH = 500


def inert(value: Any) -> Any:
    """A cell that no spreadsheet evaluates: text starting like a formula gets a leading `'`."""
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def delimiter(language: Language) -> str:
    return ";" if language == "fr" else ","


class Cells:
    """Text → its CSV field: `inert`, then quoted as the csv module quotes (RFC 4180, minimal quoting: when the
    text holds the separator, a quote or a line break; quotes doubled). Every text cell passes here, typed or
    not, so no cell can start a formula. Kept per text: a large export writes ~10⁶ cells but far fewer distinct
    texts, and running each row through `csv.writer` was most of its time. A test holds the two together."""

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self._needs_quotes = re.compile(f'[{re.escape(separator)}"\r\n]').search
        self._cells: dict[str, str] = {"": ""}

    def __call__(self, text: str) -> str:
        cell = self._cells.get(text)
        if cell is None:
            cell = self._cells[text] = self._field(text)
        return cell

    def _field(self, text: str) -> str:
        text = inert(text)
        if self._needs_quotes(text):
            return '"' + text.replace('"', '""') + '"'
        return text

    def line(self, values: Iterable[Any]) -> str:
        """One row of any values: text through the cells, numbers as they print, None empty."""
        return (
            self.separator.join(self(v) if isinstance(v, str) else "" if v is None else str(v) for v in values)
            + NEWLINE
        )


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


class CsvLines:
    """The lines of the three files for one export. Catalogue words become cells once per export (labels of
    each status, severity, cause, state and kind), authors once per incident, sentences once per distinct text;
    ISO dates ("2024-10-19T12:05+02:00") are written as they are: they never need quoting nor start like a
    formula. A large export writes ~10⁵ lines, so each line reads caches rather than calling out."""

    def __init__(self, words: Words, cells: Cells) -> None:
        self.words = words
        self.cells = cells
        s = cells.separator
        self._status = {status: cells(words.status(status)) for status in Status}
        self._severity = {severity: cells(words.severity(severity)) for severity in Severity}
        self._cause = {cause: cells(words.cause(cause)) for cause in Cause}
        self._state = {state: cells(words.state(state)) for state in ServiceState}
        self._span_state = {state: words.state(state) for state in ServiceState}
        self._kind = {kind: cells(label) for kind, label in words.kind_labels().items()}
        self._silent = {True: s + cells(words("export.yes")) + s, False: s + cells(words("export.no")) + s}

    def incident(self, m: Measure) -> str:
        incident = m.incident
        cells = self.cells
        iso = self.words.iso
        resolved = incident.resolved_at if incident.status == Status.RESOLVED else None
        return (
            cells.separator.join(
                (
                    str(incident.number),
                    cells(incident.title),
                    self._status[incident.status],
                    cells(incident.organisation or ""),
                    cells(incident.sector),
                    cells(self.words.territories(incident)),
                    self._severity[incident.severity],
                    self._cause[incident.cause],
                    iso(incident.declared_at),
                    iso(incident.started_at),
                    iso(resolved),
                    _number(minutes(m.duration)),
                    _number(minutes(m.first_update)),
                    str(incident.affected_count),
                    str(m.updates),
                    cells(m.record.link or ""),
                    *(cells(value) for value in reported.incident_values(m, self.words)),
                )
            )
            + NEWLINE
        )

    def services(self, m: Measure, out: list[str]) -> None:
        """One line per service of the incident, appended to `out`."""
        cells = self.cells
        s = cells.separator
        head = f"{m.incident.number}{s}{cells(m.incident.title)}{s}"
        span_state = self._span_state
        iso = self.words.iso
        for service in m.services:
            durations = service.durations
            # ISO 8601 intervals, start/end, one per state the service went through.
            states = " | ".join(
                [f"{span_state[span.state]} {iso(span.start)}/{iso(span.end)}" for span in durations.spans]
            )
            out.append(
                f"{head}{cells(service.name)}{s}{self._state[service.state]}{s}{cells(states)}{s}"
                f"{minutes(durations.downtime)}{s}{minutes(durations.degraded_time)}{NEWLINE}"
            )

    def timeline(self, m: Measure, out: list[str]) -> None:
        """One line per timeline entry, oldest first, appended to `out`: the hot loop of a large export."""
        cells = self.cells
        s = cells.separator
        record = m.record
        head = f"{m.incident.number}{s}"
        authors = record.authors
        by_cells: dict[int, str] = {}
        kinds = self._kind
        silent = self._silent
        iso = self.words.iso
        entry_text = self.words.entry_text
        for entry in sorted(record.timeline, key=_at):
            by = entry.by
            author = by_cells.get(by)
            if author is None:
                author = by_cells[by] = f"{s}{by}{s}{cells(authors.get(by) or str(by))}{s}"
            out.append(
                f"{head}{iso(entry.at)}{author}{kinds[entry.kind]}{silent[entry.silent]}"
                f"{cells(entry_text(m, entry))}{NEWLINE}"
            )


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
    figures_csv: TextIO | None = None,
) -> int:
    """The three CSV files in one pass over `records` (BOM included), and the figures' file when asked, from
    the same pass (the figures keep each incident's facts, never its timeline); returns the number of
    incidents."""
    cells = Cells(delimiter(language))
    words = Words(language, zone, now)
    write = CsvLines(words, cells)
    files = (incidents, services, timeline)
    for out, columns in zip(files, (INCIDENT_COLUMNS, SERVICE_COLUMNS, TIMELINE_COLUMNS), strict=True):
        out.write(BOM + cells.line(columns))
    count = [0]

    def written() -> Iterator[Measure]:
        lines: tuple[list[str], list[str], list[str]] = ([], [], [])
        incident_out, service_out, timeline_out = lines
        for record in SameGuild().all(records):
            m = measure(record, now=now)
            incident_out.append(write.incident(m))
            write.services(m, service_out)
            write.timeline(m, timeline_out)
            count[0] += 1
            if count[0] % _BATCH == 0:
                _flush(files, lines)
            yield m
        _flush(files, lines)

    if figures_csv is None:
        for _ in written():
            pass
    else:
        figures_csv.write(BOM + cells.line(FIGURE_COLUMNS))
        figures_csv.writelines(cells.line(row) for row in figure_rows(figures(written(), now=now), words))
    return count[0]


def figure_rows(figs: Figures, words: Words) -> Iterator[tuple[Any, ...]]:
    """`figures.csv`: the counts, durations and MTTR of every outage, then per sector, per territory (its rows
    as the reports count them) and per service (each resolved outage's time to restore it)."""

    def row(dimension: str, key: str, label: str, incidents: int, stats: DurationStats | None) -> tuple[Any, ...]:
        if stats is None:
            return (dimension, key, label, incidents, 0, 0, None, None)
        return (dimension, key, label, incidents, stats.count, *map(minutes, (stats.total, stats.median, stats.mean)))

    yield row("all", "", words("export.figures.every_outage"), figs.incidents, figs.durations)
    for sector, count in figs.by_sector.items():
        yield row("sector", sector, sector, count, figs.mttr_by_sector.get(sector))
    for ref, count in figs.by_territory.items():
        yield row("territory", ref, words.territory(ref), count, figs.mttr_by_territory.get(ref))
    for service in figs.service_totals:
        yield row("service", service.key, service.name, service.incidents, service.restore)


def _flush(files: tuple[TextIO, ...], lines: tuple[list[str], ...]) -> None:
    for out, pending in zip(files, lines, strict=True):
        out.write("".join(pending))
        pending.clear()


def readme(language: Language, zone: ZoneInfo, now: datetime, period: tuple[datetime, datetime] | None) -> str:
    words = Words(language, zone, now)
    lines = [words("export.title"), ""]
    lines += header_lines(words, period)
    lines += ["", words("export.heading.definitions"), ""]
    lines += [f"- {line}" for line in definitions(language)]
    lines += ["", words("export.readme.files"), words("export.readme.set_aside"), words("export.readme.maintenance")]
    lines += ["", words("export.readme.format", separator=delimiter(language))]
    return "\r\n".join(lines) + "\r\n"


def set_aside_csv(groups: Sequence[SetAsideGroup], language: Language, zone: ZoneInfo, now: datetime) -> str:
    """The members' reports set aside in the period, one group per line (counted in no incident's figures)."""
    cells = Cells(delimiter(language))
    rows = reported.set_aside_rows(groups, Words(language, zone, now))
    return BOM + cells.line(reported.SET_ASIDE_COLUMNS) + "".join(cells.line(row) for row in rows)


def audit_csv(lines: Iterable[AuditLine], names: Mapping[int, str], language: Language, zone: ZoneInfo) -> bytes:
    """The audit log's entries, one a line: the time to the second in the server's zone, the member's id as
    Discord shows it (digits, written as text) and their name when known, the action, its arguments as stored
    (JSON) and its result. Every text cell goes through `Cells`, so none runs as a formula."""
    cells = Cells(delimiter(language))
    out = [BOM + cells.line(AUDIT_COLUMNS)]
    for line in lines:
        member_id = "" if line.actor_id is None else str(line.actor_id)
        member = names.get(line.actor_id, member_id) if line.actor_id is not None else ""
        at = line.at.astimezone(zone).isoformat(timespec="seconds")
        out.append(cells.line((at, member_id, member, line.action, line.arguments, line.result)))
    return "".join(out).encode("utf-8")


def export_zip(document: Document) -> bytes:
    """`incidents.csv`, `services.csv`, `timeline.csv`, `figures.csv`, `set_aside.csv` and `README.txt` in one
    zip."""
    language, zone, now, period = document.language, document.zone, document.now, document.period
    names = ("incidents.csv", "services.csv", "timeline.csv", "figures.csv")
    buffers = {name: io.StringIO(newline="") for name in names}
    write_csvs(
        document.records,
        incidents=buffers["incidents.csv"],
        services=buffers["services.csv"],
        timeline=buffers["timeline.csv"],
        language=language,
        zone=zone,
        now=now,
        figures_csv=buffers["figures.csv"],
    )
    out = io.BytesIO()
    # Level 1: a third of level 6's time for a zip a fifth larger, on text that compresses ~10×.
    # Entries dated at the export time, not the wall clock, so one export is always the same bytes.
    stamp = now.astimezone(zone).timetuple()[:6]
    files = {"README.txt": BOM + readme(language, zone, now, period)} | {k: v.getvalue() for k, v in buffers.items()}
    files["set_aside.csv"] = set_aside_csv(document.set_aside, language, zone, now)
    maintenance_rows = planned.rows(document.maintenance, Words(language, zone, now))
    cells = Cells(delimiter(language))
    files["planned_maintenance.csv"] = (
        BOM + cells.line(planned.COLUMNS) + "".join(cells.line(row) for row in maintenance_rows)
    )
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return out.getvalue()
