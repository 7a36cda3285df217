"""What an incident looks like on Discord, as Discord's JSON: the thread's status message, each channel's
announcement, the new messages that notify (declared, new workaround, severity raised, resolved, reopened),
the thread posts of each update, and the edit telling a channel the incident no longer concerns it.

Every word comes from the catalogue in the language asked; every typed value goes through `safe_text`; times
are Discord timestamps (each reader's client shows them in their own zone); and every payload fits Discord's
limits whatever was typed (`fit_embed`, `truncate`). Payloads carry `allowed_mentions` naming exactly the
roles and people they may ping: the routes' roles on a new channel message, the follow role and the people
named on a thread post, nobody on anything else. Edits carry no mention permission: edits never notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.common import territories as territory_data
from bot.common.formatting import format_duration, format_number
from bot.common.i18n.catalogue import Language, default_catalogue
from bot.common.limits import (
    BUTTON_LABEL,
    CUSTOM_ID,
    EMBED_AUTHOR,
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FIELDS,
    EMBED_FOOTER,
    EMBED_TITLE,
    EMBED_TOTAL,
    MESSAGE_CONTENT,
)
from bot.common.text import plain_text, safe_text, thread_name, truncate
from bot.incidents.presentation.labels import (
    CAUSE_KEYS,
    EDITED_FIELD_KEYS,
    SERVICE_STATE_KEYS,
    SEVERITY_KEYS,
    STATUS_KEYS,
)
from bot.incidents.rules.durations import ServiceDurations, restored_after, total_duration
from bot.incidents.rules.lifecycle import AnnounceReason, Update, UpdateKind
from bot.incidents.rules.model import CancelReason, Incident, ServiceState, Severity, Status

Payload = dict[str, Any]
Embed = dict[str, Any]

STATE_EMOJI: dict[ServiceState, str] = {
    ServiceState.DOWN: "🔴",
    ServiceState.DEGRADED: "🟠",
    ServiceState.RESTORED: "🟢",
}
SEVERITY_COLOURS: dict[Severity, int] = {
    Severity.CRITICAL: 0xC62828,
    Severity.MAJOR: 0xEF6C00,
    Severity.MINOR: 0xF9A825,
}
RESOLVED_COLOUR = 0x2E7D32
CANCELLED_COLOUR = 0x757575

FOLLOW = "follow"
AFFECTED = "affected"
_CUSTOM_ID_PREFIX = "tocsin"
NO_MENTIONS: dict[str, list[Any]] = {"parse": [], "users": [], "roles": []}


def _t(language: Language, message_id: str, **args: Any) -> str:
    return default_catalogue().render(language, message_id, **args)


def discord_time(at: datetime, style: str = "F") -> str:
    return f"<t:{int(at.timestamp())}:{style}>"


def _when(at: datetime) -> str:
    return f"{discord_time(at, 'F')} ({discord_time(at, 'R')})"


def _user(user_id: int) -> str:
    return f"<@{user_id}>"


def thread_url(guild_id: int, thread_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


# --- buttons ----------------------------------------------------------------------------------------------


def custom_id(action: str, guild_id: int, number: int) -> str:
    """ "tocsin:follow:<guild>:<number>": what a button does, to which incident, readable after a restart."""
    if action not in (FOLLOW, AFFECTED):
        raise ValueError(f"unknown button action {action!r}")
    value = f"{_CUSTOM_ID_PREFIX}:{action}:{guild_id}:{number}"
    if len(value) > CUSTOM_ID:
        raise ValueError("custom_id too long")
    return value


def parse_custom_id(value: str) -> tuple[str, int, int] | None:
    """(action, guild_id, number) of one of our buttons, or None for anything else (never trusted further:
    the click's guild must be checked against `guild_id` by the caller)."""
    parts = value.split(":")
    if len(parts) != 4 or parts[0] != _CUSTOM_ID_PREFIX or parts[1] not in (FOLLOW, AFFECTED):
        return None
    if not (parts[2].isascii() and parts[2].isdigit() and parts[3].isascii() and parts[3].isdigit()):
        return None
    return parts[1], int(parts[2]), int(parts[3])


def buttons(incident: Incident, language: Language, *, url: str | None = None) -> list[dict[str, Any]]:
    """Follow and "affected too" (disabled once the incident is closed), and a link to the thread."""
    closed = not incident.is_open
    row: list[dict[str, Any]] = [
        {
            "type": 2,
            "style": 1,
            "label": truncate(_t(language, "incident.button.follow"), BUTTON_LABEL),
            "custom_id": custom_id(FOLLOW, incident.guild_id, incident.number),
            "disabled": closed,
        },
        {
            "type": 2,
            "style": 2,
            "label": truncate(_t(language, "incident.button.affected"), BUTTON_LABEL),
            "custom_id": custom_id(AFFECTED, incident.guild_id, incident.number),
            "disabled": closed,
        },
    ]
    if url is not None:
        row.append(
            {"type": 2, "style": 5, "label": truncate(_t(language, "incident.button.thread"), BUTTON_LABEL), "url": url}
        )
    return [{"type": 1, "components": row}]


# --- embeds within limits ---------------------------------------------------------------------------------


def embed_length(embed: Embed) -> int:
    """The characters Discord counts against the 6,000 of one embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


# Free-text fields (workaround, impact, summary…) are shortened to this before the description is touched:
# in every embed built here the description holds the structured part (services, durations).
_FIELD_FLOOR = 100


def fit_embed(embed: Embed) -> Embed:
    """The embed cut to Discord's limits: each part to its own, at most 25 fields, and 6,000 in all. Over
    6,000, the longest field values are shortened first (down to 100 characters), then the description, so
    that the short facts always stay whole."""
    fitted = dict(embed)
    if "title" in fitted:
        fitted["title"] = truncate(fitted["title"], EMBED_TITLE)
    if "description" in fitted:
        fitted["description"] = truncate(fitted["description"], EMBED_DESCRIPTION)
    if "footer" in fitted:
        fitted["footer"] = {**fitted["footer"], "text": truncate(fitted["footer"]["text"], EMBED_FOOTER)}
    if "author" in fitted:
        fitted["author"] = {**fitted["author"], "name": truncate(fitted["author"]["name"], EMBED_AUTHOR)}
    fitted["fields"] = [
        {
            **f,
            "name": truncate(f["name"] or "—", EMBED_FIELD_NAME),
            "value": truncate(f["value"] or "—", EMBED_FIELD_VALUE),
        }
        for f in fitted.get("fields", [])[:EMBED_FIELDS]
    ]
    fields = fitted["fields"]
    while (excess := embed_length(fitted) - EMBED_TOTAL) > 0:
        by_length = sorted(range(len(fields)), key=lambda i: len(fields[i]["value"]), reverse=True)
        longest = len(fields[by_length[0]]["value"]) if by_length else 0
        if longest > _FIELD_FLOOR:
            runner_up = len(fields[by_length[1]]["value"]) if len(by_length) > 1 else 0
            target = max(longest - excess, _FIELD_FLOOR, runner_up)
            if target >= longest:  # several fields as long: shave this one, the next turn takes the other
                target = longest - 1
            index = by_length[0]
            fields[index] = {**fields[index], "value": truncate(fields[index]["value"], target)}
        elif len(fitted.get("description", "")) > 1:
            description = fitted["description"]
            fitted["description"] = truncate(description, max(1, len(description) - excess))
        else:  # only titles and names left: drop the last field
            fields.pop()
    if not fitted["fields"]:
        del fitted["fields"]
    return fitted


def _field(name: str, value: str, *, inline: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "inline": inline}


def _colour(incident: Incident) -> int:
    if incident.status == Status.RESOLVED:
        return RESOLVED_COLOUR
    if incident.status == Status.CANCELLED:
        return CANCELLED_COLOUR
    return SEVERITY_COLOURS[incident.severity]


def heading(incident: Incident) -> str:
    """ "#42 · title", escaped, for embed titles and message lines."""
    return f"{incident.label} · {safe_text(incident.title)}"


def _territories(incident: Incident, language: Language) -> str:
    labels: list[str] = []
    for ref in incident.territories:
        try:
            labels.append(territory_data.label(territory_data.get(ref), language))
        except territory_data.TerritoryError:  # a code the current data no longer knows: show it as stored
            labels.append(ref)
    return safe_text(", ".join(labels))


def service_line(incident: Incident, index: int, language: Language) -> str:
    service = incident.services[index]
    state = _t(language, SERVICE_STATE_KEYS[service.state])
    name = safe_text(service.name)
    emoji = STATE_EMOJI[service.state]
    after = restored_after(incident, service.key)
    if after is not None:
        return _t(
            language,
            "incident.service_line.restored",
            emoji=emoji,
            name=name,
            state=state,
            duration=format_duration(after, language),
        )
    return _t(
        language, "incident.service_line", emoji=emoji, name=name, state=state, since=discord_time(service.since, "R")
    )


def status_embed(incident: Incident, language: Language) -> Embed:
    """The incident as it stands: status, severity, organisation, territories, since, ETA, next update, every
    service and its state, workaround, impact, affected count, owner."""
    # Services first: when the 6,000 characters run out, the free description is what gets shortened.
    lines: list[str] = []
    if incident.services:
        lines.append(f"**{_t(language, 'incident.label.services')}**")
        lines += [service_line(incident, i, language) for i in range(len(incident.services))]
    else:
        lines.append(_t(language, "incident.services_none"))
    if incident.description:
        lines += ["", safe_text(incident.description, multiline=True)]
    fields = [
        _field(_t(language, "incident.label.status"), _t(language, STATUS_KEYS[incident.status]), inline=True),
        _field(_t(language, "incident.label.severity"), _t(language, SEVERITY_KEYS[incident.severity]), inline=True),
        _field(_t(language, "incident.label.cause"), _t(language, CAUSE_KEYS[incident.cause]), inline=True),
    ]
    if incident.organisation:
        fields.append(
            _field(_t(language, "incident.label.organisation"), safe_text(incident.organisation), inline=True)
        )
    fields += [
        _field(_t(language, "incident.label.sector"), safe_text(incident.sector), inline=True),
        _field(_t(language, "incident.label.territories"), _territories(incident, language)),
        _field(_t(language, "incident.label.started"), _when(incident.started_at), inline=True),
    ]
    if incident.is_open:
        eta = _when(incident.eta) if incident.eta else _t(language, "incident.value.eta_unknown")
        fields.append(_field(_t(language, "incident.label.eta"), eta, inline=True))
        if incident.next_update_at is not None:
            value = _t(
                language,
                "incident.value.next_update",
                time=_when(incident.next_update_at),
                user=_user(incident.next_update_by or incident.owner_id),
            )
            fields.append(_field(_t(language, "incident.label.next_update"), value, inline=True))
    if incident.workaround is not None:
        fields.append(
            _field(
                _t(language, "incident.label.workaround", version=incident.workaround.version),
                safe_text(incident.workaround.text, multiline=True),
            )
        )
    if incident.impact:
        fields.append(_field(_t(language, "incident.label.impact"), safe_text(incident.impact, multiline=True)))
    fields.append(
        _field(_t(language, "incident.label.affected"), format_number(incident.affected_count, language), inline=True)
    )
    fields.append(_field(_t(language, "incident.label.owner"), _user(incident.owner_id), inline=True))
    if incident.status == Status.RESOLVED and incident.resolved_at is not None:
        duration = total_duration(incident) or timedelta(0)
        fields.append(
            _field(
                _t(language, "incident.label.resolved"),
                _t(
                    language,
                    "incident.value.resolved",
                    time=_when(incident.resolved_at),
                    duration=format_duration(duration, language),
                ),
            )
        )
        if incident.resolution_note:
            fields.append(
                _field(
                    _t(language, "incident.label.resolution_note"), safe_text(incident.resolution_note, multiline=True)
                )
            )
    if incident.status == Status.CANCELLED:
        fields.append(_field(_t(language, "incident.label.cancelled"), _cancel_text(incident, language)))
    embed: Embed = {
        "title": heading(incident),
        "description": "\n".join(lines),
        "color": _colour(incident),
        "fields": fields,
        "footer": {"text": _t(language, "incident.footer", label=incident.label)},
        "timestamp": incident.updated_at.isoformat(),
    }
    return fit_embed(embed)


def _cancel_text(incident: Incident, language: Language) -> str:
    if incident.cancelled_reason == CancelReason.DUPLICATE and incident.duplicate_of is not None:
        return _t(language, "incident.value.cancelled_duplicate", number=incident.duplicate_of)
    return _t(language, "incident.value.cancelled_false_alarm")


# --- messages ---------------------------------------------------------------------------------------------


def _mentions(role_ids: Sequence[int]) -> str:
    return "".join(f"<@&{role_id}> " for role_id in role_ids)


def _allowed(*, roles: Sequence[int] = (), users: Sequence[int] = ()) -> dict[str, list[Any]]:
    return {"parse": [], "users": list(dict.fromkeys(users)), "roles": list(dict.fromkeys(roles))}


def _content(mentions: str, text: str) -> str:
    return truncate(mentions + text, MESSAGE_CONTENT)


def status_message(incident: Incident, language: Language) -> Payload:
    """The message that opens the incident's thread (or forum post), kept current by edits."""
    return {
        "content": "",
        "embeds": [status_embed(incident, language)],
        "components": buttons(incident, language),
        "allowed_mentions": NO_MENTIONS,
    }


def announcement(
    incident: Incident, language: Language, *, role_ids: Sequence[int] = (), url: str | None = None
) -> Payload:
    """The standing announcement of one channel: posted when declared (mentioning the channel's route roles)
    and edited in place afterwards with the same builder."""
    key = "announce.declared" if incident.is_open else "announce.closed"
    text = _t(language, key, heading=heading(incident), status=_t(language, STATUS_KEYS[incident.status]))
    return {
        "content": _content(_mentions(role_ids), text),
        "embeds": [status_embed(incident, language)],
        "components": buttons(incident, language, url=url),
        "allowed_mentions": _allowed(roles=role_ids),
    }


def news_message(
    incident: Incident,
    reasons: Sequence[AnnounceReason],
    language: Language,
    *,
    role_ids: Sequence[int] = (),
    url: str | None = None,
    durations: Sequence[ServiceDurations] = (),
    severity_from: Severity | None = None,
    silent: bool = False,
) -> Payload | None:
    """One new message for one channel saying what is news (a new workaround, a raised severity, the
    recovery, a reopen), mentioning the channel's route roles; None when the only reason is the declaration
    (the announcement itself is that message). Several reasons make one message. `silent` (a silent update
    that changed the workaround) posts it with notifications suppressed."""
    lines: list[str] = []
    embeds: list[Embed] = []
    head = heading(incident)
    if AnnounceReason.RESOLVED in reasons:
        duration = total_duration(incident) or timedelta(0)
        lines.append(_t(language, "announce.resolved", heading=head, duration=format_duration(duration, language)))
        embeds.append(recovery_embed(incident, durations, language))
    if AnnounceReason.REOPENED in reasons:
        lines.append(_t(language, "announce.reopened", heading=head, status=_t(language, STATUS_KEYS[incident.status])))
    if AnnounceReason.SEVERITY_RAISED in reasons:
        lines.append(
            _t(
                language,
                "announce.severity_raised",
                heading=head,
                severity=_t(language, SEVERITY_KEYS[incident.severity]),
                previous=_t(language, SEVERITY_KEYS[severity_from]) if severity_from else "—",
            )
        )
    if AnnounceReason.WORKAROUND_CHANGED in reasons and incident.workaround is not None:
        lines.append(_t(language, "announce.workaround_changed", heading=head, version=incident.workaround.version))
        embeds.append(
            fit_embed(
                {
                    "title": _t(language, "incident.label.workaround", version=incident.workaround.version),
                    "description": safe_text(incident.workaround.text, multiline=True),
                    "color": _colour(incident),
                    "timestamp": incident.workaround.set_at.isoformat(),
                }
            )
        )
    if not lines:
        return None
    return {
        "content": _content(_mentions(role_ids), "\n".join(lines)),
        "embeds": embeds,
        "components": []
        if url is None
        else [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 5,
                        "label": truncate(_t(language, "incident.button.thread"), BUTTON_LABEL),
                        "url": url,
                    }
                ],
            }
        ],
        "allowed_mentions": _allowed(roles=role_ids),
        "silent": silent,
    }


