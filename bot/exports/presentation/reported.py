"""What members' reports add to every export: per incident, the reports that count for it, from how many members,
the first one's time and the time from it to the declaration ("time to declare"); over the period, the median
time to declare; and, listed apart and in no incident's figures, the groups of reports a coordinator set aside
(how many, which organisations, why)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.common.i18n.catalogue import Msg
from bot.exports.presentation.common import Words, stats_json
from bot.exports.rules import Figures, Measure, SetAsideGroup, minutes

# incidents.csv's columns about reports, after the others (new columns go last: scripts read them by name or
# position).
INCIDENT_COLUMNS = ("reports", "reporting_members", "first_report", "time_to_declare_min")
SET_ASIDE_COLUMNS = ("organisation", "reason", "set_aside_at", "reports", "reporting_members")


def incident_values(m: Measure, words: Words) -> tuple[str, str, str, str]:
    """The incident's values for `INCIDENT_COLUMNS`, as text (empty when none)."""
    reported = m.record.reported
    if reported is None:
        return "0", "0", "", ""
    to_declare = minutes(m.to_declare)
    return (
        str(reported.reports),
        str(reported.members),
        words.iso(reported.first_at),
        "" if to_declare is None else str(to_declare),
    )


def set_aside_rows(groups: Sequence[SetAsideGroup], words: Words) -> list[tuple[Any, ...]]:
    return [
        (g.organisation, g.reason or "", words.iso(g.at) if g.at is not None else "", g.reports, g.members)
        for g in groups
    ]


def _iso(at: datetime, words: Words) -> str:
    """A time as the JSON export writes every time: ISO 8601 in the server's zone, seconds included."""
    return at.astimezone(words.zone).isoformat()


def incident_json(m: Measure, words: Words) -> dict[str, Any]:
    reported = m.record.reported
    return {
        "reports": reported.reports if reported is not None else 0,
        "reporting_members": reported.members if reported is not None else 0,
        "first_report_at": _iso(reported.first_at, words) if reported is not None else None,
        "time_to_declare_min": minutes(m.to_declare),
    }


def figures_json(figs: Figures, groups: Sequence[SetAsideGroup]) -> dict[str, Any]:
    return {
        "reports": figs.reports,
        "time_to_declare": stats_json(figs.to_declare),
        "set_aside_groups": len(groups),
    }


def set_aside_json(groups: Sequence[SetAsideGroup], words: Words) -> list[dict[str, Any]]:
    return [
        {
            "organisation": g.organisation,
            "reason": g.reason,
            "set_aside_at": _iso(g.at, words) if g.at is not None else None,
            "reports": g.reports,
            "reporting_members": g.members,
        }
        for g in groups
    ]


def figures_line(figs: Figures, words: Words) -> str:
    """ "Délai de déclaration depuis le premier signalement (1 panne) : médiane 25 min, …" """
    stats = figs.to_declare
    return words(
        "export.figures.to_declare",
        count=stats.count,
        median=words.duration(stats.median),
        mean=words.duration(stats.mean),
        reports=words.number(figs.reports),
    )


def set_aside_lines(groups: Sequence[SetAsideGroup], words: Words) -> list[str]:
    """One sentence per group set aside, for the HTML and Markdown reports (escaped by the caller)."""
    return [
        words(
            "export.set_aside.line",
            organisation=g.organisation,
            reports=Msg.of("report.count.reports", count=g.reports),
            members=Msg.of("report.count.members", count=g.members),
            at=words.date(g.at) if g.at is not None else words("export.none"),
            reason=g.reason or words("export.none"),
        )
        for g in groups
    ]
