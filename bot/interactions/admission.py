"""The gate every interaction passes before a command, a button, a menu or a form reads its data.

discord.py reads an interaction's data as Discord's own clients send it. A modified or outdated client can send
anything: a value outside an option's choices, text where a number belongs, a lone surrogate, a button this
version never made, a channel, role or member of another server. Here each is checked (the rules are
`payload_rules.py`) against what Tocsin declared — the commands as synced to Discord, the components the message
carries, the forms it opened — and every id an option or a menu names is looked for in the server the
interaction came from. What fails becomes a `PayloadError`, answered and audited like any refusal
(`TocsinBot.report_error`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from weakref import WeakValueDictionary

import discord
from discord import app_commands

from bot.interactions.access import (
    require_this_server_channel,
    require_this_server_member,
    require_this_server_role,
)
from bot.interactions.payload_rules import (
    FormField,
    Named,
    PayloadError,
    check_channel_kind,
    check_command,
    check_form,
    check_menu,
    outdated,
    snowflake,
)

# The forms (modals) opened and not yet submitted nor expired, by custom id: a submission of any other form is
# answered by the bot rather than dropped (discord.py ignores it).
OPEN_FORMS: WeakValueDictionary[str, discord.ui.Modal] = WeakValueDictionary()


def raw_data(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """The interaction's data as Discord sent it (discord.py keeps it unparsed), or nothing."""
    data: Any = interaction.data
    return data if isinstance(data, dict) else {}


class CommandSchemas:
    """Each command as it was declared to Discord (options, types, choices, ranges, names in every language),
    made from the tree the first time someone runs it."""

    def __init__(self, tree: app_commands.CommandTree[Any]) -> None:
        self._tree = tree
        self._known: dict[tuple[int | None, str], dict[str, Any]] = {}

    async def of(self, name: str, guild_id: int | None) -> dict[str, Any] | None:
        key = (guild_id, name)
        if key in self._known:
            return self._known[key]
        tree = self._tree
        command = tree.get_command(name, guild=discord.Object(guild_id)) if guild_id is not None else None
        command = command or tree.get_command(name)
        if not isinstance(command, app_commands.Command | app_commands.Group):
            return None  # not kept: a forged name must not grow this
        translator = tree.translator
        schema = await command.get_translated_payload(tree, translator) if translator else command.to_dict(tree)
        self._known[key] = schema
        return schema


async def admit_command(interaction: discord.Interaction[Any], schemas: CommandSchemas) -> None:
    """A slash command or an autocomplete, before discord.py reads its options."""
    data = raw_data(interaction)
    if not isinstance(data.get("name"), str):
        raise outdated()
    schema = await schemas.of(data["name"], snowflake(data.get("guild_id")))
    if schema is None:
        raise outdated()
    autocomplete = interaction.type is discord.InteractionType.autocomplete
    named = check_command(schema, data, locale=str(interaction.locale), autocomplete=autocomplete)
    await require_here(interaction, named)


async def require_here(interaction: discord.Interaction[Any], named: Iterable[Named]) -> None:
    """Every channel, role and member named belongs to the server the interaction came from."""
    for item in named:
        if item.kind == "channel":
            channel = await require_this_server_channel(interaction, item.id)
            # Its kind as the server has it, whatever the interaction claims about it.
            check_channel_kind(
                item.id, getattr(getattr(channel, "type", None), "value", None), item.channel_types, item.label
            )
        elif item.kind == "role":
            await require_this_server_role(interaction, item.id)
        else:
            await require_this_server_member(interaction, item.id)


# --- buttons and menus ------------------------------------------------------------------------------------


def carried(interaction: discord.Interaction[Any]) -> discord.ui.Item[Any] | None:
    """The component clicked or chosen, as the message carries it (its custom id and its type), found the way
    discord.py looks for it before a dynamic item answers; None when the message carries no such component."""
    data = raw_data(interaction)
    custom_id, component_type = data.get("custom_id"), data.get("component_type")
    message = interaction.message
    if message is None or not isinstance(custom_id, str):
        return None
    view_type = discord.ui.LayoutView if message.flags.components_v2 else discord.ui.View
    view = view_type.from_message(message, timeout=None)
    return discord.utils.find(
        lambda item: item.type.value == component_type and getattr(item, "custom_id", None) == custom_id,
        view.walk_children(),
    )


def answered(
    interaction: discord.Interaction[Any],
    items: Iterable[type[discord.ui.DynamicItem[Any]]],
    views: Sequence[discord.ui.view.BaseView],
) -> bool:
    """Whether a button or menu of Tocsin will answer this click: a persistent view's item, or a dynamic item
    whose template the custom id matches, on a message that carries that component."""
    data = raw_data(interaction)
    custom_id, component_type = data.get("custom_id"), data.get("component_type")
    if not isinstance(custom_id, str):
        return False
    for view in views:
        if any(
            getattr(item, "custom_id", None) == custom_id and item.type.value == component_type
            for item in view.walk_children()
        ):
            return True
    if carried(interaction) is None:
        return False
    return any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in items)


async def admit_component(interaction: discord.Interaction[Any]) -> None:
    """A click or a menu's choice, before its item reads the values."""
    item = carried(interaction)
    if item is None:
        raise PayloadError("core.error.component_outdated")
    named = check_menu(item.to_component_dict(), raw_data(interaction))
    await require_here(interaction, named)


# --- forms ------------------------------------------------------------------------------------------------


def form_opened(form: discord.ui.Modal) -> None:
    OPEN_FORMS[form.custom_id] = form


def form_open(custom_id: Any) -> bool:
    form = OPEN_FORMS.get(custom_id) if isinstance(custom_id, str) else None
    return form is not None and not form.is_finished()


def form_fields(form: discord.ui.Modal) -> list[FormField]:
    fields = []
    for item in form.walk_children():
        if isinstance(item, discord.ui.TextInput):
            declared = item.to_component_dict()
            fields.append(
                FormField(
                    custom_id=str(declared.get("custom_id")),
                    label=str(declared.get("label") or declared.get("custom_id")),
                    required=bool(declared.get("required", True)),
                    min_length=declared.get("min_length"),
                    max_length=declared.get("max_length"),
                )
            )
    return fields


def admit_form(form: discord.ui.Modal, interaction: discord.Interaction[Any]) -> None:
    """A form's submission, before its fields are read."""
    check_form(form_fields(form), raw_data(interaction).get("components"))


# --- what discord.py refused itself -----------------------------------------------------------------------


def transformer_refusal(error: app_commands.AppCommandError) -> PayloadError:
    """discord.py's own refusals of an option (a user who is not a member where a member is needed…) or of a
    command it does not know, as sentences."""
    if isinstance(error, app_commands.TransformerError):
        ident = getattr(error.value, "id", error.value)
        if error.type is discord.AppCommandOptionType.user:
            return PayloadError("access.error.other_server_member", member=f"<@{ident}>")
        if error.type is discord.AppCommandOptionType.role:
            return PayloadError("access.error.other_server_role", role=f"<@&{ident}>")
        if error.type is discord.AppCommandOptionType.channel:
            return PayloadError("access.error.other_server", channel=f"<#{ident}>")
    return outdated()
