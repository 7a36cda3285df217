"""The news of a declared incident: `/outage update`, `resolve` and `reopen`; and a member's "Affected too",
which also follows the incident."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.following import use_cases as following
from bot.incidents import store as repo
from bot.incidents.rules import lifecycle as rules
from bot.incidents.rules.lifecycle import Outcome
from bot.incidents.rules.service_changes import ServiceChange, parse_service_changes
from bot.incidents.store import StoredIncident
from bot.incidents.use_cases.commands import OutageCommands, finish
from bot.incidents.use_cases.deliveries import ChangeContext, plan_changed
from bot.incidents.use_cases.results import ChangeResult, ClickResult
from bot.incidents.use_cases.typed_input import OutageError, UpdateInput, field_error, typed_arguments, typed_time
from bot.settings.rules.config import GuildConfig


class Updating(OutageCommands):
    async def update(self, actor: Actor, number: int, typed: UpdateInput, *, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            changes: list[ServiceChange] = []
            if typed.services is not None and typed.services.strip():
                try:
                    changes = parse_service_changes(typed.services)
                except TocsinError as exc:
                    raise field_error("outage.field.services", exc) from None
            request = rules.UpdateRequest(
                status=typed.status,
                note=typed.note,
                service_changes=changes,
                eta=typed_time(typed.eta, "outage.field.eta", config, now, "future"),
                workaround=typed.workaround,
                next_update_at=typed_time(typed.next_update, "outage.field.next_update", config, now, "future"),
                severity=typed.severity,
                silent=typed.silent,
                internal=typed.internal,
            )
            outcome = rules.apply_update(stored.incident, request, at=now, by=actor.user_id)
            new_services = [(s.key, s.name) for s in outcome.incident.services]
            await repo.remember_service_names(conn, actor.guild_id, new_services, at=now)
            return outcome, ChangeContext.of(config)

        return await self._change(actor, number, "outage update", typed_arguments(typed), decide, now=now)

    async def resolve(
        self, actor: Actor, number: int, *, summary: str | None, silent: bool, now: datetime
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            outcome = rules.resolve(stored.incident, note=summary, at=now, by=actor.user_id)
            if silent:
                outcome = Outcome(
                    outcome.incident,
                    tuple(replace(e, silent=True) for e in outcome.entries),
                    replace(outcome.announce, silent=True, dm_followers=False),
                )
            await repo.clear_thread_archived(conn, stored.id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "summary": summary, "silent": silent}
        return await self._change(actor, number, "outage resolve", arguments, decide, now=now)

    async def reopen(self, actor: Actor, number: int, *, reason: str | None, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            outcome = rules.reopen(stored.incident, note=reason, at=now, by=actor.user_id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "reason": reason}
        return await self._change(actor, number, "outage reopen", arguments, decide, now=now)

    async def affected(self, actor: Actor, guild_id: int, number: int, *, now: datetime) -> ClickResult:
        """ "Affected too": counted once per member (and followed); open to every member who sees the button."""
        if guild_id != actor.guild_id:  # a button copied from another server's message
            raise OutageError("outage.error.incident_unknown", number=number)
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, actor.guild_id)
            stored = await repo.get(conn, actor.guild_id, number)
            if stored is None:
                raise OutageError("outage.error.incident_unknown", number=number)
            if not stored.incident.is_open:
                raise OutageError("outage.error.closed_for_clicks", number=number)
            saved, new = await count_affected(conn, config, stored, actor.user_id, now=now)
            count = saved.incident.affected_count
            await following.follow(conn, stored, actor.user_id, now=now)
            result = "counted" if new else "already"
            await finish(conn, actor, "button affected", {"incident": number}, f"#{number}: {result}", {}, now)
        return ClickResult(number=number, new=new, affected_count=count)


async def count_affected(
    conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident, user_id: int, *, now: datetime
) -> tuple[StoredIncident, bool]:
    """A member affected by an open incident, counted once ("Affected too", a report about it): the incident
    as it then is, and whether the member is new; a new one edits the standing messages (edits ping nobody)."""
    if not await repo.add_affected(conn, stored.id, user_id, at=now):
        return stored, False
    outcome = rules.record_affected(stored.incident, at=now, by=user_id)
    saved = await repo.save(conn, stored, outcome.incident)
    await plan_changed(conn, saved, outcome.entries, outcome.announce, ChangeContext.of(config), now=now)
    await repo.append_updates(conn, stored.id, outcome.entries, thread_post_row=None)
    return saved, True
