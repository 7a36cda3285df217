"""What a person typed into a command's options or a form: every field None when left blank."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, kw_only=True)
class TypedFields:
    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))
