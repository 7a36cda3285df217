"""Digests through the double, over All Saints' weekend 2024: a daily digest on working days only (Friday 1 November
is a public holiday: Thursday's is followed by Monday's, which covers the days between) and a weekly one on Monday
morning that falls due while the bot is down (sent once at start-up, tagged late); set up, listed and stopped from
/setup, pinging nobody."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import bot_messages, configure, paris, settle, stamp, text_of
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_outage_lifecycle import CERP


def digests(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return bot_messages(double, channel)


async def at(double: DiscordDouble, server: Server, when: Any) -> None:
    """Moves the clock to `when` and waits until the bot has sent what came due."""
    double.set_time(when)
    await settle(double, server)


async def test_daily_and_weekly_digests_over_a_holiday_weekend_and_a_stop(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    guild = double.guild(server.guild_id)
    recap = server.channels["recap"] = guild.add_text_channel("recap")
    double.set_time(paris(2024, 10, 31, 10))
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    try:
        await configure(double, server)
        said = await run_setup(
            double, server, "digest", {"channel": recap, "every": "day", "time": "18h", "working-days": True}
        )
        assert said == (
            f"Récapitulatif installé : <#{recap}> — tous les jours à 18:00, reporté hors jours chômés. "
            f"Le premier : {stamp(paris(2024, 10, 31, 18))}F>."
        ), said
        said = await run_setup(double, server, "digest", {"channel": recap, "every": "week", "day": "1", "time": "9h"})
        assert f"chaque lundi à 09:00. Le premier : {stamp(paris(2024, 11, 4, 9))}F>." in said, said
        refused = await run_setup(double, server, "digest", {"channel": recap, "every": "week", "time": "9h"})
        assert "a besoin de son jour" in refused, refused
        notes = len(double.notifications())

        double.set_time(paris(2024, 10, 31, 13))
        ix = await double.run_command(
            server.members["coord.anne"], server.channels["incidents"], "outage declare", CERP
        )
        assert "Panne #1 déclarée" in (await ix.reply())["content"]

        # Thursday 18:00: the daily digest, with the open incident and its duration so far.
        await at(double, server, paris(2024, 10, 31, 17, 59))
        assert digests(double, recap) == []
        await at(double, server, paris(2024, 10, 31, 18))
        assert len(digests(double, recap)) == 1, "Thursday's digest"
        thursday = text_of(digests(double, recap)[0])
        assert "🗞️ Récapitulatif du jour" in thursday and "En cours (1)" in thursday and "Déclarés (1)" in thursday
        assert "#1 · Cerp Bretagne Atlantique à l'arrêt" in thursday and "En retard" not in thursday

        # The holiday and the weekend: nothing.
        for day in (1, 2, 3):
            await at(double, server, paris(2024, 11, day, 18, 1))
        assert len(digests(double, recap)) == 1

        # The bot is stopped on Sunday evening and started again on Monday at 10:00: the weekly digest of 9:00 came
        # while it was down: sent once, at start-up, tagged late.
        await process.stop()
        double.set_time(paris(2024, 11, 4, 10))
        await process.start()
        await settle(double, server)
        assert len(digests(double, recap)) == 2, "the late weekly digest, once"
        weekly = text_of(digests(double, recap)[1])
        assert "🗞️ Récapitulatif de la semaine" in weekly and "⏰ En retard" in weekly
        assert f"{stamp(paris(2024, 11, 4, 9))}f>" in weekly and f"Début : {stamp(paris(2024, 10, 31, 10))}f>" in weekly

        # Monday 18:00: the daily digest covers from Thursday 18:00, the holiday and the weekend included.
        await at(double, server, paris(2024, 11, 4, 18))
        assert len(digests(double, recap)) == 3, "Monday's digest"
        monday = text_of(digests(double, recap)[2])
        assert f"Début : {stamp(paris(2024, 10, 31, 18))}f> · fin : {stamp(paris(2024, 11, 4, 18))}f>" in monday, monday
        assert "En retard" not in monday and "En cours (1)" in monday
        assert all(n.channel_id != recap for n in double.notifications()[notes:]), "digests ping nobody"

        # Listed, then the daily one stopped: no digest on Tuesday evening.
        shown = await run_setup(double, server, "show")
        assert "Récapitulatifs (2)" in shown and "chaque lundi à 09:00" in shown, shown
        listed = await double.autocomplete(
            server.members["admin.sophie"],
            server.channels["journal-bot"],
            "setup digest-remove",
            focused="digest",
            value="",
        )
        daily = next(c["value"] for c in listed if "tous les jours" in c["name"])
        said = await run_setup(double, server, "digest-remove", {"digest": daily})
        assert said.startswith(f"Récapitulatif arrêté : <#{recap}> — tous les jours à 18:00"), said
        await at(double, server, paris(2024, 11, 5, 18, 1))
        assert len(digests(double, recap)) == 3
        await double.advance(timedelta(days=6))
        await settle(double, server)
        assert len(digests(double, recap)) == 4, "next Monday's weekly digest"
    finally:
        await process.stop()
