from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.i18n import default_catalogue
from bot.common.limits import THREAD_NAME, TextField
from bot.common.text import (
    ELLIPSIS,
    FieldError,
    clean_input,
    name_key,
    safe_text,
    truncate,
    validate_field,
)
from bot.incidents.presentation.thread_posts import thread_name

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# Text that tends to break escaping: mentions, markdown, bidi and control characters, fullwidth look-alikes.
tricky = st.lists(
    st.sampled_from(
        [*"@<>#&!:-*_~`|[]()\\ \n\tabc019é", "everyone", "here", "\u202e", "\u2066", "\x00", "＠", "＜", "\u200b"]
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize(
    "typed",
    [
        "@everyone",
        "@here",
        "Alerte @everyone !",
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<#123456789012345678>",
        "＠everyone",  # fullwidth at sign: NFKC makes it "@"
        "@\u202eeveryone",  # a bidi character hidden inside, removed before looking for mentions
    ],
)
def test_safe_text_neutralises_mentions(typed: str) -> None:
    assert RAW_MENTION.search(safe_text(typed)) is None


@given(tricky)
def test_safe_text_never_leaves_a_raw_mention(text: str) -> None:
    assert RAW_MENTION.search(safe_text(text, multiline=True)) is None
    assert RAW_MENTION.search(safe_text(text)) is None


@given(tricky)
def test_safe_text_removes_bidi_and_control_characters(text: str) -> None:
    out = safe_text(text, multiline=True)
    assert not any(c in BIDI for c in out)
    assert not any(ord(c) < 32 and c != "\n" for c in out)
    assert "\n" not in safe_text(text)


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("[clic](http://evil.example)", "\\[clic\\](http://evil.example)"),
        ("# TITRE", "\\# TITRE"),
        ("-# petit", "\\-# petit"),
        ("> citation", "\\> citation"),
        ("- puce", "\\- puce"),
        ("1. liste", "1\\. liste"),
        (
            "**gras** _it_ ~~barré~~ ||spoiler|| `code`",
            "\\*\\*gras\\*\\* \\_it\\_ \\~\\~barré\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`",
        ),
        ("Saint-Brieuc (22)", "Saint-Brieuc (22)"),
        ("a\\b", "a\\\\b"),
    ],
)
def test_safe_text_escapes_markdown(typed: str, escaped: str) -> None:
    assert safe_text(typed) == escaped


def test_line_start_markdown_is_escaped_on_every_line() -> None:
    assert safe_text("ok\n# titre\n- puce", multiline=True) == "ok\n\\# titre\n\\- puce"


def test_clean_input_keeps_words_and_drops_invisible_characters() -> None:
    assert clean_input("  Cerp\u202e Bretagne\x07  ") == "Cerp Bretagne"
    assert clean_input("ligne 1\r\n\n\n\nligne 2", multiline=True) == "ligne 1\n\nligne 2"
    assert clean_input("ligne 1\nligne 2") == "ligne 1 ligne 2"


def test_validate_field_names_the_field_and_its_limit() -> None:
    with pytest.raises(FieldError) as raised:
        validate_field(TextField.TITLE, "x" * 101)
    assert raised.value.message_id == "incident.error.field_too_long"
    text = default_catalogue().render("fr", raised.value.message_id, **raised.value.args_map)
    assert "le titre" in text and "100" in text and "101" in text
    assert validate_field(TextField.TITLE, "x" * 100) == "x" * 100


def test_validate_field_required_and_optional() -> None:
    with pytest.raises(FieldError) as raised:
        validate_field(TextField.TITLE, "   ", required=True)
    assert raised.value.message_id == "incident.error.field_required"
    assert validate_field(TextField.ORGANISATION, "  ") is None
    assert validate_field(TextField.ORGANISATION, None) is None


def test_limits_fit_discord() -> None:
    # The title goes into "#99999 · title" thread names and embed titles with room to spare.
    assert TextField.TITLE.limit <= THREAD_NAME
    assert TextField.WORKAROUND.limit <= 1024
    assert TextField.NOTE.limit < 2000


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_truncate_respects_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith(ELLIPSIS)


def test_truncate_never_leaves_a_lone_backslash() -> None:
    assert truncate("abc\\*def", 5) == "abc…"
    assert truncate("ab\\\\cdef", 5) == "ab\\\\…"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Cerp Bretagne Atlantique à l'arrêt", "#42 · Cerp Bretagne Atlantique à l'arrêt"),
        ("   ", "#42"),
        ("\u202e\u2066", "#42"),
        ("🔥🔥🔥", "#42 · 🔥🔥🔥"),
        ("ligne\nsuivante", "#42 · ligne suivante"),
    ],
)
def test_thread_name(title: str, expected: str) -> None:
    assert thread_name(42, title) == expected


def test_long_thread_name_is_shortened_with_an_ellipsis() -> None:
    name = thread_name(42, "x" * 150)
    assert len(name) == THREAD_NAME
    assert name.startswith("#42 · x") and name.endswith(ELLIPSIS)


@given(st.integers(min_value=1, max_value=10**9), st.text(max_size=300))
def test_thread_name_is_never_empty_and_fits(number: int, title: str) -> None:
    name = thread_name(number, title)
    assert name.startswith(f"#{number}")
    assert 1 <= len(name) <= THREAD_NAME
    assert name.strip() == name


def test_name_key_ignores_case_accents_and_spaces() -> None:
    assert name_key("  Téléphonie   Fixe ") == name_key("telephonie fixe") == "telephonie fixe"
    assert name_key("Pharmacie") == name_key("PHARMACIE")
    assert name_key("commandes") != name_key("livraisons")


# --- blank-looking text and look-alike names ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["\u200b", "\u200b\u200c\u200d", "\u3164", "\u3164 \u3164", "\u115f\u1160", "\u2800", "\ufeff \u2060"]
)
def test_a_title_of_only_invisible_characters_is_missing(typed: str) -> None:
    with pytest.raises(FieldError) as refused:
        validate_field(TextField.TITLE, typed, required=True)
    assert refused.value.message_id == "incident.error.field_required"
    assert validate_field(TextField.NOTE, typed) is None


@pytest.mark.parametrize("typed", ["\u0440harmacie", "pharm\u0430cie", "libr\u03b1irie", "t\u0435l\u0435phone"])
@pytest.mark.parametrize("field", [TextField.SECTOR, TextField.SERVICE_NAME])
def test_a_name_mixing_alphabets_is_refused_where_names_are_compared(typed: str, field: TextField) -> None:
    with pytest.raises(FieldError) as refused:
        validate_field(field, typed, required=True)
    assert refused.value.message_id == "incident.error.mixed_scripts"


@pytest.mark.parametrize("typed", ["pharmacie", "santé", "Mairie d'Angoulême", "\u0430\u043f\u0442\u0435\u043a\u0430"])
def test_names_in_one_alphabet_and_titles_are_kept(typed: str) -> None:
    assert validate_field(TextField.SECTOR, typed, required=True) == typed
    assert validate_field(TextField.TITLE, f"{typed} \u0440", required=True) == f"{typed} \u0440"
