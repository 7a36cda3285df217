"""The catalogue words of the vocabulary's fixed values: one mapping each, shared by every message
and export that names a status, a severity, a cause or a service state."""

from __future__ import annotations

from bot.incidents.rules.model import Cause, ServiceState, Severity, Status

STATUS_KEYS: dict[Status, str] = {
    Status.INVESTIGATING: "incident.status.investigating",
    Status.IDENTIFIED: "incident.status.identified",
    Status.MONITORING: "incident.status.monitoring",
    Status.RESOLVED: "incident.status.resolved",
    Status.CANCELLED: "incident.status.cancelled",
}
SEVERITY_KEYS: dict[Severity, str] = {
    Severity.CRITICAL: "incident.severity.critical",
    Severity.MAJOR: "incident.severity.major",
    Severity.MINOR: "incident.severity.minor",
}
CAUSE_KEYS: dict[Cause, str] = {
    Cause.CYBERATTACK_SUSPECTED: "incident.cause.cyberattack_suspected",
    Cause.CYBERATTACK_CONFIRMED: "incident.cause.cyberattack_confirmed",
    Cause.TECHNICAL_FAILURE: "incident.cause.technical_failure",
    Cause.OVERLOAD: "incident.cause.overload",
    Cause.UNKNOWN: "incident.cause.unknown",
}
SERVICE_STATE_KEYS: dict[ServiceState, str] = {
    ServiceState.DOWN: "incident.service_state.down",
    ServiceState.DEGRADED: "incident.service_state.degraded",
    ServiceState.RESTORED: "incident.service_state.restored",
}

__all__ = [
    "CAUSE_KEYS",
    "EDITED_FIELD_KEYS",
    "EDITED_FIELD_LABELS",
    "SERVICE_STATE_KEYS",
    "SEVERITY_KEYS",
    "STATUS_KEYS",
]
# The facts `/outage edit` can correct (keys of an edit entry's `changes`): as a sentence names them ("Faits
# corrigés : le titre, les territoires"), and as a label heads a value ("Territoires : 29 → 29, 56").
EDITED_FIELD_KEYS: dict[str, str] = {
    "title": "incident.field.title",
    "organisation": "incident.field.organisation",
    "description": "incident.field.description",
    "impact": "incident.field.impact",
    "sector": "incident.field.sector",
    "territories": "outage.field.territories",
    "cause": "incident.field.cause",
    "started_at": "outage.field.started",
    "severity": "incident.field.severity",
}
EDITED_FIELD_LABELS: dict[str, str] = {
    "title": "export.column.title",
    "organisation": "incident.label.organisation",
    "description": "export.label.description",
    "impact": "incident.label.impact",
    "sector": "incident.label.sector",
    "territories": "incident.label.territories",
    "cause": "incident.label.cause",
    "started_at": "export.label.started",
    "severity": "incident.label.severity",
}
