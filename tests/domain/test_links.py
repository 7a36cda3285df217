"""Links between outages (bot/incidents/rules/links.py): related both ways while both are open, undone whatever their
status, folded from the timeline's entries; a duplicate's hand-over counted on its original."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.incidents.rules.lifecycle import Outcome, UpdateError, UpdateKind, cancel, resolve
from bot.incidents.rules.links import absorb_duplicate, links_after, relate
from bot.incidents.rules.model import CancelReason, Incident, IncidentLink, LinkKind, Status
from tests.domain.outage_examples import ANNE, angouleme, cerp_declared, paris

AT = paris(2024, 10, 19, 14)


def two() -> tuple[Incident, Incident]:
    cerp = cerp_declared().incident
    return cerp, replace(angouleme().incident, guild_id=cerp.guild_id, number=2)


def folded(*outcomes: Outcome) -> tuple[IncidentLink, ...]:
    return links_after((e.kind, e.details) for o in outcomes for e in o.entries)


def test_related_both_ways_pinging_nobody_then_undone_from_either_side() -> None:
    cerp, other = two()
    mine, theirs = relate(cerp, other, undo=False, at=AT, by=ANNE)
    assert mine.incident.links == (IncidentLink(2, LinkKind.RELATED),)
    assert theirs.incident.links == (IncidentLink(cerp.number, LinkKind.RELATED),)
    for outcome in (mine, theirs):
        assert not outcome.announce.reasons and not outcome.announce.thread_post and not outcome.announce.dm_followers
        assert outcome.announce.edit_status_message and outcome.announce.edit_announcements
        assert all(e.silent and not e.kind.is_news for e in outcome.entries)
    with pytest.raises(UpdateError, match="already_related"):
        relate(theirs.incident, mine.incident, undo=False, at=AT, by=ANNE)
    closed = resolve(theirs.incident, note=None, at=AT, by=ANNE).incident
    back_mine, back_theirs = relate(closed, mine.incident, undo=True, at=AT, by=ANNE)
    assert back_mine.incident.links == back_theirs.incident.links == ()
    assert folded(mine, back_theirs) == () and folded(theirs, back_mine) == ()  # each side its own entries


def test_what_cannot_be_related() -> None:
    cerp, other = two()
    with pytest.raises(UpdateError, match="related_to_self"):
        relate(cerp, cerp, undo=False, at=AT, by=ANNE)
    with pytest.raises(UpdateError, match="related_to_self"):
        relate(cerp, replace(other, guild_id=cerp.guild_id + 1), undo=False, at=AT, by=ANNE)
    with pytest.raises(UpdateError, match="related_closed"):
        relate(cerp, replace(other, status=Status.RESOLVED), undo=False, at=AT, by=ANNE)
    with pytest.raises(UpdateError, match="not_related"):
        relate(cerp, other, undo=True, at=AT, by=ANNE)


def test_a_duplicate_hands_over_to_its_original_only() -> None:
    cerp, other = two()
    cancelled = cancel(other, CancelReason.DUPLICATE, duplicate_of=cerp, at=AT, by=ANNE).incident
    absorbed = absorb_duplicate(cerp, cancelled, followers=3, affected=2, at=AT, by=ANNE)
    assert absorbed.incident.affected_count == cerp.affected_count + 2
    assert absorbed.incident.links == (IncidentLink(2, LinkKind.DUPLICATE),)
    (entry,) = absorbed.entries
    assert entry.kind == UpdateKind.LINKED and entry.details == {
        "number": 2,
        "link": "duplicate",
        "followers": 3,
        "affected": 2,
    }
    with pytest.raises(UpdateError):
        absorb_duplicate(cerp, other, followers=0, affected=0, at=AT, by=ANNE)


@given(st.lists(st.tuples(st.booleans(), st.integers(2, 5)), max_size=30))
def test_the_links_are_the_last_word_of_each_pair(steps: list[tuple[bool, int]]) -> None:
    entries = [
        (UpdateKind.LINKED if link else UpdateKind.UNLINKED, {"number": number, "link": "related"})
        for link, number in steps
    ]
    last: dict[int, bool] = {}
    for link, number in steps:
        last[number] = link
    assert links_after(entries) == tuple(IncidentLink(n, LinkKind.RELATED) for n in sorted(last) if last[n])
