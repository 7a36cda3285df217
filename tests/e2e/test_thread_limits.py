"""A server at Discord's cap on active threads (fault 42: "1000 active threads → fallback"), end to end: the bot
runs as its own process against the double with the cap lowered to two, and the members' own threads fill it.

Discord answers a thread creation past the cap with 400 and JSON code 160006 ("Maximum number of active threads
reached"). The incident is still declared and told: its status message in #incidents, the announcements in
every route channel (their link goes to the status message), the update posts and opt-in DMs; the refusal is
told once in #journal-bot; the thread is asked for again at the next update and, once a slot is free, made from
the status message, from which point the updates go into it. Nothing is lost or sent twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox import DiscordDouble
from bot.sandbox.driver import settle
from tests.e2e.conftest import SCENARIO_START
from tests.e2e.fanout_support import (
    announced,
    bot_messages,
    build_fanout_server,
    configure_fanout,
    declare_options,
    holding,
    incident_thread,
    incident_threads,
    link_of,
    route_channels,
    tally,
    text_of,
    update,
    wait_announced,
)
from tests.e2e.harness import BotProcess, Server

pytestmark = pytest.mark.faults

CAP = 2
TITLE = "Serveur plein"
THREADS_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(now=SCENARIO_START, max_active_threads=CAP) as running:
        yield running


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    return build_fanout_server(double, 3)


def thread_requests(double: DiscordDouble) -> list[int]:
    return [r.status for r in double.requests if r.bot and r.method == "POST" and r.route == THREADS_ROUTE]


def notified(double: DiscordDouble, server: Server, since: int) -> list[tuple[str, str, str]]:
    """(member, where, why) of each notification since `since`: a channel's name, "fil #1", or "DM"."""
    out = []
    for note in double.notifications()[since:]:
        if note.reason == "dm":
            where = "DM"
        elif note.channel_id in server.channels.values():
            where = server.channel_name(note.channel_id)
        else:
            where = str(double.channel(note.channel_id).get("name", note.channel_id))
        out.append((server.name_of(note.user_id), where, note.reason))
    return sorted(out)


async def test_a_full_server_gets_its_incident_in_the_parent_channel_told_once_and_the_thread_later(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    guild = server.guild_id
    incidents, journal = server.channels["incidents"], server.channels["journal-bot"]
    routes = route_channels(server)
    await configure_fanout(double, server)
    # Members' own threads fill the server: the next thread Discord is asked for is refused.
    entraide = double.start_thread(server.members["membre.lea"], routes[0], "entraide")
    double.start_thread(server.members["coord.yann"], routes[1], "garde du week-end")
    assert double.active_thread_count(guild) == CAP
    journal_before = len(bot_messages(double, journal))

    # Declared: the status message in #incidents, no thread, one announcement per route linking the status.
    declared = await double.run_command(
        server.members["coord.anne"], incidents, "outage declare", declare_options(TITLE)
    )
    await declared.reply()
    await wait_announced(double, routes, announced(TITLE, 1))
    await settle(double, server)
    (status,) = bot_messages(double, incidents)
    assert TITLE in text_of(status)
    assert incident_threads(double, server, 1) == []
    assert thread_requests(double) == [400], "asked once, refused (160006), not retried in a loop"
    status_link = f"https://discord.com/channels/{guild}/{incidents}/{status['id']}"
    assert tally(double, routes, announced(TITLE, 1)).ok
    for channel in routes:
        (announcement,) = [m for m in bot_messages(double, channel) if announced(TITLE, 1) in m["content"]]
        assert link_of(announcement) == status_link
    assert declared.ephemeral and status_link in (await declared.reply())["content"], "the private reply links it"
    (told,) = bot_messages(double, journal)[journal_before:]
    assert told["content"].startswith(
        f"⚠️ Limite de fils atteinte — création d'un fil dans <#{incidents}> : le serveur a atteint la limite "
        "Discord de fils actifs (HTTP 400, code 160006)."
    ), told
    assert f"publiés dans <#{incidents}>" in told["content"] and "redemandé" in told["content"]

    # membre.lea follows #1 with DMs; the next update is posted in #incidents, pinging the followers there.
    ix = await double.run_command(server.members["membre.lea"], incidents, "follow", {"incident": "1", "dm": True})
    await ix.reply()
    await settle(double, server)
    notes = len(double.notifications())
    answer = await update(double, server, 1, {"note": "Point de 11 h"})
    await answer.reply()
    await settle(double, server)
    assert thread_requests(double) == [400, 400], "asked again at the update, still full"
    posts = [m for m in bot_messages(double, incidents) if "Point de 11 h" in text_of(m)]
    assert len(posts) == 1 and posts[0]["mention_roles"], posts
    assert notified(double, server, notes) == [("membre.lea", "DM", "dm"), ("membre.lea", "incidents", "role_mention")]
    (dm,) = double.dms(server.members["membre.lea"])
    assert "Point de 11 h" in text_of(dm) and status_link in dm["content"], dm["content"]
    assert len(bot_messages(double, journal)) == journal_before + 1, "the same refusal is not told again"

    # A moderator archives a thread: a slot is free. The next update makes the thread from the status message
    # and goes into it; what was posted in #incidents stays there, once.
    double.archive_thread(entraide)
    notes = len(double.notifications())
    answer = await update(double, server, 1, {"note": "Point de 12 h"})
    await answer.reply()
    await settle(double, server)
    thread = await incident_thread(double, server, 1)
    assert thread == int(status["id"]) and thread_requests(double) == [400, 400, 201]
    assert holding(double, thread, "Point de 12 h") == 1 and holding(double, thread, "Point de 11 h") == 0
    assert holding(double, incidents, "Point de 11 h") == 1 and holding(double, incidents, "Point de 12 h") == 0
    assert notified(double, server, notes) == sorted(
        [("membre.lea", "DM", "dm"), ("membre.lea", double.channel(thread)["name"], "role_mention")]
    )
    latest = double.dms(server.members["membre.lea"])[-1]
    assert f"https://discord.com/channels/{guild}/{thread}" in latest["content"] and "Point de 12 h" in text_of(latest)
    for channel in routes:  # the standing announcements, edited in place, now link the thread
        (announcement,) = [m for m in bot_messages(double, channel) if announced(TITLE, 1) in m["content"]]
        assert link_of(announcement) == f"https://discord.com/channels/{guild}/{thread}"
    assert len(bot_messages(double, journal)) == journal_before + 1
    assert len(double.dms(server.members["membre.lea"])) == 2
