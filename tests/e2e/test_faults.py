"""Delivery under faults (issue 5, item 5): the bot runs as its own process, faults are injected in the double,
and every assertion reads what the double holds — its channels and its request log.

The server has N announcement channels, each with a route that matches every incident (configured through
/setup), so one declaration fans out to all of them: the status message and its thread in #incidents, then one
announcement per channel.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox import DiscordDouble, Fault
from bot.sandbox.driver import BotProcess, Server, settle
from bot.sandbox.permissions import Overwrite, Perm
from tests.e2e.fanout_support import (
    MESSAGE_ROUTE,
    announced,
    build_fanout_server,
    configure_fanout,
    declare,
    holding,
    incident_thread,
    news,
    restart_until_it_sends,
    round_complete,
    route_channels,
    setup_command,
    tally,
    update,
    wait_announced,
)

pytestmark = [pytest.mark.faults, pytest.mark.long]

ROUTES = 10


@pytest.fixture
def server(double: DiscordDouble, request: pytest.FixtureRequest) -> Server:
    """The fan-out server; `@pytest.mark.parametrize("server", [50], indirect=True)` asks for more channels."""
    return build_fanout_server(double, getattr(request, "param", ROUTES))


@pytest.fixture
async def configured(double: DiscordDouble, server: Server, bot: BotProcess) -> AsyncIterator[Server]:
    await configure_fanout(double, server)
    yield server


def posts_to(double: DiscordDouble, channel: int, since: int = 0) -> list[int]:
    """Statuses of the bot's message creations in `channel`, in order."""
    path = f"/channels/{channel}/messages"
    return [r.status for r in double.requests[since:] if r.bot and r.method == "POST" and r.path == path]


async def test_server_errors_then_success_leave_exactly_one_message(double: DiscordDouble, configured: Server) -> None:
    channels = route_channels(configured)
    # discord.py retries 500/502/504 by itself; with the fault acting first (502, 504) the retry repeats a POST
    # that did land, which only the nonce keeps single. 503 is not retried by discord.py: the outbox does it.
    plan = {
        channels[0]: Fault("POST", rf"/channels/{channels[0]}/messages", status=500, times=2),
        channels[1]: Fault("POST", rf"/channels/{channels[1]}/messages", status=502, before_action=False),
        channels[2]: Fault("POST", rf"/channels/{channels[2]}/messages", status=503, times=2),
        channels[3]: Fault("POST", rf"/channels/{channels[3]}/messages", status=504, before_action=False, times=2),
    }
    for fault in plan.values():
        double.faults.inject(fault)

    await declare(double, configured, "Erreurs serveur")
    await wait_announced(double, channels, announced("Erreurs serveur", 1))
    await settle(double, configured)

    assert tally(double, channels, announced("Erreurs serveur", 1)).ok
    assert all(len(double.channel_messages(c)) == 1 for c in channels)
    assert all(f.exhausted for f in plan.values()), "every injected fault should have been hit"
    assert posts_to(double, channels[0]) == [500, 500, 200]
    assert posts_to(double, channels[1]) == [502, 200]
    assert posts_to(double, channels[2]) == [503, 503, 200]
    assert posts_to(double, channels[3]) == [504, 504, 200]


async def test_a_lost_response_after_the_double_acted_leaves_one_message_and_one_thread(
    double: DiscordDouble, configured: Server
) -> None:
    channels = route_channels(configured)
    incidents = configured.channels["incidents"]
    double.faults.inject(Fault("POST", rf"/channels/{channels[4]}/messages", lose_response=True))
    double.faults.inject(Fault("POST", rf"/channels/{incidents}/messages/\d+/threads", lose_response=True))
    double.faults.inject(Fault("POST", rf"/channels/{incidents}/messages", lose_response=True))

    await declare(double, configured, "Réponse perdue")
    await wait_announced(double, channels, announced("Réponse perdue", 1))
    await settle(double, configured)

    assert tally(double, channels, announced("Réponse perdue", 1)).ok
    assert posts_to(double, channels[4]) == [0, 200], "the lost POST was sent again and de-duplicated"
    assert len(double.channel_messages(incidents)) == 1, "one status message"
    assert len(double.threads(configured.guild_id)) == 1, "one thread"
    await incident_thread(double, configured, 1)


