"""Fan-out benchmark: one incident matching 50 channels, through the Discord double with its limits on.

Run: .venv/bin/python bench/fanout.py

1. The double (50 requests/s global, 5 messages per 5 s per channel) and the bot as its own process; admin.sophie
   adds 50 routes through /setup (each matches every incident), 50 members follow incident #1 with DMs on.
2. Phase "declare": /outage declare → status message, its thread, 50 announcements.
   Phase "update": /outage update with a note and a new workaround → thread post, status edit, 50 announcement
   edits, 50 news messages, and one opt-in DM per follower.
3. Each phase's time runs from its first to its last successful bot request in the double's request log; its
   floor is the schedule the double's limits allow for exactly those requests, in the bot's order
   (tests/e2e/fanout_support.floor_seconds). 429s, lost and duplicated messages come from the double.
4. DMs, read from the times the DM messages reached the double, against the configured TOCSIN_DM_RATE:
   - pace: DMs per second over the DMs sent once the update's channel fan-out was over. Until then the DMs share
     the bot's global budget (first come, first served) with the 100-odd channel requests of the same update and
     wait behind them; that wait is the fan-out's, not the DM pace's, so it is left out (and shown apart);
   - peak: the fastest pace over any run of consecutive DMs one second's worth long (TOCSIN_DM_RATE of them):
     a burst (several DMs at once after a wait) shows here, wherever it happens;
   - overall: DMs per second from the first DM request (opening a DM channel) to the last DM message, wait
     behind the fan-out included.
5. Beside it, a naive discord.py client against a second double sends the same announcements, news messages,
   edits and DMs with asyncio.gather; its 429s and lost messages are read from that double.

Last line: fanout_ratio=<time/floor> 429s=<n> lost=<n> duplicated=<n> dm_pace_ratio=<pace/configured>
dm_peak_ratio=<peak/configured> naive_429s=<n> naive_lost=<n>
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from discord.http import Route  # noqa: E402

from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess, Server, settle  # noqa: E402
from tests.e2e.fanout_support import (  # noqa: E402
    MESSAGE_ROUTE,
    build_fanout_server,
    configure_fanout,
    declare,
    floor_seconds,
    holding,
    incident_thread,
    route_channels,
    tally,
    text_of,
    update,
    wait_announced,
)

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
CHANNELS = 50
FOLLOWERS = 50
DM_RATE = 5.0
TITLE = "Panne du répartiteur"
GLOBAL_PER_S, PER_CHANNEL, WINDOW_S = 50, 5, 5.0


@dataclass
class Phase:
    name: str
    requests: int
    time_s: float
    floor_s: float
    r429: int

    @property
    def ratio(self) -> float:
        return self.time_s / self.floor_s if self.floor_s else float("nan")


def rest(double: DiscordDouble, since: int) -> list[Any]:
    """The bot's REST requests (interaction responses excluded: they are not rate-limited) from `since`."""
    return [
        r
        for r in double.requests[since:]
        if r.bot and (r.route.startswith(("/channels/", "/guilds/")) or r.route == "/users/@me/channels")
    ]


def is_dm(double: DiscordDouble, record: Any) -> bool:
    if record.route == "/users/@me/channels":
        return True
    if record.route != MESSAGE_ROUTE or record.major_id is None:
        return False
    return double.channel(int(record.major_id)).get("type") == 1


def measure(double: DiscordDouble, name: str, records: list[Any]) -> Phase:
    ok = [r for r in records if 200 <= r.status < 300]
    if not ok:
        return Phase(name, 0, 0.0, 0.0, 0)
    floor = floor_seconds(
        [(r.major_id, r.method == "POST" and r.route == MESSAGE_ROUTE) for r in ok],
        global_per_s=GLOBAL_PER_S,
        per_channel=PER_CHANNEL,
        window_s=WINDOW_S,
    )
    return Phase(name, len(ok), ok[-1].monotonic - ok[0].monotonic, floor, sum(1 for r in records if r.status == 429))


