"""The Atom 1.0 feeds (RFC 4287) of a server's page, a sector's and a territory's: one entry per public update of the
incidents the page lists, newest first, written in the server's language and signed by the server's name.

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
from bot.public.rules import SERVER, PublicIncident, PublicUpdate, Scope, feed_entries, feed_uid

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (the serializer escapes the rest)."""
    return _NOT_XML.sub("", text)


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
        scope: Scope = SERVER,
        scope_name: str = "",
    ) -> bytes:
        """The feed of the page at `slug` (`scope`); `since` stands for `updated` while it has no entry."""
        entries = feed_entries(incidents)
        root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": language})
        _add(root, "id", feed_uid(guild_id, scope))
        _add(root, "title", feed_title(self._catalogue, language, server_name, scope, scope_name), type="text")
        _add(root, "updated", _stamp(entries[0][1].at if entries else since))
        _add(_add(root, "author"), "name", server_name)
        _add(root, "link", rel="self", type="application/atom+xml", href=feed_path(slug, scope))
        _add(root, "link", rel="alternate", type="text/html", href=scope_path(slug, scope, language))
        _add(root, "generator", "Tocsin")
        for incident, update in entries:
            self._entry(root, slug, server_name, language, zone, incident, update)
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
        say = self._catalogue.render
        entry = _add(root, "entry")
        _add(entry, "id", update.uid)
        label = say(language, "public.incident.label", number=incident.number)
        heading = update_heading(self._catalogue, language, update)
        _add(entry, "title", f"{label} · {incident.title} · {heading}", type="text")
        _add(entry, "updated", _stamp(update.at))
        _add(entry, "published", _stamp(update.at))
        _add(_add(entry, "author"), "name", server_name)
        _add(entry, "link", rel="alternate", type="text/html", href=incident_path(slug, incident.number, language))
        _add(entry, "category", term=incident.sector_key, label=incident.sector)
        _add(entry, "content", "\n".join(self._lines(language, zone, update, heading)), type="text")

    def _lines(self, language: Language, zone: ZoneInfo, update: PublicUpdate, heading: str) -> list[str]:
        """The entry's text: only what this update said, so that an entry never changes after its `updated`."""
        say = self._catalogue.render
        colon = " : " if language == "fr" else ": "
        lines = [heading]
        if update.text:
            lines.append(update.text)
        if update.eta is not None:
            lines.append(say(language, "public.field.eta") + colon + format_datetime(update.eta, language, zone))
        lines.extend(name + colon + say(language, f"incident.service_state.{state}") for name, state in update.services)
        return lines


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element
