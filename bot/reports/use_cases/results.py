"""What the reports' use cases take and answer: what a member typed, and the facts the private reply words (each
replayable: an interaction handled once is answered again with its first result, read back from its JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.common.replayable import Replayable
from bot.common.typed_fields import TypedFields


@dataclass(frozen=True, kw_only=True)
class ReportInput(TypedFields):
    organisation: str | None = None
    services: str | None = None
    territories: str | None = None
    since: str | None = None
    details: str | None = None


class ReportOutcome(StrEnum):
    RECORDED = "recorded"  # counted in a group that no incident answers yet
    AGAIN = "again"  # the member had already reported in that group: counted once, details added
    DECLARED = "declared"  # an open incident is about that organisation: the member is affected and follows it


@dataclass(frozen=True)
class ReportResult(Replayable):
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


@dataclass(frozen=True)
class WithdrawResult:
    organisation: str
    withdrawn: bool  # False: it was withdrawn already