async def run_tocsin(workdir: Path) -> tuple[list[Phase], dict[str, Any], dict[str, list[dict[str, Any]]]]:
    async with DiscordDouble(now=NOW) as double:
        server = build_fanout_server(double, CHANNELS)
        guild = double.guild(server.guild_id)
        followers = [guild.add_member(f"membre.{n:02d}", locale="fr") for n in range(1, FOLLOWERS + 1)]
        process = BotProcess(double, workdir, guild_id=server.guild_id)
        process.extra_env["TOCSIN_DM_RATE"] = str(DM_RATE)
        await process.start()
        try:
            await configure_fanout(double, server)
            channels = route_channels(server)

            since = len(double.requests)
            await declare(double, server, TITLE)
            await wait_announced(double, channels, f"Panne en cours : #1 · {TITLE}", timeout=60)
            await settle(double, server, timeout=60)
            declared = measure(double, "declare: status, thread, 50 announcements", rest(double, since))

            for member in followers:
                ix = await double.run_command(
                    member, server.channels["incidents"], "follow", {"incident": "1", "dm": True}
                )
                await ix.reply(timeout=20)
            await settle(double, server, timeout=120)

            since = len(double.requests)
            ix = await update(double, server, 1, {"note": "Point de 14 h", "workaround": "Commander par fax"})
            await ix.reply(timeout=20)
            news = f"Nouvelles consignes (v2) pour #1 · {TITLE}"
            await wait_announced(double, channels, news, timeout=60)
            await settle(double, server, timeout=120)
            records = rest(double, since)
            channel_records = [r for r in records if not is_dm(double, r)]
            dm_records = [r for r in records if is_dm(double, r)]
            updated = measure(double, "update: post, edits, 50 news", channel_records)
            dms = measure(double, "50 opt-in DMs", dm_records)

            thread = await incident_thread(double, server, 1)
            announcements = tally(double, channels, f"Panne en cours : #1 · {TITLE}")
            news_tally = tally(double, channels, news)
            edited = sum(
                1
                for c in channels
                for m in double.channel_messages(c)
                if f"Panne en cours : #1 · {TITLE}" in m["content"] and "Commander par fax" in text_of(m)
            )
            dm_counts = [sum(1 for m in double.dms(u) if "Point de 14 h" in text_of(m)) for u in followers]
            dm_posts = sorted(r.monotonic for r in dm_records if r.route == MESSAGE_ROUTE and 200 <= r.status < 300)
            dm_start = min((r.monotonic for r in dm_records), default=0.0)
            fanout_end = max((r.monotonic for r in channel_records if 200 <= r.status < 300), default=0.0)
            overall = per_second(len(dm_posts) - 1, dm_posts[-1] - dm_start) if dm_posts else 0.0
            steady = [t for t in dm_posts if t >= fanout_end]
            steady = steady if len(steady) > 1 else dm_posts
            pace = per_second(len(steady) - 1, steady[-1] - steady[0]) if len(steady) > 1 else 0.0
            run = max(1, round(DM_RATE))
            peak = max(
                (per_second(run, dm_posts[i + run] - dm_posts[i]) for i in range(len(dm_posts) - run)), default=0.0
            )
            facts = {
                "lost": len(announcements.lost)
                + len(news_tally.lost)
                + (CHANNELS - edited)
                + (1 - min(1, holding(double, thread, "Point de 14 h")))
                + sum(1 for n in dm_counts if n == 0),
                "duplicated": len(announcements.duplicated)
                + len(news_tally.duplicated)
                + max(0, holding(double, thread, "Point de 14 h") - 1)
                + sum(1 for n in dm_counts if n > 1),
                "dms": sum(1 for n in dm_counts if n >= 1),
                "dm_pace": pace,
                "dm_steady": len(steady),
                "dm_peak": peak,
                "dm_overall": overall,
                "dm_waited": (steady[0] - dm_start) if steady else 0.0,
                "dm_requests": len([r for r in dm_records if 200 <= r.status < 300]),
            }
            payloads = {
                "announcements": [
                    m for c in channels for m in double.channel_messages(c) if "Panne en cours" in m["content"]
                ],
                "news": [m for c in channels for m in double.channel_messages(c) if news in m["content"]],
                "dm": [m for m in double.dms(followers[0]) if "Point de 14 h" in text_of(m)],
            }
        finally:
            await process.stop()
    return [declared, updated, dms], facts, payloads


def per_second(gaps: int, seconds: float) -> float:
    return gaps / seconds if seconds > 0 else float("inf")


def body_of(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": message.get("content") or "",
        "embeds": message.get("embeds", []),
        "allowed_mentions": {"parse": []},
    }


