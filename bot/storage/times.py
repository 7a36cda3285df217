"""How instants are stored: UTC ISO-8601 text with an explicit "+00:00", always with microseconds.

A fixed width keeps text comparison in SQL (`not_before <= ?`, `ORDER BY at`) equal to time order.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_db_time(dt: datetime) -> str:
    """The stored text of an aware instant; a naive datetime is refused, since its zone would be a guess."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"refusing to store a naive datetime ({dt!r}): pass an aware one")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    """The aware UTC instant of a stored text; a text without an offset is refused."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"stored time {text!r} has no UTC offset")
    return parsed.astimezone(UTC)


def optional_time(text: str | None) -> datetime | None:
    """`from_db_time` of a column that may be NULL."""
    return from_db_time(text) if text is not None else None
