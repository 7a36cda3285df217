"""Golden files: the synced command payload, and the CSV and HTML exports of a fixed data set (the three scenarios
of tests/exports/scenarios.py, with a second server beside them), byte for byte.

They were written before the code was regrouped into one package per feature (ARCHITECTURE.md), so a move that
changes what Discord is sent or what an admin downloads fails here. To accept a deliberate change of wording,
run `python -m tests.golden.test_golden` and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

from bot.app import COGS, TocsinBot
from bot.common.i18n import default_catalogue
from bot.config import Settings
from bot.exports.use_cases import ExportRequest, export
from bot.interactions.translator import TocsinTranslator
from bot.maintenance.use_cases import Maintenances, ScheduleInput
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from bot.timers.clock import SystemClock
from tests.exports.scenarios import ANNE, EVERYTHING, EXPORT_NOW, GUILD, add_formula_titles, paris, play_scenarios

HERE = Path(__file__).parent


async def command_payload(translator: TocsinTranslator | None = None) -> bytes:
    # A bot that is built but never started: its services exist, nothing connects, nothing runs.
    with tempfile.TemporaryDirectory() as workdir:
        store = await Store.open(Path(workdir) / "tree.db")
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        client = TocsinBot(settings=settings, store=store, clock=SystemClock(), catalogue=default_catalogue())
        for extension in COGS:
            await client.load_extension(extension)
        translator = translator or TocsinTranslator(default_catalogue())
        await client.tree.set_translator(translator)
        payloads = [
            await command.get_translated_payload(client.tree, translator) for command in client.tree.get_commands()
        ]
        await client.close()
        await store.close()
    payloads.sort(key=lambda payload: payload["name"])
    return (json.dumps(payloads, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


async def add_maintenance(store: Store) -> None:
    """One planned maintenance that ran its course, listed apart (its organisation a spreadsheet would run)."""
    maintenance = Maintenances(store, ServerDefaults())
    typed = ScheduleInput(
        organisation='=HYPERLINK("http://x")',
        sector="pharmacie",
        territories="53",
        starts="dimanche 22h",
        ends="lundi 6h",
        services="commandes",
    )
    scheduled = await maintenance.schedule(ANNE, typed, now=paris(2024, 10, 24, 9, 0))
    await maintenance.advance(scheduled.maintenance_id, now=paris(2024, 10, 28, 7, 0))


async def export_files(workdir: Path) -> dict[str, bytes]:
    store = await Store.open(workdir / "golden.db")
    try:
        await store.migrate()
        life = await play_scenarios(store)
        await add_formula_titles(store, life)
        await add_maintenance(store)
    finally:
        await store.close()
    files: dict[str, bytes] = {}
    for fmt, extension in (("csv", "zip"), ("html", "html")):
        request = ExportRequest(guild_id=GUILD, format=fmt, period=EVERYTHING)  # type: ignore[arg-type]
        result = await export(
            workdir / "golden.db", request, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris"
        )
        (file,) = result.files
        if extension == "zip":
            with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
                for name in sorted(archive.namelist()):
                    files[f"export-{name}"] = archive.read(name)
        else:
            files[f"export.{extension}"] = file.data
    return files


async def everything(workdir: Path) -> dict[str, bytes]:
    return {"commands.json": await command_payload(), **await export_files(workdir)}


async def test_the_command_payload_is_byte_identical_to_its_golden_file() -> None:
    assert await command_payload() == (HERE / "commands.json").read_bytes()


async def test_the_csv_and_html_exports_are_byte_identical_to_their_golden_files(tmp_path: Path) -> None:
    produced = await export_files(tmp_path)
    expected = sorted(path.name for path in HERE.glob("export*"))
    assert sorted(produced) == expected
    for name, data in produced.items():
        assert data == (HERE / name).read_bytes(), f"{name} differs from its golden file"


def write_golden_files() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        for name, data in asyncio.run(everything(Path(workdir))).items():
            (HERE / name).write_bytes(data)
            print(f"wrote {name} ({len(data)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    write_golden_files()
