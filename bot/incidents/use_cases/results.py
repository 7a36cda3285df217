"""What the outage use cases answer: the facts the private reply words, each replayable (an interaction handled
once is answered again with its first result, read back from its JSON), and what a reading command leaves in
the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

    def to_json(self) -> list[Any]:
        return [self.what, self.channel_id, self.row]

    @classmethod
    def all_from_json(cls, data: Any) -> tuple[Sent, ...]:
        return tuple(cls(str(what), int(channel), int(row)) for what, channel, row in data or ())


@dataclass(frozen=True)
class DeclareResult:
    number: int
    title: str
    thread_row: int
    incident_channel_id: int
    started_at: datetime
    eta: datetime | None
    channels: tuple[int, ...]
    replayed: bool = False
    sent: tuple[Sent, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "thread_row": self.thread_row,
            "incident_channel_id": self.incident_channel_id,
            "started_at": self.started_at.isoformat(),
            "eta": self.eta.isoformat() if self.eta else None,
            "channels": list(self.channels),
            "sent": [item.to_json() for item in self.sent],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclareResult:
        return cls(
            number=int(data["number"]),
            title=str(data["title"]),
            thread_row=int(data["thread_row"]),
            incident_channel_id=int(data["incident_channel_id"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            eta=datetime.fromisoformat(data["eta"]) if data.get("eta") else None,
            channels=tuple(int(c) for c in data["channels"]),
            replayed=True,
            sent=Sent.all_from_json(data.get("sent")),
        )


@dataclass(frozen=True)
class ChangeResult:
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

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "status": self.status.value,
            "thread_row": self.thread_row,
            "thread_id": self.thread_id,
            "eta": self.eta.isoformat() if self.eta else None,
            "next_update_at": self.next_update_at.isoformat() if self.next_update_at else None,
            "news_channels": list(self.news_channels),
            "added_channels": list(self.added_channels),
            "removed_channels": list(self.removed_channels),
            "sent": [item.to_json() for item in self.sent],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeResult:
        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            number=int(data["number"]),
            title=str(data["title"]),
            status=Status(data["status"]),
            thread_row=data.get("thread_row"),
            thread_id=data.get("thread_id"),
            eta=when("eta"),
            next_update_at=when("next_update_at"),
            news_channels=tuple(data.get("news_channels", ())),
            added_channels=tuple(data.get("added_channels", ())),
            removed_channels=tuple(data.get("removed_channels", ())),
            replayed=True,
            sent=Sent.all_from_json(data.get("sent")),
        )


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
