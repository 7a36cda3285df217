"""The public address (TOCSIN_WEB_ADDRESS, off unless set): each server's status page at `/<name>` and one page per
public incident at `/<name>/incidents/<number>`. The HTTP side of the public feature (`bot.public`).

The language is the `lang` query's (the page's switch), else the best of `Accept-Language`, else the bot's default.
An unknown server, a page turned off, a private incident, another server's incident and a malformed path all get
the same 404, so that nothing tells whether something exists privately. Pages are short-lived in caches (a minute
at most: an incident made private again must vanish quickly) and carry strict security headers.

Each page is rendered once per change of what it shows and kept in memory (`bot.web.cache`): a request costs one
indexed read of the server's version. `ETag` and `Last-Modified` answer 304; HEAD answers every route. Each
client (the peer, or the address a trusted reverse proxy reports) has a request allowance (`bot.web.limits`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.common.i18n import LANGUAGES, Language
from bot.public.presentation import PublicPresenter
from bot.public.rules import SLUG
from bot.public.use_cases import PublicPages
from bot.web.cache import Render, RenderedCache, conditional
from bot.web.limits import RequestLimit, request_limit
from bot.web.public_feeds import feed_routes
from bot.web.server import Site

if TYPE_CHECKING:
    from bot.composition import Services

MAX_AGE_S = 30
HTML = "text/html; charset=utf-8"
# A page a minute at most in a proxy or browser; a refusal to one client is never kept for another.
_CACHE_CONTROL = {200: f"public, max-age={MAX_AGE_S}", 429: "no-store"}
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
    serve_public(
        site,
        services.public_pages,
        PublicPresenter(services.catalogue, settings.zone),
        settings.default_language,
        cache=RenderedCache(services.clock.now),
        limit=RequestLimit(settings.web_rate_per_s, settings.web_burst),
        trusted_proxies=settings.web_trusted_proxies,
    )
    return site


def serve_public(
    site: Site,
    pages: PublicPages,
    presenter: PublicPresenter,
    default: Language,
    *,
    cache: RenderedCache,
    limit: RequestLimit | None,
    trusted_proxies: frozenset[str] = frozenset(),
) -> None:
    """The public routes on `site`, behind the request limit (None: no limit, as for a bench behind its proxy)."""
    if limit is not None:

        def refuse(request: web.Request, seconds: int) -> web.Response:
            language = choose_language(request, default)
            return _page(presenter.too_many(language), status=429, language=language)

        site.add_middleware(request_limit(limit, trusted_proxies, refuse))
    site.add_routes("public", public_routes(pages, presenter, default, cache=cache))


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


def _headers(language: Language, *, status: int = 200) -> dict[str, str]:
    return {
        **SECURITY_HEADERS,
        "Content-Language": language,
        "Vary": "Accept-Language",
        "Cache-Control": _CACHE_CONTROL.get(status, "public, max-age=10"),
    }


def _page(body: str, *, status: int, language: Language) -> web.Response:
    """An answer that is not a kept page (404, 429): never validated, briefly cached."""
    headers = _headers(language, status=status)
    return web.Response(body=body.encode("utf-8"), status=status, headers={**headers, "Content-Type": HTML})


async def serve_kept(
    request: web.Request,
    pages: PublicPages,
    cache: RenderedCache,
    *,
    slug: str,
    key: Hashable,
    language: Language,
    render: Render,
    not_found: web.Response,
) -> web.Response:
    """Any route of a server's public address: the body kept for (`slug`, `key`) while the server's version holds,
    else `render()` once; `not_found` when the page is off or `render` finds nothing public."""
    version = await pages.version(slug) if SLUG.fullmatch(slug) else None
    if version is None:
        return not_found
    rendered = await cache.get((slug, key), version, render)
    if rendered is None:
        return not_found
    return conditional(request, rendered, _headers(language))


def public_routes(
    pages: PublicPages, presenter: PublicPresenter, default: Language, *, cache: RenderedCache
) -> list[web.RouteDef]:
    def not_found(language: Language) -> web.Response:
        return _page(presenter.not_found(language), status=404, language=language)

    async def serve(
        request: web.Request, *, slug: str, key: Hashable, language: Language, render: Render
    ) -> web.Response:
        """The response path of every route but the last: kept as any page (`serve_kept`)."""
        return await serve_kept(
            request,
            pages,
            cache,
            slug=slug,
            key=key,
            language=language,
            render=render,
            not_found=not_found(language),
        )

    async def incident_page(request: web.Request) -> web.Response:
        language = choose_language(request, default)
        slug, number = request.match_info["slug"], request.match_info["number"]
        if not (number.isascii() and number.isdigit() and len(number) <= 9):
            return not_found(language)

        async def render() -> tuple[bytes, str] | None:
            view = await pages.incident_page(slug, int(number))
            if view is None:
                return None
            body = presenter.incident_page(
                language, slug=view.page.slug, server_name=view.server_name, incident=view.incident, now=view.now
            )
            return body.encode("utf-8"), HTML

        key = ("incident", int(number), language)
        return await serve(request, slug=slug, key=key, language=language, render=render)

    async def anything_else(request: web.Request) -> web.Response:
        return not_found(choose_language(request, default))

    # aiohttp answers HEAD on every GET route (allow_head), with the GET's headers and no body.
    return [
        web.get("/{slug}/incidents/{number}", incident_page),
        *feed_routes(pages, presenter, default, serve=serve, not_found=not_found, choose=choose_language),
        web.get("/{tail:.*}", anything_else),
    ]
