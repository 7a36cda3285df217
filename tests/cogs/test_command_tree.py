"""Every slash command, option and choice has a French name and description that Discord will accept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import COGS, TocsinBot
from bot.common.i18n import default_catalogue
from bot.config import Settings
from bot.interactions.translator import TocsinTranslator
from bot.storage.store import Store
from bot.timers.clock import SystemClock

# Discord's rule for command and option names (CHAT_INPUT), lowercase where the script has case.
NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
async def payloads(tmp_path: Path) -> AsyncIterator[list[dict[str, Any]]]:
    # A bot that is built but never started: its services exist, nothing connects, nothing runs.
    store = await Store.open(tmp_path / "tree.db")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    client = TocsinBot(settings=settings, store=store, clock=SystemClock(), catalogue=default_catalogue())
    for extension in COGS:
        await client.load_extension(extension)
    translator = TocsinTranslator(default_catalogue())
    await client.tree.set_translator(translator)
    yield [await command.get_translated_payload(client.tree, translator) for command in client.tree.get_commands()]
    await client.close()
    await store.close()


def walk(payload: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    here = f"{path} {payload['name']}".strip()
    yield here, payload
    for option in payload.get("options", []):
        yield from walk(option, here)


async def test_every_name_and_description_exists_in_french_and_fits_discord(payloads: list[dict[str, Any]]) -> None:
    assert payloads, "no command registered"
    for payload in payloads:
        for path, item in walk(payload):
            french_name = item.get("name_localizations", {}).get("fr")
            assert french_name, f"{path}: no French name"
            for name in (item["name"], french_name):
                assert NAME.match(name) and name == name.lower(), f"{path}: {name!r} is not a valid name"
            french_description = item.get("description_localizations", {}).get("fr")
            assert french_description, f"{path}: no French description"
            for description in (item["description"], french_description):
                assert 1 <= len(description) <= 100, f"{path}: description of {len(description)} characters"
            for choice in item.get("choices", []):
                assert choice.get("name_localizations", {}).get("fr"), f"{path}: choice {choice['name']} untranslated"


async def test_no_two_commands_or_options_share_a_name(payloads: list[dict[str, Any]]) -> None:
    top = [p["name"] for p in payloads]
    assert len(top) == len(set(top))
    for payload in payloads:
        for path, item in walk(payload):
            names = [o["name"] for o in item.get("options", [])]
            french = [o.get("name_localizations", {}).get("fr") for o in item.get("options", [])]
            assert len(names) == len(set(names)), path
            assert len(french) == len(set(french)), path


async def test_every_command_is_offered_in_servers_only(payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        assert payload["contexts"] == [0], f"{payload['name']} is offered outside servers"
