"""Markdown export: the definitions, the figures, a summary table and one section per incident with its
timeline, in the language asked. Typed text is escaped so that a title cannot become a heading, a link, a
table cell boundary or raw HTML in whatever renders the file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.common.i18n.catalogue import Language
from bot.exports.presentation import planned, reported
from bot.exports.presentation.common import Document, Words, definitions
from bot.exports.presentation.summary import (
    columns,
    facts,
    figure_sentences,
    header_lines,
    stats_cells,
    workaround_versions,
)
from bot.exports.rules import Figures, IncidentRecord, Measure, figures, measure
from bot.incidents.rules.model import Status

# Inline marks anywhere (emphasis, code, links, raw HTML and entities, table cells, strikethrough); block marks
# only where a line would start. Dots and parentheses elsewhere stay as typed, so the raw file reads well.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def md(text: str) -> str:
    """Typed text, one line, inert: Markdown marks escaped, line breaks as spaces."""
    escaped = _INLINE.sub(r"\\\1", " ".join(text.split()))
    return _LINE_START.sub(_escape_start, escaped)


def _escape_start(match: re.Match[str]) -> str:
    mark = match.group(1)
    return mark + "\\" if mark.isdigit() else "\\" + mark


def _quote(text: str, indent: str = "  ") -> list[str]:
    """Multi-line typed text as a block quote under a list item, each line escaped."""
    return [f"{indent}> {md(line)}" if line.strip() else f"{indent}>" for line in text.split("\n")]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _header(words: Words, title: str, period: tuple[datetime, datetime] | None) -> list[str]:
    lines = [f"# {title}", ""]
    lines += [line + "  " for line in header_lines(words, period)]
    lines[-1] = lines[-1].rstrip()
    lines.append("")
    lines += [f"## {words('export.heading.definitions')}", ""]
    lines += [f"- {line}" for line in definitions(words.language)]
    return [*lines, ""]


def _figures(figs: Figures, words: Words) -> list[str]:
    lines = [f"## {words('export.heading.figures')}", ""]
    lines += [f"- {sentence}" for sentence in figure_sentences(figs, words)]
    lines.append("- " + reported.figures_line(figs, words))
    lines.append("")
    lines += [f"### {words('export.heading.by_severity')}", ""]
    lines += _table(
        [words("incident.label.severity"), words("export.column.incidents")],
        [[words.severity(s), words.number(n)] for s, n in figs.by_severity.items()],
    )
    lines += [f"### {words('export.heading.by_sector')}", ""]
    lines += _table(
        columns(words, "sector"),
        [
            [
                md(sector),
                words.number(n),
                *stats_cells(figs.mttr_by_sector.get(sector), words),
            ]
            for sector, n in figs.by_sector.items()
        ],
    )
    lines += [f"### {words('export.heading.by_territory')}", ""]
    lines += _table(
        columns(words, "territory"),
        [
            [md(words.territory(ref)), words.number(n), *stats_cells(figs.mttr_by_territory.get(ref), words)]
            for ref, n in figs.by_territory.items()
        ],
    )
    if figs.service_totals:
        lines += [f"### {words('export.heading.by_service')}", ""]
        lines += _table(
            columns(words, "service"),
            [
                [
                    md(s.name),
                    words.number(s.incidents),
                    words.duration(s.downtime),
                    words.duration(s.degraded_time),
                    *stats_cells(s.restore, words)[1:],
                ]
                for s in figs.service_totals
            ],
        )
    return lines


def _summary(measures: Sequence[Measure], words: Words) -> list[str]:
    lines = [f"## {words('export.heading.summary')}", ""]
    return lines + _table(
        ["#", *columns(words, "summary")],
        [
            [
                str(m.incident.number),
                md(m.incident.title),
                words.status(m.incident.status),
                words.severity(m.incident.severity),
                md(m.incident.sector),
                words.date(m.incident.started_at),
                words.date(m.incident.resolved_at) if m.incident.status == Status.RESOLVED else "",
                words.duration_or_open(m),
            ]
            for m in measures
        ],
    )


def incident_section(m: Measure, words: Words, *, level: int = 3) -> list[str]:
    incident = m.incident
    h = "#" * level
    lines = [f"{h} {incident.label} · {md(incident.title)}", ""]
    for label, value in facts(m, words):
        lines.append("- " + words("export.fact", label=f"**{label}**", value=md(value)))
    if m.record.link:
        lines.append("- " + words("export.fact", label=f"**{words('export.label.link')}**", value=f"<{m.record.link}>"))
    lines.append("")
    if m.services:
        lines += [f"{h}# {words('export.heading.services')}", ""]
        for s in m.services:
            state = words.state(s.state) + (f" ({words('export.ongoing')})" if s.ongoing else "")
            lines.append(f"- **{md(s.name)}** — {state} — {words.service_durations(s.downtime, s.degraded_time)}")
            for span in s.durations.spans:
                period = words.span(span.start, span.end)
                lines.append(
                    "  - "
                    + words(
                        "export.fact",
                        label=words.state(span.state),
                        value=f"{period} ({words.duration(span.duration)})",
                    )
                )
        lines.append("")
    versions = workaround_versions(m.record)
    if versions:
        lines += [f"{h}# {words('export.heading.workarounds')}", ""]
        for v in versions:
            lines.append(
                "- "
                + words(
                    "export.workaround_version",
                    version=v.version,
                    time=words.date(v.at),
                    user=md(m.record.author(v.by)),
                )
            )
            lines += _quote(v.text)
        lines.append("")
    lines += [f"{h}# {words('export.heading.timeline')}", ""]
    for entry in sorted(m.record.timeline, key=lambda e: e.at):
        sentences = words.entry(m, entry)
        head = f"- **{words.date(entry.at)}** — {md(m.record.author(entry.by))} · {words.kind(entry.kind)}"
        lines.append(head)
        for sentence in sentences:
            lines += _quote(sentence)
    return [*lines, ""]


def _cancelled(measures: Sequence[Measure], words: Words) -> list[str]:
    lines = [f"## {words('export.heading.cancelled')}", "", words("export.cancelled_note"), ""]
    for m in measures:
        lines += incident_section(m, words)
    return lines


def export_markdown(document: Document) -> str:
    words, measured, now = document.words(), document.measured(), document.now
    set_aside = document.set_aside
    measures, counted, cancelled = measured.all, measured.counted, measured.cancelled
    lines = _header(words, words("export.title"), document.period)
    lines += _figures(figures(measures, now=now), words)
    lines += _summary(counted, words)
    lines += [f"## {words('export.heading.incidents')}", ""]
    for m in counted:
        lines += incident_section(m, words)
    if cancelled:
        lines += _cancelled(cancelled, words)
    if set_aside:
        lines += [f"## {words('export.heading.set_aside', count=words.number(len(set_aside)))}", ""]
        lines += [words("export.set_aside_note"), ""]
        lines += [f"- {md(line)}" for line in reported.set_aside_lines(set_aside, words)] + [""]
    if document.maintenance:
        lines += [f"## {words('export.heading.maintenance', count=words.number(len(document.maintenance)))}", ""]
        lines += [words("export.maintenance_note"), ""]
        lines += [f"- {md(line)}" for line in planned.lines(document.maintenance, words)] + [""]
    return "\n".join(lines)


def summary_markdown(record: IncidentRecord, language: Language, zone: ZoneInfo, now: datetime) -> str:
    """One incident's dated account (`/outage summary`)."""
    words = Words(language, zone, now)
    m = measure(record, now=now)
    title = words("export.summary_title", label=m.incident.label, title=md(m.incident.title))
    lines = _header(words, title, None)
    lines += incident_section(m, words, level=2)[2:]
    return "\n".join(lines)
