"""What every export shares: words from the catalogue, dates in the server's zone, the definitions, and one
plain-text sentence per timeline entry. Nothing here escapes: each writer escapes for its own format."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.common import territories as territory_data
from bot.common.formatting import (
    MONTH_KEYS,
    WEEKDAY_KEYS,
    format_datetime,
    format_duration,
    format_number,
)
from bot.common.i18n.catalogue import Language, Msg, default_catalogue
from bot.exports.rules import DurationStats, IncidentRecord, Measure, ServiceFigure, SetAsideGroup, measure, minutes
from bot.incidents.presentation.labels import (
    CAUSE_KEYS,
    EDITED_FIELD_LABELS,
    SERVICE_STATE_KEYS,
    SEVERITY_KEYS,
    STATUS_KEYS,
)
from bot.incidents.rules.durations import ZERO
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import CancelReason, Cause, Incident, LinkKind, ServiceState, Severity, Status
from bot.maintenance.rules import Maintenance

SCHEMA_VERSION = 3

KIND_KEYS: dict[UpdateKind, str] = {
    UpdateKind.DECLARED: "export.kind.declared",
    UpdateKind.STATUS_CHANGED: "export.kind.status_changed",
    UpdateKind.NOTE: "export.kind.note",
    UpdateKind.SERVICES_CHANGED: "export.kind.services_changed",
    UpdateKind.WORKAROUND_CHANGED: "export.kind.workaround_changed",
    UpdateKind.ETA_CHANGED: "export.kind.eta_changed",
    UpdateKind.NEXT_UPDATE_SET: "export.kind.next_update_set",
    UpdateKind.SEVERITY_CHANGED: "export.kind.severity_changed",
    UpdateKind.EDITED: "export.kind.edited",
    UpdateKind.ASSIGNED: "export.kind.assigned",
    UpdateKind.RESOLVED: "export.kind.resolved",
    UpdateKind.REOPENED: "export.kind.reopened",
    UpdateKind.CANCELLED: "export.kind.cancelled",
    UpdateKind.AFFECTED: "export.kind.affected",
    UpdateKind.LINKED: "export.kind.linked",
    UpdateKind.UNLINKED: "export.kind.unlinked",
}
# The definitions, in the order every export states them.
DEFINITION_KEYS = (
    "export.definition.period",
    "export.definition.cancelled",
    "export.definition.duration",
    "export.definition.first_update",
    "export.definition.time_to_declare",
    "export.definition.mttr",
    "export.definition.services",
    "export.definition.units",
    "export.definition.territories",
    "export.definition.updates",
)
# Kinds whose sentence reads only the entry's details (not the incident's measure nor its authors' names).
_WORDED_ALONE = frozenset(
    {
        UpdateKind.NOTE,
        UpdateKind.STATUS_CHANGED,
        UpdateKind.SEVERITY_CHANGED,
        UpdateKind.WORKAROUND_CHANGED,
        UpdateKind.ETA_CHANGED,
        UpdateKind.AFFECTED,
        UpdateKind.LINKED,
        UpdateKind.UNLINKED,
        UpdateKind.REOPENED,
        UpdateKind.CANCELLED,
    }
)
_MINUTES = tuple(f"{minute:02d}" for minute in range(60))
_MINUTE = timedelta(minutes=1)
# A date before any incident, so that `format_datetime` always writes the year where a date must stand alone.
ANY_OTHER_YEAR = datetime(1900, 6, 1, tzinfo=UTC)


def t(language: Language, message_id: str, /, **args: Any) -> str:
    return default_catalogue().render(language, message_id, **args)


def _template(language: Language, message_id: str) -> str:
    catalogue = default_catalogue()
    try:
        return catalogue.raw(language, message_id)
    except KeyError:
        return catalogue.raw("en", message_id)


def definitions(language: Language) -> list[str]:
    return [t(language, key) for key in DEFINITION_KEYS]


def stats_json(stats: DurationStats) -> dict[str, Any]:
    """Durations' figures as the JSON export writes every one of them (whole minutes)."""
    return {
        "count": stats.count,
        "total_min": minutes(stats.total),
        "median_min": minutes(stats.median),
        "mean_min": minutes(stats.mean),
    }


