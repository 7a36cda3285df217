"""What a server's public page may show, decided once here: everything the page, feeds and API serve is built from
a `PublicIncident`, which has no field that could hold a member's name or id, an internal update or a report.

- Only an incident made public (its own flag) shows; a cancelled one never does (it was never an outage).
- Authors are the server: a public update carries no `by`.
- Of the timeline, only news a person outside the server can use: declared, status, notes, services, workaround,
  expected end, severity, resolved, reopened. Bookkeeping (corrections, hand-overs, "affected too" counts, the next
  update's promise) and any entry marked internal stay inside.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.text import name_key
from bot.incidents.rules.durations import service_durations, total_duration
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Incident, Status
from bot.maintenance.rules import Maintenance, Stage, ToldMessage

# How far back the server's page lists resolved incidents (and ended maintenance).
HISTORY = timedelta(days=90)
# How far ahead the server's page lists planned maintenance.
MAINTENANCE_AHEAD = timedelta(days=7)

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")

# A feed holds the newest public updates of what its page lists, this many at most.
FEED_ENTRIES = 100

# Ids that never change (Atom's `id`, the API's `id`): name-based UUIDs of the server's Discord id, the incident's
# number and the entry's place in its append-only timeline. They survive a renamed page address and say nothing
# of the entries that are not public (a place is hashed, never shown).
_IDS = uuid.UUID("6f1d2c4e-8a43-5b7e-9c11-2f0e4a7d9b35")

PUBLIC_KINDS = frozenset(
    {
        UpdateKind.DECLARED,
        UpdateKind.STATUS_CHANGED,
        UpdateKind.NOTE,
        UpdateKind.SERVICES_CHANGED,
        UpdateKind.WORKAROUND_CHANGED,
        UpdateKind.ETA_CHANGED,
        UpdateKind.SEVERITY_CHANGED,
        UpdateKind.RESOLVED,
        UpdateKind.REOPENED,
    }
)


class SlugError(TocsinError, ValueError):
    pass


def check_slug(text: str) -> str:
    """The short name of a page's address: 1 to 40 lower-case letters, digits and inner hyphens."""
    slug = text.strip().lower()
    if SLUG.fullmatch(slug) is None:
        raise SlugError("public.error.slug", slug=text.strip()[:40])
    return slug


@dataclass(frozen=True)
class PublicPage:
    guild_id: int
    slug: str
    enabled: bool
    default_public: bool


@dataclass(frozen=True)
class PublicService:
    name: str
    state: str
    downtime: timedelta
    degraded_time: timedelta


@dataclass(frozen=True)
class PublicUpdate:
    """One public timeline entry: what changed and the words typed for the public, never who typed them."""

    kind: str
    at: datetime
    uid: str = ""  # urn:uuid:…, stable (`entry_uid`)
    text: str | None = None
    status: str | None = None
    severity: str | None = None
    eta: datetime | None = None
    services: tuple[tuple[str, str], ...] = ()  # (name, state)


@dataclass(frozen=True)
class PublicIncident:
    number: int
    uid: str  # urn:uuid:…, stable (`incident_uid`)
    title: str
    organisation: str | None
    description: str | None
    impact: str | None
    sector: str  # as the server writes it
    sector_key: str  # without case or accents: its page's address
    territories: tuple[str, ...]
    severity: str
    status: str
    started_at: datetime
    resolved_at: datetime | None
    eta: datetime | None
    workaround: str | None
    updated_at: datetime
    duration: timedelta | None
    services: tuple[PublicService, ...]
    updates: tuple[PublicUpdate, ...]

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED.value


def is_internal(entry: Update) -> bool:
    return bool(entry.details.get("internal"))


def _text(details: Mapping[str, Any], key: str = "text") -> str | None:
    value = details.get(key)
    return value if isinstance(value, str) and value.strip() else None


