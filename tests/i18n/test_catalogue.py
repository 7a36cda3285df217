"""The catalogues are complete: no message id missing in a language or in the catalogues, none unused, and the
same placeholders in French and English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.common.i18n import LANGUAGES, Catalogue
from bot.common.i18n.catalogue import placeholders

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


def test_every_language_has_the_same_message_ids(catalogue: Catalogue) -> None:
    french, english = catalogue.keys("fr"), catalogue.keys("en")
    assert sorted(french - english) == [], "in French only"
    assert sorted(english - french) == [], "in English only"


def test_placeholders_match_between_languages(catalogue: Catalogue) -> None:
    mismatched = {
        key: (placeholders(catalogue.raw("fr", key)), placeholders(catalogue.raw("en", key)))
        for key in catalogue.keys("fr") & catalogue.keys("en")
        if placeholders(catalogue.raw("fr", key)) != placeholders(catalogue.raw("en", key))
    }
    assert mismatched == {}


def test_no_message_id_is_unused(catalogue: Catalogue) -> None:
    literals = string_literals()
    unused = sorted(key for key in catalogue.keys("en") if key not in literals)
    assert unused == []


def test_no_message_id_used_in_code_is_missing(catalogue: Catalogue) -> None:
    """A literal shaped like a message id, in one of the catalogues' areas, must be in the catalogues."""
    areas = {key.split(".", 1)[0] for language in LANGUAGES for key in catalogue.keys(language)}
    missing = {
        literal: where
        for literal, where in string_literals().items()
        if MESSAGE_ID.match(literal) and literal.split(".", 1)[0] in areas and literal not in catalogue.keys("en")
    }
    assert missing == {}


def test_rendering_fills_every_placeholder(catalogue: Catalogue) -> None:
    for language in LANGUAGES:
        for key in catalogue.keys(language):
            args = {name: f"<{name}>" for name in placeholders(catalogue.raw(language, key))}
            text = catalogue.render(language, key, **args)
            assert "{" not in text.replace("{{", "").replace("}}", ""), (language, key, text)
