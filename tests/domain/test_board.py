"""A board's rules and message: what it shows (matching like a route, open incidents only, maintenance in progress
or within a day), worst first, late flags; and, for any set of incidents, a message within Discord's limits that
shows a prefix of that order and sums up the rest as "+N more" — nothing open goes missing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.board.presentation import URL_LENGTH_BOUND, board_message, scope_label
from bot.board.rules import LISTED_AT_MOST, MAINTENANCE_HORIZON, Board, PlannedStop, board_view
from bot.common.limits import (
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_FOOTER,
    EMBED_TITLE,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    MAX_SERVICES,
    TextField,
)
from bot.common.text import name_key
from bot.delivery import outbox
from bot.incidents.rules.model import (
    Cause,
    Incident,
    IncidentService,
    ServiceState,
    Severity,
    Status,
    Workaround,
    update_late_since,
)
from tests.domain.outage_examples import ANNE, GUILD, paris

NOW = paris(2024, 10, 19, 15)
# Typed text cannot spell a URL (its pieces are single characters and a few words), so every match is a link.
LINK = re.compile(r"https://discord\.com/channels/1/(\d+)\)")
MORE = re.compile(r"^\+(\d+) ")


def incident(number: int, severity: Severity = Severity.MAJOR, **changes: Any) -> Incident:
    base = Incident(
        guild_id=GUILD,
        number=number,
        title=f"Panne {number}",
        sector="pharmacie",
        territories=("29",),
        severity=severity,
        cause=Cause.UNKNOWN,
        status=Status.INVESTIGATING,
        started_at=paris(2024, 10, 19, 12) + timedelta(minutes=number),
        declared_at=paris(2024, 10, 19, 12),
        declared_by=ANNE,
        owner_id=ANNE,
        updated_at=paris(2024, 10, 19, 12),
    )
    return replace(base, **changes)


def whole_board(**restriction: Any) -> Board:
    return Board(id=1, guild_id=GUILD, channel_id=77, **restriction)


def links_for(incidents: list[Incident]) -> dict[int, str]:
    return {i.number: f"https://discord.com/channels/1/{i.number}" for i in incidents}


# --- rules -------------------------------------------------------------------------------------------------


def test_a_board_matches_like_a_route_and_lists_the_worst_first() -> None:
    minor = incident(1, Severity.MINOR)
    critical_late = incident(2, Severity.CRITICAL, started_at=paris(2024, 10, 19, 13))
    critical_early = incident(3, Severity.CRITICAL, started_at=paris(2024, 10, 19, 9))
    major_elsewhere = incident(4, territories=("75",))
    librairie = incident(5, sector="librairie")
    resolved = incident(6, status=Status.RESOLVED)
    other_server = incident(7, guild_id=GUILD + 1)
    every = [minor, critical_late, critical_early, major_elsewhere, librairie, resolved, other_server]
    shown = board_view(whole_board(), every, NOW).incidents
    assert [i.number for i in shown] == [3, 2, 4, 5, 1]
    brittany = board_view(whole_board(territory="R53"), every, NOW).incidents
    assert [i.number for i in brittany] == [3, 2, 5, 1], "a région shows its départements' incidents"
    pharmacies = board_view(whole_board(territory="29", sector="pharmacie"), every, NOW).incidents
    assert [i.number for i in pharmacies] == [3, 2, 1]


def test_the_next_update_becomes_late_once_its_time_has_passed() -> None:
    due = NOW - timedelta(minutes=5)
    late = incident(1, next_update_at=due)
    on_time = incident(2, next_update_at=NOW + timedelta(hours=1))
    view = board_view(whole_board(), [late, on_time, incident(3)], NOW)
    assert dict(view.late) == {1: due}
    assert update_late_since(late, due - timedelta(seconds=1)) is None
    assert update_late_since(late, due) == due
    assert update_late_since(replace(late, status=Status.RESOLVED, next_update_at=due), NOW) is None


def test_maintenance_shows_while_in_progress_and_from_a_day_before() -> None:
    def stop(start_in: timedelta, hours: int = 2, title: str = "Maintenance") -> PlannedStop:
        return PlannedStop(
            guild_id=GUILD,
            title=title,
            organisation="Cerp",
            territories=("29",),
            sector=None,
            starts_at=NOW + start_in,
            ends_at=NOW + start_in + timedelta(hours=hours),
        )

    running = stop(-timedelta(hours=1), title="en cours")
    soon = stop(timedelta(hours=3), title="bientôt")
    later = stop(MAINTENANCE_HORIZON + timedelta(minutes=1), title="plus tard")
    over = stop(-timedelta(hours=3), title="finie")
    view = board_view(whole_board(), [], NOW, [soon, later, over, running])
    assert [s.title for s in view.stops] == ["en cours", "bientôt"]
    text = texts(board_message(view, "fr", links={}))
    assert "en cours, fin : <t:" in text and "début : <t:" in text and "plus tard" not in text


def test_nothing_is_down_is_said_in_one_line() -> None:
    payload = board_message(board_view(whole_board(), [incident(1, status=Status.RESOLVED)], NOW), "en", links={})
    (embed,) = payload["embeds"]
    assert embed["description"] == "✅ Nothing is down."
    assert payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}


def test_an_incident_shows_its_link_services_since_next_update_and_workaround() -> None:
    shown = incident(
        42,
        Severity.CRITICAL,
        organisation="Cerp Bretagne Atlantique",
        next_update_at=NOW + timedelta(hours=1),
        workaround=Workaround(version=2, text="Commander\nvia Dilicom " + "x" * 300, set_at=NOW, set_by=ANNE),
        services=tuple(
            IncidentService(name=n, key=name_key(n), state=s, since=NOW, affected_since=NOW)
            for n, s in (("Commandes", ServiceState.DOWN), ("Livraisons", ServiceState.DEGRADED))
        ),
    )
    text = texts(board_message(board_view(whole_board(), [shown], NOW), "fr", links=links_for([shown])))
    assert "**[#42 · Panne 42](https://discord.com/channels/1/42)** — Cerp Bretagne Atlantique" in text
    assert "🔴 Commandes · 🟠 Livraisons" in text and "🔴 en panne · 🟠 dégradé · 🟢 rétabli" in text
    assert f"début : <t:{int(shown.started_at.timestamp())}:R>" in text
    assert f"prochaine mise à jour : <t:{int((NOW + timedelta(hours=1)).timestamp())}:R>" in text
    assert "📌 Consignes : Commander via Dilicom xxx" in text and "x" * 200 not in text
    late = replace(shown, next_update_at=NOW - timedelta(minutes=10))
    text = texts(board_message(board_view(whole_board(), [late], NOW), "en", links=links_for([late])))
    assert f"⏰ **update late**, due: <t:{int(late.next_update_at.timestamp())}:R>" in text  # type: ignore[union-attr]
    assert "next update" not in text


def test_a_thread_not_made_yet_is_linked_by_reference() -> None:
    shown = incident(1)
    payload = board_message(board_view(whole_board(), [shown], NOW), "fr", links={1: outbox.ref(9, "thread_id")})
    description = payload["embeds"][1]["description"]
    assert isinstance(description, dict) and {"$ref": 9, "field": "thread_id"} in description["$concat"]


def test_the_scope_names_the_territory_and_the_sector() -> None:
    board = whole_board(territory="R53", sector="pharmacie")
    label = scope_label(board, {"pharmacie": "Pharmacie"}, "fr")
    assert label is not None and "Bretagne" in label and label.endswith("· Pharmacie")
    assert scope_label(whole_board(), {}, "fr") is None


# --- any set of incidents --------------------------------------------------------------------------------------


def typed(limit: int, min_size: int = 0) -> st.SearchStrategy[str]:
    pieces = st.sampled_from([*"*_~`|[]<>\\#-@ \nabcé", "@everyone", "🔥"])
    return st.lists(pieces, min_size=min_size, max_size=limit).map(lambda p: "".join(p)[:limit])


@st.composite
def open_incidents(draw: st.DrawFn) -> list[Incident]:
    count = draw(st.integers(0, 75))
    found = []
    for number in range(1, count + 1):
        detailed = draw(st.booleans()) if number < 25 else False  # long texts on some, plain on the many
        names = (
            draw(st.lists(typed(TextField.SERVICE_NAME.limit, 1), max_size=MAX_SERVICES, unique_by=name_key))
            if detailed
            else ["Commandes", "Livraisons"][: number % 3]
        )
        found.append(
            incident(
                number,
                draw(st.sampled_from(list(Severity))),
                title=draw(typed(TextField.TITLE.limit, 1)) if detailed else f"Panne {number}",
                organisation=draw(st.none() | typed(TextField.ORGANISATION.limit, 1)) if detailed else None,
                started_at=paris(2024, 10, 19, 12) - timedelta(minutes=draw(st.integers(0, 10_000))),
                next_update_at=draw(
                    st.none() | st.just(NOW - timedelta(minutes=1)) | st.just(NOW + timedelta(hours=1))
                ),
                workaround=Workaround(
                    version=1, text=draw(typed(TextField.WORKAROUND.limit, 1)), set_at=NOW, set_by=ANNE
                )
                if detailed and draw(st.booleans())
                else None,
                services=tuple(
                    IncidentService(name=n, key=name_key(n), state=ServiceState.DOWN, since=NOW, affected_since=NOW)
                    for n in names
                ),
            )
        )
    return found


def texts(payload: dict[str, Any]) -> str:
    parts = [payload.get("content", "")]
    for embed in payload["embeds"]:
        parts += [
            embed.get("title", ""),
            resolved(embed.get("description", "")),
            embed.get("footer", {}).get("text", ""),
        ]
    return "\n".join(parts)


def resolved(value: Any) -> str:
    if isinstance(value, dict):
        return "".join(str(p) if isinstance(p, str) else "x" * URL_LENGTH_BOUND for p in value["$concat"])
    return str(value)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(open_incidents(), st.sampled_from(["fr", "en"]), st.booleans())
def test_any_set_of_incidents_fits_shows_the_worst_first_and_sums_up_the_rest(
    found: list[Incident], language: str, by_reference: bool
) -> None:
    # The store hands in the first `LISTED_AT_MOST` of the board's order and how many it matches in all.
    order_of_all = board_view(whole_board(), found, NOW).incidents
    view = board_view(whole_board(), order_of_all[:LISTED_AT_MOST], NOW, matching=len(order_of_all))
    links: dict[int, Any] = (
        {i.number: outbox.ref(1000 + i.number, "thread_id") for i in found} if by_reference else links_for(found)
    )
    payload = board_message(view, language, links=links)  # type: ignore[arg-type]
    embeds = payload["embeds"]
    assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
    total = 0
    for embed in embeds:
        description = resolved(embed.get("description", ""))
        assert len(description) <= EMBED_DESCRIPTION
        assert len(embed.get("title", "")) <= EMBED_TITLE
        assert len(embed.get("footer", {}).get("text", "")) <= EMBED_FOOTER
        assert len(embed.get("fields", [])) <= EMBED_FIELDS
        total += len(embed.get("title", "")) + len(description) + len(embed.get("footer", {}).get("text", ""))
    assert total <= EMBED_TOTAL
    if by_reference:
        shown = [
            int(part["$ref"]) - 1000
            for embed in embeds
            if isinstance(embed.get("description"), dict)
            for part in embed["description"]["$concat"]
            if isinstance(part, dict)
        ]
    else:
        shown = [int(n) for embed in embeds for n in LINK.findall(str(embed.get("description", "")))]
    order = [i.number for i in order_of_all]
    assert shown == order[: len(shown)], "a prefix of the order: the worst first, nothing skipped"
    summed = [int(m.group(1)) for e in embeds if (m := MORE.match(str(e.get("description", ""))))]
    assert len(shown) + sum(summed) == len(order), "every open incident is shown or counted in +N more"
    assert len(summed) <= 1
    if summed:
        assert "/outage list" in embeds[-1]["description"] or "/panne lister" in embeds[-1]["description"]
    if not order:
        assert len(embeds) == 1
