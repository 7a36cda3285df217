"""../shared/scenarios/octave-2024-08.md — book distributors lose their ERP (August 2024), step by step.

The double's clock is set to August 2024 before the bot starts; the tests act only as the scenario's members
and assert what the channels show and whom Discord notified. Test N plays steps 1..N.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    REGION_CHANNELS,
    bot_messages,
    configure,
    counts,
    field,
    incident_threads,
    notified,
    paris,
    pick,
    play_steps,
    private_reply,
    settle,
    stamp,
    status_message,
    text_of,
)

TITLE = "Rançongiciel chez Octave : distributeurs du livre à l'arrêt"
HEADING = f"#1 · {TITLE}"
ANNOUNCED = ("librairies", *REGION_CHANNELS)
NOT_ANNOUNCED = ("pharmacies", "collectivites")
STARTED = paris(2024, 8, 19, 9, 0)  # "ce matin", said at 15:00: the morning is 09:00
ETA = paris(2024, 9, 15, 9, 0)  # "mi-septembre"
WORKAROUND = "Commander via Dilicom. Les colis arrivent avec des bons de livraison ; factures et avoirs suivront."


class Octave:
    def __init__(self, double: DiscordDouble, server: Server, workdir: Path) -> None:
        self.double = double
        self.server = server
        self.m = server.members
        self.c = server.channels
        self.workdir = workdir
        self.bot: BotProcess | None = None
        self.thread_id = 0
        self.notes_before = 0

    def announcements(self, channel: str) -> list[dict[str, Any]]:
        return bot_messages(self.double, self.c[channel])

    def standing(self, channel: str) -> dict[str, Any]:
        messages = self.announcements(channel)
        assert messages, f"no announcement in #{channel}"
        return messages[0]

    async def play(self, upto: int) -> None:
        self.double.set_time(paris(2024, 8, 19, 14, 30))
        self.bot = BotProcess(self.double, self.workdir, guild_id=self.server.guild_id)
        await self.bot.start()
        await configure(self.double, self.server)
        await play_steps([self.step1, self.step2, self.step3, self.step4, self.step5][:upto], self.begin)

    def begin(self) -> None:
        self.notes_before = len(self.double.notifications())

    async def step1(self) -> None:
        """Mon 19/08 15:00 — coord.yann declares for all of France."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 8, 19, 15, 0))
        territory = await pick(
            d, m["coord.yann"], c["incidents"], "outage declare", "territories", [("France", "France entière")]
        )
        ix = await d.run_command(
            m["coord.yann"],
            c["incidents"],
            "outage declare",
            {
                "title": TITLE,
                "organisation": "Octave (Pollen, Makassar, Nord Sud, Comptoir du Livre…)",
                "sector": "librairie",
                "territories": territory,
                "severity": "major",
                "cause": "cyberattack_confirmed",
                "started": "ce matin",
                "services": "préparation des commandes, facturation, expéditions, Periscope (stocks)",
            },
        )
        assert stamp(STARTED) in await private_reply(ix)
        await settle(d, self.server)
        (thread,) = incident_threads(d, self.server)
        self.thread_id = int(thread["id"])
        role = self.server.roles["librairies"]
        for channel in ANNOUNCED:
            (announcement,) = self.announcements(channel)
            assert HEADING in announcement["content"], announcement["content"]
            if channel == "librairies":
                assert announcement["content"].startswith(f"<@&{role}>"), announcement["content"]
            else:
                assert "<@" not in announcement["content"], (channel, announcement["content"])
            assert field(announcement, "Depuis").startswith(stamp(STARTED) + "F>")
            assert field(announcement, "Gravité") == "Majeure"
            assert field(announcement, "Territoires") == "France entière"
            shown = text_of(announcement)
            for service in ("préparation des commandes", "facturation", "expéditions", "Periscope (stocks)"):
                assert service in shown, (service, shown)
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == [], f"#{channel} should not have received the incident"
        # @librairies has no member yet (libr.toulouse follows the sector only at step 3): nobody is pinged.
        assert notified(d, self.server, self.notes_before) == []
        await self.nudges_after_declaration()

    async def nudges_after_declaration(self) -> None:
        """Nudges to coord.yann (major: 4 h, working hours only): Tue 20/08 09:00 (Monday 19:00 is outside
        working hours), 13:00, 17:00, then one note in #journal-bot at Wed 21/08 09:00 instead of a fourth."""
        d, c = self.double, self.c
        yann = self.m["coord.yann"]
        for moment in (paris(2024, 8, 20, 9, 0), paris(2024, 8, 20, 13, 0), paris(2024, 8, 20, 17, 0)):
            posts = len(d.channel_messages(self.thread_id))
            notes = len(d.notifications())
            d.set_time(moment)
            await settle(d, self.server)
            (nudge,) = d.channel_messages(self.thread_id)[posts:]
            assert nudge["content"].startswith(f"<@{yann}> Il est temps de publier une mise à jour"), nudge["content"]
            assert notified(d, self.server, notes) == [("coord.yann", str(self.thread_id), "user_mention")]
        posts = len(d.channel_messages(self.thread_id))
        d.set_time(paris(2024, 8, 21, 9, 0))
        await settle(d, self.server)
        (note,) = d.channel_messages(c["journal-bot"])
        assert "3 relances sans mise à jour" in note["content"], note["content"]
        assert len(d.channel_messages(self.thread_id)) == posts, "no fourth nudge"

    async def step2(self) -> None:
        """Fri 23/08 10:00 — cause identified, a workaround, two services degraded, ETA "mi-septembre"."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 8, 23, 10, 0))
        posts_before = len(d.channel_messages(self.thread_id))
        ix = await d.run_command(
            m["coord.yann"],
            c["incidents"],
            "outage update",
            {
                "incident": 1,
                "status": "identified",
                "workaround": WORKAROUND,
                "services": "préparation des commandes: dégradé, expéditions: dégradé",
                "eta": "mi-septembre",
            },
        )
        assert stamp(ETA) in await private_reply(ix)
        await settle(d, self.server)
        assert len(d.channel_messages(self.thread_id)) == posts_before + 1, "one post in the thread"
        role = self.server.roles["librairies"]
        for channel in ANNOUNCED:
            standing, news = self.announcements(channel)
            assert "Nouvelles consignes" in news["content"] and HEADING in news["content"], news["content"]
            assert WORKAROUND in text_of(news)
            if channel == "librairies":
                assert news["content"].startswith(f"<@&{role}>"), news["content"]
            else:
                assert "<@" not in news["content"], (channel, news["content"])
            assert standing["edited_timestamp"] is not None
            assert field(standing, "Reprise estimée").startswith(stamp(ETA) + "F>"), field(standing, "Reprise estimée")
            assert field(standing, "Statut") == "Cause identifiée"
            assert WORKAROUND in field(standing, "Consignes (v1)")
        status = text_of(status_message(d, self.thread_id))
        assert "**préparation des commandes** : dégradé" in status and "**expéditions** : dégradé" in status, status
        assert "**facturation** : en panne" in status, status
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == []
        assert notified(d, self.server, self.notes_before) == []

    async def step3(self) -> None:
        """libr.toulouse runs /suivre secteur librairie: gets @librairies and a private confirmation in French."""
        d, m, c = self.double, self.m, self.c
        role = self.server.roles["librairies"]
        before = counts(d, self.server)
        ix = await d.run_command(m["libr.toulouse"], c["occitanie"], "follow", {"sector": "librairie"})
        said = await private_reply(ix)
        assert said == f"Vous suivez désormais librairie : vous avez <@&{role}>, que les annonces mentionnent.", said
        await settle(d, self.server)
        assert role in d.member_roles(self.server.guild_id, m["libr.toulouse"]), "the @librairies role"
        assert counts(d, self.server) == before, "nothing is posted"
        assert notified(d, self.server, self.notes_before) == []

    async def step4(self) -> None:
        """The ETA (Sun 15/09 09:00) passes; the incident is major, so the reminder waits for working hours: Mon
        16/09 09:00, one reminder to coord.yann in the thread to confirm or move the ETA; nothing to the channels."""
        d = self.double
        yann = self.m["coord.yann"]
        before = counts(d, self.server)
        asking = f"<@{yann}> La reprise estimée"

        def eta_reminders() -> list[dict[str, Any]]:
            return [p for p in d.channel_messages(self.thread_id) if p["content"].startswith(asking)]

        d.set_time(paris(2024, 9, 15, 9, 0))
        await settle(d, self.server)
        assert eta_reminders() == [], "Sunday is outside working hours: the ETA reminder waits"
        d.set_time(paris(2024, 9, 16, 9, 0))
        await settle(d, self.server)
        (reminder,) = eta_reminders()
        assert "Confirmez-la ou déplacez-la" in reminder["content"], reminder["content"]
        assert ", prévue le dimanche 15 septembre à 09:00, est passée" in reminder["content"], reminder["content"]
        told = [(n.user_id, n.reason) for n in d.notifications() if n.message_id == int(reminder["id"])]
        assert told == [(yann, "user_mention")], told
        after = counts(d, self.server)
        assert {k: v for k, v in after.items() if k != self.thread_id} == {
            k: v for k, v in before.items() if k != self.thread_id
        }
        assert notified(d, self.server, self.notes_before, channels=list(self.c.values())) == []

    async def step5(self) -> None:
        """Wed 18/09 17:00 — resolved: the recovery everywhere it was announced."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 9, 18, 17, 0))
        announced_before = {ch: len(self.announcements(ch)) for ch in ANNOUNCED}
        posts_before = len(d.channel_messages(self.thread_id))
        ix = await d.run_command(m["coord.yann"], c["incidents"], "outage resolve", {"incident": 1})
        await private_reply(ix)
        await settle(d, self.server)
        posts = d.channel_messages(self.thread_id)[posts_before:]
        assert sum("Panne résolue" in text_of(p) for p in posts) == 1, [text_of(p) for p in posts]
        role = self.server.roles["librairies"]
        for channel in ANNOUNCED:
            assert len(self.announcements(channel)) == announced_before[channel] + 1, channel
            recovery = self.announcements(channel)[-1]
            assert "Rétabli" in recovery["content"] and HEADING in recovery["content"], recovery["content"]
            assert "30 j 8 h" in text_of(recovery), text_of(recovery)  # Mon 19/08 09:00 → Wed 18/09 17:00
            if channel == "librairies":
                assert recovery["content"].startswith(f"<@&{role}>"), recovery["content"]
            else:
                assert "<@" not in recovery["content"], (channel, recovery["content"])
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == []
        # libr.toulouse follows the sector since step 3: the recovery in #librairies notifies them, once.
        assert notified(d, self.server, self.notes_before, channels=list(c.values())) == [
            ("libr.toulouse", "librairies", "role_mention")
        ]


STEPS = ["1-declared-france-entiere", "2-new-workaround-and-eta", "3-follow-sector", "4-eta-passes", "5-resolved"]


@pytest.mark.scenario
async def test_octave(double: DiscordDouble, server: Server, tmp_path: Path) -> None:
    """The whole scenario in one run (a failure names its step)."""
    upto = len(STEPS)
    scenario = Octave(double, server, tmp_path)
    try:
        await scenario.play(upto)
    except BaseException:
        if scenario.bot is not None:
            print("---- bot log ----\n" + scenario.bot.log_text()[-20000:])
        raise
    finally:
        if scenario.bot is not None:
            await scenario.bot.stop()
