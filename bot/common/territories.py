"""French territories: the 18 regions, the 101 départements and "France entière", by official INSEE code.

Region and département codes collide ("53" is the region Bretagne and the département Mayenne; "01" is the
region Guadeloupe and the département Ain), and five overseas regions share their name with their only
département. So each territory has a `ref` that is unique and is what should be stored: "FR", "R53" for a
region, "53" / "2A" / "971" for a département. The rule for what people type:
- a bare code is the département unless `prefer_kind="region"` is passed (a "territoires: 53, 52, 75" field
  meant as regions) or it is written "R53", "région 53", "region 53", "reg 53";
  "D53" / "dép 53" / "département 53" force the département;
- a name shared by a region and a département (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte) follows
  the same preference; either reading overlaps the other, so routing is right whichever is chosen;
- autocomplete (`suggest`) always offers both readings of a code, each with its name, so the person picks.
Départements come first by default because they are what a code alone means in everyday French (postcodes,
number plates); regions are usually named.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from bot.common.errors import TocsinError
from bot.common.i18n.catalogue import Language, default_catalogue

Kind = Literal["country", "region", "departement"]
FRANCE_CODE = "FR"
MAX_INPUT_CHARS = 100


class TerritoryError(TocsinError, ValueError):
    """A territory the person typed that does not exist; the message names what was not found."""


@dataclass(frozen=True)
class Territory:
    code: str
    name: str
    kind: Kind
    region_code: str | None = None

    @property
    def ref(self) -> str:
        """A unique key for storage and autocomplete values: "FR", "R53" (region), "53" (département)."""
        return f"R{self.code}" if self.kind == "region" else self.code


@dataclass(frozen=True)
class _Index:
    france: Territory
    regions: tuple[Territory, ...]
    departements: tuple[Territory, ...]
    by_ref: dict[str, Territory]
    by_name: dict[str, tuple[Territory, ...]]
    keys: tuple[tuple[Territory, str, tuple[str, ...]], ...]  # territory, folded name, its words


def fold(text: str) -> str:
    """Case-, accent-, hyphen- and apostrophe-insensitive form used to compare names."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[\s\-'’‘`´_.]+", " ", text).strip()
    text = re.sub(r"\bst\b", "saint", text)
    return re.sub(r"\bste\b", "sainte", text)


_FRANCE_ALIASES = ("france", "france entiere", "toute la france", "all of france", "national", "fr")


@cache
def _index() -> _Index:
    raw = json.loads((resources.files("bot.common") / "data" / "territories.json").read_text(encoding="utf-8"))
    france = Territory(raw["country"]["code"], raw["country"]["name"], "country")
    regions = tuple(Territory(r["code"], r["name"], "region") for r in raw["regions"])
    departements = tuple(Territory(d["code"], d["name"], "departement", d["region"]) for d in raw["departements"])
    by_ref = {t.ref: t for t in (france, *regions, *departements)}
    by_name: dict[str, tuple[Territory, ...]] = {}
    for territory in (*regions, *departements):
        names = {fold(territory.name)}
        # "Réunion" without its article is how most people write it.
        names.add(re.sub(r"^(la|le|les) ", "", fold(territory.name)))
        for name in names:
            by_name[name] = (*by_name.get(name, ()), territory)
    for alias in _FRANCE_ALIASES:
        by_name[alias] = (france,)
    keys = tuple((t, fold(t.name), tuple(fold(t.name).split())) for t in (france, *regions, *departements))
    return _Index(france, regions, departements, by_ref, by_name, keys)


def all_territories() -> tuple[Territory, ...]:
    index = _index()
    return (index.france, *index.regions, *index.departements)


def regions() -> tuple[Territory, ...]:
    return _index().regions


def departements() -> tuple[Territory, ...]:
    return _index().departements


def france() -> Territory:
    return _index().france


def _canonical_code(code: str) -> str:
    code = code.strip().upper()
    # "1" for Ain, "9" for Ariège: a single digit is a département number written without its zero.
    return f"0{code}" if len(code) == 1 and code.isdigit() else code


def get(code: str, kind: Kind | None = None) -> Territory:
    """The territory with this `ref` ("FR", "R53", "29"), or this code of the given kind."""
    index = _index()
    key = _canonical_code(code)
    if kind == "region":
        key = f"R{key.removeprefix('R')}"
    elif kind == "country" and key != FRANCE_CODE:
        raise TerritoryError("territory.error.unknown", text=code)
    territory = index.by_ref.get(key)
    if territory is None or (kind is not None and territory.kind != kind):
        raise TerritoryError("territory.error.unknown", text=code)
    return territory


_REGION_PREFIX = re.compile(r"(?:r|reg|region)\s*(\w{1,3})")
_DEPARTEMENT_PREFIX = re.compile(r"(?:d|dep|dept|departement)\s*(\w{1,3})")
_LABEL = re.compile(r"(?P<name>.*?)\s*\((?P<kind>region|r|departement|dep)?\s*(?P<code>\w{1,3})\)")


def lookup(text: str, prefer_kind: Kind | None = None) -> Territory:
    """The territory `text` names, by code or name; see the module docstring for the code collision rule."""
    if not isinstance(text, str) or not text.strip():
        raise TerritoryError("territory.error.empty", text="")
    shown = text.strip()
    if len(text) > MAX_INPUT_CHARS:
        raise TerritoryError("territory.error.unknown", text=shown[:40] + "…")
    found = _find(text, prefer_kind)
    if found is None:
        raise TerritoryError("territory.error.unknown", text=shown)
    return found


