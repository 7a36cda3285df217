"""What an incident looks like on Discord, as Discord's JSON: the status message that opens its thread (or
forum post), kept current by edits, and the status embed that announcements and `/outage show` carry too.

Payloads carry `allowed_mentions` naming exactly the roles and people they may ping: nobody, here (edits never
notify). The other messages: bot/incidents/presentation/announcements.py (each channel's announcement and the
news that notify) and bot/incidents/presentation/thread_posts.py (the posts of each update).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.common import territories as territory_data
from bot.common.formatting import format_duration, format_number
from bot.common.i18n.catalogue import Language
from bot.common.text import safe_text
from bot.incidents.presentation.buttons import buttons
from bot.incidents.presentation.labels import CAUSE_KEYS, SERVICE_STATE_KEYS, SEVERITY_KEYS, STATUS_KEYS
from bot.incidents.presentation.message_parts import (
    NO_MENTIONS,
    STATE_EMOJI,
    Embed,
    Payload,
    discord_time,
    discord_when,
    embed_field,
    fit_embed,
    heading,
    incident_colour,
    user_mention,
    word,
)
from bot.incidents.rules.durations import restored_after, total_duration
from bot.incidents.rules.model import CancelReason, Incident, LinkKind, Status, update_late_since

LINK_KEYS = {LinkKind.RELATED: "incident.value.link_related", LinkKind.DUPLICATE: "incident.value.link_duplicate"}


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
    state = word(language, SERVICE_STATE_KEYS[service.state])
    name = safe_text(service.name)
    emoji = STATE_EMOJI[service.state]
    after = restored_after(incident, service.key)
    if after is not None:
        return word(
            language,
            "incident.service_line.restored",
            emoji=emoji,
            name=name,
            state=state,
            duration=format_duration(after, language),
        )
    return word(
        language, "incident.service_line", emoji=emoji, name=name, state=state, since=discord_time(service.since, "R")
    )


def status_embed(incident: Incident, language: Language, *, now: datetime | None = None) -> Embed:
    """The incident as it stands: status, severity, organisation, territories, since, ETA, next update (flagged
    "late since" once its time has passed at `now`), every service and its state, workaround, impact, affected
    count, owner."""
    # Services first: when the 6,000 characters run out, the free description is what gets shortened.
    lines: list[str] = []
    if incident.services:
        lines.append(f"**{word(language, 'incident.label.services')}**")
        lines += [service_line(incident, i, language) for i in range(len(incident.services))]
    else:
        lines.append(word(language, "incident.services_none"))
    if incident.description:
        lines += ["", safe_text(incident.description, multiline=True)]
    fields = [
        embed_field(word(language, "incident.label.status"), word(language, STATUS_KEYS[incident.status]), inline=True),
        embed_field(
            word(language, "incident.label.severity"), word(language, SEVERITY_KEYS[incident.severity]), inline=True
        ),
        embed_field(word(language, "incident.label.cause"), word(language, CAUSE_KEYS[incident.cause]), inline=True),
    ]
    if incident.organisation:
        fields.append(
            embed_field(word(language, "incident.label.organisation"), safe_text(incident.organisation), inline=True)
        )
    fields += [
        embed_field(word(language, "incident.label.sector"), safe_text(incident.sector), inline=True),
        embed_field(word(language, "incident.label.territories"), _territories(incident, language)),
        embed_field(word(language, "incident.label.started"), discord_when(incident.started_at), inline=True),
    ]
    if incident.is_open:
        eta = discord_when(incident.eta) if incident.eta else word(language, "incident.value.eta_unknown")
        fields.append(embed_field(word(language, "incident.label.eta"), eta, inline=True))
        late = update_late_since(incident, now) if now is not None else None
        if incident.next_update_at is not None:
            value = word(
                language,
                "incident.value.next_update_late" if late is not None else "incident.value.next_update",
                time=discord_time(late, "R") if late is not None else discord_when(incident.next_update_at),
                user=user_mention(incident.next_update_by or incident.owner_id, language),
            )
            fields.append(embed_field(word(language, "incident.label.next_update"), value, inline=True))
    if incident.workaround is not None:
        fields.append(
            embed_field(
                word(language, "incident.label.workaround", version=incident.workaround.version),
                safe_text(incident.workaround.text, multiline=True),
            )
        )
    if incident.impact:
        fields.append(embed_field(word(language, "incident.label.impact"), safe_text(incident.impact, multiline=True)))
    fields.append(
        embed_field(
            word(language, "incident.label.affected"), format_number(incident.affected_count, language), inline=True
        )
    )
    fields.append(
        embed_field(word(language, "incident.label.owner"), user_mention(incident.owner_id, language), inline=True)
    )
    if incident.links:
        linked = [word(language, LINK_KEYS[link.kind], number=link.number) for link in incident.links]
        fields.append(embed_field(word(language, "incident.label.links"), ", ".join(linked)))
    if incident.status == Status.RESOLVED and incident.resolved_at is not None:
        duration = total_duration(incident) or timedelta(0)
        fields.append(
            embed_field(
                word(language, "incident.label.resolved"),
                word(
                    language,
                    "incident.value.resolved",
                    time=discord_when(incident.resolved_at),
                    duration=format_duration(duration, language),
                ),
            )
        )
        if incident.resolution_note:
            fields.append(
                embed_field(
                    word(language, "incident.label.resolution_note"),
                    safe_text(incident.resolution_note, multiline=True),
                )
            )
    if incident.status == Status.CANCELLED:
        fields.append(embed_field(word(language, "incident.label.cancelled"), _cancel_text(incident, language)))
    embed: Embed = {
        "title": heading(incident),
        "description": "\n".join(lines),
        "color": incident_colour(incident),
        "fields": fields,
        "footer": {"text": word(language, "incident.footer", label=incident.label)},
        "timestamp": incident.updated_at.isoformat(),
    }
    return fit_embed(embed)


def _cancel_text(incident: Incident, language: Language) -> str:
    if incident.cancelled_reason == CancelReason.DUPLICATE and incident.duplicate_of is not None:
        return word(language, "incident.value.cancelled_duplicate", number=incident.duplicate_of)
    return word(language, "incident.value.cancelled_false_alarm")


def status_message(incident: Incident, language: Language, *, now: datetime | None = None) -> Payload:
    """The message that opens the incident's thread (or forum post), kept current by edits."""
    return {
        "content": "",
        "embeds": [status_embed(incident, language, now=now)],
        "components": buttons(incident, language),
        "allowed_mentions": NO_MENTIONS,
    }
