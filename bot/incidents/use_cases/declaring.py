"""Declaring an outage (`/outage declare`): the incident, its first timeline entry, the thread and the
announcements planned in one unit of work; and the private reply of a declaration or a change completed once the
outbox has settled what it planned: the thread's link, where it was announced, and where not yet and why."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.board.use_cases import plan_boards
from bot.common.actor import Actor
from bot.common.i18n import Language
from bot.delivery import outbox, payloads
from bot.delivery.kinds import OutboxKind
from bot.incidents import store as repo
from bot.incidents.presentation.delivery_report import WHATS, report_words
from bot.incidents.rules import lifecycle as rules
from bot.incidents.rules.model import Cause
from bot.incidents.use_cases.commands import OutageCommands, finish
from bot.incidents.use_cases.deliveries import IncidentChannel, plan_declared, thread_link
from bot.incidents.use_cases.results import DeclareResult, Sent
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
from bot.public import store as public_store
from bot.webhooks import use_cases as webhooks


class Declaring(OutageCommands):
    async def declare(self, actor: Actor, typed: DeclareInput, *, now: datetime) -> DeclareResult:
        async with self.store.unit_of_work() as conn:
            earlier = await repo.replayed(conn, actor, DeclareResult)
            if earlier is not None:
                return earlier
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
        if typed.public is not None:  # in this transaction: never shown, even for a moment, against the choice
            await public_store.set_public(conn, incident_id, typed.public, at=now, by=actor.user_id)
        stored = await repo.get_by_id(conn, incident_id)
        assert stored is not None
        plan = await plan_declared(
            conn, stored, language=config.language, routes=config.routes, channel=channel, now=now
        )
        await repo.append_updates(conn, incident_id, outcome.entries, thread_post_row=None)
        await plan_boards(conn, config, now=now, concerning=(incident,))
        await webhooks.plan_declared(conn, incident_id, incident, outcome.entries, now=now)
        await repo.remember_service_names(conn, actor.guild_id, [(s.key, s.name) for s in incident.services], at=now)
        result = DeclareResult(
            number=number,
            title=incident.title,
            thread_row=plan.thread_row,
            incident_channel_id=channel.channel_id,
            started_at=incident.started_at,
            eta=incident.eta,
            channels=tuple(t.channel_id for t in plan.targets),
            sent=plan.sent,
        )
        await finish(
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
        tail: str = "",
        language: Language | None = None,
        sent: Sequence[Sent] = (),
    ) -> int:
        """Asks the worker to edit a private reply already sent into `before` + the thread's URL + `after` once
        the thread exists (or its stand-in, if Discord refuses it), followed by where the declaration's messages
        went (`sent`, worded in `language`), then `tail` (a notice that joined the reply); returns the outbox row.

        Written after the reply was sent, not in the declaration's transaction: an edit delivered before the
        reply itself would race with it (the reply would then be a second message, or overwrite the link). A
        crash in between costs the link only; the declaration and its messages are already committed. The
        token lives 15 minutes: a later edit is refused by Discord and recorded failed, harmlessly."""
        parts: list[Any] = [before, thread_link(guild_id, thread_row), after]
        return await self.report_private_reply(
            guild_id,
            application_id=application_id,
            token=token,
            parts=parts,
            tail=tail,
            language=language,
            sent=sent,
            say_done=("announcement",),
            now=now,
        )

    async def report_private_reply(
        self,
        guild_id: int,
        *,
        application_id: int,
        token: str,
        parts: Sequence[Any],
        language: Language | None,
        sent: Sequence[Sent],
        say_done: Collection[str],
        now: datetime,
        tail: str = "",
    ) -> int:
        """An edit of a private reply into `parts`, then one line per outcome of the messages `sent` (what was
        done is said only for the kinds in `say_done`), then `tail`; sent once every one of them is settled (or
        held back by Discord), and again if one that was not delivered is delivered while the reply can still be
        edited."""
        content = list(parts)
        if sent and language is not None:
            async with self.store.reading() as conn:
                log_channel = (await self.config(conn, guild_id)).bot_log_channel_id
            for what in WHATS:
                rows = [[item.row, f"<#{item.channel_id}>"] for item in sent if item.what == what]
                if rows:
                    words = report_words(
                        language,
                        what,
                        log_channel_id=log_channel,
                        say_done=what in say_done,
                        items=payloads.ITEMS,
                        cause=payloads.CAUSE,
                    )
                    content.append({payloads.OUTCOMES: {"rows": rows, **words}})
        if tail:
            content.append(tail)
        async with self.store.unit_of_work() as conn:
            return await outbox.enqueue(
                conn,
                guild_id=guild_id,
                lane=outbox.reply_lane(guild_id),
                kind=OutboxKind.EDIT_INTERACTION_REPLY,
                payload={
                    "application_id": str(application_id),
                    "token": token,
                    "content": content,
                    "allowed_mentions": {"parse": []},
                },
                now=now,
            )
