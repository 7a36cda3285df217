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

__all__ = ["CAUSE_KEYS", "SERVICE_STATE_KEYS", "SEVERITY_KEYS", "STATUS_KEYS"]
# The facts `/outage edit` can correct (keys of an edit entry's `changes`), as the thread post and exports name them.
EDITED_FIELD_KEYS: dict[str, str] = {
    "title": "incident.field.title",
    "organisation": "incident.field.organisation",
    "description": "incident.field.description",
    "impact": "incident.field.impact",
    "sector": "incident.field.sector",
    "territories": "incident.label.territories",
    "cause": "incident.label.cause",
    "started_at": "incident.label.started",
    "severity": "incident.label.severity",
}
