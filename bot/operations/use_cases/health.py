"""Whether the bot is ready to do its work (`/readyz`, bot/web/health.py): each check with what it found.

Ready means: connected to Discord's gateway; the database takes a write now (a real commit, so a full disk or a
read-only file shows, within a couple of seconds); the oldest message waiting in the outbox is younger than the
set age (older, the bot is not delivering: Discord refuses, or the worker is stuck); every kind of timer
registered (reminders, nudges and archives, the same state /tocsin about shows). Probes come often: the
database's answer is kept a second, so a burst of them costs one write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.common.i18n import Catalogue, Language, Msg
from bot.delivery import outbox
from bot.operations import store as figures
from bot.storage.store import Store
from bot.timers.clock import Clock
from bot.timers.registry import Timers

PROBE_TIMEOUT_S = 2.0
KEPT_S = 1.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: Msg


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self, catalogue: Catalogue, language: Language) -> dict[str, object]:
        return {
            "ready": self.ready,
            "checks": {
                check.name: {"ok": check.ok, "found": catalogue.word(language, check.found)} for check in self.checks
            },
        }


class HealthChecks:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        timers: Timers,
        *,
        gateway_connected: Callable[[], bool],
        outbox_max_age: timedelta,
    ) -> None:
        self.store = store
        self.clock = clock
        self.timers = timers
        self.gateway_connected = gateway_connected
        self.outbox_max_age = outbox_max_age
        self._kept: tuple[float, Check] | None = None

    async def readiness(self) -> Readiness:
        return Readiness((self._gateway(), await self._database(), await self._outbox(), self._timers()))

    def _gateway(self) -> Check:
        connected = self.gateway_connected()
        return Check("gateway", connected, Msg.of("health.gateway.connected" if connected else "health.gateway.down"))

    async def _database(self) -> Check:
        if self._kept is not None and time.monotonic() - self._kept[0] < KEPT_S:
            return self._kept[1]
        found = await self._write_once()
        self._kept = (time.monotonic(), found)
        return found

    async def _write_once(self) -> Check:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S), self.store.unit_of_work() as conn:
                await figures.prove_writable(conn, now=self.clock.now())
        except TimeoutError:
            return Check("database", False, Msg.of("health.database.busy", seconds=int(PROBE_TIMEOUT_S)))
        except Exception as exc:
            return Check("database", False, Msg.of("health.database.refused", reason=str(exc)[:200]))
        return Check("database", True, Msg.of("health.database.writable"))

    async def _outbox(self) -> Check:
        async with self.store.reading() as conn:
            summary = await outbox.summary(conn)
        waiting = summary.pending + summary.in_flight
        oldest = summary.oldest_pending_at
        age = max(timedelta(0), self.clock.now() - oldest) if oldest is not None else timedelta(0)
        ok = age < self.outbox_max_age
        return Check(
            "outbox",
            ok,
            Msg.of(
                "health.outbox.moving" if ok else "health.outbox.stuck",
                waiting=Msg.of("health.outbox.waiting", count=waiting),
                age=int(age.total_seconds()),
                limit=int(self.outbox_max_age.total_seconds()),
            ),
        )

    def _timers(self) -> Check:
        return Check("timers", self.timers.ready, self.timers.state())