class SameGuild:
    """Guards a stream of records: an export holds one server's data, never another's."""

    def __init__(self) -> None:
        self.guild_id: int | None = None

    def check(self, record: IncidentRecord) -> IncidentRecord:
        guild_id = record.incident.guild_id
        if self.guild_id is None:
            self.guild_id = guild_id
        elif guild_id != self.guild_id:
            raise ValueError(f"records of guilds {self.guild_id} and {guild_id} in one export")
        return record

    def all(self, records: Iterable[IncidentRecord]) -> Iterator[IncidentRecord]:
        return (self.check(record) for record in records)


@dataclass(frozen=True)
class Document:
    """What one export file is written from: one server's incidents, worded in `language`, dated in `zone`, as of
    `now`, over `period` (None: the file names no period)."""

    records: Iterable[IncidentRecord]
    language: Language
    zone: ZoneInfo
    now: datetime
    period: tuple[datetime, datetime] | None = None
    set_aside: Sequence[SetAsideGroup] = ()  # members' reports set aside in the period, listed apart
    maintenance: Sequence[Maintenance] = ()  # planned maintenance of the period, listed apart

    def words(self) -> Words:
        return Words(self.language, self.zone, self.now)

    def measured(self) -> Measured:
        return Measured.of(self.records, self.now)


@dataclass(frozen=True)
class Measured:
    """One server's records, measured, with the cancelled ones apart (they are listed, never counted)."""

    all: list[Measure]
    counted: list[Measure]
    cancelled: list[Measure]

    @classmethod
    def of(cls, records: Iterable[IncidentRecord], now: datetime) -> Measured:
        measures = [measure(record, now=now) for record in SameGuild().all(records)]
        cancelled = [m for m in measures if m.incident.status == Status.CANCELLED]
        return cls(measures, [m for m in measures if m.incident.status != Status.CANCELLED], cancelled)


