"""What `/setup` shows: the lines a change answers with (`Msg`s worded in the admin's language by `word`), and
`/setup show`, `/setup check` and the audit log as sections of plain text. Pure text; the cog packs it into
embeds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.common import territories
from bot.common.formatting import member_reference
from bot.common.hours_parsing import format_clock, format_days
from bot.common.i18n import Catalogue, Language, Msg, default_catalogue
from bot.common.text import name_key, safe_text, truncate
from bot.incidents.rules.routing import Route
from bot.reminders.rules.nudges import DEFAULT_CADENCE_MINUTES
from bot.settings.rules.check import CheckReport
from bot.settings.rules.config import STATUS_TAG_IDS, GuildConfig, WorkingHours, status_tags
from bot.settings.rules.model import (
    INCIDENT_CHANNEL_NEEDS,
    MESSAGE_CHANNEL_NEEDS,
    AuditEntry,
    ChannelFacts,
    Permission,
    RoleFacts,
    SetupView,
)
from bot.settings.rules.validation import SEVERITIES, duration_msg, holiday_countries, missing_permissions, sector_label

PERMISSION_IDS: dict[str, str] = {
    "view": "setup.permission.view",
    "send": "setup.permission.send",
    "send_in_threads": "setup.permission.send_in_threads",
    "create_public_threads": "setup.permission.create_public_threads",
    "manage_threads": "setup.permission.manage_threads",
    "embed_links": "setup.permission.embed_links",
    "read_history": "setup.permission.read_history",
}
LANGUAGE_IDS: dict[str, str] = {"fr": "setup.language.fr", "en": "setup.language.en"}
USE_IDS: dict[str, str] = {
    "incident": "setup.use.incident",
    "log": "setup.use.log",
    "route": "setup.use.route",
    "reports": "setup.use.reports",
}


# --- values worded in the reader's language ------------------------------------------------------------------


@dataclass(frozen=True)
class MsgList:
    """Several words shown as one comma-separated list, each worded in the reader's language."""

    items: tuple[Msg | str, ...]


@dataclass(frozen=True)
class WordedDays:
    """Days to word in the reader's language."""

    days: frozenset[int]


def route_parts(route: Route, sectors: Mapping[str, str]) -> RouteLabel:
    territory = territories.get(route.territory) if route.territory else None
    sector = sectors.get(route.sector, route.sector) if route.sector else None
    return RouteLabel(route.id, route.channel_id, territory, sector, route.role_id)


@dataclass(frozen=True)
class RouteLabel:
    """A route as people read it: "#bretagne ← Bretagne (région 53) · pharmacie → @role"."""

    route_id: int
    channel_id: int
    territory: territories.Territory | None
    sector: str | None
    role_id: int | None

    def render(self, language: Language, *, channel_name: str | None = None, role_name: str | None = None) -> str:
        """Mentions by default (they render as names in a message); plain names for autocomplete choices."""
        channel = f"#{channel_name}" if channel_name is not None else f"<#{self.channel_id}>"
        scope = [territories.label(self.territory, language)] if self.territory else []
        if self.sector:
            scope.append(safe_text(self.sector) if role_name is None and channel_name is None else self.sector)
        text = f"{channel} ← " + (" · ".join(scope) or default_catalogue().render(language, "setup.route.everything"))
        if self.role_id is not None:
            text += f" → @{role_name}" if role_name is not None else f" → <@&{self.role_id}>"
        return text


@dataclass(frozen=True)
class RouteMsg:
    """A route to word in the reader's language."""

    label: RouteLabel


def word(catalogue: Catalogue, language: Language, value: Any) -> str:
    """A `Msg` (and the list, days and route values it may hold) in `language`."""
    if isinstance(value, Msg):
        # Numbers stay numbers: a plural message agrees with its count and writes it as the language does.
        args = {
            name: arg if isinstance(arg, int | float) else word(catalogue, language, arg)
            for name, arg in value.args.items()
        }
        return catalogue.render(language, value.message_id, **args)
    if isinstance(value, MsgList):
        return ", ".join(word(catalogue, language, item) for item in value.items)
    if isinstance(value, WordedDays):
        return format_days(value.days, language)
    if isinstance(value, RouteMsg):
        return value.label.render(language)
    return str(value)


# --- what a change answers ---------------------------------------------------------------------------------


def missing_permissions_msg(channel: ChannelFacts, needs: Iterable[Permission]) -> Msg | None:
    missing = missing_permissions(channel, needs)
    if not missing:
        return None
    return Msg.of(
        "setup.warn.missing_permissions",
        channel=f"<#{channel.id}>",
        permissions=MsgList(tuple(Msg.of(PERMISSION_IDS[m]) for m in missing)),
    )


