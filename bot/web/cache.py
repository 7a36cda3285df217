"""Public pages rendered once per change: each body is kept in memory under its key (the server, the page, the
language) with the server's version it was rendered at (`public_pages.version`, moved by triggers in the very
transaction of any change to what the server's pages show; see migrations). A request reads that version (one
indexed row) and is served the kept body while the version is the same and the body younger than `fresh_for`
(times and durations on a page move with the clock) and, when its render said until when it holds (a planned
maintenance's start or end: what it is shown as changes then with no write), not past that; otherwise the body is
rendered again, once, however many requests wait for it.

Every route of the public address (pages, feeds, API) goes through `RenderedCache.get` with its own render
callable, and the answer through `conditional`, which gives `ETag` and `Last-Modified` and answers 304."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

log = logging.getLogger(__name__)

# A body is rendered again at least this often, for its times ("updated at", durations of open incidents).
FRESH_FOR = timedelta(seconds=15)
MAX_ENTRIES = 4096

# (body, content type), or (body, content type, until: the moment it stops being true by the clock alone, or None),
# or None for "not found".
Body = tuple[bytes, str] | tuple[bytes, str, datetime | None]
Render = Callable[[], Awaitable[Body | None]]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime  # whole seconds, UTC
    version: int
    rendered_at: datetime
    gzipped: bytes | None = None  # the body compressed once, for clients that accept gzip (kept pages only)
    until: datetime | None = None  # never served from `until` on: rendered again first

    def holds(self, version: int, now: datetime) -> bool:
        return self.version >= version and (self.until is None or now < self.until)


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
        self._rendering: dict[Hashable, tuple[int, asyncio.Future[Rendered | None]]] = {}  # key: (version, …)
        self._wanted: dict[Hashable, int] = {}  # key: the newest version asked for while an older one renders

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, version: int, render: Render) -> Rendered | None:
        """The body for `key` as of `version` or later (`version` read before calling, so a body rendered after it
        is never older). A kept body of that version only older than `fresh_for` is served while its next
        rendering is made in the background: only a change of version makes a request wait.

        One rendering of a key at a time: a request needing a newer version than the one under way waits for its
        end, then one rendering serves every request that waited (labelled with the newest version they read),
        so a burst of changes costs one rendering after another, never one per change at once."""
        if not self._enabled:
            return await self._render(key, version, render)
        stale_renderings = 0
        while True:
            kept = self._entries.get(key)
            if kept is not None and kept.holds(version, self._clock()):
                self._entries.move_to_end(key)
                if self._clock() - kept.rendered_at >= self._fresh_for:
                    self._rendering_of(key, version, render)
                return kept
            under_way = self._rendering.get(key)
            if under_way is None or under_way[0] >= version:
                # A client that goes away does not cancel the rendering the others wait for.
                rendered = await asyncio.shield(self._rendering_of(key, version, render))
                if rendered is None or rendered.holds(version, self._clock()) or stale_renderings:
                    return rendered
                # Begun before its `until` (in the background), ended after it: once more, from now.
                stale_renderings += 1
                continue
            self._wanted[key] = max(self._wanted.get(key, version), version)
            await asyncio.wait([under_way[1]])

    def _rendering_of(self, key: Hashable, version: int, render: Render) -> asyncio.Future[Rendered | None]:
        """The rendering of `key` under way, or a new one, of the newest version asked for."""
        under_way = self._rendering.get(key)
        if under_way is not None:
            return under_way[1]
        version = max(version, self._wanted.pop(key, version))
        pending = asyncio.ensure_future(self._render(key, version, render))
        self._rendering[key] = (version, pending)
        pending.add_done_callback(lambda done: self._finished(key, done))
        return pending

    def pending(self) -> list[asyncio.Future[Rendered | None]]:
        """The renderings under way (tests wait for those made in the background)."""
        return [pending for _, pending in self._rendering.values()]

    def _finished(self, key: Hashable, done: asyncio.Future[Rendered | None]) -> None:
        if self._rendering.get(key, (0, None))[1] is done:
            del self._rendering[key]
        if not done.cancelled() and done.exception() is not None:  # retrieved: the waiters may all have gone
            log.error("rendering %r failed", key, exc_info=done.exception())

    async def _render(self, key: Hashable, version: int, render: Render) -> Rendered | None:
        rendered = await render()
        if rendered is None:
            self._entries.pop(key, None)
            return None
        body, content_type = rendered[0], rendered[1]
        until = rendered[2] if len(rendered) == 3 else None
        now = self._clock()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = now.replace(microsecond=0)
        previous = self._entries.get(key)
        if previous is not None:
            # The same body keeps its date; a different one is always dated later than the one it replaces,
            # so that a cache holding the old one (If-Modified-Since) never hears "not modified".
            same = previous.etag == etag
            modified = previous.last_modified if same else max(modified, previous.last_modified + timedelta(seconds=1))
        if not self._enabled:
            return Rendered(body, content_type, etag, modified, version, now, until=until)
        # Compressed once here, off the event loop (zlib lets other work run meanwhile).
        gzipped = await asyncio.to_thread(gzip.compress, body, 6)
        entry = Rendered(body, content_type, etag, modified, version, now, gzipped, until)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return entry


def _gzip_tag(etag: str) -> str:
    """The compressed body's own tag (a strong ETag names one sequence of bytes)."""
    return etag[:-1] + '-gzip"'


def accepts_gzip(request: web.Request) -> bool:
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def not_modified(request: web.Request, rendered: Rendered) -> bool:
    """RFC 9110's order: If-None-Match when sent (either encoding's tag: the same page), else If-Modified-Since
    (GET and HEAD only)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if "If-None-Match" in request.headers:
        tags = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
        return bool(tags & {rendered.etag, _gzip_tag(rendered.etag), "*"})
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return rendered.last_modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def conditional(request: web.Request, rendered: Rendered, headers: dict[str, str]) -> web.Response:
    """200 with the body (compressed when kept so and the client accepts gzip), or 304 without it when the
    client's copy is this one; validators on both."""
    gzipped = rendered.gzipped if rendered.gzipped is not None and accepts_gzip(request) else None
    headers = {
        **headers,
        "Vary": ", ".join(filter(None, (headers.get("Vary"), "Accept-Encoding"))),
        "ETag": _gzip_tag(rendered.etag) if gzipped is not None else rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
    }
    if not_modified(request, rendered):
        return web.Response(status=304, headers=headers)
    if gzipped is not None:
        headers["Content-Encoding"] = "gzip"
    body = gzipped if gzipped is not None else rendered.body
    return web.Response(body=body, headers={**headers, "Content-Type": rendered.content_type})
