"""What members' reports mean, without Discord or the database.

- Reports name an organisation; two names are one organisation when they compare equal without case, accents,
  punctuation or surrounding spaces (`organisation_key`): "Cerp Bretagne-Atlantique" and "cerp bretagne
  atlantique " are one. A coordinator merges groups whose members named one organisation two ways.
- The reports about one organisation while its group is open form one group. A member counts once in a group,
  however often they report; their later reports add details. A group ends declared, attached to an incident,
  merged into another, set aside (with a reason; undoable) or withdrawn (every reporter took theirs back); a
  report after that opens a new group.
- The alert: a group whose reports come from `members` distinct members within any window of `window` minutes
  (defaults 3 in 60) alerts the coordinators, once per group. Reports set aside as abuse do not count.
- Against abuse: at most 3 reports per member in 10 minutes (the refusal says when to retry); past a cap of open
  cards per server, new groups are listed on one summary card instead of getting their own; a member marked as
  abusive has their reports set aside for 24 hours. A report is never refused because others reported much.
- A declaration from a card is held back when an open incident plausibly is the same outage (`same_outage`):
  about the same organisation, or sharing a service named, with territories overlapping (or either naming none).
  The coordinator attaches the card to it, or declares anyway.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.text import name_key
from bot.incidents.rules.routing import Route

# A member's reports: at most RATE_LIMIT within RATE_WINDOW (a person types fewer; a script or a stuck key more).
RATE_LIMIT = 3
RATE_WINDOW = timedelta(minutes=10)
# The alert rule's defaults and the bounds `/setup reports` accepts: two members at least (one is no
# corroboration), a window from 5 minutes to a day.
DEFAULT_ALERT_MEMBERS = 3
DEFAULT_ALERT_WINDOW_MINUTES = 60
ALERT_MEMBERS_BOUNDS = (2, 50)
ALERT_WINDOW_BOUNDS = (5, 1440)
# Past this many open groups with a card of their own, new groups share one summary card.
OPEN_CARDS_CAP = 40
# A member marked as abusive has their reports set aside for this long.
ABUSE_FOR = timedelta(hours=24)
# A new group says so when an incident about the same organisation was resolved this recently.
RESOLVED_RECENTLY = timedelta(days=7)
# `/following` lists a member's reports of this period.
LISTED_FOR = timedelta(days=30)
# How many of the latest details a card shows.
SHOWN_DETAILS = 3


class ReportError(TocsinError):
    """A report or a decision that cannot be made as asked; the sentence says why and what to do."""


class GroupStatus(StrEnum):
    OPEN = "open"
    DECLARED = "declared"
    ATTACHED = "attached"
    MERGED = "merged"
    SET_ASIDE = "set_aside"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self == GroupStatus.OPEN


class ReportState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    ABUSE = "abuse"  # set aside because its author was marked as abusive: kept, never counted


_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=4096)
def organisation_key(text: str) -> str:
    """How organisation names compare: no case, no accents, punctuation as spaces, spaces collapsed. Kept for the
    names met lately: every report compares its organisation with each open group's and incident's."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", bare).strip()


# --- the alert ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRule:
    members: int = DEFAULT_ALERT_MEMBERS
    window_minutes: int = DEFAULT_ALERT_WINDOW_MINUTES

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


def check_alert_rule(members: int | None, window_minutes: int | None) -> None:
    """`ReportError` naming the bounds of a value `/setup reports` cannot take."""
    low, high = ALERT_MEMBERS_BOUNDS
    if members is not None and not low <= members <= high:
        raise ReportError("report.error.threshold_bounds", low=low, high=high)
    low, high = ALERT_WINDOW_BOUNDS
    if window_minutes is not None and not low <= window_minutes <= high:
        raise ReportError("report.error.window_bounds", low=low, high=high)


@dataclass(frozen=True)
class GroupReport:
    """One report of a group, as the rules need it."""

    user_id: int
    at: datetime
    services: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()  # territory refs
    since: datetime | None = None
    details: str | None = None
    counted: bool = True  # False once withdrawn or set aside as abuse


@dataclass(frozen=True)
class TypedReport:
    """A report as read: what was typed, cleaned and understood in the server's time zone."""

    organisation: str
    key: str
    services: tuple[str, ...]
    territories: tuple[str, ...]
    since: datetime | None
    details: str | None

    def arguments(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "services": list(self.services),
            "territories": list(self.territories),
            "since": self.since.isoformat() if self.since else None,
            "details": self.details,
        }


def threshold_met(reports: Iterable[GroupReport], rule: AlertRule) -> bool:
    """Whether counted reports from `rule.members` distinct members fall within one window of
    `rule.window_minutes` (both ends included), whatever order they are given in."""
    events = sorted(((r.at, r.user_id) for r in reports if r.counted), key=lambda e: e[0])
    inside: Counter[int] = Counter()
    left = 0
    for at, user_id in events:
        inside[user_id] += 1
        while at - events[left][0] > rule.window:
            leaving = events[left][1]
            inside[leaving] -= 1
            if inside[leaving] == 0:
                del inside[leaving]
            left += 1
        if len(inside) >= rule.members:
            return True
    return False


@dataclass(frozen=True)
class GroupFacts:
    """What a card shows of a group: distinct members and reports counted, the first and last report, the
    services and territories named (each once, in the order first named), the earliest "since", and the
    latest details (newest first)."""

    members: int = 0
    reports: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    services: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    earliest_since: datetime | None = None
    details: tuple[tuple[datetime, str], ...] = ()
    member_ids: tuple[int, ...] = ()  # in the order they first reported


