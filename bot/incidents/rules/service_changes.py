"""Service lists and service changes as people type them: "commandes, livraisons",
"commandes: rétabli, livraisons: dégradé".

Items are separated by commas, semicolons or line breaks; a change is "name: state", "name = state",
"name → state" or "name -> state". States are read in French or English, with or without accents, in any
gender and number ("rétabli", "rétablie", "rétablis", "restored", "ok"…). Names are kept as typed (cleaned)
and compared by `service_key`: without case, accents or repeated spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.common.errors import TocsinError
from bot.common.limits import MAX_SERVICE_LIST_CHARS, MAX_SERVICES, TextField
from bot.common.text import clean_input, name_key
from bot.incidents.rules.model import ServiceState


class ServiceParseError(TocsinError, ValueError):
    """A service list or change that cannot be read; the message quotes the item and gives an example."""


@dataclass(frozen=True)
class ServiceChange:
    name: str
    state: ServiceState

    @property
    def key(self) -> str:
        return service_key(self.name)


def service_key(name: str) -> str:
    """The form under which service names are compared: "Téléphonie " and "telephonie" are one service."""
    return name_key(name)


_ITEM_SEPARATORS = re.compile(r"[,;\n]+")
_CHANGE = re.compile(r"^(?P<name>.+?)\s*(?::|=|→|->|=>)\s*(?P<state>.*)$")

# Word stems, matched on the folded state with any feminine/plural ending: the forms people type.
_STATE_WORDS: tuple[tuple[ServiceState, re.Pattern[str]], ...] = (
    (
        ServiceState.RESTORED,
        re.compile(
            r"(de nouveau |a nouveau )?(retabli|restaure|repar|fonctionnel|operationnel|revenu|resolu|repris"
            r"|disponible|normal)(e|le)?s?|restored|up|ok|back|fixed|working|resolved|operational|available|normal"
        ),
    ),
    (
        ServiceState.DEGRADED,
        re.compile(
            r"(degrade|partiel|ralenti|perturbe|limite|lent|instable)(e|le)?s?|degraded|partial|partially up"
            r"|slow|limited|unstable|disrupted"
        ),
    ),
    (
        ServiceState.DOWN,
        re.compile(
            r"(en )?panne|hs|h s|hors service|ko|coupe(e)?s?|arrete(e)?s?|a l arret|indisponible(s)?|interrompu(e)?s?"
            r"|bloque(e)?s?|down|out|offline|unavailable|broken|stopped|not working"
        ),
    ),
)

EXAMPLE_CHANGES = "commandes: rétabli, livraisons: dégradé"


def parse_state(text: str) -> ServiceState | None:
    """The state a word names ("rétablie", "dégradés", "en panne", "restored"…), or None."""
    folded = re.sub(r"[^a-z0-9]+", " ", name_key(text)).strip()
    for state, pattern in _STATE_WORDS:
        if pattern.fullmatch(folded):
            return state
    return None


def _items(text: str) -> list[str]:
    if len(text) > MAX_SERVICE_LIST_CHARS:
        raise ServiceParseError("incident.error.service_list_too_long", limit=MAX_SERVICE_LIST_CHARS)
    return [item for item in (clean_input(raw) for raw in _ITEM_SEPARATORS.split(text)) if item]


def _checked_name(name: str) -> str:
    if len(name) > TextField.SERVICE_NAME.limit:
        raise ServiceParseError(
            "incident.error.service_name_too_long", item=name[:40] + "…", limit=TextField.SERVICE_NAME.limit
        )
    return name


def parse_service_names(text: str) -> list[str]:
    """ "commandes, livraisons" → ["commandes", "livraisons"]: in the order typed, each once by `service_key`."""
    names: list[str] = []
    seen: set[str] = set()
    for item in _items(text):
        key = service_key(item)
        if key in seen:
            continue
        seen.add(key)
        names.append(_checked_name(item))
    if not names:
        raise ServiceParseError("incident.error.service_list_empty", example="commandes, livraisons")
    if len(names) > MAX_SERVICES:
        raise ServiceParseError("incident.error.too_many_services", limit=MAX_SERVICES)
    return names


def parse_service_changes(text: str) -> list[ServiceChange]:
    """ "commandes: rétabli, livraisons: dégradé" → one `ServiceChange` each, in the order typed.

    An item without a state, with a state not understood, or a service given twice with different states is
    refused with the item quoted; the same service twice with the same state counts once.
    """
    changes: list[ServiceChange] = []
    for item in _items(text):
        match = _CHANGE.match(item)
        if match is None or not match["state"].strip():
            raise ServiceParseError("incident.error.service_change_unclear", item=item[:60], example=EXAMPLE_CHANGES)
        name = _checked_name(clean_input(match["name"]))
        state = parse_state(match["state"])
        if state is None:
            raise ServiceParseError(
                "incident.error.service_state_unknown", item=item[:60], state=match["state"].strip()[:30]
            )
        change = ServiceChange(name, state)
        earlier = next((c for c in changes if c.key == change.key), None)
        if earlier is not None:
            if earlier.state != state:
                raise ServiceParseError("incident.error.service_change_twice", name=name)
            continue
        changes.append(change)
    if not changes:
        raise ServiceParseError("incident.error.service_changes_empty", example=EXAMPLE_CHANGES)
    if len(changes) > MAX_SERVICES:
        raise ServiceParseError("incident.error.too_many_services", limit=MAX_SERVICES)
    return changes


def last_item(text: str) -> tuple[str, str]:
    """For autocomplete: (what is before the last item, the last item being typed), separators kept in the
    first part so that a suggestion can be appended to it."""
    cut = max(text.rfind(","), text.rfind(";")) + 1
    rest = text[cut:]
    stripped = rest.lstrip()
    return text[: cut + len(rest) - len(stripped)], stripped
