"""The catalogues are complete: no message id missing in a language or in the catalogues, none unused, and the
same placeholders in French and English. Command-facing strings have their English in code, beside each command's
declaration, and their French in the catalogue."""

from __future__ import annotations

import ast
import asyncio
import functools
import re
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.common.i18n import LANGUAGES, Catalogue, Language
from bot.common.i18n.catalogue import forms, placeholders
from bot.interactions.translator import TocsinTranslator
from tests.golden.test_golden import command_payload

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = (ROOT / "bot", ROOT / "cogs")
MESSAGE_ID = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def string_literals() -> dict[str, list[str]]:
    """Every string constant in the program's source, with where it appears."""
    found: dict[str, list[str]] = {}
    for directory in SOURCE_DIRS:
        for path in directory.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.setdefault(node.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


class RecordingTranslator(TocsinTranslator):
    """Notes every string of the commands as their payload is translated: its message id and its English."""

    def __init__(self) -> None:
        super().__init__(Catalogue.load())
        self.english: dict[str | None, set[str]] = {}

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale, context: Any) -> str | None:
        self.english.setdefault(string.extras.get("message_id"), set()).add(string.message)
        return await super().translate(string, locale, context)


@functools.cache
def synced_texts() -> dict[str | None, set[str]]:
    """The strings of the commands as Discord is sent them, by message id (None: a string without one). Many ids
    are built by a convention (cogs/common/options.py), so the built commands, not the source, say which."""
    translator = RecordingTranslator()
    asyncio.run(command_payload(translator))
    return translator.english


def command_texts() -> tuple[dict[str, str], set[str]]:
    """The command-facing strings, `text(english, message_id)` written in code or built by the convention of
    subcommands and options: message id -> English; and the `cmd.*` ids the code uses elsewhere (a sentence that
    quotes an option's name)."""
    declared: dict[str, str] = {}
    in_declarations: set[int] = set()
    quoted: set[str] = set()
    trees = [
        ast.parse(path.read_text(encoding="utf-8")) for directory in SOURCE_DIRS for path in directory.rglob("*.py")
    ]
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text":
                english, message_id = node.args
                if not isinstance(message_id, ast.Constant):  # built by the convention: read from the commands
                    continue
                assert isinstance(english, ast.Constant), ast.unparse(node)
                assert declared.setdefault(message_id.value, english.value) == english.value, message_id.value
                in_declarations.add(id(message_id))
    synced = synced_texts()
    assert synced.get(None, set()) == set(), "a command string without French"
    for message_id, english_texts in synced.items():
        assert message_id is not None
        (english,) = english_texts
        assert declared.setdefault(message_id, english) == english, message_id
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in in_declarations and node.value in declared:
                quoted.add(node.value)
    return declared, quoted


def test_every_language_has_the_same_message_ids(catalogue: Catalogue) -> None:
    french, english = catalogue.keys("fr"), catalogue.keys("en")
    declared, _ = command_texts()
    assert sorted(french - english - set(declared)) == [], "in French only"
    assert sorted(english - french) == [], "in English only"


def test_every_command_text_has_its_french_and_its_english_once(catalogue: Catalogue) -> None:
    french, english = catalogue.keys("fr"), catalogue.keys("en")
    declared, quoted = command_texts()
    assert len(declared) > 100
    assert sorted(set(declared) - french) == [], "without French"
    # Only what a sentence quotes needs English in the catalogue, and then the words Discord shows.
    assert sorted((set(declared) & english) - quoted) == [], "English written twice"
    assert sorted(quoted - english) == [], "quoted but without English"
    assert {key: catalogue.raw("en", key) for key in quoted} == {key: declared[key] for key in quoted}


def all_placeholders(catalogue: Catalogue, language: Language, key: str) -> set[str]:
    """The placeholders of a message, across the forms of a plural message."""
    return set().union(*(placeholders(text) for text in forms(catalogue.entry(language, key)).values()))


def test_placeholders_match_between_languages(catalogue: Catalogue) -> None:
    mismatched = {
        key: (all_placeholders(catalogue, "fr", key), all_placeholders(catalogue, "en", key))
        for key in catalogue.keys("fr") & catalogue.keys("en")
        if all_placeholders(catalogue, "fr", key) != all_placeholders(catalogue, "en", key)
    }
    assert mismatched == {}


def test_no_message_id_is_unused(catalogue: Catalogue) -> None:
    literals = string_literals()
    declared, _ = command_texts()
    unused = sorted(key for key in catalogue.keys("fr") if key not in literals and key not in declared)
    assert unused == []


def test_no_message_id_used_in_code_is_missing(catalogue: Catalogue) -> None:
    """A literal shaped like a message id, in one of the catalogues' areas, must be in the catalogues."""
    areas = {key.split(".", 1)[0] for language in LANGUAGES for key in catalogue.keys(language)}
    missing = {
        literal: where
        for literal, where in string_literals().items()
        if MESSAGE_ID.match(literal) and literal.split(".", 1)[0] in areas and literal not in catalogue.keys("fr")
    }
    assert missing == {}


def test_rendering_fills_every_placeholder(catalogue: Catalogue) -> None:
    for language in LANGUAGES:
        for key in catalogue.keys(language):
            args: dict[str, object] = {name: f"<{name}>" for name in all_placeholders(catalogue, language, key)}
            counts = (0, 1, 2) if catalogue.is_plural(key) else (None,)
            for count in counts:
                text = catalogue.render(language, key, **({**args, "count": count} if count is not None else args))
                assert "{" not in text.replace("{{", "").replace("}}", ""), (language, key, text)


def test_a_plural_message_agrees_with_its_count_in_each_language() -> None:
    catalogue = Catalogue(
        {
            "fr": {
                "x.outages": {"zero": "aucune panne", "one": "{count} panne", "other": "{count} pannes"},
                "x.sent": {"one": "{count} envoyé", "other": "{count} envoyés"},
                "format.number.thousands_separator": "\u202f",
                "format.number.decimal_separator": ",",
            },
            "en": {
                "x.outages": {"one": "{count} outage", "other": "{count} outages"},
                "x.sent": {"other": "{count} sent"},
                "format.number.thousands_separator": ",",
                "format.number.decimal_separator": ".",
            },
        }
    )
    assert [catalogue.render("fr", "x.outages", count=n) for n in (0, 1, 2, 1800)] == [
        "aucune panne",
        "1 panne",
        "2 pannes",
        "1\u202f800 pannes",
    ]
    assert [catalogue.render("fr", "x.sent", count=n) for n in (0, 1, 2)] == ["0 envoyé", "1 envoyé", "2 envoyés"]
    assert [catalogue.render("en", "x.outages", count=n) for n in (0, 1, 2, 1800)] == [
        "0 outages",
        "1 outage",
        "2 outages",
        "1,800 outages",
    ]
    assert catalogue.render("en", "x.sent", count=1) == "1 sent"
    with pytest.raises(TypeError, match="needs a number as its count"):
        catalogue.render("fr", "x.outages", count="3")
