"""Looking for what an earlier attempt of an outbox row may already have made, before acting again.

Discord de-duplicates a message creation by its nonce for a few minutes only, and creations of threads, forum
posts and roles take no nonce at all. So when an earlier attempt's outcome is unknown (a timeout, a dropped
connection, the process killed between the request and the record) and the nonce cannot protect the repeat,
the transport first looks for the earlier attempt's mark:
- a message: among the channel's recent messages, one from the bot carrying the row's nonce (Discord echoes it
  on messages it still remembers) or, failing that, the same content and embeds, posted since the first attempt;
- a thread or forum post: an active thread of the same parent with the same name;
- a role: a role of the server with the same name (follow roles are named after their incident).
Each function returns the result the row would have recorded, or None when nothing was found.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import discord
from discord.http import Route

from bot.delivery.outbox import Delivery

log = logging.getLogger(__name__)

# Discord remembers a nonce "for a few minutes"; the double for five. A repeat later than this may duplicate.
NONCE_WINDOW_S = 240.0
_RECENT_MESSAGES = 50


def past_nonce_window(delivery: Delivery) -> bool:
    if delivery.earlier_attempt_at is None or delivery.claimed_at is None:
        return False
    return (delivery.claimed_at - delivery.earlier_attempt_at).total_seconds() >= NONCE_WINDOW_S


def may_have_acted(delivery: Delivery) -> bool:
    return delivery.earlier_attempt_at is not None


def _same_message(message: dict[str, Any], body: dict[str, Any]) -> bool:
    if (message.get("content") or "") != (body.get("content") or ""):
        return False
    posted = [(e.get("title"), e.get("description")) for e in message.get("embeds") or []]
    wanted = [(e.get("title"), e.get("description")) for e in body.get("embeds") or []]
    return posted == wanted


async def earlier_message(
    http: Any, channel_id: int, body: dict[str, Any], *, nonce: str, bot_id: int | None, since: datetime | None
) -> dict[str, Any] | None:
    """The message an earlier attempt posted in `channel_id`, if it is among the recent ones."""
    route = Route("GET", "/channels/{channel_id}/messages", channel_id=channel_id)
    params: dict[str, Any] = {"limit": _RECENT_MESSAGES}
    if since is not None:
        params["after"] = discord.utils.time_snowflake(since, high=False)
    messages = await http.request(route, params=params)
    mine = [m for m in messages if bot_id is None or str(m.get("author", {}).get("id")) == str(bot_id)]
    for message in mine:
        if message.get("nonce") is not None and str(message["nonce"]) == nonce:
            return {"message_id": str(message["id"]), "channel_id": str(channel_id)}
    for message in mine:
        if message.get("nonce") is None and _same_message(message, body):
            return {"message_id": str(message["id"]), "channel_id": str(channel_id)}
    return None


async def earlier_thread(http: Any, guild_id: int, parent_id: int, name: str) -> dict[str, Any] | None:
    """The thread (or forum post) an earlier attempt created under `parent_id`, if it is still active."""
    route = Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild_id)
    data = await http.request(route)
    for thread in data.get("threads", []):
        if str(thread.get("parent_id")) == str(parent_id) and thread.get("name") == name:
            # A forum post's starter message has the thread's id.
            return {"thread_id": str(thread["id"]), "channel_id": str(parent_id), "message_id": str(thread["id"])}
    return None


async def earlier_role(http: Any, guild_id: int, name: str) -> dict[str, Any] | None:
    roles = await http.get_roles(guild_id)
    for role in roles:
        if role.get("name") == name:
            return {"role_id": str(role["id"])}
    return None
