"""Which threads are active: an idle thread archives itself once its auto-archive duration has passed on the
clock, and the guild's cap on active threads counts the others (a new message in an archived thread takes a
slot, as creating a thread does)."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.state.objects import (
    KIND_GUILDS,
    ApiError,
    Channel,
)
from bot.sandbox.state.payloads import Payloads


class ThreadActivity(Payloads):
    """Thread auto-archiving and the cap on active threads."""

    def active_threads(self, guild_id: int) -> list[Channel]:
        """The guild's threads that are not archived: public, private and announcement threads and forum posts
        alike. They are what Discord's cap on active threads counts."""
        self.archive_idle_threads()
        return [c for c in self.channels.values() if c.guild_id == guild_id and c.is_thread and not c.archived]

    def require_active_thread_slot(self, guild_id: int | None) -> None:
        """Before anything makes a thread active (creating a thread or forum post, unarchiving one): 400 160006
        "Maximum number of active threads reached" when the guild already has `max_active_threads` of them."""
        if guild_id is not None and len(self.active_threads(guild_id)) >= self.max_active_threads:
            raise ApiError(400, 160006)

    def archive_idle_threads(self) -> None:
        for channel in list(self.channels.values()):
            if not channel.is_thread or channel.archived:
                continue
            last = channel.last_activity or channel.created_at or self.now
            if self.now - last >= timedelta(minutes=channel.auto_archive_duration):
                channel.archived = True
                channel.archive_timestamp = last + timedelta(minutes=channel.auto_archive_duration)
                self.emit("THREAD_UPDATE", self.channel_dict(channel), KIND_GUILDS, channel.guild_id)