def recovery_embed(incident: Incident, durations: Sequence[ServiceDurations], language: Language) -> Embed:
    """Total duration and, per service, its time down and degraded (the thread and the recovery message)."""
    duration = total_duration(incident) or timedelta(0)
    lines = [
        _t(
            language,
            "announce.recovery.total",
            duration=format_duration(duration, language),
            started=discord_time(incident.started_at, "f"),
            resolved=discord_time(incident.resolved_at or incident.updated_at, "f"),
        )
    ]
    for service in durations:
        lines.append(service_durations_line(service, language))
    fields = []
    if incident.resolution_note:
        fields.append(
            _field(_t(language, "incident.label.resolution_note"), safe_text(incident.resolution_note, multiline=True))
        )
    return fit_embed(
        {
            "title": _t(language, "announce.recovery.title", heading=heading(incident)),
            "description": "\n".join(lines),
            "color": RESOLVED_COLOUR,
            "fields": fields,
            "timestamp": (incident.resolved_at or incident.updated_at).isoformat(),
        }
    )


def service_durations_line(service: ServiceDurations, language: Language) -> str:
    parts: list[str] = []
    if service.downtime:
        parts.append(_t(language, "announce.duration.down", duration=format_duration(service.downtime, language)))
    if service.degraded_time:
        parts.append(
            _t(language, "announce.duration.degraded", duration=format_duration(service.degraded_time, language))
        )
    if not parts:
        parts.append(_t(language, "announce.duration.none"))
    return _t(
        language,
        "announce.recovery.service",
        name=safe_text(service.name),
        durations=_t(language, "announce.duration.joiner").join(parts),
    )


