"""Figures of the export issue, checked against values computed by hand from the three scenarios.

Hand computations (Europe/Paris; every incident resolved unless said otherwise):
- Cerp #42: started Sat 19/10/2024 12:00, declared 12:40, first update 20:10 (7 h 30 min = 450 min), resolved
  Tue 22/10 11:00 → 2 j 23 h = 4,260 min. commandes down 12:00 → Mon 21/10 08:30 = 1 j 20 h 30 min (2,670 min);
  livraisons down the same 2,670 min, then degraded 08:30 → Tue 11:00 = 1 j 2 h 30 min (1,590 min).
- Angoulême #7: started Tue 25/07/2023 08:00, declared 09:30, first update Thu 27/07 14:00 (2 j 4 h 30 min =
  3,150 min). Resolved here on Mon 31/07/2023 17:00 (our choice: the scenario leaves it open) → 6 j 9 h =
  9,180 min. téléphonie down 25/07 08:00 → 27/07 14:00 = 2 j 6 h (3,240 min); sites web and messagerie down the
  whole 9,180 min.
- Octave #12: started Mon 19/08/2024 08:00 ("ce matin": 08:00 is our reading), declared 15:00, first update
  Fri 23/08 10:00 (3 j 19 h = 5,460 min), resolved Wed 18/09 17:00 → 30 j 9 h = 43,740 min. préparation des
  commandes down 19/08 08:00 → 23/08 10:00 (4 j 2 h = 5,880 min) then degraded → 18/09 17:00 (26 j 7 h =
  37,860 min); facturation down 43,740 min.
- Together: durations 4,260 / 9,180 / 43,740 → total 57,180 min, median 9,180, MTTR 19,060 min (317 h 40 min).
  First updates 450 / 3,150 / 5,460 → median 3,150, mean 3,020 min.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.exports.rules import (
    IncidentRecord,
    figures,
    in_period,
    measure,
    minutes,
    time_to_first_update,
    update_count,
)
from bot.incidents.rules.lifecycle import (
    DeclareRequest,
    Update,
    UpdateKind,
    UpdateRequest,
    apply_update,
    cancel,
    declare,
    resolve,
)
from bot.incidents.rules.model import CancelReason, Cause, Severity, Status
from bot.incidents.rules.service_changes import parse_service_changes, parse_service_names
from tests.domain.outage_examples import ANNE, GUILD, YANN, Story, angouleme, cerp_resolved, paris

AUTHORS = {ANNE: "coord.anne", YANN: "coord.yann"}
NOW = paris(2024, 10, 23, 12)
ANGOULEME_RESOLVED_AT = paris(2023, 7, 31, 17)


def record(story: Story, number_link: bool = True) -> IncidentRecord:
    link = f"https://discord.com/channels/{GUILD}/{900 + story.incident.number}" if number_link else None
    return IncidentRecord(story.incident, story.entries, AUTHORS, link)


def cerp() -> IncidentRecord:
    return record(cerp_resolved())


def angouleme_open() -> IncidentRecord:
    return record(angouleme())


def angouleme_resolved() -> IncidentRecord:
    story = angouleme()
    story.add(resolve(story.incident, note="Services rétablis.", at=ANGOULEME_RESOLVED_AT, by=ANNE))
    return record(story)


def octave() -> IncidentRecord:
    story = Story()
    story.add(
        declare(
            DeclareRequest(
                title="Rançongiciel chez Octave : distributeurs du livre à l'arrêt",
                organisation="Octave (Pollen, Makassar, Nord Sud, Comptoir du Livre…)",
                sector="librairie",
                territories=["FR"],
                severity=Severity.MAJOR,
                cause=Cause.CYBERATTACK_CONFIRMED,
                started_at=paris(2024, 8, 19, 8),
                services=parse_service_names("préparation des commandes, facturation, expéditions, Periscope (stocks)"),
            ),
            guild_id=GUILD,
            number=12,
            at=paris(2024, 8, 19, 15),
            by=YANN,
        )
    )
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(
                status=Status.IDENTIFIED,
                workaround="Commander via Dilicom. Les colis arrivent avec des bons de livraison ; factures et avoirs "
                "suivront.",
                service_changes=parse_service_changes("préparation des commandes: dégradé, expéditions: dégradé"),
                eta=paris(2024, 9, 15, 9),
            ),
            at=paris(2024, 8, 23, 10),
            by=YANN,
        )
    )
    story.add(resolve(story.incident, at=paris(2024, 9, 18, 17), by=YANN))
    return record(story)


def false_alarm(number: int = 50, title: str = "Fausse alerte") -> IncidentRecord:
    story = Story()
    story.add(
        declare(
            DeclareRequest(
                title=title,
                sector="santé",
                territories=["29"],
                severity=Severity.CRITICAL,
                services=["urgences"],
            ),
            guild_id=GUILD,
            number=number,
            at=paris(2024, 10, 20, 9),
            by=ANNE,
        )
    )
    story.add(cancel(story.incident, CancelReason.FALSE_ALARM, at=paris(2024, 10, 20, 9, 20), by=ANNE))
    return record(story)


def scenarios() -> list[IncidentRecord]:
    return [cerp(), angouleme_resolved(), octave()]


def service_minutes(rec: IncidentRecord) -> dict[str, tuple[int | None, int | None]]:
    return {s.name: (minutes(s.downtime), minutes(s.degraded_time)) for s in measure(rec, now=NOW).services}


# --- one incident ------------------------------------------------------------------------------------------


def test_cerp_durations_match_the_scenario() -> None:
    m = measure(cerp(), now=NOW)
    assert m.duration == timedelta(days=2, hours=23)
    assert minutes(m.duration) == 4260
    assert minutes(m.first_update) == 450
    assert m.updates == 3  # Sat 20:10, Mon 08:30, the resolution
    assert service_minutes(cerp()) == {"commandes": (2670, 0), "livraisons": (2670, 1590)}
    assert all(not s.ongoing for s in m.services)


def test_angouleme_telephonie_is_down_2_j_6_h_open_or_resolved() -> None:
    open_services = service_minutes(angouleme_open())
    assert open_services["téléphonie"] == (3240, 0)
    resolved = measure(angouleme_resolved(), now=NOW)
    assert minutes(resolved.duration) == 9180
    assert service_minutes(angouleme_resolved()) == {
        "sites web": (9180, 0),
        "messagerie": (9180, 0),
        "téléphonie": (3240, 0),
    }
    assert minutes(resolved.first_update) == 3150


def test_an_open_incident_has_no_duration_and_its_unrestored_services_run_to_now() -> None:
    m = measure(angouleme_open(), now=paris(2023, 7, 29, 20))
    assert m.duration is None
    assert m.elapsed == timedelta(days=4, hours=12)
    ongoing = {s.name: s.ongoing for s in m.services}
    assert ongoing == {"sites web": True, "messagerie": True, "téléphonie": False}
    assert {s.name: minutes(s.downtime) for s in m.services}["sites web"] == 4 * 1440 + 12 * 60


def test_octave_degraded_services() -> None:
    assert service_minutes(octave()) == {
        "préparation des commandes": (5880, 37860),
        "facturation": (43740, 0),
        "expéditions": (5880, 37860),
        "Periscope (stocks)": (43740, 0),
    }
    m = measure(octave(), now=NOW)
    assert minutes(m.duration) == 43740
    assert minutes(m.first_update) == 5460


def test_bookkeeping_is_not_an_update() -> None:
    """Corrections, hand-overs and "affected too" clicks neither count as updates nor start the clock."""
    from bot.incidents.rules.lifecycle import assign, record_affected

    story = angouleme()
    first = story.outcomes[0]
    early = [
        *first.entries,
        *record_affected(first.incident, at=paris(2023, 7, 25, 9, 40), by=99).entries,
        *assign(first.incident, YANN, at=paris(2023, 7, 25, 10), by=ANNE).entries,
    ]
    rec = IncidentRecord(first.incident, early)
    assert update_count(rec.timeline) == 0
    assert time_to_first_update(rec) is None


def test_one_command_is_one_update() -> None:
    # Mon 08:30 wrote a status, a services change and a workaround: three entries, one update.
    story = cerp_resolved()
    monday = [e for e in story.entries if e.at == paris(2024, 10, 21, 8, 30)]
    assert len(monday) == 3
    assert update_count(monday) == 1


# --- periods -----------------------------------------------------------------------------------------------


def test_in_period_is_overlap_with_an_exclusive_end() -> None:
    rec = cerp()
    october = (paris(2024, 10, 1), paris(2024, 11, 1))
    assert in_period(rec, *october, NOW)
    assert not in_period(rec, paris(2024, 9, 1), paris(2024, 10, 1), NOW)
    # Started before the period, resolved inside it.
    assert in_period(rec, paris(2024, 10, 21), paris(2024, 10, 28), NOW)
    # Resolved exactly when the period starts: no overlap. Started exactly when it ends: none either.
    assert not in_period(rec, paris(2024, 10, 22, 11), paris(2024, 10, 30), NOW)
    assert not in_period(rec, paris(2024, 10, 1), paris(2024, 10, 19, 12), NOW)


def test_an_open_incident_is_in_every_period_up_to_now() -> None:
    rec = angouleme_open()
    assert in_period(rec, paris(2024, 10, 1), paris(2024, 11, 1), NOW)
    assert not in_period(rec, paris(2023, 7, 1), paris(2023, 7, 25, 8), NOW)
    # After `now`, nothing has happened yet.
    assert not in_period(rec, paris(2024, 11, 1), paris(2024, 12, 1), NOW)


def test_a_cancelled_incident_is_in_the_periods_it_spanned() -> None:
    rec = false_alarm()
    assert in_period(rec, paris(2024, 10, 20), paris(2024, 10, 21), NOW)
    assert not in_period(rec, paris(2024, 10, 21), paris(2024, 10, 22), NOW)


# --- figures -----------------------------------------------------------------------------------------------


def test_figures_of_the_three_scenarios() -> None:
    figs = figures(scenarios(), now=NOW)
    assert (figs.incidents, figs.resolved, figs.open) == (3, 3, 0)
    assert figs.by_severity == {Severity.CRITICAL: 1, Severity.MAJOR: 2, Severity.MINOR: 0}
    assert figs.by_sector == {"collectivité": 1, "librairie": 1, "pharmacie": 1}
    assert minutes(figs.durations.total) == 57180
    assert minutes(figs.durations.median) == 9180
    assert minutes(figs.mttr) == 19060
    assert {sector: minutes(s.mean) for sector, s in figs.mttr_by_sector.items()} == {
        "collectivité": 9180,
        "librairie": 43740,
        "pharmacie": 4260,
    }
    assert minutes(figs.first_update.median) == 3150
    assert minutes(figs.first_update.mean) == 3020
    totals = {s.name: (s.incidents, minutes(s.downtime), minutes(s.degraded_time)) for s in figs.service_totals}
    assert totals["livraisons"] == (1, 2670, 1590)
    assert totals["commandes"] == (1, 2670, 0)
    assert totals["téléphonie"] == (1, 3240, 0)
    assert figs.cancelled == ()


def test_territory_rows_count_the_incidents_that_concern_them() -> None:
    """Cerp: regions 53, 52, 75. Angoulême: département 16 (region 75). Octave: France entière, which concerns
    every row. Cerp's region 75 contains Charente, so Cerp concerns the 16 row too (routing's rule)."""
    figs = figures(scenarios(), now=NOW)
    assert figs.by_territory == {"FR": 3, "R75": 3, "16": 3, "R52": 2, "R53": 2}


def test_territory_and_service_rows_give_durations_and_mttr_of_their_resolved_incidents() -> None:
    """Per territory, the durations of the resolved incidents counted in its row (Cerp 4,260 min, Angoulême
    9,180, Octave 43,740); per service, each resolved incident's time to restore it (down + degraded)."""
    figs = figures(scenarios(), now=NOW)
    by_territory = {
        ref: (s.count, minutes(s.total), minutes(s.median), minutes(s.mean))
        for ref, s in figs.mttr_by_territory.items()
    }
    assert by_territory == {
        "FR": (3, 57180, 9180, 19060),
        "R75": (3, 57180, 9180, 19060),
        "16": (3, 57180, 9180, 19060),
        "R52": (2, 48000, 24000, 24000),
        "R53": (2, 48000, 24000, 24000),
    }
    assert list(figs.mttr_by_territory) == list(figs.by_territory), "the same rows, in the same order"
    restore = {s.name: (s.restore.count, minutes(s.restore.mean)) for s in figs.service_totals}
    assert restore["livraisons"] == (1, 2670 + 1590) and restore["commandes"] == (1, 2670)
    assert restore["téléphonie"] == (1, 3240) and restore["facturation"] == (1, 43740)
    assert all(s.restore.count == s.incidents for s in figs.service_totals)


