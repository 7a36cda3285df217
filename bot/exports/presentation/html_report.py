"""The HTML report: one self-contained file that opens with no network (CSS inline, charts as inline SVG, no
script, no font, no image fetched), in the language asked.

Sections, each with a stable id so tools and tests can find them: `definitions`, `summary` (a table of the
incidents), `figures`, `chart` (the period's timeline chart), `incidents` (one `<article id="incident-N">` per
incident with its facts, services, workaround versions and full timeline) and `cancelled` (listed apart). Every
typed value goes through `html.escape`; the only links are the incidents' own (https only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.common.i18n.catalogue import Language
from bot.exports.presentation import planned, reported
from bot.exports.presentation.charts import MAX_BARS, timeline_chart
from bot.exports.presentation.common import Document, Words, definitions
from bot.exports.presentation.summary import (
    columns,
    facts,
    figure_sentences,
    header_lines,
    stats_cells,
    workaround_versions,
)
from bot.exports.rules import DurationStats, Figures, IncidentRecord, Measure, figures, measure
from bot.incidents.rules.model import Status

CSS = """
:root{--crit:#c62828;--major:#ef6c00;--minor:#f9a825;--ok:#2e7d32;--muted:#616161}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#212121;margin:0 auto;
max-width:1180px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #e0e0e0;padding-bottom:4px;margin-top:32px}
h3{font-size:16px;margin:24px 0 8px}h4{font-size:14px;margin:14px 0 6px}
.meta{color:var(--muted);margin:2px 0}
table{border-collapse:collapse;margin:8px 0 16px;width:100%}
th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right;white-space:nowrap}
.sev{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px}
.sev-critical{background:var(--crit)}.sev-major{background:var(--major)}.sev-minor{background:var(--minor);color:#212121}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;white-space:pre-line}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #e0e0e0}
ol.timeline li{padding:4px 0 6px 12px}
ol.timeline .when{font-weight:600}ol.timeline .kind{color:var(--muted)}
.text{white-space:pre-line;margin:2px 0}
blockquote{margin:4px 0 8px;padding:4px 10px;border-left:3px solid #90a4ae;background:#fafafa;white-space:pre-line}
article.incident{border-top:1px solid #e0e0e0;padding-top:4px}
.chart svg{max-width:100%;height:auto}
.note{color:var(--muted);font-size:13px}
@media print{body{max-width:none}article.incident{break-inside:avoid-page}}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _page(title: str, language: Language, body: list[str]) -> bytes:
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{language}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing on the page may load or run anything, even if a typed value slipped through unescaped.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>", ""]).encode("utf-8")


def _header(words: Words, title: str, period: tuple[datetime, datetime] | None) -> list[str]:
    lines = ["<header>", f"<h1>{_e(title)}</h1>"]
    lines += [f'<p class="meta">{_e(text)}</p>' for text in header_lines(words, period)]
    lines += ["</header>", '<section id="definitions">', f"<h2>{_e(words('export.heading.definitions'))}</h2>"]
    return [*lines, *_items(definitions(words.language)), "</section>"]


def _severity(words: Words, m: Measure) -> str:
    severity = m.incident.severity
    return f'<span class="sev sev-{severity.value}">{_e(words.severity(severity))}</span>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: frozenset[int] = frozenset()) -> list[str]:
    """A table; header and cells are already HTML."""
    lines = ["<table>", "<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    for row in rows:
        cells = "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        lines.append(f"<tr>{cells}</tr>")
    return [*lines, "</tbody>", "</table>"]


def _summary(measures: Sequence[Measure], words: Words) -> list[str]:
    lines = ['<section id="summary">', f"<h2>{_e(words('export.heading.summary'))}</h2>"]
    if not measures:
        return [*lines, f"<p>{_e(words('export.empty'))}</p>", "</section>"]
    header = ["#", *columns(words, "summary")]
    rows = [
        [
            f'<a href="#incident-{m.incident.number}">{m.incident.number}</a>',
            _e(m.incident.title),
            _e(words.status(m.incident.status)),
            _severity(words, m),
            _e(m.incident.sector),
            _e(words.date(m.incident.started_at)),
            _e(words.date(m.incident.resolved_at) if m.incident.status == Status.RESOLVED else ""),
            _e(words.duration_or_open(m)),
        ]
        for m in measures
    ]
    return [*lines, *_table([_e(h) for h in header], rows, frozenset({0})), "</section>"]


def _stats_cells(stats: DurationStats | None, words: Words) -> list[str]:
    return [_e(cell) for cell in stats_cells(stats, words)]


def _figures(figs: Figures, words: Words) -> list[str]:
    lines = ['<section id="figures">', f"<h2>{_e(words('export.heading.figures'))}</h2>", "<ul>"]
    lines += [f"<li>{_e(sentence)}</li>" for sentence in figure_sentences(figs, words)]
    lines += [f'<li id="time-to-declare">{_e(reported.figures_line(figs, words))}</li>', "</ul>"]
    lines.append(f"<h3>{_e(words('export.heading.by_severity'))}</h3>")
    lines += _table(
        [_e(words("incident.label.severity")), _e(words("export.column.incidents"))],
        [[_e(words.severity(s)), _e(words.number(n))] for s, n in figs.by_severity.items()],
        frozenset({1}),
    )
    lines.append(f"<h3>{_e(words('export.heading.by_sector'))}</h3>")
    lines += _table(
        [_e(column) for column in columns(words, "sector")],
        [
            [_e(sector), _e(words.number(n)), *_stats_cells(figs.mttr_by_sector.get(sector), words)]
            for sector, n in figs.by_sector.items()
        ],
        frozenset({1, 2, 3, 4}),
    )
    lines.append(f"<h3>{_e(words('export.heading.by_territory'))}</h3>")
    lines += _table(
        [_e(column) for column in columns(words, "territory")],
        [
            [_e(words.territory(ref)), _e(words.number(n)), *_stats_cells(figs.mttr_by_territory.get(ref), words)]
            for ref, n in figs.by_territory.items()
        ],
        frozenset({1, 2, 3, 4}),
    )
    if figs.service_totals:
        lines.append(f"<h3>{_e(words('export.heading.by_service'))}</h3>")
        lines += _table(
            [_e(column) for column in columns(words, "service")],
            [
                [
                    _e(s.name),
                    _e(words.number(s.incidents)),
                    _e(words.duration(s.downtime)),
                    _e(words.duration(s.degraded_time)),
                    *_stats_cells(s.restore, words)[1:],
                ]
                for s in figs.service_totals
            ],
            frozenset({1, 2, 3, 4, 5}),
        )
    return [*lines, "</section>"]


def _chart(measures: Sequence[Measure], words: Words, period: tuple[datetime, datetime] | None) -> list[str]:
    lines = ['<section id="chart" class="chart">', f"<h2>{_e(words('export.heading.chart'))}</h2>"]
    svg, aggregated = timeline_chart(measures, words, period=period, prefix="chart")
    if aggregated:
        lines.append(f'<p class="note">{_e(words("export.chart.aggregated", limit=words.number(MAX_BARS)))}</p>')
    lines.append(svg or f"<p>{_e(words('export.empty'))}</p>")
    return [*lines, "</section>"]


def _link(url: str | None) -> str | None:
    # Only a web address may become a link: a "javascript:" or "data:" value would run or embed something.
    if url and url.startswith("https://"):
        return f'<a href="{_e(url)}" rel="noreferrer">{_e(url)}</a>'
    return _e(url) if url else None


def incident_article(m: Measure, words: Words, *, level: int = 3, chart: str = "") -> list[str]:
    incident = m.incident
    record = m.record
    h, sub = f"h{level}", f"h{level + 1}"
    lines = [
        f'<article class="incident" id="incident-{incident.number}">',
        f"<{h}>{_e(incident.label)} · {_e(incident.title)} {_severity(words, m)}</{h}>",
        '<dl class="facts">',
    ]
    for label, value in facts(m, words):
        lines.append(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>")
    link = _link(record.link)
    if link:
        lines.append(f"<dt>{_e(words('export.label.link'))}</dt><dd>{link}</dd>")
    lines.append("</dl>")
    if chart:
        lines += ['<div class="chart">', chart, "</div>"]
    if m.services:
        lines.append(f"<{sub}>{_e(words('export.heading.services'))}</{sub}>")
        rows = []
        for s in m.services:
            state = words.state(s.state) + (f" ({words('export.ongoing')})" if s.ongoing else "")
            spans = "<br>".join(
                _e(
                    words(
                        "export.fact",
                        label=words.state(span.state),
                        value=f"{words.span(span.start, span.end)} ({words.duration(span.duration)})",
                    )
                )
                for span in s.durations.spans
            )
            rows.append(
                [_e(s.name), _e(state), _e(words.duration(s.downtime)), _e(words.duration(s.degraded_time)), spans]
            )
        lines += _table(
            [
                _e(words("export.column.service")),
                _e(words("export.column.state")),
                _e(words("export.column.downtime")),
                _e(words("export.column.degraded")),
                _e(words("export.column.states")),
            ],
            rows,
            frozenset({2, 3}),
        )
    versions = workaround_versions(record)
    if versions:
        lines.append(f"<{sub}>{_e(words('export.heading.workarounds'))}</{sub}>")
        for v in versions:
            text = words(
                "export.workaround_version", version=v.version, time=words.date(v.at), user=record.author(v.by)
            )
            lines += [f'<p class="meta">{_e(text)}</p>', f"<blockquote>{_e(v.text)}</blockquote>"]
    lines += [f"<{sub}>{_e(words('export.heading.timeline'))}</{sub}>", '<ol class="timeline">']
    for entry in sorted(record.timeline, key=lambda e: e.at):
        sentences = words.entry(m, entry)
        body = "".join(f'<p class="text">{_e(sentence)}</p>' for sentence in sentences if sentence)
        lines.append(
            f'<li><time datetime="{_e(entry.at.isoformat())}" class="when">{_e(words.date(entry.at))}</time>'
            f' — <span class="author">{_e(record.author(entry.by))}</span>'
            f' · <span class="kind">{_e(words.kind(entry.kind))}</span>{body}</li>'
        )
    return [*lines, "</ol>", "</article>"]


def export_html(document: Document) -> bytes:
    words, measured, now, period = document.words(), document.measured(), document.now, document.period
    set_aside = document.set_aside
    measures, counted, cancelled = measured.all, measured.counted, measured.cancelled
    title = words("export.title")
    body = _header(words, title, period)
    body += _summary(counted, words)
    body += _figures(figures(measures, now=now), words)
    body += _chart(counted, words, period)
    body += ['<section id="incidents">', f"<h2>{_e(words('export.heading.incidents'))}</h2>"]
    for m in counted:
        body += incident_article(m, words)
    body.append("</section>")
    if cancelled:
        articles = [line for m in cancelled for line in incident_article(m, words)]
        body += _apart("cancelled", words("export.heading.cancelled"), words("export.cancelled_note"), articles)
    if set_aside:
        heading = words("export.heading.set_aside", count=words.number(len(set_aside)))
        items = _items(reported.set_aside_lines(set_aside, words))
        body += _apart("set-aside", heading, words("export.set_aside_note"), items)
    if document.maintenance:
        heading = words("export.heading.maintenance", count=words.number(len(document.maintenance)))
        items = _items(planned.lines(document.maintenance, words))
        body += _apart("maintenance", heading, words("export.maintenance_note"), items)
    return _page(title, document.language, body)


def _apart(anchor: str, heading: str, note: str, content: Sequence[str]) -> list[str]:
    """A section listed apart from the counted incidents: its heading, a note saying why, then what it lists."""
    return [
        f'<section id="{anchor}">',
        f"<h2>{_e(heading)}</h2>",
        f'<p class="note">{_e(note)}</p>',
        *content,
        "</section>",
    ]


def _items(lines: Iterable[str]) -> list[str]:
    return ["<ul>", *(f"<li>{_e(line)}</li>" for line in lines), "</ul>"]


def summary_html(record: IncidentRecord, language: Language, zone: ZoneInfo, now: datetime) -> bytes:
    """One incident's dated account as its own file (`/outage summary`), with a chart of its services."""
    words = Words(language, zone, now)
    m = measure(record, now=now)
    title = words("export.summary_title", label=m.incident.label, title=m.incident.title)
    chart = ""
    if m.incident.status != Status.CANCELLED:
        chart, _ = timeline_chart([m], words, prefix="summary")
    body = _header(words, title, None)
    body += incident_article(m, words, level=2, chart=chart)
    return _page(title, language, body)
