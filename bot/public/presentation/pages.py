"""The public pages as HTML: one template and one stylesheet shipped in the package (`templates/`), filled with text
escaped here. Everything typed in Discord is escaped and isolated (`<bdi>`), so markup, links and direction
overrides come out as inert text; dates are written in words and given as `<time datetime>`."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from html import escape
from importlib.resources import files
from string import Template
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.common import territories
from bot.common.formatting import format_datetime, format_duration
from bot.common.i18n import Catalogue, Language
from bot.public.rules import SERVER, PublicIncident, PublicMaintenance, PublicPage, PublicUpdate, Scope

UPDATE_HEADINGS = {
    "declared": "public.update.declared",
    "status_changed": "public.update.status_changed",
    "note": "public.update.note",
    "services_changed": "public.update.services_changed",
    "workaround_changed": "public.update.workaround_changed",
    "eta_changed": "public.update.eta_changed",
    "severity_changed": "public.update.severity_changed",
    "resolved": "public.update.resolved",
    "reopened": "public.update.reopened",
}

MAINTENANCE_STATES = {
    "planned": "public.maintenance.state.planned",
    "in_progress": "public.maintenance.state.in_progress",
    "ended": "public.maintenance.state.ended",
}
# The page's two lists of maintenance: (the section's id, its heading).
COMING = ("maintenance", "public.page.maintenance")
PAST = ("past_maintenance", "public.page.past_maintenance")


# Times kept worded (a server's page shows two or three per incident, for up to 90 days of incidents).
WORDED_TIMES = 50_000
KEPT_ITEMS = 10_000  # incidents' list items kept written, across pages and languages


@functools.cache
def _asset(name: str) -> str:
    return (files("bot.public") / "templates" / name).read_text(encoding="utf-8")


def page_template() -> Template:
    return Template(_asset("page.html"))


def stylesheet() -> str:
    return _asset("style.css")


def server_path(slug: str, language: Language | None = None) -> str:
    return f"/{slug}" + (f"?lang={language}" if language else "")


def incident_path(slug: str, number: int, language: Language | None = None) -> str:
    return f"/{slug}/incidents/{number}" + (f"?lang={language}" if language else "")


def scope_path(slug: str, scope: Scope, language: Language | None = None) -> str:
    """The page of a sector or territory (`/<name>/sectors/<key>`, `/<name>/territories/<ref>`), or the server's."""
    if scope.kind == "server":
        return server_path(slug, language)
    folder = "sectors" if scope.kind == "sector" else "territories"
    return f"/{slug}/{folder}/{quote(scope.key, safe='')}" + (f"?lang={language}" if language else "")


def feed_path(slug: str, scope: Scope = SERVER) -> str:
    """A page's Atom feed: its address followed by `/feed.atom`."""
    return scope_path(slug, scope) + "/feed.atom"


def territory_name(ref: str) -> str:
    """A territory as pages and feeds write it: its name and code ("Finistère (29)")."""
    return _territory(ref)


def typed(text: str) -> str:
    """Text someone typed: escaped, and isolated from the page's direction."""
    return f"<bdi>{escape(text, quote=True)}</bdi>"


def _scope_link(slug: str, scope: Scope, language: Language, name: str) -> str:
    """A link to a sector's or territory's page, with its name as typed."""
    return f'<a href="{escape(scope_path(slug, scope, language), quote=True)}">{typed(name)}</a>'


def _territory_links(slug: str, refs: Iterable[str], language: Language) -> str:
    return ", ".join(_scope_link(slug, Scope("territory", ref), language, _territory(ref)) for ref in refs)


