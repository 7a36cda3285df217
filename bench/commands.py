"""Benchmark of Tocsin's commands on a big database, measured at the Discord double.

Run: .venv/bin/python bench/commands.py [--incidents 100000] [--updates 1000000] [--n 200] [--n-read 300]

1. Seeds a database (the project's migrations, then plain SQL `executemany` in big transactions) with
   100,000 incidents of one server — most resolved, some cancelled, ~1 % open; several sectors, territories and
   services each — and 1,000,000 timeline updates.
2. Starts the Discord double in this process and the bot as its own `python -m bot run` process on that
   database; admin.sophie configures the scenarios' server through /setup.
3. Drives, one interaction at a time, as members: `/outage declare` and `/outage update` (N each, by different
   coordinators), autocomplete of the incident option of `/outage update` and `/outage list` (N-read each).
4. Beside it, in the same run, a bare discord.py bot (a `discord.Client` with one slash command that answers at
   once) against a second double, measured the same way, for scale.

Every figure is taken at the double: from dispatching INTERACTION_CREATE (`Interaction.dispatched_at`) to the
first callback (`responses[0]["at"]`), and to the final reply (the callback itself when it is a message, else
the first edit of `@original` or follow-up after the deferral, from the double's request log). Loopback
included. Targets (DESIGN.md): first response p99 < 100 ms, declare p99 < 150 ms, autocomplete p95 < 20 ms.

What "a whole declare" is: from the command to the final private reply, which carries everything the bot
decided — the number, the times understood as Discord timestamps, the channels announced in — once it is
committed with every message it causes. It does not include Discord delivering those messages: declares sent
back to back all announce in #incidents, where Discord allows 5 messages per 5 s whatever the bot does, so the
200th thread exists ~200 s after the 1st. The reply therefore never waits for the thread: it names the incident
channel, and the outbox edits it with the thread's link once the thread exists. That link's arrival is measured
too, apart ("declare: link in reply", waited for up to --link-wait s after the reads): it shows Discord's pace,
not the bot's, and is not in the last line. The reads (autocomplete, list) run while the outbox is still
delivering those declares and updates.

Profiling: TOCSIN_BENCH_PROFILE=cprofile runs the bot under cProfile (written to bench/out/bot.prof, its top
functions printed at the end); TOCSIN_BENCH_PROFILE=py-spy records with py-spy if installed (bench/out/bot.svg).

The last line is machine-readable:
first_response_p99_ms=<a> declare_p99_ms=<b> autocomplete_p95_ms=<c> bare_roundtrip_ms=<d>
(first response: over every measured Tocsin command — declare, update, list; autocomplete is measured apart;
bare_roundtrip_ms: the bare bot's p99 reply.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.common.text import name_key  # noqa: E402
from bot.sandbox import DiscordDouble, InteractionHandle  # noqa: E402
from bot.sandbox.driver import BotProcess, Server, build_grand_ouest, configure_by_commands, pick  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from bot.storage.times import to_db_time  # noqa: E402

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
OUT = ROOT / "bench" / "out"

SECTORS = ["pharmacie", "librairie", "collectivité", "santé", "commerce", "transport"]
ORGANISATIONS = [
    "Cerp Bretagne Atlantique",
    "Octave",
    "Mairie d'Angoulême",
    "CHU de Brest",
    "Pollen",
    "GrandAngoulême",
    "Dilicom",
    "Keolis Rennes",
    "Enedis Ouest",
    "OCP Répartition",
    "Alliance Healthcare",
    "Région Occitanie",
]
WHAT = ["à l'arrêt", "panne de l'ERP", "rançongiciel", "téléphonie coupée", "site inaccessible", "saturation"]
SERVICES = [
    "commandes",
    "livraisons",
    "facturation",
    "téléphonie",
    "messagerie",
    "sites web",
    "expéditions",
    "préparation des commandes",
    "paiement en ligne",
    "prise de rendez-vous",
]
TERRITORIES = ["R53", "R52", "R75", "R76", "29", "35", "56", "22", "16", "17", "44", "31", "33", "FR"]
CAUSES = ["cyberattack_suspected", "cyberattack_confirmed", "technical_failure", "overload", "unknown"]
SEVERITIES = ["critical", "major", "minor"]


INCIDENT_COLUMNS = (
    "id, guild_id, number, title, organisation, description, impact, sector, severity, cause, status, started_at, "
    "declared_at, declared_by, owner_id, eta, next_update_at, next_update_by, workaround, workaround_version, "
    "workaround_set_at, workaround_set_by, affected_count, resolved_at, resolution_note, cancelled_at, "
    "cancelled_reason, duplicate_of, reopen_count, incident_channel_id, thread_row, status_message_row, "
    "follow_role_id, thread_archived_at, updated_at, version"
)

# --- seeding ---------------------------------------------------------------------------------------------------


def seed(path: Path, guild_id: int, coordinators: list[int], incidents: int, updates: int) -> float:
    """Fills the migrated database at `path`; returns the seconds it took."""
    started = time.monotonic()
    rng = random.Random(42)
    per_incident = max(1, updates // incidents)
    extra = updates - per_incident * incidents
    span = timedelta(days=3650)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    incident_rows: list[tuple[Any, ...]] = []
    territory_rows: list[tuple[Any, ...]] = []
    service_rows: list[tuple[Any, ...]] = []
    update_rows: list[tuple[Any, ...]] = []
    service_names: dict[str, str] = {}
    update_id = 0

    def flush() -> None:
        conn.executemany(f"INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ({','.join('?' * 36)})", incident_rows)
        conn.executemany(
            "INSERT INTO incident_territories (incident_id, territory, position) VALUES (?,?,?)", territory_rows
        )
        conn.executemany(
            "INSERT INTO incident_services (incident_id, key, name, state, since, affected_since, position) "
            "VALUES (?,?,?,?,?,?,?)",
            service_rows,
        )
        conn.executemany(
            "INSERT INTO updates (id, incident_id, kind, at, by, silent, details, thread_post_row) "
            "VALUES (?,?,?,?,?,?,?,?)",
            update_rows,
        )
        conn.commit()
        for rows in (incident_rows, territory_rows, service_rows, update_rows):
            rows.clear()

    for number in range(1, incidents + 1):
        start = NOW - span + span * (number / incidents) - timedelta(minutes=rng.randint(0, 600))
        declared = start + timedelta(minutes=rng.randint(5, 120))
        roll = rng.random()
        status = (
            "investigating"
            if roll < 0.004
            else "identified"
            if roll < 0.007
            else "monitoring"
            if roll < 0.01
            else "cancelled"
            if roll < 0.05
            else "resolved"
        )
        if status in ("investigating", "identified", "monitoring"):
            start = NOW - timedelta(hours=rng.randint(1, 400))
            declared = start + timedelta(minutes=30)
        resolved = declared + timedelta(hours=rng.randint(1, 200)) if status == "resolved" else None
        cancelled = declared + timedelta(minutes=rng.randint(5, 90)) if status == "cancelled" else None
        owner = rng.choice(coordinators)
        organisation = rng.choice(ORGANISATIONS)
        title = f"{organisation} : {rng.choice(WHAT)} ({number})"
        sector = name_key(rng.choice(SECTORS))
        last = resolved or cancelled or declared
        workaround = rng.random() < 0.6
        incident_rows.append(
            (
                number,
                guild_id,
                number,
                title,
                organisation,
                None,
                f"≈{rng.randint(10, 2000)} structures" if rng.random() < 0.5 else None,
                sector,
                rng.choice(SEVERITIES),
                rng.choice(CAUSES),
                status,
                to_db_time(start),
                to_db_time(declared),
                owner,
                owner,
                to_db_time(declared + timedelta(days=2)) if rng.random() < 0.5 else None,
                None,
                None,
                "Passer par le circuit de secours." if workaround else None,
                1 if workaround else 0,
                to_db_time(declared) if workaround else None,
                owner if workaround else None,
                rng.randint(0, 40),
                to_db_time(resolved) if resolved else None,
                "Rétabli." if resolved else None,
                to_db_time(cancelled) if cancelled else None,
                "false_alarm" if cancelled else None,
                None,
                0,
                None,
                None,
                None,
                None,
                None,
                to_db_time(last),
                1,
            )
        )
        for position, territory in enumerate(rng.sample(TERRITORIES, rng.randint(1, 3))):
            territory_rows.append((number, territory, position))
        services = rng.sample(SERVICES, rng.randint(1, 3))
        for position, name in enumerate(services):
            key = name_key(name)
            service_names[key] = name
            state = "restored" if status == "resolved" else rng.choice(["down", "degraded"])
            service_rows.append((number, key, name, state, to_db_time(last), to_db_time(start), position))
        count = per_incident + (1 if number <= extra else 0)
        kinds = ["declared"] + ["note"] * (count - 2) + ["resolved" if resolved else "status_changed"]
        for index, kind in enumerate(kinds[:count]):
            update_id += 1
            at = declared + (last - declared) * (index / max(1, count - 1))
            if kind == "declared":
                details: dict[str, Any] = {
                    "status": "investigating",
                    "severity": "major",
                    "services": [{"name": s, "key": name_key(s), "state": "down"} for s in services],
                    "workaround": None,
                    "eta": None,
                }
            elif kind == "note":
                details = {"text": f"Point de situation n°{index} : toujours en cours."}
            elif kind == "resolved":
                details = {"text": "Rétabli.", "services_restored": [name_key(s) for s in services]}
            else:
                details = {"from": "investigating", "to": "identified"}
            update_rows.append((update_id, number, kind, to_db_time(at), owner, 0, json.dumps(details), None))
        if number % 5000 == 0:
            flush()
    flush()
    conn.executemany(
        "INSERT OR REPLACE INTO service_names VALUES (?,?,?,?,?)",
        [(guild_id, key, name, to_db_time(NOW), 100) for key, name in service_names.items()],
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return time.monotonic() - started


# --- measuring at the double -------------------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    first_ms: list[float] = field(default_factory=list)
    final_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def timing(double: DiscordDouble, handle: InteractionHandle) -> tuple[float, float]:
    """(first callback, final reply) in ms after dispatch, from the double's own records."""
    ix = double.world.interactions[handle.id]
    first = ix.responses[0]
    first_ms = float(first["at"]) * 1000
    if first["type"] in (4, 8, 9):  # a message, autocomplete choices or a modal: the answer itself
        return first_ms, first_ms
    after = [
        r.monotonic
        for r in double.requests
        if handle.token in r.path
        and r.method in ("PATCH", "POST")
        and 200 <= r.status < 300
        and "/callback" not in r.path
        and r.monotonic >= ix.dispatched_at
    ]
    return first_ms, ((min(after) - ix.dispatched_at) * 1000 if after else float("nan"))


