"""The outage forms seen from Discord: a declaration from the form is completed by a second form (workaround and
impact, paragraphs), and `/outage update` given only the incident opens a form for the note and the workaround.
What each announces, and whom it notifies, is the same as the options' way."""

from __future__ import annotations

from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import settle
from tests.e2e.harness import BotProcess, Server
from tests.e2e.setup_steps import configure_grand_ouest
from tests.e2e.test_outage_lifecycle import bot_messages, declare_cerp, thread_of

PARAGRAPH = 2  # Discord's text input style for several lines
WORKAROUND = "Commander par téléphone auprès du confrère le plus proche.\nUrgences : le 15."


def fields_of(ix: InteractionHandle) -> dict[str, dict[str, Any]]:
    assert ix.modal is not None
    return {
        component["custom_id"]: component
        for row in ix.modal["components"]
        for component in row.get("components", [row.get("component", {})])
        if "custom_id" in component
    }


def role_pings(double: DiscordDouble, server: Server, since: int) -> set[tuple[str, str]]:
    """(member, reason) of every notification after the first `since`."""
    names = {user_id: name for name, user_id in server.members.items()}
    return {(names.get(n.user_id, str(n.user_id)), n.reason) for n in double.notifications()[since:]}


async def test_a_declaration_from_the_form_is_completed_with_its_workaround_and_impact(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    anne, incidents = server.members["coord.anne"], server.channels["incidents"]
    bare = await double.run_command(anne, incidents, "outage declare")
    assert (await bare.first_response())["type"] == 9
    declared = await bare.submit_modal(
        {"title": "Cerp à l'arrêt", "sector": "pharmacie", "territories": "53", "severity": "critique", "started": ""}
    )
    assert "Panne #1 déclarée" in (await declared.reply())["content"]
    await double.wait_for(lambda: bool(declared.followups[1:]), what="the offer to add the workaround and impact")
    offer = declared.followups[-1]
    assert offer.get("flags", 0) & 64, "the offer is private"
    (button,) = [c for row in offer["components"] for c in row["components"]]
    assert button["label"] == "Ajouter consignes et impact"
    await settle(double, server)
    before = len(double.notifications())

    click = await double.click(anne, incidents, int(offer["id"]), button["custom_id"])
    assert (await click.first_response())["type"] == 9
    fields = fields_of(click)
    assert fields["workaround"]["style"] == PARAGRAPH and fields["impact"]["style"] == PARAGRAPH
    empty = await click.submit_modal({"workaround": " ", "impact": ""})
    assert (await empty.reply())["content"] == "Indiquez des consignes, un impact, ou les deux."
    done = await click.submit_modal({"workaround": WORKAROUND, "impact": "≈1 800 officines"})
    assert "Panne #1 complétée" in (await done.reply())["content"]
    await settle(double, server)

    pharmacies = bot_messages(double, server.channels["pharmacies"])
    assert "Commander par téléphone" in str(pharmacies[-1]) and "Urgences : le 15." in str(pharmacies[-1])
    standing = pharmacies[0]["embeds"][0]
    assert any("1 800 officines" in f["value"] for f in standing["fields"]), standing
    # New instructions: the route's role is told once in its channel, nobody else anywhere (no DM, no follower).
    assert role_pings(double, server, before) == {
        ("pharma.brest", "role_mention"),
        ("pharma.angouleme", "role_mention"),
    }


async def test_update_given_only_the_incident_opens_a_form_for_the_note_and_the_workaround(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    incidents = server.channels["incidents"]
    refused = await double.run_command(server.members["pharma.brest"], incidents, "outage update", {"incident": "1"})
    assert refused.modal is None and "coordinat" in (await refused.reply())["content"]
    unknown = await double.run_command(server.members["coord.anne"], incidents, "outage update", {"incident": "9"})
    assert unknown.modal is None and "#9" in (await unknown.reply())["content"]
    before = len(double.notifications())

    form = await double.run_command(server.members["coord.anne"], incidents, "outage update", {"incident": "1"})
    assert (await form.first_response())["type"] == 9
    fields = fields_of(form)
    assert {name: f["style"] for name, f in fields.items()} == {"note": PARAGRAPH, "workaround": PARAGRAPH}
    assert "#1" in form.modal["title"]  # type: ignore[index]
    note = "La Cerp confirme une attaque.\nLivraisons suspendues jusqu'à lundi."
    submitted = await form.submit_modal({"note": note, "workaround": WORKAROUND})
    assert "#1" in (await submitted.reply())["content"]
    await settle(double, server)

    posts = bot_messages(double, int(thread_of(double, server, 1)["id"]))
    assert "Livraisons suspendues jusqu'à lundi." in str(posts[-1])
    assert "Commander par téléphone" in str(bot_messages(double, server.channels["bretagne"])[-1])
    assert ("pharma.brest", "role_mention") in role_pings(double, server, before)
    assert not any(reason == "dm" for _, reason in role_pings(double, server, before))
