"""Backup benchmark: how long a backup of a big database takes, and what it costs the commands answered meanwhile.

Run: .venv/bin/python bench/backup.py [--incidents 100000] [--updates 1000000] [--n 200]

1. Seeds a database with 100,000 incidents and 1,000,000 updates (bench/commands.py's seeding), then copies the
   file once with a plain file copy: the disk's own pace, the baseline of the backup's time.
2. Starts the Discord double in this process and the bot as its own `python -m bot run` process on that
   database; admin.sophie configures the scenarios' server through /setup.
3. Idle: N commands, one at a time, as members would — `/outage declare` (a write: the incident, its timeline,
   its outbox rows) and `/outage list` (a read) in turn, by different coordinators.
4. During: the same commands while backups run back to back in a process of their own, as an operator's
   `python -m bot backup` runs beside the bot (bot/storage/backup.py `take_backup`: the one-step copy through
   SQLite, the integrity check of the copy, the rename; at the lowest CPU priority, as the bot's daily one) —
   N commands, and on until three backups have ended (at most 3N).

Each command is timed at the double, from dispatching INTERACTION_CREATE to the final private reply (bench/commands.py
`timing`), loopback included. backup_s: the median time of one backup (copy, check and rename) during the run.

The last line is machine-readable: backup_s=<s> p99_ms_during=<ms> p99_ms_idle=<ms>
(DESIGN.md: a backup never more than doubles commands' p99 — p99_ms_during within 2× of p99_ms_idle.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.commands import NOW, Series, percentile, run_measured, seed  # noqa: E402
from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess, Server, build_grand_ouest, configure_by_commands, pick  # noqa: E402
from bot.storage.store import Store  # noqa: E402

# Backups back to back in their own process, each one's seconds on a line, until the process is stopped.
BACKUP_LOOP = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from bot.storage.backup import lower_priority, take_backup
database, folder = Path(sys.argv[1]), Path(sys.argv[2])
lower_priority()  # as `python -m bot backup` and the bot's daily backup run it
print("ready", flush=True)
while True:
    started = time.monotonic()
    take_backup(database, folder, now=datetime.now(UTC), keep=2)
    print(f"{time.monotonic() - started:.3f}", flush=True)
"""


def declare_options(i: int, territories: Any) -> dict[str, Any]:
    return {
        "title": f"Cerp Bretagne Atlantique : panne (banc sauvegarde {i})",
        "organisation": "Cerp Bretagne Atlantique",
        "sector": "pharmacie",
        "territories": territories,
        "severity": "major",
        "cause": "technical_failure",
        "started": "ce matin",
        "services": "commandes, livraisons",
    }


async def measure(
    double: DiscordDouble,
    server: Server,
    series: Series,
    coordinators: list[int],
    territories: Any,
    n: int,
    first: int,
    until: Any = None,
) -> None:
    """N commands one at a time, declares and lists in turn — and on, up to 3N, until `until()` holds; `first`
    numbers the declares (each by its own coordinator, far under the per-person cooldown)."""
    incidents, reader = server.channels["incidents"], server.members["pharma.brest"]
    for i in range(3 * n):
        if i >= n and (until is None or until()):
            return
        if i % 2 == 0:
            number = first + i // 2
            user = coordinators[number % len(coordinators)]

            async def start(user: int = user, number: int = number) -> Any:
                return await double.run_command(user, incidents, "outage declare", declare_options(number, territories))
        else:

            async def start() -> Any:
                return await double.run_command(reader, server.channels["pharmacies"], "outage list", {})

        await run_measured(double, series, start)


