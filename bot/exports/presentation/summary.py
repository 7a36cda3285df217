"""What the Markdown and HTML reports (and the CSV export's README) say around the incidents: the header (period
and when the file was made, in which zone), the figures' sentences, and one incident's facts and workaround
versions. Plain text: each writer escapes for its own format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.common.formatting import format_period, zone_name
from bot.common.i18n.catalogue import Msg
from bot.exports.presentation.common import ANY_OTHER_YEAR, Words
from bot.exports.rules import DurationStats, Figures, IncidentRecord, Measure
from bot.incidents.rules.lifecycle import UpdateKind
from bot.incidents.rules.model import Status

Table = Literal["summary", "sector", "territory", "service"]

# The columns of the tables both reports show: the same in Markdown and in HTML, so the two files read alike.
_COLUMNS: dict[Table, tuple[str, ...]] = {
    "summary": (
        "export.column.title",
        "incident.label.status",
        "incident.label.severity",
        "incident.label.sector",
        "export.label.started",
        "export.label.resolved",
        "export.label.duration",
    ),
    "sector": (
        "incident.label.sector",
        "export.column.incidents",
        "export.column.resolved",
        "export.column.median",
        "export.column.mttr",
    ),
    "territory": (
        "export.column.territory",
        "export.column.incidents",
        "export.column.resolved",
        "export.column.median",
        "export.column.mttr",
    ),
    "service": (
        "export.column.service",
        "export.column.incidents",
        "export.column.downtime",
        "export.column.degraded",
        "export.column.median",
        "export.column.mttr",
    ),
}


def columns(words: Words, table: Table) -> list[str]:
    return [words(key) for key in _COLUMNS[table]]


def stats_cells(stats: DurationStats | None, words: Words) -> list[str]:
    """A table row's resolved outages, their median and mean duration (the MTTR), as both reports write them; a
    row with no resolved outage has neither duration."""
    if stats is None or stats.count == 0:
        return ["0", words("export.none"), words("export.none")]
    return [words.number(stats.count), words.duration(stats.median), words.duration(stats.mean)]


def header_lines(words: Words, period: tuple[datetime, datetime] | None) -> list[str]:
    """The lines under an export's title: its period (in whole days when it is made of days; with the year
    always, as the file outlives the year) and when the file was made, in which zone ("heure de Paris")."""
    lines = []
    if period is not None:
        worded = format_period(period[0], period[1], words.language, words.zone, ANY_OTHER_YEAR)
        lines.append(words("export.period", period=worded))
    zone = zone_name(words.zone, words.language)
    lines.append(words("export.generated", time=words.full_date(words.now), zone=zone))
    return lines


def figure_sentences(figs: Figures, words: Words) -> list[str]:
    """The counts ("3 pannes comptées : 2 résolues, 1 en cours ; aucune annulée (hors chiffres).") and the
    durations; a figure that cannot exist (no resolved outage, no first update) is said so, never "aucun"."""
    d, f = figs.durations, figs.first_update
    return [
        words(
            "export.figures.counts",
            counted=Msg.of("export.count.counted", count=figs.incidents),
            resolved=Msg.of("export.count.resolved", count=figs.resolved),
            open=Msg.of("export.count.open", count=figs.open),
            cancelled=Msg.of("export.count.cancelled", count=len(figs.cancelled)),
        ),
        words(
            "export.figures.durations",
            count=d.count,
            total=words.duration(d.total),
            median=words.duration(d.median),
            mttr=words.duration(d.mean),
        ),
        words(
            "export.figures.first_update",
            count=f.count,
            median=words.duration(f.median),
            mean=words.duration(f.mean),
        ),
    ]


@dataclass(frozen=True)
class WorkaroundVersion:
    version: int
    text: str
    at: datetime
    by: int


def workaround_versions(record: IncidentRecord) -> list[WorkaroundVersion]:
    """Every version of the consignes, oldest first, read from the timeline (the incident keeps the last)."""
    found: list[WorkaroundVersion] = []
    for entry in sorted(record.timeline, key=lambda e: e.at):
        if entry.kind == UpdateKind.DECLARED and entry.details.get("workaround"):
            w = entry.details["workaround"]
            found.append(WorkaroundVersion(int(w["version"]), str(w["text"]), entry.at, entry.by))
        elif entry.kind == UpdateKind.WORKAROUND_CHANGED:
            found.append(
                WorkaroundVersion(
                    int(entry.details.get("version", 0)), str(entry.details.get("text", "")), entry.at, entry.by
                )
            )
    workaround = record.incident.workaround
    if not found and workaround is not None:  # a timeline cut short: the current version is still known
        found.append(WorkaroundVersion(workaround.version, workaround.text, workaround.set_at, workaround.set_by))
    return found


def _reported(m: Measure, words: Words) -> str:
    """ "5 signalements de 4 membres, le premier le 19/10/2024 12:20 ; déclarée 25 min après": empty without."""
    reported = m.record.reported
    if reported is None:
        return ""
    text = words(
        "export.reported",
        reports=Msg.of("report.count.reports", count=reported.reports),
        members=Msg.of("report.count.members", count=reported.members),
        first=words.date(reported.first_at),
    )
    if m.to_declare is not None:
        text += words("export.reported.to_declare", duration=words.duration(m.to_declare))
    return text


def facts(m: Measure, words: Words) -> list[tuple[str, str]]:
    """The declared facts and durations of one incident, as (label, plain text) pairs, empty ones left out."""
    incident = m.incident
    record = m.record
    rows = [
        (words("incident.label.status"), words.status(incident.status)),
        (words("incident.label.severity"), words.severity(incident.severity)),
        (words("incident.label.cause"), words.cause(incident.cause)),
        (words("incident.label.organisation"), incident.organisation or ""),
        (words("incident.label.sector"), incident.sector),
        (words("incident.label.territories"), words.territories(incident)),
        (words("export.label.started"), words.date(incident.started_at)),
        (
            words("export.label.declared"),
            words("export.by", time=words.date(incident.declared_at), user=record.author(incident.declared_by)),
        ),
        (words("export.label.owner"), record.author(incident.owner_id)),
        (
            words("export.label.resolved"),
            words.date(incident.resolved_at) if incident.status == Status.RESOLVED else "",
        ),
        (
            words("export.label.cancelled"),
            " — ".join(x for x in (words.date(incident.cancelled_at), words.cancel_reason(incident)) if x),
        ),
        (words("export.label.duration"), words.duration_or_open(m)),
        (
            words("export.label.first_update"),
            words.duration(m.first_update) if m.first_update is not None else words("export.none"),
        ),
        (words("export.label.updates"), words.number(m.updates)),
        (words("incident.label.affected"), words.number(incident.affected_count)),
        (words("export.label.reports"), _reported(m, words)),
        (words("incident.label.impact"), incident.impact or ""),
        (words("export.label.description"), incident.description or ""),
        (words("export.label.reopened"), words.number(incident.reopen_count) if incident.reopen_count else ""),
        (words("incident.label.resolution_note"), incident.resolution_note or ""),
    ]
    return [(label, value) for label, value in rows if value]
