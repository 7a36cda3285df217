"""Discord refusing the commands at start-up (the development server's sync) stops nothing: the bot says so in
one sentence, serves with the commands Discord already has, tells admins in /tocsin about, and asks again later
on its clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.sandbox import DiscordDouble
from bot.sandbox.faults import Fault
from tests.e2e.harness import BotProcess, Server


async def test_a_refused_sync_at_start_up_is_logged_told_and_asked_again(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    double.faults.inject(
        Fault(
            "PUT",
            r"/applications/\d+/guilds/\d+/commands",
            status=403,
            body={"message": "Missing Access", "code": 50001},
        )
    )
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    sessions = double.identified_sessions
    await process.start(wait_ready=False)
    try:
        await double.wait_until_ready(timeout=30.0, sessions_before=sessions)
        await double.wait_for(lambda: "Discord refused the commands" in process.log_text(), what="the sentence")
        assert double.commands(server.guild_id) == []
        await double.advance(timedelta(minutes=1))
        commands = await double.wait_for_commands(server.guild_id)
        assert {c["name"] for c in commands} >= {"outage", "setup", "tocsin"}
        about = await double.run_command(server.members["admin.sophie"], server.channels["journal-bot"], "tocsin about")
        shown = str(await about.reply())
        assert "refusé" not in shown, "told until a sync works, and it has"
    finally:
        await process.stop()
    log = process.log_text()
    assert log.count("Discord refused the commands") == 1
    assert "Traceback" not in log
