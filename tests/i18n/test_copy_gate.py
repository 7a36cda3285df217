"""The copy gate: every catalogue message, in French and in English, rendered with a fixed set of sample values,
read for what a French coordinator (or an English reader) would stop at.

Each placeholder has a kind (a count, a date inside a sentence, a Discord timestamp, a duration, a zone, a name…),
declared below by its name or, where one name means two things, by message and name. A kind gives the sample
values the presentation code really passes, made by the same helpers (`bot.common.formatting`, the catalogue's
plural messages): 0, 1, 2 and 1,800 for counts; the 13 August at 16:00, the 1st of March at midnight and a date
of another year for dates. Every message is rendered once per sample, and each rendering must pass every check.

A new message passes this gate like the others: a placeholder of a new name needs its kind here (the failure
says so), and a failure names the message, the language, the sample values and what is wrong.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.common.formatting import (
    MONTH_KEYS,
    WEEKDAY_KEYS,
    format_datetime,
    format_duration,
    format_number,
    format_period,
    format_span,
    zone_name,
)
from bot.common.i18n import LANGUAGES, Catalogue, Language, default_catalogue
from bot.common.i18n.catalogue import forms, placeholders
from tests.i18n.test_catalogue import command_texts

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
# 13 August at 16:00, the 1st of March at midnight, and a date of another year (Paris time).
DATES = (
    datetime(2025, 8, 13, 14, 0, tzinfo=UTC),
    datetime(2025, 2, 28, 23, 0, tzinfo=UTC),
    datetime(2024, 10, 20, 8, 0, tzinfo=UTC),
)
COUNTS = (0, 1, 2, 1800)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


# --- sample values, by kind -------------------------------------------------------------------------------------


def stamp(at: datetime, style: str) -> str:
    """A Discord timestamp, as the code sends it: each reader's client writes it in their own zone and words."""
    return f"<t:{int(at.timestamp())}:{style}>"


SOON = (NOW + timedelta(hours=2), NOW - timedelta(hours=3))


def msg(key: str, **args: Any) -> Callable[[Catalogue, Language], str]:
    return lambda catalogue, language: catalogue.render(language, key, **args)


Sample = Any
Samples = Callable[[Catalogue, Language], list[Sample]]


def fixed(*values: Sample) -> Samples:
    return lambda catalogue, language: list(values)


def rendered(*makers: Callable[[Catalogue, Language], str]) -> Samples:
    return lambda catalogue, language: [make(catalogue, language) for make in makers]


def keyed(*keys: str) -> Samples:
    return lambda catalogue, language: [catalogue.render(language, key) for key in keys]


