"""../shared/scenarios/cerp-2024-10.md — a pharmacy wholesaler stops (October 2024), step by step.

The bot runs as its own process; the tests act only as the scenario's members through the double, with the
double's clock set to each step's time (Europe/Paris), and assert what every channel shows and whom Discord
notified. Test N plays steps 1..N (each step asserts its own "Expect"), so the first failing test names the
first step the bot gets wrong.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    COORDINATOR_ONLY,
    bot_messages,
    configure,
    counts,
    custom_ids,
    field,
    incident_threads,
    notified,
    paris,
    pick,
    private_reply,
    settle,
    stamp,
    status_message,
    text_of,
)

# Lines of the scenario that need issue 5 (delivery: follows that notify, DMs, nudges, reminders, the
# per-incident follow role) or issue 6 (exports). They are asserted when those land; until then each is named
# here and what is observable of it today is asserted below (e.g. the Follow click is answered privately).
PENDING_DELIVERY_LINES = [
    "step 2 (issue 5): after 'Suivre', later thread posts notify pharma.brest (per-incident follow role)",
    "step 3 (issue 5): nudges to coord.anne in the thread at Sat 13:40, 14:40, 15:40 (critical: 1 h, any hour)",
    "step 3 (issue 5): at Sat 16:40 one note in #journal-bot instead of a fourth nudge, then nothing",
    "step 4 (issue 5): the thread post notifies the incident's followers (pharma.brest), through the follow role",
    "step 5 (issue 5): Sun 10:00 reminder to coord.yann in the thread (he committed to that time), once",
    "step 5 (issue 5): nudges to coord.anne Sun 11:00 and 12:00, a note in #journal-bot at 13:00, nothing more",
    "step 6 (issue 5): Mon 09:00 ETA passed: one reminder to coord.anne in the thread (not counted as a nudge)",
    "step 6 (issue 5): nudges Mon 09:30, 10:30, 11:30, a note in #journal-bot at 12:30",
    "step 6/7 (issue 5): the update and resolution thread posts notify the followers (pharma.brest)",
]
PENDING_EXPORT_LINES = [
    "step 8 (issue 6): /exporter période 'octobre 2024' format CSV: one row per incident with start, end, "
    "duration, services, territories",
    "step 8 (issue 6): /exporter format HTML: the report shows the timeline",
]

TITLE = "Cerp Bretagne Atlantique à l'arrêt"
HEADING = f"#1 · {TITLE}"
ANNOUNCED = ("bretagne", "pays-de-la-loire", "nouvelle-aquitaine", "pharmacies")
NOT_ANNOUNCED = ("occitanie", "librairies", "collectivites")
PHARMACIES_MEMBERS = [
    ("pharma.angouleme", "pharmacies", "role_mention"),
    ("pharma.brest", "pharmacies", "role_mention"),
]
STARTED = paris(2024, 10, 19, 12, 0)  # "aujourd'hui midi"
ETA = paris(2024, 10, 21, 9, 0)  # "lundi matin"
NEXT_UPDATE = paris(2024, 10, 20, 10, 0)  # "demain 10h", said on Saturday evening
WORKAROUND_1 = "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche."
WORKAROUND_2 = "Commandes de nouveau possibles ; livraisons avec retard."
NOTE = "Toujours aucune information de la Cerp. Le procureur de Saint-Brieuc indique qu'aucune plainte n'a été déposée."


class Cerp:
    def __init__(self, double: DiscordDouble, server: Server) -> None:
        self.double = double
        self.server = server
        self.m = server.members
        self.c = server.channels
        self.thread_id = 0
        self.notes_before = 0

    def announcements(self, channel: str) -> list[dict[str, Any]]:
        return bot_messages(self.double, self.c[channel])

    def standing(self, channel: str) -> dict[str, Any]:
        """The channel's standing announcement: its first message from the bot."""
        messages = self.announcements(channel)
        assert messages, f"no announcement in #{channel}"
        return messages[0]

    def step_notes(self, *, outside_thread: bool = True) -> list[tuple[str, str, str]]:
        channels = list(self.c.values()) if outside_thread else None
        return notified(self.double, self.server, self.notes_before, channels=channels)

    def thread_notes(self) -> list[tuple[str, str, str]]:
        return notified(self.double, self.server, self.notes_before, channels=[self.thread_id])

    def begin(self) -> None:
        self.notes_before = len(self.double.notifications())

    async def play(self, upto: int) -> None:
        await configure(self.double, self.server)
        steps = [self.step1, self.step2, self.step3, self.step4, self.step5, self.step6, self.step7]
        for step in steps[:upto]:
            self.begin()
            await step()

    async def step1(self) -> None:
        """Sat 19/10 12:40 — coord.anne declares in one line."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 12, 40))
        territories = await pick(
            d,
            m["coord.anne"],
            c["incidents"],
            "outage declare",
            "territories",
            [("53", "Bretagne"), ("52", "Pays de la Loire"), ("75", "Nouvelle-Aquitaine")],
        )
        ix = await d.run_command(
            m["coord.anne"],
            c["incidents"],
            "outage declare",
            {
                "title": TITLE,
                "organisation": "Cerp Bretagne Atlantique",
                "sector": "pharmacie",
                "territories": territories,
                "severity": "critical",
                "cause": "cyberattack_suspected",
                "started": "aujourd'hui midi",
                "services": "commandes, livraisons",
                "eta": "lundi matin",
                "workaround": WORKAROUND_1,
                "impact": "≈1 800 officines",
            },
        )
        confirmation = await private_reply(ix)
        await d.wait_for(lambda: len(incident_threads(d, self.server)) >= 1, what="the incident thread")
        for channel in ANNOUNCED:
            await d.wait_for_messages(c[channel], 1)
        await settle(d, self.server)

        (thread,) = incident_threads(d, self.server)
        self.thread_id = int(thread["id"])
        assert thread["name"].startswith(HEADING[:90]), thread["name"]
        # The private confirmation: the link to the thread and the times understood, as Discord timestamps.
        assert str(self.thread_id) in confirmation, confirmation
        assert stamp(STARTED) in confirmation and stamp(ETA) in confirmation, confirmation

        status = status_message(d, self.thread_id)
        for message, where in [(status, "the thread's status message")] + [
            (self.standing(ch), f"#{ch}") for ch in ANNOUNCED
        ]:
            assert field(message, "Depuis").startswith(stamp(STARTED) + "F>"), (where, field(message, "Depuis"))
            assert field(message, "Reprise estimée").startswith(stamp(ETA) + "F>"), where
            assert field(message, "Gravité") == "Critique", where
            assert field(message, "Cause") == "Cyberattaque suspectée", where
            assert field(message, "Statut") == "En cours d'analyse", where
            assert "Reporter toute commande à lundi matin." in field(message, "Consignes (v1)"), where
            assert "1 800 officines" in field(message, "Impact"), where
            assert field(message, "Membres concernés") == "0", where
            for region in ("Bretagne", "Pays de la Loire", "Nouvelle-Aquitaine"):
                assert region in field(message, "Territoires"), (where, field(message, "Territoires"))
            text = text_of(message)
            assert "commandes" in text and "livraisons" in text and "en panne" in text, where

        for channel in ANNOUNCED:
            (announcement,) = self.announcements(channel)
            assert HEADING in announcement["content"], (channel, announcement["content"])
            assert str(self.thread_id) in text_of(announcement), f"#{channel}'s announcement links to the thread"
            ids = custom_ids(announcement)
            assert (
                f"tocsin:follow:{self.server.guild_id}:1" in ids and f"tocsin:affected:{self.server.guild_id}:1" in ids
            )
            role = self.server.roles["pharmacies-ouest"]
            if channel == "pharmacies":
                assert announcement["content"].startswith(f"<@&{role}>"), announcement["content"]
                assert [int(r) for r in announcement["mention_roles"]] == [role]
            else:
                assert "<@" not in announcement["content"], (channel, announcement["content"])
                assert announcement["mention_roles"] == [] and announcement["mentions"] == [], channel
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == [], f"#{channel} should not have received the incident"
        # Only @pharmacies-ouest's members, once each, in #pharmacies; nobody anywhere else.
        assert notified(d, self.server, self.notes_before) == PHARMACIES_MEMBERS

    async def step2(self) -> None:
        """Sat 12:55 — pharma.brest: "Je suis concerné·e" then "Suivre" on the #bretagne announcement."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 12, 55))
        before = counts(d, self.server)
        announcement = self.standing("bretagne")
        affected = await d.click(
            m["pharma.brest"], c["bretagne"], int(announcement["id"]), f"tocsin:affected:{self.server.guild_id}:1"
        )
        first = await affected.first_response()
        if first["type"] in (4, 5):  # answered with a message: it must be private
            await private_reply(affected)

        def counted() -> bool:
            messages = [status_message(d, self.thread_id)] + [self.standing(ch) for ch in ANNOUNCED]
            return all(field(msg, "Membres concernés") == "1" for msg in messages)

        await d.wait_for(counted, what="the affected count to reach 1 everywhere")
        follow = await d.click(
            m["pharma.brest"], c["bretagne"], int(announcement["id"]), f"tocsin:follow:{self.server.guild_id}:1"
        )
        answer = await private_reply(follow)
        assert answer.strip(), "the Follow click is answered privately"
        await settle(d, self.server)
        assert counts(d, self.server) == before, "no new message is posted anywhere"
        assert notified(d, self.server, self.notes_before) == []
        assert all(field(self.standing(ch), "Membres concernés") == "1" for ch in ANNOUNCED), "counted once"

    async def step3(self) -> None:
        """Sat 13:05 — pharma.angouleme, not a coordinator, tries to declare the same outage."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 13, 5))
        before = counts(d, self.server)
        ix = await d.run_command(
            m["pharma.angouleme"],
            c["pharmacies"],
            "outage declare",
            {
                "title": TITLE,
                "sector": "pharmacie",
                "territories": "53",
                "severity": "critical",
                "cause": "cyberattack_suspected",
                "started": "aujourd'hui midi",
                "services": "commandes, livraisons",
            },
        )
        assert await private_reply(ix) == COORDINATOR_ONLY
        listing = await d.run_command(m["pharma.angouleme"], c["pharmacies"], "outage list", {"status": "all"})
        shown = await private_reply(listing)
        assert shown.count(TITLE) == 1 and re.search(r"(#|n°)\**1\b", shown), shown
        assert not re.search(r"(#|n°)\**2\b", shown), f"a second incident was created: {shown}"
        await settle(d, self.server)
        assert len(incident_threads(d, self.server)) == 1
        assert counts(d, self.server) == before, "nothing was created"
        assert notified(d, self.server, self.notes_before) == []

    async def step4(self) -> None:
        """Sat 20:10 — coord.yann posts a note and commits to the next update "demain 10h"."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 20, 10))
        posts_before = len(d.channel_messages(self.thread_id))
        ix = await d.run_command(
            m["coord.yann"], c["incidents"], "outage update", {"incident": 1, "note": NOTE, "next_update": "demain 10h"}
        )
        assert stamp(NEXT_UPDATE) in await private_reply(ix)
        await d.wait_for_messages(self.thread_id, posts_before + 1)
        await d.wait_for(
            lambda: all(stamp(NEXT_UPDATE) in text_of(self.standing(ch)) for ch in ANNOUNCED),
            what="the announcements to show the next update",
        )
        await settle(d, self.server)
        (post,) = d.channel_messages(self.thread_id)[posts_before:]
        assert NOTE in text_of(post), text_of(post)
        assert stamp(NEXT_UPDATE) in text_of(post)
        assert field(status_message(d, self.thread_id), "Prochaine mise à jour").startswith(stamp(NEXT_UPDATE) + "F>")
        for channel in ANNOUNCED:
            (announcement,) = self.announcements(channel)  # edited in place, not reposted
            assert announcement["edited_timestamp"] is not None
            assert field(announcement, "Prochaine mise à jour").startswith(stamp(NEXT_UPDATE) + "F>"), channel
            assert field(announcement, "Prochaine mise à jour").endswith(f"<@{m['coord.yann']}>"), channel
        assert self.step_notes() == [], "nobody is notified in the channels"
        # The followers (pharma.brest) are told through the follow role: PENDING_DELIVERY_LINES (issue 5). What
        # the post may ping is only them.
        assert {who for who, _, _ in self.thread_notes()} <= {"pharma.brest"}, self.thread_notes()

    async def step5(self) -> None:
        """Sunday 20/10 passes without an update: reminder and nudges (issue 5) reach the thread and
        #journal-bot only; the announcement channels get nothing new."""
        d = self.double
        before = {ch: len(d.channel_messages(self.c[ch])) for ch in ANNOUNCED + NOT_ANNOUNCED}
        for hour in (10, 11, 12, 13, 20):
            d.set_time(paris(2024, 10, 20, hour, 0))
            await settle(d, self.server)
        assert {ch: len(d.channel_messages(self.c[ch])) for ch in ANNOUNCED + NOT_ANNOUNCED} == before
        public = [self.c[ch] for ch in ANNOUNCED + NOT_ANNOUNCED]
        assert notified(d, self.server, self.notes_before, channels=public) == []

    async def step6(self) -> None:
        """Mon 21/10 08:30 — coord.anne: monitoring, commandes restored, livraisons degraded, new workaround."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 21, 8, 30))
        posts_before = len(d.channel_messages(self.thread_id))
        ix = await d.run_command(
            m["coord.anne"],
            c["incidents"],
            "outage update",
            {
                "incident": 1,
                "status": "monitoring",
                "services": "commandes: rétabli, livraisons: dégradé",
                "workaround": WORKAROUND_2,
            },
        )
        await private_reply(ix)
        for channel in ANNOUNCED:
            await d.wait_for_messages(c[channel], 2)
        await d.wait_for_messages(self.thread_id, posts_before + 1)
        await settle(d, self.server)
        role = self.server.roles["pharmacies-ouest"]
        for channel in ANNOUNCED:
            standing, news = self.announcements(channel)
            assert "Nouvelles consignes" in news["content"] and HEADING in news["content"], news["content"]
            assert WORKAROUND_2 in text_of(news), text_of(news)
            assert len(news["content"]) < 300, "a short new message"
            if channel == "pharmacies":
                assert news["content"].startswith(f"<@&{role}>"), news["content"]
            else:
                assert "<@" not in news["content"], (channel, news["content"])
            assert field(standing, "Statut") == "Surveillance", channel
            assert WORKAROUND_2 in field(standing, "Consignes (v2)"), channel
        assert self.step_notes() == PHARMACIES_MEMBERS
        (post,) = d.channel_messages(self.thread_id)[posts_before:]
        shown = text_of(post)
        assert "Surveillance" in shown and WORKAROUND_2 in shown, shown
        assert "commandes** : rétabli après 1 j 20 h 30 min" in shown, shown
        assert "livraisons** : en panne → dégradé" in shown, shown
        status = text_of(status_message(d, self.thread_id))
        assert "commandes** : rétabli après 1 j 20 h 30 min" in status, status
        assert "livraisons** : dégradé" in status, status

    async def step7(self) -> None:
        """Tue 22/10 11:00 — coord.anne resolves: the recovery announcement everywhere, with the durations."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 22, 11, 0))
        posts_before = len(d.channel_messages(self.thread_id))
        announced_before = {ch: len(self.announcements(ch)) for ch in ANNOUNCED}
        ix = await d.run_command(
            m["coord.anne"],
            c["incidents"],
            "outage resolve",
            {"incident": 1, "summary": "Activité rétablie, livraisons normales."},
        )
        await private_reply(ix)
        for channel in ANNOUNCED:
            await d.wait_for_messages(c[channel], announced_before[channel] + 1)
        await d.wait_for_messages(self.thread_id, posts_before + 1)
        await settle(d, self.server)
        role = self.server.roles["pharmacies-ouest"]
        for channel in ANNOUNCED:
            recovery = self.announcements(channel)[-1]
            assert len(self.announcements(channel)) == announced_before[channel] + 1
            shown = text_of(recovery)
            assert "Rétabli" in recovery["content"] and HEADING in recovery["content"], recovery["content"]
            assert "2 j 23 h" in shown, shown
            if channel == "pharmacies":
                assert recovery["content"].startswith(f"<@&{role}>"), recovery["content"]
            else:
                assert "<@" not in recovery["content"], (channel, recovery["content"])
            assert field(self.standing(channel), "Statut") == "Résolu", channel
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == [], channel
        assert self.step_notes() == PHARMACIES_MEMBERS
        (post,) = d.channel_messages(self.thread_id)[posts_before:]
        shown = text_of(post)
        assert "2 j 23 h" in shown, shown
        assert "**commandes** : en panne 1 j 20 h 30 min" in shown, shown
        assert "**livraisons** : en panne 1 j 20 h 30 min, puis dégradé 1 j 2 h 30 min" in shown, shown
        assert "Activité rétablie, livraisons normales." in shown
        # Over the whole scenario: @pharmacies-ouest's members were told three times in #pharmacies (declared,
        # new workaround, recovery) and never anywhere else outside the thread.
        everything = notified(d, self.server, 0, channels=list(c.values()))
        assert everything == sorted(PHARMACIES_MEMBERS * 3), everything


STEPS = [
    "1-declared",
    "2-affected-and-follow",
    "3-refused-to-a-member",
    "4-note-and-next-update",
    "5-sunday-without-update",
    "6-partial-recovery-new-workaround",
    "7-resolved",
]


@pytest.mark.scenario
@pytest.mark.parametrize("upto", range(1, len(STEPS) + 1), ids=STEPS)
async def test_cerp_bretagne_atlantique(double: DiscordDouble, server: Server, bot: BotProcess, upto: int) -> None:
    await Cerp(double, server).play(upto)
