"""Discord's 400 (and 413) answers to bad payloads, with Discord's error body shape.

Form errors are nested by path, as Discord sends them (developers/reference "Error Messages"):
{"code": 50035, "errors": {"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}},
 "message": "Invalid Form Body"}. Error codes and texts are Discord's (BASE_TYPE_MAX_LENGTH,
BASE_TYPE_BAD_LENGTH, MAX_EMBED_SIZE_EXCEEDED, ...). discord.py flattens the nesting into
"embeds.0.title: Must be 256 or fewer in length."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.sandbox.notifications import MAX_ALLOWED_MENTION_IDS, PARSE_TYPES

__all__ = [
    "ERRORS",
    "JSON_CONTENT_TYPE",
    "FormErrors",
    "embed_total_length",
    "json_error",
    "upload_too_large",
    "validate_autocomplete_choices",
    "validate_message_payload",
    "validate_modal",
    "validate_role_payload",
    "validate_thread_name",
]

# discord.py (http.py json_or_text) decodes a body only when Content-Type is exactly this, as Discord
# sends it; aiohttp's json_response adds "; charset=utf-8" and discord.py would then see text, take
# every 429 for a Cloudflare ban and fail to parse every object.
JSON_CONTENT_TYPE = "application/json"

ERRORS: dict[int, str] = {
    0: "401: Unauthorized",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10011: "Unknown Role",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
    40003: "You are opening direct messages too fast",
    40005: "Request entity too large",
    40060: "Interaction has already been acknowledged",
    50001: "Missing Access",
    50006: "Cannot send an empty message",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
    50035: "Invalid Form Body",
    50083: "Operation cannot be performed on an archived thread",
    160004: "A thread has already been created for this message",
    160005: "Thread is locked",
    160006: "Maximum number of active threads reached",
}

MESSAGE_CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
NONCE_MAX = 25
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
THREAD_NAME_MIN, THREAD_NAME_MAX = 1, 100
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MIN, MODAL_COMPONENTS_MAX = 1, 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MIN, CHOICE_NAME_MAX = 1, 100
CHOICE_STRING_VALUE_MAX = 100
ROLE_NAME_MAX = 100
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
MESSAGE_SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2
INTERACTION_SETTABLE_FLAGS = MESSAGE_SETTABLE_FLAGS | FLAG_EPHEMERAL

COMPONENT_ACTION_ROW = 1
COMPONENT_BUTTON = 2
COMPONENT_TEXT_INPUT = 4
COMPONENT_LABEL = 18
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def json_error(code: int, message: str | None = None) -> dict[str, Any]:
    """Discord's plain JSON error body; the message defaults to the one in ERRORS."""
    return {"message": message if message is not None else ERRORS.get(code, "Unknown error"), "code": code}


def upload_too_large(total_bytes: int, limit: int = UPLOAD_LIMIT_BYTES) -> dict[str, Any] | None:
    """The 413 body when the files of one request exceed the limit."""
    if total_bytes > limit:
        return json_error(40005, ERRORS[40005])
    return None


