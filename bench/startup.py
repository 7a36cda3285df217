"""Start-up benchmark: ready time and resident memory with 10,000 pending reminders and 1,000 pending outbox rows.

Run: .venv/bin/python bench/startup.py [--reminders 10000] [--outbox 1000] [--runs 3]

The database is built by the project's migrations (bot.storage.store.Store.migrate), then seeded with plain SQL:
10,000 pending reminders spread over the next 30 days (a tenth of them DMs, the rest in channels of the double),
and 1,000 pending `send_message` outbox rows spread over 50 channels that exist in the double. The bot then starts
as its own `python -m bot run` process against the double.

ready_s: from spawning the process to the moment the double holds the bot's guild commands (this run's sync) and
a gateway session of this process that received its guilds — both as the double sees them.
rss_mb: VmRSS of the process (/proc/<pid>/status) right after ready, and again 3 s later (the outbox busy).

Last line: ready_s=<x> rss_mb=<y> (medians over the runs; rss the larger of the two readings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from bot.storage.times import to_db_time  # noqa: E402
from tests.e2e.fanout_support import build_fanout_server, route_channels  # noqa: E402

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


async def seed(path: Path, guild_id: int, channels: list[int], members: list[int], reminders: int, rows: int) -> None:
    store = await Store.open(path)
    try:
        await store.migrate()
    finally:
        await store.close()
    stamp = to_db_time(NOW)
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO reminders (guild_id, owner_id, due_at, text, place, channel_id, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            [
                (
                    guild_id,
                    members[n % len(members)],
                    to_db_time(NOW + timedelta(minutes=5 + (n * 4321) % (30 * 24 * 60))),
                    f"Rappel {n} : rappeler le fournisseur",
                    "dm" if n % 10 == 0 else "here",
                    None if n % 10 == 0 else channels[n % len(channels)],
                    stamp,
                )
                for n in range(reminders)
            ],
        )
        db.executemany(
            "INSERT INTO outbox (guild_id, lane, kind, payload, status, attempts, created_at, updated_at) "
            "VALUES (?, ?, 'send_message', ?, 'pending', 0, ?, ?)",
            [
                (
                    guild_id,
                    f"channel:{channels[n % len(channels)]}",
                    json.dumps(
                        {
                            "channel_id": channels[n % len(channels)],
                            "content": f"Message en attente {n}",
                            "allowed_mentions": {"parse": [], "users": [], "roles": []},
                        }
                    ),
                    stamp,
                    stamp,
                )
                for n in range(rows)
            ],
        )
    db.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(reminders: int, rows: int) -> tuple[float, float, float, int]:
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-startup-"))
    async with DiscordDouble(now=NOW) as double:
        server = build_fanout_server(double, 50)
        guild = double.guild(server.guild_id)
        members = [guild.add_member(f"membre.{n:03d}") for n in range(100)]
        await seed(workdir / "tocsin.db", server.guild_id, route_channels(server), members, reminders, rows)
        process = BotProcess(double, workdir, guild_id=server.guild_id)
        since = len(double.requests)
        sessions = double.identified_sessions
        started = time.monotonic()
        await process.start(wait_ready=False)

        def ready() -> bool:
            synced = any(
                r.method == "PUT" and "/commands" in r.path and r.status == 200 for r in double.requests[since:]
            )
            live = any(s.ready_done for s in list(double.hub.sessions.values())[sessions:])
            return synced and live

        await double.wait_for(ready, timeout=60, what="commands synced and the gateway ready")
        ready_s = time.monotonic() - started
        assert process.process is not None
        pid = process.process.pid
        rss_ready = rss_mb(pid)
        await asyncio.sleep(3.0)  # the outbox at work on its 1,000 rows
        rss_busy = rss_mb(pid)
        delivered = sum(
            1
            for r in double.requests[since:]
            if r.method == "POST" and r.route.endswith("/messages") and r.status == 200
        )
        await process.stop()
    return ready_s, rss_ready, rss_busy, delivered


async def main(reminders: int, rows: int, runs: int) -> None:
    results = [await one_run(reminders, rows) for _ in range(runs)]
    print(f"{'run':>3} {'ready s':>8} {'rss ready MB':>13} {'rss +3 s MB':>12} {'sent in 3 s':>12}")
    for n, (ready_s, rss_ready, rss_busy, delivered) in enumerate(results, 1):
        print(f"{n:>3} {ready_s:>8.3f} {rss_ready:>13.1f} {rss_busy:>12.1f} {delivered:>12}")
    ready = statistics.median(r[0] for r in results)
    rss = statistics.median(max(r[1], r[2]) for r in results)
    print(f"({reminders} pending reminders, {rows} pending outbox rows)")
    print(f"ready_s={ready:.2f} rss_mb={rss:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--outbox", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.reminders, args.outbox, args.runs))