def test_an_open_incident_counts_in_its_territories_but_in_none_of_their_durations() -> None:
    figs = figures([cerp(), angouleme_open()], now=NOW)
    assert figs.by_territory["16"] == 2 and figs.by_territory["R53"] == 1
    assert {ref: (s.count, minutes(s.mean)) for ref, s in figs.mttr_by_territory.items()} == {
        "R75": (1, 4260),
        "16": (1, 4260),
        "R52": (1, 4260),
        "R53": (1, 4260),
    }
    two = figures([cerp(), cerp()], now=NOW)
    (commandes,) = [s for s in two.service_totals if s.name == "commandes"]
    assert commandes.restore.count == commandes.incidents == 2


def test_open_incidents_count_but_have_no_duration() -> None:
    figs = figures([cerp(), angouleme_open()], now=NOW)
    assert (figs.incidents, figs.resolved, figs.open) == (2, 1, 1)
    assert minutes(figs.durations.total) == 4260
    assert minutes(figs.mttr) == 4260
    assert {s.name for s in figs.service_totals} == {"commandes", "livraisons"}  # resolved incidents only
    assert figs.first_update.count == 2


def test_cancelled_incidents_are_listed_apart() -> None:
    figs = figures([*scenarios(), false_alarm()], now=NOW)
    assert [c.number for c in figs.cancelled] == [50]
    assert figs.cancelled[0].reason == "false_alarm"
    assert figs.incidents == 3
    assert figs.by_severity[Severity.CRITICAL] == 1
    assert "santé" not in figs.by_sector
    assert "29" not in figs.by_territory