async def run_naive(payloads: dict[str, list[dict[str, Any]]]) -> tuple[int, int, float]:
    """A naive discord.py client: the same messages, all at once with asyncio.gather."""
    async with DiscordDouble(now=NOW) as double:
        server: Server = build_fanout_server(double, CHANNELS)
        guild = double.guild(server.guild_id)
        followers = [guild.add_member(f"membre.{n:02d}", locale="fr") for n in range(1, FOLLOWERS + 1)]
        channels = route_channels(server)
        Route.BASE = double.api_base
        client = discord.Client(intents=discord.Intents.none())
        await client.login(double.token)
        since = len(double.requests)
        started = time.monotonic()
        try:

            async def send(channel: int, body: dict[str, Any]) -> dict[str, Any] | None:
                route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
                try:
                    return await client.http.request(route, json=body)
                except discord.HTTPException:
                    return None

            async def edit(channel: int, message_id: str, body: dict[str, Any]) -> None:
                route = Route(
                    "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message_id
                )
                with contextlib.suppress(discord.HTTPException):
                    await client.http.request(route, json=body)

            async def dm(user: int, body: dict[str, Any]) -> None:
                try:
                    channel = await client.http.start_private_message(user)
                except discord.HTTPException:
                    return
                await send(int(channel["id"]), body)

            announcement = body_of(payloads["announcements"][0])
            sent = await asyncio.gather(*(send(c, announcement) for c in channels))
            news = body_of(payloads["news"][0])
            await asyncio.gather(
                *(send(c, news) for c in channels),
                *(edit(c, s["id"], announcement) for c, s in zip(channels, sent, strict=True) if s is not None),
            )
            direct = body_of(payloads["dm"][0]) if payloads["dm"] else {"content": "Point de 14 h"}
            await asyncio.gather(*(dm(u, direct) for u in followers))
        finally:
            await client.close()
        elapsed = time.monotonic() - started
        records = [r for r in double.requests[since:] if r.bot]
        r429 = sum(1 for r in records if r.status == 429)
        lost = sum(1 for c in channels if len(double.channel_messages(c)) < 2)
        lost += sum(1 for c in channels if len(double.channel_messages(c)) == 0)
        lost += sum(1 for u in followers if not double.dms(u))
    return r429, lost, elapsed


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-fanout-"))
    phases, facts, payloads = await run_tocsin(workdir)
    naive_429s, naive_lost, naive_s = await run_naive(payloads)

    print(f"{'phase':<44} {'requests':>8} {'time s':>8} {'floor s':>8} {'ratio':>6} {'429s':>5}")
    for p in phases:
        print(f"{p.name:<44} {p.requests:>8} {p.time_s:>8.3f} {p.floor_s:>8.3f} {p.ratio:>6.2f} {p.r429:>5}")
    channel_phases = phases[:2]
    time_s = sum(p.time_s for p in channel_phases)
    floor_s = sum(p.floor_s for p in channel_phases)
    ratio = time_s / floor_s if floor_s else float("nan")
    r429 = sum(p.r429 for p in phases)
    dm_ratio = facts["dm_pace"] / DM_RATE
    peak_ratio = facts["dm_peak"] / DM_RATE
    print(
        f"DMs: {facts['dms']}/{FOLLOWERS} delivered, {facts['dm_requests']} requests; TOCSIN_DM_RATE={DM_RATE}: "
        f"{facts['dm_pace']:.2f} DM/s over the {facts['dm_steady']} sent after the channel fan-out, "
        f"peak {facts['dm_peak']:.2f} DM/s over any {max(1, round(DM_RATE))} consecutive gaps, "
        f"{facts['dm_overall']:.2f} DM/s overall ({facts['dm_waited']:.2f} s behind the fan-out first)"
    )
    print(f"naive discord.py gather: {naive_s:.3f} s, {naive_429s} 429s, {naive_lost} lost")
    print(
        f"fanout_ratio={ratio:.2f} 429s={r429} lost={facts['lost']} duplicated={facts['duplicated']} "
        f"dm_pace_ratio={dm_ratio:.2f} dm_peak_ratio={peak_ratio:.2f} naive_429s={naive_429s} naive_lost={naive_lost}"
    )


if __name__ == "__main__":
    asyncio.run(main())
