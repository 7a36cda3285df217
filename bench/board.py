"""Board benchmark: 200 open incidents, 20 boards, 1,000 updates within one simulated minute, through the double
with Discord's limits on.

Run: .venv/bin/python bench/board.py [--updates 1000] [--rate 25]

1. The double and the bot as its own process. admin.sophie sets the incident channel (a forum) and the coordinators'
   role (no route: the load is the incidents' own posts and the boards), and 20 boards, each in its own channel and
   restricted to one département. Forty coordinators declare 200 incidents (ten per département, severities mixed);
   this set-up runs with the double's limits raised so it takes seconds, and they are put back before measuring.
2. Measured: 1,000 `/outage update`s, each giving one incident a new workaround (which its board shows), the
   incidents in turn, while the simulated clock moves one minute in all (60 ms per update). Commands go out one at a
   time as fast as the bot answers, at most `--rate` per second of real time (the default is more than it answers):
   each update also posts in its thread and edits its status message, more than the bot's 45 requests per second
   once the boards' edits are added, so a queue of posts builds up; a board's edit goes ahead of that queue (it is
   bounded: one a second per board) and what changed meanwhile collapses into it.
3. Read from the double's request log, per board: its edits (PATCH of its message that Discord accepted), the
   shortest interval between two of them, and its lag: from the reply to the last update it shows to its last
   edit. Every board is then checked to show the last workaround of each of its incidents.
4. Baseline, same run: the edits a bot editing a board on every change would have sent (one per update, since
   each update changes exactly one board); the figure is the ratio of edits sent to that.

Last line: board_edits_sent=<n> board_max_lag_s=<s> http_429=<n> (the line before it: the ratio, the shortest
interval between two edits of one board, and whether every board ended right).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.common import territories  # noqa: E402
from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess, Server, build_grand_ouest, settle  # noqa: E402

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
INCIDENTS = 200
BOARDS = 20
DECLARERS = 40
EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"
SEVERITIES = ("critical", "major", "minor", "major")


def board_messages(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return [
        m
        for m in double.channel_messages(channel)
        if m["author"]["id"] == str(double.bot_user_id) and m.get("embeds") and m["embeds"][0]["title"].startswith("📋")
    ]


def board_text(double: DiscordDouble, channel: int) -> str:
    found = board_messages(double, channel)
    if len(found) != 1:
        return ""
    return "\n".join(str(e.get("description", "")) for e in found[0]["embeds"])


async def command(
    double: DiscordDouble, server: Server, who: str, where: str, name: str, options: dict[str, Any]
) -> None:
    ix = await double.run_command(server.members[who], server.channels[where], name, options)
    await ix.reply(timeout=30)


async def set_up(double: DiscordDouble, server: Server, departements: list[str], boards: dict[str, int]) -> None:
    admin = ("admin.sophie", "journal-bot")
    await command(double, server, *admin, "setup incident-channel", {"channel": server.channels["forum"]})
    await command(double, server, *admin, "setup coordinator-role", {"role": server.roles["coordination"]})
    for code in departements:
        await command(double, server, *admin, "setup board", {"channel": boards[code], "territory": code})
    for n in range(1, INCIDENTS + 1):
        options = {
            "title": f"Panne du grossiste {n}",
            "organisation": f"Grossiste {n}",
            "sector": "pharmacie",
            "territories": departements[(n - 1) % BOARDS],
            "severity": SEVERITIES[n % len(SEVERITIES)],
            "services": "commandes, livraisons",
            "workaround": "Consignes initiales",
        }
        # Declarations have a cooldown of five a minute per person: forty coordinators share them.
        await command(double, server, f"coord.{n % DECLARERS:02d}", "incidents", "outage declare", options)


async def run(workdir: Path, updates: int, rate: float) -> dict[str, Any]:
    async with DiscordDouble(now=NOW) as double:
        server = build_grand_ouest(double)
        guild = double.guild(server.guild_id)
        # Départements whose code is no région's ("01" typed alone is the région Guadeloupe).
        regions = {t.code for t in territories.regions()}
        departements = [
            t.ref for t in territories.all_territories() if t.kind == "departement" and t.code not in regions
        ][:BOARDS]
        boards = {code: guild.add_text_channel(f"tableau-{code}") for code in departements}
        # A forum holds the incidents: 200 declarations are 200 forum posts, not 200 messages in one channel
        # (5 per 5 s), so the set-up takes seconds.
        server.channels["forum"] = guild.add_forum_channel("incidents-forum")
        for n in range(DECLARERS):
            server.members[f"coord.{n:02d}"] = guild.add_member(f"coord.{n:02d}", roles=[server.roles["coordination"]])
        process = BotProcess(double, workdir, guild_id=server.guild_id, log_level="WARNING")
        await process.start()
        try:
            double.set_global_limit(100_000)
            double.set_channel_limit(messages=100_000, window_s=1.0)
            await set_up(double, server, departements, boards)
            await settle(double, server, timeout=300)
            double.set_global_limit(50)
            double.set_channel_limit(messages=5, window_s=5.0)
            await asyncio.sleep(1.1)  # the boards' last set-up edits out of the measured second

            since = len(double.requests)
            last_change: dict[str, float] = {}
            wanted: dict[int, str] = {}
            step = timedelta(minutes=1) / updates
            started = time.monotonic()
            for k in range(updates):
                number = k % INCIDENTS + 1
                workaround = f"Consignes {k + 1}"
                await command(
                    double,
                    server,
                    "coord.anne",
                    "incidents",
                    "outage update",
                    {"incident": number, "workaround": workaround},
                )
                last_change[departements[(number - 1) % BOARDS]] = time.monotonic()
                wanted[number] = workaround
                await double.advance(step)
                pause = started + (k + 1) / rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
            await settle(double, server, timeout=300)

            measured = double.requests[since:]
            right = all(
                re.search(
                    rf"📌 Consignes : {re.escape(w)}(?!\d)", board_text(double, boards[departements[(n - 1) % BOARDS]])
                )
                for n, w in wanted.items()
            )
            sent = 0
            shortest = float("inf")
            max_lag = 0.0
            for code, channel in boards.items():
                ids = {m["id"] for m in board_messages(double, channel)}
                times = sorted(
                    r.monotonic
                    for r in measured
                    if r.method == "PATCH"
                    and r.route == EDIT_ROUTE
                    and r.status == 200
                    and r.path.split("/")[-1] in ids
                )
                sent += len(times)
                shortest = min([shortest, *(b - a for a, b in itertools.pairwise(times))])
                if times and code in last_change:
                    max_lag = max(max_lag, times[-1] - last_change[code])
            return {
                "sent": sent,
                "naive": updates,
                "max_lag": max_lag,
                "shortest": shortest,
                "http_429": sum(1 for r in measured if r.status == 429),
                "right": right,
                "real_s": time.monotonic() - started,
            }
        finally:
            await process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0, help="at most this many updates per second of real time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        figures = asyncio.run(run(Path(workdir), args.updates, args.rate))
    print(
        f"{args.updates} updates over one simulated minute, {figures['real_s']:.1f} s of real time, {BOARDS} boards, "
        f"{INCIDENTS} incidents"
    )
    print(
        f"edits_ratio={figures['sent'] / figures['naive']:.3f} (edits sent / one per change) "
        f"board_min_interval_s={figures['shortest']:.3f} boards_right={figures['right']}"
    )
    print(f"board_edits_sent={figures['sent']} board_max_lag_s={figures['max_lag']:.2f} http_429={figures['http_429']}")


if __name__ == "__main__":
    main()
