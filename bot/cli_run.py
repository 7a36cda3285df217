"""`python -m bot run` and `sync-commands`: the bot's start and stop, and every way a start can fail, each told in
one sentence with an exit status a service manager can act on (`bot/terminal.py`).

The order of a start: the lock on the database (one bot per database), the clock, the database brought to the
current schema (`bot/storage/preparing.py`: nothing half-made, a backup before migrating), the health address,
then Discord. A stop asked for (SIGTERM, SIGINT) before the bot reaches the gateway cancels the start where it is;
from then on, the bot closes as it always does, finishing the answers it is giving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import aiohttp
import discord
import yarl

from bot.app import TocsinBot, describe_http_error
from bot.common.errors import TocsinError
from bot.common.i18n import default_catalogue
from bot.config import ConfigError, Settings
from bot.storage.lock import DatabaseLock
from bot.storage.preparing import prepare_database
from bot.storage.store import Store
from bot.terminal import EXIT_OK, EXIT_PROBLEM, say, say_error
from bot.timers.clock import Clock, FollowingClock, SystemClock
from bot.web.health import health_site
from bot.web.public import public_site

log = logging.getLogger("bot")

# What a network that does not answer raises, in aiohttp, asyncio and discord.py.
UNREACHABLE = (OSError, aiohttp.ClientError, TimeoutError, discord.GatewayNotFound)


class StartError(TocsinError):
    """The start could not go on for a reason outside Tocsin (the network, Discord): trying later may work."""


class Stopping:
    """What a SIGTERM or SIGINT does: before the bot reaches the gateway, cancel the start where it is; from then
    on, close it as always (the answers being given are finished first)."""

    def __init__(self, task: asyncio.Task[int]) -> None:
        self._task = task
        self.bot: discord.Client | None = None
        self.requested = False
        self.closing: asyncio.Future[None] | None = None

    def listen(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, self.request)

    def request(self) -> None:
        if self.requested:
            return
        self.requested = True
        if self.bot is not None and self.bot.ws is not None:
            self.closing = asyncio.ensure_future(self.bot.close())
        else:
            self._task.cancel()


def point_discord_py_at(settings: Settings) -> None:
    """The one change made to discord.py: where its REST API and gateway are (Discord's own by default)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def make_clock(settings: Settings) -> Clock:
    return FollowingClock(settings.clock_url) if settings.clock_url else SystemClock()


@contextlib.contextmanager
def reaching(address: str) -> Iterator[None]:
    """Turns a network failure while talking to `address` into one sentence naming it."""
    try:
        yield
    except UNREACHABLE as exc:
        raise StartError("cli.run.unreachable", address=address, reason=short_reason(exc)) from exc


def short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (text or type(exc).__name__)[:200]


async def run_bot(settings: Settings, *, mode: str = "run") -> int:
    token = settings.token()
    task = asyncio.current_task()
    assert task is not None
    stopping = Stopping(task)
    stopping.listen()
    lock = DatabaseLock.take(settings.database_path) if mode == "run" else None
    try:
        return await _start_and_serve(settings, token, mode, stopping)
    except asyncio.CancelledError:
        if not stopping.requested:
            raise
        say("cli.run.stopped_while_starting")
        return EXIT_OK
    finally:
        if lock is not None:
            lock.release()


async def _start_and_serve(settings: Settings, token: str, mode: str, stopping: Stopping) -> int:
    point_discord_py_at(settings)
    clock = make_clock(settings)
    try:
        with reaching(settings.clock_url or "-"):
            await clock.start()
        prepared = await prepare_database(
            settings.database_path, backup_folder=settings.backup_folder, keep=settings.backup_keep, now=clock.now()
        )
        if prepared.backup is not None:
            log.info("database backed up to %s before its migration", prepared.backup.path)
        if prepared.report.applied:
            log.info("database at schema %s (was %s)", prepared.report.to_version, prepared.report.from_version)
        store = await Store.open(settings.database_path)
        try:
            bot = TocsinBot(
                settings=settings,
                store=store,
                clock=clock,
                catalogue=default_catalogue(),
                mode="sync" if mode == "sync" else "run",
            )
            stopping.bot = bot
            async with bot:
                if mode == "sync":
                    return await _sync_commands(bot, token, settings)
                bot.http.http_trace = bot.services.metrics.discord_trace()  # read when the session is made
                health = health_site(bot, bot.services)
                public = public_site(bot.services)
                await health.start()
                await public.start()
                try:
                    with reaching(settings.discord_api_base):
                        await bot.start(token)
                finally:
                    await public.stop()
                    await health.stop()
            return EXIT_OK
        finally:
            await store.close()
    except discord.LoginFailure:
        raise ConfigError("config.error.token_refused") from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("config.error.intents_refused") from None
    except discord.ConnectionClosed as closed:
        raise StartError("cli.run.connection_closed", code=closed.code, reason=closed.reason or "-") from None
    except discord.HTTPException as refused:
        raise StartError("cli.run.discord_error", reason=describe_http_error(refused)) from None
    finally:
        await clock.close()


async def _sync_commands(bot: TocsinBot, token: str, settings: Settings) -> int:
    with reaching(settings.discord_api_base):
        await bot.login(token)
    try:
        synced = await bot.tree.sync()
    except discord.HTTPException as refused:
        say_error(TocsinError("cli.sync.refused", reason=describe_http_error(refused)))
        return EXIT_PROBLEM
    say("cli.sync.done", count=len(synced))
    return EXIT_OK
