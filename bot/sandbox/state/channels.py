"""Channels: guild channels and their permission overwrites, threads (from a message, without one, forum posts)
and their members, and DMs."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox.permissions import Overwrite, Perm
from bot.sandbox.state.messages import Messages
from bot.sandbox.state.objects import (
    ANNOUNCEMENT_THREAD,
    DM,
    FLAG_HAS_THREAD,
    GUILD_ANNOUNCEMENT,
    GUILD_FORUM,
    GUILD_TEXT,
    KIND_GUILDS,
    KIND_MESSAGES,
    MSG_RECIPIENT_ADD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    VALID_ARCHIVE_DURATIONS,
    ApiError,
    Channel,
    Message,
)

MAX_APPLIED_TAGS = 5


def applied_tags(body: Mapping[str, Any], available: list[dict[str, Any]]) -> list[int]:
    """The forum tags a post asks for: each one of its forum's, and at most five."""
    applied = [int(t) for t in body.get("applied_tags") or []]
    tag_ids = {int(t["id"]) for t in available}
    if any(t not in tag_ids for t in applied) or len(applied) > MAX_APPLIED_TAGS:
        raise ApiError.invalid_field("applied_tags", "BASE_TYPE_CHOICES", "Invalid tag")
    return applied


class Channels(Messages):
    """Channels and overwrites, threads and thread members, DMs."""

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        overwrites: Iterable[Overwrite] = (),
        topic: str | None = None,
        tags: Iterable[str] = (),
    ) -> Channel:
        guild = self.guild(guild_id)
        channel = Channel(
            id=self.snowflakes.next(),
            type=type,
            guild_id=guild_id,
            name=name,
            position=len(guild.channel_ids),
            topic=topic,
            overwrites=list(overwrites),
        )
        channel.available_tags = [
            {"id": str(self.snowflakes.next()), "name": t, "moderated": False, "emoji_id": None, "emoji_name": None}
            for t in tags
        ]
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        guild.channel_ids.append(channel.id)
        self.emit("CHANNEL_CREATE", self.channel_dict(channel), KIND_GUILDS, guild_id)
        self.changed()
        return channel

    def set_overwrites(self, channel_id: int, overwrites: Iterable[Overwrite]) -> None:
        channel = self.channel(channel_id)
        channel.overwrites = list(overwrites)
        self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()

    def put_overwrite(self, channel_id: int, actor_id: int, target: int, body: Mapping[str, Any] | None) -> None:
        channel = self.channel(channel_id)
        if channel.guild_id is None or channel.is_thread:
            raise ApiError(400, 50035)
        perms = self.permissions_in(actor_id, channel)
        guild = self.guilds[channel.guild_id]
        if actor_id != guild.owner_id and not perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            raise ApiError(403, 50013)
        rest = [o for o in channel.overwrites if o.id != target]
        if body is not None:
            rest.append(
                Overwrite(target, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
            )
        channel.overwrites = rest
        self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()

    def edit_channel(self, channel_id: int, actor_id: int, body: Mapping[str, Any]) -> Channel:
        channel = self.channel(channel_id)
        perms = self.require_view(actor_id, channel)
        if channel.is_thread:
            is_owner = channel.owner_id == actor_id
            moderator = bool(perms & Perm.MANAGE_THREADS)
            if not (moderator or is_owner):
                raise ApiError(403, 50013)
            if channel.locked and not moderator:
                raise ApiError(403, 160005)
            if "locked" in body and not moderator:
                raise ApiError(403, 50013)
            if channel.archived and "archived" in body and not body["archived"]:
                self.require_active_thread_slot(channel.guild_id)  # before any other field changes
            if "name" in body:
                name, _ = self._validate_thread_body({"name": body["name"]})
                channel.name = name
            if "auto_archive_duration" in body:
                _, channel.auto_archive_duration = self._validate_thread_body(
                    {"name": "x", "auto_archive_duration": body["auto_archive_duration"]}
                )
            if "locked" in body:
                channel.locked = bool(body["locked"])
            if "applied_tags" in body:
                parent = self.channels.get(channel.parent_id or 0)
                channel.applied_tags = applied_tags(body, parent.available_tags if parent else [])
            if "archived" in body:
                archived = bool(body["archived"])
                if archived != channel.archived:
                    channel.archived = archived
                    channel.archive_timestamp = self.now
                    if not archived:
                        channel.last_activity = self.now
            self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        else:
            if not perms & Perm.MANAGE_CHANNELS:
                raise ApiError(403, 50013)
            if "name" in body:
                channel.name = str(body["name"])
            if "topic" in body:
                channel.topic = body["topic"]
            self.emit("CHANNEL_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        self.changed()
        return channel

    def _validate_thread_body(self, body: Mapping[str, Any]) -> tuple[str, int]:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ApiError.invalid_field("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        duration = int(body.get("auto_archive_duration") or 4320)
        if duration not in VALID_ARCHIVE_DURATIONS:
            raise ApiError.invalid_field(
                "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
            )
        return name, duration

    def _new_thread(
        self, parent: Channel, owner_id: int, name: str, duration: int, type: int, *, thread_id: int | None = None
    ) -> Channel:
        assert parent.guild_id is not None
        self.require_active_thread_slot(parent.guild_id)
        thread = Channel(
            id=thread_id or self.snowflakes.next(),
            type=type,
            guild_id=parent.guild_id,
            name=name,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=duration,
            created_at=self.now,
            last_activity=self.now,
            archive_timestamp=self.now,
        )
        thread.member_ids[owner_id] = self.now
        self.channels[thread.id] = thread
        self.messages[thread.id] = {}
        self.guilds[parent.guild_id].channel_ids.append(thread.id)
        return thread

    def _thread_create_event(self, thread: Channel) -> None:
        data = self.channel_dict(thread)
        data["newly_created"] = True
        if self.bot.id in thread.member_ids:
            data["member"] = self.thread_member_dict(thread, self.bot.id)
        self.emit("THREAD_CREATE", data, KIND_GUILDS, thread.guild_id)

    def thread_from_message(self, channel_id: int, message_id: int, actor_id: int, body: Mapping[str, Any]) -> Channel:
        parent = self.channel(channel_id)
        perms = self.require_view(actor_id, parent)
        if parent.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if not perms & Perm.CREATE_PUBLIC_THREADS:
            raise ApiError(403, 50013)
        msg = self.message(channel_id, message_id)
        name, duration = self._validate_thread_body(body)
        if msg.thread_id is not None:
            raise ApiError(400, 160004)
        kind = ANNOUNCEMENT_THREAD if parent.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD
        # A thread started from a message shares the message's id (Discord: "the thread ID is the message ID").
        thread = self._new_thread(parent, actor_id, name, duration, kind, thread_id=msg.id)
        msg.thread_id = thread.id
        msg.flags |= FLAG_HAS_THREAD
        self._thread_create_event(thread)
        self.emit("MESSAGE_UPDATE", self.message_dict(msg, for_gateway=True), KIND_MESSAGES, msg.guild_id)
        self.changed()
        return thread

    def thread_without_message(
        self,
        channel_id: int,
        actor_id: int,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
    ) -> tuple[Channel, Message | None]:
        parent = self.channel(channel_id)
        perms = self.require_view(actor_id, parent)
        name, duration = self._validate_thread_body(body)
        if parent.type == GUILD_FORUM:
            if not perms & Perm.SEND_MESSAGES:
                raise ApiError(403, 50013)
            starter = body.get("message")
            if not isinstance(starter, Mapping):
                raise ApiError.invalid_field("message", "BASE_TYPE_REQUIRED", "This field is required")
            applied = applied_tags(body, parent.available_tags)
            thread = self._new_thread(parent, actor_id, name, duration, PUBLIC_THREAD)
            thread.applied_tags = applied
            self._thread_create_event(thread)
            first = self.create_message(
                thread.id,
                actor_id,
                starter,
                attachments=attachments,
                check_permissions=False,
                existing_id=thread.id,
            )
            self.changed()
            return thread, first
        if parent.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or PRIVATE_THREAD)
        needed = Perm.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else Perm.CREATE_PUBLIC_THREADS
        if not perms & needed:
            raise ApiError(403, 50013)
        thread = self._new_thread(parent, actor_id, name, duration, kind)
        self._thread_create_event(thread)
        self.changed()
        return thread, None

    def add_thread_member(self, thread_id: int, user_id: int, actor_id: int) -> None:
        thread = self.channel(thread_id)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require_view(actor_id, thread)
        assert thread.guild_id is not None
        self.member(thread.guild_id, user_id)
        if thread.archived:
            raise ApiError(400, 50083)
        if user_id in thread.member_ids:
            return
        thread.member_ids[user_id] = self.now
        if user_id != actor_id:
            # Discord posts a visible "X added Y to the thread" line (type RECIPIENT_ADD) for each API add.
            msg = Message(
                id=self.snowflakes.next(),
                channel_id=thread.id,
                guild_id=thread.guild_id,
                author_id=actor_id,
                content="",
                timestamp=self.now,
                type=MSG_RECIPIENT_ADD,
                mention_user_ids=[user_id],
            )
            self._store_public(msg, notify=False)
        self._thread_members_update(thread, added=[user_id], removed=[])
        self.changed()

    def _store_public(self, msg: Message, *, notify: bool = True) -> None:
        super()._store_public(msg, notify=notify)
        self._join_mentioned(msg)

    def _join_mentioned(self, msg: Message) -> None:
        """A thread message that mentions members (and may ping them) makes them thread members, as Discord does:
        silently, without the "added" line an API add posts; only THREAD_MEMBERS_UPDATE tells the clients."""
        thread = self.channels[msg.channel_id]
        if not thread.is_thread or thread.guild_id is None or msg.type == MSG_RECIPIENT_ADD:
            return
        guild = self.guilds[thread.guild_id]
        viewers = set(self.viewers(thread))
        added = [
            uid
            for uid in msg.mention_user_ids
            if uid in guild.members and uid in viewers and uid not in thread.member_ids
        ]
        for uid in added:
            thread.member_ids[uid] = self.now
        if added:
            self._thread_members_update(thread, added=added, removed=[])

    def remove_thread_member(self, thread_id: int, user_id: int, actor_id: int) -> None:
        thread = self.channel(thread_id)
        self.require_view(actor_id, thread)
        if user_id not in thread.member_ids:
            raise ApiError(404, 10007)
        del thread.member_ids[user_id]
        self._thread_members_update(thread, added=[], removed=[user_id])
        self.changed()

    def _thread_members_update(self, thread: Channel, *, added: list[int], removed: list[int]) -> None:
        assert thread.guild_id is not None
        guild = self.guilds[thread.guild_id]
        added_dicts = []
        for uid in added:
            tm = self.thread_member_dict(thread, uid)
            if uid in guild.members:
                tm["member"] = self.member_dict(guild.members[uid])
            tm["presence"] = None
            added_dicts.append(tm)
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(thread.member_ids), 50),
        }
        if added_dicts:
            data["added_members"] = added_dicts
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.emit("THREAD_MEMBERS_UPDATE", data, KIND_GUILDS, thread.guild_id)

    def open_dm(self, recipient_id: int) -> Channel:
        user = self.user(recipient_id)
        existing = self.dm_channel_of.get(user.id)
        if existing is not None:
            return self.channels[existing]
        if self.dm_open_limit is not None:
            count, window = self.dm_open_limit
            now = time.monotonic()
            self._dm_openings = [t for t in self._dm_openings if now - t < window]
            if len(self._dm_openings) >= count:
                raise ApiError(403, 40003)
            self._dm_openings.append(now)
        channel = Channel(id=self.snowflakes.next(), type=DM, guild_id=None, name=None, recipient_id=user.id)
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        self.dm_channel_of[user.id] = channel.id
        self.changed()
        return channel

    def check_dm_open(self, channel: Channel) -> None:
        if channel.type == DM and channel.recipient_id is not None and not self.users[channel.recipient_id].dms_open:
            raise ApiError(403, 50007)
