"""`/privacy` end to end, acting only as members would: a member who reported an outage gets their data as a
private file, then has Tocsin forget them; the thank-you posted in the incident's thread no longer mentions them,
the triage card no longer shows what they typed, and the other reporter's mention, words and data are as they
were. A member who follows an outage and a territory is forgotten (by themselves, or from the terminal while the bot
is stopped): the follow roles the bot gave them are taken back (at the next start), the outage's next update does
not reach them, a role they held before stays, and once that is done nothing in the database names them. An
admin's `/setup forget-member` is refused to a non-admin. (Only its owner sees a private reply: that a
replayed button is refused to anyone else is held by tests/cogs/test_privacy_buttons.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.common.i18n import default_catalogue
from bot.sandbox import DiscordDouble, InteractionHandle
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.reports_support import CERP, add_reporters, cards, configure_reports
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    custom_ids,
    incident_threads,
    paris,
    private_reply,
    settle,
    text_of,
)
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_following import FOLLOW_ROLE, declare, role_id, update
from tests.e2e.test_report_decisions import open_declaration_form, reported
from tests.privacy.test_cli_forget import forget as forget_from_terminal
from tests.privacy.test_forget import every_row, holds

FORGOTTEN, KEPT = "pharma.stbrieuc", "pharma.quimper"
SECRET, OTHER_WORDS = "zqsecretstbrieuc plus de commandes", "zqquimper livraisons en retard"
ADMIN_ONLY = default_catalogue().render("fr", "access.error.admin_only")


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    built = build_grand_ouest(double)
    add_reporters(double, built)
    return built


async def report(double: DiscordDouble, server: Server, who: str, details: str) -> None:
    ix = await double.run_command(
        server.members[who], server.channels["pharmacies"], "report", {"organisation": CERP, "details": details}
    )
    await private_reply(ix)


async def privacy_panel(double: DiscordDouble, server: Server, who: str) -> dict[str, Any]:
    ix = await double.run_command(server.members[who], server.channels["pharmacies"], "privacy", {})
    said = await private_reply(ix)
    assert "Recevez-le en fichier" in said, said
    return await ix.reply()


async def click(
    double: DiscordDouble, server: Server, who: str, message: dict[str, Any], prefix: str
) -> InteractionHandle:
    (custom_id,) = [c for c in custom_ids(message) if c.startswith(prefix)]
    return await double.click(server.members[who], server.channels["pharmacies"], int(message["id"]), custom_id)


def member_file(double: DiscordDouble, ix: InteractionHandle) -> dict[str, Any]:
    (message,) = ix.followups
    assert message.get("flags", 0) & 64, "the file is sent privately"
    (attachment,) = message["attachments"]
    return dict(json.loads(double.attachment_data[int(attachment["id"])]))


async def exported(double: DiscordDouble, server: Server, who: str) -> dict[str, Any]:
    panel = await privacy_panel(double, server, who)
    ix = await click(double, server, who, panel, "tocsin:privacy:export:")
    await ix.reply()
    return member_file(double, ix)


def thanks(double: DiscordDouble, thread_id: int) -> dict[str, Any]:
    (post,) = [p for p in double.channel_messages(thread_id) if "Merci" in (p.get("content") or "")]
    return post


async def test_a_member_gets_their_data_then_is_forgotten_and_the_posts_naming_them_are_edited(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    m = server.members
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    await report(double, server, FORGOTTEN, SECRET)
    await report(double, server, KEPT, OTHER_WORDS)
    card = await reported(double, server, CERP, (FORGOTTEN, KEPT))
    form = await open_declaration_form(double, server, card)
    values = {str(i["custom_id"]): str(i.get("value") or "") for r in form.modal["components"] for i in r["components"]}
    await private_reply(await form.submit_modal({**values, "title": "Cerp à l'arrêt", "territories": "29"}))
    await settle(double, server)
    (thread,) = incident_threads(double, server)
    thread_id = int(thread["id"])
    before = thanks(double, thread_id)
    assert f"<@{m[FORGOTTEN]}>" in before["content"] and f"<@{m[KEPT]}>" in before["content"]
    assert SECRET in text_of(cards(double, server)[0])

    data = await exported(double, server, FORGOTTEN)
    assert data["member_id"] == m[FORGOTTEN]
    mine = data["servers"][str(server.guild_id)]
    assert SECRET in [r["details"] for r in mine["reports"]["reports"]]
    assert OTHER_WORDS not in json.dumps(data), "nobody else's data"
    kept_before = await exported(double, server, KEPT)

    panel = await privacy_panel(double, server, FORGOTTEN)
    forget = await click(double, server, FORGOTTEN, panel, "tocsin:privacy:forget:")
    confirm_panel = await forget.reply()
    assert "C'est définitif" in text_of(confirm_panel)
    done = await click(double, server, FORGOTTEN, confirm_panel, "tocsin:privacy:confirm:")
    said = await private_reply(done)
    assert "Tocsin vous a oublié" in said and "ancien membre n° 1" in said, said
    await settle(double, server)

    after = thanks(double, thread_id)
    assert after["id"] == before["id"], "the post is edited, not posted again"
    assert f"<@{m[FORGOTTEN]}>" not in after["content"] and str(m[FORGOTTEN]) not in after["content"]
    assert f"<@{m[KEPT]}>" in after["content"] and "ancien membre n° 1" in after["content"]
    card_text = text_of(cards(double, server)[0])
    assert SECRET not in card_text and OTHER_WORDS in card_text
    assert cards(double, server)[0]["id"] == card["id"], "the card is edited in place"

    gone = await exported(double, server, FORGOTTEN)
    assert gone["servers"][str(server.guild_id)] == {}, "nothing names them any more"
    kept_after = await exported(double, server, KEPT)
    kept_before.pop("made_at"), kept_after.pop("made_at")
    assert kept_after == kept_before, "the other reporter's data is untouched"


async def test_forget_member_is_for_admins_and_for_the_admin_who_asked(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    m, c = server.members, server.channels
    await configure_reports(double, server)
    double.set_time(paris(2024, 10, 19, 12, 41))
    await report(double, server, FORGOTTEN, SECRET)
    await settle(double, server)
    refused = await double.run_command(m[KEPT], c["pharmacies"], "setup forget-member", {"member": str(m[FORGOTTEN])})
    assert ADMIN_ONLY in await private_reply(refused)
    asked = await double.run_command(
        m["admin.sophie"], c["pharmacies"], "setup forget-member", {"member": f"<@{m[FORGOTTEN]}>"}
    )
    assert "C'est définitif" in await private_reply(asked)
    panel = await asked.reply()
    (custom_id,) = custom_ids(panel)
    done = await double.click(m["admin.sophie"], c["pharmacies"], int(panel["id"]), custom_id)
    assert "a oublié" in await private_reply(done)
    await settle(double, server)
    assert SECRET not in text_of(cards(double, server)[0])


async def follow(double: DiscordDouble, server: Server, who: str, options: dict[str, Any]) -> str:
    ix = await double.run_command(server.members[who], server.channels["bretagne"], "follow", options)
    return await private_reply(ix)


async def followed_everywhere(double: DiscordDouble, server: Server) -> tuple[int, int]:
    """A Finistère route with a role of its own; an outage declared in Brittany; pharma.brest follows it, the
    Finistère (given its route's role) and pharmacies (whose role they held before: nothing given);
    pharma.angouleme follows the outage too. Returns (the outage's follow role, the Finistère role)."""
    await configure(double, server)
    finistere = double.guild(server.guild_id).add_role("alertes-29")
    said = await run_setup(
        double, server, "route add", {"channel": server.channels["bretagne"], "territory": "29", "role": finistere}
    )
    assert said.split("\n")[0].endswith(f" → <@&{finistere}>"), said
    await declare(double, server)
    for who, options in (
        ("pharma.brest", {"incident": "1"}),
        ("pharma.brest", {"territory": "29"}),
        ("pharma.brest", {"sector": "pharmacie"}),
        ("pharma.angouleme", {"incident": "1"}),
    ):
        await follow(double, server, who, options)
    await settle(double, server)
    incident_role = role_id(double, server, FOLLOW_ROLE)
    assert incident_role is not None
    held = double.member_roles(server.guild_id, server.members["pharma.brest"])
    assert {incident_role, finistere, server.roles["pharmacies-ouest"]} <= set(held)
    return incident_role, finistere


def traces(database: Path, member: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [(table, row) for table, rows in every_row(database).items() for row in rows if holds(row, member)]


async def test_forget_me_takes_back_the_follow_roles_and_leaves_no_trace_once_done(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    m = server.members
    incident_role, finistere = await followed_everywhere(double, server)
    panel = await privacy_panel(double, server, "pharma.brest")
    confirm_panel = await (await click(double, server, "pharma.brest", panel, "tocsin:privacy:forget:")).reply()
    done = await click(double, server, "pharma.brest", confirm_panel, "tocsin:privacy:confirm:")
    assert "Tocsin vous a oublié" in await private_reply(done)
    await settle(double, server)

    held = double.member_roles(server.guild_id, m["pharma.brest"])
    assert incident_role not in held and finistere not in held, "the roles the bot gave are taken back"
    assert server.roles["pharmacies-ouest"] in held, "a role the bot did not give is never touched"
    assert incident_role in double.member_roles(server.guild_id, m["pharma.angouleme"])
    notes = len(double.notifications())
    await update(double, server, {"incident": "1", "note": "Toujours rien."})
    told = {server.name_of(n.user_id) for n in double.notifications()[notes:] if n.reason == "role_mention"}
    assert "pharma.angouleme" in told and "pharma.brest" not in told
    assert traces(bot.database_path, m["pharma.brest"]) == [], "once taken back, nothing names them"


async def test_a_forget_from_the_terminal_takes_the_roles_back_at_the_next_start(
    double: DiscordDouble, server: Server, bot: BotProcess, tmp_path: Path
) -> None:
    m = server.members
    incident_role, finistere = await followed_everywhere(double, server)
    await bot.stop()
    done = forget_from_terminal(bot.database_path, tmp_path, str(m["pharma.brest"]), str(server.guild_id))
    assert done.returncode == 0, done.stderr
    waiting = traces(bot.database_path, m["pharma.brest"])
    # outbox columns: rowid, id, guild_id, lane, kind, payload, depends_on, coalesce_key, status, …
    assert sorted((t, r[4], r[8], json.loads(r[5])["role_id"]) for t, r in waiting) == sorted(
        ("outbox", "remove_role", "pending", role) for role in (incident_role, finistere)
    ), "while the bot is stopped, only the removals waiting hold their id"
    assert incident_role in double.member_roles(server.guild_id, m["pharma.brest"])

    await bot.start()
    await settle(double, server)
    held = double.member_roles(server.guild_id, m["pharma.brest"])
    assert incident_role not in held and finistere not in held
    assert server.roles["pharmacies-ouest"] in held
    assert traces(bot.database_path, m["pharma.brest"]) == []


async def test_an_admin_forgets_a_member_who_left_and_nothing_is_left_to_take_back(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    """Discord answers 10007 Unknown Member for someone who left: their removals count as done, no failure is told
    to the admins, and nothing names them once that is recorded."""
    m, c = server.members, server.channels
    await followed_everywhere(double, server)
    double.guild(server.guild_id).remove_member(m["pharma.brest"])
    log_before = len(bot_messages(double, c["journal-bot"]))
    asked = await double.run_command(
        m["admin.sophie"], c["journal-bot"], "setup forget-member", {"member": str(m["pharma.brest"])}
    )
    assert "C'est définitif" in await private_reply(asked)
    panel = await asked.reply()
    (custom_id,) = custom_ids(panel)
    done = await double.click(m["admin.sophie"], c["journal-bot"], int(panel["id"]), custom_id)
    assert "a oublié" in await private_reply(done)
    await settle(double, server)
    member_role = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
    unknown = [r for r in double.requests if (r.method, r.route, r.status) == ("DELETE", member_role, 404)]
    assert len(unknown) == 2, "each removal was asked for, and Discord answered Unknown Member"
    assert len(bot_messages(double, c["journal-bot"])) == log_before, "a member who left is no failure to tell"
    assert traces(bot.database_path, m["pharma.brest"]) == []
