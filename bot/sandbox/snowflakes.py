"""Discord snowflakes for the double (developers/reference "Snowflakes").

Layout: milliseconds since the Discord epoch << 22 | worker (5 bits) << 17 | process (5 bits) << 12
| increment (12 bits). The factory reads a possibly simulated clock; ids stay strictly increasing
even if that clock stands still or moves back, because Discord's ids sort messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["DISCORD_EPOCH_MS", "SnowflakeFactory", "snowflake_time"]

DISCORD_EPOCH_MS = 1420070400000
_TIMESTAMP_SHIFT = 22


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    # Integer arithmetic on the timedelta avoids float rounding of the epoch seconds.
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class SnowflakeFactory:
    def __init__(self, clock: Callable[[], datetime], *, worker_id: int = 0, process_id: int = 0) -> None:
        if not (0 <= worker_id < 32 and 0 <= process_id < 32):
            raise ValueError("worker_id and process_id are 5-bit values")
        self._clock = clock
        self._node = (worker_id << 17) | (process_id << 12)
        self._last = 0

    def next(self) -> int:
        ms = _ms(self._clock()) - DISCORD_EPOCH_MS
        if ms < 0:
            raise ValueError("the clock is before the Discord epoch (2015-01-01)")
        candidate = (ms << _TIMESTAMP_SHIFT) | self._node
        if candidate <= self._last:
            # Same millisecond or a clock that went back: take the next increment after the last id,
            # spilling into the next millisecond when the 12-bit increment is used up.
            candidate = self._last + 1
        self._last = candidate
        return candidate


def snowflake_time(snowflake: int) -> datetime:
    ms = (int(snowflake) >> _TIMESTAMP_SHIFT) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