async def run_measured(
    double: DiscordDouble,
    series: Series,
    start: Any,
    check: Any = None,
    handles: list[InteractionHandle] | None = None,
) -> dict[str, Any]:
    handle: InteractionHandle = await start()
    if handles is not None:
        handles.append(handle)
    reply = await handle.reply(timeout=30)
    first, final = timing(double, handle)
    series.first_ms.append(first)
    series.final_ms.append(final)
    if check is not None and not check(reply):
        series.failures.append(str(reply.get("content"))[:200])
    return reply


def link_timing(double: DiscordDouble, handle: InteractionHandle, guild_id: int) -> float | None:
    """ms from dispatch until the private reply links the incident's thread: the reply itself when the thread
    existed already, else the outbox's later edit of it; None while the link has not arrived."""
    ix = double.world.interactions[handle.id]
    if ix.reply_message_id is None:
        return None
    content = double.world.message_dict(double.world.interaction_message(ix, ix.reply_message_id))["content"]
    if f"https://discord.com/channels/{guild_id}/" not in str(content):
        return None
    edits = [
        r.monotonic
        for r in double.requests
        if handle.token in r.path and r.method == "PATCH" and r.path.endswith("/@original") and 200 <= r.status < 300
    ]
    return (min(edits) - ix.dispatched_at) * 1000 if edits else timing(double, handle)[1]


