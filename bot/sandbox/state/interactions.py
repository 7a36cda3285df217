"""Interactions as Discord dispatches them (their payload, token and channel), and the messages an interaction's
replies and follow-ups create or reach, ephemeral ones included."""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.sandbox.state.messages import Messages
from bot.sandbox.state.objects import (
    INTERACTION_TOKEN_TTL_S,
    KIND_NONE,
    ApiError,
    Channel,
    Interaction,
    Message,
)


class Interactions(Messages):
    """Interactions and the messages their responses reach."""

    def new_interaction(
        self,
        *,
        type: int,
        user_id: int,
        channel_id: int,
        data: dict[str, Any] | None,
        message: Message | None = None,
        locale: str | None = None,
    ) -> Interaction:
        channel = self.channel(channel_id)
        user = self.user(user_id)
        iid = self.snowflakes.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": type,
            "token": token,
            "version": 1,
            "locale": locale or user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
            "channel": self.interaction_channel_dict(channel, user_id),
        }
        if data is not None:
            payload["data"] = data
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            member = self.member(guild.id, user_id)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                    "guild_locale": guild.preferred_locale,
                    "member": self.member_dict(member, permissions=self.permissions_in(user_id, channel)),
                    "app_permissions": str(self.permissions_in(self.bot.id, channel)),
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "context": 0,
                }
            )
        else:
            payload.update(
                {
                    "user": user.to_dict(),
                    "app_permissions": str(self.permissions_in(self.bot.id, channel)),
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                }
            )
        if message is not None:
            payload["message"] = self.message_dict(message)
        ix = Interaction(
            id=iid,
            token=token,
            type=type,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            payload=payload,
            dispatched_at=time.monotonic(),
            source_message_id=message.id if message else None,
        )
        self.interactions[iid] = ix
        self.interactions_by_token[token] = ix
        self.emit("INTERACTION_CREATE", payload, KIND_NONE, channel.guild_id)
        self.changed()
        return ix

    def interaction_channel_dict(self, channel: Channel, user_id: int) -> dict[str, Any]:
        data = self.channel_dict(channel)
        data["permissions"] = str(self.permissions_in(user_id, channel))
        return data

    def interaction_by_token(self, token: str) -> Interaction:
        ix = self.interactions_by_token.get(token)
        if ix is None or time.monotonic() - ix.dispatched_at > INTERACTION_TOKEN_TTL_S:
            raise ApiError(404, 10015)
        return ix

    def interaction_message(self, ix: Interaction, message_id: int | None) -> Message:
        mid = ix.original_message_id if message_id is None else message_id
        if mid is None:
            raise ApiError(404, 10008)
        if mid in ix.private_messages:
            return ix.private_messages[mid]
        if mid != ix.original_message_id and mid not in ix.followup_ids:
            raise ApiError(404, 10008)
        msg = self.find_message(ix.channel_id, mid)
        if msg is None:
            raise ApiError(404, 10008)
        return msg

    def find_message(self, channel_id: int, message_id: int) -> Message | None:
        """A public message, or an ephemeral one held by an interaction (components on ephemeral messages)."""
        msg = self.messages.get(channel_id, {}).get(message_id)
        if msg is not None:
            return msg
        for ix in self.interactions.values():
            if message_id in ix.private_messages:
                return ix.private_messages[message_id]
        return None

    def reply_extra(self, ix: Interaction) -> dict[str, Any]:
        user = self.users[ix.user_id].to_dict()
        meta: dict[str, Any] = {
            "id": str(ix.id),
            "type": ix.type,
            "user": user,
            "authorizing_integration_owners": ix.payload.get("authorizing_integration_owners", {}),
        }
        if ix.source_message_id is not None:
            meta["interacted_message_id"] = str(ix.source_message_id)
        extra: dict[str, Any] = {
            "webhook_id": self.application_id,
            "application_id": self.application_id,
            "interaction_metadata": meta,
        }
        if ix.type == 2:
            extra["interaction"] = {
                "id": str(ix.id),
                "type": ix.type,
                "name": ix.payload.get("data", {}).get("name", ""),
                "user": user,
            }
        return extra
