"""Planned maintenance through the double: scheduled from /maintenance, announced where an incident with its facts
would be, reminded an hour before, started and ended on its own (across the night the clocks go back in Paris,
24–25 October 2026), pinging exactly whom it should at each of its four messages and nobody between them; an
overrun turned into an incident from the owner's button; rescheduled, extended and cancelled, each announced; and a
bot stopped across its start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    counts,
    custom_ids,
    incident_threads,
    notified,
    paris,
    settle,
    stamp,
    status_message,
    text_of,
)
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_board import board_text

WEEKEND = {
    "organisation": "Cerp Bretagne Atlantique",
    "sector": "pharmacie",
    "territories": "53",
    "services": "commandes, livraisons",
    "workaround": "Passer les commandes urgentes par téléphone.",
}
PHARMACISTS = [
    ("pharma.angouleme", "pharmacies", "role_mention"),
    ("pharma.brest", "pharmacies", "role_mention"),
]


async def at(double: DiscordDouble, server: Server, when: datetime) -> None:
    double.set_time(when)
    await settle(double, server)


async def schedule(double: DiscordDouble, server: Server, who: str = "coord.anne", **times: str) -> str:
    ix = await double.run_command(
        server.members[who], server.channels["incidents"], "maintenance schedule", {**WEEKEND, **times}
    )
    reply = await ix.reply()
    assert ix.ephemeral
    await settle(double, server)
    return str(reply["content"])


def last_text(double: DiscordDouble, channel: int) -> str:
    return text_of(bot_messages(double, channel)[-1])


def question(double: DiscordDouble, thread: int) -> dict[str, Any]:
    asked = [m for m in bot_messages(double, thread) if any(":convert:" in c for c in custom_ids(m))]
    assert len(asked) == 1, f"one question in the thread, not {len(asked)}"
    return asked[0]


async def test_a_maintenance_across_the_october_clock_change(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    double.set_time(paris(2026, 10, 23, 10))  # Friday
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    try:
        await configure(double, server)
        c = server.channels
        board = c["etat"] = double.guild(server.guild_id).add_text_channel("etat-des-pannes")
        await run_setup(double, server, "board", {"channel": board})
        await settle(double, server)
        since = len(double.notifications())
        # Saturday 23:00 summer time (21:00 UTC) to Sunday 04:00 winter time (03:00 UTC): six real hours.
        said = await schedule(double, server, start="samedi 23h", end="dimanche 4h")
        start, end = datetime(2026, 10, 24, 21, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
        assert said.startswith("Maintenance M1 planifiée et annoncée.") and f"{stamp(start)}F>" in said, said
        assert f"{stamp(end)}F>" in said, said
        assert notified(double, server, since) == PHARMACISTS, "scheduling pings the route's role"
        for name in ("bretagne", "pharmacies"):
            assert "🛠️ Maintenance planifiée chez Cerp Bretagne Atlantique" in last_text(double, c[name])
        assert all(len(bot_messages(double, c[n])) == 0 for n in ("pays-de-la-loire", "librairies", "occitanie"))
        (thread,) = incident_threads(double, server)
        thread_id = int(thread["id"])
        assert "Maintenance M1 · Cerp Bretagne Atlantique" in thread["name"]
        # The board shows it from a day before its start (Friday 23:00), "in progress" from its start, not after.
        assert "Maintenances planifiées" not in board_text(double, board), "35 hours ahead: not yet"
        await at(double, server, start - timedelta(hours=24))
        assert f"début : {stamp(start)}f>" in board_text(double, board), board_text(double, board)

        steps = [
            # (when, what the channels' new message says, who is notified)
            (datetime(2026, 10, 24, 20, tzinfo=UTC), "commence bientôt", PHARMACISTS),  # 22:00, an hour before
            (start, "a commencé", []),
            (end, "est terminée", []),
        ]
        for when, words, pinged in steps:
            before = counts(double, server)
            await at(double, server, when - timedelta(seconds=1))
            assert counts(double, server) == before, f"nothing before {when}"
            since = len(double.notifications())
            await at(double, server, when)
            for name in ("bretagne", "pharmacies"):
                assert words in last_text(double, c[name]), last_text(double, c[name])
                assert len(bot_messages(double, c[name])) == before[c[name]] + 1
            assert notified(double, server, since, channels=[c["bretagne"], c["pharmacies"]]) == pinged, when
            if when == start:
                assert f"🛠️ en cours, fin : {stamp(end)}f>" in board_text(double, board)
                # The owner's question, 15 minutes before the end: 03:45 winter time, 02:45 UTC.
                ask = end - timedelta(minutes=15)
                await at(double, server, ask - timedelta(seconds=1))
                assert not [m for m in bot_messages(double, thread_id) if custom_ids(m)]
                since = len(double.notifications())
                await at(double, server, ask)
                assert question(double, thread_id)["content"].startswith(f"<@{server.members['coord.anne']}>")
                assert notified(double, server, since) == [("coord.anne", str(thread_id), "user_mention")]
        assert "Maintenances planifiées" not in board_text(double, board) and "Rien n'est en panne" in board_text(
            double, board
        )
        standing = bot_messages(double, c["pharmacies"])[0]
        assert "✅ terminée" in text_of(standing), "the standing announcement edited"
        assert "✅ terminée" in text_of(status_message(double, thread_id))
        before = counts(double, server)
        await at(double, server, end + timedelta(days=2))
        assert counts(double, server) == before, "nothing after its end"
    finally:
        await process.stop()


async def test_an_overrun_turned_into_an_incident_keeps_its_thread(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    c, m = server.channels, server.members
    await schedule(double, server, start="aujourd'hui 14h", end="aujourd'hui 16h")  # from 12:40
    (thread,) = incident_threads(double, server)
    thread_id = int(thread["id"])
    await at(double, server, paris(2024, 10, 19, 15, 45))
    asked = question(double, thread_id)
    convert = next(i for i in custom_ids(asked) if ":convert:" in i)
    # The buttons outlive a restart: their custom id says which maintenance.
    await bot.stop()
    await bot.start()
    await settle(double, server)

    refused = await double.click(m["pharma.brest"], thread_id, int(asked["id"]), convert)
    assert "Seuls son responsable et les coordinateurs" in (await refused.reply())["content"]
    since = len(double.notifications())
    ix = await double.click(m["coord.anne"], thread_id, int(asked["id"]), convert)
    assert "devient l'incident #1, dans le même fil" in (await ix.reply())["content"]
    await settle(double, server)
    assert notified(double, server, since, channels=[c["pharmacies"], c["bretagne"]]) == PHARMACISTS
    assert "devient l'incident #1 · Maintenance prolongée : Cerp Bretagne Atlantique" in last_text(
        double, c["pharmacies"]
    )
    assert len(incident_threads(double, server)) == 1, "no thread of its own: the maintenance's"
    opening = status_message(double, thread_id)
    assert "#1 · Maintenance prolongée : Cerp Bretagne Atlantique" in text_of(opening), text_of(opening)

    # From now on an incident: /outage update works on it, and the planned end posts nothing.
    update = await double.run_command(
        m["coord.anne"], c["incidents"], "outage update", {"incident": "1", "note": "Le fournisseur enquête."}
    )
    assert "#1" in (await update.reply())["content"]
    await settle(double, server)
    assert "Le fournisseur enquête." in last_text(double, thread_id)
    before = counts(double, server)
    await at(double, server, paris(2024, 10, 19, 16, 1))
    assert counts(double, server) == before, "a maintenance turned into an incident does not end on its own"


async def test_rescheduled_extended_and_cancelled_each_announced_and_a_stop_across_the_start(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    c, m = server.channels, server.members
    try:
        await configure(double, server)
        await schedule(double, server, start="dimanche 22h", end="lundi 6h")
        await schedule(double, server, start="mardi 9h", end="mardi 10h")
        since = len(double.notifications())
        moved = await double.run_command(
            m["coord.yann"],
            c["incidents"],
            "maintenance reschedule",
            {"maintenance": "M1", "start": "dimanche 20h", "end": "lundi 2h"},
        )
        assert (await moved.reply())["content"].startswith("Maintenance M1 déplacée et annoncée.")
        await settle(double, server)
        assert "est déplacée" in last_text(double, c["pharmacies"])
        assert notified(double, server, since) == PHARMACISTS
        since = len(double.notifications())
        cancelled = await double.run_command(
            m["coord.anne"], c["incidents"], "maintenance cancel", {"maintenance": "M2"}
        )
        assert "annulée" in (await cancelled.reply())["content"]
        await settle(double, server)
        assert "Cerp Bretagne Atlantique est annulée" in last_text(double, c["pharmacies"])
        assert notified(double, server, since) == PHARMACISTS
        refused = await double.run_command(
            m["pharma.brest"], c["pharmacies"], "maintenance cancel", {"maintenance": "M1"}
        )
        assert "Seuls les coordinateurs" in (await refused.reply())["content"]

        # Stopped on Sunday afternoon, started again on Sunday at 21:00: the reminder (19:00) and the start (20:00)
        # came while it was down: only the start is told, once.
        await at(double, server, paris(2024, 10, 20, 15))
        before = counts(double, server)
        await process.stop()
        double.set_time(paris(2024, 10, 20, 21))
        await process.start()
        await settle(double, server)
        after = counts(double, server)
        assert after[c["pharmacies"]] == before[c["pharmacies"]] + 1
        assert "a commencé" in last_text(double, c["pharmacies"])
        assert "commence bientôt" not in text_of(bot_messages(double, c["pharmacies"])[-2])

        # Asked at 01:45; the owner extends it to 04:00 from the question's form: announced, pinging nobody.
        (thread, _) = incident_threads(double, server)
        thread_id = int(thread["id"])
        await at(double, server, paris(2024, 10, 21, 1, 45))
        asked = question(double, thread_id)
        extend = next(i for i in custom_ids(asked) if ":extend:" in i)
        ix = await double.click(m["coord.anne"], thread_id, int(asked["id"]), extend)
        await ix.first_response()
        assert ix.modal is not None
        since = len(double.notifications())
        submitted = await ix.submit_modal({"end": "4h"})
        assert "prolongée et annoncée" in (await submitted.reply())["content"]
        await settle(double, server)
        assert "est prolongée" in last_text(double, c["pharmacies"])
        assert notified(double, server, since) == []
        before = counts(double, server)
        await at(double, server, paris(2024, 10, 21, 2))
        assert counts(double, server) == before, "the old end passes silently"
        await at(double, server, paris(2024, 10, 21, 3, 45))
        assert len([m for m in bot_messages(double, thread_id) if custom_ids(m)]) == 2, "asked again before the new end"
        await at(double, server, paris(2024, 10, 21, 4))
        assert "est terminée" in last_text(double, c["pharmacies"])
    finally:
        await process.stop()
