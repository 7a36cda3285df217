from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.sandbox.validation import (
    ERRORS,
    embed_total_length,
    json_error,
    upload_too_large,
    validate_autocomplete_choices,
    validate_message_payload,
    validate_modal,
    validate_role_payload,
    validate_thread_name,
)


def codes(body: dict[str, Any] | None) -> dict[str, list[str]]:
    """Flatten Discord's nested form errors into {"embeds.0.title": ["BASE_TYPE_MAX_LENGTH"]}."""
    assert body is not None
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    out: dict[str, list[str]] = {}

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            if key == "_errors":
                out[".".join(path)] = [e["code"] for e in value]
            else:
                walk(value, [*path, key])

    walk(body["errors"], [])
    return out


def test_valid_message() -> None:
    assert validate_message_payload({"content": "x" * 2000, "nonce": "a" * 25, "flags": 1 << 12}) is None


def test_content_too_long() -> None:
    body = validate_message_payload({"content": "x" * 2001})
    assert body is not None
    assert body["errors"] == {
        "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}
    }


def test_discord_py_flattens_our_errors() -> None:
    body = validate_message_payload({"embeds": [{"title": "t" * 257}]})
    flat = discord.errors._flatten_error_dict(body["errors"])  # type: ignore[index]
    assert flat == {"embeds.0.title": "Must be 256 or fewer in length."}


@pytest.mark.parametrize("payload", [{}, {"content": ""}, {"content": "   "}, {"embeds": []}, {"components": []}])
def test_empty_message_is_50006(payload: dict[str, Any]) -> None:
    assert validate_message_payload(payload) == {"message": "Cannot send an empty message", "code": 50006}


def test_empty_allowed_when_editing_or_with_files() -> None:
    assert validate_message_payload({"content": ""}, editing=True) is None
    assert validate_message_payload({}, has_files=True) is None
    assert validate_message_payload({"attachments": [{"id": 0, "filename": "a.txt"}]}) is None


def test_embed_limits() -> None:
    embed = {
        "title": "t" * 257,
        "description": "d" * 4097,
        "fields": [{"name": "n" * 257, "value": "v" * 1025}],
        "footer": {"text": "f" * 2049},
        "author": {"name": "a" * 257},
    }
    got = codes(validate_message_payload({"embeds": [embed]}))
    assert got["embeds.0.title"] == ["BASE_TYPE_MAX_LENGTH"]
    assert got["embeds.0.description"] == ["BASE_TYPE_MAX_LENGTH"]
    assert got["embeds.0.fields.0.name"] == ["BASE_TYPE_BAD_LENGTH"]
    assert got["embeds.0.fields.0.value"] == ["BASE_TYPE_BAD_LENGTH"]
    assert got["embeds.0.footer.text"] == ["BASE_TYPE_MAX_LENGTH"]
    assert got["embeds.0.author.name"] == ["BASE_TYPE_MAX_LENGTH"]


def test_embed_limits_exactly_at_the_bound_are_fine() -> None:
    embed = {
        "title": "t" * 256,
        "description": "d" * 4096,
        "fields": [{"name": "n", "value": "v" * 1024}],
        "footer": {"text": "f" * 100},
        "author": {"name": "a" * 256},
    }
    assert validate_message_payload({"embeds": [embed]}) is None


def test_too_many_embeds_and_fields() -> None:
    got = codes(validate_message_payload({"embeds": [{"title": "x"}] * 11}))
    assert got == {"embeds": ["BASE_TYPE_MAX_LENGTH"]}
    fields = [{"name": "n", "value": "v"}] * 26
    assert codes(validate_message_payload({"embeds": [{"fields": fields}]})) == {
        "embeds.0.fields": ["BASE_TYPE_MAX_LENGTH"]
    }
    assert validate_message_payload({"embeds": [{"fields": fields[:25]}]}) is None


def test_empty_field_name_is_refused() -> None:
    got = codes(validate_message_payload({"embeds": [{"fields": [{"name": "", "value": "v"}]}]}))
    assert got == {"embeds.0.fields.0.name": ["BASE_TYPE_BAD_LENGTH"]}