def incident_channel_lines(channel: ChannelFacts) -> list[Msg]:
    """Where incidents will live, the forum's missing status tags, the permissions the bot lacks there."""
    lines: list[Msg] = [
        Msg.of(
            "setup.done.incident_channel_forum" if channel.kind == "forum" else "setup.done.incident_channel_text",
            channel=f"<#{channel.id}>",
        )
    ]
    if channel.kind == "forum":
        found = status_tags(channel.tags)
        missing = [status for status, tag in found.items() if tag is None]
        if missing:
            lines.append(
                Msg.of(
                    "setup.warn.forum_tags_missing",
                    statuses=MsgList(tuple(Msg.of(STATUS_TAG_IDS[s]) for s in missing)),
                )
            )
        else:
            lines.append(Msg.of("setup.note.forum_tags_ok"))
    if warning := missing_permissions_msg(channel, INCIDENT_CHANNEL_NEEDS):
        lines.append(warning)
    return lines


def log_channel_lines(channel: ChannelFacts) -> list[Msg]:
    lines = [Msg.of("setup.done.log_channel", channel=f"<#{channel.id}>")]
    if warning := missing_permissions_msg(channel, MESSAGE_CHANNEL_NEEDS):
        lines.append(warning)
    return lines


def reports_lines(config: GuildConfig, channel: ChannelFacts | None, role: RoleFacts | None) -> list[Msg]:
    """What `/setup reports` set, and what would keep the cards from reaching the coordinators."""
    lines: list[Msg] = []
    if channel is not None:
        lines.append(Msg.of("setup.done.reports_channel", channel=f"<#{channel.id}>"))
        if warning := missing_permissions_msg(channel, MESSAGE_CHANNEL_NEEDS):
            lines.append(warning)
    if role is not None:
        if config.reports_role_id is None:
            lines.append(Msg.of("setup.done.reports_everyone"))
        else:
            lines.append(Msg.of("setup.done.reports_role", role=f"<@&{config.reports_role_id}>"))
    lines.append(
        Msg.of("setup.done.reports_alert", count=config.report_alert_members, minutes=config.report_alert_window_min)
    )
    return lines


def hours_lines(hours: WorkingHours, *, holidays_given: bool) -> list[Msg]:
    """The hours as set, and the public holidays they skip when the admin named them."""
    start, end = format_clock(hours.start), format_clock(hours.end)
    lines = [Msg.of("setup.done.hours", start=start, end=end, days=WordedDays(hours.days))]
    if holidays_given:
        if country := hours.holidays_country:
            lines.append(Msg.of("setup.done.holidays", country=country, name=holiday_countries().get(country, country)))
        else:
            lines.append(Msg.of("setup.done.no_holidays"))
    return lines


def dm_limit_lines(count: int, kept: int) -> list[Msg]:
    """The new limit; or DMs off, and how many members' choices are kept for when they come back on."""
    if count:
        return [Msg.of("setup.done.dm_limit", count=count)]
    lines = [Msg.of("setup.done.dm_off")]
    if kept:
        lines.append(Msg.of("setup.done.dm_off_kept", count=kept))
    return lines


def route_added_lines(
    route: Route, sectors: Mapping[str, str], channel: ChannelFacts, role: RoleFacts | None
) -> list[Msg]:
    """The route as people read it, and what would keep it from reaching anyone."""
    lines = [Msg.of("setup.done.route_added", route=RouteMsg(route_parts(route, sectors)))]
    if route.territory is None and route.sector is None:
        lines.append(Msg.of("setup.warn.route_everything", channel=f"<#{channel.id}>"))
    if warning := missing_permissions_msg(channel, MESSAGE_CHANNEL_NEEDS):
        lines.append(warning)
    if role is not None and not (role.mentionable or channel.mention_everyone):
        lines.append(Msg.of("setup.warn.role_not_mentionable", role=f"<@&{role.id}>", channel=f"<#{channel.id}>"))
    return lines


# --- /setup show, check and the audit log (pure text, in the reader's language) ---------------------------


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


