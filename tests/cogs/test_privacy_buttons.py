"""The buttons of `/privacy` and of `/setup forget-member` name whom they are for: a replayed custom id is refused
to anyone else (another member, another server, an admin who did not ask, someone without Manage Server) before
anything is read or erased."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.interactions.access import NotAllowedError
from cogs.privacy import ForgetMemberConfirm, PrivacyChoice

BOT: Any = SimpleNamespace()  # never reached: the refusal comes first


def clicked(user: int, guild: int = 1, *, manage_guild: bool = False) -> Any:
    return SimpleNamespace(
        guild_id=guild, id=9, user=SimpleNamespace(id=user), permissions=SimpleNamespace(manage_guild=manage_guild)
    )


@pytest.mark.parametrize("action", ["export", "forget", "confirm"])
@pytest.mark.parametrize("who", [clicked(501), clicked(500, guild=2)])
async def test_a_privacy_button_is_refused_to_anyone_but_its_member_in_its_server(action: str, who: Any) -> None:
    assert PrivacyChoice.__discord_ui_compiled_template__.fullmatch(f"tocsin:privacy:{action}:1:500")
    with pytest.raises(NotAllowedError) as refused:
        await PrivacyChoice(action, 1, 500)._click(BOT, who)
    assert refused.value.message_id == "privacy.error.not_yours"


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (clicked(700, manage_guild=False), "access.error.admin_only"),
        (clicked(701, manage_guild=True), "privacy.error.not_yours"),
        (clicked(700, guild=2, manage_guild=True), "privacy.error.not_yours"),
    ],
)
async def test_a_forget_member_confirmation_is_for_the_admin_who_asked(who: Any, why: str) -> None:
    assert ForgetMemberConfirm.__discord_ui_compiled_template__.fullmatch("tocsin:privacy:forgetmember:1:500:700")
    with pytest.raises(NotAllowedError) as refused:
        await ForgetMemberConfirm(1, 500, 700)._click(BOT, who)
    assert refused.value.message_id == why