KINDS: dict[str, Samples] = {
    # Numbers
    "count": fixed(*COUNTS),  # a count a sentence agrees with: plural messages take it as a number
    "bound": lambda c, lang: [format_number(n, lang) for n in (2, 25, 1800)],  # a limit, never below 2
    "quantity": lambda c, lang: [format_number(n, lang) for n in COUNTS],  # a number with its unit ("Kio", "h")
    "typed_number": fixed(0, 1, 501),  # a number as the person typed it, quoted back
    "incident_number": fixed(1, 42),
    "version": fixed(1, 2, 12),
    "percent": fixed(0, 45, 100),
    "http": fixed(403, 404),
    "code": fixed(50013, 10003),
    # Times
    "date": lambda c, lang: [format_datetime(at, lang, PARIS, NOW) for at in DATES],
    "stamp": fixed(*(stamp(at, "F") for at in DATES)),
    "stamp_and_relative": fixed(*(f"{stamp(at, 'F')} ({stamp(at, 'R')})" for at in DATES)),
    "date_and_relative": lambda c, lang: [
        f"{format_datetime(at, lang, PARIS, NOW)} ({stamp(at, 'R')})" for at in (*SOON, DATES[1])
    ],
    "relative": fixed(*(stamp(at, "R") for at in SOON)),
    "span": lambda c, lang: [
        format_span(DATES[0], DATES[0] + timedelta(hours=2), lang, PARIS, NOW),
        format_span(DATES[2], DATES[1], lang, PARIS, NOW),
    ],
    "period": lambda c, lang: [
        format_period(datetime(2024, 10, 1, tzinfo=PARIS), datetime(2024, 11, 1, tzinfo=PARIS), lang, PARIS, NOW),
        format_period(datetime(2025, 9, 1, tzinfo=PARIS), datetime(2025, 9, 2, tzinfo=PARIS), lang, PARIS, NOW),
        format_period(DATES[2], NOW, lang, PARIS, NOW),
    ],
    "clock": fixed("09:00", "00:00", "19:30"),
    "typed_time": fixed("30/03/2025 02:30", "27/10/2024 02:30"),
    "duration": lambda c, lang: [
        format_duration(d, lang) for d in (timedelta(0), timedelta(minutes=1), timedelta(days=1, hours=2))
    ],
    "zone_name": lambda c, lang: [
        zone_name(ZoneInfo(z), lang) for z in ("Europe/Paris", "America/Martinique", "America/New_York", "Etc/GMT+3")
    ],
    "zone_key": fixed("Europe/Paris", "America/Martinique"),
    "etc_zone": fixed("Etc/GMT+3"),
    # Discord things
    "user": fixed("<@333>"),
    "choice_list": lambda c, lang: (
        ["« critique »", "« critique », « majeure » ou « mineure »"]
        if lang == "fr"
        else ["“critical”", "“critical”, “major” or “minor”"]
    ),
    "channel": fixed("<#111>"),
    "channels": fixed("<#111>", "<#111>, <#222>"),
    "role": fixed("<@&222>"),
    "roles": fixed("<@&222>", "<@&222>, <@&444>"),
    "emoji": fixed("🔴", "🟢"),
    "link": fixed("https://discord.com/channels/1/2"),
    "error": fixed("Missing Permissions"),
    # Words of Tocsin
    "heading": fixed("#42 · Cerp Bretagne Atlantique à l'arrêt", "#1"),
    "label": fixed("#42"),
    "status": keyed(*(f"incident.status.{s}" for s in ("investigating", "identified", "monitoring", "resolved"))),
    "severity": keyed("incident.severity.critical", "incident.severity.major", "incident.severity.minor"),
    "state": keyed("incident.service_state.down", "incident.service_state.degraded", "incident.service_state.restored"),
    "enum_change": keyed("incident.status.investigating", "incident.severity.minor", "incident.service_state.down"),
    "field": keyed("incident.field.title", "outage.field.eta", "outage.field.territories", "export.field.period"),
    "fields": rendered(msg("outage.list_of.one", a="secteur"), msg("outage.list_of.two", a="titre", b="territoires")),
    "option": keyed("cmd.setup.cadence.critical.name", "cmd.setup.cadence.minor.name"),
    "channel_kind": keyed("setup.kind.voice", "setup.kind.forum"),
    "permissions": keyed("setup.permission.send", "setup.permission.embed_links"),
    "statuses": keyed("incident.status.investigating", "incident.status.monitoring"),
    "uses": keyed("setup.use.incident", "setup.use.route"),
    "language_name": keyed("setup.language.fr", "setup.language.en"),
    "where": rendered(msg("reminder.where.here", channel="<#111>"), msg("reminder.where.thread", number=42)),
    "what": rendered(
        msg("outbox.what.send_message", channel="<#111>"), msg("outbox.what.add_role", role="<@&2>", user="<@3>")
    ),
    "cause": keyed(
        "outage.delivery.cause.missing_permission",
        "outage.delivery.cause.unreachable",
        "outage.delivery.cause.gone",
        "outage.delivery.cause.refused",
    ),
    "admins_clause": rendered(
        msg("outage.delivery.admins.told", channel="<#111>"), msg("outage.delivery.admins.untold")
    ),
    "reason": rendered(
        msg("period.error.not_understood", text="la semaine des quatre jeudis"), msg("time.error.empty")
    ),
    "durations": rendered(
        msg("announce.duration.none"),
        lambda c, lang: (
            c.render(lang, "announce.duration.down", duration=format_duration(timedelta(hours=2), lang))
            + c.render(lang, "announce.duration.joiner")
            + c.render(lang, "announce.duration.degraded", duration=format_duration(timedelta(minutes=40), lang))
        ),
    ),
    "days": keyed("setup.days.every_day", "setup.day.1"),
    "kinds": rendered(
        msg("about.timers.kind.reminders"),
        lambda c, lang: c.render(
            lang,
            "outage.list_of.two",
            a=c.render(lang, "about.timers.kind.nudges"),
            b=c.render(lang, "about.timers.kind.archives"),
        ),
    ),
    "route": fixed("<#111> ← Bretagne (53) → <@&222>"),
    "admins": keyed("follow.refused.admins_told", "follow.refused.admins_untold"),
    "granted_for": rendered(
        msg("setup.check.grant_for_route", channel="<#111>"), msg("setup.check.grant_for_incident", number=42)
    ),
    "territory_label": fixed("Finistère (29)", "Bretagne (région 53)"),
    "target": fixed("Finistère (29)", "pharmacie"),
    "services": fixed("commandes", "commandes, livraisons"),
    # Typed or stored text, quoted back as it came
    "text": fixed("Cerp Bretagne Atlantique", "demain9h"),
    "name": fixed("pharmacie", "Commandes"),
    "names": fixed("pharmacie", "pharmacie, librairie"),
    "example": fixed("commandes : rétabli"),
    "code_name": fixed("53", "2A"),
    "country": fixed("FR"),
    "place": fixed("New York"),
    "path": fixed("/var/lib/tocsin/tocsin.db"),
    "setting": fixed("TOCSIN_DB_PATH", "ok", "1.4.0", "123456789"),
    "separator": fixed(";"),
    "reference": fixed("E7F3A2"),
    "kind_code": fixed("send_dm"),
    "format_parts": fixed("lundi", "1er", "mars", "2024", "09", "00"),
    "pid": fixed(4242),
    "address": fixed("https://discord.com/api/v10", "http://127.0.0.1:9/api/v10"),
    "scope": fixed("Finistère (29)", "Bretagne (région 53) · pharmacie"),
    "weekday": keyed("setup.day.1", "setup.day.7"),
    "board": rendered(
        msg("board.setup.line", channel="<#111>"),
        msg("board.setup.line_scoped", channel="<#111>", scope="Bretagne (région 53) · pharmacie"),
    ),
    "unix": fixed(*(int(at.timestamp()) for at in DATES)),  # seconds, written into a Discord timestamp by the message
    "incident_numbers": fixed("#1", "#3, #1"),  # open incidents named, newest first
    "incident_lines": fixed("- #1 · Cerp en panne", "- #3 · Cerp à l'arrêt\n- #1 · Cerp en panne"),
    "report_outcome": rendered(
        msg("report.list.open"), msg("report.list.incident", number=42), msg("report.list.set_aside", reason="doublon")
    ),
    "digest": lambda c, lang: [
        c.render(lang, "digest.setup.line", channel="<#111>", when=c.render(lang, "digest.setup.daily", time="18:00")),
        c.render(
            lang,
            "digest.setup.line_working_days",
            channel="<#111>",
            when=c.render(lang, "digest.setup.weekly", day=c.render(lang, "setup.day.1"), time="09:00"),
        ),
    ],
    "url": fixed("https://hooks.example.org/tocsin", "http://127.0.0.1:8080/hook"),
    "host": fixed("hooks.example.org"),
    "secret": fixed("`whsec_Yx3…`"),
    "webhook_events": keyed("webhook.events.all", "webhook.event.declared"),
    "webhook_scope": keyed("webhook.scope.public", "webhook.scope.all"),
    "webhook_state": keyed("webhook.state.on", "webhook.state.paused"),
    "webhook": lambda c, lang: [
        c.render(
            lang,
            "webhook.line",
            number=3,
            url="https://hooks.example.org/tocsin",
            events=c.render(lang, "webhook.events.all"),
            scope=c.render(lang, "webhook.scope.public"),
            state=c.render(lang, "webhook.state.paused"),
        )
    ],
}

