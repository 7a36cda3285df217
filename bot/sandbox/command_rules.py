"""Discord's rules for application command payloads, as it enforces them when commands are registered (bulk
overwrite or upsert): a payload that breaks one is refused with 400 "Invalid Form Body" (50035), so a bot whose
commands pass here would be refused on Discord too.

- names: 1–32 characters, lowercase, letters, digits, `-` and `_` (CHAT_INPUT commands and options);
- descriptions: 1–100 characters (CHAT_INPUT);
- at most 25 options per command or subcommand, 25 choices per option;
- required options before optional ones;
- localisations held to the same rules as what they translate;
- at most 4,000 characters per command, adding up names, descriptions and choice names and values of the
  command and everything in it, the longest localisation of each counting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

CHAT_INPUT = 1
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_DESCRIPTION = 100
MAX_OPTIONS = MAX_CHOICES = 25
MAX_COMMAND_CHARS = 4000


def _longest(value: Any, localisations: Any) -> int:
    texts = [str(value or "")] + [str(t) for t in (localisations or {}).values()]
    return max(len(t) for t in texts)


def command_size(body: Mapping[str, Any]) -> int:
    """Characters a command counts against Discord's 4,000: names, descriptions, choices, longest localisation."""
    size = _longest(body.get("name"), body.get("name_localizations"))
    size += _longest(body.get("description"), body.get("description_localizations"))
    for option in body.get("options") or []:
        size += command_size(option)
    for choice in body.get("choices") or []:
        size += _longest(choice.get("name"), choice.get("name_localizations")) + len(str(choice.get("value", "")))
    return size


def _texts(item: Mapping[str, Any], key: str) -> Iterator[tuple[str, str]]:
    yield key, str(item.get(key) or "")
    for locale, text in (item.get(f"{key}_localizations") or {}).items():
        yield f"{key}_localizations.{locale}", str(text)


def problems(body: Mapping[str, Any], path: str = "") -> list[tuple[str, str]]:
    """(field path, why) for every rule the payload breaks; empty when Discord would take it."""
    found: list[tuple[str, str]] = []
    chat_input = int(body.get("type", CHAT_INPUT)) == CHAT_INPUT or bool(path)
    for field, name in _texts(body, "name"):
        if not NAME.match(name) or (chat_input and name != name.lower()):
            found.append((f"{path}{field}", "APPLICATION_COMMAND_INVALID_NAME"))
    if chat_input:
        for field, description in _texts(body, "description"):
            if not 1 <= len(description) <= MAX_DESCRIPTION:
                found.append((f"{path}{field}", "BASE_TYPE_BAD_LENGTH"))
    options = list(body.get("options") or [])
    if len(options) > MAX_OPTIONS:
        found.append((f"{path}options", "BASE_TYPE_MAX_LENGTH"))
    optional_seen = False
    for index, option in enumerate(options):
        here = f"{path}options.{index}."
        if int(option.get("type", 3)) not in (SUBCOMMAND, SUBCOMMAND_GROUP):
            if option.get("required"):
                if optional_seen:
                    found.append((f"{here}required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"))
            else:
                optional_seen = True
        found += problems(option, here)
    choices = list(body.get("choices") or [])
    if len(choices) > MAX_CHOICES:
        found.append((f"{path}choices", "BASE_TYPE_MAX_LENGTH"))
    for index, choice in enumerate(choices):
        for field, name in _texts(choice, "name"):
            if not 1 <= len(name) <= 100:
                found.append((f"{path}choices.{index}.{field}", "BASE_TYPE_BAD_LENGTH"))
    if not path and command_size(body) > MAX_COMMAND_CHARS:
        found.append(("", "APPLICATION_COMMAND_TOO_LARGE"))
    return found