async def run(args: argparse.Namespace, workdir: Path) -> tuple[Series, Series, list[float], float]:
    async with DiscordDouble(now=NOW) as double:
        server = build_grand_ouest(double)
        guild = double.guild(server.guild_id)
        coordinators = [guild.add_member(f"coord.bench.{i}", roles=[server.roles["coordination"]]) for i in range(200)]
        database = workdir / "tocsin.db"
        store = await Store.open(database)
        await store.migrate()
        await store.close()
        seconds = seed(
            database,
            server.guild_id,
            [server.members["coord.anne"], server.members["coord.yann"]],
            args.incidents,
            args.updates,
        )
        size = database.stat().st_size / 2**20
        print(f"seeded {args.incidents:,} incidents and {args.updates:,} updates in {seconds:.1f} s ({size:.0f} MiB)")
        started = time.monotonic()
        shutil.copyfile(database, workdir / "plain-copy.db")
        copy_s = time.monotonic() - started
        (workdir / "plain-copy.db").unlink()

        bot = BotProcess(double, workdir, guild_id=server.guild_id)
        await bot.start()
        try:
            await configure_by_commands(double, server)
            anne, incidents = server.members["coord.anne"], server.channels["incidents"]
            territories = await pick(double, anne, incidents, "outage declare", "territories", [("53", "Bretagne")])
            await measure(double, server, Series("warm-up"), coordinators, territories, 20, first=0)

            idle = Series("idle")
            await measure(double, server, idle, coordinators, territories, args.n, first=10)

            backups = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                BACKUP_LOOP,
                str(database),
                str(workdir / "backups"),
                env=bot.environment(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert backups.stdout is not None
            assert (await backups.stdout.readline()).strip() == b"ready"
            durations: list[float] = []

            async def read_durations() -> None:
                assert backups.stdout is not None
                while line := await backups.stdout.readline():
                    durations.append(float(line))

            reading = asyncio.create_task(read_durations())
            during = Series("during backups")
            try:
                await measure(
                    double,
                    server,
                    during,
                    coordinators,
                    territories,
                    args.n,
                    first=10 + args.n,
                    until=lambda: len(durations) >= 3,
                )
            finally:
                with contextlib.suppress(ProcessLookupError):
                    backups.send_signal(signal.SIGKILL)
                await reading
                assert backups.stderr is not None
                errors = await backups.stderr.read()
                await backups.wait()
            if backups.returncode != -signal.SIGKILL:
                print("the backups stopped on their own:\n" + errors.decode()[-4000:])
            log = bot.log_text()
            if "Traceback" in log:
                print("the bot logged a traceback:\n" + log[log.index("Traceback") - 500 :][:4000])
            return idle, during, durations, copy_s
        finally:
            await bot.stop()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=200, help="commands measured idle, and again during backups")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-backup-") as tmp:
        idle, during, durations, copy_s = await run(args, Path(tmp))
    backup_s = statistics.median(durations) if durations else float("nan")
    print(f"\n{'what':22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for series in (idle, during):
        ms = series.final_ms
        print(
            f"{series.name:22} {len(ms):5d} {percentile(ms, 50):8.1f} {percentile(ms, 95):8.1f} "
            f"{percentile(ms, 99):8.1f} {max(ms):8.1f}"
        )
        if series.failures:
            print(f"   {len(series.failures)} answer(s) were not what was asked, e.g. {series.failures[0]!r}")
    print(
        f"\n{len(durations)} backups during the run: median {backup_s:.2f} s, "
        f"min {min(durations, default=float('nan')):.2f} s, max {max(durations, default=float('nan')):.2f} s; "
        f"a plain copy of the file: {copy_s:.2f} s ({backup_s / copy_s:.1f}×, the copy being unchecked and "
        f"unsafe while the bot writes)"
    )
    p99_idle, p99_during = percentile(idle.final_ms, 99), percentile(during.final_ms, 99)
    print(f"p99 during backups / idle: {p99_during / p99_idle:.2f}× (DESIGN.md: at most 2×)")
    print(json.dumps({"backups": durations}) if len(durations) < 50 else "")
    print(f"backup_s={backup_s:.2f} p99_ms_during={p99_during:.1f} p99_ms_idle={p99_idle:.1f}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