async def test_a_429_storm_on_one_channel_does_not_delay_the_others(double: DiscordDouble, configured: Server) -> None:
    channels = route_channels(configured)
    stormy = channels[0]
    # Three 429s in a row, each holding the channel's route for 1.5 s: about 4.5 s of refusals on that channel.
    storm = double.faults.inject(Fault("POST", rf"/channels/{stormy}/messages", status=429, retry_after=1.5, times=3))
    since = len(double.requests)
    await declare(double, configured, "Tempête")
    await wait_announced(double, channels, announced("Tempête", 1), timeout=30)

    assert storm.exhausted
    assert tally(double, channels, announced("Tempête", 1)).ok
    posts = [r for r in double.requests[since:] if r.bot and r.method == "POST" and r.route == MESSAGE_ROUTE]
    first_post = posts[0].monotonic
    stormy_posts = [r for r in posts if r.major_id == str(stormy)]
    refusals = [r for r in stormy_posts if r.status == 429]
    assert 3 <= len(refusals) <= 5, [r.status for r in stormy_posts]
    (stormy_done,) = [r for r in stormy_posts if r.status == 200]
    assert stormy_done.monotonic - refusals[0].monotonic >= 4.4
    others_done = [r.monotonic for r in posts if r.major_id != str(stormy) and r.status == 200]
    # 1 status message + 9 announcements: well within the global budget, so "on time" is within a second.
    assert max(others_done) - first_post < 1.0, max(others_done) - first_post
    assert max(others_done) < refusals[1].monotonic, "the others were all served during the storm"
    assert not [r for r in posts if r.major_id != str(stormy) and r.status == 429]


@pytest.mark.parametrize("server", [50], indirect=True)
async def test_a_global_429_pauses_every_request_for_its_retry_after_without_a_storm(
    double: DiscordDouble, configured: Server
) -> None:
    channels = route_channels(configured)
    double.faults.inject(
        Fault("POST", rf"/channels/{channels[10]}/messages", status=429, retry_after=2.0, is_global=True)
    )
    since = len(double.requests)
    await declare(double, configured, "Pause globale")
    await wait_announced(double, channels, announced("Pause globale", 1), timeout=30)
    await settle(double, configured)

    assert tally(double, channels, announced("Pause globale", 1)).ok
    rest = [r for r in double.requests[since:] if r.bot and not r.route.startswith(("/interactions", "/webhooks"))]
    (storm,) = [r for r in rest if r.status == 429 and r.headers.get("X-RateLimit-Global") == "true"][:1]
    start = storm.monotonic
    during = [r for r in rest if start < r.arrived < start + 2.0]
    # Only requests already on their way when the 429 came back may arrive during the pause: at most one per
    # connection (a client sends one request at a time on each), none on the 429's own connection (what follows
    # a response there was sent after it was read). Exact whatever the machine's load.
    shown = [(r.path, r.status, r.connection, round(r.arrived - start, 3)) for r in during]
    assert storm.connection not in {r.connection for r in during}, shown
    assert len({r.connection for r in during}) == len(during), shown
    assert all(r.status == 429 for r in during), shown
    assert any(r.monotonic >= start + 2.0 and r.status == 200 for r in rest), "delivery resumed after the pause"


async def test_a_forbidden_and_a_vanished_channel_fail_once_are_shown_to_admins_and_the_others_are_served(
    double: DiscordDouble, configured: Server
) -> None:
    channels = route_channels(configured)
    guild = double.guild(configured.guild_id)
    forbidden, vanished = channels[1], channels[2]
    # The bot may see #annonces-02 but not post there (403 50013); #annonces-03 is gone (404 10003).
    guild.set_overwrites(forbidden, [Overwrite(id=guild.bot_role_id, type=0, allow=0, deny=int(Perm.SEND_MESSAGES))])
    double.faults.inject(
        Fault(
            "POST",
            rf"/channels/{vanished}/messages",
            status=404,
            body={"message": "Unknown Channel", "code": 10003},
            times=-1,
        )
    )
    await declare(double, configured, "Salons en échec")
    served = [c for c in channels if c not in (forbidden, vanished)]
    await wait_announced(double, served, announced("Salons en échec", 1))
    await settle(double, configured)

    assert tally(double, served, announced("Salons en échec", 1)).ok
    assert posts_to(double, forbidden) == [403], "a permission refusal is not retried"
    assert posts_to(double, vanished) == [404], "an unknown channel is not retried"
    assert not double.channel_messages(forbidden) and not double.channel_messages(vanished)

    check = await setup_command(double, configured, "check", {})
    lines = check.splitlines()
    assert any(f"<#{forbidden}>" in line and "50013" in line and "403" in line for line in lines), check
    assert any(f"<#{vanished}>" in line and "10003" in line and "404" in line for line in lines), check
    # Told in the bot log at most once per failing channel (the telling itself belongs to the delivery work).
    journal = double.channel_messages(configured.channels["journal-bot"])
    for channel in (forbidden, vanished):
        assert sum(1 for m in journal if f"<#{channel}>" in (m.get("content") or "")) <= 1


