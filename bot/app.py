"""The Tocsin bot: a discord.py `commands.Bot` that receives its dependencies and wires the parts together."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.common import time_parsing as timeparse
from bot.common.errors import TocsinError
from bot.common.formatting import log_count
from bot.common.i18n import Catalogue, Msg
from bot.composition import Services, build_services
from bot.config import Settings
from bot.following import use_cases as following
from bot.interactions import admission
from bot.interactions.payload_rules import PayloadError, printable
from bot.interactions.replies import done_statement, person_language, reply_private, tell_done
from bot.interactions.translator import TocsinTranslator
from bot.storage import audit, member_locales
from bot.storage.store import Store
from bot.timers.caught_up import CaughtUpReporter
from bot.timers.clock import Clock, FollowingClock

log = logging.getLogger(__name__)

# Every feature is a cog; a cog that fails to load is logged and the others still start (and so do the timers,
# which no cog registers: bot/timers/registry.py).
COGS: tuple[str, ...] = (
    "cogs.operations",
    "cogs.settings",
    "cogs.incidents",
    "cogs.following",
    "cogs.reminders",
    "cogs.exports",
    "cogs.reports",
    "cogs.board",
    "cogs.maintenance",
)

RunMode = Literal["run", "sync"]
# When to ask Discord again for a refused command sync: soon for a hiccup, then every hour.
SYNC_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# How long a stop waits for the answers being made (Discord's 3 s, plus a deferred reply's work).
ANSWER_GRACE_S = 10.0
# The tasks in which discord.py runs a command, a button, a select or a modal's handler (and the bot's answer to
# a click or a form nothing else answers, `on_interaction`).
ANSWERING_TASKS = (
    "tocsin-owed-",  # and where the bot asks again for what it owes after a permission changed (an event)
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-",
    "discord.py: on_interaction",
)
# How long a refusal's answer waits for its audit row before going first (Discord allows 3 s to answer).
AUDIT_BEFORE_REPLY_S = 1.0
# How long closing waits for small writes made beside interactions (a member's locale) before the store closes.
BACKGROUND_GRACE_S = 6.0


# Tocsin never joins voice: the "PyNaCl/davey is not installed" start-up warnings are noise here.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class TocsinBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        clock: Clock,
        catalogue: Catalogue,
        mode: RunMode = "run",
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),  # no message content: Tocsin only acts on interactions
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.services: Services = build_services(
            settings=settings, store=store, clock=clock, catalogue=catalogue, client=self
        )
        self.mode = mode
        self.failed_cogs: list[str] = []
        # Why Discord last refused the commands of the development server, until a sync works (/tocsin about).
        self.command_sync_refused: str | None = None
        self._locales_seen: dict[int, str] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.schemas = admission.CommandSchemas(self.tree)
        # Only when following a double's clock: says when the bot has caught up with it (bot/timers/caught_up.py).
        self.caught_up = CaughtUpReporter(clock, self.quiet) if isinstance(clock, FollowingClock) else None
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.tree.interaction_check = self.admit  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        services = self.services
        report = await services.store.migrate()
        if report.applied:
            log.info("database migrated from version %s to %s", report.from_version, report.to_version)
        await self.tree.set_translator(TocsinTranslator(services.catalogue))
        for extension in COGS:
            try:
                await self.load_extension(extension)
            except Exception:
                self.failed_cogs.append(extension)
                log.exception("could not load %s; the other features still start", extension)
        if self.mode != "run":
            return
        warm_up_time_parsing()
        await services.scheduler.start()
        await services.outbox.start()
        await services.timers.start()
        if self.caught_up is not None:
            await self.caught_up.start()
        if services.settings.dev_guild_id is not None:
            guild = discord.Object(id=services.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.sync_development_commands(guild, tries=0)

    async def sync_development_commands(self, guild: discord.Object, *, tries: int) -> None:
        """Publishes the commands to the development server. Refused (a Discord error, the network), the bot
        keeps serving with the commands Discord already has and asks again later, on its clock."""
        services = self.services
        try:
            synced = await self.tree.sync(guild=guild)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            delay = SYNC_RETRY_DELAYS[min(tries, len(SYNC_RETRY_DELAYS) - 1)]
            self.command_sync_refused = describe_http_error(exc)
            log.warning(
                "Discord refused the commands for the development server %s (%s); the bot keeps the commands "
                "Discord already has and asks again in %d min",
                guild.id,
                self.command_sync_refused,
                delay.total_seconds() // 60,
            )

            async def again() -> None:
                await self.sync_development_commands(guild, tries=tries + 1)

            services.scheduler.schedule(f"commands:sync:{guild.id}", services.clock.now() + delay, again)
            return
        self.command_sync_refused = None
        log.info("synced %s to the development server %s", log_count(len(synced), "command"), guild.id)

    async def close(self) -> None:
        try:
            # Whoever acted just before a stop is still answered: their reply is finished before anything closes.
            unanswered = await finish_answers(timeout=ANSWER_GRACE_S)
            if unanswered:
                log.warning(
                    "stopping with %d interaction(s) still being answered after %.0f s", unanswered, ANSWER_GRACE_S
                )
            if self._background:
                await asyncio.wait(self._background, timeout=BACKGROUND_GRACE_S)
            if self.caught_up is not None:
                await self.caught_up.stop()
            await self.services.timers.stop()
            await self.services.outbox.stop()
            await self.services.scheduler.stop()
        finally:
            await super().close()

    async def quiet(self) -> bool:
        """Nothing left to do at the clock's time: no interaction being answered, every timer due has run, and
        nothing the outbox could send now is waiting. Checked in that order, then the first two again: what one
        of them queued while the outbox was being read is not missed."""
        services = self.services
        if answering() or not services.timers.caught_up():
            return False
        if not await services.outbox.nothing_to_send():
            return False
        return not answering() and services.timers.caught_up()

    async def on_ready(self) -> None:
        log.info("connected as %s to %s", self.user, log_count(len(self.guilds), "server"))

    async def admit(self, interaction: discord.Interaction[Any]) -> bool:
        """The tree's check before a command or an autocomplete is read: the clock catches up, the locale is
        remembered, and the data is checked against the command as declared (`bot/interactions/admission.py`):
        what a modified client sent is refused with its sentence before discord.py reads it."""
        await self.remember_locale(interaction)
        try:
            await admission.admit_command(interaction, self.schemas)
        except Exception as refusal:
            if interaction.type is discord.InteractionType.autocomplete:
                await self.suggest_nothing(interaction, refusal)
            else:
                await self.report_error(interaction, refusal)
            return False
        return True

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A click no button of Tocsin answers (one it never made, an older version's, one the message does not
        carry) or a form that is no longer open: discord.py would drop it; the person is told."""
        if interaction.type is discord.InteractionType.component:
            items = [item for cog in self.cogs.values() for item in getattr(cog, "dynamic_items", ())]
            if not admission.answered(interaction, items, self.persistent_views):
                await self.report_error(interaction, PayloadError("core.error.component_outdated"))
        elif interaction.type is discord.InteractionType.modal_submit and not admission.form_open(
            admission.raw_data(interaction).get("custom_id")
        ):
            await self.report_error(interaction, PayloadError("core.error.form_closed"))

    # -- a permission given back: what the outbox owes in that server goes out (bot/delivery/dependencies.py) --

    async def on_guild_channel_update(self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel) -> None:
        if before.overwrites != after.overwrites:
            self._ask_again_owed(after.guild.id)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.permissions != after.permissions:
            self._ask_again_owed(after.guild.id)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        # Discord sends the bot's own member updates whatever the intents: a role given to the bot.
        if self.user is not None and after.id == self.user.id and before.roles != after.roles:
            self._ask_again_owed(after.guild.id)

    def _ask_again_owed(self, guild_id: int) -> None:
        async def ask() -> None:
            try:
                await self.services.outbox.ask_again_owed(guild_id)
            except Exception:  # the periodic retry asks again later
                log.exception("what is owed in server %s could not be asked again", guild_id)

        self._keep(asyncio.create_task(ask(), name=f"tocsin-owed-{guild_id}"))

    async def remember_locale(self, interaction: discord.Interaction[Any]) -> bool:
        """Keeps each member's last seen locale, the language of their direct messages.

        Written beside the interaction, never before it: the check runs before every command is answered, and
        a write can wait seconds for SQLite's lock (another writer, a full disk) while a read needs none.
        """
        await self.services.clock.catch_up()
        locale, user_id = str(interaction.locale), interaction.user.id
        if self._locales_seen.get(user_id) != locale:
            self._locales_seen[user_id] = locale
            self._keep(asyncio.create_task(self._remember_locale(user_id, locale), name=f"tocsin-locale-{user_id}"))
        return True

    def _keep(self, task: asyncio.Task[None]) -> None:
        """A small write left to finish beside the interaction; closing waits for it (BACKGROUND_GRACE_S)."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _remember_locale(self, user_id: int, locale: str) -> None:
        try:
            async with self.services.store.unit_of_work() as conn:
                await member_locales.remember(conn, user_id=user_id, locale=locale, seen_at=self.services.clock.now())
        except Exception:
            # Asked again at the member's next interaction; their DMs keep the last language stored meanwhile.
            self._locales_seen.pop(user_id, None)
            log.warning("could not remember the locale of %s; trying again at their next command", user_id)

    async def private_notice(self, interaction: discord.Interaction[Any]) -> str | None:
        """What the person must be told once, with their next private reply: their DMs were found closed."""
        try:
            if await following.tell_dms_closed(self.services.store, interaction.user.id, now=self.services.clock.now()):
                return self.services.catalogue.render(person_language(interaction), "dm.notice.closed")
        except Exception:  # the reply itself matters more than the notice, which waits for the next one
            log.exception("could not check whether %s must be told their DMs are closed", interaction.user.id)
        return None

    async def record_refusal(self, interaction: discord.Interaction[Any], result: str) -> None:
        """Refused attempts are audited like successful ones: who tried what, and why it was refused."""
        action, arguments = attempted(interaction)
        try:
            async with self.services.store.unit_of_work() as conn:
                await audit.record(
                    conn,
                    guild_id=interaction.guild_id,
                    actor_id=interaction.user.id,
                    action=action,
                    arguments=arguments,
                    result=result,
                    at=self.services.clock.now(),
                )
        except Exception:  # the person is answered regardless; the audit row is what is lost, and said so here
            log.warning("could not audit a refusal of %s to %s", action, interaction.user.id, exc_info=True)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        cause: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            cause = error.original
        elif isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, TocsinError):
            cause = error.__cause__  # an option refused while it was read: its own sentence, like any refusal
        elif isinstance(
            error, app_commands.TransformerError | app_commands.CommandNotFound | app_commands.CommandSignatureMismatch
        ):
            cause = admission.transformer_refusal(error)
        await self.report_error(interaction, cause)

    def explain(self, interaction: discord.Interaction[Any], cause: BaseException) -> tuple[Msg, str]:
        """What the person reads about a failure, and what the audit log records of it."""
        if isinstance(cause, TocsinError):
            return Msg(cause.message_id, cause.args_map), f"refused: {cause.message_id}"
        if isinstance(cause, app_commands.CommandOnCooldown):
            return Msg.of("core.error.cooldown", seconds=int(cause.retry_after) + 1), "refused: core.error.cooldown"
        if isinstance(cause, app_commands.NoPrivateMessage):
            return Msg.of("access.error.guild_only"), "refused: access.error.guild_only"
        reference = secrets.token_hex(4)
        log.error("unexpected error in %s (reference %s)", attempted(interaction)[0], reference, exc_info=cause)
        return Msg.of("core.error.unexpected", reference=reference), f"failed: core.error.unexpected {reference}"

    async def report_error(self, interaction: discord.Interaction[Any], cause: BaseException) -> None:
        """One private sentence for whoever acted, from a command, a button, a select or a modal alike; and one
        audit row, whatever raised it. Once their action is saved (its own audit row written), only what was done
        (bot/interactions/replies.py), never an invitation to do it again."""
        if done_statement(interaction) is not None:
            await tell_done(interaction, cause)
            return
        said, result = self.explain(interaction, cause)
        text = self.services.catalogue.word(person_language(interaction), said)
        # The refusal is audited before the answer when the database allows it within a second (so whoever reads
        # the audit next sees it), after the answer otherwise: a busy database must not cost the person theirs.
        auditing = asyncio.create_task(self.record_refusal(interaction, result), name="tocsin-refusal-audit")
        await asyncio.wait({auditing}, timeout=AUDIT_BEFORE_REPLY_S)
        try:
            await reply_private(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell %s about an error (the interaction may have expired)", interaction.user.id)
        if not auditing.done():
            self._keep(auditing)

    async def suggest_nothing(self, interaction: discord.Interaction[Any], cause: BaseException) -> None:
        """An autocomplete refused: no suggestion (a suggestion list holds no sentence), and its audit row."""
        _, result = self.explain(interaction, cause)
        try:
            await interaction.response.autocomplete([])
        except discord.HTTPException:
            log.warning("could not answer an autocomplete of %s (it may have expired)", interaction.user.id)
        self._keep(asyncio.create_task(self.record_refusal(interaction, result), name="tocsin-refusal-audit"))


def attempted(interaction: discord.Interaction[Any]) -> tuple[str, dict[str, Any]]:
    """What was tried, from the interaction's own data (a command's name and its subcommands, a component's or a
    form's custom id), made readable: a refused payload may hold what no database or message can."""
    data = admission.raw_data(interaction)
    if interaction.type in (discord.InteractionType.application_command, discord.InteractionType.autocomplete):
        names, options = [data.get("name")], data.get("options")
        while isinstance(options, list) and len(options) == 1 and isinstance(options[0], dict):
            if options[0].get("type") not in (1, 2):
                break
            names.append(options[0].get("name"))
            options = options[0].get("options")
        action = " ".join(str(name) for name in names)
        return printable(action, 100), {"options": printable(data.get("options") or [])}
    if interaction.type is discord.InteractionType.modal_submit:
        return "form", {"custom_id": printable(data.get("custom_id"), 100)}
    return "component", {"custom_id": printable(data.get("custom_id"), 100), "values": printable(data.get("values"))}


async def finish_answers(*, timeout: float) -> int:
    """Waits, at most `timeout` seconds, for the interaction handlers running now (and any they start) to end;
    returns how many are still running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        running = answering()
        left = deadline - loop.time()
        if not running or left <= 0:
            return len(running)
        await asyncio.wait(running, timeout=left)


def answering() -> list[asyncio.Task[Any]]:
    """The interaction handlers running now (other than the caller)."""
    return [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task() and not task.done() and task.get_name().startswith(ANSWERING_TASKS)
    ]


def describe_http_error(exc: BaseException) -> str:
    """One line for the log and for admins: Discord's status and code and its text, or the network's error."""
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}, code {exc.code}: {exc.text[:200]}"
    return f"{type(exc).__name__}: {exc}"[:200]


def warm_up_time_parsing() -> None:
    """Pays dateparser's first-call cost (~300 ms) at start-up rather than in someone's command."""
    timeparse.warm_up()
