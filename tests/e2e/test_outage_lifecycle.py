"""The outage lifecycle seen from Discord: the bot as its own process, members acting through the double."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import settle
from bot.sandbox.faults import Fault
from tests.e2e.harness import BotProcess, Server
from tests.e2e.setup_steps import configure_grand_ouest

CERP = {
    "title": "Cerp Bretagne Atlantique à l'arrêt",
    "organisation": "Cerp Bretagne Atlantique",
    "sector": "pharmacie",
    "territories": "53, 52, 75",
    "severity": "critical",
    "cause": "cyberattack_suspected",
    "started": "aujourd'hui midi",
    "services": "commandes, livraisons",
    "eta": "lundi matin",
    "workaround": "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche.",
    "impact": "≈1 800 officines",
}
ANNOUNCED = ("bretagne", "pays-de-la-loire", "nouvelle-aquitaine", "pharmacies")


def bot_messages(double: DiscordDouble, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in double.channel_messages(channel_id) if m["author"]["id"] == str(double.bot_user_id)]


def thread_of(double: DiscordDouble, server: Server, number: int) -> dict[str, Any]:
    found = [t for t in double.threads(server.guild_id) if t["name"].startswith(f"#{number} ·")]
    assert len(found) == 1, [t["name"] for t in double.threads(server.guild_id)]
    return found[0]


def counts(double: DiscordDouble, server: Server) -> dict[str, int]:
    return {name: len(bot_messages(double, channel)) for name, channel in server.channels.items()}


def reply_now(double: DiscordDouble, ix: InteractionHandle) -> str:
    """The private reply as the person sees it at this moment (edits included)."""
    state = double.world.interactions[ix.id]
    assert state.reply_message_id is not None
    message = double.world.interaction_message(state, state.reply_message_id)
    return str(double.world.message_dict(message)["content"])


async def reply_with_thread_link(double: DiscordDouble, server: Server, ix: InteractionHandle, number: int) -> str:
    """The private reply once the bot has caught up: it links the incident's thread by then (it may be sent
    before the thread exists, then edited when the outbox has made it)."""
    await ix.reply()
    await settle(double)
    link = f"https://discord.com/channels/{server.guild_id}/{thread_of(double, server, number)['id']}"
    assert link in reply_now(double, ix), reply_now(double, ix)
    return reply_now(double, ix)


async def declare_cerp(double: DiscordDouble, server: Server, **changes: Any) -> str:
    ix = await double.run_command(
        server.members["coord.anne"], server.channels["incidents"], "outage declare", {**CERP, **changes}
    )
    first = await ix.first_response()
    assert first["type"] == 5, first  # deferred at once, privately
    await ix.reply()
    assert ix.ephemeral
    number = int(re.search(r"#(\d+)", reply_now(double, ix))[1])  # type: ignore[index]
    return await reply_with_thread_link(double, server, ix, number)


async def test_declare_opens_a_thread_and_announces_in_each_matching_channel(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    reply = await declare_cerp(double, server)

    thread = thread_of(double, server, 1)
    assert thread["name"] == "#1 · Cerp Bretagne Atlantique à l'arrêt"
    assert f"https://discord.com/channels/{server.guild_id}/{thread['id']}" in reply
    assert "<t:1729332000:F>" in reply  # started Sat 19/10 12:00 Paris
    assert "<t:1729494000:F>" in reply  # ETA Mon 21/10 09:00 Paris
    for name in ANNOUNCED:
        assert f"<#{server.channels[name]}>" in reply
    counted = counts(double, server)
    assert {name for name, n in counted.items() if n} == {*ANNOUNCED, "incidents"}
    assert all(counted[name] == 1 for name in ANNOUNCED)
    (status,) = bot_messages(double, server.channels["incidents"])
    assert status["id"] == thread["id"]  # the thread was made from the status message
    announcement = bot_messages(double, server.channels["pharmacies"])[0]
    link = announcement["components"][0]["components"][2]["url"]
    assert link == f"https://discord.com/channels/{server.guild_id}/{thread['id']}"
    # Only #pharmacies pings, and only @pharmacies-ouest members.
    pinged = {(n.user_id, n.channel_id, n.reason) for n in double.notifications()}
    assert pinged == {
        (server.members["pharma.brest"], server.channels["pharmacies"], "role_mention"),
        (server.members["pharma.angouleme"], server.channels["pharmacies"], "role_mention"),
    }


async def test_the_reply_does_not_wait_for_the_thread_and_gets_its_link_later(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    # Discord is slow to make the thread: the private reply must not wait for it.
    double.faults.inject(Fault("POST", rf"/channels/{server.channels['incidents']}/messages/\d+/threads", delay_s=1.0))
    ix = await double.run_command(server.members["coord.anne"], server.channels["incidents"], "outage declare", CERP)
    first = (await ix.reply())["content"]
    assert double.threads(server.guild_id) == []  # answered before the thread existed
    assert "Panne #1 déclarée" in first and f"<#{server.channels['incidents']}>" in first
    assert "<t:1729332000:F>" in first and f"<#{server.channels['pharmacies']}>" in first
    assert "https://discord.com/channels/" not in first
    final = await reply_with_thread_link(double, server, ix, 1)
    thread = thread_of(double, server, 1)
    # The same reply, with the thread's link, and "being announced" become "announced" once it was.
    announcing = next(line for line in first.splitlines() if line.startswith("Annonce en cours dans "))
    announced = "Annoncée dans " + announcing.removeprefix("Annonce en cours dans ").removesuffix("…") + "."
    assert final == first.replace(
        f"<#{server.channels['incidents']}>", f"https://discord.com/channels/{server.guild_id}/{thread['id']}"
    ).replace(announcing, announced)
    assert len(double.world.interactions[ix.id].followup_ids) == 1  # one reply, edited, not a second message


async def test_a_member_who_is_not_a_coordinator_is_refused_whatever_they_type_or_click(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    attempt = await double.run_command(
        server.members["pharma.angouleme"], server.channels["pharmacies"], "outage declare", CERP
    )
    refusal = await attempt.reply()
    assert attempt.ephemeral and "coordination" in refusal["content"].lower()
    bare = await double.run_command(server.members["pharma.angouleme"], server.channels["pharmacies"], "outage declare")
    await bare.reply()
    assert bare.modal is None
    await declare_cerp(double, server)
    before = counts(double, server)
    update = await double.run_command(
        server.members["pharma.brest"], server.channels["bretagne"], "outage update", {"incident": "1", "note": "x"}
    )
    await update.reply()
    resolve = await double.run_command(
        server.members["pharma.brest"], server.channels["bretagne"], "outage resolve", {"incident": "1"}
    )
    await resolve.reply()
    await settle(double)
    assert counts(double, server) == before
    assert len(double.threads(server.guild_id)) == 1


async def test_typed_mentions_notify_nobody(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    roles, members = server.roles, server.members
    sneaky = f"@everyone @here <@&{roles['librairies']}> <@{members['libr.toulouse']}>"
    ix = await double.run_command(
        members["coord.anne"],
        server.channels["incidents"],
        "outage declare",
        {
            "title": f"Panne {sneaky}"[:100],
            "sector": "librairie",
            "territories": "53",
            "severity": "minor",
            "workaround": sneaky,
            "impact": sneaky,
            "organisation": sneaky,
            "services": "commandes",
        },
    )
    await ix.reply()
    await settle(double)
    assert len(bot_messages(double, server.channels["librairies"])) == 1
    assert len(bot_messages(double, server.channels["bretagne"])) == 1
    update = await double.run_command(
        members["coord.anne"], server.channels["incidents"], "outage update", {"incident": "1", "note": sneaky}
    )
    await update.reply()
    await settle(double)
    assert len(double.channel_messages(int(thread_of(double, server, 1)["id"]))) == 1
    # @librairies is the #librairies route's own role and nobody holds it yet: nobody at all is notified.
    assert double.notifications() == []


async def test_partial_recovery_then_resolve_with_durations(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    thread = thread_of(double, server, 1)
    await double.advance(timedelta(days=1, hours=19, minutes=50))  # Monday 08:30 Paris
    ix = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage update",
        {
            "incident": "1",
            "status": "monitoring",
            "services": "commandes: rétabli, livraisons: dégradé",
            "workaround": "Commandes de nouveau possibles ; livraisons avec retard.",
        },
    )
    await ix.reply()
    await settle(double)
    for name in ANNOUNCED:  # the workaround changed: a new message each
        assert len(bot_messages(double, server.channels[name])) == 2, name
    # Nudges (plain text) came first after the jump of two days; the update's post is the one with an embed.
    posts = [p for p in double.channel_messages(int(thread["id"])) if p.get("embeds")]
    assert "commandes" in posts[-1]["embeds"][0]["description"]
    assert "1 j 20 h 30 min" in posts[-1]["embeds"][0]["description"]
    await double.advance(timedelta(days=1, hours=2, minutes=30))  # Tuesday 11:00
    done = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage resolve",
        {"incident": "1", "summary": "Activité rétablie, livraisons normales."},
    )
    await done.reply()
    await settle(double)
    for name in ANNOUNCED:
        assert len(bot_messages(double, server.channels[name])) == 3, name
    recovery = bot_messages(double, server.channels["pharmacies"])[-1]
    assert f"<@&{server.roles['pharmacies-ouest']}>" in recovery["content"] and "2 j 23 h" in recovery["content"]
    assert (
        f"<@&{server.roles['pharmacies-ouest']}>"
        not in bot_messages(double, server.channels["bretagne"])[-1]["content"]
    )

    posts = [p for p in double.channel_messages(int(thread["id"])) if p.get("embeds")]
    assert len(posts) == 2 and "2 j 23 h" in posts[-1]["embeds"][0]["description"], posts


async def test_edit_re_routes_and_cancel(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    ix = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage edit",
        {"incident": "1", "territories": "53, 76"},
    )
    reply = await ix.reply()
    assert f"<#{server.channels['occitanie']}>" in reply["content"]
    await settle(double)
    assert len(bot_messages(double, server.channels["occitanie"])) == 1
    (left,) = bot_messages(double, server.channels["pays-de-la-loire"])
    assert left["embeds"] == [], "the #pays-de-la-loire announcement edited to say it no longer concerns it"
    cancel = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage cancel",
        {"incident": "1", "reason": "false_alarm"},
    )
    assert "annulée" in (await cancel.reply())["content"]


async def test_declare_run_bare_opens_the_modal(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    ix = await double.run_command(server.members["coord.anne"], server.channels["incidents"], "outage declare")
    first = await ix.first_response()
    assert first["type"] == 9 and ix.modal is not None
    submitted = await ix.submit_modal(
        {
            "title": "Cerp à l'arrêt",
            "sector": "Pharmacie",
            "territories": "53",
            "severity": "critique",
            "started": "aujourd'hui midi",
        }
    )
    reply = await submitted.reply()
    assert "Panne #1 déclarée" in reply["content"]
    await settle(double)
    assert len(bot_messages(double, server.channels["bretagne"])) == 1
    assert len(bot_messages(double, server.channels["pharmacies"])) == 1


async def test_affected_too_counts_once_and_follow_answers_privately(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    before = counts(double, server)
    bretagne = server.channels["bretagne"]
    announcement = bot_messages(double, bretagne)[0]
    brest = server.members["pharma.brest"]
    told_before = double.notifications(brest)
    affected = f"tocsin:affected:{server.guild_id}:1"
    first = await double.click(brest, bretagne, int(announcement["id"]), affected)
    assert "1 en tout" in (await first.reply())["content"] and first.ephemeral
    again = await double.click(brest, bretagne, int(announcement["id"]), affected)
    assert "déjà" in (await again.reply())["content"]
    follow = await double.click(brest, bretagne, int(announcement["id"]), f"tocsin:follow:{server.guild_id}:1")
    assert "suivez déjà" in (await follow.reply())["content"]

    def count_shown(message: dict[str, Any]) -> str:
        return next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == "Membres concernés")

    await settle(double)
    assert count_shown(bot_messages(double, bretagne)[0]) == "1", "announcement edited"
    status = bot_messages(double, server.channels["incidents"])[0]
    assert count_shown(double.message(server.channels["incidents"], int(status["id"]))) == "1"
    assert counts(double, server) == before  # nothing new posted anywhere
    assert double.notifications(brest) == told_before


async def test_a_button_keeps_working_after_a_restart(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    await bot.stop()
    await bot.start()
    bretagne = server.channels["bretagne"]
    announcement = bot_messages(double, bretagne)[0]
    ix = await double.click(
        server.members["pharma.brest"], bretagne, int(announcement["id"]), f"tocsin:follow:{server.guild_id}:1"
    )
    assert (await ix.reply())["content"] == "Vous suivez désormais la panne #1."


async def test_autocomplete_offers_incidents_territories_sectors_and_services(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    anne, incidents = server.members["coord.anne"], server.channels["incidents"]
    found = await double.autocomplete(anne, incidents, "outage update", focused="incident", value="cer")
    assert [c["value"] for c in found] == ["1"] and found[0]["name"].startswith("#1 · Cerp")
    territories = await double.autocomplete(anne, incidents, "outage declare", focused="territories", value="53, bret")
    assert territories[0]["value"] == "53, R53"
    sectors = await double.autocomplete(anne, incidents, "outage declare", focused="sector", value="pharm")
    assert [c["value"] for c in sectors] == ["pharmacie"]
    services = await double.autocomplete(
        anne, incidents, "outage update", focused="services", value="commandes: rétabli, liv", options={"incident": "1"}
    )
    assert services[0]["value"] == "commandes: rétabli, livraisons: rétabli"


async def test_a_resolved_thread_is_archived_after_the_delay(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    done = await double.run_command(
        server.members["coord.anne"], server.channels["incidents"], "outage resolve", {"incident": "1"}
    )
    await done.reply()
    thread_id = int(thread_of(double, server, 1)["id"])
    await settle(double)
    assert len(double.channel_messages(thread_id)) == 1
    await double.advance(timedelta(hours=23))
    await settle(double)
    assert not double.channel(thread_id)["thread_metadata"]["archived"]
    await double.advance(timedelta(hours=1, minutes=1))
    await settle(double)
    assert double.channel(thread_id)["thread_metadata"]["archived"], "thread archived"


async def test_in_a_forum_each_incident_is_a_post_with_its_status_tag(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    guild = double.guild(server.guild_id)
    forum = guild.add_forum_channel("incidents-forum", tags=["En cours d'analyse", "Surveillance", "Résolu"])
    admin = server.members["admin.sophie"]
    moved = await double.run_command(
        admin, server.channels["journal-bot"], "setup incident-channel", {"channel": forum}
    )
    await moved.reply()
    await declare_cerp(double, server)
    (post,) = [t for t in double.threads(server.guild_id) if t["parent_id"] == str(forum)]
    assert post["applied_tags"] == [str(guild.forum_tag_id(forum, "En cours d'analyse"))]
    ix = await double.run_command(
        server.members["coord.anne"],
        server.channels["incidents"],
        "outage update",
        {"incident": "1", "status": "monitoring"},
    )
    await ix.reply()
    tag = str(guild.forum_tag_id(forum, "Surveillance"))
    await settle(double)
    assert double.channel(int(post["id"]))["applied_tags"] == [tag], "status tag"


async def test_reopen_tells_the_channels_again_and_keeps_the_thread_open(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    anne, incidents = server.members["coord.anne"], server.channels["incidents"]
    await (await double.run_command(anne, incidents, "outage resolve", {"incident": "1"})).reply()
    await settle(double)
    for name in ANNOUNCED:
        assert len(bot_messages(double, server.channels[name])) == 2, name
    reopened = await double.run_command(anne, incidents, "outage reopen", {"incident": "1", "reason": "Rechute."})
    assert "rouverte" in (await reopened.reply())["content"]
    await settle(double)
    for name in ANNOUNCED:
        assert len(bot_messages(double, server.channels[name])) == 3, name
    refused = await double.run_command(
        anne, incidents, "outage assign", {"incident": "1", "coordinator": server.members["pharma.brest"]}
    )
    assert "coordination" in (await refused.reply())["content"]
    await double.advance(timedelta(hours=25))
    await settle(double)
    thread_id = int(thread_of(double, server, 1)["id"])
    assert not double.channel(thread_id)["thread_metadata"]["archived"]


async def test_the_archive_timer_survives_a_restart(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    done = await double.run_command(
        server.members["coord.anne"], server.channels["incidents"], "outage resolve", {"incident": "1"}
    )
    await done.reply()
    thread_id = int(thread_of(double, server, 1)["id"])
    await settle(double)
    assert len(double.channel_messages(thread_id)) == 1
    await bot.stop()
    await bot.start()
    await double.advance(timedelta(hours=24, minutes=1))
    await settle(double)
    assert double.channel(thread_id)["thread_metadata"]["archived"], "thread archived"


async def test_anyone_may_show_and_list(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure_grand_ouest(double, server)
    await declare_cerp(double, server)
    brest, bretagne = server.members["pharma.brest"], server.channels["bretagne"]
    shown = await double.run_command(brest, bretagne, "outage show", {"incident": "1"})
    embed = (await shown.reply())["embeds"][0]
    assert shown.ephemeral and embed["title"] == "#1 · Cerp Bretagne Atlantique à l'arrêt"
    listed = await double.run_command(brest, bretagne, "outage list", {"territory": "29", "period": "octobre 2024"})
    assert "Cerp Bretagne Atlantique" in (await listed.reply())["embeds"][0]["description"]
    nothing = await double.run_command(brest, bretagne, "outage list", {"status": "resolved"})
    assert (await nothing.reply())["content"] == "Aucune panne ne correspond."
    wrong = await double.run_command(brest, bretagne, "outage list", {"period": "n'importe quand"})
    assert (await wrong.reply())["content"].startswith("Pour la période :")
