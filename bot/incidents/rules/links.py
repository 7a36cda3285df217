"""Outages linked to one another: a duplicate cancelled into its original, and two open outages a coordinator
marks as related (and may unmark). Each side keeps the link in its own timeline (`linked` / `unlinked` entries),
so its status message names the other and its history says when and by whom; the links an incident has now are
those entries folded (`links_after`).

Telling rules, decided here: a link is bookkeeping, not news. It edits both status messages and the standing
announcements (which carry the same embed), posts nothing and pings nobody. The cancellation of the duplicate is
told as every cancellation is (bot/incidents/rules/lifecycle.py `cancel`); what it hands over (followers, their DM
choices, "affected too" members) is counted on the original's entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.incidents.rules.lifecycle import Announce, Outcome, Update, UpdateError, UpdateKind, require_aware
from bot.incidents.rules.model import Incident, IncidentLink, LinkKind, Status

_EDITS = Announce(edit_announcements=True, edit_status_message=True)


def links_after(details: Iterable[tuple[UpdateKind, Mapping[str, Any]]]) -> tuple[IncidentLink, ...]:
    """The links an incident has after its `linked` / `unlinked` entries, oldest first; in number order."""
    links: set[IncidentLink] = set()
    for kind, entry in details:
        link = IncidentLink(int(entry["number"]), LinkKind(entry["link"]))
        if kind == UpdateKind.LINKED:
            links.add(link)
        elif kind == UpdateKind.UNLINKED:
            links.discard(link)
    return tuple(sorted(links))


def _linked(incident: Incident, link: IncidentLink, *, at: datetime, by: int, **counts: int) -> Outcome:
    entry = Update(
        UpdateKind.LINKED, at, by, silent=True, details={"number": link.number, "link": link.kind.value, **counts}
    )
    new = replace(incident, links=tuple(sorted({*incident.links, link})), updated_at=at)
    return Outcome(new, (entry,), _EDITS)


def relate(incident: Incident, other: Incident, *, undo: bool, at: datetime, by: int) -> tuple[Outcome, Outcome]:
    """Two outages of the same server marked related (both open), or no longer (`undo`, whatever their status):
    one outcome for each."""
    require_aware(at)
    if other.guild_id != incident.guild_id or other.number == incident.number:
        raise UpdateError("incident.error.related_to_self")
    to_other, to_incident = (
        IncidentLink(other.number, LinkKind.RELATED),
        IncidentLink(incident.number, LinkKind.RELATED),
    )
    if undo:
        if to_other not in incident.links:
            raise UpdateError("incident.error.not_related", number=incident.number, other=other.number)
        return _unlinked(incident, to_other, at=at, by=by), _unlinked(other, to_incident, at=at, by=by)
    for side in (incident, other):
        if not side.is_open:
            raise UpdateError("incident.error.related_closed", number=side.number)
    if to_other in incident.links:
        raise UpdateError("incident.error.already_related", number=incident.number, other=other.number)
    return _linked(incident, to_other, at=at, by=by), _linked(other, to_incident, at=at, by=by)


def _unlinked(incident: Incident, link: IncidentLink, *, at: datetime, by: int) -> Outcome:
    entry = Update(UpdateKind.UNLINKED, at, by, silent=True, details={"number": link.number, "link": link.kind.value})
    new = replace(incident, links=tuple(sorted(set(incident.links) - {link})), updated_at=at)
    return Outcome(new, (entry,), _EDITS)


def absorb_duplicate(
    original: Incident, duplicate: Incident, *, followers: int, affected: int, at: datetime, by: int
) -> Outcome:
    """The original receives what its duplicate, cancelled into it, hands over: `affected` members it did not count
    yet (its count grows by as many) and `followers` who did not follow it yet."""
    require_aware(at)
    if duplicate.status != Status.CANCELLED or duplicate.duplicate_of != original.number:
        raise UpdateError("incident.error.duplicate_needed")
    outcome = _linked(
        original,
        IncidentLink(duplicate.number, LinkKind.DUPLICATE),
        at=at,
        by=by,
        followers=followers,
        affected=affected,
    )
    return replace(outcome, incident=replace(outcome.incident, affected_count=original.affected_count + affected))