@dataclass
class Words:
    """Wording for one export: the language, the server's zone and the export time. Formatted dates are kept,
    because 100,000 timeline entries share far fewer minutes."""

    language: Language
    zone: ZoneInfo
    now: datetime
    _days: dict[date, str] = field(default_factory=dict)
    _hours: dict[int, tuple[str, str]] = field(default_factory=dict)
    _durations: dict[int | timedelta, str] = field(default_factory=dict)
    _labels: dict[str, str] = field(default_factory=dict)
    _templates: dict[str, str] = field(default_factory=dict)
    _entries: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _territories: dict[str, str] = field(default_factory=dict)
    _territory_lists: dict[tuple[str, ...], str] = field(default_factory=dict)
    _services: dict[tuple[str, str | None, str], str] = field(default_factory=dict)
    _kind_labels: dict[UpdateKind, str] = field(default_factory=dict)
    _state_labels: dict[ServiceState, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must be an aware datetime")

    def __call__(self, message_id: str, /, **args: Any) -> str:
        if "count" in args or any(isinstance(v, Msg) for v in args.values()):
            # Plural messages and nested ones: the catalogue's own render (few per export: figures, captions).
            return default_catalogue().render(self.language, message_id, **args)
        if args:
            # The catalogue's own render, minus its per-call lookups: a large export words ~10⁵ sentences.
            template = self._templates.get(message_id)
            if template is None:
                template = self._templates[message_id] = _template(self.language, message_id)
            return template.format_map(args)
        text = self._labels.get(message_id)
        if text is None:
            text = self._labels[message_id] = t(self.language, message_id)
        return text

    def date(self, at: datetime | None) -> str:
        """ "lundi 21 octobre à 09:00"; the year when it is not the export's year. The same text as
        `formatting.format_datetime` (a test holds them together), built from cached catalogue parts, because a
        large export writes ~10⁵ dates and the catalogue lookups were most of its time."""
        if at is None:
            return ""
        local = at.astimezone(self.zone)
        day = local.date()
        template = self._days.get(day)
        if template is None:
            template = self._days[day] = self._day_template(local)
        return template.replace("\x00", self._clock(local))

    def _day_template(self, local: datetime) -> str:
        key = "format.datetime" if local.year == self.now.astimezone(self.zone).year else "format.datetime_with_year"
        return self(key, **self._day_args(local), time="\x00")

    def _day_args(self, local: datetime) -> dict[str, Any]:
        day = self("format.day_of_month.first") if local.day == 1 else self("format.day_of_month", day=local.day)
        return {
            "weekday": self(WEEKDAY_KEYS[local.weekday()]),
            "day": day,
            "month": self(MONTH_KEYS[local.month - 1]),
            "year": local.year,
        }

    def _clock(self, local: datetime) -> str:
        return self("format.time", hour=f"{local.hour:02d}", minute=f"{local.minute:02d}")

    def full_date(self, at: datetime) -> str:
        """With the year always: for dates that stand alone (generated at, period bounds)."""
        return format_datetime(at, self.language, self.zone, ANY_OTHER_YEAR)

    def span(self, start: datetime, end: datetime) -> str:
        """`formatting.format_span` from the parts this export keeps: "du lundi 21 octobre à 09:00 au mardi 22
        octobre à 10:00"; within one day, "le lundi 21 octobre, de 09:00 à 11:00"."""
        first, last = start.astimezone(self.zone), end.astimezone(self.zone)
        if first.date() != last.date():
            return self("format.span", start=self.date(start), end=self.date(end))
        day_key = "format.date" if first.year == self.now.astimezone(self.zone).year else "format.date_with_year"
        return self(
            "format.span.same_day",
            day=self(day_key, **self._day_args(first)),
            start=self._clock(first),
            end=self._clock(last),
        )

    def iso(self, at: datetime | None) -> str:
        """ISO 8601 in the server's zone with its offset, to the minute: for machines."""
        if at is None:
            return ""
        zone = self.zone
        local = at if at.tzinfo is zone else at.astimezone(zone)
        # `isoformat` (most of whose cost is the zone's offset) once per local hour, the minutes put in: a large
        # export writes ~10⁵ distinct instants. The date, the hour and `fold` fix the offset, the repeated autumn
        # hour included.
        key = local.toordinal() * 48 + local.hour * 2 + local.fold
        parts = self._hours.get(key)
        if parts is None:
            full = local.isoformat(timespec="minutes")  # "2024-10-19T12:05+02:00"
            parts = self._hours[key] = (full[:14], full[16:])
        return parts[0] + _MINUTES[local.minute] + parts[1]

    def duration(self, delta: timedelta | None) -> str:
        """`formatting.format_duration`, kept per whole minute (durations repeat across services and figures)."""
        if delta is None:
            return ""
        key = delta // _MINUTE if delta >= ZERO else delta
        text = self._durations.get(key)
        if text is None:
            text = self._durations[key] = format_duration(delta, self.language)
        return text

    def number(self, n: int) -> str:
        return format_number(n, self.language)

    def status(self, status: Status) -> str:
        return self(STATUS_KEYS[status])

    def severity(self, severity: Severity) -> str:
        return self(SEVERITY_KEYS[severity])

    def cause(self, cause: Cause) -> str:
        return self(CAUSE_KEYS[cause])

    def state(self, state: ServiceState) -> str:
        text = self._state_labels.get(state)
        if text is None:
            text = self._state_labels[state] = self(SERVICE_STATE_KEYS[state])
        return text

    def kind(self, kind: UpdateKind) -> str:
        return self(KIND_KEYS[kind])

    def kind_labels(self) -> dict[UpdateKind, str]:
        # Asked once per incident by the CSV timeline: built once per export.
        labels = self._kind_labels
        if not labels:
            labels.update({kind: self(key) for kind, key in KIND_KEYS.items()})
        return dict(labels)

    def territory(self, ref: str) -> str:
        text = self._territories.get(ref)
        if text is None:
            try:
                text = territory_data.label(territory_data.get(ref), self.language)
            except territory_data.TerritoryError:  # a code the current data no longer knows: show it as stored
                text = ref
            self._territories[ref] = text
        return text

    def territories(self, incident: Incident) -> str:
        # Thousands of incidents share a few lists of territories.
        text = self._territory_lists.get(incident.territories)
        if text is None:
            text = ", ".join(self.territory(ref) for ref in incident.territories)
            self._territory_lists[incident.territories] = text
        return text

    def duration_or_open(self, m: Measure) -> str:
        """ "2 j 23 h", "en cours (depuis 4 j 4 h)", or "annulée"."""
        if m.duration is not None:
            return self.duration(m.duration)
        if m.elapsed is not None:
            return self("export.duration.open", elapsed=self.duration(m.elapsed))
        return self("export.duration.cancelled")

    def service_durations(self, down: timedelta, degraded: timedelta) -> str:
        parts: list[str] = []
        if down:
            parts.append(self("export.service.down", duration=self.duration(down)))
        if degraded:
            parts.append(self("export.service.degraded", duration=self.duration(degraded)))
        return self("export.service.joiner").join(parts) if parts else self("export.service.none")

    def cancel_reason(self, incident: Incident) -> str:
        if incident.cancelled_reason == CancelReason.DUPLICATE:
            return self("export.cancel.duplicate", number=incident.duplicate_of or "?")
        if incident.cancelled_reason == CancelReason.FALSE_ALARM:
            return self("export.cancel.false_alarm")
        return ""

    # --- timeline entries -------------------------------------------------------------------------------

    def entry(self, m: Measure, entry: Update) -> list[str]:
        """The entry as plain sentences (first line: what happened; then any typed text), unescaped."""
        word = _ENTRY_WORDING.get(entry.kind)
        return [] if word is None else word(self, m, entry)

    def _declared(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        lines = [self("export.entry.declared", severity=self._enum_label(Severity, d.get("severity")))]
        for service in d.get("services", ()):
            lines.append(self._service(service["name"], None, service["state"]))
        workaround = d.get("workaround")
        if workaround:
            lines.append(self("export.entry.workaround", version=workaround["version"]))
            lines.append(workaround["text"])
        if d.get("eta"):
            lines.append(self("export.entry.eta", time=self.date(datetime.fromisoformat(d["eta"]))))
        return lines

    def _status_changed(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        previous, current = self._enum_label(Status, d.get("from")), self._enum_label(Status, d.get("to"))
        return [self("export.entry.status", previous=previous, current=current)]

    def _severity_changed(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        previous, current = self._enum_label(Severity, d.get("from")), self._enum_label(Severity, d.get("to"))
        return [self("export.entry.severity", previous=previous, current=current)]

    def _services_changed(self, m: Measure, entry: Update) -> list[str]:
        return [self._service_change(m, entry, change) for change in entry.details.get("changes", ())]

    def _workaround_changed(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        return [self("export.entry.workaround", version=d.get("version", "?")), str(d.get("text") or "")]

    def _eta_changed(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        if not d.get("to"):
            return [self("export.entry.eta_cleared")]
        return [self("export.entry.eta", time=self.date(datetime.fromisoformat(d["to"])))]

    def _next_update_set(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        at = self.date(datetime.fromisoformat(d["at"])) if d.get("at") else "?"
        by = m.record.author(d["by"]) if d.get("by") is not None else "?"
        return [self("export.entry.next_update", time=at, user=by)]

    def _note(self, m: Measure, entry: Update) -> list[str]:
        return [str(entry.details.get("text") or "")]

    def _resolved(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        lines = [self("export.entry.resolved", duration=self.duration_or_open(m))]
        restored = [self._service_name(m, key) for key in d.get("services_restored", ())]
        if restored:
            lines.append(self("export.entry.restored_at_resolution", services=", ".join(restored)))
        if d.get("text"):
            lines.append(str(d["text"]))
        return lines

    def _reopened(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        lines = [self("export.entry.reopened", status=self._enum_label(Status, d.get("to")))]
        return lines + ([str(d["text"])] if d.get("text") else [])

    def _cancelled(self, m: Measure, entry: Update) -> list[str]:
        d = entry.details
        if d.get("reason") == CancelReason.DUPLICATE.value:
            lines = [self("export.entry.cancelled_duplicate", number=d.get("duplicate_of") or "?")]
        else:
            lines = [self("export.entry.cancelled_false_alarm")]
        return lines + ([str(d["text"])] if d.get("text") else [])

    def _assigned(self, m: Measure, entry: Update) -> list[str]:
        return [self("export.entry.assigned", user=m.record.author(entry.details.get("to", 0)))]

    def _edited(self, m: Measure, entry: Update) -> list[str]:
        return [self._edit(name, change) for name, change in entry.details.get("changes", {}).items()]

    def _affected(self, m: Measure, entry: Update) -> list[str]:
        return [self("export.entry.affected", count=entry.details.get("count", "?"))]

    def _linked(self, m: Measure, entry: Update) -> list[str]:
        number, details = entry.details.get("number", "?"), entry.details
        if details.get("link") != LinkKind.DUPLICATE:
            return [self("export.entry.linked_related", number=number)]
        lines = [self("export.entry.linked_duplicate", number=number)]
        for key, count in (
            ("export.entry.moved_followers", details.get("followers", 0)),
            ("export.entry.moved_affected", details.get("affected", 0)),
        ):
            if count:
                lines.append(self(key, count=count, number=number))
        return lines

    def _unlinked(self, m: Measure, entry: Update) -> list[str]:
        return [self("export.entry.unlinked", number=entry.details.get("number", "?"))]

    def entry_text(self, m: Measure, entry: Update) -> str:
        """The entry's sentences on one line (`entry` joined, spaces collapsed), for the CSV and JSON."""
        # A large export words ~10⁵ entries. Entries whose words depend on nothing but their details (status and
        # workaround changes, most service changes…) repeat across it: each is worded once.
        kind = entry.kind
        details = entry.details
        if kind == _NOTE:  # the typed text alone, the commonest entry: no cache needed
            text = details.get("text")
            return " ".join(str(text).split()) if text else ""
        key: tuple[Any, ...] | None = None
        if kind in _WORDED_ALONE:
            key = (kind, *details.items())
        elif kind == _SERVICES_CHANGED:
            # Service changes read the measure only for a restoration ("rétabli après 2 h"): the others are
            # worded once per (from, to, name) list.
            key = _service_changes_key(details.get("changes", ()))
        if key is None:
            return self._entry_text(m, entry)
        try:
            text = self._entries.get(key)
        except TypeError:  # a detail that is not hashable: word it every time
            return self._entry_text(m, entry)
        if text is None:
            text = self._entries[key] = self._entry_text(m, entry)
        return text

    def _entry_text(self, m: Measure, entry: Update) -> str:
        text = ""
        for line in self.entry(m, entry):
            if line:
                # A line announcing what follows ("Consignes (version 2) :") runs on into it.
                text += ("" if not text else " " if text.endswith(":") else " — ") + " ".join(line.split())
        return text

    def _enum_label(self, enum: type[Status] | type[Severity], value: Any) -> str:
        """The label of a stored status or severity; an unknown value as stored."""
        member = _MEMBERS[enum].get(value) if isinstance(value, str) else None
        if member is None:
            return str(value)
        return self.status(member) if isinstance(member, Status) else self.severity(member)

    def _service(self, name: str, previous: str | None, current: str) -> str:
        key = (name, previous, current)
        text = self._services.get(key)
        if text is None:
            text = self._services[key] = self._service_line(name, previous, current)
        return text

    def _service_line(self, name: str, previous: str | None, current: str) -> str:
        state = self._state_label(current)
        if previous is None:
            return self("export.entry.service", name=name, state=state)
        return self("export.entry.service_changed", name=name, previous=self._state_label(previous), current=state)

    def _state_label(self, value: str) -> str:
        try:
            return self.state(ServiceState(value))
        except ValueError:
            return value

    def _service_name(self, m: Measure, key: str) -> str:
        service = _service(m, key)
        return key if service is None else service.name

    def _service_change(self, m: Measure, entry: Update, change: Any) -> str:
        if change.get("from") is None:
            return self("export.entry.service_new", name=change["name"], state=self._state_label(change["to"]))
        line = self._service(change["name"], change["from"], change["to"])
        if change["to"] == ServiceState.RESTORED.value:
            service = _service(m, change["key"])
            if service is not None and service.durations.spans:
                after = entry.at - service.durations.spans[0].start
                line = self("export.entry.service_restored", line=line, duration=self.duration(after))
        return line

    def _edit(self, name: str, change: Any) -> str:
        label = self(EDITED_FIELD_LABELS[name]) if name in EDITED_FIELD_LABELS else name
        return self(
            "export.entry.edited",
            field=label,
            previous=self._edited_value(name, change.get("from")),
            current=self._edited_value(name, change.get("to")),
        )

    def _edited_value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if name == "territories" and isinstance(value, list):
            return ", ".join(self.territory(str(ref)) for ref in value)
        if name == "started_at":
            return self.date(datetime.fromisoformat(str(value)))
        if name == "cause":
            try:
                return self.cause(Cause(value))
            except ValueError:
                return str(value)
        return str(value)


# How each kind of entry is worded (a table rather than a chain of tests: a large export words ~10⁵ entries).
_ENTRY_WORDING: dict[UpdateKind, Callable[[Words, Measure, Update], list[str]]] = {
    UpdateKind.DECLARED: Words._declared,
    UpdateKind.STATUS_CHANGED: Words._status_changed,
    UpdateKind.SEVERITY_CHANGED: Words._severity_changed,
    UpdateKind.SERVICES_CHANGED: Words._services_changed,
    UpdateKind.WORKAROUND_CHANGED: Words._workaround_changed,
    UpdateKind.ETA_CHANGED: Words._eta_changed,
    UpdateKind.NEXT_UPDATE_SET: Words._next_update_set,
    UpdateKind.NOTE: Words._note,
    UpdateKind.RESOLVED: Words._resolved,
    UpdateKind.REOPENED: Words._reopened,
    UpdateKind.CANCELLED: Words._cancelled,
    UpdateKind.ASSIGNED: Words._assigned,
    UpdateKind.EDITED: Words._edited,
    UpdateKind.AFFECTED: Words._affected,
    UpdateKind.LINKED: Words._linked,
    UpdateKind.UNLINKED: Words._unlinked,
}
# Stored values → members, read without the enums' own (slower) lookup.
_MEMBERS: dict[type[Status] | type[Severity], dict[str, Status | Severity]] = {
    Status: {member.value: member for member in Status},
    Severity: {member.value: member for member in Severity},
}
_NOTE, _SERVICES_CHANGED = UpdateKind.NOTE, UpdateKind.SERVICES_CHANGED
_RESTORED = ServiceState.RESTORED.value


def _service(m: Measure, key: str) -> ServiceFigure | None:
    for service in m.services:  # a handful per incident: a loop, no index
        if service.key == key:
            return service
    return None


def _service_changes_key(changes: Any) -> tuple[Any, ...] | None:
    """What the wording of a services-changed entry depends on, when that is its details alone; else None."""
    try:
        key: tuple[Any, ...] = (UpdateKind.SERVICES_CHANGED,)
        for change in changes:
            to = change["to"]
            if to == _RESTORED:
                return None
            key += ((change.get("from"), to, change["name"]),)
    except (KeyError, TypeError, AttributeError):  # malformed details: word them every time
        return None
    return key
