"""`defer_if_slow`: one round trip for quick work, a deferral (Discord's 3 s) for slow work, errors passed on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.interactions.replies import defer_if_slow


class Response:
    """The part of an interaction's response `defer_if_slow` touches, recording what it was asked."""

    def __init__(self) -> None:
        self.deferrals: list[dict[str, Any]] = []

    def is_done(self) -> bool:
        return bool(self.deferrals)

    async def defer(self, **kwargs: Any) -> None:
        self.deferrals.append(kwargs)


class Interaction:
    def __init__(self) -> None:
        self.response = Response()


async def work(seconds: float, value: str = "done") -> str:
    await asyncio.sleep(seconds)
    return value


async def test_quick_work_is_answered_without_deferring() -> None:
    interaction = Interaction()
    assert await defer_if_slow(interaction, work(0), within=0.5) == "done"  # type: ignore[arg-type]
    assert interaction.response.deferrals == []


async def test_slow_work_defers_privately_then_gives_its_result() -> None:
    interaction = Interaction()
    assert await defer_if_slow(interaction, work(0.2), within=0.01) == "done"  # type: ignore[arg-type]
    assert interaction.response.deferrals == [{"ephemeral": True, "thinking": True}]


async def test_an_error_of_the_work_reaches_the_caller_and_nothing_is_deferred() -> None:
    async def refused() -> str:
        raise ValueError("refused")

    interaction = Interaction()
    with pytest.raises(ValueError, match="refused"):
        await defer_if_slow(interaction, refused(), within=0.5)  # type: ignore[arg-type]
    assert interaction.response.deferrals == []
