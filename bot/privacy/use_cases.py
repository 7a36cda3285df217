"""A member's data: read for them as one file (`export`), and forgotten (`forget`) on their word, an admin's (a
member who left) or the operator's (`python -m bot forget`). A forget is one unit of work: every feature's part
(bot/privacy/store/registry.py) deleted or given the server's next pseudonym, the cards of their reports shown
again without their words, every posted message that named them edited through the outbox, every follow role
the bot gave them taken back through the outbox (those rows alone keep their id, until each has ended: after a
forget from the command line, at the bot's next start), and one audit row saying that a forget happened, not
whom. After it commits, the WAL is checkpointed so that no older copy of the
rewritten pages stays in it (`PRAGMA secure_delete` zeroes what was freed in the database file itself)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.files import NamedFile
from bot.common.i18n import Catalogue, language_of
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.following import use_cases as following
from bot.privacy.presentation import member_file
from bot.privacy.rules import Rewrite, pseudonym_number
from bot.privacy.store import members as repo
from bot.privacy.store.registry import NOT_EXPORTED, Erased, Forget, registry
from bot.reports import store as reports_repo
from bot.reports.use_cases.cards import card_of, plan_card
from bot.settings import store as settings_repo
from bot.settings.rules.config import ServerDefaults
from bot.storage import audit
from bot.storage.store import Store

log = logging.getLogger(__name__)

FORGET_ACTION = "privacy forget"


@dataclass(frozen=True)
class Forgotten:
    """What a forget did in the server where it was asked: the words of the pseudonym standing for the member
    there; and in all: servers, rows changed, posted messages to edit."""

    name: str
    servers: int
    rows: int
    edits: int


class Privacy:
    def __init__(self, store: Store, catalogue: Catalogue, defaults: ServerDefaults) -> None:
        self.store = store
        self.catalogue = catalogue
        self.defaults = defaults

    async def export(self, user_id: int, *, guild_id: int, everywhere: bool, now: datetime) -> NamedFile:
        """Every row of every feature that holds or names the member in this server (`everywhere`: in every
        server), and their own rows of no server (their locale, their DM channel), as one JSON file."""
        servers: dict[str, Any] = {}
        async with self.store.reading() as conn:
            guilds = await self._servers(conn, user_id, guild_id, everywhere=everywhere)
            for position, guild in enumerate(guilds):
                sections: dict[str, Any] = {}
                for data in registry():
                    if data.name not in NOT_EXPORTED:
                        found = await repo.export_of(conn, data, user_id, guild, with_global=position == 0)
                        if found:
                            sections[data.name] = found
                servers[str(guild)] = sections
        return NamedFile(f"tocsin-{user_id}.json", member_file(user_id, servers, now=now))

    async def forget(
        self, user_id: int, *, guild_id: int, everywhere: bool, by: str, actor_id: int | None, now: datetime
    ) -> Forgotten:
        """Forgets the member in this server (`everywhere`: in every server where something names them, each
        with its own pseudonym), in one unit of work. `by`: "member" (themselves), "admin" (`actor_id`, for a
        member who left or who asked them) or "operator" (the command line). The audit keeps one row per server
        saying a forget happened, naming the admin who asked, never the member forgotten."""
        rows = edits = 0
        here = ""
        async with self.store.unit_of_work() as conn:
            guilds = await self._servers(conn, user_id, guild_id, everywhere=everywhere)
            for guild in guilds:
                name, erased = await self._forget(conn, guild, user_id, now=now)
                rows += erased.rows
                edits += len(erased.edits) + len(erased.deletes)
                await audit.record(
                    conn,
                    guild_id=guild,
                    actor_id=actor_id if by == "admin" else None,
                    action=FORGET_ACTION,
                    arguments={"by": by, "pseudonym": name, "rows": erased.rows},
                    result="ok",
                    at=now,
                )
                if guild == guild_id:
                    here = name
        if not await self.store.checkpoint():
            log.warning("the WAL could not be emptied after a forget (a long read held it); it will be at the next")
        return Forgotten(here, len(guilds), rows, edits)

    @staticmethod
    async def _servers(conn: aiosqlite.Connection, user_id: int, guild_id: int, *, everywhere: bool) -> list[int]:
        others = await repo.servers_of(conn, user_id) if everywhere else set()
        return [guild_id, *sorted(others - {guild_id})]

    async def _forget(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int, *, now: datetime
    ) -> tuple[str, Erased]:
        pseudonym = await repo.next_pseudonym(conn, guild_id)
        language = language_of(await repo.server_language(conn, guild_id) or self.defaults.language, "fr")
        label = self.catalogue.render(language, "privacy.pseudonym", number=pseudonym_number(pseudonym))
        roles = await following.roles_given(conn, guild_id, user_id)  # before their follows are deleted
        erased = await repo.erase_member(conn, Forget(user_id, guild_id, Rewrite(user_id, pseudonym, label), now))
        # Planned after every row is rewritten: these alone keep their id, until each is delivered.
        roles = [role for role in roles if role not in erased.roles_waiting]
        await following.take_back_from_forgotten(conn, guild_id, user_id, roles, pseudonym=label, now=now)
        await self._show_cards_again(conn, guild_id, erased, now=now)
        for edit_guild, lane, payload, key in erased.edits:
            await outbox.enqueue(
                conn,
                guild_id=edit_guild,
                lane=lane,
                kind=OutboxKind.EDIT_MESSAGE,
                payload=payload,
                coalesce_key=key,
                now=now,
            )
        for edit_guild, lane, payload in erased.deletes:
            await outbox.enqueue(
                conn, guild_id=edit_guild, lane=lane, kind=OutboxKind.DELETE_MESSAGE, payload=payload, now=now
            )
        return label, erased

    async def _show_cards_again(
        self, conn: aiosqlite.Connection, guild_id: int, erased: Erased, *, now: datetime
    ) -> None:
        if not erased.report_groups:
            return
        config = await settings_repo.stored_config(conn, guild_id)
        if config is None:
            return
        for group_id in sorted(erased.report_groups):
            group = await reports_repo.get_group(conn, group_id)
            if group is not None and (group.card_row is not None or group.on_summary):
                await plan_card(conn, config, group, await card_of(conn, group), now=now)
