"""Messages: who may send where, what a new message mentions and whom it notifies, edits (which never notify,
except a deferred reply's first), deletions, history and pins."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.sandbox.notifications import MentionInputs, Notification, message_mentions_payload, notified_by_message
from bot.sandbox.permissions import Perm
from bot.sandbox.ratelimits import sub_limit_headers
from bot.sandbox.state.objects import (
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_NOTIFICATIONS,
    GUILD_FORUM,
    KIND_GUILDS,
    KIND_MESSAGES,
    MSG_CHANNEL_PINNED,
    MSG_DEFAULT,
    MSG_REPLY,
    OLD_MESSAGE_AGE,
    PIN_LIMIT,
    ApiError,
    Channel,
    Guild,
    Interaction,
    Message,
    iso,
)
from bot.sandbox.state.thread_activity import ThreadActivity


class Messages(ThreadActivity):
    """Messages, their mentions and notifications, and pins."""

    def _role_members(self, guild: Guild) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for m in guild.members.values():
            for r in m.roles:
                out.setdefault(r, []).append(m.user_id)
        return out

    def _mention_inputs(self, msg: Message, reply_author: int | None) -> MentionInputs:
        """What decides whom a message may ping: its text and allowed_mentions, the replied-to author, and the
        author's rights in its channel (shared by the message's mention fields and its notifications)."""
        mentionable, may_everyone = self._mention_rights(self.channels[msg.channel_id], msg.author_id)
        return MentionInputs(
            content=msg.content,
            allowed_mentions=msg.allowed_mentions,
            message_reference_author_id=reply_author,
            mentionable_role_ids=mentionable,
            author_may_mention_everyone=may_everyone,
        )

    def _set_mentions(self, msg: Message, reply_author: int | None) -> None:
        mentions = message_mentions_payload(**self._mention_inputs(msg, reply_author))
        msg.mention_user_ids = mentions["mention_user_ids"]
        msg.mention_roles = mentions["mention_roles"]
        msg.mention_everyone = mentions["mention_everyone"]

    def _mention_rights(self, channel: Channel, author_id: int) -> tuple[list[int], bool]:
        """The roles anyone may mention in this channel's guild, and whether the author may mention everyone
        (and every role); nothing of either in a DM."""
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        if guild is None:
            return [], False
        mentionable = [r.id for r in guild.roles.values() if r.mentionable]
        return mentionable, bool(self.permissions_in(author_id, channel) & Perm.MENTION_EVERYONE)

    def _referenced(self, reference: Mapping[str, Any], channel_id: int) -> Message | None:
        """The message a reply points to, if the double holds it."""
        referenced_channel = int(reference.get("channel_id") or channel_id)
        return self.messages.get(referenced_channel, {}).get(int(reference["message_id"]))

    def notify(self, msg: Message) -> list[Notification]:
        """Record who Discord would notify for this newly visible message."""
        channel = self.channels[msg.channel_id]
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        reply_author = None
        if msg.message_reference and msg.message_reference.get("message_id"):
            ref = self._referenced(msg.message_reference, msg.channel_id)
            reply_author = ref.author_id if ref else None
        notes = notified_by_message(
            message_id=msg.id,
            channel_id=msg.channel_id,
            author_id=msg.author_id,
            flags=msg.flags,
            is_dm=channel.type == DM,
            dm_recipient_id=channel.recipient_id if channel.type == DM else None,
            viewers=self.viewers(channel),
            role_members=self._role_members(guild) if guild else {},
            **self._mention_inputs(msg, reply_author),
        )
        self.notifications.extend(notes)
        return notes

    def check_can_send(self, user_id: int, channel: Channel, *, files: bool = False) -> int:
        perms = self.require_view(user_id, channel)
        needed = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if channel.type == GUILD_FORUM or not perms & needed:
            raise ApiError(403, 50013)
        if files and not perms & Perm.ATTACH_FILES:
            raise ApiError(403, 50013)
        if channel.is_thread:
            if channel.locked and not perms & Perm.MANAGE_THREADS:
                raise ApiError(403, 160005)
            if channel.archived and channel.locked:
                raise ApiError(400, 160005)
        return perms

    def find_nonce(self, channel_id: int, author_id: int, nonce: str | int) -> Message | None:
        window = timedelta(seconds=self.nonce_window_s)
        for msg in reversed(list(self.messages.get(channel_id, {}).values())):
            if (
                msg.nonce == nonce
                and msg.author_id == author_id
                and msg.nonce_at is not None
                and self.now - msg.nonce_at <= window
            ):
                return msg
        return None

    def create_message(
        self,
        channel_id: int,
        author_id: int,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        check_permissions: bool = True,
        msg_type: int | None = None,
        extra: Mapping[str, Any] | None = None,
        private_to: Interaction | None = None,
        existing_id: int | None = None,
    ) -> Message:
        """Create a message as Discord does for POST /channels/{id}/messages (and interaction replies)."""
        channel = self.channel(channel_id)
        perms = 0
        if check_permissions:
            perms = self.check_can_send(author_id, channel, files=bool(attachments))
        else:
            perms = self.permissions_in(author_id, channel)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and private_to is None:
            earlier = self.find_nonce(channel_id, author_id, nonce)
            if earlier is not None:
                return earlier
        if channel.is_thread and channel.archived and private_to is None:
            # A new message unarchives a thread that is not locked (locked ones were refused above), which takes
            # one of the guild's active-thread slots: refused, and nothing posted, when none is free.
            self.require_active_thread_slot(channel.guild_id)
            channel.archived = False
            channel.archive_timestamp = self.now
            self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
        embeds = list(body.get("embeds") or [])
        if channel.guild_id is not None and not perms & Perm.EMBED_LINKS and self.users[author_id].bot:
            # Without Embed Links, Discord posts the message but drops the bot's rich embeds.
            embeds = []
        content = str(body.get("content") or "")
        reference = body.get("message_reference")
        reply_author = None
        if reference and reference.get("message_id"):
            ref_msg = self._referenced(reference, channel_id)
            if ref_msg is None and reference.get("fail_if_not_exists", True):
                raise ApiError.invalid_field(
                    "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
            reply_author = ref_msg.author_id if ref_msg else None
            reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or channel_id),
                **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
            }
        flags = int(body.get("flags") or 0) & (FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | (1 << 2) | FLAG_LOADING)
        msg = Message(
            id=existing_id or self.snowflakes.next(),
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            content=content,
            timestamp=self.now,
            type=msg_type if msg_type is not None else (MSG_REPLY if reference else MSG_DEFAULT),
            flags=flags,
            embeds=embeds,
            components=list(body.get("components") or []),
            attachments=attachments or [],
            nonce=nonce,
            allowed_mentions=body.get("allowed_mentions"),
            message_reference=reference,
            nonce_at=self.now if nonce is not None else None,
        )
        self._set_mentions(msg, reply_author)
        for key, value in (extra or {}).items():
            setattr(msg, key, value)
        if private_to is not None:
            msg.ephemeral = True
            private_to.private_messages[msg.id] = msg
            self.changed()
            return msg
        self._store_public(msg)
        return msg

    def _store_public(self, msg: Message, *, notify: bool = True) -> None:
        channel = self.channels[msg.channel_id]
        if channel.is_thread:
            msg.position = channel.total_message_sent
            channel.message_count += 1
            channel.total_message_sent += 1
            channel.last_activity = self.now
        self.messages.setdefault(msg.channel_id, {})[msg.id] = msg
        channel.last_message_id = msg.id
        kind = KIND_MESSAGES
        self.emit("MESSAGE_CREATE", self.message_dict(msg, for_gateway=True), kind, channel.guild_id)
        if notify and not msg.flags & FLAG_LOADING:
            self.notify(msg)
        self.changed()

    def edit_message(
        self,
        msg: Message,
        body: Mapping[str, Any],
        *,
        attachments: list[dict[str, Any]] | None = None,
        materialise: bool = False,
    ) -> Message:
        """PATCH semantics: only the fields present change. Edits never notify, except the first edit of a
        deferred ("thinking…") response, which is when Discord delivers that message."""
        was_loading = bool(msg.flags & FLAG_LOADING)
        if "content" in body:
            msg.content = str(body.get("content") or "")
        if "embeds" in body:
            msg.embeds = list(body.get("embeds") or [])
        if "components" in body:
            msg.components = list(body.get("components") or [])
        if "allowed_mentions" in body:
            msg.allowed_mentions = body.get("allowed_mentions")
        if "flags" in body and body["flags"] is not None:
            msg.flags = (msg.flags & ~(1 << 2)) | (int(body["flags"]) & (1 << 2))
        if attachments is not None or "attachments" in body:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, Mapping)}
            kept = [a for a in msg.attachments if str(a["id"]) in keep_ids] if "attachments" in body else []
            msg.attachments = kept + (attachments or [])
        if "content" in body or "allowed_mentions" in body:
            self._set_mentions(msg, None)
        if was_loading and materialise:
            msg.flags &= ~FLAG_LOADING
        else:
            msg.edited_timestamp = self.now
        if not msg.ephemeral:
            data = self.message_dict(msg, for_gateway=True)
            self.emit("MESSAGE_UPDATE", data, KIND_MESSAGES, msg.guild_id)
            if was_loading and materialise:
                self.notify(msg)
        self.changed()
        return msg

    def delete_message(self, channel_id: int, message_id: int) -> None:
        msg = self.message(channel_id, message_id)
        del self.messages[channel_id][message_id]
        channel = self.channels[channel_id]
        if channel.is_thread:
            channel.message_count = max(channel.message_count - 1, 0)
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        self.emit("MESSAGE_DELETE", data, KIND_MESSAGES, msg.guild_id)
        self.changed()

    def history(
        self, channel_id: int, *, limit: int, before: int | None, after: int | None, around: int | None
    ) -> list[Message]:
        msgs = sorted(self.messages.get(channel_id, {}).values(), key=lambda m: m.id)
        limit = max(1, min(limit, 100))
        if around is not None:
            older = [m for m in msgs if m.id < around][::-1]
            newer = [m for m in msgs if m.id >= around]
            half = limit // 2
            picked = newer[: limit - min(half, len(older))] + older[:half]
            return sorted(picked, key=lambda m: m.id, reverse=True)[:limit]
        if after is not None:
            return sorted([m for m in msgs if m.id > after][:limit], key=lambda m: m.id, reverse=True)
        if before is not None:
            msgs = [m for m in msgs if m.id < before]
        return msgs[::-1][:limit]

    def pin(self, channel_id: int, message_id: int, actor_id: int, *, pin: bool) -> None:
        """Pin or unpin, as Discord does since February 2026: Pin Messages is needed (Manage Messages no longer
        grants it), a channel holds at most 250 pins (400 30003), and each pin posts a "pinned a message" line
        (type 6, by whoever pinned, pointing at the message) that notifies nobody. Pinning a pinned message
        changes nothing and posts no line."""
        channel = self.channel(channel_id)
        perms = self.require_view(actor_id, channel)
        if channel.guild_id is not None and not perms & Perm.PIN_MESSAGES:
            raise ApiError(403, 50013)
        msg = self.message(channel_id, message_id)
        if pin == (msg.pinned_at is not None):
            return
        if pin and len(self.pins(channel_id)) >= PIN_LIMIT:
            raise ApiError(400, 30003)
        msg.pinned_at = self.now if pin else None
        data: dict[str, Any] = {"channel_id": str(channel_id), "last_pin_timestamp": iso(self.now)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.emit("CHANNEL_PINS_UPDATE", data, KIND_GUILDS, channel.guild_id)
        self.emit("MESSAGE_UPDATE", self.message_dict(msg, for_gateway=True), KIND_MESSAGES, msg.guild_id)
        if pin:
            reference = {"message_id": str(message_id), "channel_id": str(channel_id)}
            self.create_message(
                channel_id,
                actor_id,
                {"content": "", "message_reference": reference, "allowed_mentions": {"parse": []}},
                check_permissions=False,
                msg_type=MSG_CHANNEL_PINNED,
            )
        self.changed()

    def count_old_message_edit(self, msg: Message) -> None:
        """An edit of a message older than an hour spends Discord's budget of such edits in its channel; past it,
        429 30046 with `Via` (discord.py then retries after `retry_after`, up to five times, and raises)."""
        if self.old_message_edits is None or self.now - msg.timestamp < OLD_MESSAGE_AGE:
            return
        edits, window_s, answered_retry = self.old_message_edits
        now = time.monotonic()
        times = self._old_edits.setdefault(msg.channel_id, deque())
        while times and times[0] <= now - window_s:
            times.popleft()
        if len(times) >= edits:
            retry_after = (
                answered_retry if answered_retry is not None else (times[0] + window_s - now if times else window_s)
            )
            error = ApiError(429, 30046)
            error.body.update({"retry_after": round(max(retry_after, 0.001), 3), "global": False})
            error.headers = sub_limit_headers(retry_after)
            raise error
        times.append(now)

    def pins(self, channel_id: int) -> list[Message]:
        self.channel(channel_id)
        pinned = [m for m in self.messages.get(channel_id, {}).values() if m.pinned_at is not None]
        return sorted(pinned, key=lambda m: m.pinned_at or self.now, reverse=True)
