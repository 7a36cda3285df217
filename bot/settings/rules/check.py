"""`/setup check`, decided: which channels and roles the configuration uses, what the bot lacks in each, which
roles it can manage, and the deliveries that failed lately, grouped. The cog reads the facts from Discord;
`bot.settings.presentation.check_sections` words the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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


# Why Discord refuses Tocsin a role it gives members (403, 50013 Missing Permissions): the role is a bot's or an
# integration's own; it is not below the bot's highest role (the role hierarchy); the bot lacks Manage Roles.
GrantProblem = Literal["managed", "above_bot", "no_manage_roles"]


@dataclass(frozen=True)
class GrantCheck:
    """A role Tocsin gives and takes back for members who follow: a route's role (with its channel) or an open
    incident's follow role (with its number); and why Discord would refuse it, if it would."""

    role_id: int
    channel_id: int | None
    incident_number: int | None
    problem: GrantProblem | None


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
    # Kept by the outbox, to go out once the cause is fixed (a permission given back): not lost.
    owed: bool = False


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
    grants: tuple[GrantCheck, ...] = ()
    bot_role_id: int | None = None  # the bot's highest role, which must stand above every role it gives

    @property
    def ok(self) -> bool:
        return (
            not self.missing_settings
            and all(not c.missing and not c.forum_tags_missing and c.kind != "missing" for c in self.channels)
            and all(r.exists and r.mentionable for r in self.roles)
            and all(g.problem is None for g in self.grants)
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


def grant_problem(role: RoleFacts, *, can_manage_roles: bool) -> GrantProblem | None:
    """Why Discord would refuse Tocsin to give or take back `role` (a bot adds or removes only roles strictly
    below its own highest one, with Manage Roles, and never a managed role); None if it would not."""
    if role.managed:
        return "managed"
    if not role.below_bot:
        return "above_bot"
    return None if can_manage_roles else "no_manage_roles"


def grant_checks(
    view: SetupView,
    roles: Mapping[int, RoleFacts],
    follow_roles: Sequence[tuple[int, int]],
    *,
    can_manage_roles: bool,
) -> tuple[GrantCheck, ...]:
    """The roles Tocsin gives members who follow (each route's role once, each open incident's follow role) that
    still exist, and what Discord would say to each (a role gone is told elsewhere)."""
    checks: dict[int, GrantCheck] = {}
    wanted: list[tuple[int, int | None, int | None]] = [
        (r.role_id, r.channel_id, None) for r in view.routes if r.role_id is not None
    ]
    wanted += [(role_id, None, number) for number, role_id in follow_roles]
    for role_id, channel_id, number in wanted:
        role = roles.get(role_id)
        if role is None or not role.exists or role_id in checks:
            continue
        problem = grant_problem(role, can_manage_roles=can_manage_roles)
        checks[role_id] = GrantCheck(role_id, channel_id, number, problem)
    return tuple(checks.values())


def build_check(
    view: SetupView,
    channels: Mapping[int, ChannelFacts],
    roles: Mapping[int, RoleFacts],
    *,
    can_manage_roles: bool,
    failed: Sequence[FailedDelivery],
    follow_roles: Sequence[tuple[int, int]] = (),
    bot_role_id: int | None = None,
) -> CheckReport:
    """Pure assembly: what is missing where, from the facts the cog read. `follow_roles`: (number, role id) of
    the open incidents that have a follow role."""
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
        key = (row.channel_id, row.user_id, row.kind, row.error_status, row.error_code, row.owed)
        known = groups.get(key)
        if known is None:
            groups[key] = FailureGroup(
                row.channel_id,
                row.user_id,
                row.kind,
                row.error_status,
                row.error_code,
                row.error_text,
                1,
                row.at,
                row.owed,
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
                known.owed,
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
        grants=grant_checks(view, roles, follow_roles, can_manage_roles=can_manage_roles),
        bot_role_id=bot_role_id,
    )
