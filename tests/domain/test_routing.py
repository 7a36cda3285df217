from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.common import territories
from bot.incidents.rules.lifecycle import DeclareRequest, declare
from bot.incidents.rules.model import Cause, Incident, Severity
from bot.incidents.rules.routing import AnnouncementTarget, Route, announcement_targets, reroute, route_matches
from tests.domain.outage_examples import GUILD, YANN, angouleme, cerp_declared, paris

BRETAGNE, PDL, NA, OCCITANIE, PHARMACIES, LIBRAIRIES, COLLECTIVITES = 101, 102, 103, 104, 105, 106, 107
PHARMA_ROLE, LIBR_ROLE, COLL_ROLE = 201, 202, 203

# The routes of "Coordination Grand Ouest" (scenarios/README.md).
ROUTES = [
    Route(id=1, guild_id=GUILD, channel_id=BRETAGNE, territory="R53"),
    Route(id=2, guild_id=GUILD, channel_id=PDL, territory="R52"),
    Route(id=3, guild_id=GUILD, channel_id=NA, territory="R75"),
    Route(id=4, guild_id=GUILD, channel_id=OCCITANIE, territory="R76"),
    Route(id=5, guild_id=GUILD, channel_id=PHARMACIES, sector="pharmacie", role_id=PHARMA_ROLE),
    Route(id=6, guild_id=GUILD, channel_id=LIBRAIRIES, sector="librairie", role_id=LIBR_ROLE),
    Route(id=7, guild_id=GUILD, channel_id=COLLECTIVITES, territory="16", sector="collectivité", role_id=COLL_ROLE),
]


def octave() -> Incident:
    return declare(
        DeclareRequest(
            title="Rançongiciel chez Octave : distributeurs du livre à l'arrêt",
            sector="librairie",
            territories=["FR"],
            severity=Severity.MAJOR,
            cause=Cause.CYBERATTACK_CONFIRMED,
        ),
        guild_id=GUILD,
        number=3,
        at=paris(2024, 8, 19, 15),
        by=YANN,
    ).incident


def test_cerp_reaches_its_three_regions_and_the_pharmacies() -> None:
    assert announcement_targets(ROUTES, cerp_declared().incident) == [
        AnnouncementTarget(BRETAGNE),
        AnnouncementTarget(PDL),
        AnnouncementTarget(NA),
        AnnouncementTarget(PHARMACIES, (PHARMA_ROLE,)),
    ]


def test_angouleme_reaches_nouvelle_aquitaine_and_the_collectivites() -> None:
    assert announcement_targets(ROUTES, angouleme().incident) == [
        AnnouncementTarget(NA),
        AnnouncementTarget(COLLECTIVITES, (COLL_ROLE,)),
    ]


def test_octave_france_entiere_reaches_every_region_channel() -> None:
    assert announcement_targets(ROUTES, octave()) == [
        AnnouncementTarget(BRETAGNE),
        AnnouncementTarget(PDL),
        AnnouncementTarget(NA),
        AnnouncementTarget(OCCITANIE),
        AnnouncementTarget(LIBRAIRIES, (LIBR_ROLE,)),
    ]


def test_one_target_per_channel_with_every_matching_role() -> None:
    routes = [
        *ROUTES,
        Route(id=8, guild_id=GUILD, channel_id=BRETAGNE, territory="29", role_id=301),
        Route(id=9, guild_id=GUILD, channel_id=BRETAGNE, sector="Pharmacie", role_id=302),
        Route(id=10, guild_id=GUILD, channel_id=BRETAGNE, sector="pharmacie", role_id=302),
    ]
    incident = replace(cerp_declared().incident, territories=("29",))
    targets = announcement_targets(routes, incident)
    assert targets[0] == AnnouncementTarget(BRETAGNE, (301, 302))
    assert [t.channel_id for t in targets] == [BRETAGNE, PHARMACIES]


def test_a_route_with_neither_matches_everything_and_other_servers_never() -> None:
    everything = Route(id=1, guild_id=GUILD, channel_id=9)
    assert announcement_targets([everything], octave()) == [AnnouncementTarget(9)]
    assert announcement_targets([replace(everything, guild_id=GUILD + 1)], octave()) == []


def test_no_route_matches() -> None:
    assert announcement_targets(ROUTES[3:4], cerp_declared().incident) == []


def test_sector_route_needs_the_same_sector() -> None:
    route = ROUTES[6]
    assert route_matches(route, ["16"], "Collectivite")
    assert not route_matches(route, ["16"], "pharmacie")
    assert not route_matches(route, ["29"], "collectivité")
    assert route_matches(route, ["R75"], "collectivité")  # the region contains the département
    assert not route_matches(route, ["16"], None)


def test_reroute_after_a_correction() -> None:
    old = announcement_targets(ROUTES, cerp_declared().incident)
    corrected = replace(cerp_declared().incident, territories=("R53", "R76"))
    new = announcement_targets(ROUTES, corrected)
    result = reroute(old, new)
    assert [t.channel_id for t in result.added] == [OCCITANIE]
    assert [t.channel_id for t in result.removed] == [PDL, NA]
    assert [t.channel_id for t in result.kept] == [BRETAGNE, PHARMACIES]
    assert result.kept[1].role_ids == (PHARMA_ROLE,)


every_territory = st.sampled_from([t.ref for t in territories.all_territories()])


@given(every_territory, every_territory)
def test_routing_is_territory_overlap(route_ref: str, incident_ref: str) -> None:
    route = Route(id=1, guild_id=GUILD, channel_id=1, territory=route_ref)
    mirrored = Route(id=2, guild_id=GUILD, channel_id=2, territory=incident_ref)
    expected = territories.overlaps(territories.get(route_ref), territories.get(incident_ref))
    assert route_matches(route, [incident_ref], "x") == expected
    assert route_matches(mirrored, [route_ref], "x") == expected  # symmetric


@given(st.lists(every_territory, min_size=1, max_size=5), every_territory)
def test_any_overlapping_territory_of_the_incident_is_enough(incident_refs: list[str], route_ref: str) -> None:
    route = Route(id=1, guild_id=GUILD, channel_id=1, territory=route_ref)
    each = [route_matches(route, [ref], None) for ref in incident_refs]
    assert route_matches(route, incident_refs, None) == any(each)


@given(
    st.lists(
        st.builds(
            Route,
            id=st.integers(1, 100),
            guild_id=st.just(GUILD),
            channel_id=st.integers(1, 6),
            territory=st.none() | every_territory,
            sector=st.none() | st.sampled_from(["pharmacie", "librairie"]),
            role_id=st.none() | st.integers(1, 4),
        ),
        max_size=12,
    )
)
def test_targets_are_unique_channels_with_the_roles_of_matching_routes(routes: list[Route]) -> None:
    incident = cerp_declared().incident
    targets = announcement_targets(routes, incident)
    channels = [t.channel_id for t in targets]
    assert len(channels) == len(set(channels))
    matching = [r for r in routes if route_matches(r, incident.territories, incident.sector)]
    assert set(channels) == {r.channel_id for r in matching}
    for target in targets:
        expected = {r.role_id for r in matching if r.channel_id == target.channel_id and r.role_id is not None}
        assert set(target.role_ids) == expected
        assert len(target.role_ids) == len(expected)
