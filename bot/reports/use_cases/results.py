"""What the reports' use cases take and answer: what a member typed, and the facts the private reply words (each
replayable: an interaction handled once is answered again with its first result, read back from its JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.storage.times import optional_time


@dataclass(frozen=True, kw_only=True)
class ReportInput:
    organisation: str | None = None
    services: str | None = None
    territories: str | None = None
    since: str | None = None
    details: str | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


class ReportOutcome(StrEnum):
    RECORDED = "recorded"  # counted in a group that no incident answers yet
    AGAIN = "again"  # the member had already reported in that group: counted once, details added
    DECLARED = "declared"  # an open incident is about that organisation: the member is affected and follows it


@dataclass(frozen=True)
class ReportResult:
    outcome: ReportOutcome
    organisation: str
    report_id: int
    group_id: int | None = None
    since: datetime | None = None
    number: int | None = None  # the incident, when already declared
    title: str | None = None
    thread_id: int | None = None
    incident_channel_id: int | None = None
    resolved_lately: int | None = None  # a new group: an incident about it resolved recently, its number
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "organisation": self.organisation,
            "report_id": self.report_id,
            "group_id": self.group_id,
            "since": self.since.isoformat() if self.since else None,
            "number": self.number,
            "title": self.title,
            "thread_id": self.thread_id,
            "incident_channel_id": self.incident_channel_id,
            "resolved_lately": self.resolved_lately,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportResult:
        since = data.get("since")
        return cls(
            outcome=ReportOutcome(data["outcome"]),
            organisation=str(data["organisation"]),
            report_id=int(data["report_id"]),
            group_id=data.get("group_id"),
            since=optional_time(since) if since else None,
            number=data.get("number"),
            title=data.get("title"),
            thread_id=data.get("thread_id"),
            incident_channel_id=data.get("incident_channel_id"),
            resolved_lately=data.get("resolved_lately"),
            replayed=True,
        )


@dataclass(frozen=True)
class WithdrawResult:
    organisation: str
    withdrawn: bool  # False: it was withdrawn already
