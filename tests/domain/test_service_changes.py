from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.i18n import default_catalogue
from bot.common.limits import MAX_SERVICES
from bot.incidents.rules.model import ServiceState
from bot.incidents.rules.service_changes import (
    ServiceChange,
    ServiceParseError,
    last_item,
    parse_service_changes,
    parse_service_names,
    parse_state,
    service_key,
)


def test_names_in_order_each_once() -> None:
    assert parse_service_names("commandes, livraisons") == ["commandes", "livraisons"]
    assert parse_service_names("sites web; messagerie\ntéléphonie") == ["sites web", "messagerie", "téléphonie"]
    assert parse_service_names("Téléphonie, telephonie , TÉLÉPHONIE") == ["Téléphonie"]
    assert parse_service_names("préparation des commandes, , facturation,") == [
        "préparation des commandes",
        "facturation",
    ]


@pytest.mark.parametrize("text", ["", " , ;", "\n"])
def test_empty_names_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_names(text)
    assert raised.value.message_id == "incident.error.service_list_empty"
    assert "commandes" in default_catalogue().render("fr", raised.value.message_id, **raised.value.args_map)


def test_too_many_or_too_long_names_are_refused() -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_names(", ".join(f"service {i}" for i in range(MAX_SERVICES + 1)))
    assert raised.value.message_id == "incident.error.too_many_services"
    with pytest.raises(ServiceParseError) as raised:
        parse_service_names("x" * 61)
    assert raised.value.message_id == "incident.error.service_name_too_long"


def test_the_cerp_changes() -> None:
    assert parse_service_changes("commandes: rétabli, livraisons: dégradé") == [
        ServiceChange("commandes", ServiceState.RESTORED),
        ServiceChange("livraisons", ServiceState.DEGRADED),
    ]


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("rétabli", ServiceState.RESTORED),
        ("rétablie", ServiceState.RESTORED),
        ("rétablis", ServiceState.RESTORED),
        ("Rétablies", ServiceState.RESTORED),
        ("retabli", ServiceState.RESTORED),
        ("restored", ServiceState.RESTORED),
        ("up", ServiceState.RESTORED),
        ("OK", ServiceState.RESTORED),
        ("de nouveau disponible", ServiceState.RESTORED),
        ("dégradé", ServiceState.DEGRADED),
        ("dégradée", ServiceState.DEGRADED),
        ("degradees", ServiceState.DEGRADED),
        ("degraded", ServiceState.DEGRADED),
        ("partiel", ServiceState.DEGRADED),
        ("partielle", ServiceState.DEGRADED),
        ("ralenti", ServiceState.DEGRADED),
        ("en panne", ServiceState.DOWN),
        ("panne", ServiceState.DOWN),
        ("down", ServiceState.DOWN),
        ("HS", ServiceState.DOWN),
        ("h.s.", ServiceState.DOWN),
        ("coupé", ServiceState.DOWN),
        ("coupées", ServiceState.DOWN),
        ("à l'arrêt", ServiceState.DOWN),
        ("indisponible", ServiceState.DOWN),
        ("hors service", ServiceState.DOWN),
    ],
)
def test_states_in_french_and_english(word: str, state: ServiceState) -> None:
    assert parse_state(word) == state


@pytest.mark.parametrize("word", ["", "peut-être", "bleu", "rétablissement en cours", "dispo ?"])
def test_unknown_states(word: str) -> None:
    assert parse_state(word) is None


@pytest.mark.parametrize("separator", [":", " : ", "=", " → ", "->", " => "])
def test_change_separators(separator: str) -> None:
    assert parse_service_changes(f"téléphonie{separator}rétabli") == [
        ServiceChange("téléphonie", ServiceState.RESTORED)
    ]


def test_a_change_without_state_names_the_item_and_gives_an_example() -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_changes("commandes: rétabli, livraisons")
    assert raised.value.message_id == "incident.error.service_change_unclear"
    assert raised.value.args_map["item"] == "livraisons"
    text = default_catalogue().render("fr", raised.value.message_id, **raised.value.args_map)
    assert "livraisons" in text and "commandes: rétabli" in text


def test_an_unknown_state_names_the_item_and_the_state() -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_changes("commandes: bientôt")
    assert raised.value.message_id == "incident.error.service_state_unknown"
    assert raised.value.args_map == {"item": "commandes: bientôt", "state": "bientôt"}


def test_the_same_service_twice() -> None:
    assert parse_service_changes("Téléphonie: ok, telephonie: rétablie") == [
        ServiceChange("Téléphonie", ServiceState.RESTORED)
    ]
    with pytest.raises(ServiceParseError) as raised:
        parse_service_changes("téléphonie: ok, Téléphonie: en panne")
    assert raised.value.message_id == "incident.error.service_change_twice"


def test_empty_changes_are_refused() -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_changes(" , ")
    assert raised.value.message_id == "incident.error.service_changes_empty"


def test_long_input_is_refused_before_parsing() -> None:
    with pytest.raises(ServiceParseError) as raised:
        parse_service_changes("a: ok, " * 500)
    assert raised.value.message_id == "incident.error.service_list_too_long"


@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_with_a_message(text: str) -> None:
    for parse in (parse_service_changes, parse_service_names):
        try:
            parse(text)
        except ServiceParseError as error:
            assert error.message_id in default_catalogue().keys("fr")


def test_service_key() -> None:
    assert service_key("Sites  Web") == service_key("sites web")
    assert service_key("Messagerie") != service_key("Téléphonie")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("", ("", "")), ("comm", ("", "comm")), ("commandes, liv", ("commandes, ", "liv")), ("a;b", ("a;", "b"))],
)
def test_last_item_for_autocomplete(typed: str, expected: tuple[str, str]) -> None:
    assert last_item(typed) == expected
