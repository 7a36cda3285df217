"""Every feature's member data, declared in one place: which table holds a member's id in which column, how far
a forget in one server reaches in it (`scope`), and what a forget does to it. A feature that keeps something
about a member adds its entry here (and `tests/privacy/test_member_columns.py` fails until it does): the export
reads every row the entry names, the forget deletes or pseudonymises them, and a feature whose rows need more
(text to blank, cards to show again) gives an `erase` of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.delivery.kinds import FORGOTTEN
from bot.privacy.rules import MemberColumn, Rewrite, Treatment, id_column, text_column

# How far a forget in one server reaches in a table: the SQL condition, with one `?` for the server's id.
GLOBAL = ""  # a member's rows of every server (their locale, their DM channel): theirs wherever they act
BY_GUILD = "guild_id = ?"
BY_GUILD_OR_NONE = "(guild_id = ? OR guild_id IS NULL)"
BY_INCIDENT = "incident_id IN (SELECT id FROM incidents WHERE guild_id = ?)"
# The outbox rows taking a forgotten member's follow roles back (planned by their forget): they keep the member's
# id until each has ended, when the worker erases it (bot/delivery/store.py `erase_forgotten_member`). A later
# forget leaves them as they are, and they are no data of the member's that makes a server theirs.
FORGOTTEN_ROLE_REMOVALS = f"json_extract(payload, '$.{FORGOTTEN}') IS NOT NULL"


@dataclass(frozen=True)
class Forget:
    """One forget: whom, in which server, and what stands for them there from now on."""

    user_id: int
    guild_id: int
    rewrite: Rewrite
    now: datetime


@dataclass
class Erased:
    """What a forget changed, for the audit's counts and for what must be shown again."""

    rows: int = 0
    report_groups: set[int] = field(default_factory=set)
    # Posted messages that named them, as they must now read: (guild id, lane, edit payload, coalesce key), for
    # the use case to enqueue once every row is rewritten.
    edits: list[tuple[int | None, str, dict[str, Any], str]] = field(default_factory=list)
    # Posted messages that are the member's own (a reminder said in a channel): (guild id, lane, delete payload);
    # the rows that posted them are left out of `edits`.
    deletes: list[tuple[int | None, str, dict[str, Any]]] = field(default_factory=list)
    deleted_rows: set[int] = field(default_factory=set)
    # Follow roles whose removal from the member already waits (an unfollow just before the forget), kept waiting
    # as the forget's own: not planned twice.
    roles_waiting: set[int] = field(default_factory=set)


Eraser = Callable[[aiosqlite.Connection, Forget, Erased], Awaitable[None]]


@dataclass(frozen=True)
class Held:
    column: MemberColumn
    scope: str
    spared: str = ""  # an SQL condition: rows of the table a forget leaves as they are (none when empty)

    @property
    def table(self) -> str:
        return self.column.table


@dataclass(frozen=True)
class MemberData:
    """One feature's part of a member's data: its export section's name, the columns it holds, and an eraser run
    before the columns are rewritten (for what a plain delete or id swap does not cover)."""

    name: str
    held: tuple[Held, ...]
    erase: Eraser | None = None


def _held(scope: str, tables: dict[str, str], column: Callable[[str, str], MemberColumn]) -> tuple[Held, ...]:
    """Columns of one scope declared alike by `column`: `tables` maps a table to its columns' names, separated
    by spaces."""
    return tuple(Held(column(table, name), scope) for table, names in tables.items() for name in names.split())


def _erased(scope: str, **tables: str) -> tuple[Held, ...]:
    return _held(scope, tables, lambda table, name: id_column(table, name, Treatment.ERASED))


def _pseudonymised(scope: str, **tables: str) -> tuple[Held, ...]:
    return _held(scope, tables, lambda table, name: id_column(table, name, Treatment.PSEUDONYMISED))


def _text(scope: str, **tables: str) -> tuple[Held, ...]:
    return _held(scope, tables, text_column)


def registry() -> tuple[MemberData, ...]:
    # Imported here: the erasers import this module's types.
    from bot.privacy.store import outbox, reminders, reports

    return (
        MemberData(
            "member", _erased(GLOBAL, member_locales="user_id", dm_channels="user_id", member_dm_status="user_id")
        ),
        MemberData(
            "following",
            (*_erased(BY_GUILD, subscriptions="user_id"), *_erased(BY_INCIDENT, affected_members="user_id")),
        ),
        MemberData("reminders", _erased(BY_GUILD_OR_NONE, reminders="owner_id"), erase=reminders.erase_posted),
        MemberData(
            "reports",
            (
                *_pseudonymised(BY_GUILD, reports="user_id", report_groups="decided_by"),
                *_erased(BY_GUILD, report_abuse="user_id"),
                *_pseudonymised(BY_GUILD, report_abuse="marked_by"),
            ),
            erase=reports.erase_texts,
        ),
        MemberData(
            "incidents",
            (
                *_pseudonymised(BY_GUILD, incidents="declared_by owner_id next_update_by workaround_set_by"),
                *_pseudonymised(BY_INCIDENT, updates="by"),
                *_text(BY_INCIDENT, updates="details"),
                *_pseudonymised(BY_INCIDENT, incident_visibility="set_by"),
                *_text(BY_GUILD, handled_interactions="result"),
            ),
        ),
        MemberData(
            "maintenance",
            _pseudonymised(BY_GUILD, maintenance="scheduled_by owner_id", maintenance_settings="updated_by"),
        ),
        MemberData(
            "settings",
            _pseudonymised(
                BY_GUILD,
                routes="created_by",
                boards="created_by",
                digests="created_by",
                public_pages="updated_by",
                webhooks="created_by",
                webhook_switches="set_by",
            ),
        ),
        MemberData(
            "audit",
            (*_pseudonymised(BY_GUILD_OR_NONE, audit_log="actor_id"), *_text(BY_GUILD_OR_NONE, audit_log="arguments")),
        ),
        # Not exported (what the bot was asked to send), only rewritten: see outbox.erase.
        MemberData(
            "outbox",
            tuple(
                replace(held, spared=FORGOTTEN_ROLE_REMOVALS)
                for held in _text(BY_GUILD_OR_NONE, outbox="payload result lane coalesce_key")
            ),
            erase=outbox.erase,
        ),
    )


NOT_EXPORTED = frozenset({"outbox"})
# Columns a member's file never shows, though their row names the member: a webhook's signing secret is shown
# once, to the admin who made it, and never again (README "Signed webhooks").
NEVER_EXPORTED = {"webhooks": frozenset({"secret"})}


def declared_columns() -> list[MemberColumn]:
    return [held.column for data in registry() for held in data.held]
