from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common import territories
from bot.common.territories import (
    Territory,
    TerritoryError,
    contains,
    departements,
    get,
    label,
    lookup,
    overlaps,
    parse_list,
    regions,
    suggest,
)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def test_counts() -> None:
    assert len(departements()) == 101
    assert len(regions()) == 18
    assert len({d.code for d in departements()}) == 101
    assert "20" not in {d.code for d in departements()}


# Independent of the data file: how many départements each region has (INSEE, since 2016).
DEPARTEMENTS_PER_REGION = {
    "01": 1, "02": 1, "03": 1, "04": 1, "06": 1, "11": 8, "24": 6, "27": 8, "28": 5, "32": 5, "44": 10,
    "52": 5, "53": 4, "75": 12, "76": 13, "84": 12, "93": 6, "94": 2,
}  # fmt: skip


def test_each_region_has_its_departements() -> None:
    counted = {r.code: len(territories.departements_of(r)) for r in regions()}
    assert counted == DEPARTEMENTS_PER_REGION


@pytest.mark.parametrize(
    ("code", "name", "region"),
    [
        ("29", "Finistère", "53"),
        ("22", "Côtes-d'Armor", "53"),
        ("2A", "Corse-du-Sud", "94"),
        ("2B", "Haute-Corse", "94"),
        ("53", "Mayenne", "52"),
        ("16", "Charente", "75"),
        ("75", "Paris", "11"),
        ("90", "Territoire de Belfort", "27"),
        ("971", "Guadeloupe", "01"),
        ("974", "La Réunion", "04"),
        ("976", "Mayotte", "06"),
        ("13", "Bouches-du-Rhône", "93"),
    ],
)
def test_known_departements(code: str, name: str, region: str) -> None:
    territory = get(code)
    assert (territory.name, territory.kind, territory.region_code) == (name, "departement", region)


@pytest.mark.parametrize("departement", departements(), ids=lambda t: t.code)
def test_every_departement_is_found_by_code_and_name(departement: Territory) -> None:
    assert lookup(departement.code) == departement
    assert lookup(departement.code.lower()) == departement
    assert lookup(departement.name) == departement
    assert lookup(strip_accents(departement.name)) == departement
    assert lookup(strip_accents(departement.name).lower().replace("-", " ").replace("'", " ")) == departement
    assert lookup(departement.name.upper()) == departement
    assert lookup(departement.name.replace("'", "’")) == departement


@pytest.mark.parametrize("region", regions(), ids=lambda t: t.code)
def test_every_region_is_found_by_explicit_code_and_name(region: Territory) -> None:
    assert lookup(f"R{region.code}") == region
    assert lookup(f"région {region.code}") == region
    assert lookup(region.code, prefer_kind="region") == region
    assert lookup(strip_accents(region.name), prefer_kind="region") == region
    assert get(region.ref) == region
    assert get(region.code, "region") == region


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("finistere", "29"),
        ("29", "29"),
        ("Bretagne", "R53"),
        ("53", "53"),  # a bare code is the département
        ("R53", "R53"),
        ("region 53", "R53"),
        ("D53", "53"),
        ("corse du sud", "2A"),
        ("Corse-du-Sud", "2A"),
        ("Corse", "R94"),
        ("cotes d'armor", "22"),
        ("Côtes-d’Armor", "22"),
        ("france", "FR"),
        ("France entière", "FR"),
        ("france entiere", "FR"),
        ("FR", "FR"),
        ("Réunion", "974"),
        ("seine st denis", "93"),
        ("Bretagne (région 53)", "R53"),
        ("Mayenne (53)", "53"),
        ("9", "09"),
    ],
)
def test_lookup(text: str, ref: str) -> None:
    assert lookup(text).ref == ref


def test_a_shared_name_follows_the_preferred_kind() -> None:
    assert lookup("Guadeloupe").ref == "971"
    assert lookup("Guadeloupe", prefer_kind="region").ref == "R01"
    assert overlaps(lookup("Guadeloupe"), lookup("Guadeloupe", prefer_kind="region"))


@pytest.mark.parametrize("text", ["", "  ", "Atlantide", "20", "99", "R99", "x" * 500])
def test_unknown_territories(text: str) -> None:
    with pytest.raises(TerritoryError) as caught:
        lookup(text)
    assert caught.value.message_id in ("territory.error.unknown", "territory.error.empty")
    assert isinstance(caught.value, ValueError)


def test_get_refuses_unknown_codes() -> None:
    with pytest.raises(TerritoryError):
        get("20")
    with pytest.raises(TerritoryError):
        get("29", "region")


def test_parse_list_keeps_order_and_dedupes() -> None:
    assert [t.ref for t in parse_list("53, 52, Finistère, 53")] == ["53", "52", "29"]
    assert [t.ref for t in parse_list("53, 52, 75", prefer_kind="region")] == ["R53", "R52", "R75"]
    assert [t.ref for t in parse_list("R53; Finistère,,")] == ["R53", "29"]


def test_parse_list_names_the_first_unknown_item() -> None:
    with pytest.raises(TerritoryError) as caught:
        parse_list("29, Atlantide, Mordor")
    assert caught.value.message_id == "territory.error.unknown_in_list"
    assert caught.value.args_map["item"] == "Atlantide"
    with pytest.raises(TerritoryError):
        parse_list(" , ")


def test_overlaps_and_contains() -> None:
    bretagne, finistere, mayenne, france = get("R53"), get("29"), get("53"), get("FR")
    assert contains(bretagne, finistere) and not contains(finistere, bretagne)
    assert overlaps(finistere, bretagne) and overlaps(bretagne, finistere)
    assert not overlaps(bretagne, mayenne)
    assert overlaps(mayenne, get("R52"))
    assert all(contains(france, t) for t in territories.all_territories())
    assert overlaps(finistere, finistere)
    assert not overlaps(finistere, get("56"))
    assert not overlaps(bretagne, get("R52"))


def test_suggest_offers_both_readings_of_a_code() -> None:
    assert [t.ref for t in suggest("53")][:2] == ["R53", "53"]


def test_suggest_ranks_prefix_before_word_before_substring() -> None:
    names = [t.name for t in suggest("loire")]
    assert names[:3] == ["Loire", "Loire-Atlantique", "Loiret"]
    assert "Haute-Loire" in names
    assert names.index("Loiret") < names.index("Pays de la Loire")
    assert [t.name for t in suggest("sav")] == ["Savoie", "Haute-Savoie"]


def test_suggest_empty_starts_with_regions_then_france() -> None:
    got = suggest("")
    assert len(got) == 25
    assert [t.kind for t in got[:18]] == ["region"] * 18
    assert got[18].ref == "FR"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=150), limit=st.integers(1, 25))
def test_suggest_never_fails_and_respects_the_limit(text: str, limit: int) -> None:
    got = suggest(text, limit)
    assert len(got) <= limit
    assert len(set(got)) == len(got)


def test_labels_show_the_kind() -> None:
    assert label(get("R53"), "fr") == "Bretagne (région 53)"
    assert label(get("53"), "fr") == "Mayenne (53)"
    assert label(get("FR"), "fr") == "France entière"
    assert label(get("FR"), "en") == "All of France"
