"""What people type into the outage commands, read in the server's time zone and against the server's lists.

A sector must be one of the server's sectors (its list, else the defaults), compared without case or accents,
so that sector routes match; territories and services go through the domain's parsers; times through the
natural-language parser, on the side of now that the field means. A refusal names the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.i18n import Msg, list_of
from bot.common.limits import TextField
from bot.common.text import FIELD_LABELS, name_key
from bot.common.time_parsing import TimeParseError, parse_when
from bot.common.typed_fields import TypedFields
from bot.incidents.rules.model import Cause, Severity, Status
from bot.incidents.rules.service_changes import ServiceChange, parse_service_changes, parse_service_names
from bot.settings.rules.config import DEFAULT_SECTORS, GuildConfig


class OutageError(TocsinError):
    """What was typed cannot be used, or the incident cannot be found; the sentence says what to do."""


@dataclass(frozen=True, kw_only=True)
class DeclaredFacts(TypedFields):
    """The facts a declaration states and a correction may put right."""

    title: str | None = None
    sector: str | None = None
    territories: str | None = None
    severity: Severity | None = None
    cause: Cause | None = None
    started: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeclareInput(DeclaredFacts):
    services: str | None = None
    eta: str | None = None
    workaround: str | None = None
    impact: str | None = None
    organisation: str | None = None
    public: bool | None = None  # on the server's public page; None: the server's default for new incidents

    @property
    def essentials_missing(self) -> list[str]:
        missing = []
        for name in ("title", "sector", "territories", "severity"):
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing.append(name)
        return missing


@dataclass(frozen=True, kw_only=True)
class UpdateInput:
    status: Status | None = None
    note: str | None = None
    services: str | None = None
    eta: str | None = None
    workaround: str | None = None
    next_update: str | None = None
    severity: Severity | None = None
    silent: bool = False
    internal: bool = False  # kept off the public page


@dataclass(frozen=True, kw_only=True)
class EditInput(DeclaredFacts):
    organisation: str | None = None
    impact: str | None = None


def field_error(field_key: str, error: TocsinError) -> OutageError:
    return OutageError(
        "outage.error.in_field",
        field=Msg.of(field_key),
        reason=Msg(error.message_id, error.args_map),
    )


def typed_time(text: str | None, field_key: str, config: GuildConfig, now: datetime, prefer: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_when(text, now=now, tz=config.zone, prefer=prefer)  # type: ignore[arg-type]
    except TimeParseError as exc:
        raise field_error(field_key, exc) from None


def server_sectors(config: GuildConfig) -> list[str]:
    return list(config.sectors.values()) if config.sectors else list(DEFAULT_SECTORS)


def resolve_sector(config: GuildConfig, typed: str) -> str:
    """The server's sector named by `typed` (case and accents aside), as the server writes it."""
    key = name_key(typed)
    for name in server_sectors(config):
        if name_key(name) == key:
            return name
    if not key:
        raise OutageError("incident.error.field_required", field=Msg.of(FIELD_LABELS[TextField.SECTOR]))
    raise OutageError(
        "outage.error.unknown_sector", sector=typed.strip()[:50], sectors=", ".join(server_sectors(config))
    )


def typed_territories(text: str) -> list[str]:
    try:
        return [t.ref for t in territory_data.parse_list(text, prefer_kind="region")]
    except TocsinError as exc:
        raise field_error("outage.field.territories", exc) from None


def typed_services(text: str | None) -> list[str | ServiceChange]:
    """For a declaration: "name" (down) or "name: state" items."""
    if text is None or not text.strip():
        return []
    items: list[str | ServiceChange] = []
    try:
        for name in parse_service_names(text):
            if ":" in name:
                items.extend(parse_service_changes(name))
            else:
                items.append(name)
    except TocsinError as exc:
        raise field_error("outage.field.services", exc) from None
    return items


def parse_number(text: str | int | None) -> int:
    """ "42", "#42", "#42 · Cerp…" (an autocomplete label typed back) → 42."""
    if isinstance(text, int):
        return text
    match = re.match(r"\s*#?\s*(\d{1,9})\b", text or "")
    if match is None:
        raise OutageError("outage.error.incident_number", text=(text or "").strip()[:40])
    return int(match[1])


def overlapping_refs(territory: territory_data.Territory) -> list[str]:
    """Every territory ref that overlaps `territory` (itself, what contains it, what it contains)."""
    refs = {territory.ref, territory_data.france().ref}
    region = territory_data.region_of(territory)
    if region is not None:
        refs.add(region.ref)
    if territory.kind in ("region", "country"):
        refs |= {d.ref for d in territory_data.departements_of(territory)}
    if territory.kind == "country":
        refs |= {r.ref for r in territory_data.regions()}
    return sorted(refs)


_OPTION_LABELS = {
    "title": "outage.option.title",
    "sector": "outage.option.sector",
    "territories": "outage.option.territories",
    "severity": "outage.option.severity",
}


def field_list(names: Sequence[str]) -> Msg:
    """ "titre, secteur et gravité" in the reader's language."""
    return list_of([Msg.of(_OPTION_LABELS[name]) for name in names])


def typed_arguments(typed: Any) -> dict[str, Any]:
    return {
        name: (value.value if hasattr(value, "value") else value)
        for name, value in vars(typed).items()
        if value is not None
    }
