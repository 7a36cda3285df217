"""The frame every outage command shares: the server's configuration, the coordinator check, the answer to an
interaction handled before, and the audit row written with the command's decision, in its one unit of work.
`OutageCommands._change` is that frame for every change of an incident already declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.board.use_cases import plan_boards
from bot.common.actor import Actor
from bot.incidents import store as repo
from bot.incidents.rules import durations as durations_of
from bot.incidents.rules.lifecycle import Outcome
from bot.incidents.rules.model import Status
from bot.incidents.store import StoredIncident
from bot.incidents.use_cases.deliveries import ChangeContext, plan_changed
from bot.incidents.use_cases.results import ChangeResult
from bot.incidents.use_cases.typed_input import OutageError
from bot.interactions.access import NotAllowedError
from bot.settings.rules.config import GuildConfig, ServerDefaults
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit
from bot.storage.store import Store
from bot.webhooks import use_cases as webhooks

ForumTags = Callable[[int], Mapping[str, int] | None]


Decide = Callable[[aiosqlite.Connection, GuildConfig, StoredIncident], Awaitable[tuple[Outcome, ChangeContext]]]


async def finish(
    conn: aiosqlite.Connection,
    actor: Actor,
    action: str,
    arguments: Mapping[str, Any],
    result: str,
    answer: Mapping[str, Any],
    now: datetime,
) -> None:
    """A command's audit row, and its answer kept for the same interaction delivered again."""
    await audit.record_by(conn, actor, action, arguments, result, now)
    if actor.interaction_id is not None:
        await repo.remember_handled(
            conn, actor.interaction_id, guild_id=actor.guild_id, action=action, result=dict(answer), at=now
        )


class OutageCommands(ServerUseCases):
    """What every part of `Lifecycle` stands on: the store, the bot's defaults, the incident channel's forum tags
    (read from Discord's cache by the cog) and the hooks run after each committed change."""

    def __init__(self, store: Store, defaults: ServerDefaults, forum_tags: ForumTags | None = None) -> None:
        super().__init__(store, defaults)
        self.forum_tags: ForumTags = forum_tags or (lambda _channel_id: None)
        # Called with the incident's row id after each committed change (the nudges replan from there).
        self.after_commit: list[Callable[[int], Awaitable[None]]] = []

    async def coordinator_config(self, actor: Actor, number: int | None = None) -> GuildConfig:
        """The server's configuration, once the actor is known to be allowed to change incidents there (and, given
        a number, that the server has that incident): what a form opened as the first answer checks before."""
        async with self.store.reading() as conn:
            config = await self.config(conn, actor.guild_id)
            self._check_coordinator(config, actor)
            if number is not None and await repo.get(conn, actor.guild_id, number) is None:
                raise OutageError("outage.error.incident_unknown", number=number)
        return config

    @staticmethod
    def _check_coordinator(config: GuildConfig, actor: Actor) -> None:
        config.require_incidents_setup()
        if config.coordinator_role_id not in actor.role_ids:
            raise NotAllowedError("access.error.coordinator_only")

    async def _change(
        self, actor: Actor, number: int, action: str, arguments: Mapping[str, Any], decide: Decide, *, now: datetime
    ) -> ChangeResult:
        async with self.store.unit_of_work() as conn:
            earlier = await repo.replayed(conn, actor, ChangeResult)
            if earlier is not None:
                return earlier
            config = await self.config(conn, actor.guild_id)
            self._check_coordinator(config, actor)
            stored = await repo.get(conn, actor.guild_id, number)
            if stored is None:
                raise OutageError("outage.error.incident_unknown", number=number)
            before = stored.incident
            outcome, context = await decide(conn, config, stored)
            saved = await repo.save(conn, stored, outcome.incident)
            if context.durations == () and outcome.incident.status == Status.RESOLVED and outcome.announce.reasons:
                history = [*await repo.timeline(conn, stored.id), *outcome.entries]
                context = replace(context, durations=durations_of.service_durations(outcome.incident, history))
            context = replace(
                context,
                forum_tags=self.forum_tags(stored.incident_channel_id) if stored.incident_channel_id else None,
                severity_from=before.severity,
                status_from=before.status,
            )
            announced_before = {a.channel_id for a in await repo.announcements(conn, stored.id) if a.active}
            plan = await plan_changed(conn, saved, outcome.entries, outcome.announce, context, now=now)
            await plan_boards(conn, config, now=now, concerning=(before, outcome.incident))
            await webhooks.plan_changed(conn, stored.id, before, outcome.incident, outcome.entries, now=now)
            await repo.append_updates(conn, stored.id, outcome.entries, thread_post_row=plan.post_row)
            announced_after = {a.channel_id for a in await repo.announcements(conn, stored.id) if a.active}
            incident = outcome.incident
            kept = announced_before & announced_after
            result = ChangeResult(
                number=number,
                title=incident.title,
                status=incident.status,
                thread_row=stored.thread_row,
                thread_id=incident.thread_id,
                eta=incident.eta,
                next_update_at=incident.next_update_at,
                news_channels=tuple(sorted(kept)) if outcome.announce.reasons else (),
                added_channels=tuple(sorted(announced_after - announced_before)),
                removed_channels=tuple(sorted(announced_before - announced_after)),
                sent=plan.sent,
            )
            kinds = ", ".join(entry.kind.value for entry in outcome.entries)
            await finish(conn, actor, action, arguments, f"#{number}: {kinds}", result.to_json(), now)
        for hook in self.after_commit:
            await hook(stored.id)
        return result
