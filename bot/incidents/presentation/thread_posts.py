"""The incident thread's posts: one per command, its changes in an embed, mentioning the incident's followers
(their follow role, added by bot/following/presentation.py) and the people the change names; and the thread's
name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.common.formatting import format_duration
from bot.common.i18n.catalogue import Language
from bot.common.limits import THREAD_NAME
from bot.common.text import plain_text, safe_text, truncate
from bot.incidents.presentation.announcements import service_durations_line
from bot.incidents.presentation.labels import EDITED_FIELD_KEYS, SERVICE_STATE_KEYS, SEVERITY_KEYS, STATUS_KEYS
from bot.incidents.presentation.message_parts import (
    STATE_EMOJI,
    Payload,
    allowed_mentions,
    discord_when,
    fit_embed,
    heading,
    incident_colour,
    message_text,
    numbered_title,
    user_mention,
    word,
)
from bot.incidents.rules.durations import ServiceDurations, restored_after, total_duration
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import CancelReason, Incident, ServiceState, Severity, Status

# Entries that move a fixed value from one to another: their sentence, and the catalogue word of a value.
_FROM_TO: dict[UpdateKind, tuple[str, Callable[[str], str]]] = {
    UpdateKind.STATUS_CHANGED: ("incident.post.status", lambda value: STATUS_KEYS[Status(value)]),
    UpdateKind.SEVERITY_CHANGED: ("incident.post.severity", lambda value: SEVERITY_KEYS[Severity(value)]),
}


def _entry_lines(
    incident: Incident, entry: Update, language: Language, durations: Sequence[ServiceDurations]
) -> list[str]:
    d = entry.details
    kind = entry.kind
    if kind in _FROM_TO:
        message_id, key_of = _FROM_TO[kind]
        previous, current = word(language, key_of(d["from"])), word(language, key_of(d["to"]))
        return [word(language, message_id, previous=previous, current=current)]
    if kind == UpdateKind.SERVICES_CHANGED:
        return [_service_change_line(incident, change, language) for change in d["changes"]]
    if kind == UpdateKind.WORKAROUND_CHANGED:
        return [word(language, "incident.post.workaround", version=d["version"]), safe_text(d["text"], multiline=True)]
    if kind == UpdateKind.ETA_CHANGED:
        if d["to"] is None:
            return [word(language, "incident.post.eta_cleared")]
        return [word(language, "incident.post.eta", time=discord_when(datetime.fromisoformat(d["to"])))]
    if kind == UpdateKind.NEXT_UPDATE_SET:
        return [
            word(
                language,
                "incident.post.next_update",
                time=discord_when(datetime.fromisoformat(d["at"])),
                user=user_mention(d["by"], language),
            )
        ]
    if kind == UpdateKind.NOTE:
        return [safe_text(d["text"], multiline=True)]
    if kind == UpdateKind.RESOLVED:
        duration = total_duration(incident) or timedelta(0)
        lines = [word(language, "incident.post.resolved", duration=format_duration(duration, language))]
        lines += [service_durations_line(s, language) for s in durations]
        if d.get("text"):
            lines.append(safe_text(d["text"], multiline=True))
        return lines
    if kind == UpdateKind.REOPENED:
        lines = [word(language, "incident.post.reopened", status=word(language, STATUS_KEYS[Status(d["to"])]))]
        return lines + ([safe_text(d["text"], multiline=True)] if d.get("text") else [])
    if kind == UpdateKind.CANCELLED:
        if d["reason"] == CancelReason.DUPLICATE.value:
            lines = [word(language, "incident.post.cancelled_duplicate", number=d["duplicate_of"])]
        else:
            lines = [word(language, "incident.post.cancelled_false_alarm")]
        return lines + ([safe_text(d["text"], multiline=True)] if d.get("text") else [])
    if kind == UpdateKind.ASSIGNED:
        return [
            word(
                language,
                "incident.post.assigned",
                user=user_mention(d["to"], language),
                by=user_mention(entry.by, language),
            )
        ]
    if kind == UpdateKind.EDITED:
        names = [word(language, EDITED_FIELD_KEYS[name]) for name in d["changes"] if name in EDITED_FIELD_KEYS]
        return [word(language, "incident.post.edited", fields=", ".join(names))]
    return []  # declared (the status message says it) and "affected too" (counted, not posted)


def _service_change_line(incident: Incident, change: dict[str, Any], language: Language) -> str:
    to = ServiceState(change["to"])
    name = safe_text(change["name"])
    state = word(language, SERVICE_STATE_KEYS[to])
    if change["from"] is None:
        return word(language, "incident.post.service_new", emoji=STATE_EMOJI[to], name=name, state=state)
    after = restored_after(incident, change["key"]) if to == ServiceState.RESTORED else None
    if after is not None:
        return word(
            language,
            "incident.service_line.restored",
            emoji=STATE_EMOJI[to],
            name=name,
            state=state,
            duration=format_duration(after, language),
        )
    return word(
        language,
        "incident.post.service_changed",
        emoji=STATE_EMOJI[to],
        name=name,
        previous=word(language, SERVICE_STATE_KEYS[ServiceState(change["from"])]),
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
        f"{user_mention(u, language)} " for u in mention_users
    )
    header = word(language, "incident.post.header", heading=heading(incident), user=user_mention(author, language))
    embed = fit_embed(
        {
            "description": "\n".join(lines),
            "color": incident_colour(incident),
            "timestamp": entries[0].at.isoformat(),
        }
    )
    return {
        "content": message_text(mentions, header),
        "embeds": [embed],
        "allowed_mentions": allowed_mentions(
            roles=[follow_role_id] if follow_role_id is not None else [], users=list(mention_users)
        ),
        "silent": silent,
    }


def thread_name(number: int, title: str) -> str:
    """ "#42 · title", shortened with an ellipsis to Discord's 100 characters; "#42" when the title is blank."""
    return truncate(numbered_title(number, plain_text(title)), THREAD_NAME)


def thread_title(incident: Incident) -> str:
    """The thread's name (and a forum post's title): "#42 · title", at most 100 characters."""
    return thread_name(incident.number, incident.title)