def no_longer_concerns(incident: Incident, language: Language) -> Payload:
    """The edit of an announcement whose channel no longer matches the corrected incident."""
    return {
        "content": _t(language, "announce.no_longer_concerns", heading=heading(incident)),
        "embeds": [],
        "components": [],
        "allowed_mentions": NO_MENTIONS,
    }


# --- thread posts -----------------------------------------------------------------------------------------


def _entry_lines(
    incident: Incident, entry: Update, language: Language, durations: Sequence[ServiceDurations]
) -> list[str]:
    d = entry.details
    kind = entry.kind
    if kind == UpdateKind.STATUS_CHANGED:
        return [
            _t(
                language,
                "incident.post.status",
                previous=_t(language, STATUS_KEYS[Status(d["from"])]),
                current=_t(language, STATUS_KEYS[Status(d["to"])]),
            )
        ]
    if kind == UpdateKind.SEVERITY_CHANGED:
        return [
            _t(
                language,
                "incident.post.severity",
                previous=_t(language, SEVERITY_KEYS[Severity(d["from"])]),
                current=_t(language, SEVERITY_KEYS[Severity(d["to"])]),
            )
        ]
    if kind == UpdateKind.SERVICES_CHANGED:
        return [_service_change_line(incident, change, language) for change in d["changes"]]
    if kind == UpdateKind.WORKAROUND_CHANGED:
        return [_t(language, "incident.post.workaround", version=d["version"]), safe_text(d["text"], multiline=True)]
    if kind == UpdateKind.ETA_CHANGED:
        if d["to"] is None:
            return [_t(language, "incident.post.eta_cleared")]
        return [_t(language, "incident.post.eta", time=_when(datetime.fromisoformat(d["to"])))]
    if kind == UpdateKind.NEXT_UPDATE_SET:
        return [
            _t(language, "incident.post.next_update", time=_when(datetime.fromisoformat(d["at"])), user=_user(d["by"]))
        ]
    if kind == UpdateKind.NOTE:
        return [safe_text(d["text"], multiline=True)]
    if kind == UpdateKind.RESOLVED:
        duration = total_duration(incident) or timedelta(0)
        lines = [_t(language, "incident.post.resolved", duration=format_duration(duration, language))]
        lines += [service_durations_line(s, language) for s in durations]
        if d.get("text"):
            lines.append(safe_text(d["text"], multiline=True))
        return lines
    if kind == UpdateKind.REOPENED:
        lines = [_t(language, "incident.post.reopened", status=_t(language, STATUS_KEYS[Status(d["to"])]))]
        return lines + ([safe_text(d["text"], multiline=True)] if d.get("text") else [])
    if kind == UpdateKind.CANCELLED:
        if d["reason"] == CancelReason.DUPLICATE.value:
            lines = [_t(language, "incident.post.cancelled_duplicate", number=d["duplicate_of"])]
        else:
            lines = [_t(language, "incident.post.cancelled_false_alarm")]
        return lines + ([safe_text(d["text"], multiline=True)] if d.get("text") else [])
    if kind == UpdateKind.ASSIGNED:
        return [_t(language, "incident.post.assigned", user=_user(d["to"]), by=_user(entry.by))]
    if kind == UpdateKind.EDITED:
        names = [_t(language, EDITED_FIELD_KEYS[name]) for name in d["changes"] if name in EDITED_FIELD_KEYS]
        return [_t(language, "incident.post.edited", fields=", ".join(names))]
    return []  # declared (the status message says it) and "affected too" (counted, not posted)


