"""`python -m bot export`: the same export offline, from the database file, beside a running bot."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.cli_export import run_export
from bot.storage.store import Store
from tests.exports.scenarios import GUILD, OTHER_TITLE, play_scenarios

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tocsin.db"

    async def build() -> None:
        store = await Store.open(path)
        await store.migrate()
        await play_scenarios(store)
        await store.close()

    asyncio.run(build())
    return path


def test_the_command_line_writes_the_csv_zip_while_the_bot_holds_the_database(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "octobre.zip"

    async def hold_a_write_lock() -> subprocess.CompletedProcess[str]:
        # The bot's writer in the middle of a transaction: a reader in WAL mode neither waits for it nor sees it.
        store = await Store.open(database)
        try:
            async with store.unit_of_work() as conn:
                await conn.execute("UPDATE incidents SET title = 'pas encore validé' WHERE guild_id = ?", (GUILD,))
                return await asyncio.to_thread(
                    subprocess.run,
                    [
                        sys.executable,
                        "-m",
                        "bot",
                        "export",
                        "--db",
                        str(database),
                        "--guild",
                        str(GUILD),
                        "--format",
                        "csv",
                        "--period",
                        "octobre 2024",
                        "--out",
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    cwd=ROOT,
                    env={**os.environ, "LANG": "fr_FR.UTF-8"},
                )
        finally:
            await store.close()

    done = asyncio.run(hold_a_write_lock())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Pannes exportées : 2, dans "), done.stdout  # no progress bar: not a terminal
    assert "\r" not in done.stdout
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("incidents.csv").decode("utf-8-sig")), delimiter=";"))
    assert [row["number"] for row in rows] == ["1", "2"]
    assert "pas encore validé" not in {row["title"] for row in rows}
    assert OTHER_TITLE not in {row["title"] for row in rows}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def arguments(database: Path, out: Path, **overrides: str) -> argparse.Namespace:
    values = {
        "db": str(database),
        "guild": GUILD,
        "format": "json",
        "period": "du 01/07/2023 au 31/10/2024",
        "out": str(out),
        "status": None,
        "territory": None,
        "sector": None,
        "organisation": None,
        "severity": None,
        "language": "fr",
        "time_zone": "Europe/Paris",
    } | overrides
    return argparse.Namespace(**values)


def test_on_a_terminal_a_progress_bar_is_drawn(database: Path, tmp_path: Path) -> None:
    screen = Terminal()
    assert run_export(arguments(database, tmp_path / "all.json"), "fr", screen) == 0
    shown = screen.getvalue()
    assert "\rLecture des pannes [" in shown and "100 %" in shown, shown
    assert json.loads((tmp_path / "all.json").read_bytes())["figures"]["incidents"] == 3


def test_a_bad_period_or_a_missing_database_is_one_sentence(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_export(arguments(database, tmp_path / "x.json", period="le mois des quatre jeudis"), "fr", Terminal()) == 1
    )
    assert capsys.readouterr().err.startswith("Pour la période : ")
    assert run_export(arguments(tmp_path / "absent.db", tmp_path / "x.json"), "fr", Terminal()) == 1
    assert capsys.readouterr().err.strip() == f"Pas de base de données Tocsin à {tmp_path / 'absent.db'}."
    assert not (tmp_path / "x.json").exists()