def show_sections(view: SetupView, catalogue: Catalogue, language: Language) -> list[Section]:
    """`/setup show`: every setting, the sectors and the routes."""

    def say(message_id: str, **args: Any) -> str:
        return word(catalogue, language, Msg.of(message_id, **args))

    config = view.config
    unset = say("setup.show.unset")
    incident = unset + " — " + say("setup.show.hint_incident_channel")
    if config.incident_channel_id is not None:
        incident = f"<#{config.incident_channel_id}>"
    role = unset + " — " + say("setup.show.hint_coordinator_role")
    if config.coordinator_role_id is not None:
        role = f"<@&{config.coordinator_role_id}>"
    log = f"<#{config.bot_log_channel_id}>" if config.bot_log_channel_id is not None else unset
    cadence = config.cadence_minutes
    general = (
        say("setup.show.language", value=Msg.of(LANGUAGE_IDS.get(config.language, "setup.language.fr"))),
        say("setup.show.time_zone", value=config.time_zone),
        say("setup.show.incident_channel", value=incident),
        say("setup.show.coordinator_role", value=role),
        say("setup.show.log_channel", value=log),
        say(
            "setup.show.hours" if config.hours.holidays_country else "setup.show.hours_no_holidays",
            days=format_days(config.hours.days, language),
            start=format_clock(config.hours.start),
            end=format_clock(config.hours.end),
            country=config.hours.holidays_country,
        ),
        say("setup.show.archive_delay", hours=config.archive_after_hours),
        say(
            "setup.show.cadence",
            **{s: duration_msg(cadence.get(s, DEFAULT_CADENCE_MINUTES[s])) for s in SEVERITIES},
        ),
        say("setup.show.dm_cap", count=config.dm_cap_per_incident)
        if config.dm_cap_per_incident > 0
        else say("setup.show.dm_off"),
        say(
            "setup.show.reports",
            channel=f"<#{config.report_cards_channel_id}>" if config.report_cards_channel_id is not None else unset,
            who=f"<@&{config.reports_role_id}>" if config.reports_role_id is not None else say("setup.show.everyone"),
            members=Msg.of("report.count.members", count=config.report_alert_members),
            minutes=config.report_alert_window_min,
        ),
    )
    sectors = ", ".join(sector_label(name) for name in sorted(view.sectors.values(), key=name_key))
    routes = tuple(route_parts(r, view.sectors).render(language) for r in view.routes) or (say("setup.show.no_routes"),)
    return [
        Section(say("setup.show.title"), general),
        Section(say("setup.show.sectors", count=len(view.sectors)), (sectors or say("setup.show.no_sectors"),)),
        Section(say("setup.show.routes", count=len(view.routes)), routes),
    ]


def check_sections(report: CheckReport, catalogue: Catalogue, language: Language) -> list[Section]:
    """`/setup check`: what is missing where, what the bot can manage, what failed lately."""

    def say(message_id: str, **args: Any) -> str:
        return word(catalogue, language, Msg.of(message_id, **args))

    sections: list[Section] = []
    if report.missing_settings:
        hints = {
            "incident_channel": "setup.show.hint_incident_channel",
            "coordinator_role": "setup.show.hint_coordinator_role",
        }
        sections.append(Section(say("setup.check.todo"), tuple("❌ " + say(hints[m]) for m in report.missing_settings)))
    channel_lines: list[str] = []
    for check in report.channels:
        uses = MsgList(tuple(Msg.of(USE_IDS[u]) for u in check.uses))
        where = f"<#{check.channel_id}>"
        if check.kind == "missing":
            channel_lines.append("❌ " + say("setup.check.channel_missing", channel=where, uses=uses))
            continue
        if check.missing:
            permissions = MsgList(tuple(Msg.of(PERMISSION_IDS[p]) for p in check.missing))
            channel_lines.append(
                "⚠️ " + say("setup.check.channel_lacks", channel=where, uses=uses, permissions=permissions)
            )
        else:
            channel_lines.append("✅ " + say("setup.check.channel_ok", channel=where, uses=uses))
        if check.forum_tags_missing:
            statuses = MsgList(tuple(Msg.of(STATUS_TAG_IDS[s]) for s in check.forum_tags_missing))
            channel_lines.append("⚠️ " + say("setup.check.forum_tags_missing", channel=where, statuses=statuses))
    sections.append(Section(say("setup.check.channels"), tuple(channel_lines) or (say("setup.check.no_channels"),)))
    role_lines: list[str] = []
    for role in report.roles:
        args = {"role": f"<@&{role.role_id}>", "channel": f"<#{role.channel_id}>"}
        if not role.exists:
            role_lines.append("❌ " + say("setup.check.role_missing", **args))
        elif role.mentionable:
            role_lines.append("✅ " + say("setup.check.role_ok", **args))
        else:
            role_lines.append("⚠️ " + say("setup.check.role_not_mentionable", **args))
    sections.append(Section(say("setup.check.roles"), tuple(role_lines) or (say("setup.check.no_route_roles"),)))
    sections.append(Section(say("setup.check.grants"), _grant_lines(report, say)))
    if not report.can_manage_roles:
        managed = say("setup.check.cannot_manage_roles")
    elif report.manageable_roles:
        managed = ", ".join(f"<@&{r}>" for r in report.manageable_roles)
    else:
        managed = say("setup.check.no_manageable_roles")
    sections.append(Section(say("setup.check.manageable"), (managed,)))
    failure_lines: list[str] = []
    for group in report.failures:
        target = (
            f"<#{group.channel_id}>"
            if group.channel_id is not None
            else (f"<@{group.user_id}>" if group.user_id is not None else group.kind)
        )
        failure_lines.append(
            ("⏳ " if group.owed else "❌ ")
            + say(
                "setup.check.failure",
                target=target,
                status=group.error_status if group.error_status is not None else "—",
                code=group.error_code if group.error_code is not None else "—",
                error=safe_text((group.error_text or "")[:120]) or "—",
                count=group.count,
                latest=f"<t:{int(group.latest.timestamp())}:R>",
            )
        )
    if report.not_attempted:
        failure_lines.append(say("setup.check.not_attempted", count=report.not_attempted))
    if any(group.owed for group in report.failures):
        failure_lines.append(say("setup.check.owed"))
    sections.append(
        Section(
            say("setup.check.failures", count=report.failure_count),
            tuple(failure_lines) or (say("setup.check.no_failures"),),
        )
    )
    return sections


