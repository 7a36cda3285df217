"""Benchmark of the public pages: the server's page kept in memory against the same page rendered on every request,
the 304 path, the server's Atom feed (kept as the pages are), and commands while the page is under load.

Run: .venv/bin/python bench/web.py [--incidents 100000] [--updates 300000] [--public 1000] [--seconds 10]

1. Seeds a database (bench/commands.py's seed: the project's migrations, then plain SQL) with 100,000 incidents of
   one server, and opens that server's public page with its 1,000 most recent incidents that are not cancelled
   made public (all of them on the page: open ones and those resolved in the last 90 days).
2. In this process, one core: two public sites on the same database, one keeping pages (`RenderedCache`), one
   rendering on every request (`RenderedCache(enabled=False)`), same routes, same headers, no request limit.
   The load generator is Debian's `wrk` when installed (`apt-get install wrk`), else a pool of aiohttp clients in
   a process of its own (`--load`); it measures each site in turn for the same duration, 10 connections (4 for
   the page rendered every time: more would only queue), asking for gzip as browsers do: the page (and once
   without gzip), the page with the ETag it was given (304), and the server's Atom feed (`/<name>/feed.atom`).
3. The bot as its own `python -m bot run` process on that database with the Discord double, TOCSIN_WEB_ADDRESS set
   and the request limit off (TOCSIN_WEB_RATE=0, as a proxy in front would be trusted): `/outage update` N times
   on open incidents without web load, then N times while the load generator requests the server's page as fast
   as it can. A command's time is taken at the double, from the interaction's dispatch to its final reply.

The last line is machine-readable:
page_rps=<n> page_p99_ms=<ms> uncached_rps=<n> not_modified_rps=<n> feed_p99_ms=<ms> command_p99_ms=<ms>
(command_p99_ms: whole `/outage update` under page load; feed_p99_ms: the Atom feed, kept, under the same load.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.commands import NOW, percentile, seed, timing  # noqa: E402
from bot.common.i18n import default_catalogue  # noqa: E402
from bot.public.presentation import PublicPresenter  # noqa: E402
from bot.public.use_cases import PublicPages  # noqa: E402
from bot.sandbox import DiscordDouble  # noqa: E402
from bot.sandbox.driver import BotProcess, Server, build_grand_ouest, configure_by_commands  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from bot.storage.times import to_db_time  # noqa: E402
from bot.web.cache import RenderedCache  # noqa: E402
from bot.web.public import serve_public  # noqa: E402
from bot.web.server import Site  # noqa: E402

SLUG = "grand-ouest"
CONNECTIONS = 10  # clients at once: more only queue behind one core (p99 grows with the queue, not the work)
UNCACHED_CONNECTIONS = 4  # a page rendered each time takes long: more connections would only queue
GZIP = {"Accept-Encoding": "gzip"}  # as browsers and proxies ask


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_public_page(path: Path, guild_id: int, public: int) -> int:
    """The server's page, on, with its `public` most recent incidents that are not cancelled made public."""
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO public_pages (guild_id, enabled, slug, name, default_public, updated_at) "
        "VALUES (?, 1, ?, ?, 0, ?)",
        (guild_id, SLUG, "Coordination Grand Ouest", to_db_time(NOW)),
    )
    conn.execute(
        "INSERT OR REPLACE INTO incident_visibility (incident_id, public, set_at) SELECT id, 1, ? FROM incidents "
        "WHERE guild_id = ? AND status != 'cancelled' ORDER BY number DESC LIMIT ?",
        (to_db_time(NOW), guild_id, public),
    )
    conn.commit()
    open_numbers = [
        row[0]
        for row in conn.execute(
            "SELECT number FROM incidents WHERE guild_id = ? AND status NOT IN ('resolved', 'cancelled')", (guild_id,)
        )
    ]
    conn.close()
    return len(open_numbers)