def test_total_embed_size_counts_every_embed() -> None:
    embeds: list[dict[str, Any]] = [
        {"description": "d" * 4000},
        {"description": "e" * 1999, "footer": {"text": "f"}},
    ]
    assert embed_total_length(embeds) == 6000
    assert validate_message_payload({"embeds": embeds}) is None
    embeds[1]["author"] = {"name": "a"}
    body = validate_message_payload({"embeds": embeds})
    assert body is not None
    assert body["errors"]["embeds"]["_errors"] == [
        {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
    ]


def test_embed_size_ignores_urls_and_counts_discord_py_embeds() -> None:
    e = discord.Embed(title="t" * 100, description="d" * 100, url="https://example.com/" + "x" * 5000)
    e.add_field(name="n" * 10, value="v" * 10)
    e.set_footer(text="f" * 5)
    e.set_author(name="a" * 5)
    assert embed_total_length([e.to_dict()]) == len(e) == 230


@pytest.mark.parametrize(
    ("nonce", "code"),
    [
        ("x" * 26, "NONCE_TYPE_TOO_LONG"),
        (1.5, "NONCE_TYPE_INVALID_TYPE"),
        (2**63, "NONCE_TYPE_OUT_OF_BOUNDS"),
    ],
)
def test_bad_nonce(nonce: Any, code: str) -> None:
    assert codes(validate_message_payload({"content": "x", "nonce": nonce})) == {"nonce": [code]}


def test_int_nonce_is_fine() -> None:
    assert validate_message_payload({"content": "x", "nonce": 123456789}) is None


def test_allowed_mentions_rules() -> None:
    bad = {"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    assert codes(validate_message_payload(bad)) == {"allowed_mentions": ["MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"]}
    many = {"content": "x", "allowed_mentions": {"roles": [str(i) for i in range(101)]}}
    assert codes(validate_message_payload(many)) == {"allowed_mentions.roles": ["BASE_TYPE_MAX_LENGTH"]}
    weird = {"content": "x", "allowed_mentions": {"parse": ["all"]}}
    assert codes(validate_message_payload(weird)) == {"allowed_mentions.parse.0": ["BASE_TYPE_CHOICES"]}
    ok = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(1)]).to_dict()
    assert validate_message_payload({"content": "x", "allowed_mentions": ok}) is None


def button(custom_id: str = "b", label: str = "L") -> dict[str, Any]:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def test_component_limits() -> None:
    assert validate_message_payload({"components": [row(button())] * 5}) is None
    assert codes(validate_message_payload({"components": [row(button())] * 6})) == {
        "components": ["BASE_TYPE_MAX_LENGTH"]
    }
    assert codes(validate_message_payload({"components": [row(*[button()] * 6)]})) == {
        "components.0.components": ["BASE_TYPE_BAD_LENGTH"]
    }
    got = codes(validate_message_payload({"components": [row(button("c" * 101, "l" * 81))]}))
    assert got == {
        "components.0.components.0.label": ["BASE_TYPE_MAX_LENGTH"],
        "components.0.components.0.custom_id": ["BASE_TYPE_BAD_LENGTH"],
    }
    link = {"type": 2, "style": 5, "label": "go", "url": "https://example.com"}
    assert validate_message_payload({"components": [row(link)]}) is None


def test_discord_py_view_payload_is_valid() -> None:
    view = discord.ui.View()
    for i in range(5):
        view.add_item(discord.ui.Button(label=f"b{i}", custom_id=f"id{i}"))
    view.add_item(discord.ui.Select(custom_id="s", options=[discord.SelectOption(label="a")]))
    assert validate_message_payload({"content": "x", "components": view.to_components()}) is None


def test_select_must_be_alone_in_its_row() -> None:
    select = {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]}
    assert codes(validate_message_payload({"components": [row(select, button())]})) == {
        "components.0.components": ["BASE_TYPE_MAX_LENGTH"]
    }


def test_flags() -> None:
    assert validate_message_payload({"content": "x", "flags": (1 << 2) | (1 << 12)}) is None
    assert codes(validate_message_payload({"content": "x", "flags": 1 << 6})) == {"flags": ["MESSAGE_FLAGS_INVALID"]}
    assert validate_message_payload({"content": "x", "flags": 1 << 6}, interaction_response=True) is None
    assert codes(validate_message_payload({"content": "x", "flags": 1 << 1})) == {"flags": ["MESSAGE_FLAGS_INVALID"]}


@pytest.mark.parametrize(
    ("name", "ok"), [("a", True), ("a" * 100, True), ("", False), ("a" * 101, False), (None, False)]
)
def test_thread_name(name: str | None, ok: bool) -> None:
    assert (validate_thread_name(name) is None) is ok


