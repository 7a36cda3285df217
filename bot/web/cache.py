"""Public pages rendered once per change: each body is kept in memory under its key (the server, the page, the
language) with the server's version it was rendered at (`public_pages.version`, moved by triggers in the very
transaction of any change to what the server's pages show; see migrations). A request reads that version (one
indexed row) and is served the kept body while the version is the same and the body younger than `fresh_for`
(times and durations on a page move with the clock); otherwise the body is rendered again, once, however many
requests wait for it.

Every route of the public address (pages, feeds, API) goes through `RenderedCache.get` with its own render
callable, and the answer through `conditional`, which gives `ETag` and `Last-Modified` and answers 304."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

# A body is rendered again at least this often, for its times ("updated at", durations of open incidents).
FRESH_FOR = timedelta(seconds=15)
MAX_ENTRIES = 4096

Render = Callable[[], Awaitable[tuple[bytes, str] | None]]  # (body, content type) or None for "not found"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime  # whole seconds, UTC
    version: int
    rendered_at: datetime


class RenderedCache:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        fresh_for: timedelta = FRESH_FOR,
        max_entries: int = MAX_ENTRIES,
        enabled: bool = True,
    ) -> None:
        """`enabled=False` renders on every request (the bench's comparison), with the same headers."""
        self._clock = clock
        self._fresh_for = fresh_for
        self._max_entries = max_entries
        self._enabled = enabled
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._rendering: dict[tuple[Hashable, int], asyncio.Future[Rendered | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, version: int, render: Render) -> Rendered | None:
        """The body for `key` as of `version` (read before calling, so the body is never older than it)."""
        kept = self._entries.get(key)
        if kept is not None and kept.version == version and self._clock() - kept.rendered_at < self._fresh_for:
            self._entries.move_to_end(key)
            return kept
        if not self._enabled:
            return await self._render(key, version, render)
        pending = self._rendering.get((key, version))
        if pending is None:
            pending = asyncio.ensure_future(self._render(key, version, render))
            self._rendering[(key, version)] = pending
            pending.add_done_callback(lambda done: self._finished(key, version, done))
        # A client that goes away does not cancel the rendering the others wait for.
        return await asyncio.shield(pending)

    def _finished(self, key: Hashable, version: int, done: asyncio.Future[Rendered | None]) -> None:
        self._rendering.pop((key, version), None)
        if not done.cancelled():
            done.exception()  # retrieved here too: the waiters may all have gone

    async def _render(self, key: Hashable, version: int, render: Render) -> Rendered | None:
        rendered = await render()
        if rendered is None:
            self._entries.pop(key, None)
            return None
        body, content_type = rendered
        now = self._clock()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = now.replace(microsecond=0)
        previous = self._entries.get(key)
        if previous is not None:
            # The same body keeps its date; a different one is always dated later than the one it replaces,
            # so that a cache holding the old one (If-Modified-Since) never hears "not modified".
            same = previous.etag == etag
            modified = previous.last_modified if same else max(modified, previous.last_modified + timedelta(seconds=1))
        entry = Rendered(body, content_type, etag, modified, version, now)
        if self._enabled:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return entry


def not_modified(request: web.Request, rendered: Rendered) -> bool:
    """RFC 9110's order: If-None-Match when sent, else If-Modified-Since (GET and HEAD only)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if "If-None-Match" in request.headers:
        tags = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
        return rendered.etag in tags or "*" in tags
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return rendered.last_modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def conditional(request: web.Request, rendered: Rendered, headers: dict[str, str]) -> web.Response:
    """200 with the body, or 304 without it when the client's copy is this one; validators on both."""
    headers = {**headers, "ETag": rendered.etag, "Last-Modified": format_datetime(rendered.last_modified, usegmt=True)}
    if not_modified(request, rendered):
        return web.Response(status=304, headers=headers)
    return web.Response(body=rendered.body, headers={**headers, "Content-Type": rendered.content_type})
