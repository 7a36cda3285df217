"""A file the bot hands to a person: its name and its bytes (an export's file or part, a member's own data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedFile:
    name: str
    data: bytes