def public_update(entry: Update) -> PublicUpdate | None:
    """The public form of a timeline entry, or None for bookkeeping and internal entries."""
    if entry.kind not in PUBLIC_KINDS or is_internal(entry):
        return None
    details = entry.details
    kind = entry.kind
    if kind == UpdateKind.DECLARED:
        return PublicUpdate(kind.value, entry.at)
    if kind in (UpdateKind.STATUS_CHANGED, UpdateKind.REOPENED):
        status = details.get("to")
        return PublicUpdate(kind.value, entry.at, text=_text(details), status=str(status) if status else None)
    if kind == UpdateKind.SEVERITY_CHANGED:
        severity = details.get("to")
        return PublicUpdate(kind.value, entry.at, severity=str(severity) if severity else None)
    if kind == UpdateKind.ETA_CHANGED:
        eta = details.get("to")
        return PublicUpdate(kind.value, entry.at, eta=datetime.fromisoformat(eta) if isinstance(eta, str) else None)
    if kind == UpdateKind.SERVICES_CHANGED:
        changes = tuple(
            (str(change["name"]), str(change["to"])) for change in details.get("changes", ()) if "name" in change
        )
        return PublicUpdate(kind.value, entry.at, services=changes)
    return PublicUpdate(kind.value, entry.at, text=_text(details))


def incident_uid(guild_id: int, number: int) -> str:
    return uuid.uuid5(_IDS, f"incident:{guild_id}:{number}").urn


def entry_uid(guild_id: int, number: int, place: int) -> str:
    """The id of the timeline entry at `place` (0 is the declaration): entries are only ever appended."""
    return uuid.uuid5(_IDS, f"update:{guild_id}:{number}:{place}").urn


def feed_uid(guild_id: int, scope: Scope) -> str:
    return uuid.uuid5(_IDS, f"feed:{guild_id}:{scope.kind}:{scope.key}").urn


