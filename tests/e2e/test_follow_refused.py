"""A role Discord refuses to give or take back for a member (403, 50013 Missing Permissions: the bot's highest role is
not above it, or the bot lacks Manage Roles): the member is told, on the reply they were given, in their language,
that they follow in Tocsin's records but will not be pinged (or may still be); admins are told in #journal-bot, and
`/setup check` names the cause and what to do. Following again once it is fixed gives the role.

The bot runs as its own process; admins change the server through the double (a role dragged above the bot's, the
bot's role losing Manage Roles) and the double refuses as Discord does."""

from __future__ import annotations

import pytest

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.permissions import Perm
from bot.sandbox.state.objects import DEFAULT_BOT_PERMISSIONS
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    private_reply,
    private_reply_now,
    settle,
    text_of,
)
from tests.e2e.test_following import FOLLOW_ROLE, declare, role_id

pytestmark = pytest.mark.faults

ROLE_ADD = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
REFUSED_FR = "Discord a refusé à Tocsin de vous donner le rôle de suivi de la panne #1 : vous la suivez bien"
REFUSED_EN = "Discord refused to let Tocsin give you the follow role of outage #1: you do follow it"


async def click_follow(double: DiscordDouble, server: Server, member: str) -> InteractionHandle:
    announcement = bot_messages(double, server.channels["bretagne"])[0]
    return await double.click(
        server.members[member],
        server.channels["bretagne"],
        int(announcement["id"]),
        f"tocsin:follow:{server.guild_id}:1",
    )


def follow_role(double: DiscordDouble, server: Server) -> int:
    found = role_id(double, server, FOLLOW_ROLE)
    assert found is not None, [r["name"] for r in double.roles(server.guild_id)]
    return found


def has_role(double: DiscordDouble, server: Server, member: str, role: int) -> bool:
    return role in double.member_roles(server.guild_id, server.members[member])


async def setup_check(double: DiscordDouble, server: Server) -> str:
    """Everything `/setup check` shows the admin (all its messages)."""
    ix = await double.run_command(server.members["admin.sophie"], server.channels["journal-bot"], "setup check")
    await private_reply(ix)
    await double.wait_for(lambda: bool(ix.followups), what="the /setup check report")
    return "\n".join(text_of(message) for message in ix.followups)


async def reply_told(double: DiscordDouble, ix: InteractionHandle, words: str) -> str:
    """The member's reply once it says `words` (an edit the bot makes when Discord refused)."""
    await double.wait_for(lambda: words in private_reply_now(double, ix), what=f"{words!r} in the member's reply")
    return private_reply_now(double, ix)


