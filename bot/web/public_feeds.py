"""What the public address serves beside the server's page and its incidents' (`bot.web.public`): the page of one
sector (`/<name>/sectors/<key>`) and of one territory (`/<name>/territories/<ref>`), the Atom feeds of the three
(`…/feed.atom`), and the read-only JSON API (`/<name>/api/v1/summary`, `…/incidents?page=`, `…/incidents/<n>`).

Every answer goes through the public address's one response path (`answer`: ETag and 304, caching, security
headers), and whatever is not public, not there or malformed gets its one 404 (`not_found`)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.common.i18n import Language
from bot.public.presentation import api
from bot.public.presentation.feeds import FeedWriter
from bot.public.presentation.pages import PublicPresenter, territory_name
from bot.public.rules import SERVER, SLUG, Scope, sector_scope, territory_scope
from bot.public.use_cases import MAX_PER_PAGE, PER_PAGE, PublicPages, ServerPage

ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/json"

Answer = Callable[..., web.Response]
NotFound = Callable[[web.Request, Language], web.Response]
Choose = Callable[[web.Request, Language], Language]


def _number(text: str, *, most: int) -> int | None:
    """A positive number typed in a path or query, or None (what a person would not type is malformed)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    value = int(text)
    return value if 1 <= value <= most else None


def feed_routes(
    pages: PublicPages,
    presenter: PublicPresenter,
    default: Language,
    *,
    answer: Answer,
    not_found: NotFound,
    choose: Choose,
) -> list[web.RouteDef]:
    writer = FeedWriter(presenter.catalogue)

    def scope_of(request: web.Request) -> Scope | None:
        if "key" in request.match_info:
            return sector_scope(request.match_info["key"])
        if "ref" in request.match_info:
            return territory_scope(request.match_info["ref"])
        return SERVER

    async def read(request: web.Request) -> ServerPage | None:
        slug, scope = request.match_info["slug"], scope_of(request)
        if scope is None or SLUG.fullmatch(slug) is None:
            return None
        return await pages.server_page(slug, scope)

    def scope_name(view: ServerPage) -> str:
        if view.scope.kind == "sector":
            named = view.server.sectors.get(view.scope.key) if view.server is not None else None
            return named or next((i.sector for i in view.incidents), view.scope.key)
        return territory_name(view.scope.key) if view.scope.kind == "territory" else ""

    async def scope_page(request: web.Request) -> web.Response:
        language = choose(request, default)
        view = await read(request)
        if view is None:
            return not_found(request, language)
        body = presenter.server_page(
            language,
            slug=view.page.slug,
            server_name=view.server_name,
            incidents=view.incidents,
            now=view.now,
            scope=view.scope,
            scope_name=scope_name(view),
        )
        return answer(request, body, language=language)

    async def feed(request: web.Request) -> web.Response:
        view = await read(request)
        if view is None or view.server is None:
            return not_found(request, choose(request, default))
        server = view.server
        body = writer.feed(
            guild_id=server.page.guild_id,
            slug=server.page.slug,
            server_name=server.name,
            language=server.language,
            zone=ZoneInfo(server.time_zone),
            incidents=view.incidents,
            since=server.since,
            scope=view.scope,
            scope_name=scope_name(view),
        )
        return answer(request, body.decode("utf-8"), language=server.language, content_type=ATOM_TYPE)

    async def summary(request: web.Request) -> web.Response:
        view = await read(request)
        if view is None or view.server is None:
            return not_found(request, choose(request, default))
        body = api.summary(view.page.slug, view.server_name, view.server.language, view.incidents)
        return answer(request, body, language=view.server.language, content_type=JSON_TYPE)

    async def incident_list(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        page = _number(request.query.get("page", "1"), most=10**6)
        per_page = _number(request.query.get("per_page", str(PER_PAGE)), most=MAX_PER_PAGE)
        found = None
        if SLUG.fullmatch(slug) and page is not None and per_page is not None:
            found = await pages.incident_list(slug, page=page, per_page=per_page)
        if found is None:
            return not_found(request, choose(request, default))
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
        return answer(request, body, language=server.language, content_type=JSON_TYPE)

    async def one_incident(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        number = _number(request.match_info["number"], most=10**9 - 1)
        view = await pages.incident_page(slug, number) if SLUG.fullmatch(slug) and number is not None else None
        if view is None or view.server is None:
            return not_found(request, choose(request, default))
        body = api.incident_document(view.page.slug, view.server_name, view.server.language, view.incident)
        return answer(request, body, language=view.server.language, content_type=JSON_TYPE)

    return [
        web.get("/{slug}/feed.atom", feed),
        web.get("/{slug}/sectors/{key}", scope_page),
        web.get("/{slug}/sectors/{key}/feed.atom", feed),
        web.get("/{slug}/territories/{ref}", scope_page),
        web.get("/{slug}/territories/{ref}/feed.atom", feed),
        web.get(f"/{{slug}}/{api.API}/summary", summary),
        web.get(f"/{{slug}}/{api.API}/incidents", incident_list),
        web.get(f"/{{slug}}/{api.API}/incidents/{{number}}", one_incident),
    ]
