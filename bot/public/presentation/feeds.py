"""The Atom 1.0 feeds (RFC 4287) of a server's page, a sector's and a territory's: one entry per public update of the
incidents the page lists and per message of its public planned maintenance (scheduled, rescheduled, extended,
started, ended, cancelled, turned into an incident), newest first, written in the server's language and signed by
the server's name.

Built as an XML tree, so every text is escaped by the serializer; characters XML 1.0 cannot carry at all (most
control characters) are dropped first, or a reader would refuse the whole feed. Ids are the rules' name-based
UUIDs, so an entry keeps its id whatever is rendered around it; the feed's `updated` is its newest entry's. Links
are relative to the feed's own address (RFC 4287 allows it): the host a request names is never written back."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.common.formatting import format_datetime
from bot.common.i18n import Catalogue, Language
from bot.public.presentation.pages import feed_path, feed_title, incident_path, scope_path, update_heading
from bot.public.rules import (
    SERVER,
    PublicIncident,
    PublicMaintenanceNews,
    PublicUpdate,
    Scope,
    entry_at,
    feed_entries,
    feed_uid,
)

ATOM = "http://www.w3.org/2005/Atom"
# A maintenance message's heading, by its kind.
MAINTENANCE_NEWS = {
    "scheduled": "public.maintenance.news.scheduled",
    "rescheduled": "public.maintenance.news.rescheduled",
    "extended": "public.maintenance.news.extended",
    "started": "public.maintenance.news.started",
    "ended": "public.maintenance.news.ended",
    "cancelled": "public.maintenance.news.cancelled",
    "converted": "public.maintenance.news.converted",
}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (the serializer escapes the rest)."""
    return _NOT_XML.sub("", text)


def _colon(language: Language) -> str:
    """What stands between a label and its value: French puts a space before the colon."""
    return " : " if language == "fr" else ": "


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class FeedWriter:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def feed(
        self,
        *,
        guild_id: int,
        slug: str,
        server_name: str,
        language: Language,
        zone: ZoneInfo,
        incidents: Iterable[PublicIncident],
        since: datetime,
        news: Iterable[PublicMaintenanceNews] = (),
        scope: Scope = SERVER,
        scope_name: str = "",
    ) -> bytes:
        """The feed of the page at `slug` (`scope`); `since` stands for `updated` while it has no entry."""
        entries = feed_entries(incidents, news)
        root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": language})
        _add(root, "id", feed_uid(guild_id, scope))
        _add(root, "title", feed_title(self._catalogue, language, server_name, scope, scope_name), type="text")
        newest = entries[0] if entries else None
        _add(root, "updated", _stamp(since if newest is None else entry_at(newest)))
        _add(_add(root, "author"), "name", server_name)
        _add(root, "link", rel="self", type="application/atom+xml", href=feed_path(slug, scope))
        _add(root, "link", rel="alternate", type="text/html", href=scope_path(slug, scope, language))
        _add(root, "generator", "Tocsin")
        for entry in entries:
            if isinstance(entry, PublicMaintenanceNews):
                self._maintenance_entry(root, slug, server_name, language, zone, entry)
            else:
                self._entry(root, slug, server_name, language, zone, *entry)
        ET.indent(root)
        written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + written

    def _entry(
        self,
        root: ET.Element,
        slug: str,
        server_name: str,
        language: Language,
        zone: ZoneInfo,
        incident: PublicIncident,
        update: PublicUpdate,
    ) -> None:
        label = self._catalogue.render(language, "public.incident.label", number=incident.number)
        heading = update_heading(self._catalogue, language, update)
        _entry(
            root,
            uid=update.uid,
            title=f"{label} · {incident.title} · {heading}",
            at=update.at,
            server_name=server_name,
            href=incident_path(slug, incident.number, language),
            sector=(incident.sector_key, incident.sector),
            lines=self._lines(language, zone, update, heading),
        )

    def _lines(self, language: Language, zone: ZoneInfo, update: PublicUpdate, heading: str) -> list[str]:
        """The entry's text: only what this update said, so that an entry never changes after its `updated`."""
        say = self._catalogue.render
        colon = _colon(language)
        lines = [heading]
        if update.text:
            lines.append(update.text)
        if update.eta is not None:
            lines.append(say(language, "public.field.eta") + colon + format_datetime(update.eta, language, zone))
        lines.extend(name + colon + say(language, f"incident.service_state.{state}") for name, state in update.services)
        return lines

    def _maintenance_entry(
        self,
        root: ET.Element,
        slug: str,
        server_name: str,
        language: Language,
        zone: ZoneInfo,
        news: PublicMaintenanceNews,
    ) -> None:
        """One message of a maintenance: its times as this message told them, so it never changes either. It has
        no page of its own: its entry links to the server's page, which lists it."""
        say = self._catalogue.render
        label = say(language, "public.maintenance.label", number=news.number)
        heading = say(language, MAINTENANCE_NEWS[news.kind])
        colon = _colon(language)
        _entry(
            root,
            uid=news.uid,
            title=f"{label} · {news.title} · {heading}",
            at=news.at,
            server_name=server_name,
            href=scope_path(slug, SERVER, language),
            sector=(news.sector_key, news.sector) if news.sector else None,
            lines=[
                heading,
                say(language, "public.field.organisation") + colon + news.organisation,
                say(language, "public.field.started") + colon + format_datetime(news.starts_at, language, zone),
                say(language, "public.field.eta") + colon + format_datetime(news.ends_at, language, zone),
            ],
        )


def _entry(
    root: ET.Element,
    *,
    uid: str,
    title: str,
    at: datetime,
    server_name: str,
    href: str,
    sector: tuple[str, str] | None,
    lines: list[str],
) -> None:
    entry = _add(root, "entry")
    _add(entry, "id", uid)
    _add(entry, "title", title, type="text")
    _add(entry, "updated", _stamp(at))
    _add(entry, "published", _stamp(at))
    _add(_add(entry, "author"), "name", server_name)
    _add(entry, "link", rel="alternate", type="text/html", href=href)
    if sector is not None:
        _add(entry, "category", term=sector[0], label=sector[1])
    _add(entry, "content", "\n".join(lines), type="text")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element
