"""Routes: which channels announce an incident, and which roles they mention.

A route matches an incident when its territory overlaps one of the incident's territories (equal, or one
contains the other) and its sector, if it has one, is the incident's sector; a route with neither matches
everything. Sectors compare like service names (`text.name_key`), so "Pharmacie" and "pharmacie" are one.
A route of another server never matches: routes are read per server, and this is the last guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.common import territories as territory_data
from bot.common.text import name_key
from bot.incidents.rules.model import Incident


@dataclass(frozen=True, kw_only=True)
class Route:
    id: int
    guild_id: int
    channel_id: int
    territory: str | None = None  # a territory ref ("FR", "R53", "16")
    sector: str | None = None
    role_id: int | None = None


@dataclass(frozen=True)
class AnnouncementTarget:
    """One channel to announce in, with every role the matching routes there mention (in route order)."""

    channel_id: int
    role_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reroute:
    """After a correction: channels that must now get the announcement, those that must be told it no longer
    concerns them, and those that keep theirs (with their roles as they now are)."""

    added: tuple[AnnouncementTarget, ...]
    removed: tuple[AnnouncementTarget, ...]
    kept: tuple[AnnouncementTarget, ...]


def route_matches(route: Route, incident_territories: Iterable[str], sector: str | None) -> bool:
    if route.sector is not None and (sector is None or name_key(route.sector) != name_key(sector)):
        return False
    if route.territory is None:
        return True
    route_territory = territory_data.get(route.territory)
    return any(territory_data.overlaps(route_territory, territory_data.get(ref)) for ref in incident_territories)


def matching_routes(routes: Iterable[Route], incident: Incident) -> list[Route]:
    return [
        route
        for route in routes
        if route.guild_id == incident.guild_id and route_matches(route, incident.territories, incident.sector)
    ]


def announcement_targets(routes: Iterable[Route], incident: Incident) -> list[AnnouncementTarget]:
    """One target per channel, in the order of the first route that matches it; an empty list means no
    channel announces the incident (it is still created, and the coordinator is told)."""
    roles_by_channel: dict[int, list[int]] = {}
    for route in matching_routes(routes, incident):
        roles = roles_by_channel.setdefault(route.channel_id, [])
        if route.role_id is not None and route.role_id not in roles:
            roles.append(route.role_id)
    return [AnnouncementTarget(channel_id, tuple(roles)) for channel_id, roles in roles_by_channel.items()]


def reroute(old: Sequence[AnnouncementTarget], new: Sequence[AnnouncementTarget]) -> Reroute:
    old_channels = {t.channel_id for t in old}
    new_channels = {t.channel_id for t in new}
    return Reroute(
        added=tuple(t for t in new if t.channel_id not in old_channels),
        removed=tuple(t for t in old if t.channel_id not in new_channels),
        kept=tuple(t for t in new if t.channel_id in old_channels),
    )
