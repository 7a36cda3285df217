"""Boards' use cases: setting one up and removing it (from `/setup`), and keeping every board right.

`plan_boards` is what keeps them right: inside the unit of work of every change of an incident (declare, update,
resolve, correct, cancel, hand over, late), it renders each of the server's boards and plans one `show_board` row
for each board whose content changed (a digest of the last content planned is kept on the board). Rows of one
board are its own lane and collapse (coalesce key): however many changes arrive, the worker sends at most one
edit per board per second (bot/delivery/outbox.py `LANE_INTERVALS_S`), always the latest content.

A board comes right again by itself:
- at start-up every board is planned once more, whatever its digest (`refresh_all`): a message deleted while
  the bot was down is posted anew (the edit answers Unknown Message), and lateness that came meanwhile shows;
- when someone deletes its message (`message_deleted`, from the gateway's event), at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.board import store as repo
from bot.board.presentation import PIN, BlockCache, Link, board_line, board_message, scope_label
from bot.board.rules import LISTED_AT_MOST, MAINTENANCE_HORIZON, Board, board_view, check_new_board
from bot.board.store import StoredBoard
from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.i18n import Msg
from bot.common.text import safe_text
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.incidents.presentation.message_parts import NO_MENTIONS, thread_url
from bot.incidents.rules.model import Incident
from bot.incidents.store import StoredIncident
from bot.incidents.use_cases.typed_input import overlapping_refs
from bot.maintenance import store as maintenance
from bot.settings.rules.config import GuildConfig
from bot.settings.rules.model import MESSAGE_CHANNEL_NEEDS, ChannelFacts, Outcome, SetupError
from bot.settings.rules.validation import check_message_channel, missing_permissions, resolve_sector, resolve_territory
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit


def _link(stored: StoredIncident) -> Link | None:
    incident = stored.incident
    if incident.thread_id is not None:
        return thread_url(incident.guild_id, incident.thread_id)
    if stored.thread_row is None:
        return None
    # The thread is being made: its URL once it exists; the incident channel if it could not be made.
    fallback = thread_url(incident.guild_id, stored.incident_channel_id or 0)
    link = outbox.ref(stored.thread_row, "thread_id", template=f"https://discord.com/channels/{incident.guild_id}/{{}}")
    return {**link, "default": fallback}


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def plan_boards(
    conn: aiosqlite.Connection,
    config: GuildConfig,
    *,
    now: datetime,
    concerning: Sequence[Incident] | None = None,
    force: bool = False,
    only: Sequence[StoredBoard] | None = None,
) -> int:
    """Plans the message of each of the server's boards whose content changed (every one with `force`); returns
    how many were planned. With `concerning` (an incident as it was and as it is), only the boards that may show
    it are looked at: nothing else a board shows changed. Cheap when no board concerns it: one query."""
    boards = list(only) if only is not None else await repo.boards(conn, config.guild_id)
    if concerning is not None:
        boards = [b for b in boards if any(b.board.concerns(i) for i in concerning)]
    if not boards:
        return 0
    loaded: dict[int, StoredIncident] = {}
    cache: BlockCache = {}
    planned_stops = await maintenance.planned_stops(conn, config.guild_id, now=now, horizon=MAINTENANCE_HORIZON)
    stops = [m.as_stop() for m in planned_stops]
    planned = 0
    for stored in boards:
        board = stored.board
        refs = overlapping_refs(territory_data.get(board.territory)) if board.territory else None
        first, matching = await repo.first_shown(
            conn, config.guild_id, territory_refs=refs, sector=board.sector, limit=LISTED_AT_MOST, loaded=loaded
        )
        links = {s.incident.number: link for s in first if (link := _link(s)) is not None}
        view = board_view(board, [s.incident for s in first], now, stops, matching=matching)
        scope = scope_label(board, config.sectors, config.language)
        message = board_message(view, config.language, links=links, scope=scope, cache=cache)
        digest = _digest(message)
        if digest == stored.shown_digest and not force:
            continue
        await _enqueue(conn, board, {**message, "silent": True}, now=now)
        await repo.set_shown(conn, board.id, digest)
        planned += 1
    return planned


async def _enqueue(conn: aiosqlite.Connection, board: Board, body: dict[str, Any], *, now: datetime) -> int:
    lane = outbox.board_lane(board.guild_id, board.id)
    return await outbox.enqueue(
        conn,
        guild_id=board.guild_id,
        lane=lane,
        kind=OutboxKind.SHOW_BOARD,
        payload={"board_id": board.id, "channel_id": board.channel_id, **body},
        coalesce_key=lane,
        now=now,
    )


@dataclass(frozen=True)
class ListedBoard:
    id: int
    channel_id: int
    scope: str | None  # what it is restricted to, as people read it; None: every incident
    line: Msg  # as /setup shows it


class Boards(ServerUseCases):
    """The boards of every server, on one store: what `/setup` and the start-up call."""

    async def add(
        self, actor: Actor, channel: ChannelFacts, *, territory: str | None, sector: str | None, now: datetime
    ) -> Outcome:
        """A new board in `channel`, restricted like a route; its message is planned at once."""
        check_message_channel(channel)
        ref = resolve_territory(territory).ref if territory is not None and territory.strip() else None
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, actor.guild_id)
            sector_key = resolve_sector(config.sectors, sector) if sector else None
            existing = [b.board for b in await repo.boards(conn, actor.guild_id)]
            check_new_board(existing, channel_id=channel.id, territory=ref, sector=sector_key)
            board = await repo.add(
                conn,
                actor.guild_id,
                channel_id=channel.id,
                territory=ref,
                sector=sector_key,
                created_by=actor.user_id,
                now=now,
            )
            await plan_boards(conn, config, now=now, only=[StoredBoard(board, None, None)])
            arguments = {"board": board.id, "channel": channel.id, "territory": ref, "sector": sector_key}
            await audit.record_by(conn, actor, "setup board", arguments, "ok", now)
        lines = [Msg.of("board.setup.added", board=_line(board, config))]
        missing = missing_permissions(channel, MESSAGE_CHANNEL_NEEDS)
        if missing:
            lines.append(Msg.of("board.setup.cannot_post", channel=f"<#{channel.id}>"))
        if PIN not in channel.permissions:
            lines.append(Msg.of("board.setup.cannot_pin", channel=f"<#{channel.id}>"))
        return Outcome(tuple(lines))

    async def remove(self, actor: Actor, text: str, *, now: datetime) -> Outcome:
        """Removes a board; its message is deleted (and its pin with it)."""
        number = int(text.strip().lstrip("#")) if text.strip().lstrip("#").isdigit() else None
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, actor.guild_id)
            found = await repo.board(conn, actor.guild_id, number) if number is not None else None
            if found is None:
                raise SetupError("board.error.unknown", text=safe_text(text.strip()[:60]))
            board = found.board
            await repo.mark_removed(conn, board.id, now=now)
            await _enqueue(conn, board, {"remove": True, "allowed_mentions": NO_MENTIONS}, now=now)
            arguments = {"board": board.id, "channel": board.channel_id}
            await audit.record_by(conn, actor, "setup board-remove", arguments, "ok", now)
        return Outcome((Msg.of("board.setup.removed", board=_line(board, config)),))

    async def listed(self, guild_id: int) -> list[ListedBoard]:
        """The server's boards as `/setup show` and the removal's autocomplete list them."""
        async with self.store.reading() as conn:
            config = await self.config(conn, guild_id)
            boards = await repo.boards(conn, guild_id)
        return [
            ListedBoard(
                b.board.id,
                b.board.channel_id,
                scope_label(b.board, config.sectors, config.language),
                _line(b.board, config),
            )
            for b in boards
        ]

    async def refresh(self, guild_id: int, *, now: datetime) -> int:
        """Every board of the server planned again (its language changed, say); returns how many."""
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, guild_id)
            return await plan_boards(conn, config, now=now)

    async def refresh_all(self, *, now: datetime) -> int:
        """At start-up: every board planned once more, whatever it showed (see the module's docstring)."""
        planned = 0
        async with self.store.reading() as conn:
            guilds = await repo.guilds_with_boards(conn)
        for guild_id in guilds:
            async with self.store.unit_of_work() as conn:
                config = await self.config(conn, guild_id)
                planned += await plan_boards(conn, config, now=now, force=True)
        return planned

    async def message_deleted(self, channel_id: int, message_id: int, *, now: datetime) -> bool:
        """Someone deleted a board's message: the board is posted anew (and pinned again when it may be)."""
        async with self.store.reading() as conn:  # every deletion in the server comes here: read first
            if await repo.showing_message(conn, channel_id, message_id) is None:
                return False
        async with self.store.unit_of_work() as conn:
            found = await repo.showing_message(conn, channel_id, message_id)
            if found is None:
                return False
            await repo.forget_message(conn, found.board.id)
            config = await self.config(conn, found.board.guild_id)
            await plan_boards(conn, config, now=now, force=True, only=[found])
        return True


def _line(board: Board, config: GuildConfig) -> Msg:
    return board_line(board.channel_id, scope_label(board, config.sectors, config.language))
