"""What the outage use cases answer: the facts the private reply words, each replayable (an interaction handled
once is answered again with its first result, read back from its JSON), and what a reading command leaves in
the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.common.replayable import Replayable
from bot.incidents.rules.lifecycle import Update
from bot.incidents.rules.model import Status
from bot.incidents.store import IncidentSummary, StoredIncident


@dataclass(frozen=True)
class Sent:
    """One message a command planned, for the private reply's account of where it went: what it is ("status",
    "thread", "announcement", "news", "post": bot/incidents/presentation/delivery_report.py), the channel it is
    for, and its outbox row."""

    what: str
    channel_id: int
    row: int


@dataclass(frozen=True)
class DeclareResult(Replayable):
    number: int
    title: str
    thread_row: int
    incident_channel_id: int
    started_at: datetime
    eta: datetime | None
    channels: tuple[int, ...]
    replayed: bool = False
    sent: tuple[Sent, ...] = ()


@dataclass(frozen=True)
class ChangeResult(Replayable):
    """What a change did, for the private reply: the incident as it now is, the times understood, the
    channels that got a new message, the channels added or withdrawn by a correction, and the messages planned
    (the reply says where they went once the outbox has settled them)."""

    number: int
    title: str
    status: Status
    thread_row: int | None
    thread_id: int | None
    eta: datetime | None = None
    next_update_at: datetime | None = None
    news_channels: tuple[int, ...] = ()
    added_channels: tuple[int, ...] = ()
    removed_channels: tuple[int, ...] = ()
    replayed: bool = False
    sent: tuple[Sent, ...] = ()


@dataclass(frozen=True)
class ClickResult:
    number: int
    new: bool
    affected_count: int = 0


@dataclass(frozen=True)
class ReadAudit:
    """What a reading command leaves in the audit log (who looked at what). The command writes it with
    `record_read` once its reply is on its way: a read needs no transaction, and the reply need not wait for the
    writer."""

    guild_id: int
    user_id: int | None
    action: str
    arguments: dict[str, Any]
    result: str


@dataclass(frozen=True)
class ListResult:
    incidents: tuple[IncidentSummary, ...]
    more: bool
    period: tuple[datetime, datetime] | None = None
    audit: ReadAudit | None = None


@dataclass(frozen=True)
class ShowResult:
    stored: StoredIncident
    entries: tuple[Update, ...] = field(default=())
    audit: ReadAudit | None = None
