"""The foundation seen from Discord: the bot runs as its own process; tests act as members through the double."""

from __future__ import annotations

import re
from pathlib import Path

from bot.sandbox import DiscordDouble, Fault
from bot.sandbox.permissions import Overwrite, Perm
from tests.e2e.harness import BotProcess, Server, settle


def contents(messages: list[dict]) -> list[str]:
    return [m["content"] for m in messages]


async def test_about_answers_privately_in_the_persons_language(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    french = await double.run_command(server.members["pharma.brest"], server.channels["bretagne"], "tocsin about")
    reply = await french.reply()
    assert french.ephemeral
    embed = reply["embeds"][0]
    assert embed["title"] == "Tocsin 0.1.0"
    assert [f["name"] for f in embed["fields"]] == ["En service depuis", "Base de données", "File d'envoi"]
    assert re.match(r"^schéma \d+, \d+ Kio$", embed["fields"][1]["value"])

    english = await double.run_command(
        server.members["pharma.brest"], server.channels["bretagne"], "tocsin about", locale="en-GB"
    )
    assert next(f["name"] for f in (await english.reply())["embeds"][0]["fields"]) == "Up for"
    assert double.channel_messages(server.channels["bretagne"]) == []


async def test_commands_carry_french_names_and_admin_hints(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    (tocsin,) = [c for c in double.commands(server.guild_id) if c["name"] == "tocsin"]
    assert tocsin["description_localizations"]["fr"] == "À propos de Tocsin et de son état"
    subcommands = {o["name"]: o for o in tocsin["options"]}
    assert subcommands["about"]["name_localizations"]["fr"] == "a-propos"
    options = {o["name"]: o for o in subcommands["test-delivery"]["options"]}
    assert options["channel"]["name_localizations"]["fr"] == "salon"
    assert options["count"]["min_value"] == 1 and options["count"]["max_value"] == 20


async def test_a_member_who_is_not_admin_cannot_post_test_messages(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    attempt = await double.run_command(
        server.members["pharma.angouleme"],
        server.channels["pharmacies"],
        "tocsin test-delivery",
        {"channel": server.channels["pharmacies"], "count": 3},
    )
    reply = await attempt.reply()
    assert attempt.ephemeral
    assert (
        reply["content"] == "Seuls les administrateurs du serveur (permission « Gérer le serveur ») peuvent faire cela."
    )
    # The refusal is private and final: after a real delivery elsewhere, nothing has reached #pharmacies.
    done = await double.run_command(
        server.members["admin.sophie"],
        server.channels["bretagne"],
        "tocsin test-delivery",
        {"channel": server.channels["bretagne"], "count": 1},
    )
    await done.reply()
    await settle(double)
    assert len(double.channel_messages(server.channels["bretagne"])) == 1
    assert double.channel_messages(server.channels["pharmacies"]) == []


async def test_a_flooded_channel_gets_429s_and_the_outbox_still_delivers_everything_once(
    tmp_path: Path, server: Server, double: DiscordDouble
) -> None:
    # Stricter than the outbox's own pace (5 per 5 s): the client must follow the double's headers. And the
    # channel is flooded: its next two posts are answered 429 whatever the client knew of the bucket.
    double.set_channel_limit(messages=2, window_s=1.0)
    channel = server.channels["bretagne"]
    double.faults.inject(
        Fault(method="POST", path_pattern=rf"/channels/{channel}/messages", status=429, retry_after=1.0, times=2)
    )
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    try:
        ix = await double.run_command(
            server.members["admin.sophie"], channel, "tocsin test-delivery", {"channel": channel, "count": 8}
        )
        assert (await ix.reply())["content"].startswith("8 messages de test mis en file")
        await settle(double, timeout=60)
        posted = double.channel_messages(channel)
        assert len(posted) == 8, contents(posted)
        assert contents(posted)[1:] == [f"Test de diffusion Tocsin : message {n} sur 8." for n in range(2, 9)]
        assert posted[0]["content"] == "Test de diffusion Tocsin terminé : 8 messages publiés dans l'ordre."
        limited = [r for r in double.requests if r.status == 429 and r.major_id == str(channel)]
        assert limited, "the double's channel limit should have answered 429 at least once"
        assert all(r.headers.get("Via") and "X-RateLimit-Reset-After" in r.headers for r in limited)
    finally:
        await process.stop()


async def test_a_lost_response_is_retried_without_a_duplicate(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    channel = server.channels["occitanie"]
    double.faults.inject(Fault(method="POST", path_pattern=rf"/channels/{channel}/messages", lose_response=True))
    ix = await double.run_command(
        server.members["admin.sophie"], channel, "tocsin test-delivery", {"channel": channel, "count": 3}
    )
    await ix.reply()
    await settle(double)
    assert len(double.channel_messages(channel)) == 3
    assert "terminé" in double.channel_messages(channel)[0]["content"]
    posts = [r for r in double.requests if r.method == "POST" and r.path == f"/channels/{channel}/messages"]
    assert len(posts) == 4, "one POST lost its response and was sent again with the same nonce"


async def test_a_role_mention_notifies_exactly_the_roles_members_who_see_the_channel_and_edits_notify_nobody(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    channel = server.channels["pharmacies"]
    role = server.roles["pharmacies-ouest"]
    guild = double.guild(server.guild_id)
    hidden = guild.add_member("pharma.cachee", roles=[role], locale="fr")
    guild.set_overwrites(channel, [Overwrite(id=hidden, type=1, allow=0, deny=int(Perm.VIEW_CHANNEL))])
    ix = await double.run_command(
        server.members["admin.sophie"],
        server.channels["journal-bot"],
        "tocsin test-delivery",
        {"channel": channel, "count": 1, "role": role},
    )
    await ix.reply()
    await settle(double)
    (message,) = double.channel_messages(channel)
    assert "terminé" in message["content"]
    assert message["edited_timestamp"] is not None
    assert message["content"].startswith(f"<@&{role}> ")
    notified = sorted(n.user_id for n in double.notifications() if n.channel_id == channel)
    assert notified == sorted([server.members["pharma.brest"], server.members["pharma.angouleme"]])
    assert {n.reason for n in double.notifications() if n.channel_id == channel} == {"role_mention"}


async def test_a_refused_token_ends_with_a_sentence_not_a_login_loop(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id, token="not-the-token")
    process.extra_env["LANG"] = "en_US.UTF-8"
    await process.start(wait_ready=False)
    assert await process.wait_exit() == 2
    log = process.log_text()
    assert "Discord refused the DISCORD_TOKEN" in log
    assert "Traceback" not in log
    assert "not-the-token" not in log
    assert [r.path for r in double.requests if r.status == 401] == ["/users/@me"]


async def test_the_token_stays_out_of_the_log_even_at_debug(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id, log_level="DEBUG")
    await process.start()
    try:
        ix = await double.run_command(server.members["admin.sophie"], server.channels["bretagne"], "tocsin about")
        await ix.reply()
    finally:
        await process.stop()
    log = process.log_text()
    assert "DEBUG" in log, "the bot should have logged at DEBUG"
    assert double.token not in log
    assert double.token.split(".")[-1] not in log
