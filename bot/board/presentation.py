"""A board as Discord's JSON: one message of embeds, within Discord's limits (10 embeds, 6,000 characters, 4,096
per description) whatever the incidents, and the lines `/setup` shows about boards.

Layout: a header (what the board covers, the legend of the service states, how many incidents are open), then
one embed per severity (and one for planned maintenance) listing each incident in a few lines: number and title
linked to its thread, organisation, each service and its state, since when, the next update due or "late since",
the current workaround shortened. What does not fit is the end of the rules' order (the least severe), summed up
in one last line, "+N more", which points to `/outage list`.

A thread that does not exist yet is linked through a `$ref` to the outbox row creating it (resolved when the
board is delivered); its length is counted as the longest URL it can become.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.board.rules import Board, BoardView, PlannedStop
from bot.common import territories as territory_data
from bot.common.i18n import Language, Msg
from bot.common.limits import EMBED_DESCRIPTION, EMBED_TITLE, EMBED_TOTAL, EMBEDS_PER_MESSAGE
from bot.common.text import safe_text, truncate
from bot.incidents.presentation.labels import SERVICE_STATE_KEYS
from bot.incidents.presentation.message_parts import (
    NO_MENTIONS,
    RESOLVED_COLOUR,
    SEVERITY_COLOURS,
    STATE_EMOJI,
    discord_time,
    embed_length,
    numbered_title,
    thread_url,
    word,
)
from bot.incidents.rules.model import Incident, ServiceState, Severity
from bot.settings.presentation import PERMISSION_IDS, MsgList
from bot.settings.rules.model import MESSAGE_CHANNEL_NEEDS, ChannelFacts
from bot.settings.rules.validation import missing_permissions

Payload = dict[str, Any]
# A thread's URL, or a `$ref` to the outbox row creating the thread (bot/delivery/outbox.py `ref`).
Link = str | dict[str, Any]
Part = str | dict[str, Any]

# The longest a `$ref` URL becomes: "https://discord.com/channels/" and two snowflakes of up to 20 digits.
URL_LENGTH_BOUND = 29 + 20 + 1 + 20
TITLE_SHOWN = 100
ORGANISATION_SHOWN = 80
WORKAROUND_SHOWN = 150
SERVICES_SHOWN = 6
MAINTENANCE_COLOUR = 0x1565C0
# The permission the cog reads as "pin" (Pin Messages): needed only to pin a board posted anew.
PIN = "pin"


@dataclass(frozen=True)
class _Block:
    """One incident or maintenance as its section lists it: its section, and its text in parts."""

    section: str
    title: str
    colour: int
    parts: tuple[Part, ...]

    @property
    def length(self) -> int:
        return sum(len(p) if isinstance(p, str) else URL_LENGTH_BOUND for p in self.parts)


def scope_label(board: Board, sectors: Mapping[str, str], language: Language) -> str | None:
    """What a board is restricted to, as people read it ("Bretagne (région 53) · pharmacie"); None: everything."""
    scope: list[str] = []
    if board.territory:
        try:
            scope.append(territory_data.label(territory_data.get(board.territory), language))
        except territory_data.TerritoryError:
            scope.append(board.territory)
    if board.sector:
        scope.append(sectors.get(board.sector, board.sector))
    return safe_text(" · ".join(scope)) if scope else None


# Incidents' blocks already worded, by number: boards of one server planned together at one instant, in one language
# and with the same links, share them (a whole-server board and a territory's both list an incident).
BlockCache = dict[int, "_Block"]


def board_message(
    view: BoardView,
    language: Language,
    *,
    links: Mapping[int, Link],
    scope: str | None = None,
    cache: BlockCache | None = None,
) -> Payload:
    """The board's message; `links` gives each shown incident's thread (by number)."""
    title = word(language, "board.title.scoped", scope=scope) if scope else word(language, "board.title")
    header: dict[str, Any] = {
        "title": truncate(title, EMBED_TITLE),
        "color": SEVERITY_COLOURS[view.incidents[0].severity] if view.incidents else RESOLVED_COLOUR,
        "footer": {"text": word(language, "board.footer", count=view.open_count)},
    }
    if view.empty:
        header["description"] = word(language, "board.nothing")
        return _payload([header])
    header["description"] = service_legend(language)
    blocks = [_cached_block(i, view, language, links, cache) for i in view.incidents]
    blocks += [_stop_block(s, view, language) for s in view.stops]
    counts: dict[str, int] = {}
    for block in blocks:
        counts[block.section] = counts.get(block.section, 0) + 1
    embeds = [header]
    total = embed_length(header)
    # Room kept for the last line, "+N more", in an embed of its own.
    reserve = len(word(language, "board.more", count=len(blocks) + view.unlisted))
    section: str | None = None
    description: list[Part] = []
    shown = 0
    for block in blocks:
        joiner = 2 if block.section == section and description else 0
        used = sum(len(p) if isinstance(p, str) else URL_LENGTH_BOUND for p in description)
        new_embed = block.section != section or used + joiner + block.length > EMBED_DESCRIPTION
        heading = word(language, block.title, count=counts[block.section]) if new_embed else ""
        cost = block.length + (len(heading) if new_embed else joiner)
        if total + cost + reserve > EMBED_TOTAL or len(embeds) + int(new_embed) + 1 > EMBEDS_PER_MESSAGE:
            break
        if new_embed:
            if section is not None:
                embeds[-1]["description"] = _joined(description)
            embeds.append({"title": heading, "color": block.colour})
            section, description = block.section, list(block.parts)
        else:
            description += ["\n\n", *block.parts]
        total += cost
        shown += 1
    if section is not None:
        embeds[-1]["description"] = _joined(description)
    left = len(blocks) - shown + view.unlisted
    if left:
        embeds.append({"description": word(language, "board.more", count=left)})
    return _payload(embeds)


def _payload(embeds: list[dict[str, Any]]) -> Payload:
    return {"content": "", "embeds": embeds, "components": [], "allowed_mentions": NO_MENTIONS}


def _joined(parts: Sequence[Part]) -> Any:
    """A description: a string, or a `$concat` of strings and `$ref`s resolved when the board is delivered."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if len(merged) == 1 and isinstance(merged[0], str):
        return merged[0]
    return {"$concat": merged}