# The kind of each placeholder, by name; where one name means two things, by message and name (below).
BY_NAME: dict[str, str] = {
    "a": "text",
    "admins": "admins",
    "b": "text",
    "c": "text",
    "d": "text",
    "address": "address",
    "after": "version",
    "aside": "path",
    "backup": "path",
    "api": "setting",
    "at": "stamp",
    "before": "version",
    "board": "board",
    "bot_role": "role",
    "by": "user",
    "cause": "cause",
    "channel": "channel",
    "channels": "channels",
    "choices": "choice_list",
    "code": "code",
    "count": "count",
    "country": "country",
    "critical": "duration",
    "current": "enum_change",
    "digest": "digest",
    "day": "format_parts",
    "days": "days",
    "due": "date",
    "duration": "duration",
    "durations": "durations",
    "elapsed": "duration",
    "ends": "stamp",
    "emoji": "emoji",
    "end": "clock",
    "error": "error",
    "eta": "date",
    "example": "example",
    "field": "field",
    "fields": "fields",
    "first": "duration",
    "format": "text",
    "found": "version",
    "graver": "option",
    "graver_value": "duration",
    "guild": "setting",
    "heading": "heading",
    "high": "bound",
    "hour": "format_parts",
    "hours": "quantity",
    "incident": "heading",
    "into": "text",
    "item": "text",
    "kind": "channel_kind",
    "kinds": "kinds",
    "known": "version",
    "label": "label",
    "language": "language_name",
    "last_update": "date_and_relative",
    "latest": "relative",
    "length": "bound",
    "lighter": "option",
    "lighter_value": "duration",
    "low": "bound",
    "least": "bound",
    "limit": "bound",
    "line": "text",
    "link": "link",
    "host": "host",
    "secret": "secret",
    "url": "url",
    "webhook": "webhook",
    "major": "duration",
    "maximum": "bound",
    "mean": "duration",
    "member": "user",
    "members": "members_count",
    "median": "duration",
    "migration": "text",
    "minimum": "bound",
    "minor": "duration",
    "minute": "format_parts",
    "minutes": "bound",
    "most": "bound",
    "month": "format_parts",
    "mttr": "duration",
    "n": "quantity",
    "name": "name",
    "now": "clock",
    "number": "incident_number",
    "other": "incident_number",
    "option": "option",
    "organisation": "text",
    "outcome": "report_outcome",
    "part": "incident_number",
    "parts": "bound",
    "path": "path",
    "percent": "percent",
    "pid": "pid",
    "permissions": "permissions",
    "period": "period",
    "place": "place",
    "previous": "enum_change",
    "reason": "reason",
    "reports": "reports_count",
    "retry": "unix",
    "reference": "reference",
    "result": "setting",
    "role": "role",
    "roles": "roles",
    "route": "route",
    "schema": "version",
    "scope": "scope",
    "second": "duration",
    "seconds": "quantity",
    "sector": "name",
    "sectors": "names",
    "separator": "separator",
    "services": "services",
    "severity": "severity",
    "since": "relative",
    "size": "quantity",
    "source": "path",
    "span": "span",
    "start": "clock",
    "starts": "stamp",
    "state": "state",
    "status": "status",
    "statuses": "statuses",
    "target": "target",
    "territory": "text",
    "text": "text",
    "third": "duration",
    "time": "stamp_and_relative",
    "title": "text",
    "total": "duration",
    "user": "user",
    "uses": "uses",
    "value": "setting",
    "variable": "setting",
    "version": "version",
    "weekday": "format_parts",
    "what": "what",
    "when": "date_and_relative",
    "where": "where",
    "who": "user",
    "owner": "user",
    "year": "format_parts",
    "zone": "zone_key",
}
BY_MESSAGE: dict[tuple[str, str], str] = {
    ("report.error.same_outage", "incidents"): "incident_numbers",
    ("report.declare.same_outage", "incidents"): "incident_lines",
    ("setup.check.grant_above_bot", "what"): "granted_for",
    ("webhook.line", "events"): "webhook_events",
    ("webhook.events.some", "events"): "webhook_events",
    ("webhook.line", "scope"): "webhook_scope",
    ("webhook.line", "state"): "webhook_state",
    ("setup.check.grant_managed", "what"): "granted_for",
    ("announce.recovery.total", "started"): "stamp",
    ("announce.recovery.total", "resolved"): "stamp",
    ("about.database.value", "size"): "quantity",
    ("cli.export.done", "size"): "quantity",
    ("cli.backup.done", "size"): "quantity",
    ("cli.backup.done", "removed"): "backups_removed",
    ("cli.backup.done", "kept"): "backups_kept",
    ("cli.run.connection_closed", "code"): "code",
    ("health.outbox.moving", "waiting"): "waiting",
    ("health.outbox.stuck", "waiting"): "waiting",
    ("health.outbox.moving", "age"): "quantity",
    ("health.outbox.stuck", "age"): "quantity",
    ("health.outbox.moving", "limit"): "quantity",
    ("health.outbox.stuck", "limit"): "quantity",
    ("health.database.busy", "seconds"): "quantity",
    ("export.error.too_large", "size"): "quantity",
    ("outbox.failure.told", "status"): "http",
    ("outbox.failure.waiting", "status"): "http",
    **{
        (f"outage.delivery.{what}.{verdict}", "admins"): "admins_clause"
        for what in ("announcement", "status", "thread", "news", "post")
        for verdict in ("waiting", "failed")
    },
    ("outbox.failure.too_many_threads", "status"): "http",
    ("setup.check.failure", "status"): "http",
    ("territory.label.region", "code"): "code_name",
    ("territory.label.departement", "code"): "code_name",
    ("territory.label.region", "name"): "text",
    ("territory.label.departement", "name"): "text",
    ("territory.label.country", "name"): "text",
    ("setup.error.unknown_sector", "known"): "names",
    ("outbox.what.other", "kind"): "kind_code",
    ("setup.error.archive_delay", "hours"): "typed_number",
    ("setup.error.dm_limit", "count"): "typed_number",
    ("setup.error.cadence_bounds", "minimum"): "duration",
    ("setup.error.cadence_bounds", "maximum"): "duration",
    ("time.error.nonexistent", "time"): "typed_time",
    ("time.error.ambiguous", "time"): "typed_time",
    ("format.datetime", "time"): "clock",
    ("format.datetime_with_year", "time"): "clock",
    ("format.time", "hour"): "format_parts",
    ("format.zone.code", "zone"): "etc_zone",
    ("export.generated", "time"): "date",
    ("export.generated", "zone"): "zone_name",
    ("export.by", "time"): "date",
    ("export.workaround_version", "time"): "date",
    ("export.entry.eta", "time"): "date",
    ("export.entry.next_update", "time"): "date",
    ("export.entry.edited", "previous"): "text",
    ("export.entry.edited", "current"): "text",
    ("export.fact", "label"): "text",
    ("export.fact", "value"): "text",
    ("export.summary_title", "label"): "label",
    ("export.done.split", "name"): "text",
    ("outage.list.line", "started"): "stamp",
    ("reminder.fired_late", "due"): "date",
    ("reminder.reply.cancelled", "when"): "date",
    ("nudge.eta_passed", "eta"): "date",
    ("nudge.next_update_due", "due"): "date_and_relative",
    ("about.outbox.value", "pending"): "quantity",
    ("about.outbox.value", "done"): "sent",
    ("about.outbox.value", "failed"): "quantity",
    ("cli.check.outbox", "pending"): "quantity",
    ("cli.check.outbox", "done"): "sent",
    ("cli.check.outbox", "failed"): "quantity",
    ("incident.error.field_too_long", "length"): "bound",
    ("setup.check.failure", "count"): "quantity",
    ("nudge.log_note", "count"): "bound",
    ("outage.list.more", "count"): "bound",
    ("delivery_test.message", "count"): "bound",
    ("setup.show.sectors", "count"): "quantity",
    ("setup.show.routes", "count"): "quantity",
    ("setup.check.failures", "count"): "quantity",
    ("export.entry.affected", "count"): "quantity",
    ("outage.reply.affected", "count"): "quantity",
    ("outage.reply.affected_already", "count"): "quantity",
    ("export.done", "count"): "quantity",
    ("cli.export.done", "count"): "quantity",
    ("export.figures.counts", "counted"): "counted",
    ("export.figures.counts", "resolved"): "resolved_count",
    ("export.figures.counts", "open"): "open_count",
    ("export.figures.counts", "cancelled"): "cancelled_count",
    ("board.since", "time"): "relative",
    ("board.next_update", "time"): "relative",
    ("board.late", "time"): "relative",
    ("board.stop.in_progress", "end"): "stamp",
    ("board.stop.coming", "start"): "stamp",
    ("board.stop.coming", "end"): "stamp",
    ("digest.period", "start"): "stamp",
    ("digest.period", "end"): "stamp",
    ("digest.quiet", "start"): "stamp",
    ("digest.quiet", "end"): "stamp",
    ("digest.line.planned", "start"): "stamp",
    ("digest.line.planned", "end"): "stamp",
    ("digest.late", "due"): "stamp",
    ("digest.setup.added", "due"): "stamp",
    ("digest.setup.daily", "time"): "clock",
    ("digest.setup.weekly", "time"): "clock",
    ("digest.setup.weekly", "day"): "weekday",
    ("board.error.too_many", "maximum"): "bound",
    ("digest.error.too_many", "maximum"): "bound",
    ("report.summary.line", "first"): "relative",
    ("export.figures.to_declare", "reports"): "quantity",
    ("export.reported", "first"): "date",
    ("export.set_aside.line", "at"): "date",
    ("report.error.decided_incident", "at"): "unix",
    ("report.error.decided_aside", "at"): "unix",
    ("report.error.decided_merged", "at"): "unix",
}
# Nested plural messages: a sentence that holds several counts takes each as a message of its own.
for kind, key in (
    ("sent", "about.outbox.sent"),
    ("counted", "export.count.counted"),
    ("resolved_count", "export.count.resolved"),
    ("open_count", "export.count.open"),
    ("cancelled_count", "export.count.cancelled"),
    ("backups_removed", "cli.backup.removed"),
    ("backups_kept", "cli.backup.kept"),
    ("waiting", "health.outbox.waiting"),
    ("members_count", "report.count.members"),
    ("reports_count", "report.count.reports"),
):
    KINDS[kind] = lambda c, lang, key=key: [c.render(lang, key, count=n) for n in COUNTS]


