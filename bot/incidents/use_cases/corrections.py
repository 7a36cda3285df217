"""Putting a declaration right: `/outage edit` (the declared facts, re-routing the announcements when the
territories or the sector change), `/outage cancel` (a false alarm or a duplicate: a duplicate hands its followers,
their DM choices and its "affected too" members to the original, in the cancellation's unit of work),
`/outage assign` (the hand-over to another coordinator, who then receives the nudges) and `/outage link` (two
outages marked related, or no longer). A change that concerns two outages stores and plans both in one unit."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.common.actor import Actor
from bot.following.use_cases import move_followers
from bot.incidents import store as repo
from bot.incidents.rules import lifecycle as rules
from bot.incidents.rules import links
from bot.incidents.rules.corrections import EditRequest, edit_facts
from bot.incidents.rules.lifecycle import Outcome
from bot.incidents.rules.model import CancelReason, Incident, Status
from bot.incidents.store import StoredIncident
from bot.incidents.store import links as links_repo
from bot.incidents.use_cases.commands import OutageCommands
from bot.incidents.use_cases.deliveries import ChangeContext, plan_changed
from bot.incidents.use_cases.results import ChangeResult
from bot.incidents.use_cases.typed_input import (
    EditInput,
    OutageError,
    resolve_sector,
    typed_arguments,
    typed_territories,
    typed_time,
)
from bot.settings.rules.config import GuildConfig


class Correcting(OutageCommands):
    async def edit(self, actor: Actor, number: int, typed: EditInput, *, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            request = EditRequest(
                title=typed.title,
                organisation=typed.organisation,
                impact=typed.impact,
                sector=resolve_sector(config, typed.sector) if typed.sector is not None else None,
                territories=typed_territories(typed.territories) if typed.territories is not None else None,
                severity=typed.severity,
                cause=typed.cause,
                started_at=typed_time(typed.started, "outage.field.started", config, now, "past"),
            )
            outcome = edit_facts(stored.incident, request, at=now, by=actor.user_id)
            context = ChangeContext.of(
                config,
                rename_thread=outcome.title_changed,
                reroute=outcome.reroute_needed and stored.incident.status != Status.CANCELLED,
            )
            return outcome, context

        return await self._change(actor, number, "outage edit", typed_arguments(typed), decide, now=now)

    async def cancel(
        self,
        actor: Actor,
        number: int,
        *,
        reason: CancelReason,
        duplicate_of: int | None,
        note: str | None,
        now: datetime,
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            original: Incident | None = None
            if duplicate_of is not None:
                other = await repo.get(conn, actor.guild_id, duplicate_of)
                if other is None:
                    raise OutageError("outage.error.incident_unknown", number=duplicate_of)
                original = other.incident
            outcome = rules.cancel(stored.incident, reason, duplicate_of=original, note=note, at=now, by=actor.user_id)
            if original is not None:
                await self._hand_over(conn, config, stored, outcome.incident, actor, now=now)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "reason": reason.value, "duplicate_of": duplicate_of, "note": note}
        return await self._change(actor, number, "outage cancel", arguments, decide, now=now)

    async def assign(
        self, actor: Actor, number: int, *, to: int, to_roles: frozenset[int], now: datetime
    ) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            if config.coordinator_role_id not in to_roles:
                raise OutageError("outage.error.assign_not_coordinator")
            outcome = rules.assign(stored.incident, to, at=now, by=actor.user_id)
            return outcome, ChangeContext.of(config)

        arguments = {"incident": number, "coordinator": to}
        return await self._change(actor, number, "outage assign", arguments, decide, now=now)

    async def relate(self, actor: Actor, number: int, *, other: int, undo: bool, now: datetime) -> ChangeResult:
        async def decide(
            conn: aiosqlite.Connection, config: GuildConfig, stored: StoredIncident
        ) -> tuple[Outcome, ChangeContext]:
            found = await repo.get(conn, actor.guild_id, other)
            if found is None:
                raise OutageError("outage.error.incident_unknown", number=other)
            mine, theirs = links.relate(stored.incident, found.incident, undo=undo, at=now, by=actor.user_id)
            await self._store_other(conn, config, found, theirs, now=now)
            return mine, ChangeContext.of(config)

        action = "outage unlink" if undo else "outage link"
        return await self._change(actor, number, action, {"incident": number, "other": other}, decide, now=now)

    async def _hand_over(
        self,
        conn: aiosqlite.Connection,
        config: GuildConfig,
        duplicate: StoredIncident,
        cancelled: Incident,
        actor: Actor,
        *,
        now: datetime,
    ) -> None:
        """What a duplicate hands to its original (`cancelled.duplicate_of`), each member once."""
        original = await repo.get(conn, actor.guild_id, cancelled.duplicate_of or 0)
        assert original is not None
        followers = await move_followers(conn, duplicate, original, dm_cap=config.dm_cap_per_incident, now=now)
        affected = await links_repo.move_affected(conn, duplicate.id, original.id, at=now)
        absorbed = links.absorb_duplicate(
            original.incident, cancelled, followers=followers, affected=affected, at=now, by=actor.user_id
        )
        await self._store_other(conn, config, original, absorbed, now=now)

    async def _store_other(
        self,
        conn: aiosqlite.Connection,
        config: GuildConfig,
        stored: StoredIncident,
        outcome: Outcome,
        *,
        now: datetime,
    ) -> None:
        """The other outage of a change that concerns two: stored, its messages planned, in the same unit of work."""
        saved = await repo.save(conn, stored, outcome.incident)
        plan = await plan_changed(conn, saved, outcome.entries, outcome.announce, ChangeContext.of(config), now=now)
        await repo.append_updates(conn, stored.id, outcome.entries, thread_post_row=plan.post_row)
