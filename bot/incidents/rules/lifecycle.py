"""What happens to an incident: declare, update, resolve, reopen, cancel, assign, "affected too" (corrections of
the declared facts: bot/incidents/rules/corrections.py).

Each operation is a pure function from the incident (and what the coordinator asked) to an outcome: the new
incident, the timeline entries to append (the timeline is append-only), and what must be told (`Announce`,
ARCHITECTURE.md "Who is told what"). Use cases store all three in one transaction; nothing here knows who is a
coordinator (checked by the use case before calling) or where the routes lead (bot.incidents.rules.routing).

Telling rules, decided here:
- Declared, workaround changed, severity raised, resolved → one new message per matching channel with the
  routes' roles. A reopen is also such a message: the people who were told "resolved" must learn
  that it is not. Several reasons in one command make one message, so one event reaches a channel once.
- Every update, resolution, reopen and cancellation → a thread post (mentioning the followers), the status
  message and the announcements edited, opt-in DMs; `silent` suppresses notifications on every post of that
  command and sends no DM (the posts are still made: silence is about pinging, not hiding).
- A cancellation edits the announcements to say so but posts no new channel message: it retracts, and the
  followers (thread and DMs) are who need to hear it.
- A correction (`/outage edit`) edits everything and posts silently in the thread; if it raises the severity,
  it is news: a new message and a notifying post.
- Handing over posts silently in the thread, mentioning only the new owner; "affected too" only edits.
- An update that does not set a next-update time ends the previous commitment: the update it promised has come.
- An update that changes nothing (same status, same state for every service, same workaround…) is refused, so
  that nobody is notified of nothing.

Timeline entry details are JSON-ready (times as ISO 8601 strings); their keys per kind:
  declared {status, severity, services: [{name, key, state}], workaround: {version, text} | None, eta}
  status_changed {from, to} · severity_changed {from, to} · note {text} · eta_changed {from, to}
  services_changed {changes: [{name, key, from (None when new), to}]} · workaround_changed {version, text}
  next_update_set {at, by} · edited {changes: {field: {from, to}}} · assigned {from, to}
  resolved {text, services_restored: [key]} · reopened {to, text} · cancelled {reason, duplicate_of, text}
  affected {count} · linked {number, link, followers?, affected?} · unlinked {number, link} (rules/links.py)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.limits import MAX_SERVICES, MAX_TERRITORIES, TextField
from bot.common.text import validate_field
from bot.incidents.rules.model import (
    OPEN_STATUSES,
    CancelReason,
    Cause,
    Incident,
    IncidentService,
    ServiceState,
    Severity,
    Status,
    Workaround,
    check_transition,
    not_before_start,
    transition,
)
from bot.incidents.rules.service_changes import ServiceChange, service_key


class UpdateError(TocsinError, ValueError):
    """A request the incident's rules refuse; the message says what to do instead."""


class UpdateKind(StrEnum):
    DECLARED = "declared"
    STATUS_CHANGED = "status_changed"
    NOTE = "note"
    SERVICES_CHANGED = "services_changed"
    WORKAROUND_CHANGED = "workaround_changed"
    ETA_CHANGED = "eta_changed"
    NEXT_UPDATE_SET = "next_update_set"
    SEVERITY_CHANGED = "severity_changed"
    EDITED = "edited"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    AFFECTED = "affected"
    LINKED = "linked"
    UNLINKED = "unlinked"

    @property
    def is_news(self) -> bool:
        """Whether the entry is news about the outage (what nudges and "time to first update" count), as
        opposed to bookkeeping: corrections, hand-overs and "affected too" clicks."""
        return self not in _BOOKKEEPING


_BOOKKEEPING = frozenset(
    {UpdateKind.EDITED, UpdateKind.ASSIGNED, UpdateKind.AFFECTED, UpdateKind.LINKED, UpdateKind.UNLINKED}
)


