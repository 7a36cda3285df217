"""A file the bot hands to a person: its name and its bytes (a member's data, an export's sheets)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedFile:
    name: str
    data: bytes
