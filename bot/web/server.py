"""One HTTP address served inside the bot's process: a `Site` holds the routes each feature adds under its own name,
and serves them from when the bot starts until it stops.

It shares the bot's event loop, so its handlers only read (or write one short unit of work) and never wait on
Discord. It never stops the bot: an address that cannot be taken (in use, not this machine's) is logged and the
bot goes on without it. Each site is its own aiohttp application on its own address, so what one site serves is
never reachable on another's (health and metrics stay on the loopback address while a public page has its own).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

# How long a stop waits for the requests being answered.
SHUTDOWN_S = 2.0


class Site:
    def __init__(self, name: str, listen: tuple[str, int] | None) -> None:
        """`listen` is (host, port), or None for a site turned off; port 0 takes a free one (tests)."""
        self.name = name
        self.listen = listen
        self._routes: dict[str, list[web.AbstractRouteDef]] = {}
        self._middlewares: list[Middleware] = []
        self._runner: web.AppRunner | None = None

    def add_routes(self, feature: str, routes: Iterable[web.AbstractRouteDef]) -> None:
        if self._runner is not None:
            raise RuntimeError(f"the {self.name} site is already serving: routes are added before it starts")
        if feature in self._routes:
            raise ValueError(f"{feature} already has its routes on the {self.name} site")
        self._routes[feature] = list(routes)

    def add_middleware(self, middleware: Middleware) -> None:
        """Runs before every route of the site (the public address's request limit), in the order added."""
        if self._runner is not None:
            raise RuntimeError(f"the {self.name} site is already serving: middlewares are added before it starts")
        self._middlewares.append(middleware)

    @property
    def serving(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int | None:
        """The port served, once started (the one the system chose when asked for port 0)."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    async def start(self) -> bool:
        """Serves the routes; False (and a line in the log) when turned off or the address cannot be taken."""
        if self.listen is None or self._runner is not None:
            return self._runner is not None
        app = web.Application(middlewares=self._middlewares)
        for routes in self._routes.values():
            app.add_routes(routes)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_S)
        await runner.setup()
        host, port = self.listen
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error("cannot serve the %s site on %s:%d (%s); the bot goes on without it", self.name, host, port, exc)
            return False
        self._runner = runner
        log.info("serving the %s site on http://%s:%d/", self.name, host, self.port)
        return True

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
