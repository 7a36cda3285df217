"""The JSON Discord serves for the double's objects: members, channels and threads, messages, a guild's
GUILD_CREATE."""

from __future__ import annotations

from typing import Any

from bot.sandbox.state.core import Core
from bot.sandbox.state.objects import (
    DM,
    GUILD_FORUM,
    PRIVATE_THREAD,
    Channel,
    Guild,
    Member,
    Message,
    iso,
    sid,
)


class Payloads(Core):
    """Discord's JSON shapes of the objects held."""

    def member_dict(self, member: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in member.roles],
            "joined_at": iso(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.users[member.user_id].to_dict()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def channel_dict(self, channel: Channel) -> dict[str, Any]:
        if channel.type == DM:
            recipient = self.users[channel.recipient_id] if channel.recipient_id else None
            return {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": sid(channel.last_message_id),
                "recipients": [recipient.to_dict()] if recipient else [],
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": sid(channel.guild_id),
            "name": channel.name,
            "last_message_id": sid(channel.last_message_id),
            "rate_limit_per_user": 0,
            "flags": 0,
            "parent_id": sid(channel.parent_id),
        }
        if channel.is_thread:
            created = channel.created_at or self.now
            data.update(
                {
                    "owner_id": sid(channel.owner_id),
                    "message_count": channel.message_count,
                    "total_message_sent": channel.total_message_sent,
                    "member_count": min(len(channel.member_ids), 50),
                    "thread_metadata": {
                        "archived": channel.archived,
                        "auto_archive_duration": channel.auto_archive_duration,
                        "archive_timestamp": iso(channel.archive_timestamp or created),
                        "locked": channel.locked,
                        "create_timestamp": iso(created),
                        **({"invitable": True} if channel.type == PRIVATE_THREAD else {}),
                    },
                    "applied_tags": [str(t) for t in channel.applied_tags],
                }
            )
            return data
        data.update(
            {
                "position": channel.position,
                "permission_overwrites": [
                    {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                    for o in channel.overwrites
                ],
                "nsfw": False,
                "topic": channel.topic,
                "default_auto_archive_duration": 4320,
                "default_thread_rate_limit_per_user": 0,
            }
        )
        if channel.type == GUILD_FORUM:
            data.update(
                {
                    "available_tags": channel.available_tags,
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                }
            )
        return data

    def thread_member_dict(self, thread: Channel, user_id: int, *, with_guild: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": iso(thread.member_ids.get(user_id, self.now)),
            "flags": 0,
        }
        if with_guild and thread.guild_id is not None:
            data["guild_id"] = str(thread.guild_id)
        return data

    def message_dict(self, msg: Message, *, for_gateway: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "type": msg.type,
            "content": msg.content,
            "author": self.users[msg.author_id].to_dict(),
            "timestamp": iso(msg.timestamp),
            "edited_timestamp": iso(msg.edited_timestamp) if msg.edited_timestamp else None,
            "tts": False,
            "mention_everyone": msg.mention_everyone,
            "mentions": [self.users[u].to_dict() for u in msg.mention_user_ids if u in self.users],
            "mention_roles": list(msg.mention_roles),
            "attachments": list(msg.attachments),
            "embeds": list(msg.embeds),
            "pinned": msg.pinned_at is not None,
            "flags": msg.flags,
            "components": list(msg.components),
        }
        if msg.nonce is not None:
            data["nonce"] = msg.nonce
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
        if msg.application_id is not None:
            data["application_id"] = str(msg.application_id)
        if msg.interaction_metadata is not None:
            data["interaction_metadata"] = msg.interaction_metadata
        if msg.interaction is not None:
            data["interaction"] = msg.interaction
        if msg.message_reference is not None:
            data["message_reference"] = msg.message_reference
        if msg.position is not None:
            data["position"] = msg.position
        if msg.thread_id is not None and msg.thread_id in self.channels:
            data["thread"] = self.channel_dict(self.channels[msg.thread_id])
        if for_gateway and msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = self.guilds[msg.guild_id].members.get(msg.author_id)
            if member is not None and msg.webhook_id is None:
                data["member"] = self.member_dict(member, with_user=False)
        return data

    def guild_create_dict(self, guild: Guild, *, with_members: bool) -> dict[str, Any]:
        channels = [self.channels[c] for c in guild.channel_ids if c in self.channels]
        members = list(guild.members.values())
        if not with_members:
            members = [m for m in members if m.user_id == self.bot.id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.preferred_locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": iso(guild.joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [self.member_dict(m) for m in members],
            "channels": [self.channel_dict(c) for c in channels if not c.is_thread],
            "threads": [
                self.channel_dict(c) for c in channels if c.is_thread and not c.archived and c.type != PRIVATE_THREAD
            ],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "incidents_data": None,
        }
