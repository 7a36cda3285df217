"""The pieces every incident message is made of: words from the catalogue, Discord timestamps and mentions, the
incident's heading ("#42 · title"), its colour, and embeds cut to Discord's limits.

Every word comes from the catalogue in the language asked; every typed value goes through `safe_text` (or
`plain_text` where Discord renders no markdown); times are Discord timestamps (each reader's client shows them in
their own zone); and every payload fits Discord's limits whatever was typed (`fit_embed`, `truncate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.common.formatting import member_reference
from bot.common.i18n.catalogue import Language, default_catalogue
from bot.common.limits import (
    BUTTON_LABEL,
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
from bot.common.text import safe_text, truncate
from bot.incidents.rules.model import Incident, ServiceState, Severity, Status

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
NO_MENTIONS: dict[str, list[Any]] = {"parse": [], "users": [], "roles": []}


def word(language: Language, message_id: str, **args: Any) -> str:
    return default_catalogue().render(language, message_id, **args)


def button(language: Language, label_id: str, style: int, **action: Any) -> dict[str, Any]:
    """A button worded in `language`: ours carry a `custom_id` (and may be `disabled`), a link (style 5) a `url`."""
    return {"type": 2, "style": style, "label": truncate(word(language, label_id), BUTTON_LABEL), **action}


def discord_time(at: datetime, style: str = "F") -> str:
    return f"<t:{int(at.timestamp())}:{style}>"


def discord_when(at: datetime) -> str:
    """The time and how far it is ("in 2 hours"), as each reader's client shows them."""
    return f"{discord_time(at, 'F')} ({discord_time(at, 'R')})"


def user_mention(user_id: int, language: Language) -> str:
    return member_reference(user_id, language)


def thread_url(guild_id: int, thread_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def numbered_title(number: int, title: str) -> str:
    """ "#42 · title": how an incident is named wherever it is listed or titled; "#42" alone when the title is
    blank. `title` comes as the place needs it: escaped for messages (`heading`), plain where Discord renders no
    markdown (thread names, choices)."""
    prefix = f"#{number}"
    return f"{prefix} · {title}" if title else prefix


def heading(incident: Incident) -> str:
    """ "#42 · title", escaped, for embed titles and message lines."""
    return numbered_title(incident.number, safe_text(incident.title))


def incident_colour(incident: Incident) -> int:
    if incident.status == Status.RESOLVED:
        return RESOLVED_COLOUR
    if incident.status == Status.CANCELLED:
        return CANCELLED_COLOUR
    return SEVERITY_COLOURS[incident.severity]


# --- mentions -----------------------------------------------------------------------------------------------


def role_mentions(role_ids: Sequence[int]) -> str:
    return "".join(f"<@&{role_id}> " for role_id in role_ids)


def allowed_mentions(*, roles: Sequence[int] = (), users: Sequence[int] = ()) -> dict[str, list[Any]]:
    return {"parse": [], "users": list(dict.fromkeys(users)), "roles": list(dict.fromkeys(roles))}


def message_text(mentions: str, text: str) -> str:
    return truncate(mentions + text, MESSAGE_CONTENT)


# --- embeds within limits -------------------------------------------------------------------------------------


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


def embed_field(name: str, value: str, *, inline: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "inline": inline}