async def test_a_gateway_drop_in_the_middle_of_a_fan_out_loses_and_doubles_nothing(
    double: DiscordDouble, configured: Server
) -> None:
    channels = route_channels(configured)
    title = "Coupure passerelle"
    # Slow the announcements a little so the drop lands while they go out.
    for channel in channels:
        double.faults.inject(Fault("POST", rf"/channels/{channel}/messages", delay_s=0.1))
    resumed_before = double.hub.resumed
    await declare(double, configured, title)
    await double.wait_for(lambda: sum(holding(double, c, announced(title, 1)) for c in channels) >= 3)
    await double.drop_gateway(resumable=True)
    await double.wait_for(lambda: double.hub.resumed > resumed_before, what="the bot to RESUME")
    await wait_announced(double, channels, announced(title, 1))
    assert sum(holding(double, c, announced(title, 1)) for c in channels) >= 3

    # After the RESUME the bot still takes commands, and the update reaches everyone once.
    ix = await update(double, configured, 1, {"note": "Point après reprise", "workaround": "Nouvelle consigne"})
    await ix.reply()
    await settle(double, configured)
    thread = await incident_thread(double, configured, 1)
    assert tally(double, channels, announced(title, 1)).ok
    assert tally(double, channels, "Nouvelles consignes").ok
    assert holding(double, thread, "Point après reprise") == 1


async def test_two_coordinators_updating_one_incident_at_the_same_instant_both_updates_are_kept(
    double: DiscordDouble, configured: Server
) -> None:
    await declare(double, configured, "Mises à jour simultanées")
    first = await update(double, configured, 1, {"note": "Note d'Anne", "status": "identified"}, member="coord.anne")
    second = await update(double, configured, 1, {"note": "Note de Yann", "eta": "demain 9h"}, member="coord.yann")
    replies = await asyncio.gather(first.reply(), second.reply())
    assert first.ephemeral and second.ephemeral
    assert all("mise à jour" in (r.get("content") or "") for r in replies), replies
    await settle(double, configured)
    thread = await incident_thread(double, configured, 1)
    assert holding(double, thread, "Note d'Anne") == 1
    assert holding(double, thread, "Note de Yann") == 1
    # The standing status message carries both changes: the status from one, the ETA from the other.
    status = double.message(configured.channels["incidents"], thread)
    text = str(status)
    assert "Cause identifiée" in text or "cause identifiée" in text.lower(), text[:2000]
    assert "<t:1729407600:" in text, "the ETA set by the second coordinator (Sun 20/10 09:00 Paris)"


# --- the bot SIGKILLed at random points of 50-channel fan-outs --------------------------------------------


@pytest.mark.parametrize("server", [50], indirect=True)
async def test_sigkill_at_random_points_of_50_channel_fan_outs_delivers_each_message_exactly_once(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    rng = random.Random(20241019)
    channels = route_channels(server)
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    kills = 0  # each one while the round's messages were not all on Discord yet
    rounds = 0
    try:
        await configure_fanout(double, server)
        while kills < 20 and rounds < 5:
            rounds += 1
            number, title = rounds, f"Coupure r{rounds}"
            await declare(double, server, title)
            # The update adds a thread post, an edit of each announcement and a new message in each channel.
            ix = await update(double, server, number, {"note": f"Point r{number}", "workaround": f"Consigne r{number}"})
            await ix.reply()
            await asyncio.sleep(rng.uniform(0.0, 1.5))  # a random point of the fan-out, not a wait for the bot
            while not round_complete(double, server, channels, number) and kills < 20:
                process.kill()
                kills += 1
                await process.wait_exit()
                await restart_until_it_sends(double, process)
                await asyncio.sleep(rng.uniform(0.0, 0.6))  # a random point, not a wait for the bot
            if process.process is None or process.process.returncode is not None:
                await process.start()
            await double.wait_until_ready(timeout=30)
            await settle(double, server, timeout=30)
            assert round_complete(double, server, channels, number), f"round {number} is not all on Discord"
    finally:
        await process.stop()

    assert kills >= 20, f"only {kills} kills in {rounds} fan-outs"
    for number in range(1, rounds + 1):
        title = f"Coupure r{number}"
        assert tally(double, channels, announced(title, number)).ok, number
        assert tally(double, channels, news(title, number)).ok, number
        thread = await incident_thread(double, server, number)
        assert holding(double, thread, f"Point r{number}") == 1
    assert len(double.channel_messages(server.channels["incidents"])) == rounds
    assert len(double.threads(server.guild_id)) == rounds
