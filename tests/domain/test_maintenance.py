"""The rules of planned maintenance: when each of its four messages (and the owner's question) is due for any start
and end, across the clock changes of Europe/Paris; a timer that wakes late acting once on the furthest stage; what
rescheduling, extending, cancelling and turning into an incident allow; and where it is announced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.time_parsing import parse_when
from bot.incidents.rules.routing import Route
from bot.maintenance import rules
from bot.maintenance.rules import (
    ASK_BEFORE_END,
    LINE,
    Maintenance,
    MaintenanceError,
    Stage,
    announcement_targets,
    due_stage,
    next_stage,
    to_tell,
)

PARIS = ZoneInfo("Europe/Paris")
# Around both clock changes of 2026 in Paris: 29 March (02:00 → 03:00) and 25 October (03:00 → 02:00).
AROUND_CHANGES = st.sampled_from(
    [datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)]
)


def maintenance(
    start: datetime, end: datetime, scheduled: datetime, lead: timedelta = rules.DEFAULT_LEAD
) -> Maintenance:
    return Maintenance(
        guild_id=1,
        number=1,
        organisation="Cerp Bretagne Atlantique",
        sector="Pharmacie",
        territories=("R53",),
        services=("commandes",),
        starts_at=start,
        ends_at=end,
        scheduled_at=scheduled,
        owner_id=7,
        lead=lead,
    )


def walk(m: Maintenance) -> list[tuple[Stage, datetime]]:
    """Every stage told when its timer wakes at the times it asks for, with that instant."""
    told = []
    while (step := next_stage(m)) is not None:
        _, at = step
        assert due_stage(m, at - timedelta(seconds=1)) is None, "nothing is due before its time"
        told += [(stage, at) for stage in to_tell(m, at)]
        reached = due_stage(m, at)
        assert reached is not None
        m = rules.reach(m, reached, at)
    return told


@settings(max_examples=300, deadline=None)
@given(
    base=AROUND_CHANGES,
    ahead=st.integers(min_value=1, max_value=7 * 24 * 60),
    length=st.integers(min_value=1, max_value=3 * 24 * 60),
    lead=st.integers(min_value=5, max_value=24 * 60),
)
def test_the_four_messages_come_at_fixed_distances_from_the_planned_times(
    base: datetime, ahead: int, length: int, lead: int
) -> None:
    start = base + timedelta(minutes=ahead)
    end = start + timedelta(minutes=length)
    m = maintenance(start, end, base, timedelta(minutes=lead))
    steps = dict(walk(m))
    assert steps[Stage.STARTED] == start and steps[Stage.ENDED] == end
    assert steps[Stage.ASKED] == max(start, end - ASK_BEFORE_END)
    if start - timedelta(minutes=lead) > base:
        assert steps[Stage.REMINDED] == start - timedelta(minutes=lead)
    else:
        assert Stage.REMINDED not in steps, "planned within its lead: the scheduling message was the reminder"
    times = [at for _, at in walk(m)]
    assert times == sorted(times), "in the line's order"
    # Real elapsed time, whatever the wall clock did: an hour's lead is 3,600 s even across a clock change.
    if Stage.REMINDED in steps:
        assert (steps[Stage.STARTED] - steps[Stage.REMINDED]).total_seconds() == lead * 60


@settings(max_examples=200, deadline=None)
@given(base=AROUND_CHANGES, ahead=st.integers(2, 3000), length=st.integers(1, 3000), late=st.integers(0, 6000))
def test_a_late_wake_acts_once_on_the_furthest_stage_reached(
    base: datetime, ahead: int, length: int, late: int
) -> None:
    start = base + timedelta(minutes=ahead)
    m = maintenance(start, start + timedelta(minutes=length), base)
    now = base + timedelta(minutes=late)
    stage = due_stage(m, now)
    passed = [s for s in LINE[1:] if (at := m.stage_time(s)) is not None and at <= now]
    assert stage == (passed[-1] if passed else None)
    if stage is not None:
        assert due_stage(rules.reach(m, stage, now), now) is None, "once acted on, nothing more is due"


def test_the_night_of_the_october_clock_change() -> None:
    """Scheduled on Friday 23 October 2026 for "dimanche 2h" to "dimanche 4h" in Paris: 02:00 is summer time
    (00:00 UTC), 04:00 winter time (03:00 UTC): three real hours, one more than the wall clock says."""
    now = datetime(2026, 10, 23, 10, 0, tzinfo=UTC)
    start = parse_when("samedi 23h", now=now, tz=PARIS, prefer="future")
    end = parse_when("dimanche 4h", now=now, tz=PARIS, prefer="future")
    m = maintenance(start, end, now)
    steps = dict(walk(m))
    assert steps[Stage.REMINDED] == datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # Saturday 22:00, summer time
    assert steps[Stage.STARTED] == datetime(2026, 10, 24, 21, 0, tzinfo=UTC)
    assert steps[Stage.ASKED] == datetime(2026, 10, 25, 2, 45, tzinfo=UTC)  # 03:45, winter time
    assert steps[Stage.ENDED] == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)


def test_what_changes_it_may_make() -> None:
    now = datetime(2026, 10, 23, 10, 0, tzinfo=UTC)
    start, end = now + timedelta(days=1), now + timedelta(days=1, hours=8)
    m = maintenance(start, end, now)
    reminded = rules.reach(m, Stage.REMINDED, start - timedelta(hours=1))
    moved = rules.reschedule(reminded, start + timedelta(days=1), end + timedelta(days=1), now)
    assert moved.stage == Stage.SCHEDULED and moved.scheduled_at == now, "the reminder is due again"
    started = rules.reach(m, Stage.STARTED, start)
    with pytest.raises(MaintenanceError, match="already_started"):
        rules.reschedule(started, start, end, start)
    asked = rules.reach(started, Stage.ASKED, end - ASK_BEFORE_END)
    longer = rules.extend(asked, end + timedelta(hours=2), end - ASK_BEFORE_END)
    assert longer.stage == Stage.STARTED, "asked again before the new end"
    with pytest.raises(MaintenanceError, match="extend_not_later"):
        rules.extend(asked, end - timedelta(hours=1), end - ASK_BEFORE_END)
    with pytest.raises(MaintenanceError, match="not_started"):
        rules.convert(m, now)
    assert rules.convert(asked, end).stage == Stage.CONVERTED
    cancelled = rules.cancel(m, now)
    for change in (lambda: rules.cancel(cancelled, now), lambda: rules.extend(cancelled, end + timedelta(1), now)):
        with pytest.raises(MaintenanceError, match="closed"):
            change()
    assert next_stage(cancelled) is None and due_stage(cancelled, end) is None
    with pytest.raises(MaintenanceError, match="end_before_start"):
        rules.check_times(start, start, now)
    with pytest.raises(MaintenanceError, match="start_past"):
        rules.check_times(now, end, now)
    assert rules.may_act(m, 7, coordinator=False) and rules.may_act(m, 8, coordinator=True)
    assert not rules.may_act(m, 8, coordinator=False)


def test_it_is_announced_where_an_incident_with_its_facts_would_be() -> None:
    now = datetime(2026, 10, 23, 10, 0, tzinfo=UTC)
    m = maintenance(now + timedelta(days=1), now + timedelta(days=2), now)
    routes = [
        Route(id=1, guild_id=1, channel_id=10, territory="R53", role_id=100),
        Route(id=2, guild_id=1, channel_id=10, territory="29", role_id=101),
        Route(id=3, guild_id=1, channel_id=11, sector="pharmacie", role_id=102),
        Route(id=4, guild_id=1, channel_id=12, territory="R75"),
        Route(id=5, guild_id=1, channel_id=13, sector="Librairie"),
        Route(id=6, guild_id=2, channel_id=14),
    ]
    targets = {t.channel_id: t.role_ids for t in announcement_targets(routes, m)}
    assert targets == {10: (100, 101), 11: (102,)}
    assert announcement_targets(routes, replace(m, territories=("R11",))) == [
        t for t in announcement_targets(routes, m) if t.channel_id == 11
    ]
