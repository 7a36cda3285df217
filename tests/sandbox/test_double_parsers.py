"""Every payload the double sends passes discord.py's own parsers: a real client exercises each event kind and
REST route the double implements, and no WARNING+ record from the "discord" loggers nor any handler exception
may appear."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.sandbox import DiscordDouble, Perm
from bot.sandbox.state.objects import DEFAULT_BOT_PERMISSIONS
from tests.sandbox.double_client import running

T0 = datetime(2024, 10, 19, 8, 0, tzinfo=UTC)


class AckView(discord.ui.View):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(timeout=None)
        self.errors = errors

    @discord.ui.button(label="Vu", custom_id="tocsin:ack", style=discord.ButtonStyle.primary)
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button[AckView]) -> None:
        await interaction.response.edit_message(content="acknowledged", view=self)

    @discord.ui.select(
        custom_id="tocsin:status",
        options=[
            discord.SelectOption(label="En cours", value="open"),
            discord.SelectOption(label="Fini", value="done"),
        ],
    )
    async def status(self, interaction: discord.Interaction, select: discord.ui.Select[AckView]) -> None:
        await interaction.response.defer()
        await interaction.followup.send(f"status {select.values[0]}", ephemeral=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        self.errors.append(f"view: {error!r}")


class NoteModal(discord.ui.Modal, title="Note"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Note", custom_id="note")

    def __init__(self, errors: list[str]) -> None:
        super().__init__()
        self.errors = errors

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}", ephemeral=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        self.errors.append(f"modal: {error!r}")


def build_bot(errors: list[str], events: list[str]) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook() -> None:
        bot.add_view(AckView(errors))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]

    async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
        import sys

        errors.append(f"{event}: {sys.exc_info()[1]!r}")

    bot.on_error = on_error  # type: ignore[method-assign]

    for name in (
        "message",
        "raw_message_edit",
        "raw_message_delete",
        "thread_create",
        "thread_update",
        "raw_thread_update",
        "thread_member_join",
        "guild_role_create",
        "guild_role_update",
        "guild_role_delete",
        "member_update",
        "member_join",
        "guild_channel_update",
        "guild_channel_pins_update",
        "interaction",
        "resumed",
        "guild_channel_create",
    ):

        async def listener(*args: Any, _name: str = name) -> None:
            events.append(_name)

        bot.add_listener(listener, "on_" + name)

    tocsin = app_commands.Group(name="tocsin", description="Tocsin")

    @tocsin.command(name="about", description="About")
    async def about(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Tocsin", description="ok", timestamp=discord.utils.utcnow())
        await interaction.response.send_message("about", embed=embed, view=AckView(errors))

    @tocsin.command(name="slow", description="Slow")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="slow done")
        await interaction.followup.send("and a follow-up")

    @tocsin.command(name="secret", description="Secret")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("just you", ephemeral=True)

    @tocsin.command(name="form", description="Form")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal(errors))

    outage = app_commands.Group(name="outage", description="Outages")

    @outage.command(name="update", description="Update")
    @app_commands.describe(incident="Incident")
    async def update(
        interaction: discord.Interaction,
        incident: str,
        who: discord.Member | None = None,
        role: discord.Role | None = None,
        where: discord.TextChannel | None = None,
        count: int = 1,
        ratio: float = 1.0,
        silent: bool = False,
    ) -> None:
        parts = [
            incident,
            str(who and who.id),
            str(role and role.id),
            str(where and where.id),
            str(count),
            str(ratio),
            str(silent),
        ]
        await interaction.response.send_message(" ".join(parts), ephemeral=True)

    @update.autocomplete("incident")
    async def incident_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"#{i} {current}", value=str(i)) for i in range(3)]

    async def tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        errors.append(f"tree: {error!r}")

    bot.tree.on_error = tree_error  # type: ignore[method-assign]
    bot.tree.add_command(tocsin)
    bot.tree.add_command(outage)
    return bot


async def test_discord_py_parses_everything_the_double_sends() -> None:
    errors: list[str] = []
    events: list[str] = []
    double = DiscordDouble(T0, privileged_intents=int(discord.Intents(members=True, message_content=True).value))
    async with double:
        # Pinning needs Pin Messages, which the bot's default permissions lack.
        g = double.add_guild(
            "Coordination Grand Ouest", bot_permissions=DEFAULT_BOT_PERMISSIONS | int(Perm.PIN_MESSAGES)
        )
        ch = g.add_text_channel("annonces", topic="Annonces")
        forum = g.add_forum_channel("incidents", tags=["en cours", "résolu"])
        role_id = g.add_role("pharmacies-29", mentionable=True)
        alice = g.add_member("alice", roles=[role_id], locale="fr")
        bob = g.add_member("bob", locale="en-US")
        bot = build_bot(errors, events)
        async with running(double, bot) as problems:
            guild = bot.get_guild(g.id)
            assert guild is not None
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            assert {c.name for c in synced} == {"tocsin", "outage"}

            # Interactions: reply with view, deferral + edit + follow-up, ephemeral, modal, autocomplete.
            ix = await double.run_command(alice, ch, "tocsin about")
            about = await ix.reply()
            assert about["content"] == "about" and about["embeds"][0]["title"] == "Tocsin"
            click = await double.click(bob, ch, int(about["id"]), "tocsin:ack")
            assert (await click.reply())["content"] == "acknowledged"
            chosen = await double.select(bob, ch, int(about["id"]), "tocsin:status", ["done"])
            assert (await chosen.reply())["content"] == "status done" and chosen.ephemeral is False
            slow = await double.run_command(alice, ch, "tocsin slow")
            assert (await slow.reply())["content"] == "slow done"
            await double.wait_for(lambda: len(slow.followups) == 1)
            secret = await double.run_command(bob, ch, "tocsin secret", locale="en-US")
            assert (await secret.reply())["content"] == "just you" and secret.ephemeral
            assert all(m["content"] != "just you" for m in double.channel_messages(ch))
            form = await double.run_command(alice, ch, "tocsin form")
            submitted = await form.submit_modal({"note": "Cerp à l'arrêt"})
            assert (await submitted.reply())["content"] == "noted: Cerp à l'arrêt"
            choices = await double.autocomplete(alice, ch, "outage update", focused="incident", value="cer")
            assert [c["value"] for c in choices] == ["0", "1", "2"]
            upd = await double.run_command(
                alice,
                ch,
                "outage update",
                {"incident": "2", "who": bob, "role": role_id, "where": ch, "count": 3, "ratio": 0.5, "silent": True},
            )
            assert (await upd.reply())["content"] == f"2 {bob} {role_id} {ch} 3 0.5 True"

            # Messages: send with nonce, edit, pin, history, fetch, delete; a member typing.
            channel = bot.get_channel(ch)
            assert isinstance(channel, discord.TextChannel)
            sent = await channel.send("annonce", nonce="row-1")
            assert sent.created_at == T0
            await sent.edit(content="annonce modifiée")
            await sent.pin()
            assert [m.id async for m in channel.pins()] == [sent.id]
            await sent.unpin()
            history = [m async for m in channel.history(limit=10)]
            # The pin posted its "pinned a message" line, pointing at the message.
            assert history[0].type == discord.MessageType.pins_add and history[0].reference.message_id == sent.id
            assert history[1].id == sent.id
            fetched = await channel.fetch_message(sent.id)
            assert fetched.content == "annonce modifiée"
            await double.post_message(alice, ch, "je suis touchée aussi")
            await double.wait_for(lambda: "message" in events)
            temp = await channel.send("temp")
            await temp.delete()

            # Threads: from a message, archive by the clock, members, forum post with tags, active threads.
            thread = await sent.create_thread(name="Incident #1", auto_archive_duration=60)
            await thread.send("mise à jour")
            await thread.add_user(discord.Object(bob))
            await double.advance(timedelta(hours=2))
            await double.wait_for(lambda: "raw_thread_update" in events)
            await thread.edit(archived=False)
            forum_channel = bot.get_channel(forum)
            assert isinstance(forum_channel, discord.ForumChannel)
            tag = forum_channel.available_tags[0]
            post = await forum_channel.create_thread(name="Cerp", content="Déclaré", applied_tags=[tag])
            assert post.thread.applied_tags == [tag] and post.message.content == "Déclaré"
            await post.thread.edit(applied_tags=[forum_channel.available_tags[1]])
            active = await guild.active_threads()
            assert {t.id for t in active} >= {thread.id, post.thread.id}
            fetched_thread = await bot.fetch_channel(thread.id)
            assert isinstance(fetched_thread, discord.Thread)

            # Roles, members, overwrites, DMs.
            new_role = await guild.create_role(name="suivi-12", mentionable=True)
            member = await guild.fetch_member(bob)
            await member.add_roles(new_role)
            await double.wait_for(lambda: "member_update" in events)
            await member.remove_roles(new_role)
            await new_role.edit(name="suivi-12b")
            await channel.set_permissions(new_role, view_channel=True)
            await new_role.delete()
            dm = await member.send("un message privé")
            assert [m["content"] for m in double.dms(bob)] == [dm.content]
            await asyncio.sleep(0)
            await double.wait_for(lambda: {"guild_role_create", "guild_role_delete", "thread_create"} <= set(events))

            # A gateway drop, resumed.
            await double.drop_gateway()
            await double.wait_for(lambda: "resumed" in events, timeout=20)
            later = await double.run_command(alice, ch, "tocsin secret")
            assert (await later.reply())["content"] == "just you"

        assert problems.summary() == []
        assert errors == []
