"""Who acts: what a cog hands every use case about the member behind an interaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The member, in the server where they act, the roles they hold there (what coordinator checks and route
    roles are read from), and the interaction being answered (a repeated one is answered with its first
    result)."""

    guild_id: int
    user_id: int
    role_ids: frozenset[int] = frozenset()
    interaction_id: int | None = None
