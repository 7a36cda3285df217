"""`python -m bot forget MEMBER_ID --guild GUILD_ID`: the operator's "forget this member" (the same forget as
`/setup forget-member`). It refuses while a bot runs on the database (`bot/storage/lock.py`): the running bot may be
sending a message that names the member at that moment, and only its own outbox can follow that message with the
edit; with the bot stopped, the edits planned here go out at its next start. While the bot runs, use
`/setup forget-member`."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from bot.common.i18n import default_catalogue
from bot.config import Settings
from bot.privacy.use_cases import Privacy
from bot.settings.rules.config import ServerDefaults
from bot.storage.lock import DatabaseLock
from bot.storage.migrations import known_version
from bot.storage.store import Store
from bot.terminal import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEM, say

DISCORD_ID = re.compile(r"^\d{17,20}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("member", help="the member's Discord id")
    parser.add_argument("--guild", required=True, help="the server's id: the member is forgotten there")


async def forget_member(settings: Settings, arguments: argparse.Namespace) -> int:
    for typed in (arguments.member, arguments.guild):
        if DISCORD_ID.match(str(typed).strip()) is None:
            say("cli.forget.bad_id", text=str(typed)[:40])
            return EXIT_CONFIG
    member, guild = int(arguments.member), int(arguments.guild)
    if not settings.database_path.exists():
        say("cli.check.database_absent", path=settings.database_path)
        return EXIT_PROBLEM
    with DatabaseLock.take(settings.database_path):
        store = await Store.open(settings.database_path)
        try:
            if await store.check_schema() < known_version():
                say("cli.check.database_behind")
                return EXIT_PROBLEM
            defaults = ServerDefaults(language=settings.default_language, time_zone=settings.time_zone)
            privacy = Privacy(store, default_catalogue(), defaults)
            forgotten = await privacy.forget(
                member, guild_id=guild, everywhere=False, by="operator", actor_id=None, now=datetime.now(UTC)
            )
        finally:
            await store.close()
    say("cli.forget.done", member=member, guild=guild, name=forgotten.name)
    return EXIT_OK
