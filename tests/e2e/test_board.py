"""Live boards through the double, across a day of the Cerp outage: set up from /setup, right within 2 s of each
change (declare, updates, a burst of updates, a committed update that comes late, resolve), at most one edit per
board per second, posted anew when someone deletes it, when Discord refuses more edits of it (30046) and after a
restart, pinned only where the bot may pin (one "pinned a message" line per pin), pinging nobody."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.sandbox import DiscordDouble, Overwrite, Perm
from bot.sandbox.state.objects import DEFAULT_BOT_PERMISSIONS, MSG_CHANNEL_PINNED
from tests.e2e.harness import BotProcess, Server
from tests.e2e.scenario_support import bot_messages, configure, private_reply, settle, status_message, text_of
from tests.e2e.setup_steps import run_setup
from tests.e2e.test_outage_lifecycle import CERP

EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"
RIGHT_WITHIN_S = 2.0


def boards_in(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return [
        m
        for m in bot_messages(double, channel)
        if m["type"] == 0 and m.get("embeds") and str(m["embeds"][0].get("title", "")).startswith("📋")
    ]


def board_text(double: DiscordDouble, channel: int) -> str:
    """What the channel's one board shows ("" while there is not exactly one)."""
    found = boards_in(double, channel)
    return text_of(found[0]) if len(found) == 1 else ""


