"""What `/setup` works on: the admin who acts, the channels and roles as the cog read them from Discord, what a
change did, the audit entries and failed deliveries it shows, and the bounds of each setting.

The cog reads what only Discord knows (a channel's type, the bot's permissions there, a role's place) into the
plain `ChannelFacts` / `RoleFacts` below, so that nothing past the cog imports discord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.common.errors import TocsinError
from bot.common.i18n import Msg
from bot.incidents.rules.routing import Route
from bot.settings.rules.config import GuildConfig

MAX_ARCHIVE_HOURS = 168
MAX_AUDIT_ENTRIES = 100
MAX_ROUTES = 200
MAX_DM_CAP = 500
# A nudge more often than every quarter of an hour is noise to an owner busy on the outage; one less often than
# once a week no longer keeps anybody informed.
MIN_CADENCE_MINUTES = 15
MAX_CADENCE_MINUTES = 7 * 24 * 60

ChannelKind = Literal["text", "news", "forum", "voice", "stage", "category", "thread", "other", "missing"]

# What the bot needs where (ARCHITECTURE.md "Who is told what"): the incident channel holds threads or forum posts,
# the log channel and route channels take plain messages with embeds.
Permission = Literal[
    "view", "send", "send_in_threads", "create_public_threads", "manage_threads", "embed_links", "read_history"
]
INCIDENT_CHANNEL_NEEDS: tuple[Permission, ...] = (
    "view",
    "send",
    "send_in_threads",
    "create_public_threads",
    "manage_threads",
    "embed_links",
    "read_history",
)
MESSAGE_CHANNEL_NEEDS: tuple[Permission, ...] = ("view", "send", "embed_links", "read_history")


class SetupError(TocsinError, ValueError):
    """A `/setup` input that cannot be used; the sentence names it and gives an example."""


@dataclass(frozen=True)
class ChannelFacts:
    """A channel as the cog read it from Discord: its type, name and the bot's permissions there."""

    id: int
    kind: ChannelKind
    name: str = ""
    permissions: frozenset[str] = frozenset()
    mention_everyone: bool = False
    tags: tuple[str, ...] = ()  # a forum's available tags


@dataclass(frozen=True)
class RoleFacts:
    id: int
    name: str = ""
    exists: bool = True
    mentionable: bool = False
    is_default: bool = False  # @everyone
    managed: bool = False  # a bot's or an integration's own role
    below_bot: bool = False  # under the bot's top role, so the bot can give and take it


@dataclass(frozen=True)
class Outcome:
    """What a change did, worded later in the admin's language: one line per `Msg`."""

    lines: tuple[Msg, ...]


@dataclass(frozen=True)
class SetupView:
    config: GuildConfig
    sectors: dict[str, str]
    routes: tuple[Route, ...]
    configured: bool  # the server has a settings row


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor_id: int | None
    action: str
    arguments: dict[str, Any]
    result: str
    at: datetime


@dataclass(frozen=True)
class FailedDelivery:
    id: int
    kind: str
    channel_id: int | None
    user_id: int | None
    error_status: int | None
    error_code: int | None
    error_text: str | None
    at: datetime
    # It waited on a row that failed, so it was never attempted: its cause is listed on its own.
    not_attempted: bool = False
    # Kept by the outbox, to go out once its cause is fixed (a permission given back).
    owed: bool = False
