"""What the reports' end-to-end tests share: the scenario's additions to the server (../shared/scenarios/
cerp-reports-2024-10.md: `bot.sandbox.driver.add_reporters`, shared with the demo), the reports channel chosen
through `/setup reports`, and readings of the cards."""

from __future__ import annotations

from typing import Any

from bot.sandbox import DiscordDouble
from bot.sandbox.driver import add_reporters
from tests.e2e.harness import Server
from tests.e2e.scenario_support import bot_messages, configure, field
from tests.e2e.setup_steps import run_setup

CERP = "Cerp Bretagne Atlantique"
__all__ = ["CERP", "add_reporters", "alerts", "cards", "configure_reports", "counted"]


async def configure_reports(double: DiscordDouble, server: Server) -> None:
    """The scenarios' /setup, then `/configurer signalements salon:#signalements`."""
    await configure(double, server)
    said = await run_setup(double, server, "reports", {"channel": server.channels["signalements"]})
    assert said.startswith(f"Les fiches de signalements iront dans <#{server.channels['signalements']}>."), said
    assert "3 membres" in said and "60 minutes" in said, said


def cards(double: DiscordDouble, server: Server) -> list[dict[str, Any]]:
    """The report cards in #signalements, oldest first (the alerts are plain messages without an embed)."""
    return [m for m in bot_messages(double, server.channels["signalements"]) if m.get("embeds")]


def alerts(double: DiscordDouble, server: Server, channel: str = "signalements") -> list[dict[str, Any]]:
    return [m for m in bot_messages(double, server.channels[channel]) if "🚨" in (m.get("content") or "")]


def counted(card: dict[str, Any]) -> tuple[str, str]:
    """(members, reports) as the card shows them."""
    return field(card, "Membres"), field(card, "Signalements")
