"""Configuring the scenarios' server through `/setup`, as admin.sophie would (../shared/scenarios/README.md).

Scenario tests import `configure_grand_ouest(double, server)`: it runs each command, waits for its private reply
and asserts it, so a scenario starts from a server configured the way its people would have configured it.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox import DiscordDouble
from tests.e2e.harness import Server

ADMIN = "admin.sophie"

# (channel, territory, sector, role) as the scenarios' README lists them; territories as autocomplete refs.
GRAND_OUEST_ROUTES: tuple[tuple[str, str | None, str | None, str | None], ...] = (
    ("bretagne", "R53", None, None),
    ("pays-de-la-loire", "R52", None, None),
    ("nouvelle-aquitaine", "R75", None, None),
    ("occitanie", "R76", None, None),
    ("pharmacies", None, "pharmacie", "pharmacies-ouest"),
    ("librairies", None, "librairie", "librairies"),
    ("collectivites", "16", "collectivité", "collectivites-16"),
)


async def run_setup(
    double: DiscordDouble,
    server: Server,
    command: str,
    options: dict[str, Any] | None = None,
    *,
    member: str = ADMIN,
    channel: str = "journal-bot",
    locale: str | None = None,
) -> str:
    """Runs `/setup <command>` and returns the text of its private reply (content, else its embeds)."""
    ix = await double.run_command(
        server.members[member], server.channels[channel], f"setup {command}", options or {}, locale=locale
    )
    reply = await ix.reply()
    assert ix.ephemeral, f"/setup {command} answered publicly"
    if reply.get("content"):
        return str(reply["content"])
    return "\n".join(f"{e.get('title', '')}\n{e.get('description', '')}" for e in reply.get("embeds", []))


async def configure_grand_ouest(double: DiscordDouble, server: Server) -> None:
    """Incident channel, coordinators' role, bot log and the seven routes of "Coordination Grand Ouest"."""
    channels, roles = server.channels, server.roles
    said = await run_setup(double, server, "incident-channel", {"channel": channels["incidents"]})
    assert said == f"Les incidents vivront dans <#{channels['incidents']}> : un fil par incident.", said
    said = await run_setup(double, server, "coordinator-role", {"role": roles["coordination"]})
    assert said == f"Les coordinateurs sont désormais les membres qui ont <@&{roles['coordination']}>.", said
    said = await run_setup(double, server, "log-channel", {"channel": channels["journal-bot"]})
    assert said == f"Le bot signalera les problèmes dans <#{channels['journal-bot']}>.", said
    for channel, territory, sector, role in GRAND_OUEST_ROUTES:
        options: dict[str, Any] = {"channel": channels[channel]}
        if territory is not None:
            options["territory"] = territory
        if sector is not None:
            options["sector"] = sector
        if role is not None:
            options["role"] = roles[role]
        said = await run_setup(double, server, "route add", options)
        assert said.startswith(f"Route ajoutée : <#{channels[channel]}> ← "), said
        if role is not None:
            assert said.split("\n")[0].endswith(f" → <@&{roles[role]}>"), said
        assert "⚠️" not in said, said
