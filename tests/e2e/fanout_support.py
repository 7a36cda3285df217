"""A server with many routed channels, configured through /setup as an admin would, and readings of a fan-out
taken only from the double (its channels and its request log). Shared by tests/e2e/test_faults.py and bench/.

Every route has neither territory nor sector, so it matches every incident: declaring one incident announces it
in every route channel (plus the status message and its thread in #incidents).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import BotProcess, Server, settle
from bot.sandbox.permissions import DEFAULT_EVERYONE, Overwrite, Perm

ADMIN = "admin.sophie"
MESSAGE_ROUTE = "/channels/{channel_id}/messages"


def route_name(index: int) -> str:
    return f"annonces-{index:02d}"


def build_fanout_server(double: DiscordDouble, routes: int) -> Server:
    """Coordinators, an admin, #incidents, a staff-only #journal-bot and `routes` announcement channels."""
    guild = double.add_guild("Coordination Fan-out", preferred_locale="fr")
    server = Server(guild_id=guild.id)
    guild.set_role_permissions(guild.everyone_role_id, int(DEFAULT_EVERYONE & ~Perm.MENTION_EVERYONE))
    server.roles["coordination"] = guild.add_role("coordination")
    server.roles["admin"] = guild.add_role("admin", permissions=int(Perm.MANAGE_GUILD))
    server.roles["abonnes"] = guild.add_role("abonnes", mentionable=True)
    for name, role in (("coord.anne", "coordination"), ("coord.yann", "coordination"), (ADMIN, "admin")):
        server.members[name] = guild.add_member(name, roles=[server.roles[role]], locale="fr")
    server.members["membre.lea"] = guild.add_member("membre.lea", roles=[server.roles["abonnes"]], locale="fr")
    server.channels["incidents"] = guild.add_text_channel("incidents")
    for index in range(1, routes + 1):
        server.channels[route_name(index)] = guild.add_text_channel(route_name(index))
    only_staff = [
        Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.VIEW_CHANNEL)),
        Overwrite(id=server.roles["coordination"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=server.roles["admin"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
    ]
    server.channels["journal-bot"] = guild.add_text_channel("journal-bot", overwrites=only_staff)
    return server


def route_channels(server: Server) -> list[int]:
    return [cid for name, cid in server.channels.items() if name.startswith("annonces-")]


async def setup_command(double: DiscordDouble, server: Server, command: str, options: dict[str, Any]) -> str:
    ix = await double.run_command(server.members[ADMIN], server.channels["journal-bot"], f"setup {command}", options)
    reply = await ix.reply(timeout=15.0)
    assert ix.ephemeral, f"/setup {command} answered publicly"
    return text_of(reply)


async def configure_fanout(double: DiscordDouble, server: Server, *, role: str | None = None) -> None:
    """admin.sophie sets the incident channel, the coordinators' role, the bot log and one route per channel."""
    said = await setup_command(double, server, "incident-channel", {"channel": server.channels["incidents"]})
    assert f"<#{server.channels['incidents']}>" in said, said
    said = await setup_command(double, server, "coordinator-role", {"role": server.roles["coordination"]})
    assert f"<@&{server.roles['coordination']}>" in said, said
    said = await setup_command(double, server, "log-channel", {"channel": server.channels["journal-bot"]})
    assert f"<#{server.channels['journal-bot']}>" in said, said
    for channel in route_channels(server):
        options: dict[str, Any] = {"channel": channel}
        if role is not None:
            options["role"] = server.roles[role]
        said = await setup_command(double, server, "route add", options)
        assert said.startswith(f"Route ajoutée : <#{channel}> ← "), said


def declare_options(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "organisation": "Répartiteur Ouest",
        "sector": "pharmacie",
        "territories": "53",
        "severity": "major",
        "cause": "technical_failure",
        "services": "commandes",
        "workaround": "Commander par téléphone.",
    }


async def declare(double: DiscordDouble, server: Server, title: str, *, member: str = "coord.anne") -> dict[str, Any]:
    """A coordinator declares an incident; returns the private reply (the declaration is committed by then)."""
    ix = await double.run_command(
        server.members[member], server.channels["incidents"], "outage declare", declare_options(title)
    )
    reply = await ix.reply(timeout=20.0)
    assert ix.ephemeral, reply
    assert "#" in text_of(reply), reply
    return reply


async def update(
    double: DiscordDouble, server: Server, number: int, options: dict[str, Any], *, member: str = "coord.anne"
) -> InteractionHandle:
    """Dispatches `/outage update` (returns at dispatch: await `.reply()` for the answer)."""
    return await double.run_command(
        server.members[member], server.channels["incidents"], "outage update", {"incident": str(number), **options}
    )


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def link_of(message: dict[str, Any]) -> str:
    """The URL of a message's one link button (an announcement's "see the thread")."""
    (url,) = [c["url"] for row in message.get("components", []) for c in row["components"] if c.get("url")]
    return str(url)


def bot_messages(double: DiscordDouble, channel: int) -> list[dict[str, Any]]:
    return [m for m in double.channel_messages(channel) if m["author"]["id"] == str(double.bot_user_id)]


def holding(double: DiscordDouble, channel: int, marker: str) -> int:
    """How many of the bot's messages in `channel` carry `marker` (an incident's title, a note)."""
    return sum(1 for m in bot_messages(double, channel) if marker in text_of(m))


@dataclass(frozen=True)
class Tally:
    lost: list[int]  # channels where the message is missing
    duplicated: list[int]  # channels where it appears more than once

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated


def tally(double: DiscordDouble, channels: Iterable[int], marker: str) -> Tally:
    lost, duplicated = [], []
    for channel in channels:
        n = holding(double, channel, marker)
        if n == 0:
            lost.append(channel)
        elif n > 1:
            duplicated.append(channel)
    return Tally(lost, duplicated)


def incident_threads(double: DiscordDouble, server: Server, number: int) -> list[dict[str, Any]]:
    return [
        t
        for t in double.threads(server.guild_id)
        if t.get("parent_id") == str(server.channels["incidents"]) and t["name"].startswith(f"#{number} ·")
    ]


async def incident_thread(double: DiscordDouble, server: Server, number: int) -> int:
    """The id of incident #number's thread as the double holds it now (`settle` first to see what the bot has
    done); fails if there is none or several."""
    found = incident_threads(double, server, number)
    assert len(found) == 1, [t["name"] for t in double.threads(server.guild_id)]
    return int(found[0]["id"])


async def wait_announced(double: DiscordDouble, channels: Sequence[int], marker: str, *, timeout: float = 20.0) -> None:
    """Once the bot has caught up (`settle`): every channel must hold a bot message carrying `marker`."""
    await settle(double, timeout=timeout)
    missing = [c for c in channels if holding(double, c, marker) == 0]
    assert not missing, f"{marker!r} is missing in {len(missing)} of {len(channels)} channels: {missing}"


def message_posts(double: DiscordDouble, since: int = 0) -> list[Any]:
    """The bot's message creations in the request log (any status), from index `since`."""
    return [r for r in double.requests[since:] if r.bot and r.method == "POST" and r.route == MESSAGE_ROUTE]


def floor_seconds(
    requests: Sequence[tuple[str | None, bool]], *, global_per_s: int, per_channel: int, window_s: float
) -> float:
    """The shortest time the double's limits allow for exactly these requests, from the first to the last sent.

    `requests` holds (major id, is a message creation) of each successful request, in the order the bot sent
    them. The schedule sends each request as early as the double's fixed windows allow — at most
    `global_per_s` per 1 s window opened by a request, at most `per_channel` message creations per `window_s`
    window per channel — and never before the request sent before it (the bot's order stands for the
    dependencies: a thread after its status message, an announcement after the thread it links to, an edit
    after its message). Network time counts as zero, so this is a lower bound; the floor is its last instant."""
    now = 0.0
    global_start: float | None = None
    global_used = 0
    channels: dict[str, tuple[float, int]] = {}
    for major, is_message in requests:
        while True:
            moved = False
            if global_start is None or now >= global_start + 1.0:
                global_start, global_used = now, 0
            elif global_used >= global_per_s:
                now, moved = global_start + 1.0, True
                global_start, global_used = now, 0
            if is_message and major is not None:
                start, used = channels.get(major, (now, 0))
                if now >= start + window_s:
                    start, used = now, 0
                if used >= per_channel:
                    now, moved = start + window_s, True
                    start, used = now, 0
                channels[major] = (start, used)
            if not moved:
                break
        global_used += 1
        if is_message and major is not None:
            start, used = channels[major]
            channels[major] = (start, used + 1)
    return now


def announced(title: str, number: int) -> str:
    return f"Panne en cours : #{number} · {title}"


async def restart_until_it_sends(double: DiscordDouble, process: BotProcess) -> None:
    """Starts the bot again and returns once it talks to a channel again (or is ready, if nothing is left)."""
    since, sessions = len(double.requests), double.identified_sessions
    await process.start(wait_ready=False)

    def sending_or_ready() -> bool:
        if any(r.route.startswith("/channels/") for r in double.requests[since:]):
            return True
        return any(s.ready_done for s in list(double.hub.sessions.values())[sessions:])

    await double.wait_for(sending_or_ready, timeout=20, what="the restarted bot to send again or be ready")


def round_complete(double: DiscordDouble, server: Server, channels: list[int], number: int) -> bool:
    """Everything incident #number's declaration and update cause is on Discord: each channel's announcement
    (edited to the new workaround) and its news message, and the thread post."""
    title = f"Coupure r{number}"
    threads = incident_threads(double, server, number)
    if len(threads) != 1 or holding(double, int(threads[0]["id"]), f"Point r{number}") == 0:
        return False
    for channel in channels:
        texts = [text_of(m) for m in bot_messages(double, channel)]
        if not any(announced(title, number) in t and f"Consigne r{number}" in t for t in texts):
            return False
        if not any(news(title, number) in t for t in texts):
            return False
    return True


def news(title: str, number: int) -> str:
    return f"Nouvelles consignes (v2) pour #{number} · {title}"
