"""Text people type, made safe to store and to show on Discord.

Two steps, kept apart on purpose:
- `clean_input` / `validate_field` run when text comes in: they remove what is never meant (control and bidi
  override characters), normalise line breaks and check the field's limit. What is stored is what the person
  typed, minus those characters, so exports and corrections show their words, not escapes.
- `safe_text` runs when text goes out into a message or embed: NFKC, mentions neutralised and markdown escaped,
  so that nothing typed can ping anyone, fake a link or a heading, or reorder what is around it.
"""

from __future__ import annotations

import re
import unicodedata

from bot.common.errors import TocsinError
from bot.common.i18n.catalogue import Msg
from bot.common.limits import TextField

ELLIPSIS = "…"
ZWSP = "\u200b"  # what discord.py's escape_mentions inserts: the text reads the same and no longer parses

# Bidi embeddings, overrides and isolates, and the marks that steer them: they let a title display reversed
# or make surrounding text (a timestamp, a number) read differently from what it is.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

FIELD_LABELS: dict[TextField, str] = {
    TextField.TITLE: "incident.field.title",
    TextField.ORGANISATION: "incident.field.organisation",
    TextField.DESCRIPTION: "incident.field.description",
    TextField.IMPACT: "incident.field.impact",
    TextField.WORKAROUND: "incident.field.workaround",
    TextField.NOTE: "incident.field.note",
    TextField.RESOLUTION_NOTE: "incident.field.resolution_note",
    TextField.SERVICE_NAME: "incident.field.service_name",
    TextField.SECTOR: "incident.field.sector",
    TextField.REPORT_DETAILS: "report.field.details",
}


# Characters that draw nothing though Unicode does not class them as spaces: Hangul and halfwidth fillers, the
# braille blank. With format characters (zero-width spaces and joiners) and spaces, a text of only these is
# blank to whoever reads it.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Fields compared by name (a sector, a service): letters from two alphabets in one name are how a look-alike
# ("рharmacie" with a Cyrillic р) passes for a known name while being another.
_COMPARED_BY_NAME = frozenset({TextField.SECTOR, TextField.SERVICE_NAME})


def looks_blank(text: str) -> bool:
    """True when nothing in `text` would be seen: only spaces, format characters and blank-looking fillers."""
    return all(
        char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) in ("Cf", "Zs", "Mn", "Me")
        for char in text
    )


def scripts(text: str) -> set[str]:
    """The alphabets of the letters in `text` (LATIN, CYRILLIC, GREEK…), as Unicode names them."""
    return {unicodedata.name(char, "?").split(" ")[0] for char in text if char.isalpha()}


class FieldError(TocsinError, ValueError):
    """A typed field that cannot be used; the message names the field and what to change."""


def _strip_invisible(text: str, *, multiline: bool) -> str:
    kept: list[str] = []
    for char in text:
        if char in _BIDI:
            continue
        if char in "\r\n\t" or unicodedata.category(char) == "Cc":
            if char == "\n" and multiline:
                kept.append("\n")
            elif char in "\r\n\t":
                kept.append(" ")
            continue
        kept.append(char)
    return "".join(kept)


def clean_input(text: str, *, multiline: bool = False) -> str:
    """The typed text without control or bidi characters, trimmed; one line unless `multiline`.

    In multiline text, trailing spaces are dropped from each line and more than one blank line in a row
    becomes one, so that a long paste does not push the rest of a message out of view.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _strip_invisible(text, multiline=multiline)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = re.sub(r"\s{2,}", " ", text)
    return text.strip()


def validate_field(field: TextField, value: str | None, *, required: bool = False) -> str | None:
    """The cleaned value, or None when empty and optional; `FieldError` names the field and its limit."""
    cleaned = clean_input(value, multiline=field.multiline) if value is not None else ""
    label = Msg.of(FIELD_LABELS[field])
    if not cleaned or looks_blank(cleaned):
        if required:
            raise FieldError("incident.error.field_required", field=label)
        return None
    if field in _COMPARED_BY_NAME and len(scripts(cleaned)) > 1:
        raise FieldError("incident.error.mixed_scripts", field=label, text=cleaned)
    if len(cleaned) > field.limit:
        raise FieldError("incident.error.field_too_long", field=label, limit=field.limit, length=len(cleaned))
    return cleaned


# --- going out --------------------------------------------------------------------------------------------

_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>", re.IGNORECASE)
# Always escaped: emphasis, strikethrough, spoilers, code, masked links' brackets, and the escape itself.
_INLINE = re.compile(r"([\\*_~`|\[\]<>])")
# Only meaningful at the start of a line: headings, subtext (-#), block quotes, bulleted and numbered lists.
_LINE_START = re.compile(r"^(\s*)(#|-#|>|[-+*](?=\s)|\d+(?=[.)]\s))")


def _neutralise_mentions(text: str) -> str:
    def insert(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return f"@{ZWSP}{match.group(1)}"
        return f"<{match.group(2)}{ZWSP}{match.group(3)}>"

    return _MENTION.sub(insert, text)


def _escape_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line)
    # After the inline pass a leading ">" is already "\>"; the remaining line-start marks get their backslash.
    match = _LINE_START.match(line)
    if match:
        marker = match.group(2)
        if marker.isdigit():
            line = f"{match.group(1)}{marker}\\{line[match.end() :]}"
        else:
            line = f"{match.group(1)}\\{line[match.start(2) :]}"
    return line


def safe_text(text: str, *, multiline: bool = False) -> str:
    """Text fit to put in a message or an embed: NFKC, no control or bidi characters, no mention that could
    ping or render (`@everyone`, `@here`, `<@id>`, `<@!id>`, `<@&id>`, `<#id>`), markdown shown as typed."""
    text = unicodedata.normalize("NFKC", text)
    text = clean_input(text, multiline=multiline)
    text = _neutralise_mentions(text)
    return "\n".join(_escape_line(line) for line in text.split("\n"))


def plain_text(text: str) -> str:
    """One line for places that render no markdown and ping nobody (thread names, button labels)."""
    return clean_input(unicodedata.normalize("NFKC", text))


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut with an ellipsis, never leaving half an escape."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    # A trailing lone backslash would escape the ellipsis; a trailing joiner or combining mark would glue
    # half an emoji or a letter's accent to it.
    while cut and (
        unicodedata.combining(cut[-1]) or cut[-1] in "\u200d\ufe0f" or cut[-1] == ZWSP or _odd_backslashes(cut)
    ):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def _odd_backslashes(text: str) -> bool:
    trailing = len(text) - len(text.rstrip("\\"))
    return trailing % 2 == 1


def name_key(text: str) -> str:
    """How names are compared (services, sectors): casefold, accents stripped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"\s+", " ", bare).strip()
