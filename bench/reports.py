"""Benchmark of members' reports: 2,000 reports from 1,000 members (2 each) about 40 organisations within one
simulated minute, through the Discord double, with 100,000 incidents stored.

Run: .venv/bin/python bench/reports.py [--incidents 100000] [--members 1000] [--organisations 40] [--minute 60]

1. Seeds a database (the project's migrations, then bench/commands.py's seeding: 100,000 incidents of one server,
   one timeline entry each).
2. Starts the double in this process and the bot as its own `python -m bot run` process on it; admin.sophie
   configures the scenarios' server through /setup, and `/setup reports` chooses #signalements.
3. 1,000 members each report two of the 40 organisations (written in several ways: case, accents, dashes), the
   2,000 `/report` commands sent at an even pace over `--minute` seconds, the double's clock moving with them:
   each one is dispatched at its time whether or not the earlier ones were answered.
4. Then waits until every card shows its count, and reads what the double saw and what the bot stored.
5. Beside it, in the same run, a bare discord.py bot answering a slash command at once, for scale: the reports'
   p99 is also given as a ratio of the bare bot's.

Figures, all taken at the double (loopback included):
- report_p99_ms: from dispatching each /report to its private reply (the follow-up after the deferral);
- card_edits: the card edits Discord received (each card is posted once, then edited in place; waiting edits of
  one card collapse, and the bot sends at most one per second per card: a faster one is listed as a violation);
- card_max_lag_s: over the cards, the longest time from the card's last report to the edit that shows it;
- alerts: the alert messages (one per group over the threshold is right: every group here reaches it);
- refused: reports refused (none should be: 2 per member in a minute is under the rate limit);
- lost: reports answered as recorded but missing from the store, or from their card's count;
- http_429: Discord's rate-limit answers to the bot.

Profiling: TOCSIN_BENCH_PROFILE=cprofile or py-spy, as in bench/commands.py.

Last line: report_p99_ms=<ms> card_edits=<n> card_max_lag_s=<s> alerts=<n> refused=<n> lost=<n> http_429=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.commands import NOW, ProfiledBot, bare_bot_series, percentile, seed, show_profile, timing  # noqa: E402
from bot.reports.rules import organisation_key  # noqa: E402
from bot.sandbox import DiscordDouble, InteractionHandle  # noqa: E402
from bot.sandbox.driver import Server, add_reports_channel, build_grand_ouest, configure_by_commands, settle  # noqa: E402
from bot.storage.store import Store  # noqa: E402

ORGANISATION_WORDS = ["Grossiste", "Répartiteur", "Distributeur", "Mairie", "Hôpital", "Librairie", "Réseau", "Cerp"]
PLACES = ["Bretagne", "Angoulême", "Quimper", "Brest", "Saint-Brieuc", "Lorient", "Vannes", "Rennes", "Nantes", "Pau"]
EDIT_PACE_S = 1.0


def organisations(count: int) -> list[str]:
    """Their names as the bench knows them: keys, since each card shows its organisation as first written."""
    return [
        organisation_key(f"{ORGANISATION_WORDS[i % len(ORGANISATION_WORDS)]} {PLACES[i % len(PLACES)]} {i}")
        for i in range(count)
    ]


def written(key: str, rng: random.Random) -> str:
    """The organisation as one member types it: capitalised, upper case, with a dash, or as is."""
    roll = rng.random()
    if roll < 0.25:
        return key.title()
    if roll < 0.5:
        return key.upper()
    if roll < 0.6:
        return key.replace(" ", "-", 1) + " "
    return key


def add_members(double: DiscordDouble, server: Server, count: int) -> list[int]:
    add_reports_channel(double, server)
    guild = double.guild(server.guild_id)
    return [guild.add_member(f"membre.{i}", roles=[server.roles["pharmacies-ouest"]]) for i in range(count)]


def card_counts(double: DiscordDouble, channel: int) -> dict[str, tuple[str, str, str]]:
    """Each card's organisation (its key: the card shows it as first written) → (message id, members, reports)."""
    out = {}
    for message in double.channel_messages(channel):
        if message["author"]["id"] != str(double.bot_user_id) or not message.get("embeds"):
            continue
        embed = message["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed.get("fields", [])}
        organisation = organisation_key(embed["title"].split(" · ", 1)[-1])
        out[organisation] = (message["id"], fields.get("Membres", "?"), fields.get("Signalements", "?"))
    return out


def alerted_messages(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return [m for m in double.channel_messages(channel) if "🚨" in (m.get("content") or "")]


async def run_reports(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    rng = random.Random(12)
    async with DiscordDouble(now=NOW) as double:
        server = build_grand_ouest(double)
        members = add_members(double, server, args.members)
        store = await Store.open(workdir / "tocsin.db")
        await store.migrate()
        await store.close()
        seconds = seed(
            workdir / "tocsin.db",
            server.guild_id,
            [server.members["coord.anne"], server.members["coord.yann"]],
            args.incidents,
            args.incidents,
        )
        print(f"seeded {args.incidents:,} incidents in {seconds:.1f} s")
        bot = ProfiledBot(double, workdir, guild_id=server.guild_id, profile=os.environ.get("TOCSIN_BENCH_PROFILE"))
        await bot.start()
        try:
            await configure_by_commands(double, server)
            signalements = server.channels["signalements"]
            admin, journal = server.members["admin.sophie"], server.channels["journal-bot"]
            await (await double.run_command(admin, journal, "setup reports", {"channel": signalements})).reply()
            names = organisations(args.organisations)
            plan: list[tuple[int, str]] = []
            for index, member in enumerate(members):
                first = index % len(names)
                second = (index * 7 + 3) % len(names)
                if second == first:
                    second = (first + 1) % len(names)
                plan += [(member, names[first]), (member, names[second])]
            rng.shuffle(plan)
            channel = server.channels["pharmacies"]
            handles: list[tuple[InteractionHandle, str]] = []
            last_report: dict[str, float] = {}
            interval = args.minute / len(plan)
            started = time.monotonic()
            requests_before = len(double.requests)

            async def one(at: float, member: int, organisation: str) -> None:
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))  # the load's pace, not a wait
                double.set_time(NOW + timedelta(seconds=at))
                options = {"organisation": written(organisation, rng), "services": "commandes", "territories": "29"}
                handle = await double.run_command(member, channel, "report", options)
                handles.append((handle, organisation))
                last_report[organisation] = double.world.interactions[handle.id].dispatched_at
                await handle.reply(timeout=60)

            results = await asyncio.gather(
                *(one(i * interval, member, name) for i, (member, name) in enumerate(plan)), return_exceptions=True
            )
            load_s = time.monotonic() - started
            errors = [r for r in results if isinstance(r, BaseException)]

            def every_card_right() -> bool:
                shown = card_counts(double, signalements)
                return len(shown) == len(names) and all(
                    (members_shown, reports_shown) == (str(expected[n][0]), str(expected[n][1]))
                    for n, (_, members_shown, reports_shown) in shown.items()
                    if n in expected
                )

            replies: dict[str, int] = {"recorded": 0, "refused": 0, "other": 0}
            accepted: dict[str, set[int]] = {}
            reports_of: dict[str, int] = {}
            first_ms, final_ms = [], []
            for handle, organisation in handles:
                ix = double.world.interactions[handle.id]
                if ix.reply_message_id is None:
                    replies["other"] += 1
                    continue
                text = str(
                    double.world.message_dict(double.world.interaction_message(ix, ix.reply_message_id))["content"]
                )
                if "Signalement enregistré" in text or "déjà signalé" in text:
                    replies["recorded"] += 1
                    accepted.setdefault(organisation, set()).add(ix.user_id)
                    reports_of[organisation] = reports_of.get(organisation, 0) + 1
                elif "signalements en" in text:
                    replies["refused"] += 1
                else:
                    replies["other"] += 1
                first, final = timing(double, handle)
                first_ms.append(first)
                final_ms.append(final)
            expected = {name: (len(accepted.get(name, set())), reports_of.get(name, 0)) for name in names}
            with contextlib.suppress(TimeoutError):
                await double.wait_for(every_card_right, timeout=args.catch_up, what="every card right")
            # The alerts (and the cards' first posts) share #signalements, where Discord takes 5 messages per 5 s:
            # they may still be on their way; each is waited for, a bounded time.
            with contextlib.suppress(TimeoutError):
                await double.wait_for(
                    lambda: len(alerted_messages(double, signalements)) >= len(names), timeout=args.catch_up
                )
            with contextlib.suppress(TimeoutError):  # what is left on its way is reported as it stands
                await settle(double, server, timeout=args.catch_up)
            shown = card_counts(double, signalements)
            ids = {shown[name][0]: name for name in shown}
            edits: dict[str, list[float]] = {}
            r429 = 0
            for record in double.requests[requests_before:]:
                if not record.bot:
                    continue
                if record.status == 429:
                    r429 += 1
                if record.method == "PATCH" and record.status == 200:
                    message_id = record.path.rsplit("/", 1)[-1]
                    if record.path.startswith(f"/channels/{signalements}/messages/") and message_id in ids:
                        edits.setdefault(ids[message_id], []).append(record.monotonic)
            too_soon = sum(
                1 for times in edits.values() for a, b in itertools.pairwise(times) if b - a < EDIT_PACE_S - 0.01
            )
            lags = [max(edits[name]) - last_report[name] for name in edits if name in last_report]
            alerts = alerted_messages(double, signalements)
            alerted = [a["content"] for a in alerts]
            per_group_alerts = max(
                (sum(1 for a in alerted if name in organisation_key(a)) for name in names), default=0
            )
            wrong_cards = [
                name
                for name in names
                if name not in shown or (shown[name][1], shown[name][2]) != tuple(map(str, expected[name]))
            ]
        finally:
            await bot.stop()
        conn = sqlite3.connect(workdir / "tocsin.db")
        try:
            stored = conn.execute("SELECT COUNT(*) FROM reports WHERE state = 'active'").fetchone()[0]
        finally:
            conn.close()
        return {
            "load_s": load_s,
            "errors": errors,
            "replies": replies,
            "first_ms": first_ms,
            "final_ms": final_ms,
            "card_edits": sum(len(times) for times in edits.values()),
            "too_soon": too_soon,
            "lag_s": max(lags, default=float("nan")),
            "alerts": len(alerts),
            "per_group_alerts": per_group_alerts,
            "lost": max(0, replies["recorded"] - stored) + sum(1 for _ in wrong_cards),
            "wrong_cards": wrong_cards,
            "stored": stored,
            "http_429": r429,
            "cards": len(shown),
        }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--minute", type=float, default=60.0, help="seconds over which the reports are sent")
    parser.add_argument(
        "--catch-up", type=float, default=60.0, help="seconds to wait afterwards for the cards, then for the alerts"
    )
    parser.add_argument("--n-bare", type=int, default=300, help="commands for the bare discord.py baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tocsin-reports-bench-") as tmp:
        facts = await run_reports(args, Path(tmp))
    if os.environ.get("TOCSIN_BENCH_PROFILE") == "cprofile":
        show_profile()
    bare = await bare_bot_series(args.n_bare)
    bare_p99 = percentile(bare.final_ms, 99)
    report_p99 = percentile(facts["final_ms"], 99)
    replies = facts["replies"]
    print(
        f"{replies['recorded'] + replies['refused'] + replies['other']} reports sent in {facts['load_s']:.1f} s: "
        f"{replies['recorded']} recorded, {replies['refused']} refused, {replies['other']} other, "
        f"{len(facts['errors'])} errors; {facts['stored']} stored"
    )
    print(
        f"reply: first p50 {percentile(facts['first_ms'], 50):.1f} ms, p99 {percentile(facts['first_ms'], 99):.1f} ms; "
        f"final p50 {percentile(facts['final_ms'], 50):.1f} ms, p99 {report_p99:.1f} ms"
    )
    print(f"bare discord.py /ping p99 {bare_p99:.1f} ms: report_p99 / bare_p99 = {report_p99 / bare_p99:.2f}")
    print(
        f"{facts['cards']} cards, {facts['card_edits']} edits ({facts['too_soon']} less than {EDIT_PACE_S:.0f} s after "
        f"the one before), most alerts for one group: {facts['per_group_alerts']}, cards not right: "
        f"{facts['wrong_cards'][:5]}"
    )
    print(
        f"report_p99_ms={report_p99:.1f} card_edits={facts['card_edits']} card_max_lag_s={facts['lag_s']:.2f} "
        f"alerts={facts['alerts']} refused={replies['refused']} lost={facts['lost']} http_429={facts['http_429']}"
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
