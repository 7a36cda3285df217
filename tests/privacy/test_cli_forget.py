"""`python -m bot forget MEMBER --guild GUILD`: forgets as `/setup forget-member` does, and refuses while a bot
holds the database (the running bot's outbox alone can follow a message it is sending with its edit)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.lock import DatabaseLock
from bot.storage.store import Store
from tests.privacy.seeding import seed
from tests.privacy.test_forget import GUILD, OTHER, TARGET, every_row, holds

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]


def forget(database: Path, tmp_path: Path, member: str, guild: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
    env |= {"PYTHONPATH": str(ROOT), "TOCSIN_DATABASE_PATH": str(database), "LANG": "C.UTF-8"}
    command = [sys.executable, "-m", "bot", "forget", member, "--guild", guild]
    return subprocess.run(
        [*command, "--env-file", str(tmp_path / "absent.env")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_forget_from_the_terminal_and_refused_while_a_bot_holds_the_database(
    store: Store, tmp_path: Path
) -> None:
    async with store.unit_of_work() as conn:
        for n, item in enumerate(("reminder", "declared", "audit", "follow")):
            await seed(conn, item, TARGET, GUILD, n)
            await seed(conn, item, OTHER, GUILD, n + 10)
    await store.close()
    with DatabaseLock.take(store.path):
        refused = forget(store.path, tmp_path, str(TARGET), str(GUILD))
    assert refused.returncode == 1 and str(os.getpid()) in refused.stderr, "the holder's pid is named"
    assert any(holds(row, TARGET) for rows in every_row(store.path).values() for row in rows), "nothing changed"

    wrong = forget(store.path, tmp_path, "12ab", str(GUILD))
    assert wrong.returncode == 2 and "12ab" in wrong.stdout

    done = forget(store.path, tmp_path, str(TARGET), str(GUILD))
    assert done.returncode == 0, done.stderr
    assert "ancien membre n° 1" in done.stdout, "the pseudonym in the server's language (French by default)"
    left = [row for rows in every_row(store.path).values() for row in rows if holds(row, TARGET)]
    assert left == []
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM reminders WHERE owner_id = ?", (OTHER,)).fetchone() == (1,)
    conn.close()
