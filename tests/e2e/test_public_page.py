"""The public page of the bot as its own process: an admin sets it with /setup public-page, a coordinator declares,
and the page served on TOCSIN_WEB_ADDRESS shows the incident to anyone, without the members who acted; a member
who is not an admin cannot set it, and an incident declared while new incidents are private never shows."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp

from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, settle
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_outage_lifecycle import CERP, declare_cerp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_an_admin_opens_the_page_and_a_public_incident_shows_without_its_members(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    port = free_port()
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env |= {"TOCSIN_WEB_ADDRESS": f"127.0.0.1:{port}"}
    await process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        await configure(double, server)
        assert (await get(f"{base}/grand-ouest"))[0] == 404, "no page before an admin opens it"

        refused = await run_setup(double, server, "public-page", {"name": "grand-ouest"}, member="coord.anne")
        assert "admin" in refused.lower() or "gérer le serveur" in refused.lower(), refused
        reply = await run_setup(
            double, server, "public-page", {"name": "grand-ouest", "online": True, "new-incidents-public": True}
        )
        assert "/grand-ouest" in reply and "publics" in reply, reply

        await declare_cerp(double, server)
        await run_setup(double, server, "public-page", {"new-incidents-public": False})
        await declare_cerp(double, server, title="Standard de la coordination en panne")
        await settle(double)

        status, page = await get(f"{base}/grand-ouest")
        assert status == 200 and '<html lang="fr">' in page
        assert CERP["title"].replace("'", "&#x27;") in page and "Standard de la coordination" not in page
        status, page = await get(f"{base}/grand-ouest/incidents/1")
        assert status == 200 and "Chronologie" in page
        for name in ("coord.anne", "admin.sophie"):
            assert name not in page and str(server.members[name]) not in page
        assert (await get(f"{base}/grand-ouest/incidents/2"))[0] == 404
    finally:
        await process.stop()
