"""Message catalogues keyed by message id, with placeholders; no Discord imports (the domain may use it).

A message is a text, or a plural message: an object of forms (`"one"`, `"other"` and, when a count of zero reads
better said another way, `"zero"`: "aucune panne"), chosen by its `count` argument with each language's rule
(French counts 0 and 1 as singular, English only 1) and that count written as the language writes numbers. A
sentence that holds several counts takes each as a `Msg` of its own plural message.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
PLURAL_FORMS = ("zero", "one", "other")

Entry = str | dict[str, str]


def language_of(locale: str | None, fallback: Language = "en") -> Language:
    """The catalogue language for a Discord locale ("fr", "en-US", "en-GB", "de"…)."""
    if not locale:
        return fallback
    if locale.lower().startswith("fr"):
        return "fr"
    if locale.lower().startswith("en"):
        return "en"
    return fallback


def plural_form(language: Language, count: int | float | Decimal) -> str:
    """ "one" or "other": French puts 0 and 1 (and 1.5) in the singular, English only 1."""
    if language == "fr":
        return "one" if -2 < count < 2 else "other"
    return "one" if count == 1 else "other"


@dataclass(frozen=True)
class Msg:
    """A sentence to be worded later, in the language of whoever reads it."""

    message_id: str
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, message_id: str, **args: Any) -> Msg:
        return cls(message_id, args)


_LIST_OF = ("outage.list_of.one", "outage.list_of.two", "outage.list_of.three", "outage.list_of.four")


def list_of(items: Sequence[Msg | str]) -> Msg:
    """ "a, b, c et d" in the reader's language, however many items (at least one): past four, the first is put
    before the list of the others."""
    if len(items) > len(_LIST_OF):
        return Msg.of("outage.list_of.more", a=items[0], b=list_of(items[1:]))
    return Msg(_LIST_OF[len(items) - 1], dict(zip("abcd", items, strict=False)))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(entry: Entry) -> dict[str, str]:
    """Every text of a catalogue entry by form: {"": text} for a plain message."""
    return dict(entry) if isinstance(entry, dict) else {"": entry}


class Catalogue:
    def __init__(self, texts: dict[Language, dict[str, Entry]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls) -> Catalogue:
        texts: dict[Language, dict[str, Entry]] = {}
        root = resources.files("bot.common.i18n") / "messages"
        for language in LANGUAGES:
            merged: dict[str, Entry] = {}
            area_files = sorted(
                (f for f in (root / language).iterdir() if f.name.endswith(".json")), key=lambda f: f.name
            )
            for area_file in area_files:
                for key, text in json.loads(area_file.read_text(encoding="utf-8")).items():
                    if key in merged:
                        raise ValueError(f"message id {key!r} appears twice in the {language} catalogue")
                    if isinstance(text, dict) and (not set(text) <= set(PLURAL_FORMS) or "other" not in text):
                        raise ValueError(f"plural message {key!r} ({language}) needs 'other', and only {PLURAL_FORMS}")
                    merged[key] = text
            texts[language] = merged
        return cls(texts)

    def keys(self, language: Language) -> set[str]:
        return set(self._texts[language])

    def entry(self, language: Language, message_id: str) -> Entry:
        """The message as stored: a text, or a plural message's forms."""
        return self._texts[language][message_id]

    def is_plural(self, message_id: str) -> bool:
        return any(isinstance(self._texts[language].get(message_id), dict) for language in LANGUAGES)

    def raw(self, language: Language, message_id: str) -> str:
        text = self._texts[language][message_id]
        if isinstance(text, dict):
            raise TypeError(f"{message_id!r} is a plural message: use template() with its count")
        return text

    def template(self, language: Language, message_id: str, count: Any = None) -> str:
        """The text `render` fills: the message in `language` (else in English), in the form `count` asks for."""
        entry = self._texts[language].get(message_id)
        if entry is None:
            language = "en"
            entry = self._texts["en"].get(message_id)
        if entry is None:
            raise KeyError(f"no message {message_id!r} in the catalogues")
        if isinstance(entry, str):
            return entry
        if not isinstance(count, int | float | Decimal) or isinstance(count, bool):
            raise TypeError(f"plural message {message_id!r} needs a number as its count, got {count!r}")
        if count == 0 and "zero" in entry:
            return entry["zero"]
        return entry.get(plural_form(language, count), entry["other"])

    def render(self, language: Language, message_id: str, /, **args: Any) -> str:
        """The text of `message_id` in `language`; args that are `Msg` are rendered in the same language; a plural
        message picks its form by `count` and writes that count as the language writes numbers."""
        text = self.template(language, message_id, args.get("count"))
        worded = {k: self.word(language, v) if isinstance(v, Msg) else v for k, v in args.items()}
        if self.is_plural(message_id):
            worded["count"] = self.number(language, args["count"])
        return text.format_map(worded)

    def word(self, language: Language, msg: Msg) -> str:
        return self.render(language, msg.message_id, **msg.args)

    def number(self, language: Language, n: int | float | Decimal, decimals: int | None = None) -> str:
        """ "1 800" (narrow no-break space) and "3,5" in French; "1,800" and "3.5" in English."""
        plain = f"{n:,.{decimals}f}" if decimals is not None else f"{n:,}"
        # Placeholder characters first, so that swapping "," and "." cannot collide.
        plain = plain.replace(",", "\x00").replace(".", "\x01")
        return plain.replace("\x00", self.render(language, "format.number.thousands_separator")).replace(
            "\x01", self.render(language, "format.number.decimal_separator")
        )


@cache
def default_catalogue() -> Catalogue:
    return Catalogue.load()