def _max_len(n: int) -> dict[str, str]:
    return {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {n} or fewer in length."}


def _bad_len(lo: int, hi: int) -> dict[str, str]:
    return {"code": "BASE_TYPE_BAD_LENGTH", "message": f"Must be between {lo} and {hi} in length."}


def _required() -> dict[str, str]:
    return {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}


def _not_string() -> dict[str, str]:
    return {"code": "STRING_TYPE_CONVERT", "message": "Could not interpret value as string."}


class FormErrors:
    """Accumulates field errors and renders Discord's nested 50035 body."""

    def __init__(self) -> None:
        self._tree: dict[str, Any] = {}

    def add(self, path: Sequence[str | int], error: Mapping[str, str]) -> None:
        node = self._tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append(dict(error))

    def __bool__(self) -> bool:
        return bool(self._tree)

    def body(self) -> dict[str, Any] | None:
        if not self._tree:
            return None
        return {"code": 50035, "errors": self._tree, "message": ERRORS[50035]}

    def str_len(self, path: Sequence[str | int], value: Any, *, hi: int, lo: int = 0, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(path, _required())
            return
        if not isinstance(value, str):
            self.add(path, _not_string())
            return
        n = len(value)
        if lo > 0 and not lo <= n <= hi:
            self.add(path, _bad_len(lo, hi))
        elif n > hi:
            self.add(path, _max_len(hi))


def _str_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def embed_total_length(embeds: Sequence[Mapping[str, Any]]) -> int:
    """Characters Discord counts toward the 6000 limit: title, description, field names and values,
    footer text and author name, summed over every embed of the message."""
    total = 0
    for e in embeds:
        if not isinstance(e, Mapping):
            continue
        total += _str_len(e.get("title")) + _str_len(e.get("description"))
        for f in e.get("fields") or []:
            if isinstance(f, Mapping):
                total += _str_len(f.get("name")) + _str_len(f.get("value"))
        footer = e.get("footer")
        if isinstance(footer, Mapping):
            total += _str_len(footer.get("text"))
        author = e.get("author")
        if isinstance(author, Mapping):
            total += _str_len(author.get("name"))
    return total


def _check_embed(errs: FormErrors, i: int, e: Any) -> None:
    p: tuple[str | int, ...] = ("embeds", i)
    if not isinstance(e, Mapping):
        errs.add(p, {"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"})
        return
    errs.str_len((*p, "title"), e.get("title"), hi=EMBED_TITLE_MAX)
    errs.str_len((*p, "description"), e.get("description"), hi=EMBED_DESCRIPTION_MAX)
    fields = e.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            errs.add((*p, "fields"), {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
        else:
            if len(fields) > EMBED_FIELDS_MAX:
                errs.add((*p, "fields"), _max_len(EMBED_FIELDS_MAX))
            for j, f in enumerate(fields):
                fp = (*p, "fields", j)
                if not isinstance(f, Mapping):
                    errs.add(fp, _required())
                    continue
                # Field name and value are required and may not be empty in Discord.
                errs.str_len((*fp, "name"), f.get("name"), lo=1, hi=EMBED_FIELD_NAME_MAX, required=True)
                errs.str_len((*fp, "value"), f.get("value"), lo=1, hi=EMBED_FIELD_VALUE_MAX, required=True)
    footer = e.get("footer")
    if isinstance(footer, Mapping):
        errs.str_len((*p, "footer", "text"), footer.get("text"), hi=EMBED_FOOTER_MAX)
    author = e.get("author")
    if isinstance(author, Mapping):
        errs.str_len((*p, "author", "name"), author.get("name"), hi=EMBED_AUTHOR_MAX)


def _check_components(errs: FormErrors, components: Any) -> None:
    if not isinstance(components, list):
        errs.add(("components",), {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
        return
    if len(components) > ACTION_ROWS_MAX:
        errs.add(("components",), _max_len(ACTION_ROWS_MAX))
    for i, row in enumerate(components):
        rp: tuple[str | int, ...] = ("components", i)
        if not isinstance(row, Mapping) or row.get("type") != COMPONENT_ACTION_ROW:
            # Only action rows at the top level in the classic (non components-v2) layout.
            errs.add(
                (*rp, "type"),
                {"code": "UNION_TYPE_CHOICES", "message": 'Value of field "type" must be one of (1,).'},
            )
            continue
        children = row.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= ROW_COMPONENTS_MAX:
            errs.add((*rp, "components"), _bad_len(1, ROW_COMPONENTS_MAX))
            continue
        has_select = any(isinstance(c, Mapping) and c.get("type") in SELECT_TYPES for c in children)
        if has_select and len(children) > 1:
            errs.add((*rp, "components"), _max_len(1))
        for j, c in enumerate(children):
            cp = (*rp, "components", j)
            if not isinstance(c, Mapping):
                errs.add(cp, _required())
                continue
            ctype = c.get("type")
            if ctype == COMPONENT_BUTTON:
                errs.str_len((*cp, "label"), c.get("label"), hi=BUTTON_LABEL_MAX)
                # Link (5) and premium (6) buttons have no custom_id; the others need one.
                if c.get("style") in (5, 6):
                    continue
                errs.str_len((*cp, "custom_id"), c.get("custom_id"), lo=1, hi=CUSTOM_ID_MAX, required=True)
            elif ctype in SELECT_TYPES:
                errs.str_len((*cp, "custom_id"), c.get("custom_id"), lo=1, hi=CUSTOM_ID_MAX, required=True)
                errs.str_len((*cp, "placeholder"), c.get("placeholder"), hi=SELECT_PLACEHOLDER_MAX)
                options = c.get("options")
                if ctype == 3 and (not isinstance(options, list) or not 1 <= len(options) <= SELECT_OPTIONS_MAX):
                    errs.add((*cp, "options"), _bad_len(1, SELECT_OPTIONS_MAX))
            else:
                errs.add(
                    (*cp, "type"),
                    {
                        "code": "UNION_TYPE_CHOICES",
                        "message": 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).',
                    },
                )


def validate_message_payload(
    payload: Mapping[str, Any],
    *,
    editing: bool = False,
    interaction_response: bool = False,
    has_files: bool = False,
) -> dict[str, Any] | None:
    """None when Discord would accept the message body, else the error body (status 400).

    `has_files` tells that the multipart request carries files, which count as attachments for
    the empty-message rule. `interaction_response` allows the EPHEMERAL flag."""
    errs = FormErrors()
    content = payload.get("content")
    errs.str_len(("content",), content, hi=MESSAGE_CONTENT_MAX)

    embeds = payload.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errs.add(("embeds",), {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
        else:
            if len(embeds) > EMBEDS_MAX:
                errs.add(("embeds",), _max_len(EMBEDS_MAX))
            for i, e in enumerate(embeds):
                _check_embed(errs, i, e)
            if embed_total_length(embeds) > EMBED_TOTAL_MAX:
                errs.add(
                    ("embeds",),
                    {
                        "code": "MAX_EMBED_SIZE_EXCEEDED",
                        "message": f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
                    },
                )

    nonce = payload.get("nonce")
    if nonce is not None:
        if isinstance(nonce, bool) or not isinstance(nonce, int | str):
            errs.add(
                ("nonce",),
                {"code": "NONCE_TYPE_INVALID_TYPE", "message": "This field must be a string or integer."},
            )
        elif isinstance(nonce, str) and len(nonce) > NONCE_MAX:
            errs.add(
                ("nonce",),
                {"code": "NONCE_TYPE_TOO_LONG", "message": f"Must be {NONCE_MAX} or fewer characters long."},
            )
        elif isinstance(nonce, int) and not -(2**63) <= nonce < 2**63:
            errs.add(
                ("nonce",),
                {
                    "code": "NONCE_TYPE_OUT_OF_BOUNDS",
                    "message": "Must be between -9223372036854775808 and 9223372036854775807.",
                },
            )

    _check_allowed_mentions(errs, payload.get("allowed_mentions"))

    components = payload.get("components")
    flags = payload.get("flags")
    if components is not None and not (isinstance(flags, int) and flags & FLAG_IS_COMPONENTS_V2):
        _check_components(errs, components)

    if flags is not None:
        allowed = INTERACTION_SETTABLE_FLAGS if interaction_response else MESSAGE_SETTABLE_FLAGS
        if isinstance(flags, bool) or not isinstance(flags, int) or flags & ~allowed:
            errs.add(("flags",), {"code": "MESSAGE_FLAGS_INVALID", "message": "Invalid flags"})

    body = errs.body()
    if body is not None:
        return body
    if not editing and not _has_body(payload, has_files=has_files):
        return json_error(50006)
    return None


def _has_body(payload: Mapping[str, Any], *, has_files: bool) -> bool:
    if has_files:
        return True
    if isinstance(payload.get("content"), str) and payload["content"].strip():
        return True
    return any(payload.get(k) for k in ("embeds", "attachments", "components", "sticker_ids", "poll"))


def _check_allowed_mentions(errs: FormErrors, am: Any) -> None:
    if am is None:
        return
    p = ("allowed_mentions",)
    if not isinstance(am, Mapping):
        errs.add(p, {"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"})
        return
    parse = am.get("parse", [])
    if not isinstance(parse, list):
        errs.add((*p, "parse"), {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
        parse = []
    for i, kind in enumerate(parse):
        if kind not in PARSE_TYPES:
            errs.add(
                (*p, "parse", i),
                {"code": "BASE_TYPE_CHOICES", "message": f"Value must be one of ({', '.join(PARSE_TYPES)})."},
            )
    for kind in ("users", "roles"):
        ids = am.get(kind)
        if ids is None:
            continue
        if not isinstance(ids, list):
            errs.add((*p, kind), {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
            continue
        if kind in parse and ids:
            errs.add(
                p,
                {
                    "code": "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    "message": f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                },
            )
        if len(ids) > MAX_ALLOWED_MENTION_IDS:
            errs.add((*p, kind), _max_len(MAX_ALLOWED_MENTION_IDS))


def validate_thread_name(name: Any) -> dict[str, Any] | None:
    errs = FormErrors()
    errs.str_len(("name",), name, lo=THREAD_NAME_MIN, hi=THREAD_NAME_MAX, required=True)
    return errs.body()


def _modal_text_inputs(components: list[Any]) -> list[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    """(path, text input) pairs from a modal's rows: action rows (type 1) or labels (type 18)."""
    found: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = []
    for i, row in enumerate(components):
        if not isinstance(row, Mapping):
            continue
        if row.get("type") == COMPONENT_ACTION_ROW:
            for j, c in enumerate(row.get("components") or []):
                if isinstance(c, Mapping) and c.get("type") == COMPONENT_TEXT_INPUT:
                    found.append((("data", "components", i, "components", j), c))
        elif row.get("type") == COMPONENT_LABEL:
            c = row.get("component")
            if isinstance(c, Mapping) and c.get("type") == COMPONENT_TEXT_INPUT:
                found.append((("data", "components", i, "component"), c))
    return found


def validate_modal(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `data` of a MODAL interaction response (type 9)."""
    errs = FormErrors()
    errs.str_len(("data", "title"), data.get("title"), lo=1, hi=MODAL_TITLE_MAX, required=True)
    errs.str_len(("data", "custom_id"), data.get("custom_id"), lo=1, hi=CUSTOM_ID_MAX, required=True)
    components = data.get("components")
    if not isinstance(components, list) or not MODAL_COMPONENTS_MIN <= len(components) <= MODAL_COMPONENTS_MAX:
        errs.add(("data", "components"), _bad_len(MODAL_COMPONENTS_MIN, MODAL_COMPONENTS_MAX))
        return errs.body()
    for i, row in enumerate(components):
        if isinstance(row, Mapping) and row.get("type") == COMPONENT_LABEL:
            errs.str_len(
                ("data", "components", i, "label"),
                row.get("label"),
                lo=1,
                hi=TEXT_INPUT_LABEL_MAX,
                required=True,
            )
    for path, ti in _modal_text_inputs(components):
        errs.str_len((*path, "custom_id"), ti.get("custom_id"), lo=1, hi=CUSTOM_ID_MAX, required=True)
        # In an action row the label is on the text input; in a label component it is on the label.
        if path[-1] != "component":
            errs.str_len((*path, "label"), ti.get("label"), lo=1, hi=TEXT_INPUT_LABEL_MAX, required=True)
        errs.str_len((*path, "value"), ti.get("value"), hi=TEXT_INPUT_VALUE_MAX)
        errs.str_len((*path, "placeholder"), ti.get("placeholder"), hi=TEXT_INPUT_PLACEHOLDER_MAX)
        for key, lo in (("min_length", 0), ("max_length", 1)):
            v = ti.get(key)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int):
                errs.add((*path, key), {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{v}" is not int.'})
            elif v < lo:
                errs.add(
                    (*path, key),
                    {
                        "code": "NUMBER_TYPE_MIN",
                        "message": f"int value should be greater than or equal to {lo}.",
                    },
                )
            elif v > TEXT_INPUT_VALUE_MAX:
                errs.add(
                    (*path, key),
                    {
                        "code": "NUMBER_TYPE_MAX",
                        "message": f"int value should be less than or equal to {TEXT_INPUT_VALUE_MAX}.",
                    },
                )
    return errs.body()


def validate_autocomplete_choices(choices: Any) -> dict[str, Any] | None:
    """The `data.choices` of an APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (type 8)."""
    errs = FormErrors()
    p: tuple[str | int, ...] = ("data", "choices")
    if not isinstance(choices, list):
        errs.add(p, {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."})
        return errs.body()
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        errs.add(p, _max_len(AUTOCOMPLETE_CHOICES_MAX))
    for i, ch in enumerate(choices):
        if not isinstance(ch, Mapping):
            errs.add((*p, i), _required())
            continue
        errs.str_len((*p, i, "name"), ch.get("name"), lo=CHOICE_NAME_MIN, hi=CHOICE_NAME_MAX, required=True)
        value = ch.get("value")
        if value is None:
            errs.add((*p, i, "value"), _required())
        elif isinstance(value, str):
            errs.str_len((*p, i, "value"), value, hi=CHOICE_STRING_VALUE_MAX)
    return errs.body()


def validate_role_payload(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """Body of Create/Modify Guild Role. Every field is optional in both (Discord names a new role
    "new role" when no name is given)."""
    errs = FormErrors()
    if "name" in payload and payload["name"] is not None:
        errs.str_len(("name",), payload["name"], hi=ROLE_NAME_MAX)
    perms = payload.get("permissions")
    if perms is not None:
        try:
            ok = not isinstance(perms, bool) and int(perms) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            errs.add(("permissions",), {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{perms}" is not int.'})
    for key in ("color",):
        v = payload.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            errs.add((key,), {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{v}" is not int.'})
        elif v < 0:
            errs.add(
                (key,),
                {"code": "NUMBER_TYPE_MIN", "message": "int value should be greater than or equal to 0."},
            )
        elif v > 0xFFFFFF:
            errs.add(
                (key,),
                {
                    "code": "NUMBER_TYPE_MAX",
                    "message": f"int value should be less than or equal to {0xFFFFFF}.",
                },
            )
    for key in ("hoist", "mentionable"):
        v = payload.get(key)
        if v is not None and not isinstance(v, bool):
            errs.add((key,), {"code": "BASE_TYPE_BOOLEAN", "message": "Must be either true or false."})
    return errs.body()
