"""../shared/scenarios/cerp-reports-2024-10.md — pharmacies raise the alarm before anyone declares (October 2024).

The bot runs as its own process; the test acts only as the scenario's members through the double, with the
double's clock set to each step's time (Europe/Paris), and asserts every "Expect:" of the file: what each channel
shows, whom Discord notified, the times, the counts and the export's figures. The steps are played in the order of
their times (step 8, at 13:50, comes between the two halves of step 7). A failure names its step.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.transcript import component, message_now
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.reports_support import CERP, add_reporters, alerts, cards, configure_reports, counted
from tests.e2e.scenario_support import (
    bot_messages,
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

TITLE = "Cerp Bretagne Atlantique à l'arrêt"
NOON = paris(2024, 10, 19, 12, 0)
REPORTERS = ("pharma.stbrieuc", "pharma.brest", "pharma.angouleme")
ANNOUNCED = ("bretagne", "nouvelle-aquitaine", "pharmacies")
NOT_ANNOUNCED = ("pays-de-la-loire", "occitanie", "librairies", "collectivites")
PHARMACISTS = ("pharma.angouleme", "pharma.brest", "pharma.quimper", "pharma.stbrieuc")
POLLEN_REASON = "incident local chez un seul libraire"


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    built = build_grand_ouest(double)
    add_reporters(double, built)
    return built


def modal_values(ix: InteractionHandle) -> dict[str, str]:
    """What a form shows when it opens: each field's pre-filled value."""
    assert ix.modal is not None
    return {
        str(item["custom_id"]): str(item.get("value") or "")
        for row in ix.modal.get("components", [])
        for item in row.get("components", [row.get("component")])
        if item
    }


