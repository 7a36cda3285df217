"""Coordinators deciding on report cards, end to end: Declare and Set aside submitted at the same instant (one wins,
the other is told, and may declare anyway), attaching a card to an open outage, merging two cards, marking abuse,
undoing a setting aside, and the buttons refused to whoever is not a coordinator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.sandbox import DiscordDouble, InteractionHandle
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.reports_support import CERP, add_reporters, cards, configure_reports, counted
from tests.e2e.scenario_support import (
    COORDINATOR_ONLY,
    bot_messages,
    custom_ids,
    field,
    incident_threads,
    paris,
    private_reply,
    settle,
    text_of,
)
from tests.e2e.test_scenario_reports import component, message_now, modal_values

REPORTERS = ("pharma.stbrieuc", "pharma.brest", "pharma.angouleme")


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    built = build_grand_ouest(double)
    add_reporters(double, built)
    return built


async def reported(double: DiscordDouble, server: Server, organisation: str, who: tuple[str, ...]) -> dict[str, Any]:
    """Each member reports `organisation`; returns its card once it shows them all."""
    for name in who:
        ix = await double.run_command(
            server.members[name], server.channels["pharmacies"], "report", {"organisation": organisation}
        )
        await private_reply(ix)

    def card() -> dict[str, Any] | None:
        found = [c for c in cards(double, server) if organisation in c["embeds"][0]["title"]]
        return found[0] if found and field(found[0], "Membres") == str(len(set(who))) else None

    await double.wait_for(lambda: card() is not None, what=f"{organisation}'s card")
    found = card()
    assert found is not None
    return found


async def click_card(
    double: DiscordDouble, server: Server, who: str, card: dict[str, Any], action: str
) -> InteractionHandle:
    button = component(card, f"tocsin:report:{action}:")
    return await double.click(
        server.members[who], server.channels["signalements"], int(card["id"]), str(button["custom_id"])
    )


async def open_declaration_form(double: DiscordDouble, server: Server, card: dict[str, Any]) -> InteractionHandle:
    """coord.anne: Declare, critical, Continue: the form is open, not yet submitted."""
    anne, here = server.members["coord.anne"], server.channels["signalements"]
    panel = await (await click_card(double, server, "coord.anne", card, "declare")).reply()
    menu = component(panel, "tocsin:rdecl:sev:")
    chose = await double.select(anne, here, int(panel["id"]), str(menu["custom_id"]), ["0"])
    await chose.first_response()
    go = component(message_now(double, here, int(panel["id"])), "tocsin:rdecl:go:")
    form = await double.click(anne, here, int(panel["id"]), str(go["custom_id"]))
    assert (await form.first_response())["type"] == 9
    return form


async def test_declare_and_set_aside_at_the_same_instant(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    card = await reported(double, server, CERP, REPORTERS)
    form = await open_declaration_form(double, server, card)
    aside = await click_card(double, server, "coord.yann", card, "aside")
    assert (await aside.first_response())["type"] == 9
    values = {**modal_values(form), "title": "Cerp à l'arrêt", "territories": "29"}
    declared, set_aside = await asyncio.gather(
        form.submit_modal(values), aside.submit_modal({"reason": "fausse alerte"})
    )
    declared_said, aside_said = await private_reply(declared), await private_reply(set_aside)
    await settle(double, server)
    outcome = field(cards(double, server)[0], "Suite donnée")
    if outcome.startswith("→ panne #1"):  # anne first: yann is told who declared it
        assert "Trop tard" in aside_said and "panne #1" in aside_said, aside_said
        assert len(incident_threads(double, server)) == 1
        return
    assert outcome.startswith("Écarté par") and "fausse alerte" in outcome, outcome
    await declare_anyway(double, server, declared, declared_said)


async def test_a_form_open_while_a_colleague_sets_the_card_aside(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    card = await reported(double, server, CERP, REPORTERS)
    form = await open_declaration_form(double, server, card)
    aside = await click_card(double, server, "coord.yann", card, "aside")
    await private_reply(await aside.submit_modal({"reason": "fausse alerte"}))
    declared = await form.submit_modal({**modal_values(form), "title": "Cerp à l'arrêt", "territories": "29"})
    await declare_anyway(double, server, declared, await private_reply(declared))


async def declare_anyway(double: DiscordDouble, server: Server, declared: InteractionHandle, said: str) -> None:
    """coord.anne was told that coord.yann set the card aside, with his reason, and declares anyway."""
    assert "a écarté cette fiche" in said and "fausse alerte" in said, said
    assert incident_threads(double, server) == []
    told = await declared.reply()
    (anyway,) = custom_ids(told) or [None]
    assert anyway is not None, "a button to declare anyway"
    again = await double.click(
        server.members["coord.anne"], server.channels["signalements"], int(told["id"]), str(anyway)
    )
    assert "#1" in await private_reply(again)
    await double.wait_for(lambda: len(incident_threads(double, server)) == 1, what="the incident thread")
    await settle(double, server)
    assert field(cards(double, server)[0], "Suite donnée").startswith("→ panne #1")


async def test_attach_merge_abuse_and_undo(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_reports(double, server)
    d, m, c = double, server.members, server.channels
    d.set_time(paris(2024, 10, 19, 12, 40))
    declared = await d.run_command(
        m["coord.anne"],
        c["incidents"],
        "outage declare",
        {"title": "Cerp à l'arrêt", "sector": "pharmacie", "territories": "R53", "severity": "critical"},
    )
    await private_reply(declared)
    await settle(d, server)
    # Attach: "Cerp Rennes" is the declared outage (no organisation was given to it).
    rennes = await reported(d, server, "Cerp Rennes", ("pharma.brest",))
    refused = await click_card(d, server, "admin.sophie", rennes, "attach")
    assert await private_reply(refused) == COORDINATOR_ONLY
    panel = await (await click_card(d, server, "coord.anne", rennes, "attach")).reply()
    menu = component(panel, "tocsin:rpick:attach:")
    assert [o["value"] for o in menu["options"]] == ["1"]
    attached = await d.select(m["coord.anne"], c["signalements"], int(panel["id"]), str(menu["custom_id"]), ["1"])
    assert "rattachés à la panne #1" in await private_reply(attached)
    (thread,) = incident_threads(d, server)
    await d.wait_for(lambda: m["pharma.brest"] in d.thread_members(int(thread["id"])), what="brest in the thread")
    # Merge: two names of one organisation, then one member's reports set aside as abuse.
    short = await reported(d, server, "Phoenix", ("pharma.stbrieuc", "pharma.quimper"))
    await reported(d, server, "Phoenix Pharma", ("pharma.angouleme",))
    panel = await (await click_card(d, server, "coord.yann", short, "merge")).reply()
    menu = component(panel, "tocsin:rpick:merge:")
    (target,) = [o["value"] for o in menu["options"] if o["label"] == "Phoenix Pharma"]
    merged = await d.select(m["coord.yann"], c["signalements"], int(panel["id"]), str(menu["custom_id"]), [target])
    assert "fusionnée avec « Phoenix Pharma »" in await private_reply(merged)
    await settle(d, server)
    (long,) = [card for card in cards(d, server) if card["embeds"][0]["title"].endswith("Phoenix Pharma")]
    assert counted(long) == ("3", "3")
    panel = await (await click_card(d, server, "coord.yann", long, "abuse")).reply()
    menu = component(panel, "tocsin:rpick:abuse:")
    assert sorted(o["label"] for o in menu["options"]) == [
        "pharma.angouleme (1)",
        "pharma.quimper (1)",
        "pharma.stbrieuc (1)",
    ]
    marked = await d.select(
        m["coord.yann"], c["signalements"], int(panel["id"]), str(menu["custom_id"]), [str(m["pharma.quimper"])]
    )
    assert "écartés pendant 24 heures" in await private_reply(marked)
    await d.wait_for(lambda: counted(_card(d, server, long["id"])) == ("2", "2"), what="the card recounted")
    # Set aside, then undone: the card counts again, with its buttons back.
    aside = await click_card(d, server, "coord.yann", _card(d, server, long["id"]), "aside")
    await private_reply(await aside.submit_modal({"reason": "doublon"}))
    await d.wait_for(lambda: "Écarté par" in text_of(_card(d, server, long["id"])), what="set aside")
    undo = await click_card(d, server, "coord.anne", _card(d, server, long["id"]), "undo")
    assert "comptent de nouveau" in await private_reply(undo)
    await d.wait_for(
        lambda: any(cid.startswith("tocsin:report:declare:") for cid in custom_ids(_card(d, server, long["id"]))),
        what="the card open again",
    )


def _card(double: DiscordDouble, server: Server, card_id: str) -> dict[str, Any]:
    (card,) = [c for c in cards(double, server) if c["id"] == card_id]
    return card


async def test_the_workaround_and_impact_added_after_declaring_from_a_card(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    card = await reported(double, server, CERP, REPORTERS)
    form = await open_declaration_form(double, server, card)
    declared = await form.submit_modal({**modal_values(form), "title": "Cerp à l'arrêt", "territories": "29"})
    assert "#1" in await private_reply(declared)
    await double.wait_for(lambda: bool(declared.followups[1:]), what="the offer to add the workaround and impact")
    offer = declared.followups[-1]
    (more,) = custom_ids(offer)
    anne, here = server.members["coord.anne"], server.channels["signalements"]
    click = await double.click(anne, here, int(offer["id"]), str(more))
    assert (await click.first_response())["type"] == 9
    workaround = "Commander par téléphone auprès du confrère le plus proche."
    done = await click.submit_modal({"workaround": workaround, "impact": "≈1 800 officines"})
    assert "Panne #1 complétée" in await private_reply(done)
    await double.wait_for(
        lambda: any(workaround in text_of(m) for m in bot_messages(double, server.channels["bretagne"])[:1]),
        what="the workaround on the announcement",
    )
    await settle(double, server)
    standing = bot_messages(double, server.channels["bretagne"])[0]
    assert "1 800 officines" in field(standing, "Impact")