@dataclass(frozen=True)
class Update:
    """One timeline entry. Entries of one command share `at`, `by` and `silent`."""

    kind: UpdateKind
    at: datetime
    by: int
    silent: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


class AnnounceReason(StrEnum):
    DECLARED = "declared"
    WORKAROUND_CHANGED = "workaround_changed"
    SEVERITY_RAISED = "severity_raised"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Announce:
    """What a change must cause, beyond storing it.

    `reasons` non-empty: one new message in each matching channel, mentioning that channel's route roles
    (bot.incidents.presentation.announcements builds it from the reasons). `edit_announcements` /
    `edit_status_message`: the standing messages are edited (edits notify nobody). `thread_post`: a post in the
    incident thread mentioning its followers, sent with notifications suppressed when `silent`. `dm_followers`:
    opt-in DMs. `mention_users`: people the thread post mentions by name (the new owner of a hand-over).
    """

    reasons: tuple[AnnounceReason, ...] = ()
    edit_announcements: bool = False
    edit_status_message: bool = False
    thread_post: bool = False
    silent: bool = False
    dm_followers: bool = False
    mention_users: tuple[int, ...] = ()

    @classmethod
    def everywhere(cls, reasons: Sequence[AnnounceReason] = (), *, silent: bool = False) -> Announce:
        """A change that everyone concerned hears of: the standing messages edited, a thread post, opt-in DMs
        unless `silent`, and a new channel message when there are `reasons`."""
        return cls(
            reasons=tuple(reasons),
            edit_announcements=True,
            edit_status_message=True,
            thread_post=True,
            silent=silent,
            dm_followers=not silent,
        )

    @property
    def new_message(self) -> bool:
        return bool(self.reasons)

    @property
    def edit_only(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Outcome:
    incident: Incident
    entries: tuple[Update, ...]
    announce: Announce


# --- helpers ----------------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("times must be aware datetimes")


def _future(value: datetime | None, at: datetime, message_id: str) -> None:
    if value is None:
        return
    require_aware(value)
    if value <= at:
        raise UpdateError(message_id)


def territory_refs(codes: Sequence[str]) -> tuple[str, ...]:
    refs: list[str] = []
    for code in codes:
        ref = territory_data.get(code).ref
        if ref not in refs:
            refs.append(ref)
    if not refs:
        raise UpdateError("incident.error.territories_required")
    if len(refs) > MAX_TERRITORIES:
        raise UpdateError("incident.error.too_many_territories", limit=MAX_TERRITORIES)
    return tuple(refs)


def required_text(field_: TextField, value: str) -> str:
    cleaned = validate_field(field_, value, required=True)
    assert cleaned is not None  # validate_field(required=True) raises rather than return None
    return cleaned


def _open_or_refuse(incident: Incident) -> None:
    if incident.status == Status.RESOLVED:
        raise UpdateError("incident.error.closed_resolved", number=incident.number)
    if incident.status == Status.CANCELLED:
        raise UpdateError("incident.error.closed_cancelled", number=incident.number)


# --- declare ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeclareRequest:
    """What a coordinator typed to declare. Services given by name start `down`; a `ServiceChange` gives
    another starting state. `territories` are refs or codes (`territories.get`); `started_at` defaults to the
    declaration time."""

    title: str
    sector: str
    territories: Sequence[str]
    severity: Severity
    cause: Cause = Cause.UNKNOWN
    organisation: str | None = None
    description: str | None = None
    impact: str | None = None
    started_at: datetime | None = None
    services: Sequence[str | ServiceChange] = ()
    eta: datetime | None = None
    workaround: str | None = None
    next_update_at: datetime | None = None


def declare(request: DeclareRequest, *, guild_id: int, number: int, at: datetime, by: int) -> Outcome:
    """A new incident, owned by whoever declares it, in status investigating."""
    require_aware(at)
    if number < 1:
        raise ValueError("incident numbers start at 1")
    title = required_text(TextField.TITLE, request.title)
    sector = required_text(TextField.SECTOR, request.sector)
    organisation = validate_field(TextField.ORGANISATION, request.organisation)
    description = validate_field(TextField.DESCRIPTION, request.description)
    impact = validate_field(TextField.IMPACT, request.impact)
    workaround_text = validate_field(TextField.WORKAROUND, request.workaround)
    refs = territory_refs(request.territories)
    started_at = request.started_at or at
    require_aware(started_at)
    if started_at > at:
        raise UpdateError("incident.error.start_in_future")
    _future(request.eta, at, "incident.error.eta_not_future")
    _future(request.next_update_at, at, "incident.error.next_update_not_future")

    services: list[IncidentService] = []
    for item in request.services:
        change = item if isinstance(item, ServiceChange) else ServiceChange(item, ServiceState.DOWN)
        name = required_text(TextField.SERVICE_NAME, change.name)
        key = service_key(name)
        if any(s.key == key for s in services):
            continue
        services.append(
            IncidentService(name=name, key=key, state=change.state, since=started_at, affected_since=started_at)
        )
    if len(services) > MAX_SERVICES:
        raise UpdateError("incident.error.too_many_services", limit=MAX_SERVICES)
    workaround = (
        Workaround(version=1, text=workaround_text, set_at=at, set_by=by) if workaround_text is not None else None
    )
    incident = Incident(
        guild_id=guild_id,
        number=number,
        title=title,
        organisation=organisation,
        description=description,
        impact=impact,
        sector=sector,
        territories=refs,
        severity=request.severity,
        cause=request.cause,
        status=Status.INVESTIGATING,
        started_at=started_at,
        declared_at=at,
        declared_by=by,
        owner_id=by,
        updated_at=at,
        eta=request.eta,
        next_update_at=request.next_update_at,
        next_update_by=by if request.next_update_at is not None else None,
        workaround=workaround,
        services=tuple(services),
    )
    entry = Update(
        UpdateKind.DECLARED,
        at,
        by,
        details={
            "status": incident.status.value,
            "severity": incident.severity.value,
            "services": [{"name": s.name, "key": s.key, "state": s.state.value} for s in services],
            "workaround": {"version": 1, "text": workaround_text} if workaround_text is not None else None,
            "eta": iso(request.eta),
        },
    )
    return Outcome(incident, (entry,), Announce(reasons=(AnnounceReason.DECLARED,)))


# --- update -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpdateRequest:
    """`/outage update`. Unset fields stay as they are; `clear_eta` removes the ETA ("no idea any more")."""

    status: Status | None = None
    note: str | None = None
    service_changes: Sequence[ServiceChange] = ()
    eta: datetime | None = None
    clear_eta: bool = False
    workaround: str | None = None
    next_update_at: datetime | None = None
    severity: Severity | None = None
    silent: bool = False
    internal: bool = False  # its entries are marked internal: never on the public page


def _apply_services(
    incident: Incident, changes: Sequence[ServiceChange], at: datetime
) -> tuple[tuple[IncidentService, ...], list[dict[str, Any]]]:
    services = list(incident.services)
    recorded: list[dict[str, Any]] = []
    for change in changes:
        name = required_text(TextField.SERVICE_NAME, change.name)
        key = service_key(name)
        index = next((i for i, s in enumerate(services) if s.key == key), None)
        if index is None:
            services.append(IncidentService(name=name, key=key, state=change.state, since=at, affected_since=at))
            recorded.append({"name": name, "key": key, "from": None, "to": change.state.value})
            continue
        current = services[index]
        if current.state == change.state:
            continue
        services[index] = replace(current, state=change.state, since=at)
        recorded.append({"name": current.name, "key": key, "from": current.state.value, "to": change.state.value})
    if len(services) > MAX_SERVICES:
        raise UpdateError("incident.error.too_many_services", limit=MAX_SERVICES)
    return tuple(services), recorded


def apply_update(incident: Incident, request: UpdateRequest, *, at: datetime, by: int) -> Outcome:
    """The incident after `/outage update`, its entries and what to tell; refused when closed or when nothing
    would change."""
    require_aware(at)
    _open_or_refuse(incident)
    details: list[tuple[UpdateKind, dict[str, Any]]] = []
    reasons: list[AnnounceReason] = []
    new = incident

    if request.status is not None and request.status != incident.status:
        if request.status == Status.RESOLVED:
            raise UpdateError("incident.error.update_to_resolved")
        if request.status == Status.CANCELLED:
            raise UpdateError("incident.error.update_to_cancelled")
        new = transition(new, request.status, at=at)
        details.append((UpdateKind.STATUS_CHANGED, {"from": incident.status.value, "to": request.status.value}))

    if request.severity is not None and request.severity != incident.severity:
        new = replace(new, severity=request.severity)
        details.append((UpdateKind.SEVERITY_CHANGED, {"from": incident.severity.value, "to": request.severity.value}))
        if incident.severity.is_raised_to(request.severity):
            reasons.append(AnnounceReason.SEVERITY_RAISED)

    if request.service_changes:
        services, recorded = _apply_services(incident, request.service_changes, at)
        if recorded:
            new = replace(new, services=services)
            details.append((UpdateKind.SERVICES_CHANGED, {"changes": recorded}))

    workaround_text = validate_field(TextField.WORKAROUND, request.workaround)
    if workaround_text is not None and (incident.workaround is None or incident.workaround.text != workaround_text):
        version = incident.workaround.version + 1 if incident.workaround is not None else 1
        new = replace(new, workaround=Workaround(version=version, text=workaround_text, set_at=at, set_by=by))
        details.append((UpdateKind.WORKAROUND_CHANGED, {"version": version, "text": workaround_text}))
        reasons.append(AnnounceReason.WORKAROUND_CHANGED)

    if request.eta is not None:
        _future(request.eta, at, "incident.error.eta_not_future")
        if request.eta != incident.eta:
            new = replace(new, eta=request.eta)
            details.append((UpdateKind.ETA_CHANGED, {"from": iso(incident.eta), "to": iso(request.eta)}))
    elif request.clear_eta and incident.eta is not None:
        new = replace(new, eta=None)
        details.append((UpdateKind.ETA_CHANGED, {"from": iso(incident.eta), "to": None}))

    note = validate_field(TextField.NOTE, request.note)
    if request.next_update_at is not None:
        _future(request.next_update_at, at, "incident.error.next_update_not_future")
        details.append((UpdateKind.NEXT_UPDATE_SET, {"at": iso(request.next_update_at), "by": by}))
    if note is not None:
        details.append((UpdateKind.NOTE, {"text": note}))

    if not details:
        raise UpdateError("incident.error.nothing_to_update")
    if request.next_update_at is not None:
        new = replace(new, next_update_at=request.next_update_at, next_update_by=by)
    else:
        new = replace(new, next_update_at=None, next_update_by=None)
    new = replace(new, updated_at=at)
    marked = [(kind, {**detail, "internal": True} if request.internal else detail) for kind, detail in details]
    entries = tuple(Update(kind, at, by, request.silent, detail) for kind, detail in marked)
    return Outcome(new, entries, Announce.everywhere(reasons, silent=request.silent))


# --- resolve, reopen, cancel ------------------------------------------------------------------------------


def resolve(incident: Incident, *, note: str | None = None, at: datetime, by: int) -> Outcome:
    """Resolved at `at`: every service not yet restored is restored then (the resolution ends their down or
    degraded time), the next-update commitment ends, and the recovery is announced."""
    require_aware(at)
    check_transition(incident.status, Status.RESOLVED)
    at = not_before_start(incident, at)
    text = validate_field(TextField.RESOLUTION_NOTE, note)
    restored = [s.key for s in incident.services if s.state != ServiceState.RESTORED]
    services = tuple(
        s if s.state == ServiceState.RESTORED else replace(s, state=ServiceState.RESTORED, since=at)
        for s in incident.services
    )
    new = replace(transition(incident, Status.RESOLVED, at=at), services=services, resolution_note=text)
    entry = Update(UpdateKind.RESOLVED, at, by, details={"text": text, "services_restored": restored})
    return Outcome(new, (entry,), Announce.everywhere((AnnounceReason.RESOLVED,)))


def reopen(
    incident: Incident, *, to: Status = Status.INVESTIGATING, note: str | None = None, at: datetime, by: int
) -> Outcome:
    """A resolved incident open again (investigating unless said otherwise); its services stay as they were at
    resolution until an update says otherwise."""
    require_aware(at)
    if incident.is_open:
        raise UpdateError("incident.error.not_resolved", number=incident.number)
    if to not in OPEN_STATUSES:
        raise UpdateError("incident.error.reopen_status")
    text = validate_field(TextField.NOTE, note)
    new = replace(transition(incident, to, at=at), resolution_note=None)
    entry = Update(UpdateKind.REOPENED, at, by, details={"to": to.value, "text": text})
    return Outcome(new, (entry,), Announce.everywhere((AnnounceReason.REOPENED,)))


def cancel(
    incident: Incident,
    reason: CancelReason,
    *,
    duplicate_of: Incident | None = None,
    note: str | None = None,
    at: datetime,
    by: int,
) -> Outcome:
    """Cancelled as a false alarm, or as a duplicate of another incident of the same server that is not
    itself cancelled; kept for the record, left out of the figures."""
    require_aware(at)
    check_transition(incident.status, Status.CANCELLED)
    if reason == CancelReason.DUPLICATE:
        if duplicate_of is None:
            raise UpdateError("incident.error.duplicate_needed")
        if duplicate_of.guild_id != incident.guild_id or duplicate_of.number == incident.number:
            raise UpdateError("incident.error.duplicate_of_self")
        if duplicate_of.status == Status.CANCELLED:
            raise UpdateError("incident.error.duplicate_of_cancelled", number=duplicate_of.number)
    elif duplicate_of is not None:
        raise UpdateError("incident.error.false_alarm_with_duplicate")
    text = validate_field(TextField.NOTE, note)
    original = duplicate_of.number if duplicate_of is not None else None
    new = replace(transition(incident, Status.CANCELLED, at=at), cancelled_reason=reason, duplicate_of=original)
    entry = Update(
        UpdateKind.CANCELLED, at, by, details={"reason": reason.value, "duplicate_of": original, "text": text}
    )
    return Outcome(new, (entry,), Announce.everywhere())


# --- assign, affected -------------------------------------------------------------------------------------


def assign(incident: Incident, to: int, *, at: datetime, by: int) -> Outcome:
    """Hand an open incident to another coordinator, who then receives its nudges."""
    require_aware(at)
    _open_or_refuse(incident)
    if to == incident.owner_id:
        raise UpdateError("incident.error.already_owner")
    new = replace(incident, owner_id=to, updated_at=at)
    entry = Update(UpdateKind.ASSIGNED, at, by, silent=True, details={"from": incident.owner_id, "to": to})
    announce = Announce(edit_status_message=True, thread_post=True, silent=True, mention_users=(to,))
    return Outcome(new, (entry,), announce)


def record_affected(incident: Incident, *, at: datetime, by: int) -> Outcome:
    """One more member says they are affected too. Counting each member once is the use case's job (it knows
    who clicked before); this only counts and says what to edit."""
    require_aware(at)
    _open_or_refuse(incident)
    count = incident.affected_count + 1
    new = replace(incident, affected_count=count)
    entry = Update(UpdateKind.AFFECTED, at, by, silent=True, details={"count": count})
    return Outcome(new, (entry,), Announce(edit_announcements=True, edit_status_message=True))
