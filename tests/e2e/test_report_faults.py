"""Reports under faults, end to end: the bot killed (SIGKILL) between a report's commit and its card's edit, a card
deleted by a moderator, and a reports channel the bot cannot write to. Whatever happens, no report is lost and no
card is doubled. (Declare and Set aside at the same instant: tests/e2e/test_report_decisions.py.)"""

from __future__ import annotations

import pytest

from bot.sandbox import DiscordDouble, Fault, Overwrite, Perm
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.reports_support import CERP, add_reporters, alerts, cards, configure_reports, counted
from tests.e2e.scenario_support import bot_messages, private_reply, settle, text_of
from tests.e2e.setup_steps import run_setup

pytestmark = pytest.mark.faults


@pytest.fixture
def server(double: DiscordDouble) -> Server:
    built = build_grand_ouest(double)
    add_reporters(double, built)
    return built


async def report(double: DiscordDouble, server: Server, who: str, organisation: str = CERP) -> str:
    ix = await double.run_command(
        server.members[who], server.channels["pharmacies"], "report", {"organisation": organisation}
    )
    return await private_reply(ix)


def card_posts(double: DiscordDouble, server: Server) -> int:
    """The bot's successful message creations in #signalements that carried a card (an embed)."""
    path = f"/channels/{server.channels['signalements']}/messages"
    return sum(1 for r in double.requests if r.bot and r.method == "POST" and r.path == path and r.status == 200) - len(
        alerts(double, server)
    )


async def test_a_kill_between_a_report_and_its_card_edit(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    await report(double, server, "pharma.stbrieuc")
    await double.wait_for(lambda: len(cards(double, server)) == 1, what="the card")
    await settle(double, server)
    (card,) = cards(double, server)
    # Discord refuses the card's edits for now: the report is committed and answered, its edit still to do.
    refusing = double.faults.inject(
        Fault("PATCH", rf"/channels/{server.channels['signalements']}/messages/{card['id']}", status=503, times=-1)
    )
    assert "Signalement enregistré" in await report(double, server, "pharma.brest")
    await double.wait_for(lambda: refusing.hits >= 1, what="the card's edit attempted")
    bot.kill()
    await bot.wait_exit()
    double.faults.clear()
    await bot.start()
    await double.wait_for(lambda: counted(cards(double, server)[0]) == ("2", "2"), what="the card caught up")
    await settle(double, server)
    assert [c["id"] for c in cards(double, server)] == [card["id"]], "the same card, not a second one"
    assert card_posts(double, server) == 1


async def test_a_card_deleted_by_a_moderator_is_posted_again_at_the_next_report(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    await report(double, server, "pharma.stbrieuc")
    await double.wait_for(lambda: len(cards(double, server)) == 1, what="the card")
    await settle(double, server)
    (card,) = cards(double, server)
    owner = double.guild(server.guild_id).owner_id
    double.delete_message(server.channels["signalements"], int(card["id"]), by=owner)
    assert cards(double, server) == []

    async def noted() -> bool:
        return "report card deleted" in await run_setup(double, server, "audit", {"limit": 5})

    for _ in range(50):  # the bot hears of the deletion through the gateway: an admin reads its audit log
        if await noted():
            break
    else:
        raise AssertionError("the bot did not note the card's deletion")
    await report(double, server, "pharma.brest")
    await double.wait_for(lambda: len(cards(double, server)) == 1, what="the card posted again")
    await settle(double, server)
    (again,) = cards(double, server)
    assert again["id"] != card["id"] and counted(again) == ("2", "2"), "both reports on it"
    assert card_posts(double, server) == 2


async def test_a_reports_channel_the_bot_cannot_write_to(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure_reports(double, server)
    guild = double.guild(server.guild_id)
    signalements, journal = server.channels["signalements"], server.channels["journal-bot"]
    staff_only = [
        Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.VIEW_CHANNEL)),
        Overwrite(id=server.roles["coordination"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=server.roles["admin"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
    ]
    mute = Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=int(Perm.SEND_MESSAGES))
    guild.set_overwrites(signalements, [*staff_only, mute])
    for who in ("pharma.stbrieuc", "pharma.brest", "pharma.angouleme"):
        assert "Signalement enregistré" in await report(double, server, who)
        await settle(double, server)
    assert cards(double, server) == []
    logged = [text_of(m) for m in bot_messages(double, journal)]
    told = [t for t in logged if "Échec définitif" in t and f"<#{signalements}>" in t]
    assert len(told) == 1, logged
    (alert,) = alerts(double, server, "journal-bot")
    assert alert["content"].startswith(f"<@&{server.roles['coordination']}>") and "3 membres" in alert["content"]
    checked = await run_setup(double, server, "check")
    assert f"<#{signalements}> (signalements) : il manque au bot Envoyer des messages" in checked, checked
    # The admin fixes the channel: the next report posts the card, with every report kept.
    guild.set_overwrites(
        signalements, [*staff_only, Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=0)]
    )
    await report(double, server, "pharma.quimper")
    await double.wait_for(lambda: len(cards(double, server)) == 1, what="the card")
    await settle(double, server)  # a send owed since the refusal may post the card first, then it catches up
    (card,) = cards(double, server)
    assert counted(card) == ("4", "4")
