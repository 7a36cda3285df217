"""The double refuses command payloads Discord refuses, and Tocsin's real command tree passes: synced through the
double, every command within Discord's limits, its size printed (`pytest -s` shows how near 4,000 each is)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.sandbox import DiscordDouble
from bot.sandbox.command_rules import MAX_COMMAND_CHARS, command_size
from tests.golden.test_golden import HERE as GOLDEN
from tests.golden.test_golden import command_payload


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(now=datetime(2024, 10, 19, 10, 40, tzinfo=UTC)) as running:
        yield running


async def put(double: DiscordDouble, payloads: list[dict[str, Any]]) -> tuple[int, dict[str, Any] | list[Any]]:
    url = f"{double.api_base}/applications/{double.world.application_id}/commands"
    async with (
        aiohttp.ClientSession() as session,
        session.put(url, json=payloads, headers={"Authorization": f"Bot {double.token}"}) as response,
    ):
        return response.status, await response.json()


async def tree() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(await command_payload())
    return loaded


def synced_tree() -> list[dict[str, Any]]:
    """The tree as tests/golden holds it (the golden test keeps it equal to the real one): broken one way per
    test below without building the bot again each time."""
    loaded: list[dict[str, Any]] = json.loads((GOLDEN / "commands.json").read_text(encoding="utf-8"))
    return loaded


async def test_the_real_command_tree_syncs_and_each_command_fits(double: DiscordDouble) -> None:
    payloads = await tree()
    status, body = await put(double, payloads)
    assert status == 200, body
    for payload in payloads:
        size = command_size(payload)
        print(f"/{payload['name']}: {size} of {MAX_COMMAND_CHARS} characters")
        assert size <= MAX_COMMAND_CHARS


def outage(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in payloads if p["name"] == "outage")


def first_leaf(command: dict[str, Any]) -> dict[str, Any]:
    """The first subcommand of a command that has them."""
    return next(o for o in command["options"] if o["type"] == 1)


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "a name with a capital": lambda c: c.update(name="Outage"),
    "a name of 33 characters": lambda c: c.update(name="o" * 33),
    "a name with a space": lambda c: c.update(name="panne grave"),
    "a French name with a capital": lambda c: c["name_localizations"].update(fr="Panne"),
    "an empty description": lambda c: c.update(description=""),
    "a description of 101 characters": lambda c: c.update(description="d" * 101),
    "a French description of 101 characters": lambda c: c["description_localizations"].update(fr="d" * 101),
    "26 options": lambda c: c.update(options=[{"type": 3, "name": f"o{i}", "description": "x"} for i in range(26)]),
    "26 choices": lambda c: first_leaf(c)["options"].append(
        {
            "type": 3,
            "name": "many",
            "description": "x",
            "choices": [{"name": f"c{i}", "value": f"{i}"} for i in range(26)],
        }
    ),
    "a required option after an optional one": lambda c: first_leaf(c)["options"].append(
        {"type": 3, "name": "late", "description": "x", "required": True}
    ),
    "over 4,000 characters": lambda c: first_leaf(c)["options"].append(
        {"type": 3, "name": "big", "description": "x", "choices": [{"name": "c" * 100, "value": "v" * 100}] * 3}
    ),
}


@pytest.mark.parametrize("broken", list(BREAKS))
async def test_the_double_refuses_what_discord_refuses(double: DiscordDouble, broken: str) -> None:
    payloads = synced_tree()
    BREAKS[broken](outage(payloads))
    status, body = await put(double, payloads)
    assert status == 400, broken
    assert isinstance(body, dict) and body["code"] == 50035, body
    assert double.commands() == [], "a refused sync changes nothing"


async def test_the_size_counts_the_longest_localisation_of_each_text() -> None:
    command = {"name": "abc", "name_localizations": {"fr": "abcdef"}, "description": "de", "options": []}
    assert command_size(command) == 6 + 2
