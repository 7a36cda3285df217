"""The buttons under a private follow reply name their owner: anyone else is refused before anything changes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.interactions.access import NotAllowedError
from cogs.following import FollowChoice


@pytest.mark.parametrize("action", ["followdm", "nodm", "unfollow"])
async def test_a_follow_choice_is_refused_to_anyone_but_its_owner(action: str) -> None:
    button = FollowChoice(action, 1, 4, 500)
    intruder: Any = SimpleNamespace(guild_id=1, id=9, user=SimpleNamespace(id=501, roles=[]))
    bot: Any = SimpleNamespace()  # never reached: the refusal comes first
    with pytest.raises(NotAllowedError) as refused:
        await button._click(bot, intruder)
    assert refused.value.message_id == "follow.error.not_yours"
    assert FollowChoice.__discord_ui_compiled_template__.fullmatch(f"tocsin:{action}:1:4:500")
