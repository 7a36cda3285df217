"""JSON export: every incident with its whole timeline, the figures and the definitions, described by the JSON
Schema shipped beside this module (`tocsin-export.schema.json`, `schema()`).

Values are for machines: statuses, severities, causes and kinds are their codes (the words in the export's
language sit beside them where a person may read: `text` of each timeline entry, territory labels); durations
are whole minutes; times are ISO 8601 in the server's zone with its offset. Cancelled incidents are listed apart
(`cancelled`) and counted in no figure, and so are the members' reports set aside (`set_aside`). `schema_version`
changes whenever a field is added, changes meaning or goes away.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from bot.exports.presentation import planned, reported
from bot.exports.presentation.common import SCHEMA_VERSION, Document, SameGuild, Words, definitions, stats_json
from bot.exports.rules import Figures, IncidentRecord, Measure, SetAsideGroup, figures, measure, minutes
from bot.incidents.rules.model import Status

SCHEMA_FILE = "tocsin-export.schema.json"


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (resources.files("bot.exports.presentation") / SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return loaded


def _iso(at: datetime | None, zone: ZoneInfo) -> str | None:
    return at.astimezone(zone).isoformat() if at is not None else None


def _person(record: IncidentRecord, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    return {"id": str(user_id), "name": record.author(user_id)}


def incident_json(m: Measure, words: Words) -> dict[str, Any]:
    incident = m.incident
    record = m.record
    zone = words.zone
    workaround = incident.workaround
    return {
        "number": incident.number,
        "title": incident.title,
        "status": incident.status.value,
        "organisation": incident.organisation,
        "description": incident.description,
        "impact": incident.impact,
        "sector": incident.sector,
        "territories": [{"ref": ref, "label": words.territory(ref)} for ref in incident.territories],
        "severity": incident.severity.value,
        "cause": incident.cause.value,
        "declared_at": _iso(incident.declared_at, zone),
        "declared_by": _person(record, incident.declared_by),
        "owner": _person(record, incident.owner_id),
        "started_at": _iso(incident.started_at, zone),
        "resolved_at": _iso(incident.resolved_at, zone) if incident.status == Status.RESOLVED else None,
        "cancelled_at": _iso(incident.cancelled_at, zone),
        "cancel_reason": incident.cancelled_reason.value if incident.cancelled_reason else None,
        "duplicate_of": incident.duplicate_of,
        "reopen_count": incident.reopen_count,
        "eta": _iso(incident.eta, zone),
        "duration_min": minutes(m.duration),
        "elapsed_min": minutes(m.elapsed),
        "first_update_min": minutes(m.first_update),
        "affected_count": incident.affected_count,
        **reported.incident_json(m, words),
        "updates": m.updates,
        "link": record.link,
        "workaround": None
        if workaround is None
        else {
            "version": workaround.version,
            "text": workaround.text,
            "set_at": _iso(workaround.set_at, zone),
            "set_by": _person(record, workaround.set_by),
        },
        "resolution_note": incident.resolution_note,
        "services": [
            {
                "name": s.name,
                "key": s.key,
                "state": s.state.value,
                "ongoing": s.ongoing,
                "downtime_min": minutes(s.downtime),
                "degraded_min": minutes(s.degraded_time),
                "spans": [
                    {
                        "state": span.state.value,
                        "start": _iso(span.start, zone),
                        "end": _iso(span.end, zone),
                        "minutes": minutes(span.duration),
                    }
                    for span in s.durations.spans
                ],
            }
            for s in m.services
        ],
        "timeline": [
            {
                "at": _iso(entry.at, zone),
                "kind": entry.kind.value,
                "by": _person(record, entry.by),
                "silent": entry.silent,
                "text": words.entry_text(m, entry),
                "details": dict(entry.details),
            }
            for entry in sorted(record.timeline, key=lambda e: e.at)
        ],
    }


def figures_json(figs: Figures, words: Words, set_aside: Sequence[SetAsideGroup] = ()) -> dict[str, Any]:
    return {
        "incidents": figs.incidents,
        "resolved": figs.resolved,
        "open": figs.open,
        "by_severity": {severity.value: count for severity, count in figs.by_severity.items()},
        "by_sector": [{"sector": sector, "count": count} for sector, count in figs.by_sector.items()],
        "by_territory": [
            {"ref": ref, "label": words.territory(ref), "count": count} for ref, count in figs.by_territory.items()
        ],
        "durations": stats_json(figs.durations),
        "mttr_min": minutes(figs.mttr),
        "mttr_by_sector": [{"sector": sector, **stats_json(stats)} for sector, stats in figs.mttr_by_sector.items()],
        "mttr_by_territory": [
            {"ref": ref, "label": words.territory(ref), **stats_json(stats)}
            for ref, stats in figs.mttr_by_territory.items()
        ],
        "first_update": stats_json(figs.first_update),
        "services": [
            {
                "name": s.name,
                "key": s.key,
                "incidents": s.incidents,
                "downtime_min": minutes(s.downtime),
                "degraded_min": minutes(s.degraded_time),
                "time_to_restore": stats_json(s.restore),
            }
            for s in figs.service_totals
        ],
        "cancelled": [c.number for c in figs.cancelled],
        **reported.figures_json(figs, set_aside),
    }


def export_json(document: Document) -> bytes:
    language, zone, now, period = document.language, document.zone, document.now, document.period
    words = document.words()
    set_aside = document.set_aside
    guard = SameGuild()
    measures = [measure(record, now=now) for record in guard.all(document.records)]
    figs = figures(measures, now=now)
    head = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(now, zone),
        "language": language,
        "time_zone": zone.key,
        "guild_id": str(guard.guild_id) if guard.guild_id is not None else None,
        "period": None if period is None else {"start": _iso(period[0], zone), "end": _iso(period[1], zone)},
        "definitions": definitions(language),
        "figures": figures_json(figs, words, set_aside),
    }
    # One incident per line: readable with line tools, and compact dumps use the C encoder (indent does not).
    parts = [_dumps(head)[:-1]]
    for name, wanted in (("incidents", False), ("cancelled", True)):
        items = [_dumps(incident_json(m, words)) for m in measures if (m.incident.status == Status.CANCELLED) == wanted]
        parts.append(f',\n"{name}":[\n' + ",\n".join(items) + "\n]")
    parts.append(',\n"set_aside":' + _dumps(reported.set_aside_json(set_aside, words)))
    parts.append(',\n"maintenance":' + _dumps(planned.as_json(document.maintenance, words)))
    return ("".join(parts) + "}\n").encode("utf-8")


def _dumps(value: Any) -> str:
    # Details are JSON-ready by contract (bot.incidents.rules.lifecycle); `str` covers a stray datetime rather than
    # fail.
    return json.dumps(value, ensure_ascii=False, default=str)
