"""Every feature's member data, declared in one place: which table holds a member's id in which column, how far
a forget in one server reaches in it (`scope`), and what a forget does to it. A feature that keeps something
about a member adds its entry here (and `tests/privacy/test_member_columns.py` fails until it does): the export
reads every row the entry names, the forget deletes or pseudonymises them, and a feature whose rows need more
(text to blank, cards to show again) gives an `erase` of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.privacy.rules import MemberColumn, Rewrite, Treatment, id_column, text_column

# How far a forget in one server reaches in a table: the SQL condition, with one `?` for the server's id.
GLOBAL = ""  # a member's rows of every server (their locale, their DM channel): theirs wherever they act
BY_GUILD = "guild_id = ?"
BY_GUILD_OR_NONE = "(guild_id = ? OR guild_id IS NULL)"
BY_INCIDENT = "incident_id IN (SELECT id FROM incidents WHERE guild_id = ?)"


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


Eraser = Callable[[aiosqlite.Connection, Forget, Erased], Awaitable[None]]


@dataclass(frozen=True)
class Held:
    column: MemberColumn
    scope: str

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


def _erased(table: str, column: str, scope: str) -> Held:
    return Held(id_column(table, column, Treatment.ERASED), scope)


def _pseudonymised(table: str, column: str, scope: str) -> Held:
    return Held(id_column(table, column, Treatment.PSEUDONYMISED), scope)


def _text(table: str, column: str, scope: str) -> Held:
    return Held(text_column(table, column), scope)


def registry() -> tuple[MemberData, ...]:
    # Imported here: the erasers import this module's types.
    from bot.privacy.store import outbox, reminders, reports

    return (
        MemberData(
            "member",
            (
                _erased("member_locales", "user_id", GLOBAL),
                _erased("dm_channels", "user_id", GLOBAL),
                _erased("member_dm_status", "user_id", GLOBAL),
            ),
        ),
        MemberData(
            "following",
            (
                _erased("subscriptions", "user_id", BY_GUILD),
                _erased("affected_members", "user_id", BY_INCIDENT),
            ),
        ),
        MemberData("reminders", (_erased("reminders", "owner_id", BY_GUILD_OR_NONE),), erase=reminders.erase_posted),
        MemberData(
            "reports",
            (
                _pseudonymised("reports", "user_id", BY_GUILD),
                _pseudonymised("report_groups", "decided_by", BY_GUILD),
                _erased("report_abuse", "user_id", BY_GUILD),
                _pseudonymised("report_abuse", "marked_by", BY_GUILD),
            ),
            erase=reports.erase_texts,
        ),
        MemberData(
            "incidents",
            (
                _pseudonymised("incidents", "declared_by", BY_GUILD),
                _pseudonymised("incidents", "owner_id", BY_GUILD),
                _pseudonymised("incidents", "next_update_by", BY_GUILD),
                _pseudonymised("incidents", "workaround_set_by", BY_GUILD),
                _pseudonymised("updates", "by", BY_INCIDENT),
                _text("updates", "details", BY_INCIDENT),
                _pseudonymised("incident_visibility", "set_by", BY_INCIDENT),
                _text("handled_interactions", "result", BY_GUILD),
            ),
        ),
        MemberData(
            "maintenance",
            (
                _pseudonymised("maintenance", "scheduled_by", BY_GUILD),
                _pseudonymised("maintenance", "owner_id", BY_GUILD),
                _pseudonymised("maintenance_settings", "updated_by", BY_GUILD),
            ),
        ),
        MemberData(
            "settings",
            (
                _pseudonymised("routes", "created_by", BY_GUILD),
                _pseudonymised("boards", "created_by", BY_GUILD),
                _pseudonymised("digests", "created_by", BY_GUILD),
                _pseudonymised("public_pages", "updated_by", BY_GUILD),
                _pseudonymised("webhooks", "created_by", BY_GUILD),
                _pseudonymised("webhook_switches", "set_by", BY_GUILD),
            ),
        ),
        MemberData(
            "audit",
            (
                _pseudonymised("audit_log", "actor_id", BY_GUILD_OR_NONE),
                _text("audit_log", "arguments", BY_GUILD_OR_NONE),
            ),
        ),
        # Not exported (what the bot was asked to send), only rewritten: see outbox.erase.
        MemberData(
            "outbox",
            (
                _text("outbox", "payload", BY_GUILD_OR_NONE),
                _text("outbox", "result", BY_GUILD_OR_NONE),
                _text("outbox", "lane", BY_GUILD_OR_NONE),
                _text("outbox", "coalesce_key", BY_GUILD_OR_NONE),
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
