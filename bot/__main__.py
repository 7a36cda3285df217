"""`python -m bot [run|migrate|check|backup|restore|forget|sync-commands|demo|export]` (also installed as `tocsin`).

Only the standard library is imported before `main` starts: SIGTERM is taken over first, so a stop asked for
while the rest loads (a second or so) ends in a sentence like any other stop, not in a killed process. What each
command needs is imported when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from types import FrameType


class StopRequested(KeyboardInterrupt):
    """A SIGTERM before the event loop takes the signals over: it stops the program as Ctrl-C would."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise StopRequested


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    from bot import __version__
    from bot.cli_database import add_backup_arguments, add_restore_arguments
    from bot.cli_export import add_arguments as add_export_arguments
    from bot.cli_privacy import add_arguments as add_forget_arguments

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env-file", default=".env", help="settings file read besides the environment")
    parser = argparse.ArgumentParser(
        prog="tocsin", description="Tocsin: outage coordination for Discord.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"tocsin {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", parents=[common], help="connect to Discord and serve (the default)")
    sub.add_parser("migrate", parents=[common], help="back the database up, then bring it to the current schema")
    sub.add_parser("check", parents=[common], help="validate the configuration and the database, say what was found")
    add_backup_arguments(
        sub.add_parser("backup", parents=[common], help="a checked copy of the database, beside the running bot")
    )
    add_restore_arguments(
        sub.add_parser("restore", parents=[common], help="put a backup in place of the database (bot stopped)")
    )
    add_forget_arguments(
        sub.add_parser(
            "forget", parents=[common], help="forget a member in a server (bot stopped): /setup forget-member"
        )
    )
    sub.add_parser("sync-commands", parents=[common], help="publish the slash commands globally (up to an hour)")
    demo = sub.add_parser("demo", parents=[common], help="play a short session against a local Discord double")
    demo.add_argument("--keep", metavar="PATH", help="keep the bot's database there, to try `export` on it")
    add_export_arguments(sub.add_parser("export", help="export a server's incidents from the database file, offline"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_requested)
    command = "run"
    try:
        arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
        command = arguments.command or "run"
        return run_command(command, arguments)
    except KeyboardInterrupt:
        from bot.terminal import EXIT_OK, EXIT_PROBLEM, say

        say("cli.stopped")
        # A bot asked to stop while starting did what it was asked; any other command did not finish its work.
        return EXIT_OK if command in ("run", "demo") else EXIT_PROBLEM


def run_command(command: str, arguments: argparse.Namespace) -> int:
    from bot.common.errors import TocsinError
    from bot.config import ConfigError, load_settings
    from bot.logging_setup import configure_logging
    from bot.terminal import EXIT_CONFIG, EXIT_PROBLEM, operator_language, say_error

    if command == "export":  # offline: needs neither a token nor the settings file
        from bot.cli_export import run_export

        return run_export(arguments, operator_language())
    if command == "demo":
        from bot.demo import main as demo

        return demo(keep=arguments.keep)
    try:
        settings = load_settings(arguments.env_file)
        secrets = [settings.discord_token.get_secret_value()] if settings.discord_token else []
        configure_logging(settings.log_level, secrets=secrets, json_lines=settings.log_format == "json")
        if command in ("run", "sync-commands"):
            from bot.cli_run import run_bot

            return asyncio.run(run_bot(settings, mode="sync" if command == "sync-commands" else "run"))
        from bot import cli_database

        if command == "migrate":
            return asyncio.run(cli_database.migrate_database(settings))
        if command == "check":
            return asyncio.run(cli_database.check_everything(settings))
        if command == "backup":
            return asyncio.run(cli_database.back_up(settings, arguments))
        if command == "forget":
            from bot.cli_privacy import forget_member

            return asyncio.run(forget_member(settings, arguments))
        return asyncio.run(cli_database.restore(settings, arguments))
    except ConfigError as error:
        say_error(error)
        return EXIT_CONFIG
    except TocsinError as error:
        say_error(error)
        return EXIT_PROBLEM


if __name__ == "__main__":
    sys.exit(main())
