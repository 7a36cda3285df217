"""Each matching channel's announcement of an incident, and the new messages that notify there (ARCHITECTURE.md "Who
is told what"): declared, new workaround, severity raised, resolved (with the recovery's durations), reopened;
and the edit telling a channel that the corrected incident no longer concerns it.

A new channel message mentions the channel's route roles and may ping exactly them; edits carry no mention
permission: edits never notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.common.formatting import format_duration
from bot.common.i18n.catalogue import Language
from bot.common.text import safe_text
from bot.incidents.presentation.buttons import buttons, thread_button
from bot.incidents.presentation.labels import SEVERITY_KEYS, STATUS_KEYS
from bot.incidents.presentation.message_parts import (
    NO_MENTIONS,
    RESOLVED_COLOUR,
    Embed,
    Payload,
    allowed_mentions,
    discord_time,
    embed_field,
    fit_embed,
    heading,
    incident_colour,
    message_text,
    role_mentions,
    word,
)
from bot.incidents.presentation.status_message import status_embed
from bot.incidents.rules.durations import ServiceDurations, total_duration
from bot.incidents.rules.lifecycle import AnnounceReason
from bot.incidents.rules.model import Incident, Severity


def announcement(
    incident: Incident, language: Language, *, role_ids: Sequence[int] = (), url: str | None = None
) -> Payload:
    """The standing announcement of one channel: posted when declared (mentioning the channel's route roles)
    and edited in place afterwards with the same builder."""
    key = "announce.declared" if incident.is_open else "announce.closed"
    text = word(language, key, heading=heading(incident), status=word(language, STATUS_KEYS[incident.status]))
    return {
        "content": message_text(role_mentions(role_ids), text),
        "embeds": [status_embed(incident, language)],
        "components": buttons(incident, language, url=url),
        "allowed_mentions": allowed_mentions(roles=role_ids),
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
        lines.append(word(language, "announce.resolved", heading=head, duration=format_duration(duration, language)))
        embeds.append(recovery_embed(incident, durations, language))
    if AnnounceReason.REOPENED in reasons:
        lines.append(
            word(language, "announce.reopened", heading=head, status=word(language, STATUS_KEYS[incident.status]))
        )
    if AnnounceReason.SEVERITY_RAISED in reasons:
        lines.append(
            word(
                language,
                "announce.severity_raised",
                heading=head,
                severity=word(language, SEVERITY_KEYS[incident.severity]),
                previous=word(language, SEVERITY_KEYS[severity_from]) if severity_from else "—",
            )
        )
    if AnnounceReason.WORKAROUND_CHANGED in reasons and incident.workaround is not None:
        lines.append(word(language, "announce.workaround_changed", heading=head, version=incident.workaround.version))
        embeds.append(
            fit_embed(
                {
                    "title": word(language, "incident.label.workaround", version=incident.workaround.version),
                    "description": safe_text(incident.workaround.text, multiline=True),
                    "color": incident_colour(incident),
                    "timestamp": incident.workaround.set_at.isoformat(),
                }
            )
        )
    if not lines:
        return None
    return {
        "content": message_text(role_mentions(role_ids), "\n".join(lines)),
        "embeds": embeds,
        "components": [] if url is None else [{"type": 1, "components": [thread_button(language, url)]}],
        "allowed_mentions": allowed_mentions(roles=role_ids),
        "silent": silent,
    }


def recovery_embed(incident: Incident, durations: Sequence[ServiceDurations], language: Language) -> Embed:
    """Total duration and, per service, its time down and degraded (the thread and the recovery message)."""
    duration = total_duration(incident) or timedelta(0)
    lines = [
        word(
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
            embed_field(
                word(language, "incident.label.resolution_note"), safe_text(incident.resolution_note, multiline=True)
            )
        )
    return fit_embed(
        {
            "title": word(language, "announce.recovery.title", heading=heading(incident)),
            "description": "\n".join(lines),
            "color": RESOLVED_COLOUR,
            "fields": fields,
            "timestamp": (incident.resolved_at or incident.updated_at).isoformat(),
        }
    )


def service_durations_line(service: ServiceDurations, language: Language) -> str:
    parts: list[str] = []
    if service.downtime:
        parts.append(word(language, "announce.duration.down", duration=format_duration(service.downtime, language)))
    if service.degraded_time:
        parts.append(
            word(language, "announce.duration.degraded", duration=format_duration(service.degraded_time, language))
        )
    if not parts:
        parts.append(word(language, "announce.duration.none"))
    return word(
        language,
        "announce.recovery.service",
        name=safe_text(service.name),
        durations=word(language, "announce.duration.joiner").join(parts),
    )


def no_longer_concerns(incident: Incident, language: Language) -> Payload:
    """The edit of an announcement whose channel no longer matches the corrected incident."""
    return {
        "content": word(language, "announce.no_longer_concerns", heading=heading(incident)),
        "embeds": [],
        "components": [],
        "allowed_mentions": NO_MENTIONS,
    }
