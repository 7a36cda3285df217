"""The public page's use cases: an admin sets the server's page, a coordinator makes an incident public or not (each
one short unit of work, audited), and the web side reads what a page shows (one read transaction, through the
rules, so nothing reaches a page that `bot.public.rules` did not let through)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.common.i18n import Language, language_of
from bot.common.text import name_key
from bot.incidents import store as incidents_store
from bot.maintenance import store as maintenance_store
from bot.public import store
from bot.public.rules import (
    HISTORY,
    MAINTENANCE_AHEAD,
    SERVER,
    PublicIncident,
    PublicMaintenance,
    PublicMaintenanceNews,
    PublicPage,
    Scope,
    check_slug,
    in_scope,
    maintenance_changes_at,
    maintenance_news,
    maintenance_on_page,
    overlapping_refs,
    public_incident,
    public_maintenance,
    shown_on_page,
)
from bot.settings import store as settings_store
from bot.settings.rules.config import ServerDefaults
from bot.storage import audit
from bot.storage.store import Store
from bot.timers.clock import Clock
from bot.webhooks import use_cases as webhooks

# The API's pages of incidents: this many by default, at most `MAX_PER_PAGE`.
PER_PAGE = 50
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Server:
    """A public page's server as its readers know it: its page, its name, the language and time zone it chose
    (what feeds are written in) and its sectors' names."""

    page: PublicPage
    name: str
    language: Language
    time_zone: str
    sectors: dict[str, str]
    since: datetime  # when the page was last set: a feed's `updated` while it has no entry


# Pages whose version is remembered between commits (only pages that exist are: a forged name is read each time).
KNOWN_PAGES = 1024


@dataclass(frozen=True)
class ServerPage:
    """What a page (the server's, a sector's or a territory's) lists: open incidents, then the last 90 days; public
    maintenance in progress or coming (`maintenance`) and ended in the last 90 days (`past_maintenance`)."""

    page: PublicPage
    server_name: str
    incidents: tuple[PublicIncident, ...]
    now: datetime
    server: Server | None = None
    scope: Scope = SERVER
    maintenance: tuple[PublicMaintenance, ...] = ()
    past_maintenance: tuple[PublicMaintenance, ...] = ()
    changes_at: datetime | None = None  # the next start or end of what it lists: kept no longer (bot/web/cache.py)
    news: tuple[PublicMaintenanceNews, ...] = ()  # its feed's maintenance messages (`with_news` only)


@dataclass(frozen=True)
class IncidentPage:
    page: PublicPage
    server_name: str
    incident: PublicIncident
    now: datetime
    server: Server | None = None


@dataclass(frozen=True)
class IncidentList:
    """One page of the API's list of all the server's public incidents, newest number first."""

    server: Server
    incidents: tuple[PublicIncident, ...]
    page: int
    per_page: int
    total: int
    now: datetime


