"""A stop (SIGTERM, as a service manager sends it) while a member is being answered: the answer is finished first,
then the bot stops, without tracebacks."""

from __future__ import annotations

from bot.sandbox import DiscordDouble
from bot.sandbox.faults import Fault
from tests.e2e.harness import BotProcess, Server


async def test_a_reply_being_sent_when_the_bot_is_stopped_still_reaches_the_member(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    # The reply's request is slow to be answered: it is on its way when the stop comes.
    slow = double.faults.inject(Fault("POST", r"/interactions/\d+/[^/]+/callback", delay_s=1.5, before_action=False))
    asked = await double.run_command(server.members["admin.sophie"], server.channels["journal-bot"], "tocsin about")
    await double.wait_for(lambda: slow.hits == 1, what="the reply on its way")
    assert await bot.stop() == 0
    reply = await asked.reply(timeout=5)
    assert reply["embeds"], reply
    assert "Traceback" not in bot.log_text()
