"""What one board shows, and in which order.

A board lists every open incident it matches and every planned maintenance in progress or due within a day. It
matches like a route (bot/incidents/rules/routing.py): its territory overlaps one of the incident's, and its
sector, if it has one, is the incident's; a board with neither shows everything of its server.

Order: the worst first (critical, major, minor); within a severity the oldest outage first (it has been
hurting longest), then the lower number. When the board cannot hold everything (Discord's limits, see
presentation.py), what it leaves out is always the end of that order: the least severe, summed up as "+N more".

Decided where the issue is silent:
- An incident whose committed next update time has passed is shown "late since" that time (the same flag as in
  its status message, `update_late_since`); it keeps its place in the order: lateness is news about the
  coordinator, not about the outage.
- Maintenance comes after the incidents: a planned stop hurts less than an unplanned one of the same size.
  Maintenance in progress first, then what starts within `MAINTENANCE_HORIZON`, by start time. The
  maintenance feature (bot/maintenance) hands them in as `PlannedStop`s, read from its store.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from bot.incidents.rules.model import Incident, update_late_since
from bot.incidents.rules.routing import Route, route_matches
from bot.settings.rules.model import SetupError

# Planned maintenance appears on boards this long before it starts.
MAINTENANCE_HORIZON = timedelta(hours=24)


@dataclass(frozen=True, kw_only=True)
class Board:
    """A board as an admin set it up: where it lives and what it is restricted to."""

    id: int
    guild_id: int
    channel_id: int
    territory: str | None = None  # a territory ref ("FR", "R53", "29")
    sector: str | None = None  # a sector key

    def matches(self, territories: Iterable[str], sector: str | None) -> bool:
        """Like a route (bot/incidents/rules/routing.py), answered from a cache: every change of an incident asks
        it of every board for every open incident."""
        return _matches(self.territory, self.sector, tuple(territories), sector)

    def concerns(self, incident: Incident) -> bool:
        """Whether the board may show `incident`, open or not (a change of it may change the board)."""
        return incident.guild_id == self.guild_id and self.matches(incident.territories, incident.sector)


@functools.lru_cache(maxsize=65536)
def _matches(territory: str | None, sector: str | None, territories: tuple[str, ...], of_sector: str | None) -> bool:
    route = Route(id=0, guild_id=0, channel_id=0, territory=territory, sector=sector)
    return route_matches(route, territories, of_sector)


@dataclass(frozen=True, kw_only=True)
class PlannedStop:
    """A planned maintenance as boards and digests show it (bot/maintenance/rules.py `Maintenance.as_stop`)."""

    guild_id: int
    title: str
    organisation: str | None
    territories: tuple[str, ...]
    sector: str | None
    starts_at: datetime
    ends_at: datetime
    thread_id: int | None = None

    def in_progress(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


# The most incidents a board can list: the shortest an incident's lines can be is about a hundred characters, and a
# message holds 6,000. The store hands in only the first this many of a board's order, and counts the rest.
LISTED_AT_MOST = 60


@dataclass(frozen=True)
class BoardView:
    """What a board shows at one instant, in order."""

    at: datetime
    incidents: tuple[Incident, ...]
    # Incident number → when its committed next update became late.
    late: Mapping[int, datetime] = field(default_factory=lambda: MappingProxyType({}))
    stops: tuple[PlannedStop, ...] = ()
    # Open incidents the board matches beyond those handed in (past `LISTED_AT_MOST`): summed up as "+N more".
    unlisted: int = 0

    @property
    def empty(self) -> bool:
        return not self.incidents and not self.stops and not self.unlisted

    @property
    def open_count(self) -> int:
        return len(self.incidents) + self.unlisted


def incident_order(incident: Incident) -> tuple[int, datetime, int]:
    return (-incident.severity.rank, incident.started_at, incident.number)


def shows_incident(board: Board, incident: Incident) -> bool:
    return (
        incident.guild_id == board.guild_id
        and incident.is_open
        and board.matches(incident.territories, incident.sector)
    )


def shows_stop(board: Board, stop: PlannedStop, now: datetime) -> bool:
    """Maintenance in progress, or due to start within `MAINTENANCE_HORIZON`, that the board matches."""
    if stop.guild_id != board.guild_id or stop.ends_at <= now or stop.starts_at > now + MAINTENANCE_HORIZON:
        return False
    return board.matches(stop.territories, stop.sector)


def board_view(
    board: Board,
    incidents: Iterable[Incident],
    now: datetime,
    stops: Sequence[PlannedStop] = (),
    *,
    matching: int | None = None,
) -> BoardView:
    """The board at `now`, from `incidents` (any, or the first of the board's order); `matching` is how many open
    incidents the board matches in all when only the first of them were handed in."""
    shown = sorted((i for i in incidents if shows_incident(board, i)), key=incident_order)
    late = {i.number: since for i in shown if (since := update_late_since(i, now)) is not None}
    planned = sorted(
        (s for s in stops if shows_stop(board, s, now)), key=lambda s: (not s.in_progress(now), s.starts_at)
    )
    unlisted = max(0, matching - len(shown)) if matching is not None else 0
    return BoardView(now, tuple(shown), MappingProxyType(late), tuple(planned), unlisted)


# A server's boards, at most: each is edited at most once a second, and /setup lists them in one autocomplete.
MAX_BOARDS = 25


def check_new_board(boards: Sequence[Board], *, channel_id: int, territory: str | None, sector: str | None) -> None:
    """A board that is not there yet (the same channel and restriction), within the server's limit."""
    if any((b.channel_id, b.territory, b.sector) == (channel_id, territory, sector) for b in boards):
        raise SetupError("board.error.exists", channel=f"<#{channel_id}>")
    if len(boards) >= MAX_BOARDS:
        raise SetupError("board.error.too_many", maximum=MAX_BOARDS)