async def run_autocomplete(double: DiscordDouble, series: Series, user: int, channel: int, typed: str) -> None:
    before = max(double.world.interactions, default=0)
    choices = await double.autocomplete(user, channel, "outage update", focused="incident", value=typed, timeout=30)
    ix = double.world.interactions[max(i for i in double.world.interactions if i > before)]
    ms = float(ix.responses[0]["at"]) * 1000
    series.first_ms.append(ms)
    series.final_ms.append(ms)
    if not choices and typed:
        series.failures.append(f"no choice for {typed!r}")


# --- the bare discord.py bot ---------------------------------------------------------------------------------

BARE_BOT = """
import os, discord, yarl
from discord import app_commands
discord.http.Route.BASE = os.environ["BARE_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BARE_GATEWAY"])
guild = discord.Object(int(os.environ["BARE_GUILD"]))

class Bare(discord.Client):
    def __init__(self):
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self):
        @self.tree.command(name="ping", description="pong", guild=guild)
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong", ephemeral=True)
        await self.tree.sync(guild=guild)

Bare().run(os.environ["BARE_TOKEN"], log_handler=None)
"""


async def bare_bot_series(n: int) -> Series:
    series = Series("bare discord.py: /ping")
    async with DiscordDouble(now=NOW) as double:
        guild = double.add_guild("Bare")
        channel = guild.add_text_channel("general")
        member = guild.add_member("someone")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
        env.update(
            BARE_API=double.api_base,
            BARE_GATEWAY=double.gateway_url,
            BARE_GUILD=str(guild.id),
            BARE_TOKEN=double.token,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", BARE_BOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            await double.wait_for_commands(guild.id, timeout=30)
            await double.wait_until_ready(timeout=30)
            for _ in range(20):  # warm-up
                await (await double.run_command(member, channel, "ping")).reply()
            for _ in range(n):
                await run_measured(double, series, lambda: double.run_command(member, channel, "ping"))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
    return series


# --- Tocsin ------------------------------------------------------------------------------------------------------


class ProfiledBot(BotProcess):
    """The bot process, optionally under cProfile or py-spy (TOCSIN_BENCH_PROFILE)."""

    def __init__(self, *args: Any, profile: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile

    async def start(self, *, wait_ready: bool = True) -> None:
        if not self.profile:
            await super().start(wait_ready=wait_ready)
            return
        OUT.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "bot", "run", "--env-file", str(self.workdir / "absent.env")]
        if self.profile == "cprofile":
            command = [sys.executable, "-m", "cProfile", "-o", str(OUT / "bot.prof"), *command[1:]]
        elif self.profile == "py-spy":
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            command = [spy, "record", "-o", str(OUT / "bot.svg"), "--", *command]
        sessions_before = self.double.identified_sessions
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command, cwd=self.workdir, env=self.environment(), stdout=log, stderr=log
            )
        if wait_ready:
            await self.double.wait_for_commands(self.guild_id, timeout=60.0)
            await self.double.wait_until_ready(timeout=60.0, sessions_before=sessions_before)


