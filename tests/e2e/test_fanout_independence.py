"""One failed step of an incident's deliveries cancels nothing that does not need it, end to end: the bot runs as
its own process against the double, and Discord refuses a step as it would (a permission missing in a channel, a
status message deleted by a moderator).

What holds in every case: the announcements in the routed channels go out whatever happens in #incidents; what
truly needs the failed step (a post needs its thread, an edit its message) waits, owed, instead of being dropped;
the coordinator's private reply says, in their language, where the incident was announced and where not yet, and
why; admins are told once in #journal-bot; and once the cause is fixed (a permission given back: Discord sends
CHANNEL_UPDATE, GUILD_ROLE_UPDATE, or GUILD_MEMBER_UPDATE for the bot itself; or later, at the next declaration or
the periodic retry on the bot's clock), what was owed goes out once, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox import DiscordDouble, Fault, InteractionHandle
from bot.sandbox.driver import BotProcess, Server, settle
from bot.sandbox.permissions import DEFAULT_EVERYONE, Overwrite, Perm
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
    news,
    route_channels,
    setup_command,
    tally,
    text_of,
    update,
    wait_announced,
)

pytestmark = [pytest.mark.faults, pytest.mark.long]

ROUTES = 3
OWED_RETRY = timedelta(minutes=15)


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    return build_fanout_server(double, ROUTES)


@pytest.fixture
async def configured(double: DiscordDouble, server: Server, bot: BotProcess) -> AsyncIterator[Server]:
    await configure_fanout(double, server)
    yield server


async def after_the_fix(double: DiscordDouble, effect: Callable[[], bool], what: str) -> None:
    """A permission given back reaches the bot as a gateway event, not as a command it answers: wait for the first
    thing it does about it, then for it to have caught up (what else it owed is sent by then)."""
    await double.wait_for(effect, timeout=20.0, what=what)
    await settle(double)


def deny_the_bot(double: DiscordDouble, server: Server, channel: int, permission: Perm) -> None:
    """An admin takes `permission` from the bot in `channel` (Discord sends CHANNEL_UPDATE)."""
    guild = double.guild(server.guild_id)
    guild.set_overwrites(channel, [Overwrite(id=guild.bot_role_id, type=0, allow=0, deny=int(permission))])


def announcement_in(double: DiscordDouble, channel: int, title: str, number: int = 1) -> dict[str, Any]:
    (found,) = [m for m in bot_messages(double, channel) if announced(title, number) in m["content"]]
    return found


def url(server: Server, *parts: int) -> str:
    return "https://discord.com/channels/" + "/".join(str(p) for p in (server.guild_id, *parts))


async def declare(double: DiscordDouble, server: Server, title: str) -> InteractionHandle:
    ix = await double.run_command(
        server.members["coord.anne"], server.channels["incidents"], "outage declare", declare_options(title)
    )
    await ix.reply()
    assert ix.ephemeral
    return ix


async def reply_text(ix: InteractionHandle) -> str:
    return str((await ix.reply())["content"])


def journal_since(double: DiscordDouble, server: Server, count: int) -> list[str]:
    return [m["content"] for m in bot_messages(double, server.channels["journal-bot"])[count:]]


def journal_count(double: DiscordDouble, server: Server) -> int:
    return len(bot_messages(double, server.channels["journal-bot"]))


async def test_a_thread_refused_for_create_public_threads_leaves_the_announcements_and_follows_once_allowed(
    double: DiscordDouble, configured: Server
) -> None:
    title = "Fil refusé"
    guild = double.guild(configured.guild_id)
    incidents, journal = configured.channels["incidents"], configured.channels["journal-bot"]
    routes = route_channels(configured)
    deny_the_bot(double, configured, incidents, Perm.CREATE_PUBLIC_THREADS)
    told_before = journal_count(double, configured)

    declared = await declare(double, configured, title)
    await wait_announced(double, routes, announced(title, 1))
    await settle(double, configured)

    # The status message is in #incidents, the thread is not; every route channel has its announcement, which
    # links the status message meanwhile.
    (status,) = bot_messages(double, incidents)
    assert incident_threads(double, configured, 1) == []
    assert tally(double, routes, announced(title, 1)).ok
    for channel in routes:
        assert link_of(announcement_in(double, channel, title)) == url(configured, incidents, int(status["id"]))
    said = await reply_text(declared)
    assert f"Annoncée dans <#{routes[0]}>, <#{routes[1]}>, <#{routes[2]}>." in said, said
    assert (
        f"Le fil n'est pas encore ouvert dans <#{incidents}> : il manque une permission à Tocsin. Il sera ouvert, "
        f"avec ses messages, dès que ce sera réparé ; les admins sont prévenus dans <#{journal}>." in said
    ), said
    (notice,) = journal_since(double, configured, told_before)
    assert notice.startswith(f"⚠️ Envoi en attente : création d'un fil dans <#{incidents}>."), notice

    # An update while the thread is still refused: the routed channels get their news and their edited
    # announcement; the post waits for the thread (nowhere else: not in #incidents either); told once only.
    ix = await update(double, configured, 1, {"note": "Point de 11 h", "workaround": "Consigne v2"})
    await ix.reply()
    await wait_announced(double, routes, news(title, 1))
    await settle(double, configured)
    assert tally(double, routes, news(title, 1)).ok
    assert all("Consigne v2" in text_of(announcement_in(double, c, title)) for c in routes)
    assert holding(double, incidents, "Point de 11 h") == 0
    said = await reply_text(ix)
    assert f"Nouveau message publié dans <#{routes[0]}>, <#{routes[1]}>, <#{routes[2]}>." in said, said
    assert "La mise à jour n'est pas encore publiée dans le fil : il manque une permission à Tocsin." in said, said
    assert len(journal_since(double, configured, told_before)) == 1

    # The admin gives the permission back (Discord sends CHANNEL_UPDATE): the thread is made from the status
    # message, the waiting post goes into it once, the announcements now link the thread.
    guild.set_overwrites(incidents, [])
    await after_the_fix(double, lambda: bool(incident_threads(double, configured, 1)), "the thread")
    thread = await incident_thread(double, configured, 1)
    assert thread == int(status["id"])
    assert holding(double, thread, "Point de 11 h") == 1
    assert len(bot_messages(double, incidents)) == 1, "one status message"
    for channel in routes:
        assert link_of(announcement_in(double, channel, title)) == url(configured, thread)
    said = await reply_text(declared)
    assert "pas encore ouvert" not in said and url(configured, thread) in said, said

    # Asked again later (another channel change, /setup check): nothing is sent twice.
    guild.set_overwrites(incidents, [])
    await setup_command(double, configured, "check", {})
    await settle(double, configured)
    assert len(incident_threads(double, configured, 1)) == 1
    assert holding(double, thread, "Point de 11 h") == 1
    assert tally(double, routes, announced(title, 1)).ok and tally(double, routes, news(title, 1)).ok
    assert len(journal_since(double, configured, told_before)) == 1


async def test_send_messages_denied_in_the_incident_channel_announces_and_resolves_and_catches_up_when_allowed(
    double: DiscordDouble, configured: Server
) -> None:
    title = "Salon muet"
    guild = double.guild(configured.guild_id)
    incidents, journal = configured.channels["incidents"], configured.channels["journal-bot"]
    routes = route_channels(configured)
    # #incidents is read-only but for the "publication" role, which the bot does not hold yet.
    publishing = guild.add_role("publication")
    guild.set_overwrites(
        incidents,
        [
            Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.SEND_MESSAGES)),
            Overwrite(id=publishing, type=0, allow=int(Perm.SEND_MESSAGES), deny=0),
        ],
    )
    told_before = journal_count(double, configured)

    declared = await declare(double, configured, title)
    await wait_announced(double, routes, announced(title, 1))
    await settle(double, configured)
    assert bot_messages(double, incidents) == [] and incident_threads(double, configured, 1) == []
    for channel in routes:  # nothing in #incidents to link yet but the channel itself
        assert link_of(announcement_in(double, channel, title)) == url(configured, incidents)
    said = await reply_text(declared)
    assert f"Annoncée dans <#{routes[0]}>, <#{routes[1]}>, <#{routes[2]}>." in said, said
    assert (
        f"Le message d'état n'est pas encore publié dans <#{incidents}> : il manque une permission à Tocsin. Il le "
        f"sera dès que ce sera réparé ; les admins sont prévenus dans <#{journal}>." in said
    ), said
    assert f"Le fil n'est pas encore ouvert dans <#{incidents}> : il manque une permission à Tocsin." in said, said
    (notice,) = journal_since(double, configured, told_before)
    assert notice.startswith(f"⚠️ Envoi en attente : publication dans <#{incidents}>."), notice

    # Resolved while #incidents still refuses: the recovery goes to every routed channel at once.
    ix = await double.run_command(
        configured.members["coord.anne"], incidents, "outage resolve", {"incident": "1", "summary": "Tout est revenu"}
    )
    await ix.reply()
    recovered = f"Rétabli : #1 · {title}"
    await wait_announced(double, routes, recovered)
    await settle(double, configured)
    assert tally(double, routes, recovered).ok
    assert bot_messages(double, incidents) == []
    said = await reply_text(ix)
    assert "La mise à jour n'est pas encore publiée dans le fil : il manque une permission à Tocsin." in said, said

    # The admin gives the bot the "publication" role (Discord sends GUILD_MEMBER_UPDATE for the bot itself, even
    # without the members intent): the status message, as it now stands, then its thread and the resolution.
    double.world.set_member_role(configured.guild_id, double.bot_user_id, publishing, guild.owner_id, add=True)
    await after_the_fix(double, lambda: bool(incident_threads(double, configured, 1)), "the thread")
    thread = await incident_thread(double, configured, 1)
    (status,) = bot_messages(double, incidents)
    assert thread == int(status["id"])
    assert "Résolu" in text_of(status), text_of(status)[:500]
    assert holding(double, thread, "Tout est revenu") == 1
    assert tally(double, routes, recovered).ok and tally(double, routes, announced(title, 1)).ok
    assert len(journal_since(double, configured, told_before)) == 1


async def test_a_thread_discord_holds_back_does_not_hold_the_announcements_which_link_it_once_made(
    double: DiscordDouble, configured: Server
) -> None:
    title = "Fil retardé"
    incidents = configured.channels["incidents"]
    routes = route_channels(configured)
    # Discord answers 503 four times to the thread's creation: about 7 s of back-off before it is made.
    held = double.faults.inject(
        Fault("POST", rf"/channels/{incidents}/messages/\d+/threads", status=503, before_action=True, times=4)
    )
    declared = await declare(double, configured, title)
    await wait_announced(double, routes, announced(title, 1))
    await settle(double, configured, timeout=30)
    thread = await incident_thread(double, configured, 1)
    assert held.exhausted
    first_thread = min(r.monotonic for r in double.requests if r.route.endswith("/threads") and r.status == 201)
    posted = [
        r.monotonic
        for r in double.requests
        if r.bot and r.method == "POST" and r.major_id in {str(c) for c in routes} and r.status == 200
    ]
    assert len(posted) == len(routes) and max(posted) < first_thread, "the announcements did not wait for it"
    for channel in routes:  # posted with the status message's link, then edited to the thread's
        message = announcement_in(double, channel, title)
        assert link_of(message) == url(configured, thread) and message["edited_timestamp"] is not None
    said = await reply_text(declared)
    assert f"Annoncée dans <#{routes[0]}>, <#{routes[1]}>, <#{routes[2]}>." in said, said
    assert url(configured, thread) in said and "fait attendre" not in said, said


async def test_a_status_message_deleted_before_its_thread_is_made_is_posted_again_then_the_thread_once(
    double: DiscordDouble, configured: Server
) -> None:
    title = "Message supprimé"
    guild = double.guild(configured.guild_id)
    incidents = configured.channels["incidents"]
    routes = route_channels(configured)
    deny_the_bot(double, configured, incidents, Perm.CREATE_PUBLIC_THREADS)
    await declare(double, configured, title)
    await wait_announced(double, routes, announced(title, 1))
    await settle(double, configured)
    ix = await update(double, configured, 1, {"note": "Point de 10 h", "status": "identified"})
    await ix.reply()
    await settle(double, configured)
    (deleted,) = bot_messages(double, incidents)
    # A moderator deletes the status message; then the permission comes back. Discord answers the thread's
    # creation from the deleted message with 404 Unknown Message (10008).
    double.delete_message(incidents, int(deleted["id"]), by=guild.owner_id)
    guild.set_overwrites(incidents, [])
    await after_the_fix(double, lambda: bool(incident_threads(double, configured, 1)), "the thread")
    thread = await incident_thread(double, configured, 1)

    (status,) = bot_messages(double, incidents)
    assert int(status["id"]) != int(deleted["id"]) and thread == int(status["id"])
    assert "identifiée" in text_of(status).lower(), "posted again as it stands now, not as first declared"
    assert holding(double, thread, "Point de 10 h") == 1
    assert len(incident_threads(double, configured, 1)) == 1
    for channel in routes:
        assert link_of(announcement_in(double, channel, title)) == url(configured, thread)


async def test_one_announcement_channel_refusing_leaves_the_others_and_gets_its_owed_messages_once_in_order(
    double: DiscordDouble, configured: Server
) -> None:
    title = "Salon fermé"
    guild = double.guild(configured.guild_id)
    journal = configured.channels["journal-bot"]
    routes = route_channels(configured)
    closed, served = routes[1], [routes[0], routes[2]]
    deny_the_bot(double, configured, closed, Perm.SEND_MESSAGES)
    told_before = journal_count(double, configured)

    declared = await declare(double, configured, title)
    await wait_announced(double, served, announced(title, 1))
    thread = await incident_thread(double, configured, 1)
    await settle(double, configured)
    assert bot_messages(double, closed) == []
    said = await reply_text(declared)
    assert f"Annoncée dans <#{routes[0]}>, <#{routes[2]}>." in said, said
    assert (
        f"Pas encore annoncée dans <#{closed}> : il manque une permission à Tocsin. Elle y sera publiée dès que ce "
        f"sera réparé ; les admins sont prévenus dans <#{journal}>." in said
    ), said
    assert "Le fil" not in said, "the thread was made: nothing to say about it"

    ix = await update(double, configured, 1, {"note": "Point de 15 h", "workaround": "Consigne v2"})
    await wait_announced(double, served, news(title, 1))
    await settle(double, configured)
    said = await reply_text(ix)
    assert f"Nouveau message publié dans <#{routes[0]}>, <#{routes[2]}>." in said, said
    assert f"Nouveau message pas encore publié dans <#{closed}> : il manque une permission à Tocsin." in said, said
    assert holding(double, thread, "Point de 15 h") == 1
    assert len(journal_since(double, configured, told_before)) == 1, "one notice for the channel, not one a message"
    check = await setup_command(double, configured, "check", {})
    assert f"⏳ <#{closed}> : HTTP 403, code 50013" in check, check
    assert "⏳ Ces envois ne sont pas perdus : ils attendent, dans l'ordre" in check, check
    await settle(double, configured)
    assert bot_messages(double, closed) == [], "still refused: asked again, still waiting"

    # The permission comes back: the announcement (as it now stands), then the news, once each, in that order.
    guild.set_overwrites(closed, [])
    await after_the_fix(double, lambda: bool(bot_messages(double, closed)), f"a message in {closed}")
    first, second = bot_messages(double, closed)
    assert announced(title, 1) in first["content"] and "Consigne v2" in text_of(first)
    assert news(title, 1) in second["content"]
    assert link_of(first) == url(configured, thread)


async def test_posts_refused_in_the_thread_wait_for_the_permission_and_the_rest_goes_on(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    """Members may not talk in threads here, and the bot's role was given without Send Messages in Threads: the
    thread is made, its posts are refused (403) and wait; an admin edits the bot's role (GUILD_ROLE_UPDATE)."""
    title = "Fil muet"
    guild = double.guild(server.guild_id)
    no_thread_talk = int(DEFAULT_EVERYONE & ~Perm.MENTION_EVERYONE & ~Perm.SEND_MESSAGES_IN_THREADS)
    bot_role = next(r for r in double.roles(server.guild_id) if int(r["id"]) == guild.bot_role_id)
    guild.edit_role_permissions(guild.everyone_role_id, no_thread_talk)
    guild.edit_role_permissions(guild.bot_role_id, int(bot_role["permissions"]) & ~Perm.SEND_MESSAGES_IN_THREADS)
    await configure_fanout(double, server)
    routes = route_channels(server)
    await declare(double, server, title)
    await settle(double, server)
    thread = await incident_thread(double, server, 1)
    ix = await update(double, server, 1, {"note": "Point de 9 h"})
    await ix.reply()
    await settle(double, server)
    assert holding(double, thread, "Point de 9 h") == 0
    said = await reply_text(ix)
    assert "La mise à jour n'est pas encore publiée dans le fil : il manque une permission à Tocsin." in said, said

    guild.edit_role_permissions(guild.bot_role_id, int(bot_role["permissions"]))
    await after_the_fix(double, lambda: holding(double, thread, "Point de 9 h") > 0, "the post in the thread")
    assert holding(double, thread, "Point de 9 h") == 1
    assert tally(double, routes, announced(title, 1)).ok