def pin_lines(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return [m for m in double.channel_messages(channel) if m["type"] == MSG_CHANNEL_PINNED]


async def pinned(double: DiscordDouble, channel: int, message: dict[str, Any]) -> None:
    """Waits until `message` is the channel's one pin (a board is pinned right after it is posted)."""
    await double.wait_for(lambda: [p["id"] for p in double.pins(channel)] == [message["id"]], what="the board pinned")


# Every message that showed a board (by channel), to read their edits in the request log at the end.
SEEN: dict[int, set[str]] = {}


async def shows(double: DiscordDouble, channel: int, wanted: Callable[[str], bool], what: str) -> float:
    """Waits until the channel's board shows what is `wanted`; returns how long that took (real seconds)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    await double.wait_for(lambda: wanted(board_text(double, channel)), timeout=15.0, what=what)
    SEEN.setdefault(channel, set()).update(m["id"] for m in boards_in(double, channel))
    return loop.time() - start


async def act(double: DiscordDouble, server: Server, command: str, options: dict[str, Any]) -> str:
    ix = await double.run_command(server.members["coord.anne"], server.channels["incidents"], command, options)
    return await private_reply(ix)


async def test_a_board_through_a_day_of_the_cerp_outage(double: DiscordDouble, server: Server, tmp_path: Path) -> None:
    SEEN.clear()
    guild = double.guild(server.guild_id)
    guild.set_role_permissions(guild.bot_role_id, DEFAULT_BOT_PERMISSIONS | int(Perm.PIN_MESSAGES))
    etat = server.channels["etat-des-pannes"] = guild.add_text_channel("etat-des-pannes")
    bretagne = server.channels["bretagne"]
    # In #bretagne the bot may post but not pin.
    no_pins = Overwrite(id=guild.bot_role_id, type=0, allow=0, deny=int(Perm.PIN_MESSAGES))
    guild.set_overwrites(bretagne, [no_pins])
    process = BotProcess(double, tmp_path, guild_id=server.guild_id)
    await process.start()
    try:
        await configure(double, server)

        # Two boards: the whole server in #etat-des-pannes, Brittany in #bretagne (where the bot cannot pin).
        said = await run_setup(double, server, "board", {"channel": etat})
        assert (
            said
            == f"Tableau installé : <#{etat}> — tous les incidents. Il liste ce qui y est en panne et se tient à jour."
        )
        said = await run_setup(double, server, "board", {"channel": bretagne, "territory": "R53"})
        assert "Bretagne" in said and "ne peut pas épingler le tableau" in said, said
        refused = await run_setup(double, server, "board", {"channel": etat})
        assert "a déjà un tableau" in refused, refused
        await shows(double, etat, lambda t: "✅ Rien n'est en panne." in t, "the empty board")
        await shows(double, bretagne, lambda t: "Rien n'est en panne" in t and "Bretagne" in t, "Brittany's board")
        (first,) = boards_in(double, etat)
        await pinned(double, etat, first)
        assert len(pin_lines(double, etat)) == 1
        assert double.pins(bretagne) == [] and pin_lines(double, bretagne) == []
        notes = len(double.notifications())

        # Declared: on both boards (Brittany is among its territories), worst first, linked to its thread.
        await act(double, server, "outage declare", CERP)
        took = await shows(double, etat, lambda t: "#1 · Cerp Bretagne Atlantique à l'arrêt" in t, "#1 on the board")
        assert took <= RIGHT_WITHIN_S, took
        thread = next(t for t in double.threads(server.guild_id) if t["name"].startswith("#1 ·"))
        text = board_text(double, etat)
        assert f"](https://discord.com/channels/{server.guild_id}/{thread['id']})" in text
        assert (
            "🟥 Critique · 1" in text and "🔴 commandes · 🔴 livraisons" in text and "📌 Consignes : Reporter" in text
        )
        await shows(double, bretagne, lambda t: "#1 · Cerp" in t, "#1 on Brittany's board")

        # An update with a committed next update: shown; when it passes without news, the late flag appears on the
        # board and in the status message, by itself.
        await act(double, server, "outage update", {"incident": 1, "note": "Point DSI", "next_update": "dans 30 min"})
        took = await shows(double, etat, lambda t: "prochaine mise à jour : <t:" in t, "the next update on the board")
        assert took <= RIGHT_WITHIN_S, took
        await double.advance(timedelta(minutes=31))
        took = await shows(double, etat, lambda t: "⏰ **mise à jour en retard**, attendue : <t:" in t, "the late flag")
        assert took <= RIGHT_WITHIN_S, took
        await double.wait_for(
            lambda: "— ⏰ **en retard**" in text_of(status_message(double, int(thread["id"]))),
            what="the late flag in the status message",
        )

        # Someone deletes the board: it is posted anew, and pinned again (one more "pinned a message" line).
        double.delete_message(etat, int(boards_in(double, etat)[0]["id"]), by=guild.owner_id)
        await shows(double, etat, lambda t: "#1 · Cerp" in t, "the board posted anew")
        (second,) = boards_in(double, etat)
        await pinned(double, etat, second)
        assert second["id"] != first["id"] and len(pin_lines(double, etat)) == 2

        # Two hours on, Discord refuses more edits of the old board (30046): it is posted anew, the old one deleted.
        await double.advance(timedelta(hours=2))
        double.limit_old_message_edits(0, window_s=3600.0, retry_after_s=0.05)
        changes = {"incident": 1, "services": "commandes: rétabli", "workaround": "Commander par fax"}
        await act(double, server, "outage update", changes)
        await shows(double, etat, lambda t: "🟢 commandes" in t, "the board after 30046")
        # The standing announcement in #bretagne may not be edited either: the news is posted there all the same
        # (it does not wait for the edit), and the announcement shows the latest once Discord takes edits again.
        await double.wait_for(
            lambda: any(m["content"].startswith("📌 Nouvelles consignes (v2)") for m in bot_messages(double, bretagne)),
            what="the news posted beside the refused edit",
        )
        (standing,) = [m for m in bot_messages(double, bretagne) if m["content"].startswith("🚨 Panne en cours")]
        assert "Commander par fax" not in text_of(double.message(bretagne, int(standing["id"])))
        await double.wait_for(lambda: len(boards_in(double, etat)) == 1, what="the refused board deleted")
        (third,) = boards_in(double, etat)
        await pinned(double, etat, third)
        assert third["id"] != second["id"] and len(pin_lines(double, etat)) == 3
        refusals = [r for r in double.requests if r.status == 429 and r.path.startswith(f"/channels/{etat}/")]
        assert refusals, "the edit was refused with 30046 first"
        double.limit_old_message_edits(None)
        await double.wait_for(
            lambda: "Commander par fax" in text_of(double.message(bretagne, int(standing["id"]))),
            timeout=15.0,
            what="the standing announcement edited once Discord takes edits again",
        )

        # A burst of updates: edits collapse, the board is right within 2 s of the last one.
        for n in range(1, 6):
            await act(double, server, "outage update", {"incident": 1, "workaround": f"Consignes n°{n} : Dilicom"})
        took = await shows(double, etat, lambda t: "Consignes n°5" in t, "the last workaround on the board")
        assert took <= RIGHT_WITHIN_S, took

        # The bot stops; meanwhile the board is deleted and time passes. Started again, the board is right.
        await settle(double, server)
        await process.stop()
        double.delete_message(etat, int(boards_in(double, etat)[0]["id"]), by=guild.owner_id)
        await double.advance(timedelta(hours=1))
        await process.start()
        await shows(double, etat, lambda t: "#1 · Cerp" in t and "Consignes n°5" in t, "the board after a restart")

        # Resolved: nothing is down, on both boards.
        await act(double, server, "outage resolve", {"incident": 1})
        took = await shows(double, etat, lambda t: "Rien n'est en panne" in t, "the board after the resolution")
        assert took <= RIGHT_WITHIN_S, took
        await shows(double, bretagne, lambda t: "Rien n'est en panne" in t, "Brittany's board after the resolution")
        await settle(double, server)

        # Boards never pinged anyone, and each board's message was edited at most once a second (the tries
        # Discord refused with 30046 above, which discord.py repeats after retry_after, changed nothing).
        assert all(n.channel_id not in (etat, bretagne) for n in double.notifications()[notes:])
        for channel in (etat, bretagne):
            edits = sorted(
                r.monotonic
                for r in double.requests
                if r.method == "PATCH"
                and r.route == EDIT_ROUTE
                and r.status == 200
                and r.path.split("/")[-1] in SEEN[channel]
            )
            assert edits and all(b - a >= 0.999 for a, b in itertools.pairwise(edits)), edits

        # /setup lists and judges the boards, and removes one with its message.
        shown = await run_setup(double, server, "show")
        assert f"<#{etat}> — tous les incidents" in shown and f"<#{bretagne}> — Bretagne" in shown, shown
        checked = await run_setup(double, server, "check")
        assert f"⚠️ <#{bretagne}> — Bretagne" in checked and "Épingler des messages" in checked, checked
        assert f"✅ <#{etat}> — tous les incidents" in checked, checked
        listed = await double.autocomplete(
            server.members["admin.sophie"],
            server.channels["journal-bot"],
            "setup board-remove",
            focused="board",
            value="",
        )
        chosen = next(c["value"] for c in listed if "etat-des-pannes" in c["name"])
        said = await run_setup(double, server, "board-remove", {"board": chosen})
        assert said.startswith(f"Tableau retiré : <#{etat}>"), said
        await double.wait_for(lambda: boards_in(double, etat) == [], what="the removed board's message deleted")
        assert double.pins(etat) == []
    finally:
        await process.stop()
