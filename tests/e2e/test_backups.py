"""Backups beside the running bot, as an operator takes them: `python -m bot backup` while coordinators declare,
`restore` refused while the bot runs and accepted once it is stopped, the exports the same byte for byte after the
round trip; and the bot's own daily backup, on its clock."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.exports.use_cases import ExportRequest, export
from bot.sandbox import DiscordDouble
from bot.sandbox.driver import settle
from bot.storage.backup import backups_in
from bot.storage.migrations import known_version
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, paris, private_reply
from tests.unit.test_starting import sentences

pytestmark = pytest.mark.long

FORMATS = ("csv", "json", "md")
# Declarations in flight at once while the backups are taken.
AT_ONCE = 4


async def cli(bot: BotProcess, *args: str) -> tuple[int, str]:
    """The program run by the operator beside the bot, with the bot's settings, in English."""
    env = bot.environment() | {"LANG": "en_GB.UTF-8"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        "--env-file",
        str(bot.workdir / "absent.env"),
        cwd=bot.workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


def consistent_incidents(path: Path) -> int:
    """How many incidents the backup holds, once it is shown whole: sound, every reference kept, and each
    declaration all there (its incident, its timeline entry, its thread to make, its audit row) or not at all."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA user_version").fetchone() == (known_version(),)

        def count(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        incidents = count("SELECT COUNT(*) FROM incidents")
        assert count("SELECT COUNT(*) FROM updates WHERE kind = 'declared'") == incidents
        assert count("SELECT COUNT(*) FROM incidents i JOIN outbox o ON o.id = i.thread_row") == incidents
        assert count("SELECT COUNT(*) FROM audit_log WHERE action = 'outage declare'") == incidents
        assert count("SELECT COUNT(*) FROM incident_services") == 2 * incidents
        return incidents
    finally:
        conn.close()


async def exports(path: Path, guild_id: int) -> dict[str, bytes]:
    found = {}
    for file_format in FORMATS:
        result = await export(
            path,
            ExportRequest(guild_id=guild_id, format=file_format, period="octobre 2024"),
            now=paris(2024, 10, 25, 9, 0),
            default_language="fr",
            default_time_zone="Europe/Paris",
        )
        (file,) = result.files
        found[file_format] = file.data
    return found


async def declare(double: DiscordDouble, server: Server, coordinator: int, title: str) -> None:
    ix = await double.run_command(
        coordinator,
        server.channels["incidents"],
        "outage declare",
        {
            "title": title,
            "organisation": "Cerp Bretagne Atlantique",
            "sector": "pharmacie",
            "territories": "53",
            "severity": "major",
            "cause": "technical_failure",
            "started": "ce matin",
            "services": "commandes, livraisons",
        },
    )
    assert "#" in await private_reply(ix)


async def test_a_backup_beside_the_bot_during_declarations_is_consistent_and_a_restore_gives_the_same_exports(
    double: DiscordDouble, server: Server, bot: BotProcess, tmp_path: Path
) -> None:
    await configure(double, server)
    guild = double.guild(server.guild_id)
    # Enough coordinators that none reaches the per-person cooldown (5 declarations a minute).
    coordinators = [guild.add_member(f"coord.backup.{i}", roles=[server.roles["coordination"]]) for i in range(120)]
    folder = tmp_path / "backups"
    answered = [0]
    enough = asyncio.Event()

    async def stream() -> None:
        for batch in range(len(coordinators) // AT_ONCE * 5):
            if enough.is_set():
                return
            ids = [coordinators[(batch * AT_ONCE + i) % len(coordinators)] for i in range(AT_ONCE)]
            await asyncio.gather(*(declare(double, server, c, f"Panne {batch}.{i}") for i, c in enumerate(ids)))
            answered[0] += AT_ONCE

    declaring = asyncio.create_task(stream())
    await double.wait_for(lambda: answered[0] > 0, timeout=30, what="the first declarations")
    taken: list[tuple[int, int]] = []  # declarations answered when each backup began, and when it ended
    for _ in range(3):
        before = answered[0]
        status, said = await cli(bot, "backup", "--out", str(folder))
        assert status == 0, said
        taken.append((before, answered[0]))
        assert not declaring.done(), "the declarations went on while the backups were taken"
    enough.set()
    await declaring
    for backup, (before, after) in zip(backups_in(folder), taken, strict=True):
        held = consistent_incidents(backup.path)
        assert before <= held <= after + AT_ONCE, (backup.path.name, before, held, after)
    assert taken[0][1] > taken[0][0], "declarations were answered while the first backup was taken"

    database = bot.workdir / "tocsin.db"
    status, said = await cli(bot, "backup", "--out", str(folder))
    assert status == 0 and sentences(said)[0].startswith(f"Backup {folder}/tocsin-"), said
    chosen = backups_in(folder)[-1].path
    expected = await exports(chosen, server.guild_id)
    await declare(double, server, coordinators[0], "Panne après la sauvegarde")
    assert await exports(database, server.guild_id) != expected

    status, said = await cli(bot, "restore", str(chosen))
    assert status == 1 and "Tocsin is running on the database" in said, said
    assert bot.process is not None and f"(process {bot.process.pid})" in said
    assert await bot.stop() == 0
    status, said = await cli(bot, "restore", str(chosen))
    assert status == 0, said
    assert sentences(said)[0] == f"Database {database} restored from {chosen} (schema {known_version()})."
    assert await exports(database, server.guild_id) == expected
    (aside,) = bot.workdir.glob("tocsin.db.replaced-*")
    assert consistent_incidents(aside) == consistent_incidents(chosen) + 1


async def test_the_bot_backs_itself_up_daily_on_its_clock_when_a_folder_is_set(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    folder = tmp_path / "daily"
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env["TOCSIN_BACKUP_DIR"] = str(folder)
    process.extra_env["TOCSIN_BACKUP_KEEP"] = "2"
    await process.start()
    try:
        await double.wait_for(lambda: len(backups_in(folder)) == 1, timeout=20, what="the first backup, at start")
        first = backups_in(folder)[0]
        assert first.taken_at == double.now.replace(microsecond=0)
        for day in (1, 2, 3):
            await double.advance(timedelta(days=1))
            # Settled: the day's backup job has run to its end, its pruning of the oldest included.
            await settle(double, timeout=20)
            assert backups_in(folder)[-1].taken_at == first.taken_at + timedelta(days=day)
        assert [b.taken_at - first.taken_at for b in backups_in(folder)] == [timedelta(days=2), timedelta(days=3)]
    finally:
        await process.stop()
    log = process.log_text()
    assert "Traceback" not in log and "start-up" not in log, log
