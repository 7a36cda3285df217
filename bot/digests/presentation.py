"""A digest as Discord's JSON: a header (daily or weekly, its period, late if it is), then one embed per section
(open incidents with how long they have lasted so far, declared, resolved with their durations, planned
maintenance), within Discord's limits: each section lists what fits and sums up the rest, pointing to
`/outage list`. Nothing to say is one line. It mentions nobody and posts without notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.common.formatting import format_duration
from bot.common.i18n import Language, Msg
from bot.common.limits import EMBED_DESCRIPTION, EMBED_TOTAL
from bot.common.text import safe_text, truncate
from bot.digests.rules import Digest, DigestFacts, Every
from bot.incidents.presentation.message_parts import (
    NO_MENTIONS,
    RESOLVED_COLOUR,
    SEVERITY_COLOURS,
    discord_time,
    numbered_title,
    thread_url,
    word,
)
from bot.incidents.rules.durations import total_duration
from bot.incidents.rules.model import Incident, Severity
from bot.settings.presentation import WordedDays

Payload = dict[str, Any]
TITLE_SHOWN = 100
DIGEST_COLOUR = 0x37474F
SEVERITY_MARK: dict[Severity, str] = {Severity.CRITICAL: "🟥", Severity.MAJOR: "🟧", Severity.MINOR: "🟨"}


@dataclass(frozen=True)
class _Section:
    title: str
    colour: int
    lines: tuple[str, ...]


def _heading(incident: Incident) -> str:
    name = numbered_title(incident.number, truncate(safe_text(incident.title), TITLE_SHOWN))
    if incident.thread_id is None:
        return f"**{name}**"
    return f"**[{name}]({thread_url(incident.guild_id, incident.thread_id)})**"


def _sections(facts: DigestFacts, language: Language) -> list[_Section]:
    open_lines = tuple(
        f"{SEVERITY_MARK[i.severity]} "
        + word(
            language,
            "digest.line.open",
            heading=_heading(i),
            since=discord_time(i.started_at, "R"),
            duration=format_duration(max(facts.end - i.started_at, timedelta(0)), language),
        )
        for i in facts.open
    )
    declared = tuple(
        word(language, "digest.line.declared", heading=_heading(i), at=discord_time(i.declared_at, "f"))
        for i in facts.declared
    )
    resolved = tuple(
        word(
            language,
            "digest.line.resolved",
            heading=_heading(i),
            at=discord_time(i.resolved_at or facts.end, "f"),
            duration=format_duration(total_duration(i) or timedelta(0), language),
        )
        for i in facts.resolved
    )
    planned = tuple(
        word(
            language,
            "digest.line.planned",
            title=truncate(safe_text(s.title), TITLE_SHOWN),
            start=discord_time(s.starts_at, "f"),
            end=discord_time(s.ends_at, "f"),
        )
        for s in facts.planned
    )
    worst = SEVERITY_COLOURS[facts.open[0].severity] if facts.open else DIGEST_COLOUR
    # (heading, colour, lines): a section only where it lists something.
    listed = (
        ("digest.section.open", worst, open_lines),
        ("digest.section.declared", DIGEST_COLOUR, declared),
        ("digest.section.resolved", RESOLVED_COLOUR, resolved),
        ("digest.section.planned", DIGEST_COLOUR, planned),
    )
    return [_Section(word(language, key, count=len(lines)), colour, lines) for key, colour, lines in listed if lines]


def _fit(section: _Section, budget: int, language: Language) -> str:
    """The section's lines that fit in `budget` characters (and in one description), the rest summed up."""
    room = min(budget, EMBED_DESCRIPTION)
    shown: list[str] = []
    used = 0
    for n, line in enumerate(section.lines):
        more = word(language, "digest.more", count=len(section.lines) - n - 1) if n + 1 < len(section.lines) else ""
        if used + len(line) + 1 + len(more) + 1 > room:
            shown.append(word(language, "digest.more", count=len(section.lines) - n))
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown)


def _when(at: datetime) -> str:
    return discord_time(at, "f")


def digest_message(digest: Digest, facts: DigestFacts, language: Language) -> Payload | None:
    """The digest's message; None when there is nothing to say and the admin chose to skip such digests."""
    late = word(language, "digest.late", due=_when(facts.due)) if facts.late else None
    period = word(language, "digest.period", start=_when(facts.start), end=_when(facts.end))
    if facts.quiet:
        if digest.when_quiet.value == "skip":
            return None
        content = word(language, "digest.quiet", start=_when(facts.start), end=_when(facts.end))
        return _payload(content + (f" {late}" if late else ""), [])
    title_id = "digest.title.week" if digest.every == Every.WEEK else "digest.title.day"
    header: dict[str, Any] = {
        "title": word(language, title_id),
        "description": "\n".join(p for p in (period, late) if p),
        "color": DIGEST_COLOUR,
    }
    embeds = [header]
    sections = _sections(facts, language)
    left = EMBED_TOTAL - len(header["title"]) - len(header["description"])
    for index, section in enumerate(sections):
        # Each section gets an equal share of what is left, and what the ones before it did not use.
        budget = (left - sum(len(s.title) for s in sections[index:])) // (len(sections) - index)
        description = _fit(section, budget, language)
        embeds.append({"title": section.title, "description": description, "color": section.colour})
        left -= len(section.title) + len(description)
    return _payload("", embeds)


def _payload(content: str, embeds: Sequence[dict[str, Any]]) -> Payload:
    return {"content": content, "embeds": list(embeds), "allowed_mentions": NO_MENTIONS, "silent": True}


def digest_line(digest: Digest, channel_id: int) -> Msg:
    """A digest as `/setup show` lists it: "#récap — every day at 18:00 (working days)"."""
    clock = digest.at.strftime("%H:%M")
    if digest.every == Every.WEEK and digest.weekday is not None:
        when = Msg.of("digest.setup.weekly", day=WordedDays(frozenset({digest.weekday})), time=clock)
    else:
        when = Msg.of("digest.setup.daily", time=clock)
    key = "digest.setup.line_working_days" if digest.working_days_only else "digest.setup.line"
    return Msg.of(key, channel=f"<#{channel_id}>", when=when)
