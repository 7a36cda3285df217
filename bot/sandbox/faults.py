"""Fault injection for the double: which request a planned fault hits.

Matching is pure: `take` is called once per incoming request and consumes one use of the first
pending fault whose method and path match. The server decides what to do with the returned fault
(answer `status`/`body` before or after the action, sleep `delay_s`, drop the connection, or hold a
429 for `retry_after` seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fault", "FaultPlan"]


@dataclass
class Fault:
    method: str | None
    path_pattern: str  # re.fullmatch against the path after /api/v10, e.g. r"/channels/123/messages"
    status: int | None = None
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    lose_response: bool = False  # perform the action, then close the connection without answering
    retry_after: float | None = None
    is_global: bool = False
    times: int = 1  # how many matching requests it affects; -1 = forever
    before_action: bool = True  # status faults answer without performing the action
    hits: int = field(default=0, compare=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be positive or -1 (forever)")
        if self.delay_s < 0:
            raise ValueError("delay_s must not be negative")
        self._regex = re.compile(self.path_pattern)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._regex.fullmatch(_strip_api_prefix(path)) is not None

    @property
    def exhausted(self) -> bool:
        return self.times != -1 and self.hits >= self.times


def _strip_api_prefix(path: str) -> str:
    # Accept a full request path too, so that callers cannot miss a fault by passing the raw path.
    path = path.split("?", 1)[0]
    match = re.match(r"/api/v\d+(?=/)", path)
    return path[match.end() :] if match else path


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def inject(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault matching the request, with one of its uses consumed."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.exhausted:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)
