"""Every role and member an option or a menu names is looked for in the server acted in, whatever the interaction
claims about it (bot/interactions/access.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.interactions.access import NotAllowedError, require_this_server_member, require_this_server_role

GUILD, OTHER_ROLE, MEMBER, STRANGER, ACTING = 1, 2, 3, 4, 5


class Guild:
    """What the checks ask of a guild: its cache, then Discord (fetches recorded)."""

    def __init__(self, roles: set[int], cached_roles: set[int], members: set[int]) -> None:
        self.roles, self.cached_roles, self.members = roles, cached_roles, members
        self.fetched: list[str] = []

    def get_role(self, role_id: int) -> object | None:
        return object() if role_id in self.cached_roles else None

    async def fetch_roles(self) -> list[Any]:
        self.fetched.append("roles")
        return [SimpleNamespace(id=r) for r in self.roles]

    def get_member(self, user_id: int) -> None:
        return None  # no members intent: the cache holds nobody

    async def fetch_member(self, user_id: int) -> object:
        self.fetched.append(f"member {user_id}")
        if user_id not in self.members:
            raise discord.NotFound(SimpleNamespace(status=404, reason="Not Found"), {"code": 10007, "message": "?"})
        return object()


def interaction(guild: Guild) -> Any:
    return SimpleNamespace(guild=guild, guild_id=GUILD, user=SimpleNamespace(id=ACTING))


async def test_a_role_of_this_server_passes_even_before_the_cache_knows_it() -> None:
    guild = Guild(roles={10, 11}, cached_roles={10}, members=set())
    await require_this_server_role(interaction(guild), 10)
    assert guild.fetched == []
    await require_this_server_role(interaction(guild), 11)  # made a moment ago
    assert guild.fetched == ["roles"]


async def test_a_role_of_another_server_is_refused() -> None:
    guild = Guild(roles={10}, cached_roles={10}, members=set())
    with pytest.raises(NotAllowedError) as refused:
        await require_this_server_role(interaction(guild), OTHER_ROLE)
    assert refused.value.message_id == "access.error.other_server_role"
    assert refused.value.args_map == {"role": f"<@&{OTHER_ROLE}>"}


async def test_a_member_is_asked_of_discord_and_a_stranger_refused() -> None:
    guild = Guild(roles=set(), cached_roles=set(), members={MEMBER})
    await require_this_server_member(interaction(guild), MEMBER)
    await require_this_server_member(interaction(guild), ACTING)  # whoever acts is a member, nothing asked
    with pytest.raises(NotAllowedError) as refused:
        await require_this_server_member(interaction(guild), STRANGER)
    assert refused.value.message_id == "access.error.other_server_member"
    assert guild.fetched == [f"member {MEMBER}", f"member {STRANGER}"]
