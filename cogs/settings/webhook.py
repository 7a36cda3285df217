"""`/webhook` (bot/webhooks): add a signed webhook (its secret shown once, privately), list, remove, rotate a secret
(shown once), and switch all of the server's webhooks, or one, on and off; and what `/setup check` says of them.
A command of its own beside `/setup`, which is at Discord's 4,000 characters per command; part of the settings'
cog all the same. Manage Server is checked in code (`SetupBase._actor`), whatever Discord's default permissions
say."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.common.actor import Actor
from bot.common.i18n import Language, Msg
from bot.common.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, MESSAGE_CONTENT
from bot.common.text import truncate
from bot.interactions.replies import person_language, reply_done
from bot.interactions.translator import text
from bot.settings import presentation
from bot.settings.presentation import Section
from bot.webhooks.presentation import shown_url
from bot.webhooks.rules import EVENTS, EventKind, WebhookError
from bot.webhooks.use_cases import SecretShown, check_lines
from cogs.common.groups import server_group
from cogs.common.options import Option, Subcommands
from cogs.settings.groups import SetupBase, admin_list, admin_typing

if TYPE_CHECKING:
    from bot.composition import Services

webhook_group = server_group(
    text("webhook", "cmd.webhook.name"),
    text("Signed webhooks: other systems told of incidents over HTTP (admins)", "cmd.webhook.description"),
    default_permissions=discord.Permissions(manage_guild=True),
)
ALL = "all"
webhook_command = Subcommands(webhook_group)
WHICH = Option(text("webhook", "cmd.webhook.number.name"), text("Which one", "cmd.webhook.number"))


def chosen_events(value: str | None) -> frozenset[EventKind]:
    """The events typed or picked: "all" (or nothing) for every one, else event names separated by commas."""
    if value is None or value.strip().casefold() in ("", ALL):
        return frozenset(EVENTS)
    known = {kind.value: kind for kind in EVENTS}
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or any(name not in known for name in names):
        raise WebhookError("webhook.error.events")
    return frozenset(known[name] for name in names)


def event_choices(render: Callable[[str], str], current: str) -> list[tuple[str, str]]:
    """What the autocomplete of `events:` offers, as (name, value): "all" and each event alone while nothing is
    chosen; after events already typed (values or names, separated by commas), those events and one more. The
    last part typed narrows the events offered (by name or value)."""
    *before, last = current.split(",")
    by_words = {render(words).casefold(): kind for kind, words in EVENTS.items()}
    known = {kind.value: kind for kind in EVENTS} | by_words
    chosen = list(dict.fromkeys(known[p.strip().casefold()] for p in before if p.strip().casefold() in known))
    query = last.strip().casefold()
    found: list[tuple[str, str]] = []
    if not chosen and query in render("webhook.events.all").casefold() + " " + ALL:
        found.append((render("webhook.events.all"), ALL))
    for kind in EVENTS:
        if kind in chosen or (query not in render(EVENTS[kind]).casefold() and query not in kind.value):
            continue
        picked = [*chosen, kind]
        name = ", ".join(render(EVENTS[k]) for k in picked)
        found.append((truncate(name, CHOICE_NAME), ",".join(k.value for k in picked)))
    return found[:AUTOCOMPLETE_CHOICES]


async def suggest_events(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    if admin_typing(interaction) is None:
        return []
    language, catalogue = person_language(interaction), interaction.client.services.catalogue
    found = event_choices(lambda key: catalogue.render(language, key), current)
    return [app_commands.Choice(name=name, value=value) for name, value in found]


async def listed_webhooks(
    services: Services, actor: Actor, interaction: discord.Interaction[Any]
) -> list[tuple[str, str]]:
    listed = await services.webhooks.listed(actor.guild_id)
    return [(f"#{w.number} {shown_url(w.url)}", str(w.number)) for w in listed.webhooks]


class WebhookSetup(SetupBase):
    webhook_group = webhook_group  # an attribute of the cog, so that discord.py registers it

    async def _shown_once(self, interaction: discord.Interaction[Any], shown: SecretShown) -> None:
        language = person_language(interaction)
        catalogue = self.services.catalogue
        lines = [presentation.word(catalogue, language, line) for line in shown.outcome.lines]
        lines.append(catalogue.render(language, "webhook.secret", secret=f"`{shown.secret}`"))
        await reply_done(interaction, truncate("\n".join(lines), MESSAGE_CONTENT))

    @webhook_command(
        "add",
        "Send incidents' events to a URL, signed",
        url=Option(text("url", "cmd.webhook.url.name"), text("Where to send them (https)", "cmd.webhook.url")),
        events=Option(
            text("events", "cmd.webhook.events.name"), text("Which events (all if left out)", "cmd.webhook.events")
        ),
        private_too=Option(
            text("private-incidents-too", "cmd.webhook.private.name"),
            text("Also incidents not shown on the public page", "cmd.webhook.private"),
        ),
    )
    @app_commands.autocomplete(events=suggest_events)
    async def webhook_add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2000],
        events: str | None = None,
        private_too: bool = False,
    ) -> None:
        actor = self._actor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the URL's name is resolved first
        shown = await self.services.webhooks.add(
            actor, url, chosen_events(events), public_only=not private_too, now=self.services.clock.now()
        )
        await self._shown_once(interaction, shown)

    @webhook_command("list", "The server's webhooks")
    async def webhook_list(self, interaction: discord.Interaction[Any]) -> None:
        actor = self._actor(interaction)
        listed = await self.services.webhooks.listed(actor.guild_id)
        language, catalogue = person_language(interaction), self.services.catalogue
        lines = [presentation.word(catalogue, language, line) for line in listed.lines]
        if not lines:
            lines.append(catalogue.render(language, "webhook.none"))
        if not listed.switched_on:
            lines.append(catalogue.render(language, "webhook.check.switched_off"))
        title = catalogue.render(language, "webhook.title", count=len(listed.webhooks))
        await reply_done(interaction, truncate("\n".join([f"**{title}**", *lines]), MESSAGE_CONTENT))

    @webhook_command("remove", "Stop and forget a webhook", webhook=WHICH)
    @app_commands.autocomplete(webhook=admin_list(listed_webhooks))
    async def webhook_remove(self, interaction: discord.Interaction[Any], webhook: str) -> None:
        actor = self._actor(interaction)
        outcome = await self.services.webhooks.remove(actor, webhook, now=self.services.clock.now())
        await self._say(interaction, outcome)

    @webhook_command("rotate", "Give a webhook a new secret (shown once)", webhook=WHICH)
    @app_commands.autocomplete(webhook=admin_list(listed_webhooks))
    async def webhook_rotate(self, interaction: discord.Interaction[Any], webhook: str) -> None:
        actor = self._actor(interaction)
        shown = await self.services.webhooks.rotate(actor, webhook, now=self.services.clock.now())
        await self._shown_once(interaction, shown)

    @webhook_command(
        "switch",
        "Turn all webhooks, or one, on or off",
        on=Option(text("on", "cmd.webhook.on.name"), text("On or off", "cmd.webhook.on")),
        webhook=Option(WHICH.name, text("Only this one (all if left out)", "cmd.webhook.only")),
    )
    @app_commands.autocomplete(webhook=admin_list(listed_webhooks))
    async def webhook_switch(self, interaction: discord.Interaction[Any], on: bool, webhook: str | None = None) -> None:
        actor = self._actor(interaction)
        outcome = await self.services.webhooks.switch(actor, on, number=webhook, now=self.services.clock.now())
        await self._say(interaction, outcome)


async def webhook_sections(services: Services, guild: discord.Guild | None, language: Language) -> list[Section]:
    """What `/setup check` says of webhooks: those paused, and the switch when off (nothing when all is well)."""
    if guild is None:
        return []
    lines: tuple[Msg, ...] = check_lines(await services.webhooks.listed(guild.id))
    if not lines:
        return []
    catalogue = services.catalogue
    title = catalogue.render(language, "webhook.check.title")
    return [Section(title, tuple(presentation.word(catalogue, language, line) for line in lines))]
