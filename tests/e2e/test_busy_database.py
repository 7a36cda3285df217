"""A busy database never keeps a member waiting for an answer that needs no write.

Another process holds SQLite's write lock (a backup, an export's migration, a stuck writer): reads still work in
WAL mode, so a member's read — even their very first command, when the bot learns their locale — must be answered
within Discord's 3 seconds, and what could not be written is told as a sentence, never left unanswered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.setup_steps import configure_grand_ouest


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_first_read_is_answered_in_time_while_another_process_holds_the_write_lock(
    double: DiscordDouble, server: Server, bot: BotProcess, tmp_path: Path
) -> None:
    await configure_grand_ouest(double, server)
    newcomer = server.members["pharma.brest"]
    with write_lock_held(tmp_path / "tocsin.db"):
        listed = await double.run_command(newcomer, server.channels["bretagne"], "outage list", locale="en-GB")
        reply = await listed.reply(timeout=2.9)
    assert reply["content"] or reply["embeds"]
    # Once the lock is gone, the member's locale is remembered all the same (their DMs' language).
    await double.wait_for(
        lambda: (
            "en-GB"
            in {
                row[0]
                for row in sqlite3.connect(tmp_path / "tocsin.db").execute(
                    "SELECT locale FROM member_locales WHERE user_id = ?", (newcomer,)
                )
            }
        ),
        what="the newcomer's locale remembered",
    )


async def test_a_write_waiting_for_the_lock_is_acknowledged_in_time_answered_and_audited(
    double: DiscordDouble, server: Server, bot: BotProcess, tmp_path: Path
) -> None:
    await configure_grand_ouest(double, server)
    member = server.members["pharma.brest"]
    with write_lock_held(tmp_path / "tocsin.db"):
        refused = await double.run_command(member, server.channels["bretagne"], "outage resolve", {"incident": 1})
        first = await refused.first_response(timeout=2.9)
        reply = await refused.reply(timeout=15)
    assert first["type"] in (4, 5)
    assert refused.ephemeral and reply["content"]

    def refusals() -> list[str]:
        with sqlite3.connect(tmp_path / "tocsin.db") as conn:
            rows = conn.execute("SELECT result FROM audit_log WHERE actor_id = ?", (member,)).fetchall()
        return [row[0] for row in rows if row[0].startswith("refused")]

    await double.wait_for(lambda: len(refusals()) == 1, timeout=15, what="the refusal audited")