def _find(text: str, prefer_kind: Kind | None) -> Territory | None:
    index = _index()
    folded = fold(text)
    if match := _LABEL.fullmatch(folded):
        # The label autocomplete shows, "Bretagne (région 53)" or "Mayenne (53)", typed back by hand.
        kind: Kind = "region" if match["kind"] in ("region", "r") else "departement"
        if match["kind"] is None and match["code"].upper() == FRANCE_CODE:
            return index.france
        return _by_code(match["code"], kind)
    compact = folded.replace(" ", "")
    if (match := _REGION_PREFIX.fullmatch(compact)) and not compact.isalpha():
        return _by_code(match[1], "region")
    if (match := _DEPARTEMENT_PREFIX.fullmatch(compact)) and not compact.isalpha():
        return _by_code(match[1], "departement")
    if compact.isalnum() and len(compact) <= 3 and any(c.isdigit() for c in compact):
        if prefer_kind == "region" and (region := _by_code(compact, "region")):
            return region
        return _by_code(compact, "departement") or _by_code(compact, "region")
    named = index.by_name.get(folded)
    if not named:
        return None
    if len(named) > 1:
        wanted = prefer_kind or "departement"
        return next((t for t in named if t.kind == wanted), named[0])
    return named[0]


def _by_code(code: str, kind: Kind) -> Territory | None:
    key = _canonical_code(code)
    return _index().by_ref.get(f"R{key}" if kind == "region" else key)


_KIND_ORDER = {"region": 0, "country": 1, "departement": 2}


def suggest(text: str, limit: int = 25) -> list[Territory]:
    """Autocomplete: exact code, name prefix, word prefix, then substring; a code shows both its readings."""
    index = _index()
    folded = fold(text[:MAX_INPUT_CHARS]) if isinstance(text, str) else ""
    if not folded:
        return [*index.regions, index.france, *index.departements][:limit]
    compact = folded.replace(" ", "")
    code_query = _canonical_code(compact) if compact.isalnum() and len(compact) <= 4 else None
    region_query = None
    if (match := _REGION_PREFIX.fullmatch(compact)) and not compact.isalpha():
        region_query = match[1].upper()
    query_words = folded.split()
    ranked: list[tuple[int, int, str, Territory]] = []
    for territory, name, words in index.keys:
        rank = _rank(territory, name, words, folded, query_words, code_query, region_query)
        if rank is not None:
            ranked.append((rank, _KIND_ORDER[territory.kind], name, territory))
    ranked.sort(key=lambda item: item[:3])
    return [territory for *_, territory in ranked[:limit]]


def _rank(
    territory: Territory,
    name: str,
    words: tuple[str, ...],
    folded: str,
    query_words: list[str],
    code_query: str | None,
    region_query: str | None,
) -> int | None:
    code = territory.code.upper()
    if region_query is not None and territory.kind == "region":
        if code == _canonical_code(region_query):
            return 0
        if code.startswith(region_query):
            return 2
    if code_query is not None and code == code_query:
        return 0
    if territory.kind == "country" and folded in _FRANCE_ALIASES:
        return 0
    if name == folded:
        return 1
    if name.startswith(folded) or (code_query is not None and code.startswith(code_query)):
        return 2
    if all(any(word.startswith(q) for word in words) for q in query_words):
        return 3
    if folded in name:
        return 4
    return None


def parse_list(text: str, prefer_kind: Kind | None = None) -> list[Territory]:
    """Territories from "53, 52, Finistère": in the order typed, each once; names the first unknown item."""
    if not isinstance(text, str) or not text.strip():
        raise TerritoryError("territory.error.empty", text="")
    if len(text) > 10 * MAX_INPUT_CHARS:
        raise TerritoryError("territory.error.list_too_long", limit=10 * MAX_INPUT_CHARS)
    found: list[Territory] = []
    for item in re.split(r"[,;\n]+", text):
        if not item.strip():
            continue
        territory = _find(item, prefer_kind) if len(item) <= MAX_INPUT_CHARS else None
        if territory is None:
            raise TerritoryError("territory.error.unknown_in_list", item=item.strip()[:40])
        if territory not in found:
            found.append(territory)
    if not found:
        raise TerritoryError("territory.error.empty", text="")
    return found


def contains(outer: Territory, inner: Territory) -> bool:
    """Whether `inner` lies within `outer` (a territory contains itself; France contains everything)."""
    if outer == inner or outer.kind == "country":
        return True
    return outer.kind == "region" and inner.kind == "departement" and inner.region_code == outer.code


def overlaps(a: Territory, b: Territory) -> bool:
    """Route matching: equal, or one contains the other."""
    return contains(a, b) or contains(b, a)


def region_of(territory: Territory) -> Territory | None:
    if territory.region_code is None:
        return None
    return get(territory.region_code, "region")


def departements_of(region: Territory) -> tuple[Territory, ...]:
    if region.kind == "country":
        return _index().departements
    return tuple(d for d in _index().departements if d.region_code == region.code)


def label(territory: Territory, language: Language) -> str:
    """How a territory is shown, code included so that "53" the region and "53" the département differ."""
    catalogue = default_catalogue()
    if territory.kind == "country":
        return catalogue.render(
            language, "territory.label.country", name=catalogue.render(language, "territory.name.france")
        )
    if territory.kind == "region":
        return catalogue.render(language, "territory.label.region", name=territory.name, code=territory.code)
    return catalogue.render(language, "territory.label.departement", name=territory.name, code=territory.code)