def _heading(number: int, title: str, link: Link | None, organisation: str | None) -> list[Part]:
    name = numbered_title(number, truncate(safe_text(title), TITLE_SHOWN))
    parts: list[Part] = ["**[", name, "](", link, ")**"] if link is not None else ["**", name, "**"]
    if organisation:
        parts.append(" — " + truncate(safe_text(organisation), ORGANISATION_SHOWN))
    return parts


def _services(incident: Incident) -> str | None:
    if not incident.services:
        return None
    shown = [f"{STATE_EMOJI[s.state]} {truncate(safe_text(s.name), 40)}" for s in incident.services[:SERVICES_SHOWN]]
    left = len(incident.services) - len(shown)
    return " · ".join(shown) + (f" · +{left}" if left else "")


def _cached_block(
    incident: Incident, view: BoardView, language: Language, links: Mapping[int, Link], cache: BlockCache | None
) -> _Block:
    if cache is None:
        return _incident_block(incident, view, language, links)
    block = cache.get(incident.number)
    if block is None:
        block = cache[incident.number] = _incident_block(incident, view, language, links)
    return block


def _incident_block(incident: Incident, view: BoardView, language: Language, links: Mapping[int, Link]) -> _Block:
    parts = _heading(incident.number, incident.title, links.get(incident.number), incident.organisation)
    services = _services(incident)
    if services is not None:
        parts.append("\n" + services)
    when = [word(language, "board.since", time=discord_time(incident.started_at, "R"))]
    late = view.late.get(incident.number)
    if late is not None:
        when.append(word(language, "board.late", time=discord_time(late, "R")))
    elif incident.next_update_at is not None:
        when.append(word(language, "board.next_update", time=discord_time(incident.next_update_at, "R")))
    parts.append("\n" + " · ".join(when))
    if incident.workaround is not None:
        text = truncate(safe_text(" ".join(incident.workaround.text.split())), WORKAROUND_SHOWN)
        parts.append("\n" + word(language, "board.workaround", text=text))
    severity = incident.severity
    return _Block(severity.value, _SECTION_TITLES[severity], SEVERITY_COLOURS[severity], tuple(parts))


_SECTION_TITLES: dict[Severity, str] = {
    Severity.CRITICAL: "board.section.critical",
    Severity.MAJOR: "board.section.major",
    Severity.MINOR: "board.section.minor",
}


def _stop_block(stop: PlannedStop, view: BoardView, language: Language) -> _Block:
    link = thread_url(stop.guild_id, stop.thread_id) if stop.thread_id is not None else None
    name = truncate(safe_text(stop.title), TITLE_SHOWN)
    parts: list[Part] = ["**[", name, "](", link, ")**"] if link is not None else ["**", name, "**"]
    if stop.organisation:
        parts.append(" — " + truncate(safe_text(stop.organisation), ORGANISATION_SHOWN))
    key = "board.stop.in_progress" if stop.in_progress(view.at) else "board.stop.coming"
    start, end = discord_time(stop.starts_at, "f"), discord_time(stop.ends_at, "f")
    parts.append("\n" + word(language, key, start=start, end=end))
    return _Block("maintenance", "board.section.maintenance", MAINTENANCE_COLOUR, tuple(parts))


def service_legend(language: Language) -> str:
    """What the service emojis mean: "🔴 down · 🟠 degraded · 🟢 restored"."""
    return " · ".join(f"{STATE_EMOJI[s]} {word(language, SERVICE_STATE_KEYS[s])}" for s in ServiceState)


# --- what /setup says about boards -----------------------------------------------------------------------------


def board_line(channel_id: int, scope: str | None) -> Msg:
    """A board as `/setup show` lists it, and as `/setup board-remove` names it."""
    if scope:
        return Msg.of("board.setup.line_scoped", channel=f"<#{channel_id}>", scope=scope)
    return Msg.of("board.setup.line", channel=f"<#{channel_id}>")


def board_check(board: Msg, channel: ChannelFacts) -> tuple[str, Msg]:
    """`/setup check` on one board: its channel missing, the permissions the bot lacks there (pinning apart:
    the board works unpinned), or all is well; with the mark the line starts with."""
    where = f"<#{channel.id}>"
    if channel.kind == "missing":
        return "❌", Msg.of("board.check.channel_missing", board=board, channel=where)
    missing = missing_permissions(channel, MESSAGE_CHANNEL_NEEDS)
    if missing:
        permissions = MsgList(tuple(Msg.of(PERMISSION_IDS[m]) for m in missing))
        return "⚠️", Msg.of("board.check.lacks", board=board, permissions=permissions)
    if PIN not in channel.permissions:
        return "⚠️", Msg.of("board.check.cannot_pin", board=board, channel=where)
    return "✅", Msg.of("board.check.ok", board=board)