def text_input(**kw: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "t", "style": 1, "label": "Label", **kw}


def test_modal_limits() -> None:
    good = {"title": "T", "custom_id": "m", "components": [row(text_input())]}
    assert validate_modal(good) is None
    assert codes(validate_modal({**good, "title": "t" * 46})) == {"data.title": ["BASE_TYPE_BAD_LENGTH"]}
    assert codes(validate_modal({**good, "components": []})) == {"data.components": ["BASE_TYPE_BAD_LENGTH"]}
    assert codes(validate_modal({**good, "components": [row(text_input())] * 6})) == {
        "data.components": ["BASE_TYPE_BAD_LENGTH"]
    }
    got = codes(
        validate_modal(
            {**good, "components": [row(text_input(label="l" * 46, value="v" * 4001, placeholder="p" * 101))]}
        )
    )
    assert got == {
        "data.components.0.components.0.label": ["BASE_TYPE_BAD_LENGTH"],
        "data.components.0.components.0.value": ["BASE_TYPE_MAX_LENGTH"],
        "data.components.0.components.0.placeholder": ["BASE_TYPE_MAX_LENGTH"],
    }
    assert codes(validate_modal({**good, "components": [row(text_input(max_length=4001))]})) == {
        "data.components.0.components.0.max_length": ["NUMBER_TYPE_MAX"]
    }


def test_discord_py_modal_payload_is_valid() -> None:
    modal = discord.ui.Modal(title="Signaler une panne", custom_id="m")
    modal.add_item(discord.ui.TextInput(label="Lieu", max_length=100))
    modal.add_item(discord.ui.TextInput(label="Détails", style=discord.TextStyle.long, required=False))
    assert validate_modal(modal.to_dict()) is None


def test_autocomplete_choices() -> None:
    assert validate_autocomplete_choices([{"name": "a", "value": "a"}] * 25) is None
    assert codes(validate_autocomplete_choices([{"name": "a", "value": "a"}] * 26)) == {
        "data.choices": ["BASE_TYPE_MAX_LENGTH"]
    }
    got = codes(validate_autocomplete_choices([{"name": "", "value": "v" * 101}, {"name": "n" * 101, "value": 3}]))
    assert got == {
        "data.choices.0.name": ["BASE_TYPE_BAD_LENGTH"],
        "data.choices.0.value": ["BASE_TYPE_MAX_LENGTH"],
        "data.choices.1.name": ["BASE_TYPE_BAD_LENGTH"],
    }


def test_role_payload() -> None:
    assert (
        validate_role_payload({"name": "Secteur Nord", "mentionable": True, "permissions": "0", "color": 0xFF0000})
        is None
    )
    got = codes(
        validate_role_payload({"name": "r" * 101, "mentionable": "yes", "color": 0x1000000, "permissions": "x"})
    )
    assert got == {
        "name": ["BASE_TYPE_MAX_LENGTH"],
        "mentionable": ["BASE_TYPE_BOOLEAN"],
        "color": ["NUMBER_TYPE_MAX"],
        "permissions": ["NUMBER_TYPE_COERCE"],
    }


def test_upload_limit() -> None:
    limit = 10 * 1024 * 1024
    assert upload_too_large(limit) is None
    assert upload_too_large(limit + 1) == {"message": "Request entity too large", "code": 40005}
    assert upload_too_large(11, limit=10) is not None


def test_error_table() -> None:
    assert json_error(50013) == {"message": "Missing Permissions", "code": 50013}
    assert json_error(10062, "custom") == {"message": "custom", "code": 10062}
    for code, text in {
        10003: "Unknown Channel",
        10008: "Unknown Message",
        10011: "Unknown Role",
        10013: "Unknown User",
        10062: "Unknown interaction",
        40060: "Interaction has already been acknowledged",
        50001: "Missing Access",
        50007: "Cannot send messages to this user",
        40003: "You are opening direct messages too fast",
        160004: "A thread has already been created for this message",
        160005: "Thread is locked",
        160006: "Maximum number of active threads reached",
        50083: "Operation cannot be performed on an archived thread",
        50035: "Invalid Form Body",
        0: "401: Unauthorized",
    }.items():
        assert ERRORS[code] == text


def test_discord_py_reads_our_error_code() -> None:
    class Resp:
        status = 403
        reason = "Forbidden"

    exc = discord.Forbidden(Resp(), json_error(50013))
    assert exc.code == 50013 and exc.text == "Missing Permissions"