def typed_words(rng: random.Random, seeded: int, declared: int) -> Iterator[str]:
    """What people type in the incident option: a number, the start of an organisation or of a word of the
    title, one of the incidents just declared ("#100042"), or nothing yet."""
    while True:
        roll = rng.random()
        if roll < 0.25:
            yield str(rng.randint(1, seeded))
        elif roll < 0.5:
            yield rng.choice(ORGANISATIONS).split()[0].lower()[: rng.randint(2, 6)]
        elif roll < 0.7:
            yield rng.choice(WHAT).split()[0]
        elif roll < 0.85:
            yield "#" + str(rng.randint(seeded + 1, seeded + max(1, declared)))
        else:
            yield ""


async def tocsin_series(args: argparse.Namespace, workdir: Path) -> tuple[list[Series], str]:
    rng = random.Random(7)
    async with DiscordDouble(now=NOW) as double:
        server: Server = build_grand_ouest(double)
        guild = double.guild(server.guild_id)
        bench_coordinators = [
            guild.add_member(f"coord.bench.{i}", roles=[server.roles["coordination"]]) for i in range(args.n)
        ]
        store = await Store.open(workdir / "tocsin.db")
        await store.migrate()
        await store.close()
        seconds = seed(
            workdir / "tocsin.db",
            server.guild_id,
            [server.members["coord.anne"], server.members["coord.yann"]],
            args.incidents,
            args.updates,
        )
        size = (workdir / "tocsin.db").stat().st_size / 2**20
        print(f"seeded {args.incidents:,} incidents and {args.updates:,} updates in {seconds:.1f} s ({size:.0f} MiB)")
        bot = ProfiledBot(
            double, workdir, guild_id=server.guild_id, log_level="INFO", profile=os.environ.get("TOCSIN_BENCH_PROFILE")
        )
        await bot.start()
        try:
            await configure_by_commands(double, server)
            incidents, anne = server.channels["incidents"], server.members["coord.anne"]
            territories = await pick(double, anne, incidents, "outage declare", "territories", [("53", "Bretagne")])

            declare, update = Series("/outage declare"), Series("/outage update")
            complete, listing = Series("autocomplete incident"), Series("/outage list")

            def declare_options(i: int) -> dict[str, Any]:
                return {
                    "title": f"{rng.choice(ORGANISATIONS)} : {rng.choice(WHAT)} (banc {i})",
                    "organisation": rng.choice(ORGANISATIONS),
                    "sector": "pharmacie",
                    "territories": territories,
                    "severity": rng.choice(SEVERITIES),
                    "cause": rng.choice(CAUSES),
                    "started": "ce matin",
                    "services": "commandes, livraisons",
                    "eta": "lundi matin",
                    "workaround": "Commander par téléphone auprès du confrère le plus proche.",
                }

            def declared_ok(reply: dict[str, Any]) -> bool:
                return "<t:" in json.dumps(reply)

            for _ in range(10):  # warm-up, not measured
                await (await double.run_command(anne, incidents, "outage list")).reply(timeout=30)
                await double.autocomplete(anne, incidents, "outage update", focused="incident", value="cerp")
            numbers: list[int] = []
            declared: list[InteractionHandle] = []
            for i, user in enumerate(bench_coordinators):
                if i and args.declare_interval:
                    await asyncio.sleep(args.declare_interval)  # the load's pace, not a wait for the bot
                reply = await run_measured(
                    double,
                    declare,
                    lambda user=user, i=i: double.run_command(user, incidents, "outage declare", declare_options(i)),
                    declared_ok,
                    declared,
                )
                numbers.append(args.incidents + 1 + i)
                _ = reply
            for i, (user, number) in enumerate(zip(bench_coordinators, numbers, strict=True)):
                options = {"incident": number, "note": f"Point n°{i} : reprise progressive."}
                if i % 3 == 0:
                    options["status"] = "identified"
                await run_measured(
                    double,
                    update,
                    lambda user=user, options=options: double.run_command(user, incidents, "outage update", options),
                )
            words = typed_words(rng, args.incidents, len(numbers))
            for _ in range(args.n_read):
                await run_autocomplete(double, complete, anne, incidents, next(words))
            filters: list[dict[str, Any]] = [
                {},
                {"status": "open"},
                {"status": "resolved"},
                {"status": "all", "sector": "pharmacie"},
                {"status": "all"},
                {"status": "cancelled"},
            ]
            member = server.members["pharma.brest"]
            for i in range(args.n_read):
                await run_measured(
                    double,
                    listing,
                    lambda i=i: double.run_command(
                        member, server.channels["pharmacies"], "outage list", filters[i % 6]
                    ),
                )
            # The thread links follow at Discord's pace for the incident channel (5 messages / 5 s): wait a bounded
            # time for them, and report those that arrived.
            linked = Series("declare: link in reply")

            def link_times() -> list[float | None]:
                return [link_timing(double, handle, server.guild_id) for handle in declared]

            with contextlib.suppress(TimeoutError, AssertionError):
                await double.wait_for(lambda: None not in link_times(), timeout=args.link_wait)
            arrived = [ms for ms in link_times() if ms is not None]
            linked.first_ms = linked.final_ms = arrived
            if len(arrived) < len(declared):
                linked.failures += [f"{len(declared) - len(arrived)} link(s) not arrived after {args.link_wait} s"]
            return [declare, update, complete, listing, linked], bot.log_text()
        finally:
            await bot.stop()


