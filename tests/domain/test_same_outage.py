"""Which open incidents a declaration from a card is plausibly a second one of: the same organisation (case,
accents and punctuation aside) or a shared service, with territories overlapping or either naming none; with
hypothesis, over names written with any case and accents, and over any pair of territories."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common import territories as territory_data
from bot.reports.rules import SAME_OUTAGE_SHOWN, OpenOutage, same_outage


def outage(
    number: int,
    organisation: str | None = "Cerp Bretagne Atlantique",
    services: tuple[str, ...] = (),
    territories: tuple[str, ...] = ("R53",),
) -> OpenOutage:
    return OpenOutage(number, f"Panne {number}", organisation, services, territories)


def numbers(found: tuple[OpenOutage, ...]) -> list[int]:
    return [o.number for o in found]


def test_same_organisation_written_otherwise_is_the_same_outage() -> None:
    found = same_outage([outage(4)], organisation="cerp bretagne-atlantique ", services=(), territories=("29",))
    assert numbers(found) == [4]


def test_another_organisation_without_a_shared_service_is_not() -> None:
    open_ = [outage(4, services=("Commandes",))]
    assert same_outage(open_, organisation="Cerp Rouen", services=("livraisons",), territories=("29",)) == ()


def test_a_shared_service_is_the_same_outage_whatever_the_organisation() -> None:
    open_ = [outage(4, organisation=None, services=("Téléphonie",)), outage(5, organisation="Ocp", services=())]
    found = same_outage(open_, organisation="Orange", services=("telephonie ",), territories=("22",))
    assert numbers(found) == [4]


def test_territories_apart_are_not_the_same_outage() -> None:
    open_ = [outage(4, territories=("R84",))]  # Auvergne-Rhône-Alpes
    assert same_outage(open_, organisation="Cerp Bretagne Atlantique", services=(), territories=("29",)) == ()


def test_either_without_territories_overlaps() -> None:
    open_ = [outage(4, territories=()), outage(5, territories=("R84",))]
    assert numbers(same_outage(open_, organisation="CERP Bretagne Atlantique", services=(), territories=())) == [5, 4]
    assert numbers(same_outage(open_, organisation="Cerp Bretagne Atlantique", services=(), territories=("29",))) == [4]


def test_newest_first_and_a_few_at_most() -> None:
    open_ = [outage(n) for n in range(1, 10)]
    found = same_outage(open_, organisation="Cerp Bretagne Atlantique", services=(), territories=("FR",))
    assert numbers(found) == list(range(9, 9 - SAME_OUTAGE_SHOWN, -1))


def _accented(text: str, flips: list[bool], accents: list[bool]) -> str:
    out = []
    for char, flip, accent in zip(text, flips, accents, strict=False):
        char = char.swapcase() if flip else char
        out.append(unicodedata.normalize("NFC", char + "\u0301") if accent and char.isalpha() else char)
    return "".join(out) + text[len(out) :]


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=20).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(names, st.lists(st.booleans(), max_size=20), st.lists(st.booleans(), max_size=20), st.booleans())
def test_names_match_whatever_their_case_and_accents(
    name: str, flips: list[bool], accents: list[bool], as_service: bool
) -> None:
    written = _accented(name, flips, accents)
    if as_service:
        open_ = [outage(1, organisation="Autre", services=(name,), territories=())]
        found = same_outage(open_, organisation="Quelqu'un", services=(written,), territories=())
    else:
        found = same_outage(
            [outage(1, organisation=name, territories=())], organisation=written, services=(), territories=()
        )
    assert numbers(found) == [1]


refs = st.sampled_from([t.ref for t in territory_data.all_territories()])


@settings(max_examples=300, deadline=None)
@given(st.lists(refs, min_size=1, max_size=3), st.lists(refs, min_size=1, max_size=3))
def test_territories_match_exactly_when_one_overlaps(open_refs: list[str], typed_refs: list[str]) -> None:
    found = same_outage(
        [outage(1, territories=tuple(open_refs))],
        organisation="Cerp Bretagne Atlantique",
        services=(),
        territories=tuple(typed_refs),
    )
    overlapping = any(
        territory_data.overlaps(territory_data.get(a), territory_data.get(b)) for a in open_refs for b in typed_refs
    )
    assert bool(found) == overlapping
