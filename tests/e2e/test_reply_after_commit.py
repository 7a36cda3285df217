"""A reply that fails after the action was saved: the person is told the action was done (once), or nothing at all,
never to try again (a second declaration would be a second incident).

The bot runs as its own process; faults are injected in the double on the routes of one interaction only: its
token's follow-up and original-response routes (404 Unknown Webhook, 10015, is what Discord answers once the
token expired; a lost response is the request done by Discord and its answer never received), or its callback.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox import DiscordDouble, Fault, InteractionHandle
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    incident_threads,
    paris,
    private_reply,
    settle,
    text_of,
)

pytestmark = pytest.mark.faults

DECLARATION = {
    "title": "Grossiste à l'arrêt",
    "sector": "pharmacie",
    "territories": "R53",
    "severity": "critical",
    "started": "aujourd'hui midi",
}
# Any sentence asking the person to do it again, in either language.
RETRY = re.compile(r"r[ée]essay|try again|retry|recommencez", re.IGNORECASE)
UNKNOWN_WEBHOOK = {"message": "Unknown Webhook", "code": 10015}
INVALID_BODY = {"message": "Invalid Form Body", "code": 50035}


def webhook_routes(ix: InteractionHandle) -> str:
    """The follow-up and original-response routes of one interaction (any method)."""
    return rf"/webhooks/\d+/{re.escape(ix.token)}(/messages/.*)?"


def seen_by_person(double: DiscordDouble, ix: InteractionHandle) -> list[str]:
    """Every message of this interaction as its person sees it now (its original response, its follow-ups),
    except a deferral still "thinking"."""
    world = double.world
    state = world.interactions[ix.id]
    ids = [state.original_message_id, *state.followup_ids]
    texts: list[str] = []
    for message_id in dict.fromkeys(i for i in ids if i is not None):
        message = world.message_dict(world.interaction_message(state, message_id))
        if not int(message.get("flags") or 0) & 128:  # LOADING: the "thinking…" of a deferral
            texts.append(text_of(message))
    return texts


def retries(texts: list[str]) -> list[str]:
    return [t for t in texts if RETRY.search(t)]


async def declare(double: DiscordDouble, server: Server) -> InteractionHandle:
    double.set_time(paris(2024, 10, 19, 12, 40))
    return await double.run_command(
        server.members["coord.anne"], server.channels["incidents"], "outage declare", DECLARATION
    )


async def declared(double: DiscordDouble, server: Server) -> None:
    """The server configured, outage #1 declared and its messages sent."""
    await configure(double, server)
    await private_reply(await declare(double, server))
    await settle(double, server)


async def test_a_declaration_whose_reply_lost_its_answer_shows_it_once_and_still_gets_its_link(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    ix = await declare(double, server)
    # The follow-up that completes the deferral reaches Discord; its answer never comes back.
    lost = double.faults.inject(Fault("POST", rf"/webhooks/\d+/{re.escape(ix.token)}", lose_response=True))
    said = await private_reply(ix)
    assert said.startswith("Panne #1 déclarée : Grossiste à l'arrêt"), said
    await settle(double, server)
    (thread,) = incident_threads(double, server)

    def linked_or_asked_again() -> bool:
        seen = seen_by_person(double, ix)
        return bool(retries(seen)) or any(thread["id"] in text for text in seen)

    await double.wait_for(linked_or_asked_again, what="the thread's link in the reply, or a second message")
    assert lost.exhausted
    seen = seen_by_person(double, ix)
    assert retries(seen) == [], seen
    assert len(seen) == 1 and seen[0].startswith("Panne #1 déclarée"), seen
    assert len(bot_messages(double, server.channels["incidents"])) == 1, "one status message: one incident"


async def test_a_declaration_whose_token_expired_is_only_logged(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    ix = await declare(double, server)
    dead = double.faults.inject(Fault(None, webhook_routes(ix), status=404, body=UNKNOWN_WEBHOOK, times=-1))
    first = await ix.first_response()
    assert first["type"] == 5, first
    await double.wait_for(
        lambda: "was saved" in bot.log_text() or "unexpected error" in bot.log_text(),
        what="the bot to give up on the reply",
    )
    await settle(double, server)
    log = bot.log_text()
    assert "unexpected error" not in log, log[-3000:]
    assert re.search(r"could not show .* reply to /outage declare .* was saved", log), log[-3000:]
    assert dead.hits >= 1
    assert seen_by_person(double, ix) == []  # nothing could reach the person: no sentence at all
    assert len(incident_threads(double, server)) == 1


async def test_an_update_whose_reply_was_refused_is_told_done_in_a_fresh_follow_up(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await declared(double, server)
    ix = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage update",
        {"incident": "1", "note": "Reprise partielle des commandes."},
    )
    refused = double.faults.inject(
        Fault("POST", rf"/webhooks/\d+/{re.escape(ix.token)}", status=400, body=INVALID_BODY)
    )
    await double.wait_for(lambda: bool(seen_by_person(double, ix)), what="a message to the person")
    await settle(double, server)
    assert refused.exhausted
    seen = seen_by_person(double, ix)
    assert retries(seen) == [], seen
    assert len(seen) == 1 and seen[0].startswith("Panne #1 mise à jour"), seen


async def test_a_setup_change_whose_answer_was_refused_says_it_is_done(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    admin, here = server.members["admin.sophie"], server.channels["journal-bot"]
    ix = await double.run_command(admin, here, "setup log-channel", {"channel": server.channels["bretagne"]})
    refused = double.faults.inject(
        Fault("POST", rf"/interactions/{ix.id}/{re.escape(ix.token)}/callback", status=400, body=INVALID_BODY)
    )
    said = await private_reply(ix)
    assert refused.exhausted
    assert RETRY.search(said) is None, said
    assert said == f"Le bot signalera les problèmes dans <#{server.channels['bretagne']}>.", said


async def test_a_follow_click_whose_answer_was_lost_shows_the_follow_once(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await declared(double, server)
    announcement = bot_messages(double, server.channels["bretagne"])[0]
    ix = await double.click(
        server.members["pharma.brest"],
        server.channels["bretagne"],
        int(announcement["id"]),
        f"tocsin:follow:{server.guild_id}:1",
    )
    lost = double.faults.inject(Fault("POST", rf"/webhooks/\d+/{re.escape(ix.token)}", lose_response=True))
    said = await private_reply(ix)
    assert said.startswith("Vous suivez désormais la panne #1."), said
    await settle(double, server)
    await double.wait_for(
        lambda: "was saved" in bot.log_text() or bool(retries(seen_by_person(double, ix))),
        what="the bot to note the lost answer",
    )
    assert lost.exhausted
    seen = seen_by_person(double, ix)
    assert retries(seen) == [] and len(seen) == 1, seen
    follow_role: Any = next(r for r in double.roles(server.guild_id) if r["name"] == "suivi #1")
    assert int(follow_role["id"]) in double.member_roles(server.guild_id, server.members["pharma.brest"])
