"""Nudges as a use case: for each open incident, the next thing the nudge rules (bot/reminders/rules/nudges.py) plan,
sent
when it comes due, with the bookkeeping that keeps them from being lost or doubled.

One call, `tick(incident_id, now)`, does everything in one unit of work: it loads the incident's facts and its
bookkeeping (`incident_nudges`), sends what `due_now` says is due (none when a timer was made stale by an update,
a resolution or a new ETA), records what was sent and returns when the next item is due. The caller (cogs/
reminders.py) points the incident's one scheduler job at that time; it calls `tick` again after every change of
the incident and, at start-up, for every open incident, so a nudge due while the bot was down is sent at once.

Decided where the issue is silent:
- Nudges and the ETA reminder are posted in the incident's thread and mention only the person they are for
  (`allowed_mentions.users` = that person). The bot-log note names the owner without pinging anyone: it is for
  the coordinators who read the log, not an alarm.
- An incident whose thread was never planned (rows written by hand) has nowhere to be nudged: it is skipped.
- When the clock jumps past several planned items (the bot was down for hours), one nudge is sent, late, and the
  cadence counts from then: a burst of stale nudges would tell the owner nothing more.
- Without a bot-log channel, the note is recorded as written (so the nudges stop as the rules say) but not sent.
- The bookkeeping notices an update by its time (`seen_update_at`), a new ETA or commitment by its value: a
  reminder is asked once per ETA, a nudge once per committed time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.common.i18n import Catalogue
from bot.common.working_time import WorkingTime
from bot.incidents import store as repo
from bot.incidents.store import StoredIncident
from bot.incidents.use_cases.deliveries import post_in_channel, post_in_thread
from bot.reminders.presentation import nudge_message
from bot.reminders.rules.nudges import (
    NudgeKind,
    NudgeState,
    PlannedNudge,
    after_nudge_sent,
    cadence_from_minutes,
    due_now,
    last_news_at,
    next_nudge,
)
from bot.reminders.store import nudges as book_repo
from bot.reminders.store.nudges import NudgeBook
from bot.settings.rules.config import GuildConfig, ServerDefaults
from bot.settings.use_cases import ServerUseCases
from bot.storage.store import Store

# Sending one item can make another due at once (the ETA reminder beside a nudge); a few rounds cover them all.
_MAX_ROUNDS = 4


def working_time(config: GuildConfig) -> WorkingTime:
    hours = config.hours
    return WorkingTime(
        days=hours.days,
        start=hours.start,
        end=hours.end,
        zone=config.zone,
        holidays_country=hours.holidays_country or None,
    )


def _same(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and b is not None and a == b


def state_of(stored: StoredIncident, book: NudgeBook, last_update_at: datetime) -> NudgeState:
    """The rules' facts from the incident and its bookkeeping; news later than the bookkeeping starts the
    count again."""
    incident = stored.incident
    fresh = book.seen_update_at is None or last_update_at > book.seen_update_at
    return NudgeState.of_incident(
        incident,
        last_update_at=last_update_at,
        last_nudge_at=book.last_nudge_at,
        consecutive_nudges=0 if fresh else book.consecutive_nudges,
        log_noted=False if fresh else book.log_noted,
        next_update_nudged=_same(incident.next_update_at, book.nudged_next_update_at),
        eta_reminded=_same(incident.eta, book.reminded_eta),
    )


def book_of(state: NudgeState, book: NudgeBook, planned: PlannedNudge | None) -> NudgeBook:
    return NudgeBook(
        last_nudge_at=state.last_nudge_at,
        consecutive_nudges=state.consecutive_nudges,
        log_noted=state.log_noted,
        next_update_nudged=state.next_update_nudged,
        eta_reminded=state.eta_reminded,
        planned_kind=planned.kind.value if planned else None,
        planned_at=planned.due_at if planned else None,
        seen_update_at=state.last_update_at,
        reminded_eta=state.eta if state.eta_reminded else book.reminded_eta,
        nudged_next_update_at=state.next_update_at if state.next_update_nudged else book.nudged_next_update_at,
    )


class Nudging(ServerUseCases):
    def __init__(self, store: Store, catalogue: Catalogue, defaults: ServerDefaults) -> None:
        super().__init__(store, defaults)
        self.catalogue = catalogue

    async def open_incidents(self) -> list[int]:
        async with self.store.reading() as conn:
            return await book_repo.open_incident_ids(conn)

    async def tick(self, incident_id: int, now: datetime) -> datetime | None:
        """Sends what is due for the incident at `now`, records it, and returns when the next item is due (None:
        nothing is planned — closed, or waiting for the next update)."""
        async with self.store.unit_of_work() as conn:
            stored = await repo.get_by_id(conn, incident_id)
            book = await book_repo.get(conn, incident_id)
            if stored is None or not stored.incident.is_open or stored.thread_row is None:
                if stored is not None and book.planned_at is not None:
                    await book_repo.put(conn, incident_id, replace(book, planned_kind=None, planned_at=None), now=now)
                return None
            config = await self.config(conn, stored.incident.guild_id)
            cadence = cadence_from_minutes(config.cadence_minutes)
            working = working_time(config)
            news = last_news_at(await repo.timeline(conn, incident_id)) or stored.incident.declared_at
            state = state_of(stored, book, news)
            for _ in range(_MAX_ROUNDS):
                due = due_now(state, now, cadence=cadence, working=working)
                if not due:
                    break
                await self._send(conn, stored, config, state, due[0], now)
                state = after_nudge_sent(state, due[0], now)
            planned = next_nudge(state, cadence=cadence, working=working)
            await book_repo.put(conn, incident_id, book_of(state, book, planned), now=now)
        return planned.due_at if planned else None

    async def _send(
        self,
        conn: aiosqlite.Connection,
        stored: StoredIncident,
        config: GuildConfig,
        state: NudgeState,
        planned: PlannedNudge,
        now: datetime,
    ) -> None:
        incident = stored.incident
        assert stored.thread_row is not None
        message = nudge_message(incident, state, planned, config.language, self.catalogue, zone=config.zone, now=now)
        if planned.kind == NudgeKind.LOG_NOTE:
            if config.bot_log_channel_id is not None:
                await post_in_channel(conn, incident.guild_id, config.bot_log_channel_id, message, now=now)
            return
        assert planned.to_user_id is not None
        await post_in_thread(conn, stored, message, now=now)