def report(series: list[Series]) -> None:
    print(
        f"\n{'what':28} {'n':>5} {'first p50':>10} {'first p99':>10} "
        f"{'final p50':>10} {'final p95':>10} {'final p99':>10}"
    )
    for s in series:
        print(
            f"{s.name:28} {len(s.first_ms):5d} {percentile(s.first_ms, 50):10.1f} {percentile(s.first_ms, 99):10.1f} "
            f"{percentile(s.final_ms, 50):10.1f} {percentile(s.final_ms, 95):10.1f} {percentile(s.final_ms, 99):10.1f}"
        )
        if s.failures:
            print(f"   {len(s.failures)} answer(s) were not what was asked, e.g. {s.failures[0]!r}")


def show_profile() -> None:
    path = OUT / "bot.prof"
    if path.exists():
        print(f"\n--- bot profile ({path}), top 30 by cumulative time ---")
        stats = pstats.Stats(str(path))
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=200, help="declares and updates")
    parser.add_argument("--n-read", type=int, default=300, help="autocompletes and lists")
    parser.add_argument(
        "--declare-interval",
        type=float,
        default=0.0,
        help="seconds between declares (0: back to back; 1.1 keeps #incidents under Discord's 5 messages / 5 s)",
    )
    parser.add_argument(
        "--link-wait",
        type=float,
        default=120.0,
        help="seconds to wait, after the reads, for the thread links still to come in declares' replies",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        tocsin, log = await tocsin_series(args, Path(tmp))
        if "Traceback" in log:
            print("the bot logged a traceback:\n" + log[log.index("Traceback") - 500 :][:4000])
    bare = await bare_bot_series(args.n_read)
    report([*tocsin, bare])
    if os.environ.get("TOCSIN_BENCH_PROFILE") == "cprofile":
        show_profile()
    declare, update, complete, listing, _linked = tocsin
    first_all = declare.first_ms + update.first_ms + listing.first_ms  # commands; autocomplete has its own
    print(
        f"first_response_p99_ms={percentile(first_all, 99):.1f} declare_p99_ms={percentile(declare.final_ms, 99):.1f} "
        f"autocomplete_p95_ms={percentile(complete.final_ms, 95):.1f} "
        f"bare_roundtrip_ms={percentile(bare.final_ms, 99):.1f}"
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