# --- the load generator ------------------------------------------------------------------------------------------


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """Requests as fast as `connections` clients can for `seconds`: requests/s, p99 in ms, and the statuses."""
    if shutil.which("wrk"):
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        process = await asyncio.create_subprocess_exec(*command, url, stdout=asyncio.subprocess.PIPE)
        out = (await process.communicate())[0].decode()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
        p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])  # type: ignore[index]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"rps": rps, "p99_ms": p99, "bad": float(errors[1]) if errors else 0.0, "tool": 0.0}
    arguments = json.dumps({"url": url, "seconds": seconds, "connections": connections, "headers": headers})
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--load", arguments, stdout=asyncio.subprocess.PIPE
    )
    return dict(json.loads((await process.communicate())[0]), tool=1.0)


async def client_pool(url: str, seconds: float, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """The load generator when wrk is not installed: aiohttp clients in this process of their own."""
    latencies: list[float] = []
    bad = 0
    end = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal bad
        while time.monotonic() < end:
            started = time.monotonic()
            async with session.get(url, headers=headers) as response:
                await response.read()
                bad += response.status >= 400
            latencies.append((time.monotonic() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    return {"rps": len(latencies) / seconds, "p99_ms": percentile(latencies, 99), "bad": float(bad)}


# --- the two sites, side by side ---------------------------------------------------------------------------------


async def sites_side_by_side(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()

    def clock() -> datetime:  # the seeded data's time, moving as time passes (pages are rendered again at 15 s)
        return NOW + timedelta(seconds=time.monotonic() - started)

    store = await Store.open(path)
    pages = PublicPages(store, type("Clock", (), {"now": staticmethod(clock)})())  # type: ignore[arg-type]
    presenter = PublicPresenter(default_catalogue(), ZoneInfo("Europe/Paris"))
    sites: dict[str, str] = {}
    serving: list[Site] = []
    for name, enabled in (("cached", True), ("uncached", False)):
        site = Site(f"public-{name}", ("127.0.0.1", 0))
        serve_public(site, pages, presenter, "fr", cache=RenderedCache(clock, enabled=enabled), limit=None)
        assert await site.start()
        serving.append(site)
        sites[name] = f"http://127.0.0.1:{site.port}"
    found: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{sites['cached']}/{SLUG}") as response:
                body = await response.read()
                etag = response.headers["ETag"]
            found["page_kib"] = len(body) / 1024
            found["listed"] = body.count(b"<h3>")
            async with session.get(f"{sites['cached']}/{SLUG}{args.feed_path}") as response:
                kind = response.headers.get("Content-Type", "")
                if response.status != 200 or not kind.startswith("application/atom+xml"):
                    raise SystemExit(f"the feed {args.feed_path} answered {response.status} {kind}: nothing to measure")
                found["feed_entries"] = len(re.findall(rb"<(?:\w+:)?entry[ >]", await response.read()))
        seconds = args.seconds
        page = f"{sites['cached']}/{SLUG}"
        found["page"] = await load(page, seconds, CONNECTIONS, GZIP)
        found["identity"] = await load(page, seconds, CONNECTIONS, {})
        found["uncached"] = await load(f"{sites['uncached']}/{SLUG}", seconds, UNCACHED_CONNECTIONS, GZIP)
        found["not_modified"] = await load(page, seconds, CONNECTIONS, {**GZIP, "If-None-Match": etag})
        found["feed"] = await load(f"{page}{args.feed_path}", seconds, CONNECTIONS, GZIP)
    finally:
        for site in serving:
            await site.stop()
        await store.close()
    return found


# --- commands while the page is under load -----------------------------------------------------------------------


async def commands_under_load(workdir: Path, server: Server, double: DiscordDouble, args: argparse.Namespace) -> Any:
    port = free_port()
    bot = BotProcess(double, workdir, guild_id=server.guild_id, log_level="WARNING")
    bot.extra_env |= {"TOCSIN_WEB_ADDRESS": f"127.0.0.1:{port}", "TOCSIN_WEB_RATE": "0"}
    await bot.start()
    try:
        await configure_by_commands(double, server)
        incidents, anne = server.channels["incidents"], server.members["coord.anne"]
        conn = sqlite3.connect(workdir / "tocsin.db")
        open_numbers = [
            int(row[0])
            for row in conn.execute(
                "SELECT number FROM incidents WHERE guild_id = ? AND status NOT IN ('resolved', 'cancelled') "
                "ORDER BY number DESC",
                (server.guild_id,),
            )
        ]
        conn.close()
        counter = iter(range(10**6))

        async def updates(n: int) -> list[float]:
            finals = []
            for _ in range(n):
                i = next(counter)
                options = {"incident": open_numbers[i % len(open_numbers)], "note": f"Point n°{i} : reprise en cours."}
                handle = await double.run_command(anne, incidents, "outage update", options)
                await handle.reply(timeout=30)
                finals.append(timing(double, handle)[1])
            return finals

        await updates(5)  # warm-up
        quiet = await updates(args.n)
        page = f"http://127.0.0.1:{port}/{SLUG}"
        async with aiohttp.ClientSession() as session, session.get(page) as response:
            assert response.status == 200, response.status
        loading = asyncio.ensure_future(load(page, args.seconds * 6, CONNECTIONS, GZIP))
        await asyncio.sleep(1)  # the load's ramp, not a wait for the bot
        loaded = await updates(args.n)
        web = await loading
        return quiet, loaded, web
    finally:
        await bot.stop()


def show(name: str, figures: dict[str, float] | None) -> str:
    if figures is None:
        return f"{name:<34} n/a"
    return f"{name:<34} {figures['rps']:9.0f} req/s   p99 {figures['p99_ms']:8.2f} ms   errors {figures['bad']:.0f}"


async def main(args: argparse.Namespace) -> int:
    tool = "wrk" if shutil.which("wrk") else "an aiohttp client pool (wrk is not installed)"
    with tempfile.TemporaryDirectory(prefix="tocsin-web-") as folder:
        workdir = Path(folder)
        async with DiscordDouble(now=NOW) as double:
            server = build_grand_ouest(double)
            store = await Store.open(workdir / "tocsin.db")
            await store.migrate()
            await store.close()
            coordinators = [server.members["coord.anne"], server.members["coord.yann"]]
            seconds = seed(workdir / "tocsin.db", server.guild_id, coordinators, args.incidents, args.updates)
            open_count = open_public_page(workdir / "tocsin.db", server.guild_id, args.public)
            print(f"seeded {args.incidents:,} incidents, {args.updates:,} updates in {seconds:.0f} s")
            side = await sites_side_by_side(workdir / "tocsin.db", args)
            print(f"the server's page: {side['page_kib']:.0f} KiB, {side['listed']} incidents listed; load by {tool}")
            print(show("page, kept in memory (gzip)", side["page"]))
            print(show("page, kept in memory (identity)", side["identity"]))
            print(show("page, rendered on every request", side["uncached"]))
            print(show("page, 304 (If-None-Match)", side["not_modified"]))
            print(show(f"Atom feed ({side['feed_entries']} entries)", side["feed"]))
            quiet, loaded, web = await commands_under_load(workdir, server, double, args)
            print(f"/outage update on {open_count} open incidents, whole command (dispatch to final reply):")
            print(f"  without web load   p50 {percentile(quiet, 50):7.1f} ms  p99 {percentile(quiet, 99):7.1f} ms")
            print(f"  page under load    p50 {percentile(loaded, 50):7.1f} ms  p99 {percentile(loaded, 99):7.1f} ms")
            print(show("the bot's page meanwhile", web))
    print(
        f"page_rps={side['page']['rps']:.0f} page_p99_ms={side['page']['p99_ms']:.2f} "
        f"uncached_rps={side['uncached']['rps']:.1f} not_modified_rps={side['not_modified']['rps']:.0f} "
        f"feed_p99_ms={side['feed']['p99_ms']:.2f} command_p99_ms={percentile(loaded, 99):.1f}"
    )
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=300_000)
    parser.add_argument("--public", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10, help="each load's duration")
    parser.add_argument("--n", type=int, default=100, help="commands measured, with and without web load")
    parser.add_argument("--feed-path", default="/feed.atom", help="the server's Atom feed, after /<name>")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the client pool's own process
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    if arguments.load:
        spec: dict[str, Any] = json.loads(arguments.load)
        pool: Callable[..., Any] = client_pool
        print(json.dumps(asyncio.run(pool(spec["url"], spec["seconds"], spec["connections"], spec["headers"]))))
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
