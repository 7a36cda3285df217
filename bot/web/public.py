"""The public address (TOCSIN_WEB_ADDRESS, off unless set): each server's status page at `/<name>` and one page per
public incident at `/<name>/incidents/<number>`. The HTTP side of the public feature (`bot.public`).

The language is the `lang` query's (the page's switch), else the best of `Accept-Language`, else the bot's default.
An unknown server, a page turned off, a private incident, another server's incident and a malformed path all get
the same 404, so that nothing tells whether something exists privately. Pages are short-lived in caches (a minute
at most: an incident made private again must vanish quickly) and carry strict security headers."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.common.i18n import LANGUAGES, Language
from bot.public.presentation import PublicPresenter
from bot.public.rules import SLUG
from bot.public.use_cases import PublicPages
from bot.web.public_feeds import Render, feed_routes
from bot.web.server import Site

if TYPE_CHECKING:
    from bot.composition import Services

MAX_AGE_S = 30
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def public_site(services: Services) -> Site:
    settings = services.settings
    site = Site("public", settings.web_listen)
    presenter = PublicPresenter(services.catalogue, settings.zone)
    site.add_routes("public", public_routes(services.public_pages, presenter, settings.default_language))
    return site


def choose_language(request: web.Request, default: Language) -> Language:
    """`?lang=` first (the switch on every page), then `Accept-Language` by its weights, then the default."""
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if weight <= 0:
            continue
        candidate = (-weight, position, primary)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best is not None else default


def _html(
    request: web.Request, body: str, *, status: int = 200, language: Language, content_type: str = "text/html"
) -> web.Response:
    """Every answer of the public address (pages, feeds, API), with its caching and security headers."""
    data = body.encode("utf-8")
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {
        **SECURITY_HEADERS,
        "Content-Language": language,
        "Vary": "Accept-Language",
        "Cache-Control": f"public, max-age={MAX_AGE_S}" if status == 200 else "public, max-age=10",
    }
    if status == 200:
        headers["ETag"] = etag
        if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            return web.Response(status=304, headers=headers)
    return web.Response(body=data, status=status, content_type=content_type, charset="utf-8", headers=headers)


def public_routes(pages: PublicPages, presenter: PublicPresenter, default: Language) -> list[web.RouteDef]:
    def not_found(request: web.Request, language: Language) -> web.Response:
        return _html(request, presenter.not_found(language), status=404, language=language)

    async def server_page(request: web.Request) -> web.Response:
        language = choose_language(request, default)
        slug = request.match_info["slug"]
        view = await pages.server_page(slug) if SLUG.fullmatch(slug) else None
        if view is None:
            return not_found(request, language)
        body = presenter.server_page(
            language,
            slug=view.page.slug,
            server_name=view.server_name,
            incidents=view.incidents,
            now=view.now,
            maintenance=view.maintenance,
            past_maintenance=view.past_maintenance,
        )
        return _html(request, body, language=language)

    async def incident_page(request: web.Request) -> web.Response:
        language = choose_language(request, default)
        slug, number = request.match_info["slug"], request.match_info["number"]
        valid = SLUG.fullmatch(slug) is not None and number.isascii() and number.isdigit() and len(number) <= 9
        view = await pages.incident_page(slug, int(number)) if valid else None
        if view is None:
            return not_found(request, language)
        body = presenter.incident_page(
            language, slug=view.page.slug, server_name=view.server_name, incident=view.incident, now=view.now
        )
        return _html(request, body, language=language)

    async def serve(
        request: web.Request, *, slug: str, key: Hashable, language: Language, render: Render
    ) -> web.Response:
        """The response path of the routes `feed_routes` adds: `render` once, then as any page (`key` names what
        is rendered, for a cache of rendered answers)."""
        found = await render() if SLUG.fullmatch(slug) else None
        if found is None:
            return not_found(request, language)
        body, content_type = found
        return _html(request, body.decode("utf-8"), language=language, content_type=content_type.split(";")[0])

    async def anything_else(request: web.Request) -> web.Response:
        return not_found(request, choose_language(request, default))

    return [
        web.get("/{slug}", server_page),
        web.get("/{slug}/incidents/{number}", incident_page),
        *feed_routes(pages, presenter, default, serve=serve, not_found=not_found, choose=choose_language),
        web.get("/{tail:.*}", anything_else),
    ]
