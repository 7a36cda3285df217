"""The operators' address (TOCSIN_HEALTH_ADDRESS, the loopback interface by default): `/healthz` (the process
answers), `/readyz` (200 when ready, 503 otherwise, with what each check found, in the bot's default language) and
`/metrics` (Prometheus' text format). The HTTP side of the operations feature, as its cog is the Discord side."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import __version__
from bot.operations.use_cases.health import HealthChecks
from bot.web.server import Site

if TYPE_CHECKING:
    from bot.composition import Services


def gateway_connected(client: discord.Client) -> bool:
    """Connected to the gateway and past READY: discord.py keeps `is_ready` through a reconnection, so the socket
    itself is looked at too."""
    socket = client.ws
    return client.is_ready() and not client.is_closed() and socket is not None and socket.open


def health_site(client: discord.Client, services: Services) -> Site:
    settings = services.settings
    checks = HealthChecks(
        services.store,
        services.clock,
        services.timers,
        gateway_connected=functools.partial(gateway_connected, client),
        outbox_max_age=timedelta(seconds=settings.ready_outbox_age_s),
    )
    site = Site("health", settings.health_listen)
    site.add_routes("operations", health_routes(checks, services))
    return site


def health_routes(checks: HealthChecks, services: Services) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True, "version": __version__})

    async def readyz(request: web.Request) -> web.Response:
        readiness = await checks.readiness()
        body = readiness.as_json(services.catalogue, services.settings.default_language)
        return web.json_response(body, status=200 if readiness.ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        backups = services.timers.backups
        body = await services.metrics.render(
            services.store,
            now=services.clock.now(),
            last_backup_at=backups.last_taken_at if backups is not None else None,
        )
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]
