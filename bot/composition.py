"""The composition root: every service of the bot, built once at start from the settings, the store, the clock,
the catalogue and the outbox, then handed to the cogs through their constructors and to the timers.

No cog builds a service or looks another cog up: what a cog needs is a field of `Services`. The use cases that
are plain functions over the store (settings, exports, about) need nothing built: the cogs call them with the
`store`, the `clock` and the server defaults of the `settings` found here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.board.use_cases import Boards
from bot.common.i18n import Catalogue
from bot.config import Settings
from bot.delivery.transport import DiscordTransport
from bot.delivery.worker import OutboxWorker
from bot.digests.use_cases import Digests
from bot.following.use_cases import Following, make_follow_role_again
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.maintenance.use_cases import Maintenances
from bot.operations.use_cases.backups import DailyBackups
from bot.operations.use_cases.metrics import Metrics
from bot.public.use_cases import PublicPages
from bot.reminders.use_cases.nudging import Nudging
from bot.reminders.use_cases.reminders import Reminders
from bot.reports.use_cases import Reports
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from bot.timers.clock import Clock
from bot.timers.registry import Timers
from bot.timers.scheduler import Scheduler


@dataclass(frozen=True)
class Services:
    settings: Settings
    defaults: ServerDefaults
    store: Store
    clock: Clock
    catalogue: Catalogue
    outbox: OutboxWorker
    scheduler: Scheduler
    timers: Timers
    lifecycle: Lifecycle
    following: Following
    reminders: Reminders
    nudging: Nudging
    reports: Reports
    metrics: Metrics
    boards: Boards
    digests: Digests
    maintenance: Maintenances
    public_pages: PublicPages
    started_at: datetime


def forum_tags(client: discord.Client, channel_id: int) -> Mapping[str, int] | None:
    """The incident channel's tags by name if it is a forum, None for a text channel (or unknown)."""
    channel = client.get_channel(channel_id)
    if isinstance(channel, discord.ForumChannel):
        return {tag.name: tag.id for tag in channel.available_tags}
    return None


def daily_backups(settings: Settings) -> DailyBackups | None:
    if settings.backup_dir is None:
        return None
    return DailyBackups(settings.database_path, settings.backup_dir, keep=settings.backup_keep)


def build_services(
    *, settings: Settings, store: Store, clock: Clock, catalogue: Catalogue, client: discord.Client
) -> Services:
    """`client` is the bot: the outbox talks to Discord through it, and the lifecycle reads forum tags from its
    cache. Nothing here touches the store, the network or the scheduler: they start with the bot."""
    defaults = ServerDefaults(language=settings.default_language, time_zone=settings.time_zone)
    scheduler = Scheduler(clock)
    metrics = Metrics()
    outbox = OutboxWorker(
        store,
        metrics.counting(DiscordTransport(client)),
        clock,
        global_rate=settings.outbox_rate_per_s,
        dm_rate_per_s=settings.dm_rate_per_s,
        role_gone=make_follow_role_again,
    )
    lifecycle = Lifecycle(
        store,
        defaults,
        forum_tags=functools.partial(forum_tags, client),
    )
    reminders = Reminders(store, catalogue, defaults)
    nudging = Nudging(store, catalogue, defaults)
    boards = Boards(store, defaults)
    digests = Digests(store, defaults)
    maintenance = Maintenances(
        store, defaults, forum_tags=functools.partial(forum_tags, client), incident_changed=lifecycle.run_after_commit
    )
    return Services(
        settings=settings,
        defaults=defaults,
        store=store,
        clock=clock,
        catalogue=catalogue,
        outbox=outbox,
        scheduler=scheduler,
        timers=Timers(
            scheduler,
            clock,
            outbox,
            lifecycle,
            reminders,
            nudging,
            backups=daily_backups(settings),
            boards=boards,
            digests=digests,
            maintenance=maintenance,
        ),
        lifecycle=lifecycle,
        following=Following(store, defaults),
        reminders=reminders,
        nudging=nudging,
        reports=Reports(store, defaults, lifecycle),
        metrics=metrics,
        boards=boards,
        digests=digests,
        maintenance=maintenance,
        public_pages=PublicPages(store, clock),
        started_at=clock.now(),
    )