class PublicPages:
    def __init__(self, store: Store, clock: Clock, defaults: ServerDefaults | None = None) -> None:
        self._store = store
        self._clock = clock
        self._defaults = defaults or ServerDefaults()
        self._versions: dict[str, tuple[int, int]] = {}  # slug: (Store.commits when read, version)

    # --- what the admins and coordinators set ---------------------------------------------------------------

    async def configure(
        self,
        actor: Actor,
        *,
        server_name: str,
        enabled: bool | None = None,
        slug: str | None = None,
        default_public: bool | None = None,
    ) -> PublicPage:
        """Turns the page on or off, names its address, sets new incidents' visibility; unchanged when None.
        A first page needs its short name."""
        now = self._clock.now()
        async with self._store.unit_of_work() as conn:
            found = await store.page_of(conn, actor.guild_id)
            if found is None and slug is None:
                raise TocsinError("public.error.slug_needed")
            current = found[0] if found is not None else PublicPage(actor.guild_id, "", False, False)
            chosen = check_slug(slug) if slug is not None else current.slug
            if await store.slug_taken(conn, chosen, by_other_than=actor.guild_id):
                raise TocsinError("public.error.slug_taken", slug=chosen)
            page = PublicPage(
                guild_id=actor.guild_id,
                slug=chosen,
                enabled=current.enabled if enabled is None else enabled,
                default_public=current.default_public if default_public is None else default_public,
            )
            await store.save_page(conn, page, name=server_name, at=now, by=actor.user_id)
            arguments = {"slug": page.slug, "enabled": page.enabled, "default_public": page.default_public}
            await audit.record_by(conn, actor, "public-page", arguments, "ok", now)
        return page

    async def set_visibility(self, actor: Actor, number: int, public: bool) -> None:
        """Makes the server's incident `number` public or private (the caller checked the coordinator role), and
        tells the webhooks in the same unit of work (bot/webhooks/use_cases.py `plan_visibility`)."""
        now = self._clock.now()
        async with self._store.unit_of_work() as conn:
            stored = await incidents_store.get(conn, actor.guild_id, number)
            if stored is None:
                raise TocsinError("public.error.no_incident", number=number)
            was = await store.is_public(conn, stored.id)
            await store.set_public(conn, stored.id, public, at=now, by=actor.user_id)
            await webhooks.plan_visibility(conn, stored.id, stored.incident, was=was, public=public, now=now)
            await audit.record_by(conn, actor, "incident public", {"number": number, "public": public}, "ok", now)

    async def page_of(self, guild_id: int) -> PublicPage | None:
        async with self._store.reading() as conn:
            found = await store.page_of(conn, guild_id)
        return found[0] if found is not None else None

    # --- what the web side reads ------------------------------------------------------------------------------

    async def version(self, slug: str) -> int | None:
        """The version of the page at `slug`, which moves in the transaction of any change to what its pages show;
        None when there is none or it is turned off. Read before a page, a page kept at that version is current.
        Read again only once this process has committed something since (`Store.commits`): between two commits
        nothing can have moved it, and a page under load costs no trip to the database."""
        commits = self._store.commits
        known = self._versions.get(slug)
        if known is not None and known[0] == commits:
            return known[1]
        async with self._store.one_statement() as conn:
            version = await store.page_version(conn, slug)
        if version is None:
            self._versions.pop(slug, None)
        else:
            if len(self._versions) >= KNOWN_PAGES:
                self._versions.clear()
            self._versions[slug] = (commits, version)
        return version

    async def server_page(self, slug: str, scope: Scope = SERVER, *, with_news: bool = False) -> ServerPage | None:
        """The page at `slug` (the whole server's, or one sector's or territory's), or None when there is none, it
        is turned off, or no public incident was ever of that sector (a sector's name is not told otherwise). With
        `with_news`, for its feed, the public maintenance messages of the last 90 days too."""
        now = self._clock.now()
        async with self._store.reading() as conn:
            server = await self._server(conn, slug)
            if server is None:
                return None
            guild_id = server.page.guild_id
            sectors: list[str] | None = None
            if scope.kind == "sector":
                # Incidents carry their sector as the server wrote it: each spelling that is this key.
                sectors = [name for name in await store.public_sectors(conn, guild_id) if name_key(name) == scope.key]
                if not sectors:
                    return None
            ids = await store.public_incident_ids(
                conn,
                guild_id,
                resolved_since=now - HISTORY,
                sectors=sectors,
                territories=overlapping_refs(scope) if scope.kind == "territory" else (),
            )
            shown = [view for view in await self._public(conn, server, ids, now) if in_scope(view, scope)]
            coming, past = await self._maintenance(conn, guild_id, scope, now)
            news: tuple[PublicMaintenanceNews, ...] = ()
            if with_news:
                told = await maintenance_store.public_messages(conn, guild_id, since=now - HISTORY)
                news = tuple(n for m, messages in told for n in maintenance_news(m, messages) if in_scope(n, scope))
        listed = shown_on_page(shown, now=now)
        changes_at = maintenance_changes_at(coming, now=now)
        return ServerPage(server.page, server.name, listed, now, server, scope, coming, past, changes_at, news)

    async def incident_page(self, slug: str, number: int) -> IncidentPage | None:
        """One public incident of the page at `slug`; None alike for a private, another server's or no incident."""
        now = self._clock.now()
        async with self._store.reading() as conn:
            server = await self._server(conn, slug)
            if server is None:
                return None
            incident_id = await store.public_incident_id(conn, server.page.guild_id, number)
            if incident_id is None:
                return None
            shown = await self._public(conn, server, [incident_id], now)
        return IncidentPage(server.page, server.name, shown[0], now, server) if shown else None

    async def incident_list(self, slug: str, *, page: int, per_page: int = PER_PAGE) -> IncidentList | None:
        """The API's `page` (from 1) of every public incident of the page at `slug`, not only the last 90 days."""
        now = self._clock.now()
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        async with self._store.reading() as conn:
            server = await self._server(conn, slug)
            if server is None:
                return None
            ids, total = await store.public_incident_numbers(
                conn, server.page.guild_id, limit=per_page, offset=(page - 1) * per_page
            )
            shown = await self._public(conn, server, ids, now)
        return IncidentList(server, tuple(shown), page, per_page, total, now)

    async def _server(self, conn: aiosqlite.Connection, slug: str) -> Server | None:
        found = await store.page_by_slug(conn, slug)
        if found is None or not found[0].enabled:
            return None
        page, name = found
        config = await settings_store.stored_config(conn, page.guild_id)
        language = config.language if config is not None else self._defaults.language
        zone = config.time_zone if config is not None else self._defaults.time_zone
        sectors = await settings_store.sectors(conn, page.guild_id)
        since = await store.page_set_at(conn, page.guild_id) or datetime.fromtimestamp(0, UTC)
        return Server(page, name, language_of(language, fallback="fr"), zone, sectors, since)

    @staticmethod
    async def _maintenance(
        conn: aiosqlite.Connection, guild_id: int, scope: Scope, now: datetime
    ) -> tuple[tuple[PublicMaintenance, ...], tuple[PublicMaintenance, ...]]:
        """The server's public maintenance a page lists (`scope`'s only), through the rules: a read of its own."""
        found = await maintenance_store.between(
            conn, guild_id, now - HISTORY, now + MAINTENANCE_AHEAD, public_only=True
        )
        views = (public_maintenance(stored.maintenance, now=now) for stored in found)
        return maintenance_on_page((v for v in views if v is not None and in_scope(v, scope)), now=now)

    async def _public(
        self, conn: aiosqlite.Connection, server: Server, ids: list[int], now: datetime
    ) -> list[PublicIncident]:
        """The incidents `ids` through the rules, in that order (those the rules hold back left out): read by the
        batch (`get_many`, `timelines`), the one place pages, feeds and the API read incidents."""
        incidents = await incidents_store.get_many(conn, ids)
        timelines = await incidents_store.timelines(conn, ids)

        def shown() -> list[PublicIncident]:
            views = (
                public_incident(incidents[i].incident, timelines.get(i, ()), public=True, now=now)
                for i in ids
                if i in incidents and incidents[i].incident.guild_id == server.page.guild_id
            )
            return [view for view in views if view is not None]

        # Hundreds of incidents take a while: in a thread, so that the event loop (Discord's work) goes on.
        return await asyncio.to_thread(shown) if len(ids) > 20 else shown()
