"""Corrections of what was declared (`/outage edit`): the facts put right, on an open or a resolved incident, and
told as bot/incidents/rules/lifecycle.py says (silently, unless the severity of an open incident is raised).
Changed territories or sector re-route the announcements (`routing.reroute`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.common.limits import TextField
from bot.common.text import validate_field
from bot.incidents.rules.lifecycle import (
    Announce,
    AnnounceReason,
    Outcome,
    Update,
    UpdateError,
    UpdateKind,
    iso,
    require_aware,
    territory_refs,
)
from bot.incidents.rules.model import Cause, Incident, Severity, Status


@dataclass(frozen=True)
class EditOutcome(Outcome):
    """A correction of declared facts; `changed` lists the fields changed. When the territories or the sector
    changed, the announcement targets must be recomputed (`routing.reroute`)."""

    changed: tuple[str, ...] = ()

    @property
    def territories_changed(self) -> bool:
        return "territories" in self.changed

    @property
    def sector_changed(self) -> bool:
        return "sector" in self.changed

    @property
    def reroute_needed(self) -> bool:
        return self.territories_changed or self.sector_changed

    @property
    def title_changed(self) -> bool:
        """The thread must be renamed (`thread_posts.thread_title`)."""
        return "title" in self.changed


@dataclass(frozen=True, kw_only=True)
class EditRequest:
    """`/outage edit`: None leaves a field as it is; "" clears an optional text (organisation, description,
    impact)."""

    title: str | None = None
    organisation: str | None = None
    description: str | None = None
    impact: str | None = None
    sector: str | None = None
    territories: Sequence[str] | None = None
    severity: Severity | None = None
    cause: Cause | None = None
    started_at: datetime | None = None


def edit_facts(incident: Incident, request: EditRequest, *, at: datetime, by: int) -> EditOutcome:
    """Corrected facts, open or resolved (a resolved incident's record must be right for the exports); a
    cancelled incident is left as it was cancelled."""
    require_aware(at)
    if incident.status == Status.CANCELLED:
        raise UpdateError("incident.error.closed_cancelled", number=incident.number)
    changes: dict[str, dict[str, Any]] = {}
    new = incident

    def record(name: str, old: Any, value: Any) -> None:
        changes[name] = {"from": old, "to": value}

    texts = (  # (name, field, typed, before, required: corrected but never emptied)
        ("title", TextField.TITLE, request.title, incident.title, True),
        ("organisation", TextField.ORGANISATION, request.organisation, incident.organisation, False),
        ("description", TextField.DESCRIPTION, request.description, incident.description, False),
        ("impact", TextField.IMPACT, request.impact, incident.impact, False),
        ("sector", TextField.SECTOR, request.sector, incident.sector, True),
    )
    for name, field_, value, old, required in texts:
        if value is None:
            continue
        cleaned = validate_field(field_, value, required=required)
        if cleaned != old:
            record(name, old, cleaned)
            corrected: dict[str, Any] = {name: cleaned}
            new = replace(new, **corrected)
    if request.territories is not None:
        refs = territory_refs(request.territories)
        if refs != incident.territories:
            record("territories", list(incident.territories), list(refs))
            new = replace(new, territories=refs)
    if request.cause is not None and request.cause != incident.cause:
        record("cause", incident.cause.value, request.cause.value)
        new = replace(new, cause=request.cause)
    if request.started_at is not None and request.started_at != incident.started_at:
        require_aware(request.started_at)
        # It was going on when it was declared; a later start would give negative durations.
        if request.started_at > incident.declared_at:
            raise UpdateError("incident.error.start_after_declared")
        record("started_at", iso(incident.started_at), iso(request.started_at))
        old_start = incident.started_at
        services = tuple(
            replace(
                s,
                affected_since=request.started_at if s.affected_since == old_start else s.affected_since,
                since=request.started_at if s.since == old_start else s.since,
            )
            for s in incident.services
        )
        new = replace(new, started_at=request.started_at, services=services)

    entries: list[Update] = []
    reasons: tuple[AnnounceReason, ...] = ()
    if request.severity is not None and request.severity != incident.severity:
        new = replace(new, severity=request.severity)
        # Raised on an outage that is over, it is a correction of the record: nobody is pinged again.
        raised = incident.is_open and incident.severity.is_raised_to(request.severity)
        reasons = (AnnounceReason.SEVERITY_RAISED,) if raised else ()
        entries.append(
            Update(
                UpdateKind.SEVERITY_CHANGED,
                at,
                by,
                silent=not raised,
                details={"from": incident.severity.value, "to": request.severity.value},
            )
        )
    if changes:
        entries.insert(0, Update(UpdateKind.EDITED, at, by, silent=not reasons, details={"changes": changes}))
    if not entries:
        raise UpdateError("incident.error.nothing_to_edit")
    new = replace(new, updated_at=at)
    changed = tuple(changes) + (
        ("severity",) if request.severity is not None and new.severity != incident.severity else ()
    )
    return EditOutcome(new, tuple(entries), Announce.everywhere(reasons, silent=not reasons), changed=changed)
