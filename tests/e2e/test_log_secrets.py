"""At every log level, no token of any kind and no text a member typed reaches the bot's log.

The bot runs a short scenario at DEBUG — the most talkative level, where discord.py logs the webhook URLs that
carry interaction tokens and aiosqlite logs SQL parameters — and the whole log is searched for the bot token,
every interaction token the double issued, and each piece of text the members typed.
"""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server, settle
from tests.e2e.setup_steps import configure_grand_ouest

TYPED = {
    "title": "Panne Zorglub chez Cerp",
    "organisation": "Cerp Bretagne Atlantique",
    "workaround": "Commander par fax au numéro Xylophone",
    "impact": "Quarante officines Quetzalcoatl",
}
NOTE = "Reprise partielle annoncée par Wombat"


async def test_no_token_and_no_typed_text_reach_the_log_at_debug(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    process = BotProcess(double, tmp_path, guild_id=server.guild_id, log_level="DEBUG")
    await process.start()
    try:
        await configure_grand_ouest(double, server)
        anne, incidents = server.members["coord.anne"], server.channels["incidents"]
        declared = await double.run_command(
            anne,
            incidents,
            "outage declare",
            {
                **TYPED,
                "sector": "pharmacie",
                "territories": "53",
                "severity": "major",
                "cause": "technical_failure",
                "started": "aujourd'hui midi",
                "services": "commandes",
            },
        )
        await declared.reply()
        await settle(double)
        assert len(double.channel_messages(server.channels["bretagne"])) == 1
        updated = await double.run_command(anne, incidents, "outage update", {"incident": 1, "note": NOTE})
        await updated.reply()
        await settle(double)
    finally:
        await process.stop()
    log = process.log_text()
    assert "DEBUG" in log, "the bot should have logged at DEBUG"
    tokens = [double.token, *double.world.interactions_by_token]
    assert len(tokens) > 5
    leaked_tokens = [token[:12] + "…" for token in tokens if token in log]
    assert leaked_tokens == []
    leaked_text = [text for text in [*TYPED.values(), NOTE] if text in log]
    assert leaked_text == []
