"""`/export` and `/outage summary` seen from Discord: the bot as its own process, people acting through the
double. The files come back privately on the interaction and are read back as a person would (csv module)."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from bot.common.i18n import default_catalogue
from bot.sandbox import DiscordDouble, InteractionHandle
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import configure, paris, private_reply, settle

ADMIN_ONLY = default_catalogue().render("fr", "access.error.admin_only")


def files_of(double: DiscordDouble, ix: InteractionHandle) -> dict[str, bytes]:
    """Every file the bot attached to its private follow-ups of this interaction."""
    found: dict[str, bytes] = {}
    for message in ix.followups:
        assert message.get("flags", 0) & 64, "a follow-up with files was public"
        for attachment in message.get("attachments", []):
            found[attachment["filename"]] = double.attachment_data[int(attachment["id"])]
    return found


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


async def declare_and_resolve(double: DiscordDouble, server: Server, title: str) -> None:
    m, c = server.members, server.channels
    double.set_time(paris(2024, 10, 19, 12, 40))
    ix = await double.run_command(
        m["coord.anne"],
        c["incidents"],
        "outage declare",
        {
            "title": title,
            "organisation": "Cerp Bretagne Atlantique",
            "sector": "pharmacie",
            "territories": "53",
            "severity": "critical",
            "cause": "cyberattack_suspected",
            "started": "aujourd'hui midi",
            "services": "commandes, livraisons",
        },
    )
    await private_reply(ix)
    double.set_time(paris(2024, 10, 21, 8, 30))
    ix = await double.run_command(
        m["coord.anne"], c["incidents"], "outage update", {"incident": 1, "services": "commandes: rétabli"}
    )
    await private_reply(ix)
    double.set_time(paris(2024, 10, 22, 11, 0))
    ix = await double.run_command(m["coord.anne"], c["incidents"], "outage resolve", {"incident": 1})
    await private_reply(ix)
    await settle(double, server)


async def run(double: DiscordDouble, server: Server, member: str, command: str, options: dict[str, Any]) -> Any:
    ix = await double.run_command(server.members[member], server.channels["journal-bot"], command, options)
    said = await private_reply(ix)
    return ix, said


async def test_an_admin_exports_a_period_as_csv_and_gets_the_zip_privately(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    await declare_and_resolve(double, server, "=1+1")
    double.set_time(paris(2024, 10, 23, 9, 0))
    before = {channel: len(double.channel_messages(channel)) for channel in server.channels.values()}

    ix, _ = await run(double, server, "admin.sophie", "export", {"period": "octobre 2024", "format": "csv"})
    await settle(double, server)
    (name,) = files_of(double, ix)
    assert name == "tocsin-2024-10-01-2024-11-01.zip"
    with zipfile.ZipFile(io.BytesIO(files_of(double, ix)[name])) as archive:
        (row,) = read_csv(archive.read("incidents.csv"))
        services = read_csv(archive.read("services.csv"))
    assert (row["number"], row["title"], row["duration_min"]) == ("1", "'=1+1", str(71 * 60))  # 2 j 23 h
    assert [(s["service"], s["downtime_min"]) for s in services] == [("commandes", "2670"), ("livraisons", "4260")]
    final = ix.followups[0]["content"]
    assert final.startswith("Pannes exportées : 1, du mardi 1er octobre au jeudi 31 octobre."), final
    # Nothing was posted in any channel: the export is the admin's alone.
    assert {channel: len(double.channel_messages(channel)) for channel in server.channels.values()} == before


async def test_export_and_summary_are_refused_to_members(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    await declare_and_resolve(double, server, "Cerp Bretagne Atlantique à l'arrêt")
    ix, said = await run(double, server, "pharma.brest", "export", {"period": "octobre 2024"})
    assert said == ADMIN_ONLY and files_of(double, ix) == {}
    ix, said = await run(double, server, "pharma.brest", "outage summary", {"incident": "1"})
    assert said == "Seuls les coordinateurs et les admins du serveur peuvent obtenir le compte rendu d'une panne."
    assert files_of(double, ix) == {}
    ix, said = await run(double, server, "admin.sophie", "export", {"period": "le mois des quatre jeudis"})
    assert said.startswith("Pour la période : "), said


async def test_an_admin_exports_the_audit_log_and_a_member_cannot(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    await declare_and_resolve(double, server, "=1+1")
    m, c = server.members, server.channels
    ix = await double.run_command(m["coord.anne"], c["incidents"], "remind", {"when": "dans 1 h", "what": "Cerp"})
    await private_reply(ix)
    ix, said = await run(double, server, "pharma.brest", "export", {"period": "octobre 2024", "format": "audit"})
    assert said == ADMIN_ONLY and files_of(double, ix) == {}
    ix, said = await run(
        double, server, "admin.sophie", "export", {"period": "octobre 2024", "format": "audit", "territory": "29"}
    )
    assert said.startswith("Le journal d'audit s'exporte en entier pour sa période"), said

    ix, _ = await run(double, server, "admin.sophie", "export", {"period": "octobre 2024", "format": "audit"})
    await settle(double, server)
    ((name, data),) = files_of(double, ix).items()
    assert name == "tocsin-audit-2024-10-01-2024-11-01.csv"
    rows = read_csv(data)
    anne = str(m["coord.anne"])
    assert [r["action"] for r in rows if r["member_id"] == anne] == [
        "outage declare",
        "outage update",
        "outage resolve",
        "reminder create",
    ]
    sophie = str(m["admin.sophie"])
    assert {r["member"] for r in rows if r["member_id"] == sophie} == {"admin.sophie"}, "who exports is named"
    assert all(r["member_id"].isdigit() and len(r["member_id"]) == 19 for r in rows), "ids whole, as Discord's"
    brest = [r for r in rows if r["member_id"] == str(m["pharma.brest"])]
    assert [r["result"] for r in brest] == ["refused: access.error.admin_only"]
    assert ix.followups[0]["content"].startswith("Journal d'audit exporté : "), ix.followups[0]["content"]


async def test_a_coordinator_gets_the_dated_account_of_one_incident(
    double: DiscordDouble, server: Server, bot: BotProcess
) -> None:
    await configure(double, server)
    await declare_and_resolve(double, server, "Cerp Bretagne Atlantique à l'arrêt")
    double.set_time(paris(2024, 10, 23, 9, 0))
    ix, said = await run(double, server, "coord.anne", "outage summary", {"incident": "1"})
    assert said.startswith("Compte rendu daté de la panne #1"), said
    files = files_of(double, ix)
    assert sorted(files) == ["tocsin-1-2024-10-23.html", "tocsin-1-2024-10-23.md"]
    markdown = files["tocsin-1-2024-10-23.md"].decode()
    assert "2 j 23 h" in markdown and "1 j 20 h 30 min" in markdown, markdown
    assert "coord.anne" in markdown, "the account names who declared and updated"
    assert files["tocsin-1-2024-10-23.html"].startswith(b"<!DOCTYPE html>")
