"""A card declared while a colleague declared the same outage by hand, end to end: coord.yann declares "cerp
bretagne-atlantique" with /outage declare; coord.anne then clicks the card's Declare and submits its form. Nothing
is declared a second time, nothing is announced again; she is told which open outage it may be, and either
attaches the card's reports to it or declares anyway."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.reports_support import CERP, cards, configure_reports
from tests.e2e.scenario_support import (
    counts,
    custom_ids,
    field,
    incident_threads,
    paris,
    private_reply,
    settle,
)
from tests.e2e.test_report_decisions import REPORTERS, open_declaration_form, reported, server
from tests.e2e.test_scenario_reports import modal_values

__all__ = ["server"]  # the fixture, shared with the other decisions' tests


async def held_back(double: DiscordDouble, server: Server) -> dict[str, Any]:
    """The card's declaration, submitted over coord.yann's: what coord.anne is told, nothing posted meanwhile."""
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    card = await reported(double, server, CERP, REPORTERS)
    by_hand = await double.run_command(
        server.members["coord.yann"],
        server.channels["incidents"],
        "outage declare",
        {
            "title": "Cerp en panne",
            "sector": "pharmacie",
            "territories": "R53",
            "severity": "critical",
            "organisation": "cerp bretagne-atlantique",
        },
    )
    assert "#1" in await private_reply(by_hand)
    await settle(double, server)
    before = counts(double, server)
    form = await open_declaration_form(double, server, card)
    declared = await form.submit_modal({**modal_values(form), "title": "Cerp à l'arrêt", "territories": "29"})
    said = await private_reply(declared)
    assert said.startswith("Rien n'a été déclaré") and "#1 · Cerp en panne" in said, said
    await settle(double, server)
    assert counts(double, server) == before, "no second incident, no second announcement"
    assert len(incident_threads(double, server)) == 1
    return await declared.reply()


async def test_attaching_the_card_from_the_answer(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    told = await held_back(double, server)
    attach, anyway = custom_ids(told)
    assert attach.startswith("tocsin:rdsame:") and anyway.startswith("tocsin:rdanyway:")
    here = server.channels["signalements"]
    attached = await double.click(server.members["coord.anne"], here, int(told["id"]), attach)
    assert "rattachés à la panne #1" in await private_reply(attached)
    await settle(double, server)
    assert "#1" in field(cards(double, server)[0], "Suite donnée")
    assert len(incident_threads(double, server)) == 1


async def test_declaring_anyway_from_the_answer(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    told = await held_back(double, server)
    _, anyway = custom_ids(told)
    here = server.channels["signalements"]
    again = await double.click(server.members["coord.anne"], here, int(told["id"]), anyway)
    assert "#2" in await private_reply(again)
    await double.wait_for(lambda: len(incident_threads(double, server)) == 2, what="the second incident's thread")
    await settle(double, server)
    assert field(cards(double, server)[0], "Suite donnée").startswith("→ panne #2")


pytestmark = pytest.mark.e2e
