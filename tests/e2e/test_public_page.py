"""The public page of the bot as its own process: an admin sets it with /setup public-page, a coordinator declares,
and the page served on TOCSIN_WEB_ADDRESS shows the incident to anyone, without the members who acted; a member
who is not an admin cannot set it, and an incident declared while new incidents are private never shows, neither on
the page nor in its feed or API."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import aiohttp
import feedparser
import jsonschema

from bot.public.presentation import api
from bot.sandbox import DiscordDouble
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, settle
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_outage_lifecycle import CERP, declare_cerp, reply_now


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

        # Its feed and its API, from the bot's own process: the public incident only, in the server's language.
        status, feed = await get(f"{base}/grand-ouest/feed.atom")
        parsed = feedparser.parse(feed)
        assert status == 200 and not parsed.bozo and parsed.feed.language == "fr"
        assert parsed.entries and {entry.link for entry in parsed.entries} == {"/grand-ouest/incidents/1?lang=fr"}
        status, summary = await get(f"{base}/grand-ouest/api/v1/summary")
        document = json.loads(summary)
        jsonschema.Draft202012Validator(api.schema(), format_checker=jsonschema.FormatChecker()).validate(document)
        assert [incident["number"] for incident in document["open_incidents"]] == [1]
        for name in ("coord.anne", "admin.sophie"):
            assert str(server.members[name]) not in feed + summary and name not in feed + summary
        assert (await get(f"{base}/grand-ouest/api/v1/incidents/2"))[0] == 404
    finally:
        await process.stop()


async def outage(double: DiscordDouble, server: Server, member: str, name: str, options: dict[str, object]) -> str:
    ix = await double.run_command(server.members[member], server.channels["incidents"], name, options)
    await ix.reply()
    return reply_now(double, ix)


async def test_a_coordinator_takes_an_incident_off_the_page_and_keeps_an_update_internal(
    double: DiscordDouble, server: Server, tmp_path: Path
) -> None:
    port = free_port()
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    process.extra_env |= {"TOCSIN_WEB_ADDRESS": f"127.0.0.1:{port}"}
    await process.start()
    page = f"http://127.0.0.1:{port}/grand-ouest"
    title = CERP["title"].replace("'", "&#x27;")
    try:
        await configure(double, server)
        await run_setup(double, server, "public-page", {"name": "grand-ouest", "online": True})
        await declare_cerp(double, server, public=True)
        await declare_cerp(double, server, title="Standard de la coordination en panne")
        await outage(
            double, server, "coord.anne", "outage update", {"incident": "1", "note": "Relance du fournisseur faite."}
        )
        await outage(
            double,
            server,
            "coord.anne",
            "outage update",
            {"incident": "1", "note": "Le fournisseur ne répond plus.", "internal": True},
        )
        await settle(double)
        status, body = await get(f"{page}/incidents/1")
        assert status == 200 and "Relance du fournisseur faite." in body and "ne répond plus" not in body
        assert title in (await get(page))[1] and "Standard de la coordination" not in (await get(page))[1]

        refused = await outage(double, server, "pharma.brest", "outage edit", {"incident": "1", "public": False})
        assert "coordination" in refused.lower(), refused
        assert title in (await get(page))[1], "a member who is not a coordinator changed nothing"

        reply = await outage(double, server, "coord.anne", "outage edit", {"incident": "1", "public": False})
        assert "n'est plus public" in reply, reply
        assert title not in (await get(page))[1], "gone from the page at the next request"
        assert (await get(f"{page}/incidents/1"))[0] == 404
        reply = await outage(double, server, "coord.yann", "outage edit", {"incident": "2", "public": True})
        assert "est public" in reply and "Standard de la coordination" in (await get(page))[1]
    finally:
        await process.stop()