def kind_of(message_id: str, name: str) -> str | None:
    return BY_MESSAGE.get((message_id, name), BY_NAME.get(name))


# --- rendering every message with every sample -------------------------------------------------------------------


@dataclass(frozen=True)
class Rendering:
    message_id: str
    language: Language
    args: dict[str, Any]
    text: str

    def where(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.args.items()))
        return f"{self.message_id} [{self.language}] with {shown or 'no placeholder'}:\n    {self.text}"


def message_ids(catalogue: Catalogue) -> list[str]:
    return sorted(catalogue.keys("fr") | catalogue.keys("en"))


def all_placeholders(catalogue: Catalogue, language: Language, message_id: str) -> set[str]:
    if message_id not in catalogue.keys(language):
        return set()
    return set().union(*(placeholders(text) for text in forms(catalogue.entry(language, message_id)).values()))


def renderings(catalogue: Catalogue) -> Iterator[Rendering]:
    for message_id in message_ids(catalogue):
        for language in LANGUAGES:
            if message_id not in catalogue.keys(language):
                continue
            names = sorted(all_placeholders(catalogue, language, message_id))
            samples = {name: KINDS[kind_of(message_id, name) or "text"](catalogue, language) for name in names}
            rounds = max((len(values) for values in samples.values()), default=1)
            for i in range(rounds):
                args = {name: values[i % len(values)] for name, values in samples.items()}
                yield Rendering(message_id, language, args, catalogue.render(language, message_id, **args))


