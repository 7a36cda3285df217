"""Two outages that are one, or that belong together, seen from Discord. Cancelled as a duplicate of #1, #2 hands
its followers (with their DM choices) and its "affected too" members to #1, each once, and the two status messages
name each other; coordinators mark two open outages as related, and undo it, shown in both status messages."""

from __future__ import annotations

from typing import Any

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    incident_threads,
    paris,
    private_reply,
    settle,
    status_message,
)
from tests.e2e.test_following import ROLE_ADD, requests, role_id

ANNOUNCED_IN = "bretagne"


async def declare(double: DiscordDouble, server: Server, title: str, territories: str = "R53") -> None:
    ix = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage declare",
        {
            "title": title,
            "sector": "pharmacie",
            "territories": territories,
            "severity": "critical",
            "started": "aujourd'hui midi",
        },
    )
    await private_reply(ix)
    await settle(double, server)


def announcement_of(double: DiscordDouble, server: Server, number: int) -> dict[str, Any]:
    (found,) = [
        m
        for m in bot_messages(double, server.channels[ANNOUNCED_IN])
        if any(f"tocsin:follow:{server.guild_id}:{number}" in str(row) for row in m.get("components", []))
    ]
    return found


async def click(double: DiscordDouble, server: Server, member: str, number: int, action: str) -> dict[str, Any]:
    message = announcement_of(double, server, number)
    ix = await double.click(
        server.members[member],
        server.channels[ANNOUNCED_IN],
        int(message["id"]),
        f"tocsin:{action}:{server.guild_id}:{number}",
    )
    await ix.reply()
    return await ix.reply()


def status_of(double: DiscordDouble, server: Server, number: int) -> dict[str, Any]:
    (thread,) = [t for t in incident_threads(double, server) if t["name"].startswith(f"#{number} ·")]
    return status_message(double, int(thread["id"]))["embeds"][0]


def field(embed: dict[str, Any], name: str) -> str | None:
    return next((f["value"] for f in embed["fields"] if f["name"] == name), None)


async def coordinator(
    double: DiscordDouble, server: Server, command: str, options: dict[str, Any], who: str = "coord.anne"
) -> str:
    ix = await double.run_command(server.members[who], server.channels["incidents"], command, options)
    return await private_reply(ix)


async def test_a_duplicate_hands_its_followers_dm_choices_and_affected_members_to_the_original_once(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    double.set_time(paris(2024, 10, 19, 12, 40))
    await declare(double, server, "Cerp Bretagne Atlantique à l'arrêt")
    await declare(double, server, "Cerp : commandes impossibles")
    m, c = server.members, server.channels
    # pharma.brest follows #2 with DMs; pharma.angouleme is affected by #2 (which follows it too);
    # agent.angouleme follows both, and says it is affected by both.
    reply = await click(double, server, "pharma.brest", 2, "follow")
    dm_button = f"tocsin:followdm:{server.guild_id}:2:{m['pharma.brest']}"
    chosen = await double.click(m["pharma.brest"], c[ANNOUNCED_IN], int(reply["id"]), dm_button)
    await private_reply(chosen)
    await click(double, server, "pharma.angouleme", 2, "affected")
    for number in (1, 2):
        await click(double, server, "agent.angouleme", number, "affected")
    await settle(double, server)
    first_role = role_id(double, server, "suivi #1")
    assert first_role is not None and first_role in double.member_roles(server.guild_id, m["agent.angouleme"])
    assert field(status_of(double, server, 1), "Membres concernés") == "1"
    seen = len(double.requests)

    said = await coordinator(
        double, server, "outage cancel", {"incident": "2", "reason": "duplicate", "duplicate_of": "1"}
    )
    assert "#2" in said and "annulée" in said
    await settle(double, server)

    # Each once: two new followers of #1 get its role (agent.angouleme already had it), nobody twice.
    adds = [r for r in double.requests[seen:] if r.method == "PUT" and r.route == ROLE_ADD and r.status < 300]
    given = sorted(
        name
        for name in ("pharma.brest", "pharma.angouleme", "agent.angouleme")
        for r in adds
        if r.path.endswith(f"/members/{m[name]}/roles/{first_role}")
    )
    assert given == ["pharma.angouleme", "pharma.brest"], given
    assert requests(double, "PUT", ROLE_ADD, seen) == 2
    for member in ("pharma.brest", "pharma.angouleme", "agent.angouleme"):
        assert first_role in double.member_roles(server.guild_id, m[member]), member
    original = status_of(double, server, 1)
    assert field(original, "Membres concernés") == "2", "pharma.angouleme moved, agent.angouleme counted once"
    assert "#2" in (field(original, "Pannes liées") or ""), original["fields"]
    assert "#1" in (field(status_of(double, server, 2), "Annulation") or str(status_of(double, server, 2)))

    # The next update of #1 reaches the moved followers through its role, and pharma.brest's DM choice came along.
    notes = len(double.notifications())
    await coordinator(double, server, "outage update", {"incident": "1", "note": "Reprise des commandes lundi."})
    await settle(double, server)
    told = sorted((server.name_of(n.user_id), n.reason) for n in double.notifications()[notes:])
    assert ("pharma.brest", "dm") in told and told.count(("pharma.brest", "dm")) == 1
    assert ("pharma.angouleme", "role_mention") in told and ("pharma.angouleme", "dm") not in told
    assert told.count(("agent.angouleme", "role_mention")) == 1


async def test_coordinators_mark_two_open_outages_related_and_undo_it(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    double.set_time(paris(2024, 10, 19, 12, 40))
    await declare(double, server, "Cerp Bretagne Atlantique à l'arrêt")
    await declare(double, server, "Messagerie sécurisée en panne")
    refused = await coordinator(double, server, "outage link", {"incident": "1", "other": "2"}, who="pharma.brest")
    assert "coordinat" in refused
    notes = len(double.notifications())

    said = await coordinator(double, server, "outage link", {"incident": "1", "other": "2"})
    assert "#1" in said and "#2" in said
    await settle(double, server)
    assert "#2" in (field(status_of(double, server, 1), "Pannes liées") or "")
    assert "#1" in (field(status_of(double, server, 2), "Pannes liées") or "")
    again = await coordinator(double, server, "outage link", {"incident": "2", "other": "1"})
    assert "déjà" in again
    assert double.notifications()[notes:] == [], "marking outages related pings nobody"

    said = await coordinator(double, server, "outage link", {"incident": "2", "other": "1", "undo": True})
    await settle(double, server)
    assert field(status_of(double, server, 1), "Pannes liées") is None
    assert field(status_of(double, server, 2), "Pannes liées") is None
    itself = await coordinator(double, server, "outage link", {"incident": "1", "other": "1"})
    assert "elle-même" in itself
