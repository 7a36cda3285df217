from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import discord.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.snowflakes import DISCORD_EPOCH_MS, SnowflakeFactory, snowflake_time

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_epoch() -> None:
    assert datetime.fromtimestamp(DISCORD_EPOCH_MS / 1000, tz=UTC) == datetime(2015, 1, 1, tzinfo=UTC)


def test_timestamp_round_trips_and_agrees_with_discord_py() -> None:
    ids = SnowflakeFactory(Clock(T0))
    sf = ids.next()
    assert snowflake_time(sf) == T0
    assert discord.utils.snowflake_time(sf) == T0


def test_increasing_within_a_millisecond_and_when_the_clock_goes_back() -> None:
    clock = Clock(T0)
    ids = SnowflakeFactory(clock)
    seen = [ids.next() for _ in range(5000)]  # more than the 4096 increments of one millisecond
    clock.now = T0 - timedelta(hours=1)
    seen.append(ids.next())
    clock.now = T0 + timedelta(seconds=10)
    seen.append(ids.next())
    assert seen == sorted(set(seen))
    assert snowflake_time(seen[-1]) == T0 + timedelta(seconds=10)


def test_naive_or_pre_epoch_clock_is_refused() -> None:
    with pytest.raises(ValueError):
        SnowflakeFactory(lambda: datetime(2026, 1, 1)).next()
    with pytest.raises(ValueError):
        SnowflakeFactory(Clock(datetime(2014, 1, 1, tzinfo=UTC))).next()


@given(st.lists(st.datetimes(min_value=datetime(2015, 1, 2), max_value=datetime(2090, 1, 1)), min_size=1, max_size=30))
def test_strictly_increasing_for_any_clock(moments: list[datetime]) -> None:
    clock = Clock(moments[0].replace(tzinfo=UTC))
    ids = SnowflakeFactory(clock)
    out = []
    for m in moments:
        clock.now = m.replace(tzinfo=UTC)
        out.append(ids.next())
    assert all(a < b for a, b in itertools.pairwise(out))
