"""Members' reports end to end: `/signaler` in one line or through its form, the triage card in #signalements
posted once and edited in place, the alert mentioning @coordination once, the rate limit, a report about a declared
outage joining it, and withdrawing one's report. The bot runs as its own process; the tests act as members through
the double and assert what the channels show and whom Discord notified."""

from __future__ import annotations

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.reports_support import CERP, add_reporters, alerts, cards, configure_reports, counted
from tests.e2e.scenario_support import (
    counts,
    custom_ids,
    field,
    notified,
    paris,
    pick,
    private_reply,
    settle,
    stamp,
    text_of,
)


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    built = build_grand_ouest(double)
    add_reporters(double, built)
    return built


async def report(double: DiscordDouble, server: Server, who: str, options: dict[str, str]) -> str:
    ix = await double.run_command(server.members[who], server.channels["pharmacies"], "report", options)
    return await private_reply(ix)


async def test_reports_make_one_card_edited_in_place_and_one_alert(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    d, c = double, server.channels
    d.set_time(paris(2024, 10, 19, 12, 20))
    before, notes = counts(d, server), len(d.notifications())
    said = await report(
        d,
        server,
        "pharma.stbrieuc",
        {
            "organisation": CERP,
            "services": "livraisons",
            "since": "midi",
            "territories": "22",
            "details": "Livraison de midi pas arrivée, le site de commande ne répond plus.",
        },
    )
    assert "Signalement enregistré" in said and "Aucune panne n'est déclarée" in said, said
    assert "coordinateurs vont l'examiner" in said and stamp(paris(2024, 10, 19, 12, 0)) in said, said
    await d.wait_for(lambda: len(cards(d, server)) == 1, what="the card")
    await settle(d, server)
    (card,) = cards(d, server)
    assert counted(card) == ("1", "1")
    assert CERP in text_of(card) and field(card, "Services") == "livraisons"
    assert "Côtes-d'Armor (22)" in field(card, "Territoires")
    assert field(card, "Depuis").startswith(stamp(paris(2024, 10, 19, 12, 0)))
    assert "Livraison de midi pas arrivée, le site de commande ne répond plus." in field(card, "Derniers détails")
    assert {ch: n for ch, n in counts(d, server).items() if ch != c["signalements"]} == {
        ch: n for ch, n in before.items() if ch != c["signalements"]
    }, "no message anywhere else"
    assert notified(d, server, notes) == [], "nobody notified"

    d.set_time(paris(2024, 10, 19, 12, 32))
    picked = await pick(d, server.members["pharma.brest"], c["pharmacies"], "report", "organisation", [("cerp", CERP)])
    assert picked == CERP
    said = await report(
        d, server, "pharma.brest", {"organisation": picked, "services": "commandes", "territories": "29"}
    )
    assert "Signalement enregistré" in said, said
    await d.wait_for(lambda: counted(cards(d, server)[0]) == ("2", "2"), what="the card edited to 2 reports")
    d.set_time(paris(2024, 10, 19, 12, 35))
    said = await report(d, server, "pharma.brest", {"organisation": CERP, "details": "Toujours rien à 12h35."})
    assert "déjà signalé" in said and "qu'une fois" in said, said
    await d.wait_for(lambda: counted(cards(d, server)[0]) == ("2", "3"), what="the third report on the card")
    await settle(d, server)
    (card,) = cards(d, server)
    assert card["edited_timestamp"] is not None
    services = field(card, "Services")
    assert "commandes" in services and "livraisons" in services
    assert "Côtes-d'Armor (22)" in field(card, "Territoires") and "Finistère (29)" in field(card, "Territoires")
    assert "Toujours rien à 12h35." in field(card, "Derniers détails")
    assert alerts(d, server) == [] and notified(d, server, notes) == []

    d.set_time(paris(2024, 10, 19, 12, 41))
    await report(
        d, server, "pharma.angouleme", {"organisation": CERP, "services": "commandes, livraisons", "territories": "16"}
    )
    await d.wait_for(lambda: len(alerts(d, server)) == 1, what="the alert")
    await settle(d, server)
    (card,) = cards(d, server)
    assert counted(card) == ("3", "4")
    (alert,) = alerts(d, server)
    coordination = server.roles["coordination"]
    assert alert["content"].startswith(f"<@&{coordination}>"), alert["content"]
    assert [int(r) for r in alert["mention_roles"]] == [coordination] and alert["mentions"] == []
    assert f"/{server.guild_id}/{c['signalements']}/{card['id']}" in alert["content"], "it links to the card"
    assert notified(d, server, notes) == [
        ("coord.anne", "signalements", "role_mention"),
        ("coord.yann", "signalements", "role_mention"),
    ]
    group = card["embeds"][0]["footer"]["text"].rsplit(" ", 1)[-1]
    assert custom_ids(card) == [
        f"tocsin:report:{action}:{server.guild_id}:{group}"
        for action in ("declare", "attach", "merge", "aside", "abuse")
    ]


async def test_the_form_a_declared_outage_and_the_rate_limit(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    d, m, c = double, server.members, server.channels
    d.set_time(paris(2024, 10, 19, 12, 40))
    declared = await d.run_command(
        m["coord.anne"],
        c["incidents"],
        "outage declare",
        {
            "title": "Cerp Bretagne Atlantique à l'arrêt",
            "organisation": CERP,
            "sector": "pharmacie",
            "territories": "R53",
            "severity": "critical",
        },
    )
    await private_reply(declared)
    await settle(d, server)
    # Bare, /signaler opens its form; the organisation written another way is the same one.
    d.set_time(paris(2024, 10, 19, 13, 10))
    before, notes = counts(d, server), len(d.notifications())
    bare = await d.run_command(m["pharma.quimper"], c["pharmacies"], "report", {})
    assert (await bare.first_response())["type"] == 9 and bare.modal is not None
    submitted = await bare.submit_modal({"organisation": "cerp bretagne-atlantique", "territories": "29"})
    said = await private_reply(submitted)
    assert "déjà déclarée" in said and "#1" in said and "vous la suivez" in said, said
    await settle(d, server)
    assert counts(d, server) == before, "nothing posted anywhere"
    assert notified(d, server, notes) == [], "nobody notified"
    assert cards(d, server) == []
    (follow_role,) = [int(r["id"]) for r in d.roles(server.guild_id) if r["name"] == "suivi #1"]
    assert follow_role in d.member_roles(server.guild_id, m["pharma.quimper"])
    # Four reports within two minutes: the fourth is refused with the time to wait, the three others kept.
    d.set_time(paris(2024, 10, 19, 13, 50))
    for organisation in ("Alliance Healthcare", "OCP Répartition", "Phoenix Pharma"):
        assert "Signalement enregistré" in await report(d, server, "pharma.brest", {"organisation": organisation})
    d.set_time(paris(2024, 10, 19, 13, 51))
    refused = await report(d, server, "pharma.brest", {"organisation": "Giphar"})
    assert "3 signalements en 10 minutes" in refused and stamp(paris(2024, 10, 19, 14, 0)) in refused, refused
    await d.wait_for(lambda: len(cards(d, server)) == 3, what="three cards")
    await settle(d, server)
    assert sorted(text_of(card).split("\n")[0] for card in cards(d, server)) == [
        "📣 Signalements · Alliance Healthcare",
        "📣 Signalements · OCP Répartition",
        "📣 Signalements · Phoenix Pharma",
    ]


async def test_a_member_withdraws_their_report(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_reports(double, server)
    d, m, c = double, server.members, server.channels
    ix = await d.run_command(m["libr.toulouse"], c["librairies"], "report", {"organisation": "Pollen"})
    reply = await ix.reply()
    withdraw = [cid for cid in custom_ids(reply) if cid.startswith("tocsin:report:withdraw:")]
    assert len(withdraw) == 1
    await d.wait_for(lambda: len(cards(d, server)) == 1, what="the card")
    mine = await d.click(m["libr.toulouse"], c["librairies"], int(reply["id"]), withdraw[0])
    assert "est retiré" in await private_reply(mine)
    await d.wait_for(lambda: "Retiré par les membres" in text_of(cards(d, server)[0]), what="the card says so")
    assert counted(cards(d, server)[0]) == ("0", "0")