def summarise(reports: Sequence[GroupReport]) -> GroupFacts:
    counted = sorted((r for r in reports if r.counted), key=lambda r: r.at)
    if not counted:
        return GroupFacts()
    services: dict[str, str] = {}
    territories: dict[str, None] = {}
    members: dict[int, None] = {}
    for report in counted:
        members.setdefault(report.user_id)
        for name in report.services:
            services.setdefault(name_key(name), name)
        for ref in report.territories:
            territories.setdefault(ref)
    sinces = [r.since for r in counted if r.since is not None]
    details = tuple((r.at, r.details) for r in reversed(counted) if r.details)[:SHOWN_DETAILS]
    return GroupFacts(
        members=len(members),
        reports=len(counted),
        first_at=counted[0].at,
        last_at=counted[-1].at,
        services=tuple(services.values()),
        territories=tuple(territories),
        earliest_since=min(sinces) if sinces else None,
        details=details,
        member_ids=tuple(members),
    )


@dataclass(frozen=True)
class Addition:
    """A report added to a group: the group's facts after it, whether its member had already reported in the
    group (counted once), and whether the group alerts now."""

    facts: GroupFacts
    again: bool
    alert: bool


def add(existing: Sequence[GroupReport], new: GroupReport, rule: AlertRule, *, alerted: bool) -> Addition:
    again = any(r.user_id == new.user_id and r.counted for r in existing)
    reports = [*existing, new]
    alert = not alerted and new.counted and threshold_met(reports, rule)
    return Addition(summarise(reports), again, alert)


# --- against abuse --------------------------------------------------------------------------------------------


def retry_at(recent: Iterable[datetime], now: datetime) -> datetime | None:
    """When a member who made the reports at `recent` may report again; None if they may now."""
    inside = sorted(at for at in recent if now - at < RATE_WINDOW)
    if len(inside) < RATE_LIMIT:
        return None
    return inside[-RATE_LIMIT] + RATE_WINDOW


def check_rate(recent: Iterable[datetime], now: datetime) -> None:
    again = retry_at(recent, now)
    if again is not None:
        raise ReportError(
            "report.error.too_many",
            count=RATE_LIMIT,
            minutes=int(RATE_WINDOW.total_seconds() // 60),
            retry=int(again.timestamp()),
        )


def has_own_card(open_cards: int, cap: int = OPEN_CARDS_CAP) -> bool:
    """Whether a new group gets a card of its own, or is listed on the server's summary card."""
    return open_cards < cap


def abusive(marked_until: datetime | None, now: datetime) -> bool:
    return marked_until is not None and now < marked_until


@dataclass(frozen=True)
class MemberReport:
    """One line of `/following`: a report of the member's and what became of it."""

    organisation: str
    at: datetime
    outcome: str  # "open", "joined" (an incident directly), a group status, "withdrawn", "abuse"
    number: int | None = None  # the incident it became or joined
    reason: str | None = None  # why it was set aside


# --- from reports to a declaration ----------------------------------------------------------------------------


def common_sector(reporters_roles: Sequence[frozenset[int]], routes: Sequence[Route]) -> str | None:
    """The sector every reporter belongs to, as the routes' roles tell it: the one sector whose routes' roles
    each reporter holds one of; None when there is none, or more than one."""
    if not reporters_roles:
        return None
    by_sector: dict[str, tuple[str, set[int]]] = {}
    for route in routes:
        if route.sector is not None and route.role_id is not None:
            by_sector.setdefault(name_key(route.sector), (route.sector, set()))[1].add(route.role_id)
    found = [name for name, roles in by_sector.values() if all(held & roles for held in reporters_roles)]
    return found[0] if len(found) == 1 else None


# At most this many open incidents are named when a declaration is held back as a likely second one.
SAME_OUTAGE_SHOWN = 3


@dataclass(frozen=True)
class OpenOutage:
    """An open incident of the server, as the same-outage rule sees it."""

    number: int
    title: str
    organisation: str | None
    services: tuple[str, ...]  # names or keys: compared by `name_key`
    territories: tuple[str, ...]  # territory refs


def same_outage(
    open_incidents: Iterable[OpenOutage],
    *,
    organisation: str | None,
    services: Iterable[str],
    territories: Iterable[str],
) -> tuple[OpenOutage, ...]:
    """The open incidents a declaration (its organisation, services and territory refs) plausibly is a second one
    of: the same organisation as `organisation_key` compares it, or, when services are named, one of them shared
    as `name_key` compares it; and a territory overlapping, or either side naming none. Newest first, at most
    `SAME_OUTAGE_SHOWN`."""
    key = organisation_key(organisation) if organisation else ""
    service_keys = {name_key(s) for s in services} - {""}
    typed = [territory_data.get(ref) for ref in territories]
    found = []
    for candidate in sorted(open_incidents, key=lambda o: -o.number):
        same_organisation = bool(key) and candidate.organisation is not None
        same_organisation = same_organisation and organisation_key(candidate.organisation or "") == key
        shared_service = bool(service_keys & {name_key(s) for s in candidate.services})
        if not (same_organisation or shared_service):
            continue
        theirs = [territory_data.get(ref) for ref in candidate.territories]
        if typed and theirs and not any(territory_data.overlaps(a, b) for a in typed for b in theirs):
            continue
        found.append(candidate)
    return tuple(found[:SAME_OUTAGE_SHOWN])
