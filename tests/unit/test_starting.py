"""Every start that cannot go on ends in one sentence and an exit status a service manager can act on; none leaves a
half-made database; the database is its owner's alone. The program runs as the operator would run it, pointed at
addresses that cannot answer (a closed port on this machine, a name that cannot resolve): never the internet."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from bot.storage.lock import DatabaseLock
from bot.storage.migrations import known_version
from bot.storage.store import Store, StoreError
from tests.db.test_migrations import write
from tests.unit.test_config import base_env, clean_environment, run_cli

pytestmark = pytest.mark.long

__all__ = ["clean_environment"]

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def closed_port() -> int:
    """A port of this machine nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sentences(output: str) -> list[str]:
    """What the program said, apart from its log lines."""
    return [line for line in output.splitlines() if line.strip() and not LOG_LINE.match(line)]


def schema_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("api", "named"),
    [
        (f"http://127.0.0.1:{closed_port()}/api/v10", "127.0.0.1"),
        ("http://tocsin-test.invalid/api/v10", "tocsin-test.invalid"),
    ],
    ids=["closed-port", "unresolvable-name"],
)
def test_no_network_is_one_sentence_exit_1_and_a_whole_private_database(tmp_path: Path, api: str, named: str) -> None:
    env = base_env(tmp_path) | {"DISCORD_TOKEN": "abc.def.ghi", "DISCORD_API_BASE": api, "LANG": "en_GB.UTF-8"}
    result = run_cli("run", "--env-file", str(tmp_path / "absent.env"), env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    said = sentences(output)
    assert len(said) == 1, said
    assert said[0].startswith(f"Cannot reach {api} (") and named in said[0]
    database = tmp_path / "tocsin.db"
    assert schema_version(database) == known_version(), "a failed start leaves a whole database or none"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("tocsin.db.new*"))


def test_a_database_file_made_by_the_program_is_its_owners_alone(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"LANG": "en_GB.UTF-8"}
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "tocsin.db").stat().st_mode) == 0o600


def test_check_on_an_empty_database_says_run_migrate(tmp_path: Path) -> None:
    (tmp_path / "tocsin.db").write_bytes(b"")
    env = base_env(tmp_path) | {"DISCORD_TOKEN": "abc.def.ghi", "LANG": "en_GB.UTF-8"}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert "Run “python -m bot migrate”" in result.stdout
    assert f"schema 0 (this version of Tocsin knows {known_version()})" in result.stdout


def test_check_on_an_old_database_says_run_migrate(tmp_path: Path) -> None:
    source = tmp_path / "old-migrations"
    for number, migration in enumerate(sorted((Path(__file__).parents[2] / "migrations").glob("*.sql"))[:2], 1):
        write(source, migration.name, migration.read_text(encoding="utf-8"))
        assert migration.name.startswith(f"000{number}_")

    async def make_old() -> None:
        store = await Store.open(tmp_path / "tocsin.db", migrations_source=source)
        try:
            await store.migrate()
        finally:
            await store.close()

    asyncio.run(make_old())
    env = base_env(tmp_path) | {"DISCORD_TOKEN": "abc.def.ghi", "LANG": "fr_FR.UTF-8"}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert "schéma 2" in result.stdout and "Lancez « python -m bot migrate »" in result.stdout
    migrated = run_cli("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "Sauvegarde faite avant la mise à jour : " in migrated.stdout
    assert schema_version(tmp_path / "tocsin.db") == known_version()
    backups = list((tmp_path / "backups").glob("tocsin-*.db"))
    assert len(backups) == 1 and schema_version(backups[0]) == 2


@pytest.mark.parametrize("command", [["migrate"], ["run"], ["restore", "some-backup.db"]])
def test_what_needs_the_database_alone_refuses_while_a_bot_holds_it(tmp_path: Path, command: list[str]) -> None:
    env = base_env(tmp_path) | {"DISCORD_TOKEN": "abc.def.ghi", "LANG": "en_GB.UTF-8"}
    with DatabaseLock.take(tmp_path / "tocsin.db"):
        result = run_cli(*command, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert sentences(result.stdout + result.stderr) == [
        (
            f"Tocsin is running on the database {tmp_path / 'tocsin.db'} (process {os.getpid()}): stop it "
            "first (for instance “systemctl stop tocsin”), then run the command again."
        )
    ]
    assert not (tmp_path / "tocsin.db").exists()


def test_the_lock_is_released_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            "python3",
            "-c",
            (
                "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
                "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"
            ),
            str(tmp_path / "tocsin.db.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError) as refused:
            DatabaseLock.take(tmp_path / "tocsin.db")
        assert refused.value.message_id == "store.error.in_use"
    finally:
        holder.kill()
        holder.wait()
    with DatabaseLock.take(tmp_path / "tocsin.db") as lock:
        assert lock.path.read_text(encoding="ascii").strip() == str(os.getpid())