def test_no_records_no_figures() -> None:
    figs = figures([], now=NOW)
    assert figs.incidents == 0
    assert figs.mttr is None
    assert figs.durations.median is None
    assert figs.by_territory == {}


def test_a_reopened_incident_counts_from_its_start_to_its_final_resolution() -> None:
    from bot.incidents.rules.lifecycle import reopen

    story = cerp_resolved()
    story.add(reopen(story.incident, at=paris(2024, 10, 22, 15), by=ANNE))
    story.add(resolve(story.incident, at=paris(2024, 10, 23, 9), by=ANNE))
    m = measure(record(story), now=NOW)
    assert m.duration == paris(2024, 10, 23, 9) - paris(2024, 10, 19, 12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=100, max_value=10_000), st.sampled_from(list(Severity))),
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    st.permutations(range(3)),
)
def test_cancelled_incidents_never_change_a_figure(cancelled: list[tuple[int, Severity]], order: list[int]) -> None:
    real = scenarios()
    shuffled = [real[i] for i in order]
    extra = []
    for number, severity in cancelled:
        rec = false_alarm(number)
        extra.append(replace(rec, incident=replace(rec.incident, severity=severity)))
    mixed = shuffled[:1] + extra + shuffled[1:]
    with_cancelled = figures(mixed, now=NOW)
    without = figures(real, now=NOW)
    assert replace(with_cancelled, cancelled=()) == without
    assert sorted(c.number for c in with_cancelled.cancelled) == sorted(n for n, _ in cancelled)


_AUTHOR_IDS = st.sampled_from([ANNE, YANN, 3])
_KINDS = st.sampled_from(list(UpdateKind))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=5), _AUTHOR_IDS, _KINDS, st.booleans()), max_size=30))
def test_updates_are_counted_once_per_time_and_author(
    entries: list[tuple[int, int, UpdateKind, bool]],
) -> None:
    # The same instant may come in two zones, and commands of two people may share it, in any order.
    base = paris(2024, 10, 19, 9)
    timeline = [
        Update(kind, (base + timedelta(minutes=minute)).astimezone(UTC if in_utc else base.tzinfo), by)
        for minute, by, kind, in_utc in entries
    ]
    expected = {(entry.at, entry.by) for entry in timeline if entry.kind.is_news and entry.kind != UpdateKind.DECLARED}
    assert update_count(timeline) == len(expected)