async def test_a_fix_the_bot_was_not_told_of_is_caught_up_by_the_periodic_retry_and_the_next_declaration(
    double: DiscordDouble, configured: Server
) -> None:
    """The permission comes back without an event the bot watches (say, while it was disconnected): the owed
    announcement goes out at the next retry on the bot's clock; another one, at the next declaration, before it."""
    routes = route_channels(configured)
    closed = routes[0]
    deny_the_bot(double, configured, closed, Perm.SEND_MESSAGES)
    await declare(double, configured, "Première")
    await wait_announced(double, routes[1:], announced("Première", 1))
    await settle(double, configured)
    assert bot_messages(double, closed) == []

    double.world.channel(closed).overwrites = []  # fixed, and the bot missed the event
    await double.advance(OWED_RETRY)
    await wait_announced(double, [closed], announced("Première", 1))
    await settle(double, configured)
    assert len(bot_messages(double, closed)) == 1

    deny_the_bot(double, configured, closed, Perm.SEND_MESSAGES)
    await declare(double, configured, "Deuxième")
    await wait_announced(double, routes[1:], announced("Deuxième", 2))
    await settle(double, configured)
    double.world.channel(closed).overwrites = []  # fixed again, silently
    await declare(double, configured, "Troisième")
    await wait_announced(double, routes, announced("Troisième", 3))
    await settle(double, configured)
    texts = [m["content"] for m in bot_messages(double, closed)]
    assert [next(t for t in ("Première", "Deuxième", "Troisième") if t in text) for text in texts] == [
        "Première",
        "Deuxième",
        "Troisième",
    ], texts
