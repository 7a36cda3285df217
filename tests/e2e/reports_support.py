"""What the reports' end-to-end tests share: the scenario's additions to the server (../shared/scenarios/
cerp-reports-2024-10.md: a `#signalements` channel for coordinators and admins, `pharma.stbrieuc` and
`pharma.quimper` with `@pharmacies-ouest`), the reports channel chosen through `/setup reports`, and readings of
the cards."""

from __future__ import annotations

from typing import Any

from bot.sandbox import DiscordDouble, Overwrite, Perm
from tests.e2e.harness import Server
from tests.e2e.scenario_support import bot_messages, configure, field
from tests.e2e.setup_steps import run_setup

CERP = "Cerp Bretagne Atlantique"


def add_reporters(double: DiscordDouble, server: Server) -> None:
    """The scenario's additions, made before the bot starts (as the server stood that Saturday)."""
    guild = double.guild(server.guild_id)
    for name in ("pharma.stbrieuc", "pharma.quimper"):
        server.members[name] = guild.add_member(name, roles=[server.roles["pharmacies-ouest"]], locale="fr")
    only_staff = [
        Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.VIEW_CHANNEL)),
        Overwrite(id=server.roles["coordination"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=server.roles["admin"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
    ]
    server.channels["signalements"] = guild.add_text_channel("signalements", overwrites=only_staff)


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