async def test_a_follow_role_above_the_bots_own_is_told_to_the_member_and_named_by_setup_check(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    guild = double.guild(server.guild_id)
    reader = guild.add_member("reader.en", locale="en")
    server.members["reader.en"] = reader
    await configure(double, server)
    await declare(double, server)
    await private_reply(await click_follow(double, server, "pharma.brest"))
    await settle(double, server)
    role = follow_role(double, server)
    assert has_role(double, server, "pharma.brest", role)

    # An admin drags "suivi #1" above Tocsin's own role: Discord now refuses Tocsin every change of it.
    guild.move_role(role, above=guild.bot_role_id)
    log_before = len(bot_messages(double, server.channels["journal-bot"]))
    ix = await click_follow(double, server, "pharma.angouleme")
    assert (await private_reply(ix)).startswith("Vous suivez désormais la panne #1.")
    await settle(double, server)
    said = await reply_told(double, ix, REFUSED_FR)
    assert said.startswith("Vous suivez désormais la panne #1."), said  # the reply, edited: the same words first
    assert "ne vous notifieront pas" in said and "Les admins du serveur en sont avertis." in said, said
    assert not has_role(double, server, "pharma.angouleme", role)
    refused = [r for r in double.requests if r.route == ROLE_ADD and r.status == 403]
    assert refused, "Discord (the double) refused the role add"
    told = [text_of(m) for m in bot_messages(double, server.channels["journal-bot"])[log_before:]]
    assert any("attribution du rôle" in t and "50013" in t for t in told), told

    # In English for a member whose Discord is in English.
    ix = await double.run_command(reader, server.channels["bretagne"], "follow", {"incident": "1"})
    assert "You now follow outage #1." in await private_reply(ix)
    await settle(double, server)
    said = await reply_told(double, ix, REFUSED_EN)
    assert "The server's admins have been told." in said, said

    report = await setup_check(double, server)
    assert (
        f"<@&{role}> (suivi de la panne #1) n'est pas sous <@&{guild.bot_role_id}>, le rôle le plus haut de Tocsin"
        in report
    ), report
    assert f"glissez <@&{guild.bot_role_id}> au-dessus de <@&{role}>" in report, report

    # The admin puts Tocsin's role back on top; pharma.angouleme follows again and gets the role.
    guild.move_role(guild.bot_role_id, above=role)
    ix = await click_follow(double, server, "pharma.angouleme")
    assert (await private_reply(ix)).startswith("Vous suivez déjà la panne #1."), private_reply_now(double, ix)
    await settle(double, server)
    assert has_role(double, server, "pharma.angouleme", role)
    assert REFUSED_FR not in private_reply_now(double, ix)
    assert "n'est pas sous" not in await setup_check(double, server)


async def test_without_manage_roles_follows_and_unfollows_are_told_and_setup_check_names_it(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    guild = double.guild(server.guild_id)
    await configure(double, server)
    await declare(double, server)
    # pharma.brest follows while all is well; then an admin takes Manage Roles from Tocsin's role.
    await private_reply(await click_follow(double, server, "pharma.brest"))
    await settle(double, server)
    role = follow_role(double, server)
    guild.edit_role_permissions(guild.bot_role_id, DEFAULT_BOT_PERMISSIONS & ~int(Perm.MANAGE_ROLES))

    # A sector follow: the route's role is refused.
    librairies = server.roles["librairies"]
    ix = await double.run_command(
        server.members["libr.toulouse"], server.channels["occitanie"], "follow", {"sector": "librairie"}
    )
    assert f"<@&{librairies}>" in await private_reply(ix)
    await settle(double, server)
    said = await reply_told(double, ix, f"Discord a refusé à Tocsin de vous donner <@&{librairies}>")
    assert "vous suivez bien librairie" in said and "ne vous notifieront pas" in said, said
    assert not has_role(double, server, "libr.toulouse", librairies)

    # Unfollowing: the role cannot be taken back, and the member is told they may still be notified.
    ix = await double.run_command(
        server.members["pharma.brest"], server.channels["bretagne"], "unfollow", {"incident": "1"}
    )
    assert "Vous ne suivez plus la panne #1." in await private_reply(ix)
    await settle(double, server)
    said = await reply_told(double, ix, "Discord a refusé à Tocsin de vous retirer le rôle de suivi de la panne #1")
    assert "peuvent encore vous notifier" in said, said
    assert has_role(double, server, "pharma.brest", role)

    report = await setup_check(double, server)
    assert "Tocsin n'a pas la permission « Gérer les rôles »" in report, report
    assert f"donnez « Gérer les rôles » à <@&{guild.bot_role_id}>" in report, report

    # Manage Roles given back: following again gives what was refused.
    guild.edit_role_permissions(guild.bot_role_id, DEFAULT_BOT_PERMISSIONS)
    ix = await double.run_command(
        server.members["libr.toulouse"], server.channels["occitanie"], "follow", {"sector": "librairie"}
    )
    await private_reply(ix)
    await settle(double, server)
    assert has_role(double, server, "libr.toulouse", librairies)
    assert "Gérer les rôles" not in await setup_check(double, server)


async def test_the_first_follow_of_an_incident_whose_role_cannot_be_made_is_told(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    guild = double.guild(server.guild_id)
    await configure(double, server)
    await declare(double, server)
    guild.edit_role_permissions(guild.bot_role_id, DEFAULT_BOT_PERMISSIONS & ~int(Perm.MANAGE_ROLES))
    # The incident's follow role is made on its first follow: refused, so the role add never happens either.
    ix = await click_follow(double, server, "pharma.brest")
    assert (await private_reply(ix)).startswith("Vous suivez désormais la panne #1.")
    await settle(double, server)
    said = await reply_told(double, ix, REFUSED_FR)
    assert "suivez-la de nouveau" in said, said
    assert role_id(double, server, FOLLOW_ROLE) is None

    # Fixed: clicking Follow again makes the role and gives it.
    guild.edit_role_permissions(guild.bot_role_id, DEFAULT_BOT_PERMISSIONS)
    ix = await click_follow(double, server, "pharma.brest")
    await private_reply(ix)
    await settle(double, server)
    assert has_role(double, server, "pharma.brest", follow_role(double, server))
