"""../shared/scenarios/cerp-2024-10.md — a pharmacy wholesaler stops (October 2024), step by step.

The bot runs as its own process; the tests act only as the scenario's members through the double, with the
double's clock set to each step's time (Europe/Paris), and assert what every channel shows and whom Discord
notified. Test N plays steps 1..N (each step asserts its own "Expect"), so the first failing test names the
first step the bot gets wrong.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
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
    play_steps,
    private_reply,
    private_reply_linking,
    settle,
    stamp,
    status_message,
    text_of,
)

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
        steps = [self.step1, self.step2, self.step3, self.step4, self.step5, self.step6, self.step7, self.step8]
        await play_steps(steps[:upto], self.begin)

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
        await settle(d, self.server)

        (thread,) = incident_threads(d, self.server)
        self.thread_id = int(thread["id"])
        assert thread["name"].startswith(HEADING[:90]), thread["name"]
        # The private confirmation: at once the times understood, as Discord timestamps, and where it was
        # announced; the link to the thread as soon as the thread exists (an edit of the same reply).
        assert stamp(STARTED) in confirmation and stamp(ETA) in confirmation, confirmation
        confirmation = await private_reply_linking(d, ix, self.thread_id)
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

        await settle(d, self.server)
        messages = [status_message(d, self.thread_id)] + [self.standing(ch) for ch in ANNOUNCED]
        assert all(field(msg, "Membres concernés") == "1" for msg in messages), "the affected count, everywhere"
        follow = await d.click(
            m["pharma.brest"], c["bretagne"], int(announcement["id"]), f"tocsin:follow:{self.server.guild_id}:1"
        )
        answer = await private_reply(follow)
        assert answer.strip(), "the Follow click is answered privately"
        await settle(d, self.server)
        assert counts(d, self.server) == before, "no new message is posted anywhere"
        assert notified(d, self.server, self.notes_before) == []
        # Following gave pharma.brest the incident's follow role (one request), which later thread posts mention.
        (follow_role,) = [int(r["id"]) for r in d.roles(self.server.guild_id) if r["name"] == "suivi #1"]
        assert follow_role in d.member_roles(self.server.guild_id, m["pharma.brest"])
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
        assert shown.count(TITLE) == 1 and re.search(r"#\**1\b", shown), shown
        assert not re.search(r"#\**2\b", shown), f"a second incident was created: {shown}"
        await settle(d, self.server)
        assert len(incident_threads(d, self.server)) == 1
        assert counts(d, self.server) == before, "nothing was created"
        assert notified(d, self.server, self.notes_before) == []
        await self.nudges([(19, 13, 40), (19, 14, 40), (19, 15, 40)], "Il est temps", note_at=(19, 16, 40))

    async def nudges(
        self, times: list[tuple[int, int, int]], opening: str, *, note_at: tuple[int, int, int], to: str = "coord.anne"
    ) -> None:
        """One line to `to` in the thread at each of `times` (Oct 2024, Paris), mentioning only them, then one note
        in #journal-bot at `note_at` instead of another nudge."""
        d = self.double
        who = self.m[to]
        for day, hour, minute in times:
            posts, notes = len(d.channel_messages(self.thread_id)), len(d.notifications())
            d.set_time(paris(2024, 10, day, hour, minute))
            await settle(d, self.server)
            (line,) = d.channel_messages(self.thread_id)[posts:]
            assert line["content"].startswith(f"<@{who}> {opening}"), line["content"]
            assert notified(d, self.server, notes) == [(to, str(self.thread_id), "user_mention")]
        posts, logged = len(d.channel_messages(self.thread_id)), len(d.channel_messages(self.c["journal-bot"]))
        d.set_time(paris(2024, 10, *note_at))
        await settle(d, self.server)
        (note,) = d.channel_messages(self.c["journal-bot"])[logged:]
        assert "3 relances sans mise à jour" in note["content"], note["content"]
        assert len(d.channel_messages(self.thread_id)) == posts, "no fourth nudge"

    async def step4(self) -> None:
        """Sat 20:10 — coord.yann posts a note and commits to the next update "demain 10h"."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 20, 10))
        posts_before = len(d.channel_messages(self.thread_id))
        ix = await d.run_command(
            m["coord.yann"], c["incidents"], "outage update", {"incident": 1, "note": NOTE, "next_update": "demain 10h"}
        )
        assert stamp(NEXT_UPDATE) in await private_reply(ix)
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
        # The followers (pharma.brest) are told through the incident's follow role, once, and nobody else.
        assert self.thread_notes() == [("pharma.brest", str(self.thread_id), "role_mention")], self.thread_notes()
        assert post["content"].startswith("<@&"), post["content"]

    async def step5(self) -> None:
        """Sunday 20/10 passes without an update: at 10:00 one reminder to coord.yann (he committed to that
        time), then nudges to coord.anne at 11:00 and 12:00, a note in #journal-bot at 13:00, nothing more; the
        announcement channels get nothing new."""
        d = self.double
        before = {ch: len(d.channel_messages(self.c[ch])) for ch in ANNOUNCED + NOT_ANNOUNCED}
        posts, notes = len(d.channel_messages(self.thread_id)), len(d.notifications())
        d.set_time(paris(2024, 10, 20, 10, 0))
        await settle(d, self.server)
        (line,) = d.channel_messages(self.thread_id)[posts:]
        assert line["content"].startswith(f"<@{self.m['coord.yann']}> Vous aviez annoncé"), line["content"]
        assert notified(d, self.server, notes) == [("coord.yann", str(self.thread_id), "user_mention")]
        # The committed time's reminder counts as the first of three nudges in a row (critical: 1 h cadence).
        await self.nudges([(20, 11, 0), (20, 12, 0)], "Il est temps", note_at=(20, 13, 0))
        posts, logged = len(d.channel_messages(self.thread_id)), len(d.channel_messages(self.c["journal-bot"]))
        d.set_time(paris(2024, 10, 20, 20, 0))
        await settle(d, self.server)
        assert len(d.channel_messages(self.thread_id)) == posts, "nothing more on Sunday"
        assert len(d.channel_messages(self.c["journal-bot"])) == logged, "no second note on Sunday"
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
        # The thread post notifies the incident's follower, pharma.brest, once, through the follow role.
        followers_told = [note for note in self.thread_notes() if note[0] == "pharma.brest"]
        assert followers_told == [("pharma.brest", str(self.thread_id), "role_mention")], self.thread_notes()
        (post,) = d.channel_messages(self.thread_id)[posts_before:]
        shown = text_of(post)
        assert "Surveillance" in shown and WORKAROUND_2 in shown, shown
        assert "commandes** : rétabli après 1 j 20 h 30 min" in shown, shown
        assert "livraisons** : en panne → dégradé" in shown, shown
        status = text_of(status_message(d, self.thread_id))
        assert "commandes** : rétabli après 1 j 20 h 30 min" in status, status
        assert "livraisons** : dégradé" in status, status
        # 09:00: the ETA ("lundi matin") passes with the incident open: one reminder to coord.anne, not a nudge.
        posts = len(d.channel_messages(self.thread_id))
        d.set_time(paris(2024, 10, 21, 9, 0))
        await settle(d, self.server)
        (eta,) = d.channel_messages(self.thread_id)[posts:]
        assert eta["content"].startswith(f"<@{m['coord.anne']}> La reprise estimée"), eta["content"]
        await self.nudges([(21, 9, 30), (21, 10, 30), (21, 11, 30)], "Il est temps", note_at=(21, 12, 30))

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
        # The thread post notifies the incident's follower, pharma.brest, once, through the follow role.
        followers_told = [note for note in self.thread_notes() if note[0] == "pharma.brest"]
        assert followers_told == [("pharma.brest", str(self.thread_id), "role_mention")], self.thread_notes()
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

    async def step8(self) -> None:
        """Wed 23/10 — admin.sophie: /exporter période "octobre 2024" format CSV, then HTML, privately."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 23, 9, 0))
        before = counts(d, self.server)
        files: dict[str, bytes] = {}
        for file_format in ("csv", "html"):
            ix = await d.run_command(
                m["admin.sophie"], c["journal-bot"], "export", {"period": "octobre 2024", "format": file_format}
            )
            await private_reply(ix)
            await settle(d, self.server)
            assert ix.followups, f"the {file_format} export"
            for message in ix.followups:
                assert message["flags"] & 64, "the export is sent privately"
                files |= {a["filename"]: d.attachment_data[int(a["id"])] for a in message["attachments"]}
        with zipfile.ZipFile(io.BytesIO(files["tocsin-2024-10-01-2024-11-01.zip"])) as archive:
            (row,), services = (
                list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";"))
                for name in ("incidents.csv", "services.csv")
            )
        assert (row["number"], row["title"], row["organisation"]) == ("1", TITLE, "Cerp Bretagne Atlantique")
        assert (row["started"], row["resolved"]) == ("2024-10-19T12:00+02:00", "2024-10-22T11:00+02:00")
        assert row["duration_min"] == str((2 * 24 + 23) * 60), row  # 2 j 23 h
        assert row["territories"].split(", ") == [
            "Bretagne (région 53)",
            "Pays de la Loire (région 52)",
            "Nouvelle-Aquitaine (région 75)",
        ]
        downtimes = {s["service"]: (s["downtime_min"], s["degraded_min"]) for s in services}
        assert downtimes == {"commandes": ("2670", "0"), "livraisons": ("2670", "1590")}  # 1 j 20 h 30, 1 j 2 h 30
        report = files["tocsin-2024-10-01-2024-11-01.html"].decode("utf-8")
        assert 'id="chart"' in report and 'id="incident-1"' in report and "Chronologie" in report
        assert WORKAROUND_2 in report and "Activité rétablie, livraisons normales." in report
        assert "2 j 23 h" in report
        assert counts(d, self.server) == before, "nothing is posted in any channel"


STEPS = [
    "1-declared",
    "2-affected-and-follow",
    "3-refused-to-a-member",
    "4-note-and-next-update",
    "5-sunday-without-update",
    "6-partial-recovery-new-workaround",
    "7-resolved",
    "8-exported",
]


@pytest.mark.scenario
async def test_cerp_bretagne_atlantique(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    """The whole scenario in one run (a failure names its step): replaying steps 1..N for each N costs minutes."""
    await Cerp(double, server).play(len(STEPS))
