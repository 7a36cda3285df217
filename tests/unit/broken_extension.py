"""An extension whose set-up fails, standing for a cog with a bug (tests/unit/test_timers_without_their_cog.py)."""

from __future__ import annotations


async def setup(bot: object) -> None:
    raise RuntimeError("this cog does not load")