class ReportsScenario:
    def __init__(self, double: DiscordDouble, server: Server) -> None:
        self.double = double
        self.server = server
        self.m = server.members
        self.c = server.channels
        self.notes_before = 0
        self.thread_id = 0

    def begin(self) -> None:
        self.notes_before = len(self.double.notifications())

    def notes(self) -> list[tuple[str, str, str]]:
        return notified(self.double, self.server, self.notes_before)

    def outside_reports(self) -> dict[int, int]:
        """How many messages each channel and thread holds, #signalements aside."""
        return {ch: n for ch, n in counts(self.double, self.server).items() if ch != self.c["signalements"]}

    def card_of(self, organisation: str) -> dict[str, Any]:
        (card,) = [card for card in cards(self.double, self.server) if organisation in card["embeds"][0]["title"]]
        return card

    async def report(self, who: str, options: dict[str, str], channel: str = "pharmacies") -> str:
        ix = await self.double.run_command(self.m[who], self.c[channel], "report", options)
        return await private_reply(ix)

    async def play(self) -> None:
        await configure_reports(self.double, self.server)
        steps = [
            self.step1,
            self.step2,
            self.step3,
            self.step4,
            self.step5,
            self.step6,
            self.step7_pollen_reported,
            self.step8_four_reports,
            self.step7_pollen_set_aside,
            self.step9,
        ]
        await play_steps(steps, self.begin)

    async def step1(self) -> None:
        """Sat 19/10 12:20 — pharma.stbrieuc reports Cerp Bretagne Atlantique: one card, nobody notified."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 12, 20))
        before = self.outside_reports()
        said = await self.report(
            "pharma.stbrieuc",
            {
                "organisation": CERP,
                "services": "livraisons",
                "since": "midi",
                "territories": "22",
                "details": "Livraison de midi pas arrivée, le site de commande ne répond plus.",
            },
        )
        assert "Signalement enregistré" in said and "Aucune panne n'est déclarée pour l'instant" in said, said
        assert "les coordinateurs vont l'examiner" in said, said
        await d.wait_for(lambda: len(cards(d, self.server)) == 1, what="the card")
        await settle(d, self.server)
        (card,) = bot_messages(d, self.c["signalements"])
        assert counted(card) == ("1", "1")
        assert CERP in card["embeds"][0]["title"]
        assert field(card, "Services") == "livraisons"
        assert field(card, "Territoires") == "Côtes-d'Armor (22)"
        assert field(card, "Depuis").startswith(stamp(NOON))
        assert "Livraison de midi pas arrivée, le site de commande ne répond plus." in field(card, "Derniers détails")
        assert self.outside_reports() == before, "no message anywhere else"
        assert self.notes() == [], "nobody notified"

    async def step2(self) -> None:
        """12:32 — pharma.brest types "cerp", picks the suggestion; services commandes, territoire 29."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 12, 32))
        picked = await pick(d, self.m["pharma.brest"], self.c["pharmacies"], "report", "organisation", [("cerp", CERP)])
        assert picked == CERP
        said = await self.report("pharma.brest", {"organisation": picked, "services": "commandes", "territories": "29"})
        assert "Signalement enregistré" in said, said
        await d.wait_for(lambda: counted(cards(d, self.server)[0]) == ("2", "2"), what="the card at 2 reports")
        await settle(d, self.server)
        (card,) = bot_messages(d, self.c["signalements"])
        assert card["edited_timestamp"] is not None, "the same card, edited"
        assert set(field(card, "Services").split(", ")) == {"commandes", "livraisons"}
        assert field(card, "Territoires") == "Côtes-d'Armor (22), Finistère (29)"
        assert self.notes() == []

    async def step3(self) -> None:
        """12:35 — pharma.brest reports the same thing again: told they already did; counted once."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 12, 35))
        said = await self.report("pharma.brest", {"organisation": CERP, "details": "Toujours rien, téléphone saturé."})
        assert "Vous aviez déjà signalé" in said, said
        await d.wait_for(lambda: counted(cards(d, self.server)[0]) == ("2", "3"), what="the new details on the card")
        await settle(d, self.server)
        (card,) = bot_messages(d, self.c["signalements"])
        assert field(card, "Membres") == "2", "the count stays at 2"
        assert "Toujours rien, téléphone saturé." in field(card, "Derniers détails")
        assert self.notes() == []

    async def step4(self) -> None:
        """12:41 — pharma.angouleme, the third member within 60 minutes: one alert mentioning @coordination."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 12, 41))
        options = {"organisation": CERP, "services": "commandes, livraisons", "territories": "16"}
        assert "Signalement enregistré" in await self.report("pharma.angouleme", options)
        await d.wait_for(lambda: len(alerts(d, self.server)) == 1, what="the alert")
        await settle(d, self.server)
        card, alert = bot_messages(d, self.c["signalements"])
        assert counted(card) == ("3", "4")
        coordination = self.server.roles["coordination"]
        assert alert["content"].startswith(f"<@&{coordination}>"), alert["content"]
        assert [int(r) for r in alert["mention_roles"]] == [coordination] and alert["mentions"] == []
        assert not alert["mention_everyone"]
        assert (
            f"https://discord.com/channels/{self.server.guild_id}/{self.c['signalements']}/{card['id']}"
            in (alert["content"])
        ), "it links to the card"
        assert self.notes() == [
            ("coord.anne", "signalements", "role_mention"),
            ("coord.yann", "signalements", "role_mention"),
        ]

    async def step5(self) -> None:
        """12:45 — coord.anne clicks "Déclarer": a private panel, then the form pre-filled from the reports."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 12, 45))
        card = self.card_of(CERP)
        declare = component(card, "tocsin:report:declare:")
        click = await d.click(m["coord.anne"], c["signalements"], int(card["id"]), str(declare["custom_id"]))
        panel = await click.reply()
        assert click.ephemeral, "the panel is private"
        sector = component(panel, "tocsin:rdecl:sector:")
        assert [o["label"] for o in sector["options"] if o.get("default")] == ["pharmacie"], "pharmacie pre-selected"
        for prefix, label in (("tocsin:rdecl:sev:", "Critique"), ("tocsin:rdecl:cause:", "Cyberattaque suspectée")):
            menu = component(message_now(d, c["signalements"], int(panel["id"])), prefix)
            (value,) = [o["value"] for o in menu["options"] if o["label"] == label]
            chose = await d.select(m["coord.anne"], c["signalements"], int(panel["id"]), menu["custom_id"], [value])
            assert (await chose.first_response())["type"] == 7, "the panel is updated in place"
        go = component(message_now(d, c["signalements"], int(panel["id"])), "tocsin:rdecl:go:")
        form = await d.click(m["coord.anne"], c["signalements"], int(panel["id"]), str(go["custom_id"]))
        assert (await form.first_response())["type"] == 9
        values = modal_values(form)
        assert len(values) <= 5, "at most five fields, as Discord allows"
        assert values["organisation"] == CERP and values["title"] == ""
        assert set(values["services"].split(", ")) == {"commandes", "livraisons"}
        assert values["territories"] == "Côtes-d'Armor (22), Finistère (29), Charente (16)"
        assert values["started"] == "19/10/2024 12:00", "the earliest time reported"
        submitted = await form.submit_modal({**values, "title": TITLE})
        said = await private_reply(submitted)
        assert "#1" in said and stamp(NOON) in said, said
        await d.wait_for(lambda: len(incident_threads(d, self.server)) == 1, what="the incident thread")
        for channel in ANNOUNCED:
            await d.wait_for_messages(c[channel], 1)
        (thread,) = incident_threads(d, self.server)
        self.thread_id = int(thread["id"])

        def thanked() -> list[dict[str, Any]]:
            return [p for p in d.channel_messages(self.thread_id) if "Merci" in (p.get("content") or "")]

        await d.wait_for(lambda: len(thanked()) == 1, what="the thanks in the thread")
        await d.wait_for(
            lambda: all(field(msg, "Membres concernés") == "3" for msg in self.incident_messages()),
            what="the affected count at 3 everywhere",
        )
        await settle(d, self.server)
        assert thread["name"].startswith(f"#1 · {TITLE}"[:90])
        role = self.server.roles["pharmacies-ouest"]
        for channel in ANNOUNCED:
            (announcement,) = bot_messages(d, c[channel])
            assert f"#1 · {TITLE}" in announcement["content"], (channel, announcement["content"])
            if channel == "pharmacies":  # whom it pinged: the notifications below
                assert announcement["content"].startswith(f"<@&{role}>"), announcement["content"]
            else:
                assert "<@" not in announcement["content"], (channel, announcement["content"])
        for channel in NOT_ANNOUNCED:
            assert d.channel_messages(c[channel]) == [], f"#{channel} should not have received the incident"
        status = status_message(d, self.thread_id)
        assert field(status, "Gravité") == "Critique" and field(status, "Cause") == "Cyberattaque suspectée"
        assert field(status, "Depuis").startswith(stamp(NOON) + "F>")
        (thanks,) = thanked()
        reporters = {m[name] for name in REPORTERS}
        assert {int(u["id"]) for u in thanks["mentions"]} == reporters and thanks["mention_roles"] == []
        assert reporters <= set(d.thread_members(self.thread_id)), "mentioning adds them to the thread"
        (follow_role,) = [int(r["id"]) for r in d.roles(self.server.guild_id) if r["name"] == "suivi #1"]
        for name in REPORTERS:
            assert follow_role in d.member_roles(self.server.guild_id, m[name]), f"{name} follows it"
        card = self.card_of(CERP)
        assert field(card, "Suite donnée").startswith(f"→ panne #1, déclarée par <@{m['coord.anne']}>")
        assert custom_ids(card) == [], "its buttons no longer act"
        expected = [(name, "pharmacies", "role_mention") for name in PHARMACISTS]
        expected += [(name, str(self.thread_id), "user_mention") for name in REPORTERS]
        assert self.notes() == sorted(expected)

    def incident_messages(self) -> list[dict[str, Any]]:
        d = self.double
        return [status_message(d, self.thread_id)] + [bot_messages(d, self.c[ch])[0] for ch in ANNOUNCED]

    async def step6(self) -> None:
        """13:10 — pharma.quimper reports Cerp: already declared as #1; counted as affected (4), follows it."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 13, 10))
        before = counts(d, self.server)
        said = await self.report("pharma.quimper", {"organisation": CERP, "territories": "29"})
        assert "déjà déclarée" in said and "#1" in said and "vous la suivez" in said, said
        assert f"https://discord.com/channels/{self.server.guild_id}/{self.thread_id}" in said, "with its link"
        await d.wait_for(
            lambda: all(field(msg, "Membres concernés") == "4" for msg in self.incident_messages()),
            what="the affected count at 4",
        )
        await settle(d, self.server)
        assert counts(d, self.server) == before, "nothing posted anywhere, no new card"
        assert len(cards(d, self.server)) == 1
        assert self.notes() == [], "nobody notified"
        (follow_role,) = [int(r["id"]) for r in d.roles(self.server.guild_id) if r["name"] == "suivi #1"]
        assert follow_role in d.member_roles(self.server.guild_id, self.m["pharma.quimper"])

    async def step7_pollen_reported(self) -> None:
        """13:30 — libr.toulouse reports Pollen: a new card with 1 report."""
        d = self.double
        d.set_time(paris(2024, 10, 19, 13, 30))
        options = {
            "organisation": "Pollen",
            "services": "commandes",
            "territories": "31",
            "details": "Le distributeur ne répond plus au téléphone.",
        }
        assert "Signalement enregistré" in await self.report("libr.toulouse", options, channel="librairies")
        await d.wait_for(lambda: len(cards(d, self.server)) == 2, what="Pollen's card")
        await settle(d, self.server)
        assert counted(self.card_of("Pollen")) == ("1", "1")

    async def step8_four_reports(self) -> None:
        """13:50 — pharma.brest sends four reports within two minutes: the fourth is refused with the time to
        wait, the three accepted are all kept."""
        d = self.double
        for minute, organisation in ((50, "Alliance Healthcare"), (50, "OCP Répartition"), (51, "Phoenix Pharma")):
            d.set_time(paris(2024, 10, 19, 13, minute))
            assert "Signalement enregistré" in await self.report("pharma.brest", {"organisation": organisation})
        d.set_time(paris(2024, 10, 19, 13, 51))
        refused = await self.report("pharma.brest", {"organisation": "Giphar"})
        assert "3 signalements en 10 minutes" in refused and stamp(paris(2024, 10, 19, 14, 0)) in refused, refused
        await d.wait_for(lambda: len(cards(d, self.server)) == 5, what="three more cards")
        await settle(d, self.server)
        for organisation in ("Alliance Healthcare", "OCP Répartition", "Phoenix Pharma"):
            assert counted(self.card_of(organisation)) == ("1", "1")
        assert not [card for card in cards(d, self.server) if "Giphar" in text_of(card)]

    async def step7_pollen_set_aside(self) -> None:
        """14:00 — coord.yann sets Pollen's card aside with a reason; libr.toulouse sees it in /mes-suivis."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 19, 14, 0))
        before = self.outside_reports()
        card = self.card_of("Pollen")
        aside = component(card, "tocsin:report:aside:")
        click = await d.click(m["coord.yann"], c["signalements"], int(card["id"]), str(aside["custom_id"]))
        assert (await click.first_response())["type"] == 9
        said = await private_reply(await click.submit_modal({"reason": POLLEN_REASON}))
        assert "écartée" in said, said
        await d.wait_for(lambda: "Écarté par" in text_of(self.card_of("Pollen")), what="the card set aside")
        await settle(d, self.server)
        outcome = field(self.card_of("Pollen"), "Suite donnée")
        assert outcome.startswith(f"Écarté par <@{m['coord.yann']}>") and POLLEN_REASON in outcome, outcome
        assert self.outside_reports() == before, "nothing public"
        assert self.notes() == []
        mine = await d.run_command(m["libr.toulouse"], c["librairies"], "following")
        listed = await private_reply(mine)
        assert "Pollen" in listed and f"écarté : {POLLEN_REASON}" in listed, listed

    async def step9(self) -> None:
        """Wed 23/10 — admin.sophie: /exporter période "octobre 2024" format CSV, then HTML: the reports' figures
        (4 reporting members, 5 reports, first at 12:20, declared at 12:45: 25 min) and Pollen apart."""
        d, m, c = self.double, self.m, self.c
        d.set_time(paris(2024, 10, 23, 9, 0))
        before = counts(d, self.server)
        files: dict[str, bytes] = {}
        for file_format in ("csv", "html"):
            ix = await d.run_command(
                m["admin.sophie"], c["journal-bot"], "export", {"period": "octobre 2024", "format": file_format}
            )
            await private_reply(ix)
            await d.wait_for(lambda: bool(ix.followups), what=f"the {file_format} export")  # noqa: B023 - awaited here
            for message in ix.followups:
                assert message["flags"] & 64, "the export is sent privately"
                files |= {a["filename"]: d.attachment_data[int(a["id"])] for a in message["attachments"]}
        with zipfile.ZipFile(io.BytesIO(files["tocsin-2024-10-01-2024-11-01.zip"])) as archive:
            incidents, set_aside = (
                list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";"))
                for name in ("incidents.csv", "set_aside.csv")
            )
        (row,) = incidents
        assert (row["number"], row["title"], row["organisation"]) == ("1", TITLE, CERP)
        assert (row["reports"], row["reporting_members"]) == ("5", "4"), row
        assert row["first_report"] == "2024-10-19T12:20+02:00" and row["declared"] == "2024-10-19T12:45+02:00"
        assert row["time_to_declare_min"] == "25"
        assert row["affected_count"] == "4"
        (pollen,) = set_aside
        assert (pollen["organisation"], pollen["reason"], pollen["reports"]) == ("Pollen", POLLEN_REASON, "1")
        report = files["tocsin-2024-10-01-2024-11-01.html"].decode("utf-8")
        assert 'id="time-to-declare"' in report and "médiane 25 min" in report
        assert 'id="set-aside"' in report and "Pollen" in report and POLLEN_REASON in report
        await settle(d, self.server)
        after = counts(d, self.server)
        for channel in after:
            added = d.channel_messages(channel)[before.get(channel, 0) :]
            # The open incident's owner may be nudged meanwhile (Wednesday 09:00 is working time); exports post
            # nothing.
            nudges = [post for post in added if post["content"].startswith(f"<@{m['coord.anne']}> Il est temps")]
            assert (channel == self.thread_id and added == nudges) or not added, (channel, added)


@pytest.mark.scenario
async def test_pharmacies_raise_the_alarm(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await ReportsScenario(double, server).play()