def _grant_lines(report: CheckReport, say: Callable[..., str]) -> tuple[str, ...]:
    """The roles Tocsin gives those who follow: each cause Discord would refuse one for, and what to do. Without
    Manage Roles even the follow role of the next incident cannot be made: said whatever roles exist now."""
    bot_role = f"<@&{report.bot_role_id}>" if report.bot_role_id is not None else "—"
    lines = []
    if not report.can_manage_roles:
        lines.append("❌ " + say("setup.check.grants_no_manage_roles", bot_role=bot_role))
    for grant in report.grants:
        if grant.problem not in ("above_bot", "managed"):
            continue
        if grant.channel_id is not None:
            what = say("setup.check.grant_for_route", channel=f"<#{grant.channel_id}>")
        else:
            what = say("setup.check.grant_for_incident", number=grant.incident_number)
        key = "setup.check.grant_above_bot" if grant.problem == "above_bot" else "setup.check.grant_managed"
        lines.append("❌ " + say(key, role=f"<@&{grant.role_id}>", what=what, bot_role=bot_role))
    if lines:
        return tuple(lines)
    if not report.grants:
        return (say("setup.check.no_grants"),)
    return ("✅ " + say("setup.check.grants_ok", roles=", ".join(f"<@&{g.role_id}>" for g in report.grants)),)


def audit_lines(entries: Sequence[AuditEntry], catalogue: Catalogue, language: Language) -> list[str]:
    """One line per entry: when, who, what, with which arguments, and the result."""
    lines = []
    for entry in entries:
        who = (
            member_reference(entry.actor_id, language)
            if entry.actor_id is not None
            else catalogue.render(language, "setup.audit.system")
        )
        arguments = _arguments_text(entry.arguments)
        line = f"<t:{int(entry.at.timestamp())}:f> · {who} · `{safe_text(entry.action)[:60]}`"
        if arguments:
            line += f" {arguments}"
        lines.append(line + f" → {_result_text(entry.result, catalogue, language)}")
    return lines


def _result_text(result: str, catalogue: Catalogue, language: Language) -> str:
    """ "refused: access.error.admin_only" (as the error handler records it) as the sentence the person read."""
    reason = result.removeprefix("refused: ")
    if reason != result and reason in catalogue.keys(language):
        sentence = catalogue.raw(language, reason).format_map(defaultdict(lambda: "…"))
        return catalogue.render(language, "setup.audit.refused", reason=truncate(safe_text(sentence), 200))
    return truncate(safe_text(result), 200)


_MENTION_FORMS = {"channel": "<#{}>", "role": "<@&{}>", "member": "<@{}>", "user": "<@{}>"}


def _flatten_options(options: Sequence[Any]) -> list[str]:
    """Discord's raw options as the error handler records refused commands: leaves as name=value."""
    flat: list[str] = []
    for item in options:
        if not isinstance(item, dict):
            flat.append(str(item))
        elif isinstance(item.get("options"), list):
            flat.extend(_flatten_options(item["options"]))
        elif "value" in item:
            flat.append(_argument(str(item.get("name")), item["value"]))
    return flat


def _argument(key: str, value: Any) -> str:
    form = _MENTION_FORMS.get(key)
    if form is not None and str(value).isdigit():
        # Mentions render as names in the admin's client, and a private reply pings nobody.
        return f"{key}={form.format(value)}"
    return f"{key}={safe_text(str(value))}"


def _arguments_text(arguments: Mapping[str, Any]) -> str:
    flat: list[str] = []
    for key, value in arguments.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list):
            flat.extend(_flatten_options(value))
        else:
            flat.append(_argument(key, value))
    return truncate(" ".join(flat), 300)
