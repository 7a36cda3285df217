"""What `/tocsin about` reports: version, uptime, database and outbox state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import __version__
from bot.delivery import outbox
from bot.delivery.outbox import OutboxSummary
from bot.storage.store import Store


@dataclass(frozen=True)
class AboutReport:
    version: str
    uptime: timedelta
    schema_version: int
    database_path: str
    database_bytes: int
    outbox: OutboxSummary


async def about_report(store: Store, *, started_at: datetime, now: datetime) -> AboutReport:
    async with store.reading() as conn:
        summary = await outbox.summary(conn)
    stats = await store.stats()
    return AboutReport(
        version=__version__,
        uptime=now - started_at,
        schema_version=await store.schema_version(),
        database_path=str(store.path),
        database_bytes=int(stats.get("file_bytes", 0)),
        outbox=summary,
    )
