"""Timers through the double: personal reminders (on time, late after a restart, Snooze / Done for their owner
only, /rappels to list and cancel, the per-person cooldown) and the nudges of the scenarios, by moving the
double's clock and reading what Discord shows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import (
    bot_messages,
    configure,
    custom_ids,
    notified,
    paris,
    private_reply,
    settle,
    stamp,
)

pytestmark = pytest.mark.long


async def settled_new(double: DiscordDouble, channel_id: int, count: int) -> dict[str, Any]:
    """The one message the bot posted in `channel_id` after its first `count`, once the bot has caught up."""
    await settle(double)
    (new,) = bot_messages(double, channel_id)[count:]
    return new


async def test_reminder_fires_at_its_time_for_its_owner_only(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    anne, yann, here = server.members["coord.anne"], server.members["coord.yann"], server.channels["incidents"]
    double.set_time(paris(2024, 10, 19, 13, 0))
    ix = await double.run_command(anne, here, "remind", {"when": "dans 10 min", "what": "Appeler la Cerp @everyone"})
    said = await private_reply(ix)
    assert stamp(paris(2024, 10, 19, 13, 10)) in said, said
    before = len(bot_messages(double, here))
    notes = len(double.notifications())
    await double.advance(timedelta(minutes=9))
    await settle(double, server)
    assert len(bot_messages(double, here)) == before, "not before its time"
    await double.advance(timedelta(minutes=1))
    fired = await settled_new(double, here, before)
    assert fired["content"].startswith(f"<@{anne}> Rappel : Appeler la Cerp"), fired["content"]
    assert "en retard" not in fired["content"]
    ids = custom_ids(fired)
    assert len(ids) == 4 and ":done:" in ids[-1], ids
    await settle(double, server)
    assert notified(double, server, notes) == [("coord.anne", "incidents", "user_mention")], "only its owner is pinged"

    # Somebody else's click is refused privately and changes nothing.
    other = await double.click(yann, here, int(fired["id"]), ids[0])
    assert "n'est pas le vôtre" in await private_reply(other)
    assert custom_ids(double.message(here, int(fired["id"]))) == ids

    # The owner snoozes 15 min: the message loses its buttons and the reminder comes back 15 min later.
    snooze = await double.click(anne, here, int(fired["id"]), ids[0])
    await snooze.first_response()
    await settle(double, server)
    assert custom_ids(double.message(here, int(fired["id"]))) == [], "buttons removed"
    count = len(bot_messages(double, here))
    await double.advance(timedelta(minutes=14))
    await settle(double, server)
    assert len(bot_messages(double, here)) == count, "not before the snooze ends"
    await double.advance(timedelta(minutes=1))
    again = await settled_new(double, here, count)
    assert again["content"].startswith(f"<@{anne}> Rappel : Appeler la Cerp"), again["content"]
    done_id = custom_ids(again)[-1]
    refused = await double.click(yann, here, int(again["id"]), done_id)
    assert "n'est pas le vôtre" in await private_reply(refused)
    done = await double.click(anne, here, int(again["id"]), done_id)
    await done.first_response()
    await settle(double, server)
    assert custom_ids(double.message(here, int(again["id"]))) == [], "buttons removed"


async def test_settled_means_every_timer_due_by_the_clock_has_sent_its_message(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    """Once settled, what the clock's time made due is on Discord, and nothing due later: each reminder shows
    at its own minute, neither at the step before nor only at the next one."""
    await configure(double, server)
    anne, here = server.members["coord.anne"], server.channels["incidents"]
    double.set_time(paris(2024, 10, 19, 13, 0))
    minutes = (10, 20, 30, 40)
    for minute in minutes:
        ix = await double.run_command(anne, here, "remind", {"when": f"dans {minute} min", "what": f"Point {minute}"})
        await private_reply(ix)
    await settle(double, server)
    before = len(bot_messages(double, here))

    def shown() -> list[str]:
        return [m["content"] for m in bot_messages(double, here)[before:]]

    for count, minute in enumerate(minutes):
        double.set_time(paris(2024, 10, 19, 13, minute) - timedelta(seconds=1))
        await settle(double, server)
        assert len(shown()) == count, (minute, shown())
        double.set_time(paris(2024, 10, 19, 13, minute))
        await settle(double, server)
        assert len(shown()) == count + 1, (minute, shown())
        assert shown()[-1].startswith(f"<@{anne}> Rappel : Point {minute}"), shown()


async def test_reminders_list_cancel_and_permissions(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure(double, server)
    anne, member = server.members["coord.anne"], server.members["pharma.brest"]
    double.set_time(paris(2024, 10, 19, 13, 0))
    # #journal-bot is hidden from members: a reminder "here" is refused there.
    refused = await double.run_command(
        member, server.channels["journal-bot"], "remind", {"when": "dans 1 h", "what": "x"}
    )
    assert "ne pouvez pas écrire" in await private_reply(refused)
    for when, what in (("demain 9h", "Point DSI"), ("dans 2 h", "Relancer Cerp")):
        ix = await double.run_command(
            anne, server.channels["incidents"], "remind", {"when": when, "what": what, "where": "dm"}
        )
        await private_reply(ix)
    listing = await double.run_command(anne, server.channels["incidents"], "reminders")
    shown = await private_reply(listing)
    assert shown.index("Relancer Cerp") < shown.index("Point DSI"), shown
    reply = await listing.reply()
    (menu,) = [c for row in reply["components"] for c in row["components"]]
    option = next(o for o in menu["options"] if "Relancer Cerp" in o["label"])
    chosen = await double.select(
        anne, server.channels["incidents"], int(reply["id"]), menu["custom_id"], [option["value"]]
    )
    assert "Rappel annulé" in await private_reply(chosen)
    await double.advance(timedelta(hours=3))
    await settle(double, server)
    assert double.dms(anne) == [], "a cancelled reminder is not sent"
    double.set_time(paris(2024, 10, 20, 9, 0))
    await settle(double, server)
    (reminder,) = double.dms(anne)
    assert "Point DSI" in reminder["content"]


async def test_remind_has_a_per_person_cooldown(double: DiscordDouble, server: Server, bot: BotProcess) -> None:
    await configure(double, server)
    anne, yann, here = server.members["coord.anne"], server.members["coord.yann"], server.channels["incidents"]
    for i in range(5):
        ix = await double.run_command(anne, here, "remind", {"when": "dans 1 h", "what": f"n°{i}", "where": "dm"})
        assert "Rappel noté" in await private_reply(ix)
    sixth = await double.run_command(anne, here, "remind", {"when": "dans 1 h", "what": "n°6", "where": "dm"})
    assert "réessayez dans" in await private_reply(sixth)
    other = await double.run_command(yann, here, "remind", {"when": "dans 1 h", "what": "à moi", "where": "dm"})
    assert "Rappel noté" in await private_reply(other), "another person is not slowed down"


@pytest.mark.faults
@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
async def test_reminder_due_while_the_bot_is_down_is_sent_late_once(
    double: DiscordDouble, server: Server, tmp_path: Path, how: str
) -> None:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    try:
        await configure(double, server)
        anne, here = server.members["coord.anne"], server.channels["incidents"]
        double.set_time(paris(2024, 10, 19, 13, 0))
        ix = await double.run_command(anne, here, "remind", {"when": "dans 30 min", "what": "Point Cerp"})
        await private_reply(ix)
        if how == "sigterm":
            await process.stop()
        else:
            process.kill()
            await process.wait_exit()
        double.set_time(paris(2024, 10, 19, 15, 0))  # due at 13:30, while the bot was down
        before = len(bot_messages(double, here))
        await process.start()
        fired = await settled_new(double, here, before)
        late = "Rappel (en retard, prévu le samedi 19 octobre à 13:30)"  # due at 13:30, worded in Paris time
        assert fired["content"] == f"<@{anne}> {late} : Point Cerp", fired["content"]
        await settle(double, server)
        # Restarted once more: the reminder is not sent again.
        await process.stop()
        await process.start()
        await settle(double, server)
        assert [m for m in bot_messages(double, here) if "Point Cerp" in (m.get("content") or "")] == [fired]
    finally:
        await process.stop()