def test_every_placeholder_has_a_kind(catalogue: Catalogue) -> None:
    unknown = sorted(
        f"{{{name}}} in {message_id}"
        for message_id in message_ids(catalogue)
        for language in LANGUAGES
        for name in all_placeholders(catalogue, language, message_id)
        if kind_of(message_id, name) not in KINDS
    )
    assert not unknown, (
        "placeholders without a kind: add each to BY_NAME (or BY_MESSAGE) in tests/i18n/test_copy_gate.py, so the "
        "gate knows which samples to render it with:\n  " + "\n  ".join(unknown)
    )


# --- what a reader stops at ------------------------------------------------------------------------------------

_FR_WEEKDAY = "|".join(default_catalogue().render("fr", key) for key in WEEKDAY_KEYS)
_FR_MONTH = "|".join(default_catalogue().render("fr", key) for key in MONTH_KEYS)
# A date, as Tocsin words it or as Discord's client writes it, starting with its weekday or its day of month.
_FR_DATE = rf"(?:(?:{_FR_WEEKDAY})\b|\d{{1,2}}(?:er)? (?:{_FR_MONTH})\b|<t:)"
# A Discord timestamp stands where no grammar surrounds it: after a label's colon, at a line's start, or (a
# relative one) in brackets.
_MISPLACED_STAMP = re.compile(r"(?<!: )(?<!^)(?<!\n)(?<!\()(<t:-?\d+:[tTdDfFR]>)")

