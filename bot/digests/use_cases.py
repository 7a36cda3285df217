"""Digests' use cases: setting one up and removing it (from `/setup`), and sending each when it is due.

`send_due` is what the digest's timer calls (bot/timers/registry.py), and what the start-up calls for every digest:
in one unit of work it reads the digest, and if its time has come it plans its message in the outbox (unless it
has nothing to say and skips such digests) and moves the digest to its next time, so a stop between the two loses
and doubles nothing. One that came due while the bot was down is sent once, tagged late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.board.rules import MAINTENANCE_HORIZON
from bot.common.actor import Actor
from bot.common.hours_parsing import parse_clock
from bot.common.i18n import Msg
from bot.common.text import safe_text
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.digests import store as repo
from bot.digests.presentation import digest_line, digest_message
from bot.digests.rules import Digest, Every, WhenQuiet, check_new_digest, digest_facts, next_due
from bot.maintenance import store as maintenance
from bot.reminders.use_cases.nudging import working_time
from bot.settings.rules.model import MESSAGE_CHANNEL_NEEDS, ChannelFacts, Outcome, SetupError
from bot.settings.rules.validation import check_message_channel, missing_permissions
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit


@dataclass(frozen=True)
class DigestChange:
    """What `/setup` tells the admin, and the digest whose timer to set (or cancel) and when it is due."""

    outcome: Outcome
    digest_id: int
    due: datetime | None = None


@dataclass(frozen=True)
class ListedDigest:
    id: int
    channel_id: int
    line: Msg


class Digests(ServerUseCases):
    async def add(
        self,
        actor: Actor,
        channel: ChannelFacts,
        *,
        every: Every,
        weekday: int | None,
        at: str,
        working_days_only: bool,
        when_quiet: WhenQuiet,
        now: datetime,
    ) -> DigestChange:
        check_message_channel(channel)
        clock = parse_clock(at)
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, actor.guild_id)
            existing = [d.digest for d in await repo.digests(conn, actor.guild_id)]
            weekday = weekday if every == Every.WEEK else None
            check_new_digest(existing, channel_id=channel.id, every=every, weekday=weekday)
            digest = Digest(
                id=0,
                guild_id=actor.guild_id,
                channel_id=channel.id,
                every=every,
                weekday=weekday,
                at=clock,
                working_days_only=working_days_only,
                when_quiet=when_quiet,
            )
            due = next_due(digest, now, working_time(config))
            digest_id = await repo.add(conn, digest, next_due_at=due, created_by=actor.user_id, now=now)
            arguments: dict[str, Any] = {
                "digest": digest_id,
                "channel": channel.id,
                "every": every.value,
                "weekday": weekday,
                "time": clock.strftime("%H:%M"),
                "working_days_only": working_days_only,
                "when_quiet": when_quiet.value,
            }
            await audit.record_by(conn, actor, "setup digest", arguments, "ok", now)
        lines = [
            Msg.of("digest.setup.added", digest=digest_line(digest, channel.id), due=f"<t:{int(due.timestamp())}:F>")
        ]
        if missing_permissions(channel, MESSAGE_CHANNEL_NEEDS):
            lines.append(Msg.of("digest.setup.cannot_post", channel=f"<#{channel.id}>"))
        return DigestChange(Outcome(tuple(lines)), digest_id, due)

    async def remove(self, actor: Actor, text: str, *, now: datetime) -> DigestChange:
        number = int(text.strip().lstrip("#")) if text.strip().lstrip("#").isdigit() else None
        async with self.store.unit_of_work() as conn:
            found = await repo.digest(conn, number) if number is not None else None
            if found is None or found.digest.guild_id != actor.guild_id:
                raise SetupError("digest.error.unknown", text=safe_text(text.strip()[:60]))
            await repo.remove(conn, found.digest.id)
            arguments = {"digest": found.digest.id, "channel": found.digest.channel_id}
            await audit.record_by(conn, actor, "setup digest-remove", arguments, "ok", now)
        line = digest_line(found.digest, found.digest.channel_id)
        return DigestChange(Outcome((Msg.of("digest.setup.removed", digest=line),)), found.digest.id)

    async def listed(self, guild_id: int) -> list[ListedDigest]:
        async with self.store.reading() as conn:
            found = await repo.digests(conn, guild_id)
        return [
            ListedDigest(d.digest.id, d.digest.channel_id, digest_line(d.digest, d.digest.channel_id)) for d in found
        ]

    async def due_times(self) -> list[tuple[int, datetime]]:
        """(digest, when it is due) of every digest: the timers to register at start."""
        async with self.store.reading() as conn:
            return await repo.due_times(conn)

    async def send_due(self, digest_id: int, *, now: datetime) -> datetime | None:
        """Sends the digest if its time has come; returns when it is due next (None: it was removed)."""
        async with self.store.unit_of_work() as conn:
            stored = await repo.digest(conn, digest_id)
            if stored is None:
                return None
            if now < stored.next_due_at:
                return stored.next_due_at
            digest = stored.digest
            config = await self.config(conn, digest.guild_id)
            start = stored.covered_until
            facts = digest_facts(
                start=start,
                end=now,
                due=stored.next_due_at,
                open_now=await repo.open_now(conn, digest.guild_id),
                declared=await repo.declared_between(conn, digest.guild_id, start, now),
                resolved=await repo.resolved_between(conn, digest.guild_id, start, now),
                planned=[
                    m.as_stop()
                    for m in await maintenance.for_digest(conn, digest.guild_id, start, now, ahead=MAINTENANCE_HORIZON)
                ],
            )
            message = digest_message(digest, facts, config.language)
            if message is not None:
                await outbox.enqueue(
                    conn,
                    guild_id=digest.guild_id,
                    lane=outbox.channel_lane(digest.channel_id),
                    kind=OutboxKind.SEND_MESSAGE,
                    payload={"channel_id": digest.channel_id, **message},
                    now=now,
                )
            due = next_due(digest, now, working_time(config))
            await repo.advance(conn, digest.id, covered_until=now, next_due_at=due)
        return due
