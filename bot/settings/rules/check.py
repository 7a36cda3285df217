"""`/setup check`, decided: which channels and roles the configuration uses, what the bot lacks in each, which
roles it can manage, and the deliveries that failed lately, grouped. The cog reads the facts from Discord;
`bot.settings.presentation.check_sections` words the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.settings.rules.config import status_tags
from bot.settings.rules.model import (
    INCIDENT_CHANNEL_NEEDS,
    MESSAGE_CHANNEL_NEEDS,
    ChannelFacts,
    ChannelKind,
    FailedDelivery,
    RoleFacts,
    SetupView,
)
from bot.settings.rules.validation import missing_permissions


@dataclass(frozen=True)
class ChannelCheck:
    channel_id: int
    uses: tuple[str, ...]  # "incident", "log", "reports", "route"
    kind: ChannelKind
    missing: tuple[str, ...]  # permission names
    forum_tags_missing: tuple[str, ...] = ()  # statuses without a tag


@dataclass(frozen=True)
class RoleCheck:
    role_id: int
    channel_id: int
    exists: bool
    mentionable: bool  # by the bot there: the role is mentionable, or the bot has Mention Everyone there


@dataclass(frozen=True)
class FailureGroup:
    channel_id: int | None
    user_id: int | None
    kind: str
    error_status: int | None
    error_code: int | None
    error_text: str | None
    count: int
    latest: datetime


@dataclass(frozen=True)
class CheckReport:
    channels: tuple[ChannelCheck, ...]
    roles: tuple[RoleCheck, ...]
    manageable_roles: tuple[int, ...]
    can_manage_roles: bool
    failures: tuple[FailureGroup, ...]
    failure_count: int
    not_attempted: int = 0
    missing_settings: tuple[str, ...] = field(default_factory=tuple)  # "incident_channel", "coordinator_role"

    @property
    def ok(self) -> bool:
        return (
            not self.missing_settings
            and all(not c.missing and not c.forum_tags_missing and c.kind != "missing" for c in self.channels)
            and all(r.exists and r.mentionable for r in self.roles)
            and not self.failures
        )


def configured_channel_ids(view: SetupView) -> list[int]:
    config = view.config
    ids = [config.incident_channel_id, config.bot_log_channel_id, config.reports_channel_id]
    ids += [r.channel_id for r in view.routes]
    return list(dict.fromkeys(i for i in ids if i is not None))


def configured_role_ids(view: SetupView) -> list[int]:
    ids = [view.config.coordinator_role_id, *(r.role_id for r in view.routes)]
    return list(dict.fromkeys(i for i in ids if i is not None))


def build_check(
    view: SetupView,
    channels: Mapping[int, ChannelFacts],
    roles: Mapping[int, RoleFacts],
    *,
    can_manage_roles: bool,
    failed: Sequence[FailedDelivery],
) -> CheckReport:
    """Pure assembly: what is missing where, from the facts the cog read."""
    config = view.config
    uses: dict[int, list[str]] = {}
    if config.incident_channel_id is not None:
        uses.setdefault(config.incident_channel_id, []).append("incident")
    if config.bot_log_channel_id is not None:
        uses.setdefault(config.bot_log_channel_id, []).append("log")
    if config.reports_channel_id is not None:
        uses.setdefault(config.reports_channel_id, []).append("reports")
    for route in view.routes:
        if "route" not in uses.setdefault(route.channel_id, []):
            uses[route.channel_id].append("route")
    channel_checks = []
    for channel_id, channel_uses in uses.items():
        facts = channels.get(channel_id, ChannelFacts(channel_id, "missing"))
        needs = INCIDENT_CHANNEL_NEEDS if "incident" in channel_uses else MESSAGE_CHANNEL_NEEDS
        missing = tuple(missing_permissions(facts, needs)) if facts.kind != "missing" else ()
        tags_missing: tuple[str, ...] = ()
        if "incident" in channel_uses and facts.kind == "forum":
            tags_missing = tuple(s for s, tag in status_tags(facts.tags).items() if tag is None)
        channel_checks.append(ChannelCheck(channel_id, tuple(channel_uses), facts.kind, missing, tags_missing))
    role_checks = []
    for route in view.routes:
        if route.role_id is None:
            continue
        role = roles.get(route.role_id, RoleFacts(route.role_id, exists=False))
        channel = channels.get(route.channel_id)
        mentionable = role.exists and (role.mentionable or (channel is not None and channel.mention_everyone))
        role_checks.append(RoleCheck(route.role_id, route.channel_id, role.exists, mentionable))
    manageable = tuple(
        r.id
        for r in roles.values()
        if can_manage_roles and r.exists and r.below_bot and not r.is_default and not r.managed
    )
    groups: dict[tuple[Any, ...], FailureGroup] = {}
    # A row that waited on a failed one was never attempted: its cause is already listed, so it is only counted.
    consequences = [row for row in failed if row.not_attempted]
    causes = [row for row in failed if not row.not_attempted]
    for row in causes:
        key = (row.channel_id, row.user_id, row.kind, row.error_status, row.error_code)
        known = groups.get(key)
        if known is None:
            groups[key] = FailureGroup(
                row.channel_id, row.user_id, row.kind, row.error_status, row.error_code, row.error_text, 1, row.at
            )
        else:
            groups[key] = FailureGroup(
                known.channel_id,
                known.user_id,
                known.kind,
                known.error_status,
                known.error_code,
                known.error_text,
                known.count + 1,
                max(known.latest, row.at),
            )
    missing_settings = tuple(
        name
        for name, value in (
            ("incident_channel", config.incident_channel_id),
            ("coordinator_role", config.coordinator_role_id),
        )
        if value is None
    )
    return CheckReport(
        channels=tuple(channel_checks),
        roles=tuple(role_checks),
        manageable_roles=manageable,
        can_manage_roles=can_manage_roles,
        failures=tuple(sorted(groups.values(), key=lambda g: g.latest, reverse=True)),
        failure_count=len(causes),
        not_attempted=len(consequences),
        missing_settings=missing_settings,
    )