# French nouns and participles counted in sentences: (singular, plural).
FR_COUNTED = (
    ("panne", "pannes"),
    ("message", "messages"),
    ("commande", "commandes"),
    ("route", "routes"),
    ("membre", "membres"),
    ("entrée", "entrées"),
    ("relance", "relances"),
    ("rappel", "rappels"),
    ("partie", "parties"),
    ("caractère", "caractères"),
    ("envoi", "envois"),
    ("secteur", "secteurs"),
    ("salon", "salons"),
    ("rôle", "rôles"),
    ("jour", "jours"),
    ("heure", "heures"),
    ("seconde", "secondes"),
    ("incident", "incidents"),
    ("serveur", "serveurs"),
    ("territoire", "territoires"),
    ("service", "services"),
    ("personne", "personnes"),
    ("résolue", "résolues"),
    ("annulée", "annulées"),
    ("comptée", "comptées"),
    ("envoyé", "envoyés"),
    ("publiée", "publiées"),
    ("autre", "autres"),
    ("signalement", "signalements"),
)
EN_COUNTED = (
    ("outage", "outages"),
    ("message", "messages"),
    ("command", "commands"),
    ("route", "routes"),
    ("member", "members"),
    ("entry", "entries"),
    ("nudge", "nudges"),
    ("reminder", "reminders"),
    ("part", "parts"),
    ("character", "characters"),
    ("send", "sends"),
    ("sector", "sectors"),
    ("channel", "channels"),
    ("role", "roles"),
    ("day", "days"),
    ("hour", "hours"),
    ("second", "seconds"),
    ("incident", "incidents"),
    ("server", "servers"),
    ("thread", "threads"),
    ("territory", "territories"),
    ("service", "services"),
    ("person", "people"),
    ("upload", "uploads"),
    ("report", "reports"),
)
_NUMBER = r"(?<![\w.,/:#\u202f-])(\d{1,3}(?:[\u202f,]\d{3})+|\d+)(?![\w.,:/])"


