"""A use case's result that an interaction handled twice answers again: kept as JSON with the interaction the
first time, read back from it the second, then marked `replayed`.

The JSON is the result's fields in order, `replayed` left out: times as ISO-8601 text, enumerations as their
value, tuples as lists, a nested result (a frozen dataclass) as the list of its fields. Reading back follows the
fields' types; a field missing from the JSON (an older row) takes its default, or None.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Self, Union, get_args, get_origin, get_type_hints


@dataclasses.dataclass(frozen=True)
class Replayable:
    """The base of such a result: the subclass declares `replayed: bool = False` among its fields."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "replayed"}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        hints = get_type_hints(cls)
        known: dict[str, Any] = {"replayed": True}
        for f in dataclasses.fields(cls):
            if f.name in data and f.name != "replayed":
                known[f.name] = _typed(hints[f.name], data[f.name])
            elif f.default is dataclasses.MISSING:
                known[f.name] = None
        return cls(**known)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [_plain(getattr(value, f.name)) for f in dataclasses.fields(value)]
    return value


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(kind for kind in get_args(hint) if kind is not type(None))
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        return tuple(_typed(item, each) for each in value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = get_type_hints(hint)
        return hint(*(_typed(hints[f.name], each) for f, each in zip(dataclasses.fields(hint), value, strict=True)))
    return hint(value)