def _service_change_line(incident: Incident, change: dict[str, Any], language: Language) -> str:
    to = ServiceState(change["to"])
    name = safe_text(change["name"])
    state = _t(language, SERVICE_STATE_KEYS[to])
    if change["from"] is None:
        return _t(language, "incident.post.service_new", emoji=STATE_EMOJI[to], name=name, state=state)
    after = restored_after(incident, change["key"]) if to == ServiceState.RESTORED else None
    if after is not None:
        return _t(
            language,
            "incident.service_line.restored",
            emoji=STATE_EMOJI[to],
            name=name,
            state=state,
            duration=format_duration(after, language),
        )
    return _t(
        language,
        "incident.post.service_changed",
        emoji=STATE_EMOJI[to],
        name=name,
        previous=_t(language, SERVICE_STATE_KEYS[ServiceState(change["from"])]),
        current=state,
    )


def thread_post(
    incident: Incident,
    entries: Sequence[Update],
    language: Language,
    *,
    follow_role_id: int | None = None,
    mention_users: Sequence[int] = (),
    silent: bool = False,
    durations: Sequence[ServiceDurations] = (),
) -> Payload | None:
    """The thread post of one command (its entries share author and time): a header mentioning the incident's
    followers (`follow_role_id`) and the people named, the changes in an embed. None when nothing is to be
    posted ("affected too")."""
    lines: list[str] = []
    for entry in entries:
        lines += _entry_lines(incident, entry, language, durations)
    if not lines:
        return None
    author = entries[0].by
    mentions = (f"<@&{follow_role_id}> " if follow_role_id is not None else "") + "".join(
        f"{_user(u)} " for u in mention_users
    )
    header = _t(language, "incident.post.header", heading=heading(incident), user=_user(author))
    embed = fit_embed(
        {
            "description": "\n".join(lines),
            "color": _colour(incident),
            "timestamp": entries[0].at.isoformat(),
        }
    )
    return {
        "content": _content(mentions, header),
        "embeds": [embed],
        "allowed_mentions": _allowed(
            roles=[follow_role_id] if follow_role_id is not None else [], users=list(mention_users)
        ),
        "silent": silent,
    }


def thread_title(incident: Incident) -> str:
    """The thread's name (and a forum post's title): "#42 · title", at most 100 characters."""
    return thread_name(incident.number, plain_text(incident.title))