def _counted(counted: tuple[tuple[str, str], ...], between: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    singular = "|".join(re.escape(s) for s, _ in counted)
    plural = "|".join(re.escape(p) for _, p in counted)
    return (
        re.compile(rf"{_NUMBER} (?:(?:{between}) )?({singular})\b"),
        re.compile(rf"{_NUMBER} (?:(?:{between}) )?({plural})\b"),
    )


# Words that may stand between a count and its noun ("30 derniers jours", "2 other routes").
FR_SINGULAR, FR_PLURAL = _counted(FR_COUNTED, "derniers|dernières|premiers|premières|autres?")
EN_SINGULAR, EN_PLURAL = _counted(EN_COUNTED, "last|more|other|first")


def _number(text: str) -> int:
    return int(re.sub(r"[\u202f,]", "", text))


def _plural_is_wrong(language: Language, n: int, plural: bool) -> bool:
    singular_expected = n in (0, 1) if language == "fr" else n == 1
    return plural == singular_expected


def plural_faults(rendering: Rendering) -> list[str]:
    singular, plural = (FR_SINGULAR, FR_PLURAL) if rendering.language == "fr" else (EN_SINGULAR, EN_PLURAL)
    faults = []
    for pattern, is_plural in ((singular, False), (plural, True)):
        for match in pattern.finditer(rendering.text):
            if _plural_is_wrong(rendering.language, _number(match.group(1)), is_plural):
                faults.append(f"count that does not agree: {match.group(0)!r}")
    return faults


# Words that are English and never French, looked for in French messages outside quotes and code.
ENGLISH_WORDS = {
    "the",
    "and",
    "by",
    "to",
    "of",
    "with",
    "from",
    "since",
    "until",
    "none",
    "yes",
    "ongoing",
    "outage",
    "outages",
    "update",
    "updates",
    "thread",
    "threads",
    "channel",
    "channels",
    "reminder",
    "reminders",
    "nudges",
    "server",
    "servers",
    "archives",
    "failed",
    "pending",
    "sent",
    "done",
    "due",
    "late",
    "please",
    "settings",
    "setup",
    "follow",
    "unfollow",
    "remind",
    "show",
    "check",
    "declare",
    "resolve",
    "assign",
}
# Names a French reader meets in English elsewhere: Discord's developer portal, accepted English input.
ENGLISH_ALLOWED = ("Reset Token", "Privileged Gateway Intents", "down, degraded, restored")
# Quoted examples of what to type, and code: read as typed, not as the sentence's own words.
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|`[^`]*`")


def english_leftovers(text: str) -> list[str]:
    for allowed in ENGLISH_ALLOWED:
        text = text.replace(allowed, "")
    text = _QUOTED.sub("Q", text)
    text = re.sub(r"https?://\S+|[\w./-]+\.(?:json|csv|db|env|example)\b|\b[A-Z_]{3,}\b", "", text)
    return sorted({w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH_WORDS})


# Only these messages carry Markdown: Discord renders them (message contents, embed descriptions and field
# values). Anywhere else (titles, labels, buttons, menus, exports) "**" would show as typed.
MARKDOWN_MESSAGES = {
    "announce.recovery.total",
    "announce.recovery.service",
    "incident.service_line",
    "incident.service_line.restored",
    "incident.post.header",
    "incident.post.service_new",
    "incident.post.service_changed",
    "incident.post.workaround",
    "incident.post.resolved",
    "incident.post.reopened",
    "incident.post.cancelled_false_alarm",
    "incident.post.cancelled_duplicate",
    "reminder.list.title",
    "outage.list.line",
    "incident.value.next_update_late",
    "board.late",
    "report.alert",
    "report.summary.line",
    "report.reply.recorded",
    "report.reply.again",
    "report.reply.declared",
    "report.list.line",
}
# Messages only admins read (replies to admin-only commands): they may send their reader to /setup.
ADMINS_READ = ("setup.", "delivery_test.", "cli.", "config.", "cmd.", "board.setup.", "digest.setup.", "webhook.")
ADMIN_WORDS = re.compile(r"\badmin|\badministrat", re.IGNORECASE)
ADMIN_COMMANDS = {"fr": ("configurer", "exporter", "webhook"), "en": ("setup", "export", "webhook")}
# Messages any member reads (following, direct messages, reminders, refusals): they never send their reader to a
# coordinator's command.
MEMBERS_READ = ("follow.", "dm.", "reminder.", "access.")
COORDINATOR_COMMANDS = {"fr": ("panne",), "en": ("outage",)}


def command_names(catalogue: Catalogue) -> dict[Language, set[str]]:
    declared, _ = command_texts()
    return {
        "fr": {catalogue.raw("fr", key) for key in declared if key.endswith(".name")},
        "en": {english for key, english in declared.items() if key.endswith(".name")},
    }


GROUPS = {
    "fr": {"configurer", "panne", "tocsin", "secteur", "route"},
    "en": {"setup", "outage", "tocsin", "sector", "route"},
}
_COMMAND = re.compile(r"(?<![\w<&@#:/.])/([a-z][a-z-]*)(?![\w/-])((?: [a-z][a-z-]*){0,2})")


def command_faults(rendering: Rendering, names: dict[Language, set[str]]) -> list[str]:
    faults = []
    language = rendering.language
    for match in _COMMAND.finditer(re.sub(r"`(?!/)[^`]*`", "", rendering.text)):
        path = [match.group(1), *match.group(2).split()]
        if path[0] not in names[language]:
            faults.append(f"names /{path[0]}, which is no {language} command")
            continue
        for parent, child in itertools.pairwise(path):
            if parent in GROUPS[language] and child not in names[language]:
                faults.append(f"names /{' '.join(path)}: {child!r} is no {language} subcommand")
                break
        if (
            path[0] in ADMIN_COMMANDS[language]
            and not rendering.message_id.startswith(ADMINS_READ)
            and not ADMIN_WORDS.search(rendering.text)
        ):
            faults.append(f"sends its reader to /{path[0]}, which only admins may run, without saying so")
        if path[0] in COORDINATOR_COMMANDS[language] and rendering.message_id.startswith(MEMBERS_READ):
            faults.append(f"sends any member to /{path[0]}, which only coordinators may run")
    return faults


def typography_faults(rendering: Rendering) -> list[str]:
    quotes = r"«[^»]*»|“[^”]*”|`[^`]*`" if rendering.language == "en" else r"`[^`]*`"
    text = re.sub(quotes, "Q", rendering.text)
    text = re.sub(r"https?://\S+|<[#@&t:0-9R]+>", "X", text)
    faults = []
    if rendering.language == "fr":
        # The catalogue's convention: a space before : ; ! ? » and after «; French quotes only.
        if match := re.search(r"[^\s\d(«][:;!?](?=\s|$)|[^\s«]»|«[^\s»]", text):
            faults.append(f"French punctuation without its space: {match.group(0)!r}")
        if match := re.search(r"[“”\"]", text):
            faults.append(f"English quotation marks in French: {match.group(0)!r}")
    else:
        if match := re.search(r"\s[:;!?](?=\s|$)", text):
            faults.append(f"a space before English punctuation: {match.group(0)!r}")
        if match := re.search(r"[«»\"]", rendering.text.replace("`", "")):
            faults.append(f"quotation marks other than “…” in English: {match.group(0)!r}")
    if "  " in rendering.text:
        faults.append("two spaces in a row")
    return faults


def faults_of(rendering: Rendering, names: dict[Language, set[str]]) -> list[str]:
    text, language = rendering.text, rendering.language
    faults = plural_faults(rendering)
    if re.search(r"\w\((?:s|e|es)\)", text):
        faults.append("a plural written “(s)”: use a plural message")
    unquoted = _QUOTED.sub("Q", text)
    if language == "fr":
        for match in re.finditer(
            rf"(?<![\w'])(de|d'|depuis|pour|jusqu'à|avant|après|dès|à|prévue?s?|reportée?)\s*(?:\*\*)?(?={_FR_DATE})",
            unquoted,
        ):
            faults.append(f"a date after {match.group(1)!r} without its article (le, du, au)")
        if match := re.search(r"\bde [A-Z][A-Za-z_]+/", text):
            faults.append(f"a zone's IANA name in a sentence: {match.group(0)!r}")
        if match := re.search(r"(?<!\d)1 (?:" + _FR_MONTH + r")\b", text):
            faults.append(f"the first of a month is “1er”: {match.group(0)!r}")
        if match := re.search(r"\b(?:médiane|moyenne|MTTR|cumulée|après)\s*:?\s+(aucun|aucune)\b", text, re.IGNORECASE):
            faults.append(f"“aucun” where a figure goes: {match.group(0)!r}")
        if leftovers := english_leftovers(text):
            faults.append(f"English words in French: {leftovers}")
    else:
        if match := re.search(r"\b(?:median|mean|MTTR|duration|after):?\s+none\b", text, re.IGNORECASE):
            faults.append(f"“none” where a figure goes: {match.group(0)!r}")
        if match := re.search(r"\b[A-Z][a-z]+/[A-Za-z_]+ time\b", text):
            faults.append(f"a zone's IANA name in a sentence: {match.group(0)!r}")
    if match := _MISPLACED_STAMP.search(text):
        faults.append(f"a Discord timestamp inside a sentence: {text[max(0, match.start() - 20) : match.end()]!r}")
    if "**" in text and rendering.message_id not in MARKDOWN_MESSAGES:
        faults.append("“**” in a message Discord does not render as Markdown (or add it to MARKDOWN_MESSAGES)")
    faults += command_faults(rendering, names)
    faults += typography_faults(rendering)
    return faults


def test_every_message_reads_right_with_every_sample(catalogue: Catalogue) -> None:
    names = command_names(catalogue)
    found: dict[str, list[str]] = {}
    for rendering in renderings(catalogue):
        for fault in faults_of(rendering, names):
            found.setdefault(fault, []).append(rendering.where())
    report = []
    for fault, where in sorted(found.items()):
        report.append(f"- {fault}\n  in {where[0]}" + (f"\n  (and {len(where) - 1} more)" if len(where) > 1 else ""))
    assert not report, f"{len(report)} faults in the catalogue's copy:\n" + "\n".join(report)


# --- the same words everywhere -----------------------------------------------------------------------------------


def test_placeholders_match_between_languages_in_every_form(catalogue: Catalogue) -> None:
    mismatched = {}
    for message_id in catalogue.keys("fr") & catalogue.keys("en"):
        fr, en = all_placeholders(catalogue, "fr", message_id), all_placeholders(catalogue, "en", message_id)
        if fr != en:
            mismatched[message_id] = (sorted(fr), sorted(en))
        for language in LANGUAGES:
            entry = catalogue.entry(language, message_id)
            if isinstance(entry, dict):
                for form in ("one", "other"):
                    if form in entry and "count" not in placeholders(entry[form]):
                        mismatched[f"{message_id} [{language}, {form}]"] = "its count is not written"
    assert mismatched == {}


def _stem(label: str) -> str:
    plain = unicodedata.normalize("NFKD", label.lower()).encode("ascii", "ignore").decode()
    return plain.rstrip("es")


ENUMS = {
    "cause": ("cyberattack_suspected", "cyberattack_confirmed", "technical_failure", "overload", "unknown"),
    "severity": ("critical", "major", "minor"),
    "status": ("investigating", "identified", "monitoring", "resolved", "cancelled"),
}
# Other choices and the message word that names the same thing: (the choice's message id, the label's).
SAME_WORDS = (
    *((f"cmd.outage.choice.{v}", f"incident.{enum}.{v}") for enum, values in ENUMS.items() for v in values),
    ("cmd.outage.choice.false_alarm", "export.cancel.false_alarm"),
    ("cmd.setup.language.choice.fr", "setup.language.fr"),
    ("cmd.setup.language.choice.en", "setup.language.en"),
    ("cmd.setup.cadence.critical.name", "incident.severity.critical"),
    ("cmd.setup.cadence.major.name", "incident.severity.major"),
    ("cmd.setup.cadence.minor.name", "incident.severity.minor"),
)


def test_each_enumerated_word_has_one_label_in_each_language(catalogue: Catalogue) -> None:
    """A cause, severity, status (or a language, a cancel reason) is named by the same word in the command's
    choices as in every message."""
    declared, _ = command_texts()
    differ = []
    for choice_key, label_key in SAME_WORDS:
        if choice_key not in declared:
            continue
        for language, choice in (("fr", catalogue.raw("fr", choice_key)), ("en", declared[choice_key])):
            label = catalogue.raw(language, label_key)
            if _stem(label) != _stem(choice):
                differ.append(f"{choice_key} [{language}]: the choice says {choice!r}, {label_key} says {label!r}")
    assert differ == []


def test_the_gate_fails_on_each_kind_of_fault() -> None:
    """The checks themselves: each sentence below has one fault the gate must name."""
    names = {"fr": {"configurer", "afficher", "panne", "actualiser", "declarer"}, "en": {"setup", "show"}}
    cases = {
        ("fr", "x.a"): "Il est temps : la dernière date de mercredi 13 août à 16:00.",
        ("fr", "x.b"): "Rien depuis 13 août 2021 11:20.",
        ("fr", "x.c"): "Une mise à jour pour dimanche 20 octobre 2024 à 10:00.",
        ("fr", "x.d"): "0 pannes comptées.",
        ("fr", "x.e"): "Médiane aucun.",
        ("fr", "x.f"): "Généré le lundi 1er mars (heures de Europe/Paris)",
        ("fr", "x.g"): "Aucun salon ne l'a reçue (voir /configurer afficher).",
        ("fr", "x.h"): "Rappel : le samedi 1 mars à 00:00.",
        ("fr", "x.i"): "2 message publié.",
        ("fr", "x.j"): "3 message(s) envoyés.",
        ("fr", "x.k"): "Panne résolue, the end.",
        ("fr", "x.l"): "Statut: résolu.",
        ("en", "x.m"): "connected as Tocsin to 1 servers.",
        ("en", "x.n"): "Status : resolved.",
        ("en", "x.o"): "see /setup nothing.",
        ("fr", "x.p"): "**Gras** en titre.",
        ("fr", "follow.x"): "Pour la suivre, déclarez-la avec /panne declarer.",
    }
    for (language, message_id), text in cases.items():
        rendering = Rendering(message_id, language, {}, text)  # type: ignore[arg-type]
        assert faults_of(rendering, names), text
    fine = Rendering("x.z", "fr", {}, "La dernière date du mercredi 13 août à 16:00 ; 0 panne, 2 pannes.")
    assert faults_of(fine, names) == []
