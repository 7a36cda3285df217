"""Message catalogues keyed by message id, with placeholders; no Discord imports (the domain may use it)."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


def language_of(locale: str | None, fallback: Language = "en") -> Language:
    """The catalogue language for a Discord locale ("fr", "en-US", "en-GB", "de"…)."""
    if not locale:
        return fallback
    if locale.lower().startswith("fr"):
        return "fr"
    if locale.lower().startswith("en"):
        return "en"
    return fallback


@dataclass(frozen=True)
class Msg:
    """A sentence to be worded later, in the language of whoever reads it."""

    message_id: str
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, message_id: str, **args: Any) -> Msg:
        return cls(message_id, args)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalogue:
    def __init__(self, texts: dict[Language, dict[str, str]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls) -> Catalogue:
        texts: dict[Language, dict[str, str]] = {}
        root = resources.files("bot.common.i18n") / "messages"
        for language in LANGUAGES:
            merged: dict[str, str] = {}
            area_files = sorted(
                (f for f in (root / language).iterdir() if f.name.endswith(".json")), key=lambda f: f.name
            )
            for area_file in area_files:
                for key, text in json.loads(area_file.read_text(encoding="utf-8")).items():
                    if key in merged:
                        raise ValueError(f"message id {key!r} appears twice in the {language} catalogue")
                    merged[key] = text
            texts[language] = merged
        return cls(texts)

    def keys(self, language: Language) -> set[str]:
        return set(self._texts[language])

    def raw(self, language: Language, message_id: str) -> str:
        return self._texts[language][message_id]

    def render(self, language: Language, message_id: str, /, **args: Any) -> str:
        """The text of `message_id` in `language`; args that are `Msg` are rendered in the same language."""
        text = self._texts[language].get(message_id)
        if text is None:
            text = self._texts["en"].get(message_id)
        if text is None:
            raise KeyError(f"no message {message_id!r} in the catalogues")
        worded = {k: self.word(language, v) if isinstance(v, Msg) else v for k, v in args.items()}
        return text.format_map(worded)

    def word(self, language: Language, msg: Msg) -> str:
        return self.render(language, msg.message_id, **msg.args)


@cache
def default_catalogue() -> Catalogue:
    return Catalogue.load()
