"""The read-only JSON API's documents (version 1): the summary, a page of incidents and one incident, shaped as the
schema shipped beside them says (`schemas/public-api.v1.json`, read by `schema()`).

Built only from what `bot.public.rules` let through, so there is no field that could hold a member; every update's
author is the server's name, as on the page. Serialized as ASCII with `<`, `>` and `&` escaped too: typed text
(markup, `javascript:` links, direction overrides) stays data that no browser would sniff into a page."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from importlib.resources import files
from typing import Any

from bot.common.i18n import Language
from bot.public.presentation.pages import incident_path, server_path, territory_name
from bot.public.rules import PublicIncident, PublicMaintenance, PublicUpdate

SCHEMA_VERSION = 1
SCHEMA_FILE = "public-api.v1.json"
API = "api/v1"
_STATUSES = frozenset({"investigating", "identified", "monitoring", "resolved"})
_SEVERITIES = frozenset({"critical", "major", "minor"})


@functools.cache
def schema() -> dict[str, Any]:
    """The JSON Schema of every document below (draft 2020-12), as shipped in the package."""
    loaded: dict[str, Any] = json.loads((files("bot.public") / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8"))
    return loaded


def api_path(slug: str, tail: str) -> str:
    return f"/{slug}/{API}/{tail}"


def encode(document: dict[str, Any]) -> str:
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _head(kind: str, slug: str, server_name: str, language: Language) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "server": {"name": server_name, "page": server_path(slug), "language": language},
    }


def summary(
    slug: str,
    server_name: str,
    language: Language,
    incidents: tuple[PublicIncident, ...],
    *,
    maintenance: tuple[PublicMaintenance, ...] = (),
) -> str:
    """The server's page as data: `incidents` as the page lists them (open ones first, then the last 90 days), and
    its public `maintenance` as the page lists it (in progress and coming, then ended)."""
    return encode(
        {
            **_head("summary", slug, server_name, language),
            "updated_at": _time(max((i.updated_at for i in incidents), default=None)),
            "state": "disrupted" if any(i.is_open for i in incidents) else "operational",
            "open_incidents": [incident(slug, i) for i in incidents if i.is_open],
            "recent_incidents": [incident(slug, i) for i in incidents if not i.is_open],
            "maintenance": [_maintenance(m) for m in maintenance],
        }
    )


def _place(shown: PublicIncident | PublicMaintenance) -> dict[str, Any]:
    """Where an incident or maintenance is: its sector and its territories, each with its key and its name."""
    return {
        "sector": {"key": shown.sector_key, "name": shown.sector},
        "territories": [{"ref": ref, "name": territory_name(ref)} for ref in shown.territories],
    }


def _maintenance(m: PublicMaintenance) -> dict[str, Any]:
    return {
        "id": m.uid,
        "number": m.number,
        "title": m.title,
        "organisation": m.organisation,
        **_place(m),
        "services": list(m.services),
        "state": m.state,
        "starts_at": _time(m.starts_at),
        "ends_at": _time(m.ends_at),
        "ended_at": _time(m.ended_at),
        "workaround": m.workaround,
    }


def incident_list(
    slug: str,
    server_name: str,
    language: Language,
    incidents: tuple[PublicIncident, ...],
    *,
    page: int,
    per_page: int,
    total: int,
) -> str:
    more = page * per_page < total
    return encode(
        {
            **_head("incidents", slug, server_name, language),
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": api_path(slug, f"incidents?page={page + 1}&per_page={per_page}") if more else None,
            "incidents": [incident(slug, i) for i in incidents],
        }
    )


def incident_document(slug: str, server_name: str, language: Language, shown: PublicIncident) -> str:
    return encode(
        {
            **_head("incident", slug, server_name, language),
            "incident": incident(slug, shown, updates_by=server_name),
        }
    )


def incident(slug: str, shown: PublicIncident, *, updates_by: str | None = None) -> dict[str, Any]:
    """One incident's object; with its timeline when `updates_by` (the server's name, their author) is given."""
    data: dict[str, Any] = {
        "id": shown.uid,
        "number": shown.number,
        "url": incident_path(slug, shown.number),
        "title": shown.title,
        "organisation": shown.organisation,
        "description": shown.description,
        "impact": shown.impact,
        **_place(shown),
        "severity": shown.severity,
        "status": shown.status,
        "started_at": _time(shown.started_at),
        "resolved_at": _time(shown.resolved_at),
        "expected_end": _time(shown.eta),
        "workaround": shown.workaround,
        "updated_at": _time(shown.updated_at),
        "duration_s": int(shown.duration.total_seconds()) if shown.duration is not None else None,
        "services": [
            {
                "name": service.name,
                "state": service.state,
                "downtime_s": int(service.downtime.total_seconds()),
                "degraded_s": int(service.degraded_time.total_seconds()),
            }
            for service in shown.services
        ],
    }
    if updates_by is not None:
        data["updates"] = [_update(update, updates_by) for update in shown.updates]
    return data


def _update(update: PublicUpdate, author: str) -> dict[str, Any]:
    return {
        "id": update.uid,
        "kind": update.kind,
        "at": _time(update.at),
        "author": author,
        "text": update.text,
        "status": update.status if update.status in _STATUSES else None,
        "severity": update.severity if update.severity in _SEVERITIES else None,
        "expected_end": _time(update.eta),
        "services": [{"name": name, "state": state} for name, state in update.services],
    }
