"""The public page's use cases: an admin sets the server's page, a coordinator makes an incident public or not (each
one short unit of work, audited), and the web side reads what a page shows (one read transaction, through the
rules, so nothing reaches a page that `bot.public.rules` did not let through)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.incidents import store as incidents_store
from bot.public import store
from bot.public.rules import HISTORY, PublicIncident, PublicPage, check_slug, public_incident, shown_on_page
from bot.storage import audit
from bot.storage.store import Store
from bot.timers.clock import Clock

# Pages whose version is remembered between commits (only pages that exist are: a forged name is read each time).
KNOWN_PAGES = 1024


@dataclass(frozen=True)
class ServerPage:
    page: PublicPage
    server_name: str
    incidents: tuple[PublicIncident, ...]
    now: datetime


@dataclass(frozen=True)
class IncidentPage:
    page: PublicPage
    server_name: str
    incident: PublicIncident
    now: datetime


class PublicPages:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
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
        """Makes the server's incident `number` public or private (the caller checked the coordinator role)."""
        now = self._clock.now()
        async with self._store.unit_of_work() as conn:
            stored = await incidents_store.get(conn, actor.guild_id, number)
            if stored is None:
                raise TocsinError("public.error.no_incident", number=number)
            await store.set_public(conn, stored.id, public, at=now, by=actor.user_id)
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

    async def server_page(self, slug: str) -> ServerPage | None:
        """The server's page at `slug`, or None when there is none or it is turned off."""
        now = self._clock.now()
        async with self._store.reading() as conn:
            found = await store.page_by_slug(conn, slug)
            if found is None or not found[0].enabled:
                return None
            page, name = found
            ids = await store.public_incident_ids(conn, page.guild_id, resolved_since=now - HISTORY)
            incidents = await incidents_store.get_many(conn, ids)
            timelines = await incidents_store.timelines(conn, ids)

        def shown() -> tuple[PublicIncident, ...]:
            views = (
                public_incident(incidents[i].incident, timelines.get(i, ()), public=True, now=now)
                for i in ids
                if i in incidents
            )
            return shown_on_page((view for view in views if view is not None), now=now)

        # Hundreds of incidents take a while: in a thread, so that the event loop (Discord's work) goes on.
        return ServerPage(page, name, await asyncio.to_thread(shown), now)

    async def incident_page(self, slug: str, number: int) -> IncidentPage | None:
        """One public incident of the page at `slug`; None alike for a private, another server's or no incident."""
        now = self._clock.now()
        async with self._store.reading() as conn:
            found = await store.page_by_slug(conn, slug)
            if found is None or not found[0].enabled:
                return None
            page, name = found
            incident_id = await store.public_incident_id(conn, page.guild_id, number)
            if incident_id is None:
                return None
            stored = await incidents_store.get_by_id(conn, incident_id)
            if stored is None:
                return None
            entries = await incidents_store.timeline(conn, incident_id)
        view = public_incident(stored.incident, entries, public=True, now=now)
        return IncidentPage(page, name, view, now) if view is not None else None
