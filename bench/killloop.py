"""Kill loop: 100 SIGKILLs of the bot at random points of 50-channel fan-outs, restarting it each time.

Run: .venv/bin/python bench/killloop.py [--kills 100] [--seed 1]

Each round, a coordinator declares an incident (status message, thread, 50 announcements) and updates it with a
note and a new workaround (thread post, 50 announcement edits, 50 news messages). While that round's messages are
not all on Discord, the bot is SIGKILLed at a random moment, started again, and killed again a random moment after
it talks to a channel again. Then a new round. At the end every round is checked at the double: each channel has
its announcement (edited) and its news message exactly once, the thread its post exactly once, #incidents one
status message per incident and one thread each.

Last line: kills=<n> lost=<n> duplicated=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess, settle  # noqa: E402
from tests.e2e.fanout_support import (  # noqa: E402
    announced,
    build_fanout_server,
    configure_fanout,
    declare,
    holding,
    incident_threads,
    news,
    restart_until_it_sends,
    round_complete,
    route_channels,
    tally,
    text_of,
    update,
)

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


async def main(kills_wanted: int, seed: int) -> None:
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-killloop-"))
    started = time.monotonic()
    async with DiscordDouble(now=NOW) as double:
        server = build_fanout_server(double, 50)
        channels = route_channels(server)
        process = BotProcess(double, workdir, guild_id=server.guild_id)
        await process.start()
        kills, rounds = 0, 0
        per_round: list[int] = []
        try:
            await configure_fanout(double, server)
            while kills < kills_wanted:
                rounds += 1
                number, title = rounds, f"Coupure r{rounds}"
                await declare(double, server, title)
                ix = await update(
                    double, server, number, {"note": f"Point r{number}", "workaround": f"Consigne r{number}"}
                )
                await ix.reply(timeout=20)
                await asyncio.sleep(rng.uniform(0.0, 1.5))
                in_round = 0
                while not round_complete(double, server, channels, number) and kills < kills_wanted:
                    process.kill()
                    kills += 1
                    in_round += 1
                    await process.wait_exit()
                    await restart_until_it_sends(double, process)
                    await asyncio.sleep(rng.uniform(0.0, 0.6))
                per_round.append(in_round)
                if process.process is None or process.process.returncode is not None:
                    await process.start()
                await double.wait_until_ready(timeout=30)
                await double.wait_for(lambda: round_complete(double, server, channels, number), timeout=60)  # noqa: B023
                await settle(double, server, timeout=60)
                elapsed = time.monotonic() - started
                print(f"round {rounds}: {in_round} kills, {kills} in all, {elapsed:.0f} s", flush=True)
        finally:
            await process.stop()

        lost = duplicated = 0
        rows = []
        for number in range(1, rounds + 1):
            title = f"Coupure r{number}"
            a = tally(double, channels, announced(title, number))
            n = tally(double, channels, news(title, number))
            not_edited = sum(
                1
                for c in channels
                for m in double.channel_messages(c)
                if announced(title, number) in m["content"] and f"Consigne r{number}" not in text_of(m)
            )
            threads = incident_threads(double, server, number)
            posts = holding(double, int(threads[0]["id"]), f"Point r{number}") if threads else 0
            heading = f"#{number} · {title}"  # "Coupure r1" alone is also in "Coupure r10"
            statuses = sum(
                1
                for m in double.channel_messages(server.channels["incidents"])
                if any(e.get("title", "").endswith(heading) for e in m.get("embeds", []))
            )
            round_lost = len(a.lost) + len(n.lost) + not_edited + (posts == 0) + (not threads) + (statuses == 0)
            round_dup = len(a.duplicated) + len(n.duplicated) + max(0, posts - 1) + max(0, len(threads) - 1)
            round_dup += max(0, statuses - 1)
            lost += round_lost
            duplicated += round_dup
            rows.append((number, per_round[number - 1], round_lost, round_dup))

    print(f"{'round':>5} {'kills':>5} {'lost':>5} {'dup':>5}")
    for row in rows:
        print(f"{row[0]:>5} {row[1]:>5} {row[2]:>5} {row[3]:>5}")
    elapsed = time.monotonic() - started
    print(f"{rounds} fan-outs of 50 channels (declare + update: 155 channel requests each) in {elapsed:.0f} s")
    print(f"kills={kills} lost={lost} duplicated={duplicated}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.kills, args.seed))
