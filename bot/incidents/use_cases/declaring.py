"""Declaring an outage (`/outage declare`): the incident, its first timeline entry, the thread and the
announcements planned in one unit of work; and the link to the thread added to the private reply once the thread
exists."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.incidents import store as repo
from bot.incidents.rules import lifecycle as rules
from bot.incidents.rules.model import Cause
from bot.incidents.use_cases.commands import OutageCommands
from bot.incidents.use_cases.deliveries import IncidentChannel, plan_declared, thread_link
from bot.incidents.use_cases.results import DeclareResult
from bot.incidents.use_cases.typed_input import (
    DeclareInput,
    OutageError,
    field_list,
    resolve_sector,
    typed_arguments,
    typed_services,
    typed_territories,
    typed_time,
)


class Declaring(OutageCommands):
    async def declare(self, actor: Actor, typed: DeclareInput, *, now: datetime) -> DeclareResult:
        async with self.store.unit_of_work() as conn:
            earlier = await self._replay(conn, actor)
            if earlier is not None:
                return DeclareResult.from_json(earlier)
            result, incident_id = await self.declare_in(conn, actor, typed, action="outage declare", now=now)
        await self.run_after_commit(incident_id)
        return result

    async def run_after_commit(self, incident_id: int) -> None:
        for hook in self.after_commit:
            await hook(incident_id)

    async def declare_in(
        self, conn: aiosqlite.Connection, actor: Actor, typed: DeclareInput, *, action: str, now: datetime
    ) -> tuple[DeclareResult, int]:
        """The declaration inside the caller's unit of work (a declaration from members' reports adds its own
        rows to it): the incident, its first timeline entry, its messages and the audit row; returns the reply's
        facts and the incident's row id. The caller runs `run_after_commit` once it committed."""
        config = await self.config(conn, actor.guild_id)
        self._check_coordinator(config, actor)
        missing = typed.essentials_missing
        if missing:
            raise OutageError("outage.error.missing_essentials", fields=field_list(missing))
        assert typed.title is not None and typed.sector is not None and typed.territories is not None
        assert typed.severity is not None
        request = rules.DeclareRequest(
            title=typed.title,
            sector=resolve_sector(config, typed.sector),
            territories=typed_territories(typed.territories),
            severity=typed.severity,
            cause=typed.cause or Cause.UNKNOWN,
            organisation=typed.organisation,
            impact=typed.impact,
            started_at=typed_time(typed.started, "outage.field.started", config, now, "past"),
            services=typed_services(typed.services),
            eta=typed_time(typed.eta, "outage.field.eta", config, now, "future"),
            workaround=typed.workaround,
        )
        number = await repo.next_number(conn, actor.guild_id)
        outcome = rules.declare(request, guild_id=actor.guild_id, number=number, at=now, by=actor.user_id)
        incident = outcome.incident
        assert config.incident_channel_id is not None
        channel = IncidentChannel(config.incident_channel_id, self.forum_tags(config.incident_channel_id))
        incident_id = await repo.insert(conn, incident, incident_channel_id=channel.channel_id)
        stored = await repo.get_by_id(conn, incident_id)
        assert stored is not None
        plan = await plan_declared(
            conn, stored, language=config.language, routes=config.routes, channel=channel, now=now
        )
        await repo.append_updates(conn, incident_id, outcome.entries, thread_post_row=None)
        await repo.remember_service_names(conn, actor.guild_id, [(s.key, s.name) for s in incident.services], at=now)
        result = DeclareResult(
            number=number,
            title=incident.title,
            thread_row=plan.thread_row,
            incident_channel_id=channel.channel_id,
            started_at=incident.started_at,
            eta=incident.eta,
            channels=tuple(t.channel_id for t in plan.targets),
        )
        await self._finish(
            conn,
            actor,
            action,
            typed_arguments(typed),
            f"declared #{number} in {len(plan.targets)} channel(s)",
            result.to_json(),
            now,
        )
        return result, incident_id

    async def thread_id(self, thread_row: int) -> int | None:
        """The thread's id if the outbox has made it already, else None: the private reply never waits for
        it (the thread waits for the status message, paced by Discord's 5 messages / 5 s per channel); the
        link is added to the reply later by `link_private_reply`."""
        async with self.store.reading() as conn:
            row = await outbox.get(conn, thread_row)
        if row is not None and row.status == "done" and row.result is not None and "thread_id" in row.result:
            return int(row.result["thread_id"])
        return None

    async def link_private_reply(
        self,
        guild_id: int,
        thread_row: int,
        *,
        application_id: int,
        token: str,
        before: str,
        after: str,
        now: datetime,
    ) -> int:
        """Asks the worker to edit a private reply already sent into `before` + the thread's URL + `after` once
        the thread exists; returns the outbox row.

        Written after the reply was sent, not in the declaration's transaction: an edit delivered before the
        reply itself would race with it (the reply would then be a second message, or overwrite the link). A
        crash in between costs the link only; the declaration and its messages are already committed. The
        token lives 15 minutes: a later edit is refused by Discord and recorded failed, harmlessly."""
        async with self.store.unit_of_work() as conn:
            return await outbox.enqueue(
                conn,
                guild_id=guild_id,
                lane=outbox.reply_lane(guild_id),
                kind=OutboxKind.EDIT_INTERACTION_REPLY,
                payload={
                    "application_id": str(application_id),
                    "token": token,
                    "content": [before, thread_link(guild_id, thread_row), after],
                    "allowed_mentions": {"parse": []},
                },
                now=now,
            )
