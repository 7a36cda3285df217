"""What the scenario tests share: the server configured through /setup, the clock in Paris time, and readings
of what the channels show (texts, embed fields, who was notified), all through the double's API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import paris, pick, settle
from tests.e2e.harness import Server
from tests.e2e.setup_steps import configure_grand_ouest

__all__ = ["configure", "paris", "pick", "settle", "stamp"]

COORDINATOR_ONLY = "Seuls les coordinateurs (le rôle de coordination du serveur) peuvent faire cela."
REGION_CHANNELS = ("bretagne", "pays-de-la-loire", "nouvelle-aquitaine", "occitanie")


async def configure(double: DiscordDouble, server: Server) -> None:
    """admin.sophie configures the scenarios' server through /setup (../shared/scenarios/README.md)."""
    await configure_grand_ouest(double, server)


def stamp(moment: datetime) -> str:
    """The start of a Discord timestamp for that moment, whatever its style: "<t:1729332000:"."""
    return f"<t:{int(moment.timestamp())}:"


def text_of(message: dict[str, Any]) -> str:
    """Everything a reader sees in a message: content, embed titles, descriptions, fields, footers, links."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    for row in message.get("components", []):
        for component in row.get("components", []):
            parts += [component.get("label") or "", component.get("url") or ""]
    return "\n".join(p for p in parts if p)


def field(message: dict[str, Any], name: str) -> str:
    """The value of the embed field called `name` (the first embed that has one)."""
    for embed in message.get("embeds", []):
        for item in embed.get("fields", []):
            if item["name"] == name:
                return str(item["value"])
    names = [f["name"] for e in message.get("embeds", []) for f in e.get("fields", [])]
    raise AssertionError(f"no embed field {name!r} in message {message['id']} (fields: {names})")


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [
        str(c["custom_id"])
        for row in message.get("components", [])
        for c in row.get("components", [])
        if c.get("custom_id")
    ]


def incident_threads(double: DiscordDouble, server: Server) -> list[dict[str, Any]]:
    return [t for t in double.threads(server.guild_id) if t.get("parent_id") == str(server.channels["incidents"])]


def status_message(double: DiscordDouble, thread_id: int) -> dict[str, Any]:
    """The message that opens the thread — the incident's status, kept current by edits: the message the thread
    was started from (it has the thread's id and lives in the parent channel), else the thread's first message
    from the bot with an embed (a thread started without a message)."""
    parent = double.channel(thread_id).get("parent_id")
    if parent is not None:
        for message in double.channel_messages(int(parent)):
            if message["id"] == str(thread_id):
                return message
    for message in double.channel_messages(thread_id):
        if message["author"]["id"] == str(double.bot_user_id) and message.get("embeds"):
            return message
    raise AssertionError(f"no status message opening thread {thread_id}")


def bot_messages(double: DiscordDouble, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in double.channel_messages(channel_id) if m["author"]["id"] == str(double.bot_user_id)]


def counts(double: DiscordDouble, server: Server) -> dict[int, int]:
    """How many messages each channel and incident thread holds (to show that nothing new was posted)."""
    channels = list(server.channels.values()) + [int(t["id"]) for t in double.threads(server.guild_id)]
    return {channel: len(double.channel_messages(channel)) for channel in channels}


def notified(
    double: DiscordDouble, server: Server, since: int = 0, *, channels: Iterable[int] | None = None
) -> list[tuple[str, str, str]]:
    """(member, where, why) for each notification after the first `since`, sorted; `where` is a channel name,
    or the channel id for a thread."""
    wanted = None if channels is None else set(channels)
    out = []
    for n in double.notifications()[since:]:
        if wanted is not None and n.channel_id not in wanted:
            continue
        where = server.channel_name(n.channel_id)
        out.append((server.name_of(n.user_id), where, n.reason))
    return sorted(out)


def private_reply_now(d: DiscordDouble, ix: InteractionHandle) -> str:
    """The private reply as the person sees it at this moment: the bot may have edited it since (a declaration's
    reply gets the thread's link once the thread exists)."""
    state = d.world.interactions[ix.id]
    assert state.reply_message_id is not None, "no reply yet"
    return text_of(d.world.message_dict(d.world.interaction_message(state, state.reply_message_id)))


async def private_reply_linking(d: DiscordDouble, ix: InteractionHandle, thread_id: int) -> str:
    """The private reply once the bot has caught up; it must link the thread `thread_id` by then."""
    await private_reply(ix)
    await settle(d)
    text = private_reply_now(d, ix)
    assert str(thread_id) in text, f"the private reply does not link the thread {thread_id}: {text}"
    return text


async def private_reply(ix: InteractionHandle) -> str:
    """The whole text of the reply only the person who acted sees; fails if it was public."""
    reply = await ix.reply()
    assert ix.ephemeral, f"the reply should be private, it was posted for all: {reply.get('content')!r}"
    return text_of(reply)


async def play_steps(steps: Sequence[Callable[[], Awaitable[None]]], begin: Callable[[], None] | None = None) -> None:
    """Plays a scenario's steps in order; a failure names the step (its docstring is the scenario's line), so one
    run of the whole scenario says which step the bot first gets wrong."""
    for step in steps:
        if begin is not None:
            begin()
        try:
            await step()
        except (AssertionError, TimeoutError) as failure:
            raise AssertionError(f"{step.__name__} — {(step.__doc__ or '').strip()}\n{failure}") from failure