def public_incident(
    incident: Incident, entries: Iterable[Update], *, public: bool, now: datetime
) -> PublicIncident | None:
    """The incident as the public may see it, or None when it must not show at all."""
    if not public or incident.status == Status.CANCELLED:
        return None
    timeline = tuple(entries)
    # Newest first; entries of one moment (one command) latest written first.
    placed = [(place, update) for place, update in enumerate(map(public_update, timeline)) if update is not None]
    placed.sort(key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    updates = tuple(
        replace(update, uid=entry_uid(incident.guild_id, incident.number, place)) for place, update in placed
    )
    services = tuple(
        PublicService(durations.name, _state_of(incident, durations.key), durations.downtime, durations.degraded_time)
        for durations in service_durations(incident, timeline, now=now)
    )
    return PublicIncident(
        number=incident.number,
        uid=incident_uid(incident.guild_id, incident.number),
        title=incident.title,
        organisation=incident.organisation,
        description=incident.description,
        impact=incident.impact,
        sector=incident.sector,
        sector_key=name_key(incident.sector),
        territories=incident.territories,
        severity=incident.severity.value,
        status=incident.status.value,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at if incident.status == Status.RESOLVED else None,
        eta=incident.eta,
        workaround=incident.workaround.text if incident.workaround is not None else None,
        updated_at=max([incident.started_at, *(update.at for update in updates)]),
        duration=total_duration(incident, now=now),
        services=services,
        updates=updates,
    )


def _state_of(incident: Incident, key: str) -> str:
    for service in incident.services:
        if service.key == key:
            return service.state.value
    return "restored"


def shown_on_page(incidents: Iterable[PublicIncident], *, now: datetime) -> tuple[PublicIncident, ...]:
    """Open incidents first (latest start first), then those resolved in the last 90 days (latest end first)."""
    listed = list(incidents)
    open_ones = sorted((i for i in listed if i.is_open), key=lambda i: i.started_at, reverse=True)
    since = now - HISTORY
    closed = sorted(
        (i for i in listed if not i.is_open and i.resolved_at is not None and i.resolved_at >= since),
        key=lambda i: i.resolved_at or i.started_at,
        reverse=True,
    )
    return (*open_ones, *closed)


@dataclass(frozen=True)
class Scope:
    """What a page, feed or API answer covers: the whole server, one sector (its key) or one territory (its ref)."""

    kind: Literal["server", "sector", "territory"] = "server"
    key: str = ""


SERVER = Scope()


def sector_scope(typed: str) -> Scope | None:
    """The sector named in an address, which must be its key exactly (`name_key`: one address per sector)."""
    return Scope("sector", typed) if typed and len(typed) <= 100 and name_key(typed) == typed else None


def territory_scope(typed: str) -> Scope | None:
    """The territory named in an address by its ref ("FR", "R53", "29"), written as the page writes it."""
    if not (0 < len(typed) <= 4 and typed.isascii() and typed.isalnum()):
        return None
    try:
        territory = territory_data.get(typed)
    except territory_data.TerritoryError:
        return None
    return Scope("territory", territory.ref) if territory.ref == typed else None


def overlapping_refs(scope: Scope) -> tuple[str, ...]:
    """The territory refs an incident may carry to belong to a territory's page, as a route would match it:
    the territory itself, what contains it (its region, France) and what it contains (a region's départements)."""
    territory = territory_data.get(scope.key)
    return tuple(t.ref for t in territory_data.all_territories() if territory_data.overlaps(territory, t))


def in_scope(incident: PublicIncident | PublicMaintenance | PublicMaintenanceNews, scope: Scope) -> bool:
    """Whether a sector's or territory's page lists the incident (the store preselects by the same rule)."""
    if scope.kind == "sector":
        return incident.sector_key == scope.key
    if scope.kind == "territory":
        refs = set(overlapping_refs(scope))
        return any(ref in refs for ref in incident.territories)
    return True


# --- planned maintenance ---------------------------------------------------------------------------------------
#
# Only a maintenance the server made public (its `public` flag, the page's default when it was scheduled) shows.
# A cancelled one never does (nothing stopped), nor one turned into an incident (from then on it is that incident,
# shown when that incident is public). Its owner, its thread and its announcements stay inside: the public form has
# no field that could hold them.


MaintenanceState = Literal["planned", "in_progress", "ended"]


def maintenance_state(starts_at: datetime, ends_at: datetime, now: datetime) -> MaintenanceState:
    """What a reader is told of a maintenance at `now`: from the clock alone, never from how far its timer went (the
    bot may be down or late, a page kept): in progress from its start, ended from its (maybe extended) end."""
    if now >= ends_at:
        return "ended"
    return "in_progress" if now >= starts_at else "planned"


@dataclass(frozen=True)
class PublicMaintenance:
    number: int
    uid: str  # urn:uuid:…, stable (`maintenance_uid`)
    title: str
    organisation: str
    sector: str
    sector_key: str
    territories: tuple[str, ...]
    services: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime  # as planned
    ended_at: datetime | None
    workaround: str | None
    state: MaintenanceState

    @property
    def ended(self) -> bool:
        return self.state == "ended"


def maintenance_uid(guild_id: int, number: int) -> str:
    return uuid.uuid5(_IDS, f"maintenance:{guild_id}:{number}").urn


def public_maintenance(maintenance: Maintenance, *, now: datetime) -> PublicMaintenance | None:
    """The maintenance as the public may see it at `now`, or None when it must not show at all."""
    m = maintenance
    if not m.public or m.stage in (Stage.CANCELLED, Stage.CONVERTED):
        return None
    state = maintenance_state(m.starts_at, m.ends_at, now)
    return PublicMaintenance(
        number=m.number,
        uid=maintenance_uid(m.guild_id, m.number),
        title=m.title,
        organisation=m.organisation,
        sector=m.sector,
        sector_key=name_key(m.sector),
        territories=m.territories,
        services=m.services,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        # It ends at its (maybe extended) end, not when its timer ran (later if the bot was down then).
        ended_at=m.ends_at if state == "ended" else None,
        workaround=m.workaround,
        state=state,
    )


def maintenance_on_page(
    found: Iterable[PublicMaintenance], *, now: datetime
) -> tuple[tuple[PublicMaintenance, ...], tuple[PublicMaintenance, ...]]:
    """In progress or planned to start within `MAINTENANCE_AHEAD` (soonest first), then those ended in the last
    90 days (latest end first)."""
    listed = list(found)
    coming = sorted(
        (m for m in listed if not m.ended and m.starts_at <= now + MAINTENANCE_AHEAD),
        key=lambda m: (m.starts_at, m.number),
    )
    since = now - HISTORY
    past = sorted(
        (m for m in listed if m.ended_at is not None and m.ended_at >= since),
        key=lambda m: (m.ended_at or m.ends_at, m.number),
        reverse=True,
    )
    return tuple(coming), tuple(past)


def maintenance_changes_at(listed: Iterable[PublicMaintenance], *, now: datetime) -> datetime | None:
    """The next moment what is shown of `listed` changes by the clock alone (a start or an end after `now`): a page
    kept from before it is rendered again (bot/web/cache.py), with no write to move the server's version."""
    times = [at for m in listed for at in (m.starts_at, m.ends_at) if at > now]
    return min(times, default=None)


# A maintenance's messages (scheduled, rescheduled, extended, started, ended, cancelled, turned into an incident),
# as recorded when told (migration 0015): its feed entries. Only a public maintenance's, cancelled and converted
# ones included (their readers learn it is off, or followed as an incident from then on); each tells the times as
# they were then, so that an entry never changes after its `updated`.


@dataclass(frozen=True)
class PublicMaintenanceNews:
    uid: str  # urn:uuid:…, stable (`maintenance_message_uid`)
    number: int
    place: int
    title: str
    organisation: str
    sector: str
    sector_key: str
    territories: tuple[str, ...]
    kind: str
    at: datetime
    starts_at: datetime
    ends_at: datetime


def maintenance_message_uid(guild_id: int, number: int, place: int) -> str:
    """The id of a maintenance's message at `place` (0 is its scheduling): messages are only ever appended."""
    return uuid.uuid5(_IDS, f"maintenance-message:{guild_id}:{number}:{place}").urn


def maintenance_news(maintenance: Maintenance, told: Iterable[ToldMessage]) -> tuple[PublicMaintenanceNews, ...]:
    """The messages of `maintenance` the public may read: none of a maintenance that is not public."""
    m = maintenance
    if not m.public:
        return ()
    return tuple(
        PublicMaintenanceNews(
            uid=maintenance_message_uid(m.guild_id, m.number, message.place),
            number=m.number,
            place=message.place,
            title=m.title,
            organisation=m.organisation,
            sector=m.sector,
            sector_key=name_key(m.sector),
            territories=m.territories,
            kind=message.kind.value,
            at=message.at,
            starts_at=message.starts_at,
            ends_at=message.ends_at,
        )
        for message in told
    )


FeedEntry = tuple[PublicIncident, PublicUpdate] | PublicMaintenanceNews


def entry_at(entry: FeedEntry) -> datetime:
    """A feed entry's time (its `updated`)."""
    return entry.at if isinstance(entry, PublicMaintenanceNews) else entry[1].at


def _told_order(news: PublicMaintenanceNews) -> tuple[datetime, int, int]:
    return news.at, news.number, news.place


def feed_entries(incidents: Iterable[PublicIncident], news: Iterable[PublicMaintenanceNews] = ()) -> list[FeedEntry]:
    """A feed's entries: each public update of the incidents listed and each public maintenance message, newest
    first, `FEED_ENTRIES` at most. Messages of one moment: the latest written first, as an incident's updates."""
    entries: list[FeedEntry] = [(incident, update) for incident in incidents for update in incident.updates]
    told: list[PublicMaintenanceNews] = sorted(news, key=_told_order, reverse=True)
    entries.extend(told)
    entries.sort(key=entry_at, reverse=True)  # stable: one incident's, and the messages', keep their order
    return entries[:FEED_ENTRIES]
