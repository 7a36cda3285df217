"""What an interaction's data must hold before anything reads it.

For its own clients, Discord checks that an option has its declared type, one of its choices, a value within its
range and length; that a menu's values are among its options and as many as it allows; that a form's fields are
filled and within their length. A modified or outdated client passes none of these checks, and discord.py trusts
the data as if it had. These rules make the checks again — from the command as it was declared to Discord (its
synced payload, names in every language), the component as the message carries it, the form as it was opened —
and refuse with a sentence that names the option and what to change, in the words the person's client shows.

Pure: plain data in; a refusal, or the channels, roles and members named (which `admission.py` then looks for in
the server), out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.common.errors import TocsinError
from bot.common.i18n import Msg
from bot.common.text import safe_text, truncate

# Application command option types (Discord's numbers).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
# Component types.
BUTTON, STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 2, 3, 5, 6, 7, 8

MAX_OPTION_TEXT = 6000  # the longest text any string option takes on Discord
MAX_FIELD_TEXT = 4000  # the longest text a form's field takes on Discord
SAFE_INTEGER = 2**53  # Discord's integer and number options stay within ±2^53
SHOWN = 60  # how much of a refused value a sentence quotes back

# Half of a UTF-16 pair on its own, or a control character other than tab and line breaks: nothing a keyboard
# types, and what neither SQLite (UTF-8) nor a message can carry as it is.
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SNOWFLAKE = re.compile(r"[0-9]{1,20}")

KIND_WORDS = {
    STRING: "core.option_kind.string",
    INTEGER: "core.option_kind.integer",
    BOOLEAN: "core.option_kind.boolean",
    USER: "core.option_kind.user",
    CHANNEL: "core.option_kind.channel",
    ROLE: "core.option_kind.role",
    MENTIONABLE: "core.option_kind.mentionable",
    NUMBER: "core.option_kind.number",
    ATTACHMENT: "core.option_kind.attachment",
}
CHANNEL_KIND_WORDS = {
    0: "setup.kind.text",
    5: "setup.kind.news",
    15: "setup.kind.forum",
    2: "setup.kind.voice",
    13: "setup.kind.stage",
    4: "setup.kind.category",
    10: "setup.kind.thread",
    11: "setup.kind.thread",
    12: "setup.kind.thread",
}


class PayloadError(TocsinError):
    """Data no Discord client would have sent; the sentence says what to change."""


@dataclass(frozen=True)
class Named:
    """A channel, role or member an option or a menu names: it must be found in the server acted in (a channel
    of one of `channel_types`, if given, which `label` names)."""

    kind: Literal["channel", "role", "member"]
    id: int
    channel_types: tuple[int, ...] = ()
    label: str | None = None


@dataclass(frozen=True)
class FormField:
    """A text field of a form, as it was opened."""

    custom_id: str
    label: str
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None


def unreadable(text: str) -> bool:
    return _UNREADABLE.search(text) is not None


def printable(value: Any, limit: int = 300) -> Any:
    """`value` (raw data, nested) with unreadable characters replaced and long texts cut: fit to be stored and
    shown back (the audit log)."""
    if isinstance(value, str):
        return truncate(_UNREADABLE.sub("\ufffd", value), limit)
    if isinstance(value, Mapping):
        return {printable(str(k), 100): printable(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v, limit) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return printable(str(value), limit)


def shown(value: Any) -> str:
    """A refused value as a sentence quotes it: readable, no mention or markdown, short."""
    text = value if isinstance(value, str) else json.dumps(printable(value), ensure_ascii=False)
    return truncate(safe_text(_UNREADABLE.sub("\ufffd", text)), SHOWN)


def either(words: Sequence[str | Msg]) -> str | Msg:
    """ "a, b or c" in the reader's language."""
    if not words:
        return ""
    head: str | Msg = words[0]
    for word in words[1:-1]:
        head = Msg.of("core.list.comma", a=head, b=word)
    return head if len(words) == 1 else Msg.of("core.list.or", a=head, b=words[-1])


def localised(declared: Mapping[str, Any], locale: str) -> str:
    """A declared name (an option's, a choice's) as a client in `locale` shows it."""
    names = declared.get("name_localizations") or {}
    return str(names.get(locale) or declared.get("name", ""))


def outdated() -> PayloadError:
    return PayloadError("core.error.outdated_command")


def wrong_kind(label: str, option_type: Any, value: Any) -> PayloadError:
    kind = KIND_WORDS.get(option_type, "core.option_kind.string")
    return PayloadError("core.error.option_kind", option=label, kind=Msg.of(kind), value=shown(value))


