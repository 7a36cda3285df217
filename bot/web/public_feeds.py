"""What the public address serves beside its incidents' pages (`bot.web.public`): the server's page (`/<name>`),
one sector's (`/<name>/sectors/<key>`) and one territory's (`/<name>/territories/<ref>`), which are the same page
for a narrower scope, the Atom feeds of the three (`…/feed.atom`), and the read-only JSON API
(`/<name>/api/v1/summary`, `…/incidents?page=`, `…/incidents/<n>`).

Each route checks what it was given, then hands `serve` a key naming what it shows and a `render` callable that
reads and renders it (None when nothing public is there): `serve` is the public address's one response path
(`bot.web.public.serve_kept`: rendered once per change of the server's version and kept, ETag/Last-Modified and
304, gzip, security headers, the one 404), so these answers are served exactly as the pages are."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.common.i18n import Language
from bot.public.presentation import api
from bot.public.presentation.feeds import FeedWriter
from bot.public.presentation.pages import PublicPresenter, territory_name
from bot.public.rules import SERVER, Scope, sector_scope, territory_scope
from bot.public.use_cases import MAX_PER_PAGE, PER_PAGE, PublicPages, ServerPage
from bot.web.cache import Body, Render

HTML_TYPE = "text/html; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

NotFound = Callable[[Language], web.Response]
Choose = Callable[[web.Request, Language], Language]


class Serve(Protocol):
    def __call__(
        self, request: web.Request, *, slug: str, key: Hashable, language: Language, render: Render
    ) -> Awaitable[web.Response]: ...


def _number(text: str, *, most: int) -> int | None:
    """A positive number typed in a path or query, or None (what a person would not type is malformed)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    value = int(text)
    return value if 1 <= value <= most else None


def _scope_of(request: web.Request) -> Scope | None:
    if "key" in request.match_info:
        return sector_scope(request.match_info["key"])
    if "ref" in request.match_info:
        return territory_scope(request.match_info["ref"])
    return SERVER


def _scope_name(view: ServerPage) -> str:
    if view.scope.kind == "sector":
        named = view.server.sectors.get(view.scope.key) if view.server is not None else None
        return named or next((i.sector for i in view.incidents), view.scope.key)
    return territory_name(view.scope.key) if view.scope.kind == "territory" else ""


def feed_routes(
    pages: PublicPages,
    presenter: PublicPresenter,
    default: Language,
    *,
    serve: Serve,
    not_found: NotFound,
    choose: Choose,
) -> list[web.RouteDef]:
    writer = FeedWriter(presenter.catalogue)

    async def scope_page(request: web.Request) -> web.Response:
        language, slug, scope = choose(request, default), request.match_info["slug"], _scope_of(request)
        if scope is None:
            return not_found(language)

        async def render() -> Body | None:
            view = await pages.server_page(slug, scope)
            if view is None:
                return None
            page = functools.partial(
                presenter.server_page,
                language,
                slug=view.page.slug,
                server_name=view.server_name,
                incidents=view.incidents,
                now=view.now,
                scope=view.scope,
                scope_name=_scope_name(view),
                maintenance=view.maintenance,
                past_maintenance=view.past_maintenance,
            )
            return (await asyncio.to_thread(page)).encode("utf-8"), HTML_TYPE, view.changes_at

        return await serve(request, slug=slug, key=("scope", scope, language), language=language, render=render)

    async def feed(request: web.Request) -> web.Response:
        language, slug, scope = choose(request, default), request.match_info["slug"], _scope_of(request)
        if scope is None:
            return not_found(language)

        async def render() -> tuple[bytes, str] | None:
            view = await pages.server_page(slug, scope, with_news=True)
            if view is None or view.server is None:
                return None
            server = view.server
            written = functools.partial(
                writer.feed,
                guild_id=server.page.guild_id,
                slug=server.page.slug,
                server_name=server.name,
                language=server.language,
                zone=ZoneInfo(server.time_zone),
                incidents=view.incidents,
                news=view.news,
                since=server.since,
                scope=view.scope,
                scope_name=_scope_name(view),
            )
            return await asyncio.to_thread(written), ATOM_TYPE

        return await serve(request, slug=slug, key=("feed", scope), language=language, render=render)

    async def summary(request: web.Request) -> web.Response:
        language, slug = choose(request, default), request.match_info["slug"]

        async def render() -> Body | None:
            view = await pages.server_page(slug)
            if view is None or view.server is None:
                return None
            body = api.summary(
                view.page.slug,
                view.server_name,
                view.server.language,
                view.incidents,
                maintenance=(*view.maintenance, *view.past_maintenance),
            )
            return body.encode("ascii"), JSON_TYPE, view.changes_at

        return await serve(request, slug=slug, key=("api", "summary"), language=language, render=render)

    async def incident_list(request: web.Request) -> web.Response:
        language, slug = choose(request, default), request.match_info["slug"]
        page = _number(request.query.get("page", "1"), most=10**6)
        per_page = _number(request.query.get("per_page", str(PER_PAGE)), most=MAX_PER_PAGE)
        if page is None or per_page is None:
            return not_found(language)

        async def render() -> tuple[bytes, str] | None:
            found = await pages.incident_list(slug, page=page, per_page=per_page)
            if found is None:
                return None
            server = found.server
            body = api.incident_list(
                server.page.slug,
                server.name,
                server.language,
                found.incidents,
                page=found.page,
                per_page=found.per_page,
                total=found.total,
            )
            return body.encode("ascii"), JSON_TYPE

        key = ("api", "incidents", page, per_page)
        return await serve(request, slug=slug, key=key, language=language, render=render)

    async def one_incident(request: web.Request) -> web.Response:
        language, slug = choose(request, default), request.match_info["slug"]
        number = _number(request.match_info["number"], most=10**9 - 1)
        if number is None:
            return not_found(language)

        async def render() -> tuple[bytes, str] | None:
            view = await pages.incident_page(slug, number)
            if view is None or view.server is None:
                return None
            body = api.incident_document(view.page.slug, view.server_name, view.server.language, view.incident)
            return body.encode("ascii"), JSON_TYPE

        return await serve(request, slug=slug, key=("api", "incident", number), language=language, render=render)

    return [
        web.get("/{slug}", scope_page),
        web.get("/{slug}/feed.atom", feed),
        web.get("/{slug}/sectors/{key}", scope_page),
        web.get("/{slug}/sectors/{key}/feed.atom", feed),
        web.get("/{slug}/territories/{ref}", scope_page),
        web.get("/{slug}/territories/{ref}/feed.atom", feed),
        web.get(f"/{{slug}}/{api.API}/summary", summary),
        web.get(f"/{{slug}}/{api.API}/incidents", incident_list),
        web.get(f"/{{slug}}/{api.API}/incidents/{{number}}", one_incident),
    ]
