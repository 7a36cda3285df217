"""../shared/scenarios/angouleme-2023-07.md — a city and its agglomeration are cut off (July 2023), step by step.

The double's clock is set to July 2023 before the bot starts (the bot follows that clock from its first
moment); the tests act only as the scenario's members and assert what the channels show and whom Discord
notified. Test N plays steps 1..N.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
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
    settle,
    stamp,
    status_message,
    text_of,
)

TITLE = "Cyberattaque : Ville d'Angoulême, GrandAngoulême, L'Alpha"
HEADING = f"#1 · {TITLE}"
ANNOUNCED = ("nouvelle-aquitaine", "collectivites")
NOT_ANNOUNCED = ("bretagne", "pays-de-la-loire", "occitanie", "pharmacies", "librairies")
STARTED = paris(2023, 7, 25, 8, 0)  # "ce matin 8h", said at 09:30
WORKAROUND = "Accueil physique uniquement, aux horaires habituels."
PHONES_NOTE = "Lignes téléphoniques rétablies."
SATURDAY_NOTE = "Sites internet toujours indisponibles. Plainte déposée."
REMINDER = "Point avec la DSI de GrandAngoulême"
MONDAY_9 = paris(2023, 7, 31, 9, 0)  # "lundi 9h", said on Sunday 30/07


class Angouleme:
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

    def public_notes(self) -> list[tuple[str, str, str]]:
        return notified(self.double, self.server, self.notes_before, channels=list(self.c.values()))

    async def nudges(self, times: list[tuple[int, int, int]], *, note_at: tuple[int, int, int]) -> None:
        """One line to coord.anne (the owner) in the thread at each of `times` (July 2023, Paris), mentioning only
        her, then one note in #journal-bot at `note_at` instead of a fourth nudge."""
        d = self.double
        anne = self.m["coord.anne"]
        for day, hour, minute in times:
            posts, notes = len(d.channel_messages(self.thread_id)), len(d.notifications())
            d.set_time(paris(2023, 7, day, hour, minute))
            await settle(d, self.server)
            (line,) = d.channel_messages(self.thread_id)[posts:]
            assert line["content"].startswith(f"<@{anne}> Il est temps de publier"), line["content"]
            assert notified(d, self.server, notes) == [("coord.anne", str(self.thread_id), "user_mention")]
        posts, logged = len(d.channel_messages(self.thread_id)), len(d.channel_messages(self.c["journal-bot"]))
        d.set_time(paris(2023, 7, *note_at))
        await settle(d, self.server)
        (note,) = d.channel_messages(self.c["journal-bot"])[logged:]
        assert "3 relances sans mise à jour" in note["content"], note["content"]
        assert len(d.channel_messages(self.thread_id)) == posts, "no fourth nudge"

    async def start_bot(self) -> None:
        self.bot = BotProcess(self.double, self.workdir, guild_id=self.server.guild_id)
        await self.bot.start()

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()

    async def play(self, upto: int) -> None:
        self.double.set_time(paris(2023, 7, 25, 9, 0))
        await self.start_bot()
        await configure(self.double, self.server)
        await play_steps([self.step1, self.step2, self.step3, self.step4, self.step5][:upto], self.begin)

    def begin(self) -> None:
        self.notes_before = len(self.double.notifications())

    async def step1(self) -> None:
        """Tue 25/07 09:30 — coord.anne declares the cyberattack."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2023, 7, 25, 9, 30))
        territory = await pick(
            d, m["coord.anne"], c["incidents"], "outage declare", "territories", [("16", "Charente")]
        )
        ix = await d.run_command(
            m["coord.anne"],
            c["incidents"],
            "outage declare",
            {
                "title": TITLE,
                "sector": "collectivité",
                "territories": territory,
                "severity": "major",
                "cause": "cyberattack_confirmed",
                "started": "ce matin 8h",
                "services": "sites web, messagerie, téléphonie",
                "workaround": WORKAROUND,
            },
        )
        assert stamp(STARTED) in await private_reply(ix)
        await settle(d, self.server)
        (thread,) = incident_threads(d, self.server)
        self.thread_id = int(thread["id"])
        role = self.server.roles["collectivites-16"]
        for channel in ANNOUNCED:
            (announcement,) = self.announcements(channel)
            assert HEADING in announcement["content"], announcement["content"]
            assert f"tocsin:follow:{self.server.guild_id}:1" in custom_ids(announcement)
            if channel == "collectivites":
                assert announcement["content"].startswith(f"<@&{role}>"), announcement["content"]
            else:
                assert "<@" not in announcement["content"], announcement["content"]
            assert field(announcement, "Depuis").startswith(stamp(STARTED) + "F>")
            assert field(announcement, "Gravité") == "Majeure"
            assert field(announcement, "Cause") == "Cyberattaque confirmée"
            assert WORKAROUND in field(announcement, "Consignes (v1)")
            assert "Charente" in field(announcement, "Territoires")
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == [], f"#{channel} should not have received the incident"
        assert notified(d, self.server, self.notes_before) == [("agent.angouleme", "collectivites", "role_mention")]

    async def step2(self) -> None:
        """agent.angouleme clicks "Suivre" and chooses to be told by DM too."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2023, 7, 25, 9, 45))
        before = counts(d, self.server)
        announcement = self.standing("collectivites")
        agent = m["agent.angouleme"]
        follow = await d.click(
            agent, c["collectivites"], int(announcement["id"]), f"tocsin:follow:{self.server.guild_id}:1"
        )
        answer = await private_reply(follow)
        assert answer.startswith("Vous suivez désormais la panne #1."), answer
        reply = await follow.reply()
        choice = f"tocsin:followdm:{self.server.guild_id}:1:{agent}"
        assert choice in custom_ids(reply), custom_ids(reply)
        dm = await d.click(agent, c["collectivites"], int(reply["id"]), choice)
        assert "Vous recevrez aussi chaque mise à jour par message privé." in await private_reply(dm)
        await settle(d, self.server)
        assert d.dms(agent) == [], "choosing DMs sends none by itself"
        assert counts(d, self.server) == before, "following posts nothing anyone sees"
        assert notified(d, self.server, self.notes_before) == []
        # Nudges (major: 4 h, working hours Mon–Fri 09:00–19:00), counted from the declaration, Tue 25/07 09:30:
        # 09:30 + 4 h = 13:30; 13:30 + 4 h = 17:30; 17:30 + 4 h = 21:30, outside working hours → Wed 26/07 09:00;
        # then instead of a fourth, 09:00 + 4 h = Wed 13:00, one note in #journal-bot; nothing until the update.
        await self.nudges([(25, 13, 30), (25, 17, 30), (26, 9, 0)], note_at=(26, 13, 0))

    async def step3(self) -> None:
        """Thu 27/07 14:00 — telephony is back: partial recovery, each service with its own state."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2023, 7, 27, 14, 0))
        posts_before = len(d.channel_messages(self.thread_id))
        channels_before = {ch: len(d.channel_messages(c[ch])) for ch in ANNOUNCED}
        ix = await d.run_command(
            m["coord.anne"],
            c["incidents"],
            "outage update",
            {"incident": 1, "services": "téléphonie: rétabli", "note": PHONES_NOTE},
        )
        await private_reply(ix)
        await settle(d, self.server)
        assert all("rétabli après 2 j 6 h" in text_of(self.standing(ch)) for ch in ANNOUNCED), "telephony restored"
        # Nudges (plain lines, issue 5) may share the thread; the update's post is the one with an embed.
        (post,) = [p for p in d.channel_messages(self.thread_id)[posts_before:] if p.get("embeds")]
        assert PHONES_NOTE in text_of(post) and "téléphonie** : rétabli après 2 j 6 h" in text_of(post), text_of(post)
        for message in [status_message(d, self.thread_id), self.standing("collectivites")]:
            shown = text_of(message)
            assert "🟢 **téléphonie** : rétabli après 2 j 6 h" in shown, shown
            assert "🔴 **sites web** : en panne" in shown and "🔴 **messagerie** : en panne" in shown, shown
        assert {ch: len(d.channel_messages(c[ch])) for ch in ANNOUNCED} == channels_before, "edited, not reposted"
        assert self.public_notes() == []
        self.assert_follower_told(post)
        (dm,) = d.dms(m["agent.angouleme"])
        assert "Nouvelle mise à jour" in dm["content"] and PHONES_NOTE in text_of(dm), text_of(dm)
        # The update resets the count: Thu 27/07 14:00 + 4 h = 18:00; 18:00 + 4 h = 22:00, outside working hours
        # → Fri 28/07 09:00; 09:00 + 4 h = 13:00; then 13:00 + 4 h = Fri 17:00, the note in #journal-bot.
        await self.nudges([(27, 18, 0), (28, 9, 0), (28, 13, 0)], note_at=(28, 17, 0))

    def assert_follower_told(self, post: dict[str, Any]) -> None:
        """The update's thread post mentions the incident's follow role: agent.angouleme is notified once."""
        d = self.double
        assert post["content"].startswith("<@&"), post["content"]
        told = [n for n in d.notifications()[self.notes_before :] if n.user_id == self.m["agent.angouleme"]]
        assert sorted((n.channel_id == self.thread_id, n.reason) for n in told) == [
            (False, "dm"),
            (True, "role_mention"),
        ]

    async def step4(self) -> None:
        """Sat 29/07 12:00 — a note: thread post, announcements edited, no new ping in #collectivites."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2023, 7, 29, 12, 0))
        posts_before = len(d.channel_messages(self.thread_id))
        edited_before = {ch: self.standing(ch)["edited_timestamp"] for ch in ANNOUNCED}
        channels_before = counts(d, self.server)
        ix = await d.run_command(
            m["coord.anne"], c["incidents"], "outage update", {"incident": 1, "note": SATURDAY_NOTE}
        )
        await private_reply(ix)
        await settle(d, self.server)
        assert all(self.standing(ch)["edited_timestamp"] != edited_before[ch] for ch in ANNOUNCED), "edited"
        # Nudges (plain lines, issue 5) may share the thread; the update's post is the one with an embed.
        (post,) = [p for p in d.channel_messages(self.thread_id)[posts_before:] if p.get("embeds")]
        assert SATURDAY_NOTE in text_of(post)
        for channel in list(ANNOUNCED) + list(NOT_ANNOUNCED):
            assert len(d.channel_messages(c[channel])) == channels_before[c[channel]], channel
        assert self.public_notes() == []
        self.assert_follower_told(post)
        assert len(d.dms(m["agent.angouleme"])) == 2, "one DM per update"

    async def step5(self) -> None:
        """Sun 30/07 10:00 — coord.anne sets /rappel "lundi 9h" "Point avec la DSI de GrandAngoulême" in the
        incident's thread; the bot restarts on Sunday; Mon 31/07 09:00 the reminder comes, in the thread, once."""
        d, m, c = self.double, self.m, self.c
        anne = m["coord.anne"]
        d.set_time(paris(2023, 7, 30, 10, 0))
        ix = await d.run_command(
            anne, c["incidents"], "remind", {"when": "lundi 9h", "what": REMINDER, "where": "thread", "incident": "1"}
        )
        assert stamp(MONDAY_9) in await private_reply(ix)
        await settle(d, self.server)
        posts, notes = len(d.channel_messages(self.thread_id)), len(d.notifications())
        await self.stop_bot()
        await self.start_bot()
        await settle(d, self.server)
        assert len(d.channel_messages(self.thread_id)) == posts, "nothing in the thread on Sunday"

        def reminders() -> list[dict[str, Any]]:
            return [p for p in d.channel_messages(self.thread_id) if REMINDER in p["content"]]

        # Monday 09:00 also brings the nudge for the Saturday update: Sat 29/07 12:00 + 4 h = Sat 16:00, outside
        # working hours → Mon 31/07 09:00 (not a French public holiday).
        d.set_time(MONDAY_9)
        await settle(d, self.server)
        assert len(d.channel_messages(self.thread_id)) == posts + 2, "the reminder and the nudge, nothing else"
        (reminder,) = reminders()
        assert reminder["content"].startswith(f"<@{anne}> Rappel : {REMINDER}"), reminder["content"]
        told = [(n.user_id, n.reason) for n in d.notifications() if n.message_id == int(reminder["id"])]
        assert told == [(anne, "user_mention")], told
        (nudge,) = [p for p in d.channel_messages(self.thread_id)[posts:] if p["id"] != reminder["id"]]
        assert nudge["content"].startswith(f"<@{anne}> Il est temps de publier"), nudge["content"]
        assert notified(d, self.server, notes) == [("coord.anne", str(self.thread_id), "user_mention")] * 2
        shown = await d.run_command(m["agent.angouleme"], c["collectivites"], "outage show", {"incident": 1})
        text = await private_reply(shown)
        assert "téléphonie" in text and "rétabli après 2 j 6 h" in text, text
        assert "sites web" in text and "en panne" in text, text
        await settle(d, self.server)
        assert self.public_notes() == []
        d.set_time(paris(2023, 7, 31, 9, 30))
        await settle(d, self.server)
        assert len(reminders()) == 1, "the reminder is sent once"


STEPS = ["1-declared", "2-follow", "3-telephony-restored", "4-saturday-note", "5-restart-sunday"]


@pytest.mark.scenario
async def test_angouleme(double: DiscordDouble, server: Server, tmp_path: Path) -> None:
    """The whole scenario in one run (a failure names its step)."""
    upto = len(STEPS)
    scenario = Angouleme(double, server, tmp_path)
    try:
        await scenario.play(upto)
    except BaseException:
        if scenario.bot is not None:
            print("---- bot log ----\n" + scenario.bot.log_text()[-20000:])
        raise
    finally:
        await scenario.stop_bot()
