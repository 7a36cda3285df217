"""`python -m bot [run|migrate|check|sync-commands|demo|export]` (also installed as the `tocsin` command)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

import discord
import yarl

from bot import __version__
from bot.common.errors import TocsinError
from bot.common.i18n import Language, Msg, default_catalogue, language_of
from bot.config import ConfigError, Settings, load_settings
from bot.delivery import outbox
from bot.logging_setup import configure_logging
from bot.storage.migrations import known_version
from bot.storage.store import Store
from bot.timers.clock import Clock, FollowingClock, SystemClock

log = logging.getLogger("bot")

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


def operator_language() -> Language:
    """The language of the person at the terminal, from the usual locale variables."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(variable):
            return language_of(value.replace("_", "-"), fallback="en")
    return "en"


def say(message_id: str, **args: object) -> None:
    print(default_catalogue().render(operator_language(), message_id, **args))


def say_error(error: TocsinError) -> None:
    print(default_catalogue().render(operator_language(), error.message_id, **error.args_map), file=sys.stderr)


def point_discord_py_at(settings: Settings) -> None:
    """The one change made to discord.py: where its REST API and gateway are (Discord's own by default)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def make_clock(settings: Settings) -> Clock:
    return FollowingClock(settings.clock_url) if settings.clock_url else SystemClock()


async def run_bot(settings: Settings, *, mode: str = "run") -> int:
    from bot.app import TocsinBot, describe_http_error

    token = settings.token()
    point_discord_py_at(settings)
    clock = make_clock(settings)
    await clock.start()
    store = await Store.open(settings.database_path)
    catalogue = default_catalogue()
    try:
        bot = TocsinBot(
            settings=settings,
            store=store,
            clock=clock,
            catalogue=catalogue,
            mode="sync" if mode == "sync" else "run",
        )
        async with bot:
            if mode == "sync":
                await bot.login(token)
                try:
                    synced = await bot.tree.sync()
                except discord.HTTPException as refused:
                    say_error(TocsinError("cli.sync.refused", reason=describe_http_error(refused)))
                    return EXIT_PROBLEM
                say("cli.sync.done", count=len(synced))
                return EXIT_OK
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(token)
        return EXIT_OK
    except discord.LoginFailure:
        say_error(ConfigError("config.error.token_refused"))
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        say_error(ConfigError("config.error.intents_refused"))
        return EXIT_CONFIG
    finally:
        await store.close()
        await clock.close()


async def migrate_database(settings: Settings) -> int:
    store = await Store.open(settings.database_path)
    try:
        report = await store.migrate()
    finally:
        await store.close()
    say("cli.migrate.done", path=settings.database_path, before=report.from_version, after=report.to_version)
    return EXIT_OK


async def check_everything(settings: Settings) -> int:
    """Says what it finds: configuration first, then the database; exit 1 if something needs fixing."""
    problems = 0
    token_set = settings.discord_token is not None and bool(settings.discord_token.get_secret_value().strip())
    say("cli.check.token_set" if token_set else "cli.check.token_missing")
    problems += 0 if token_set else 1
    say(
        "cli.check.settings",
        language=settings.default_language,
        zone=settings.time_zone,
        api=settings.discord_api_base,
        guild=settings.dev_guild_id or "-",
    )
    if not settings.database_path.exists():
        say("cli.check.database_absent", path=settings.database_path)
        return EXIT_PROBLEM if problems else EXIT_OK
    store = await Store.open(settings.database_path)
    try:
        version = await store.schema_version()
        integrity = await store.integrity_check()
        async with store.reading() as conn:
            summary = await outbox.summary(conn)
    finally:
        await store.close()
    say("cli.check.database", path=settings.database_path, version=version, known=known_version())
    if version < known_version():
        say("cli.check.database_behind")
    if version > known_version():
        problems += 1
        say("store.error.newer_schema", path=settings.database_path, found=version, known=known_version())
    if integrity != "ok":
        problems += 1
    say("cli.check.integrity", result=integrity)
    say(
        "cli.check.outbox",
        pending=summary.pending + summary.in_flight,
        failed=summary.failed,
        done=Msg.of("about.outbox.sent", count=summary.done),
    )
    return EXIT_PROBLEM if problems else EXIT_OK


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env-file", default=".env", help="settings file read besides the environment")
    parser = argparse.ArgumentParser(
        prog="tocsin", description="Tocsin: outage coordination for Discord.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"tocsin {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", parents=[common], help="connect to Discord and serve (the default)")
    sub.add_parser("migrate", parents=[common], help="bring the database to the current schema")
    sub.add_parser("check", parents=[common], help="validate the configuration and the database, say what was found")
    sub.add_parser("sync-commands", parents=[common], help="publish the slash commands globally (up to an hour)")
    demo = sub.add_parser("demo", parents=[common], help="play a short session against a local Discord double")
    demo.add_argument("--keep", metavar="PATH", help="keep the bot's database there, to try `export` on it")
    from bot.cli_export import add_arguments as add_export_arguments

    add_export_arguments(sub.add_parser("export", help="export a server's incidents from the database file, offline"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    command = arguments.command or "run"
    if command == "export":  # offline: needs neither a token nor the settings file
        from bot.cli_export import run_export

        return run_export(arguments, operator_language())
    if command == "demo":
        from bot.demo import main as demo

        return demo(keep=arguments.keep)
    try:
        settings = load_settings(arguments.env_file)
        secrets = [settings.discord_token.get_secret_value()] if settings.discord_token else []
        configure_logging(settings.log_level, secrets=secrets)
        if command == "migrate":
            return asyncio.run(migrate_database(settings))
        if command == "check":
            return asyncio.run(check_everything(settings))
        return asyncio.run(run_bot(settings, mode="sync" if command == "sync-commands" else "run"))
    except TocsinError as error:
        say_error(error)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