class PublicPresenter:
    def __init__(self, catalogue: Catalogue, zone: ZoneInfo) -> None:
        self._catalogue = catalogue
        self._zone = zone
        self._labels: dict[tuple[Language, str], str] = {}  # fixed texts, escaped once (a page repeats them)
        self._times: dict[tuple[datetime, Language, int], str] = {}
        self._items: dict[tuple[Language, str, int, PublicIncident], str] = {}

    def _t(self, language: Language, message_id: str, **args: object) -> str:
        if args:
            return escape(self._catalogue.render(language, message_id, **args), quote=True)
        label = self._labels.get((language, message_id))
        if label is None:
            label = self._labels[(language, message_id)] = escape(self._catalogue.render(language, message_id))
        return label

    def _time(self, at: datetime, language: Language, now: datetime) -> str:
        # The same times come back at every rendering of a page: each is worded once per language and year.
        key = (at, language, now.astimezone(self._zone).year)
        worded = self._times.get(key)
        if worded is None:
            if len(self._times) >= WORDED_TIMES:
                self._times.clear()
            worded = self._times[key] = escape(format_datetime(at, language, self._zone, now))
        return f'<time datetime="{at.isoformat()}">{worded}</time>'

    def _layout(
        self,
        language: Language,
        *,
        title: str,
        heading: str,
        body: str,
        other_href: str,
        now: datetime,
        feeds: Iterable[tuple[str, str]] = (),
    ) -> str:
        """`feeds`: (address, title) of the Atom feeds the page offers, announced in its head."""
        other: Language = "en" if language == "fr" else "fr"
        links = "".join(
            f'<link rel="alternate" type="application/atom+xml" href="{escape(href, quote=True)}" title="{name}">\n'
            for href, name in feeds
        )
        return page_template().substitute(
            lang=language,
            title=title,
            head_links=links,
            style=stylesheet(),
            other_href=escape(other_href, quote=True),
            other_lang=other,
            other_label=self._t(language, "public.page.other_language"),
            heading=heading,
            body=body,
            updated_label=self._t(language, "public.page.updated"),
            now_iso=now.isoformat(),
            now_text=escape(format_datetime(now, language, self._zone, now)),
        )

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue

    # --- the server's page ------------------------------------------------------------------------------------

    def server_page(
        self,
        language: Language,
        *,
        slug: str,
        server_name: str,
        incidents: Iterable[PublicIncident],
        now: datetime,
        scope: Scope = SERVER,
        scope_name: str = "",
        maintenance: Iterable[PublicMaintenance] = (),
        past_maintenance: Iterable[PublicMaintenance] = (),
    ) -> str:
        """The server's page, or one sector's or territory's (`scope`, named `scope_name`): the same lists. Public
        maintenance in progress or coming follows the open incidents, the ended ones the history (each section
        only when it lists one)."""
        listed = list(incidents)
        open_ones = [i for i in listed if i.is_open]
        closed = [i for i in listed if not i.is_open]
        feed_title = self._feed_title(language, server_name, scope, scope_name)
        feed = escape(feed_path(slug, scope), quote=True)
        feed_label = self._t(language, "public.page.feed")
        body = [
            f'<p><a href="{escape(server_path(slug, language), quote=True)}">'
            f"{self._t(language, 'public.page.back', name=server_name)}</a></p>"
            if scope.kind != "server"
            else "",
            f'<section aria-labelledby="open"><h2 id="open">{self._t(language, "public.page.open")}</h2>',
            self._list(language, slug, open_ones, now) or f"<p>{self._t(language, 'public.page.none_open')}</p>",
            "</section>",
            self._maintenance(language, slug, COMING, list(maintenance), now),
            f'<section aria-labelledby="history"><h2 id="history">{self._t(language, "public.page.history")}</h2>',
            self._list(language, slug, closed, now) or f"<p>{self._t(language, 'public.page.none_history')}</p>",
            "</section>",
            self._maintenance(language, slug, PAST, list(past_maintenance), now),
            f'<p class="feeds"><a href="{feed}" type="application/atom+xml">{feed_label}</a></p>',
        ]
        title = self._t(language, "public.page.title", name=server_name)
        if scope.kind != "server":
            title = self._scope_heading(language, scope, scope_name) + " · " + title
        other: Language = "en" if language == "fr" else "fr"
        return self._layout(
            language,
            title=title,
            heading=title,
            body="\n".join(part for part in body if part),
            other_href=scope_path(slug, scope, other),
            now=now,
            feeds=[(feed_path(slug, scope), feed_title)],
        )

    def _scope_heading(self, language: Language, scope: Scope, scope_name: str) -> str:
        key = "public.page.sector_title" if scope.kind == "sector" else "public.page.territory_title"
        return self._t(language, key, name=scope_name)

    def _feed_title(self, language: Language, server_name: str, scope: Scope, scope_name: str) -> str:
        return escape(feed_title(self._catalogue, language, server_name, scope, scope_name), quote=True)

    def _list(self, language: Language, slug: str, incidents: list[PublicIncident], now: datetime) -> str:
        if not incidents:
            return ""
        items = []
        year = now.astimezone(self._zone).year
        for incident in incidents:
            # An item is the same text while the incident is the same (its every field is in the key) in the same
            # year: a page made again after one incident changed words only that one again.
            key = (language, slug, year, incident)
            item = self._items.get(key)
            if item is None:
                if len(self._items) >= KEPT_ITEMS:
                    self._items.clear()
                label = self._t(language, "public.incident.label", number=incident.number)
                href = escape(incident_path(slug, incident.number, language), quote=True)
                item = self._items[key] = (
                    f'<li class="{"open" if incident.is_open else "resolved"}">'
                    f'<h3><a href="{href}">{label} · {typed(incident.title)}</a></h3>'
                    f"{self._facts(language, slug, incident, now)}</li>"
                )
            items.append(item)
        return '<ul class="incidents">' + "".join(items) + "</ul>"

    def _facts(self, language: Language, slug: str, incident: PublicIncident, now: datetime) -> str:
        rows: list[tuple[str, str]] = [
            ("public.field.status", self._t(language, f"incident.status.{incident.status}")),
            ("public.field.severity", self._t(language, f"incident.severity.{incident.severity}")),
        ]
        if incident.organisation:
            rows.append(("public.field.organisation", typed(incident.organisation)))
        rows.append(
            ("public.field.sector", _scope_link(slug, Scope("sector", incident.sector_key), language, incident.sector))
        )
        if incident.territories:
            rows.append(("public.field.territories", _territory_links(slug, incident.territories, language)))
        rows.append(("public.field.started", self._time(incident.started_at, language, now)))
        if incident.resolved_at is not None:
            rows.append(("public.field.resolved", self._time(incident.resolved_at, language, now)))
        elif incident.eta is not None:
            rows.append(("public.field.eta", self._time(incident.eta, language, now)))
        if incident.duration is not None:
            rows.append(("public.field.duration", escape(format_duration(incident.duration, language))))
        if incident.workaround:
            rows.append(("public.field.workaround", f'<span class="text">{typed(incident.workaround)}</span>'))
        cells = "".join(f"<dt>{self._t(language, key)}</dt><dd>{value}</dd>" for key, value in rows)
        return f"<dl>{cells}</dl>"

    def _maintenance(
        self, language: Language, slug: str, section: tuple[str, str], listed: list[PublicMaintenance], now: datetime
    ) -> str:
        if not listed:
            return ""
        items = []
        for m in listed:
            label = self._t(language, "public.maintenance.label", number=m.number)
            items.append(
                f'<li class="maintenance {m.state}"><h3>{label} · {typed(m.title)}</h3>'
                f"{self._maintenance_facts(language, slug, m, now)}</li>"
            )
        anchor, heading = section[0], self._t(language, section[1])
        return (
            f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{heading}</h2>'
            f'<ul class="incidents">{"".join(items)}</ul></section>'
        )

    def _maintenance_facts(self, language: Language, slug: str, m: PublicMaintenance, now: datetime) -> str:
        rows: list[tuple[str, str]] = [
            ("public.field.state", self._t(language, MAINTENANCE_STATES[m.state])),
            ("public.field.organisation", typed(m.organisation)),
        ]
        if m.sector:
            rows.append(("public.field.sector", _scope_link(slug, Scope("sector", m.sector_key), language, m.sector)))
        if m.territories:
            rows.append(("public.field.territories", _territory_links(slug, m.territories, language)))
        if m.services:
            rows.append(("public.field.services", ", ".join(typed(name) for name in m.services)))
        rows.append(("public.field.started", self._time(m.starts_at, language, now)))
        if m.ended_at is not None:
            rows.append(("public.field.resolved", self._time(m.ended_at, language, now)))
        else:
            rows.append(("public.field.eta", self._time(m.ends_at, language, now)))
        if m.workaround:
            rows.append(("public.field.workaround", f'<span class="text">{typed(m.workaround)}</span>'))
        cells = "".join(f"<dt>{self._t(language, key)}</dt><dd>{value}</dd>" for key, value in rows)
        return f"<dl>{cells}</dl>"

    # --- one incident's page ----------------------------------------------------------------------------------

    def incident_page(
        self, language: Language, *, slug: str, server_name: str, incident: PublicIncident, now: datetime
    ) -> str:
        label = self._t(language, "public.incident.label", number=incident.number)
        back = escape(server_path(slug, language), quote=True)
        body = [
            f'<p><a href="{back}">{self._t(language, "public.page.back", name=server_name)}</a></p>',
            f'<section class="incident {"open" if incident.is_open else "resolved"}">',
            self._facts(language, slug, incident, now),
        ]
        for key, text in (("public.field.impact", incident.impact), ("public.field.description", incident.description)):
            if text:
                body.append(f'<h2>{self._t(language, key)}</h2><p class="text">{typed(text)}</p>')
        body.append("</section>")
        if incident.services:
            body.append(self._services(language, incident))
        body.append(self._timeline(language, incident, server_name, now))
        other: Language = "en" if language == "fr" else "fr"
        return self._layout(
            language,
            title=f"{label} · {escape(incident.title)} · {escape(server_name)}",
            heading=f"{label} · {typed(incident.title)}",
            body="\n".join(body),
            other_href=incident_path(slug, incident.number, other),
            now=now,
            feeds=[(feed_path(slug), self._feed_title(language, server_name, SERVER, ""))],
        )

    def _services(self, language: Language, incident: PublicIncident) -> str:
        head = "".join(
            f'<th scope="col">{self._t(language, key)}</th>'
            for key in ("public.field.service", "public.field.state", "public.field.downtime", "public.field.degraded")
        )
        rows = "".join(
            f'<tr><th scope="row">{typed(service.name)}</th>'
            f"<td>{self._t(language, f'incident.service_state.{service.state}')}</td>"
            f"<td>{escape(format_duration(service.downtime, language))}</td>"
            f"<td>{escape(format_duration(service.degraded_time, language))}</td></tr>"
            for service in incident.services
        )
        return (
            f'<h2 id="services">{self._t(language, "public.field.services")}</h2>'
            f'<table aria-labelledby="services"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        )

    def _timeline(self, language: Language, incident: PublicIncident, server_name: str, now: datetime) -> str:
        by = self._t(language, "public.page.by", name=server_name)
        items = "".join(
            f"<li><h3>{self._update_heading(language, update)}</h3>"
            f"<p>{self._time(update.at, language, now)} · {by}</p>{self._update_body(language, update, now)}</li>"
            for update in incident.updates
        )
        return f'<h2>{self._t(language, "public.field.timeline")}</h2><ol class="timeline" reversed>{items}</ol>'

    def _update_heading(self, language: Language, update: PublicUpdate) -> str:
        return escape(update_heading(self._catalogue, language, update), quote=True)

    def _update_body(self, language: Language, update: PublicUpdate, now: datetime) -> str:
        parts = []
        if update.text:
            parts.append(f'<p class="text">{typed(update.text)}</p>')
        if update.eta is not None:
            parts.append(f"<p>{self._t(language, 'public.field.eta')} : {self._time(update.eta, language, now)}</p>")
        if update.services:
            changes = "".join(
                f"<li>{typed(name)} : {self._t(language, f'incident.service_state.{state}')}</li>"
                for name, state in update.services
            )
            parts.append(f"<ul>{changes}</ul>")
        return "".join(parts)

    def not_found(self, language: Language) -> str:
        return self._short_page(language, "public.page.not_found")

    def too_many(self, language: Language) -> str:
        """The answer to a client past its request limit (the header Retry-After says when to come back)."""
        return self._short_page(language, "public.page.too_many")

    def _short_page(self, language: Language, message_id: str) -> str:
        text = self._t(language, message_id)
        return (
            f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{text}</title></head>'
            f"<body><h1>{text}</h1></body></html>"
        )


def feed_title(catalogue: Catalogue, language: Language, server_name: str, scope: Scope, scope_name: str) -> str:
    """The title of a page's feed (plain text: the caller escapes it for its format)."""
    if scope.kind == "server":
        return catalogue.render(language, "public.feed.title", name=server_name)
    return catalogue.render(language, "public.feed.scope_title", name=server_name, scope=scope_name)


def update_heading(catalogue: Catalogue, language: Language, update: PublicUpdate) -> str:
    """What an update says in a few words (plain text: the caller escapes it for its format)."""
    if update.kind == "status_changed" and update.status:
        status = catalogue.render(language, f"incident.status.{update.status}")
        return catalogue.render(language, "public.update.status_changed", status=status)
    if update.kind == "severity_changed" and update.severity:
        severity = catalogue.render(language, f"incident.severity.{update.severity}")
        return catalogue.render(language, "public.update.severity_changed", severity=severity)
    if update.kind == "eta_changed" and update.eta is None:
        return catalogue.render(language, "public.update.eta_cleared")
    if update.kind in ("status_changed", "severity_changed"):  # a change that does not say to what
        return catalogue.render(language, "public.update.note")
    return catalogue.render(language, UPDATE_HEADINGS[update.kind])


def _territory(ref: str) -> str:
    try:
        territory = territories.get(ref)
    except ValueError:
        return ref
    return f"{territory.name} ({territory.code})"


def public_page_reply(catalogue: Catalogue, language: Language, page: PublicPage) -> str:
    """What an admin reads once the page is set (Discord text, not HTML)."""
    state = "public.setup.online" if page.enabled else "public.setup.offline"
    default = "public.setup.new_public" if page.default_public else "public.setup.new_private"
    return "\n".join(
        (catalogue.render(language, state, text=server_path(page.slug)), catalogue.render(language, default))
    )


def visibility_reply(catalogue: Catalogue, language: Language, number: int, public: bool) -> str:
    """What a coordinator reads once an incident is made public or private (Discord text)."""
    return catalogue.render(
        language, "public.reply.now_public" if public else "public.reply.now_private", number=number
    )