def snowflake(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**64 else None
    if isinstance(value, str) and _SNOWFLAKE.fullmatch(value):
        return int(value) if 0 < int(value) < 2**64 else None
    return None


# --- slash commands ---------------------------------------------------------------------------------------


def check_command(
    schema: Mapping[str, Any], data: Mapping[str, Any], *, locale: str, autocomplete: bool = False
) -> list[Named]:
    """Checks a slash command's `data` against its `schema` (the command as synced, with localisations);
    returns what it names, to be found in the server. An autocomplete names nothing: Discord resolves nothing
    for it and suggestions change nothing."""
    if data.get("name") != schema.get("name") or data.get("type", 1) != schema.get("type", 1):
        raise outdated()
    declared = _options(schema)
    given = _given(data)
    # Down to the subcommand run: exactly one of those declared, named and typed as declared.
    while any(d.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in declared):
        if len(given) != 1:
            raise outdated()
        chosen = given[0]
        spec = next(
            (d for d in declared if d.get("name") == chosen.get("name") and d.get("type") == chosen.get("type")),
            None,
        )
        if spec is None:
            raise outdated()
        declared, given = _options(spec), _given(chosen)
    resolved = data.get("resolved")
    resolved = resolved if isinstance(resolved, Mapping) else {}
    by_name = {str(d.get("name")): d for d in declared}
    seen: set[str] = set()
    named: list[Named] = []
    focused = 0
    for option in given:
        name = option.get("name")
        spec = by_name.get(name) if isinstance(name, str) else None
        if spec is None or name in seen or option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise outdated()
        seen.add(str(name))
        label = localised(spec, locale)
        if autocomplete and option.get("focused") is True:
            # What is being typed: any text, which the suggestions read.
            focused += 1
            _check_text(option.get("value"), label, STRING, MAX_OPTION_TEXT, None)
            continue
        found = _check_option(spec, option, label, resolved, locale)
        if not autocomplete:
            named.extend(found)
    if autocomplete:
        if focused != 1:
            raise outdated()
        return []
    for spec in declared:
        if spec.get("required") and spec.get("name") not in seen:
            raise PayloadError("core.error.option_required", option=localised(spec, locale))
    return named


def _options(declared: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [d for d in declared.get("options") or [] if isinstance(d, Mapping)]


def _given(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    given = data.get("options", [])
    if given is None:
        return []
    if not isinstance(given, list) or not all(isinstance(o, Mapping) for o in given):
        raise outdated()
    return given


def _check_option(
    spec: Mapping[str, Any], option: Mapping[str, Any], label: str, resolved: Mapping[str, Any], locale: str
) -> list[Named]:
    option_type = spec.get("type")
    value = option.get("value")
    if option.get("type") != option_type or "value" not in option:
        raise wrong_kind(label, option_type, value)
    if option_type == STRING:
        limit = min(int(spec.get("max_length") or MAX_OPTION_TEXT), MAX_OPTION_TEXT)
        _check_text(value, label, STRING, limit, spec.get("min_length"))
    elif option_type in (INTEGER, NUMBER):
        _check_number(spec, value, label)
    elif option_type == BOOLEAN:
        if not isinstance(value, bool):
            raise wrong_kind(label, option_type, value)
    elif option_type in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
        ident = snowflake(value)
        if ident is None:
            raise wrong_kind(label, option_type, value)
        return _named(option_type, ident, label, spec, resolved)
    else:
        raise outdated()
    _check_choice(spec, value, label, locale)
    return []


def _check_text(value: Any, label: str, option_type: int, limit: int, minimum: Any) -> None:
    if not isinstance(value, str):
        raise wrong_kind(label, option_type, value)
    if unreadable(value):
        raise PayloadError("core.error.unreadable_text", option=label)
    if len(value) > limit:
        raise PayloadError("core.error.option_too_long", option=label, length=len(value), limit=limit)
    if isinstance(minimum, int) and len(value) < minimum:
        raise PayloadError("core.error.option_too_short", option=label, limit=minimum)


def _check_number(spec: Mapping[str, Any], value: Any, label: str) -> None:
    option_type = spec.get("type")
    whole = isinstance(value, int) and not isinstance(value, bool)
    number = whole or (option_type == NUMBER and isinstance(value, float) and math.isfinite(value))
    if not number or abs(value) > SAFE_INTEGER:
        raise wrong_kind(label, option_type, value)
    low, high = spec.get("min_value"), spec.get("max_value")
    if isinstance(low, int | float) and value < low:
        raise PayloadError("core.error.option_minimum", option=label, minimum=low, value=shown(value))
    if isinstance(high, int | float) and value > high:
        raise PayloadError("core.error.option_maximum", option=label, maximum=high, value=shown(value))


def _check_choice(spec: Mapping[str, Any], value: Any, label: str, locale: str) -> None:
    choices = [c for c in spec.get("choices") or [] if isinstance(c, Mapping)]
    if choices and not any(c.get("value") == value and type(c.get("value")) is type(value) for c in choices):
        raise PayloadError(
            "core.error.option_choice",
            option=label,
            value=shown(value),
            choices=either([localised(c, locale) for c in choices]),
        )


def _entry(resolved: Mapping[str, Any], part: str, ident: int) -> Mapping[str, Any] | None:
    entries = resolved.get(part)
    entry = entries.get(str(ident)) if isinstance(entries, Mapping) else None
    return entry if isinstance(entry, Mapping) else None


def _named(
    option_type: int, ident: int, label: str | None, spec: Mapping[str, Any], resolved: Mapping[str, Any]
) -> list[Named]:
    """What an id option names, as Discord resolved it; data it did not resolve names nothing of this server."""
    if option_type == ATTACHMENT:
        if _entry(resolved, "attachments", ident) is None:
            raise wrong_kind(label or "", option_type, ident)
        return []
    if option_type == MENTIONABLE and _entry(resolved, "roles", ident) is not None:
        return [Named("role", ident)]
    if option_type in (USER, MENTIONABLE):
        if _entry(resolved, "users", ident) is None:
            raise PayloadError("access.error.other_server_member", member=f"<@{ident}>")
        # Someone who is not a member comes as a user alone: only an option taking any user accepts them
        # (discord.py refuses them to a `Member` parameter).
        return [Named("member", ident)] if _entry(resolved, "members", ident) is not None else []
    if option_type == ROLE:
        if _entry(resolved, "roles", ident) is None:
            raise PayloadError("access.error.other_server_role", role=f"<@&{ident}>")
        return [Named("role", ident)]
    channel = _entry(resolved, "channels", ident)
    if channel is None:
        raise PayloadError("access.error.other_server", channel=f"<#{ident}>")
    kinds = tuple(k for k in spec.get("channel_types") or () if isinstance(k, int))
    check_channel_kind(ident, channel.get("type"), kinds, label)
    return [Named("channel", ident, kinds, label)]


def check_channel_kind(ident: int, channel_type: Any, kinds: Sequence[int], label: str | None) -> None:
    """A channel of a kind the option (`label`; None: a menu) offers, when it offers some."""
    if not kinds or channel_type in kinds:
        return
    words = list(dict.fromkeys(CHANNEL_KIND_WORDS.get(k, "setup.kind.other") for k in kinds))
    kind = Msg.of(CHANNEL_KIND_WORDS.get(channel_type, "setup.kind.other"))
    offered = either([Msg.of(word) for word in words])
    if label is None:
        raise PayloadError("core.error.menu_channel_kind", channel=f"<#{ident}>", kind=kind, kinds=offered)
    raise PayloadError("core.error.channel_kind", channel=f"<#{ident}>", kind=kind, option=label, kinds=offered)


# --- buttons and menus ------------------------------------------------------------------------------------


def check_menu(component: Mapping[str, Any], data: Mapping[str, Any]) -> list[Named]:
    """A click or a choice on `component` (as the message carries it); returns what a user, role or channel menu
    names, to be found in the server."""
    component_type = component.get("type")
    if component_type == BUTTON:
        return []
    values = data.get("values")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PayloadError("core.error.menu_choice", value=shown(values))
    low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
    if len(set(values)) != len(values) or not low <= len(values) <= high:
        if high == 1:
            raise PayloadError("core.error.menu_one")
        raise PayloadError("core.error.menu_count", minimum=low, maximum=high)
    if component_type == STRING_SELECT:
        offered = {option.get("value") for option in component.get("options") or [] if isinstance(option, Mapping)}
        for value in values:
            if value not in offered:
                raise PayloadError("core.error.menu_choice", value=shown(value))
        return []
    resolved = data.get("resolved")
    resolved = resolved if isinstance(resolved, Mapping) else {}
    option_type = {USER_SELECT: USER, ROLE_SELECT: ROLE, MENTIONABLE_SELECT: MENTIONABLE, CHANNEL_SELECT: CHANNEL}
    named: list[Named] = []
    for value in values:
        ident = snowflake(value)
        if ident is None or component_type not in option_type:
            raise PayloadError("core.error.menu_choice", value=shown(value))
        kind = option_type[component_type]
        found = _named(kind, ident, None, {"channel_types": component.get("channel_types")}, resolved)
        # A user menu names members only: someone who is not a member is not among its choices.
        if kind == USER and not found:
            raise PayloadError("access.error.other_server_member", member=f"<@{ident}>")
        named.extend(found)
    return named


# --- forms ------------------------------------------------------------------------------------------------


def check_form(fields: Sequence[FormField], components: Any) -> dict[str, str]:
    """A form's submitted `components` against its `fields`; returns each field's value."""
    submitted = _submitted(components)
    values: dict[str, str] = {}
    for form_field in fields:
        value = submitted.get(form_field.custom_id, "")
        limit = min(form_field.max_length or MAX_FIELD_TEXT, MAX_FIELD_TEXT)
        _check_text(value, form_field.label, STRING, limit, form_field.min_length)
        if value == "" and form_field.required:
            raise PayloadError("core.error.option_required", option=form_field.label)
        values[form_field.custom_id] = value
    return values


def _submitted(components: Any) -> dict[str, Any]:
    """custom id → value of every field in a form's rows (action rows, or labels holding one field)."""
    if not isinstance(components, list):
        raise PayloadError("core.error.form_closed")
    found: dict[str, Any] = {}
    for row in components:
        if not isinstance(row, Mapping):
            raise PayloadError("core.error.form_closed")
        inner = row.get("components") if row.get("type") == 1 else [row.get("component")]
        for item in inner if isinstance(inner, list) else []:
            if isinstance(item, Mapping) and isinstance(item.get("custom_id"), str):
                found[item["custom_id"]] = item.get("value")
    return found
