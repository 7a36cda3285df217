"""What a follow means, without Discord or the database: what a member follows (an incident, a territory, a
sector), which route roles announce a territory or a sector, and when an incident's follow role must go.

Territory and sector follows give the roles of the routes that cover them: the announcements already mention
those roles, so following costs one request per role and nothing per announcement.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.common import territories as territory_data
from bot.common.errors import TocsinError
from bot.common.text import name_key
from bot.incidents.rules.model import Status
from bot.incidents.rules.routing import Route

_CLOSED = (Status.RESOLVED, Status.CANCELLED)


class FollowError(TocsinError):
    """A follow request that cannot be done as asked; the sentence says why."""


def status_closed(status: Status | None) -> bool:
    """Whether an incident in `status` has no follow role (resolved or cancelled: it is deleted at closing)."""
    return status in _CLOSED


def area(territory: str | None, sector: str | None) -> tuple[str, str]:
    """(kind, target) of a territory or sector follow, as subscriptions store it: the territory's ref, the
    sector's compared name."""
    if territory is not None and sector is not None:
        raise FollowError("follow.error.one_target")
    if territory is not None:
        try:
            return "territory", territory_data.lookup(territory).ref
        except TocsinError:
            raise FollowError("follow.error.territory_unknown", territory=territory[:50]) from None
    if sector is not None:
        return "sector", name_key(sector)
    raise FollowError("follow.error.nothing")


def covering_roles(routes: Sequence[Route], *, territory: str | None, sector: str | None) -> list[int]:
    """The roles of the routes that announce what a member follows.

    A sector follow: the routes of that sector (whatever their territory). A territory follow: the routes
    without a sector whose territory overlaps it (a sector route would ping for other trades). Both: the
    sector's routes whose territory, if any, overlaps."""
    wanted = territory_data.get(territory) if territory is not None else None
    roles: list[int] = []
    for route in routes:
        if route.role_id is None:
            continue
        if sector is not None:
            if route.sector is None or name_key(route.sector) != name_key(sector):
                continue
        elif route.sector is not None:
            continue
        if wanted is not None:
            if route.territory is None:
                if sector is None:
                    continue
            elif not territory_data.overlaps(territory_data.get(route.territory), wanted):
                continue
        if route.role_id not in roles:
            roles.append(route.role_id)
    return roles
