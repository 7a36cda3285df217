"""`python -m bot export`: the same export as `/export`, offline, from the database file.

It reads one snapshot of the database through its own read-only connection (a read transaction: in WAL mode it
never blocks the running bot's writes), so it can run beside the bot. A progress bar is drawn only when
standard output is a terminal, so scripts and cron jobs get just the final line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.common.errors import TocsinError
from bot.common.i18n import Language, default_catalogue
from bot.exports.store import is_database
from bot.exports.use_cases import FORMATS, SEVERITIES, STATUS_FILTERS, ExportRequest, Phase, export

BAR_WIDTH = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the database file (the bot may be running)")
    parser.add_argument("--guild", required=True, type=int, help="the server's id: only its incidents are read")
    parser.add_argument("--format", required=True, choices=FORMATS, help="csv (a zip), json, md or html")
    parser.add_argument("--period", required=True, help='"octobre 2024", "depuis lundi", "last 30 days", two dates')
    parser.add_argument("--out", required=True, help="the file to write")
    parser.add_argument("--status", choices=(*STATUS_FILTERS, "all"))
    parser.add_argument("--territory")
    parser.add_argument("--sector")
    parser.add_argument("--organisation")
    parser.add_argument("--severity", choices=SEVERITIES)
    parser.add_argument("--language", choices=("fr", "en"), default="fr", help="if the server never chose one")
    parser.add_argument("--time-zone", default="Europe/Paris", help="if the server never chose one")


class Bar:
    def __init__(self, out: TextIO, label: str) -> None:
        self.out = out
        self.label = label
        self.shown = -1

    async def __call__(self, phase: Phase, percent: int) -> None:
        if percent == self.shown:
            return
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        self.out.write(f"\r{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d} %")
        if phase == "rendering":
            self.out.write("\n")
        self.out.flush()


def export_request(arguments: argparse.Namespace) -> ExportRequest:
    """The request's fields are the options of the same name; `--guild` fills `guild_id`, no one acts."""
    options = {**vars(arguments), "guild_id": arguments.guild}
    names = [field.name for field in fields(ExportRequest) if field.name in options]
    return ExportRequest(**{name: options[name] for name in names})


def run_export(arguments: argparse.Namespace, language: Language, out: TextIO = sys.stdout) -> int:
    """Writes the export to `--out`; returns the process's exit code (0, or 1 with a sentence on stderr)."""
    catalogue = default_catalogue()
    if not is_database(arguments.db):
        print(catalogue.render(language, "cli.export.no_database", path=arguments.db), file=sys.stderr)
        return 1
    request = export_request(arguments)
    progress = Bar(out, catalogue.render(language, "cli.export.progress")) if out.isatty() else None
    try:
        # One file whatever its size: the upload limit is Discord's, not the disk's.
        result = asyncio.run(
            export(
                arguments.db,
                request,
                now=datetime.now(UTC),
                default_language=arguments.language,
                default_time_zone=arguments.time_zone,
                progress=progress,
                limit=sys.maxsize,
            )
        )
    except TocsinError as error:
        print(catalogue.render(language, error.message_id, **error.args_map), file=sys.stderr)
        return 1
    (file,) = result.files
    target = Path(arguments.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(file.data)
    print(
        catalogue.render(
            language, "cli.export.done", count=result.incidents, path=str(target), size=round(len(file.data) / 1024)
        ),
        file=out,
    )
    return 0
