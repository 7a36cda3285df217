"""The reports' rules: organisation keys, counting a member once, the alert's window, the rate limit, the cap on
open cards and the sector every reporter shares; with hypothesis, whatever the order of reports from any
members, the count is the number of distinct members, the alert fires exactly once when and only when the
threshold is met, and no report is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.incidents.rules.routing import Route
from bot.reports.rules import (
    OPEN_CARDS_CAP,
    AlertRule,
    GroupReport,
    ReportError,
    abusive,
    add,
    check_alert_rule,
    check_rate,
    common_sector,
    has_own_card,
    organisation_key,
    retry_at,
    summarise,
    threshold_met,
)

NOON = datetime(2024, 10, 19, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return NOON + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Cerp Bretagne Atlantique", "cerp bretagne atlantique"),
        ("Cerp Bretagne-Atlantique", "  CERP   Bretagne Atlantique "),
        ("Mairie d'Angoulême", "mairie d’angouleme"),
        ("Mairie d'Angoulême", "Mairie d Angouleme."),
        ("Pollen (distributeur)", "pollen distributeur"),
        ("Ｃｅｒｐ", "cerp"),
        ("Ça_Va", "ca va"),
    ],
)
def test_names_differing_by_case_accents_punctuation_or_spaces_are_one(one: str, other: str) -> None:
    assert organisation_key(one) == organisation_key(other)


def test_different_names_stay_different_and_blank_has_no_key() -> None:
    assert organisation_key("Cerp") != organisation_key("Cerp Bretagne Atlantique")
    assert organisation_key("Cerp Rouen") != organisation_key("Cerp Bretagne")
    assert organisation_key(" ... ") == ""


@given(st.text(max_size=60))
def test_a_key_is_its_own_key(text: str) -> None:
    key = organisation_key(text)
    assert organisation_key(key) == key
    assert key == key.strip() and "  " not in key


# --- the alert window -----------------------------------------------------------------------------------------


def test_three_members_within_an_hour_alert_two_do_not() -> None:
    rule = AlertRule()
    reports = [GroupReport(1, at(0)), GroupReport(2, at(12)), GroupReport(2, at(15))]
    assert not threshold_met(reports, rule)
    assert threshold_met([*reports, GroupReport(3, at(21))], rule)


def test_the_window_is_any_window_of_m_minutes_ends_included() -> None:
    rule = AlertRule(members=3, window_minutes=60)
    assert threshold_met([GroupReport(1, at(0)), GroupReport(2, at(30)), GroupReport(3, at(60))], rule)
    assert not threshold_met([GroupReport(1, at(0)), GroupReport(2, at(30)), GroupReport(3, at(60.5))], rule)
    # An older report of member 1 falls out of the window, a later one of theirs brings them back in.
    spread = [GroupReport(1, at(0)), GroupReport(2, at(70)), GroupReport(3, at(100)), GroupReport(1, at(110))]
    assert threshold_met(spread, rule)


def test_reports_set_aside_do_not_count() -> None:
    reports = [GroupReport(1, at(0)), GroupReport(2, at(5)), GroupReport(3, at(9), counted=False)]
    assert not threshold_met(reports, AlertRule())
    assert summarise(reports).members == 2


def test_a_member_counts_once_and_their_later_details_show_first() -> None:
    first = GroupReport(1, at(0), services=("livraisons",), territories=("22",), since=at(-20), details="Rien.")
    second = GroupReport(2, at(12), services=("commandes",), territories=("29",))
    again = GroupReport(2, at(15), services=("Commandes", "livraisons"), details="Toujours rien.")
    added = add([first, second], again, AlertRule(), alerted=False)
    assert added.again and not added.alert
    facts = added.facts
    assert (facts.members, facts.reports) == (2, 3)
    assert facts.services == ("livraisons", "commandes")
    assert facts.territories == ("22", "29")
    assert facts.earliest_since == at(-20) and facts.first_at == at(0) and facts.last_at == at(15)
    assert facts.details == ((at(15), "Toujours rien."), (at(0), "Rien."))


def test_the_bounds_of_the_alert_rule() -> None:
    check_alert_rule(2, 5)
    check_alert_rule(50, 1440)
    with pytest.raises(ReportError) as raised:
        check_alert_rule(1, None)
    assert raised.value.message_id == "report.error.threshold_bounds"
    with pytest.raises(ReportError) as raised:
        check_alert_rule(None, 4)
    assert raised.value.message_id == "report.error.window_bounds"


# --- whatever the order, from whoever ---------------------------------------------------------------------------


def brute_force_met(reports: list[GroupReport], rule: AlertRule) -> bool:
    """The threshold read literally: some window [t, t + M] holds reports of N distinct members."""
    counted = [r for r in reports if r.counted]
    return any(
        len({r.user_id for r in counted if start.at <= r.at <= start.at + rule.window}) >= rule.members
        for start in counted
    )


reports_strategy = st.lists(
    st.builds(
        GroupReport,
        user_id=st.integers(1, 8),
        at=st.integers(0, 240).map(at),
        counted=st.sampled_from([True, True, True, False]),
    ),
    max_size=30,
)
rules_strategy = st.builds(AlertRule, members=st.integers(2, 5), window_minutes=st.integers(5, 120))


@settings(max_examples=300, deadline=None)
@given(reports_strategy, rules_strategy, st.randoms())
def test_in_any_arrival_order_the_count_is_the_distinct_members_and_the_alert_fires_once_iff_met(
    reports: list[GroupReport], rule: AlertRule, random: object
) -> None:
    arrival = list(reports)
    random.shuffle(arrival)  # type: ignore[attr-defined]
    kept: list[GroupReport] = []
    alerts: list[int] = []
    for index, report in enumerate(arrival):
        added = add(kept, report, rule, alerted=bool(alerts))
        kept.append(report)
        if added.alert:
            alerts.append(index)
            assert brute_force_met(kept, rule), "an alert only when the threshold is met"
        else:
            assert alerts or not brute_force_met(kept, rule), "the alert fires as soon as it is met"
        assert added.facts.members == len({r.user_id for r in kept if r.counted})
    assert len(kept) == len(arrival), "no report is lost"
    assert summarise(kept).reports == sum(1 for r in arrival if r.counted)
    assert len(alerts) == (1 if brute_force_met(arrival, rule) else 0)


@given(st.lists(st.integers(1, 8), max_size=40))
def test_the_count_is_the_number_of_distinct_members(members: list[int]) -> None:
    reports = [GroupReport(member, at(i)) for i, member in enumerate(members)]
    assert summarise(reports).members == len(set(members))
    assert summarise(reports).member_ids == tuple(dict.fromkeys(members))


# --- rate limit, cap, abuse, sector -----------------------------------------------------------------------------


def test_a_fourth_report_in_ten_minutes_is_refused_with_the_time_to_retry() -> None:
    recent = [at(0), at(0.5), at(1)]
    assert retry_at(recent[:2], at(1.5)) is None
    assert retry_at(recent, at(1.5)) == at(10)
    assert retry_at(recent, at(10)) is None, "the first report left the window"
    with pytest.raises(ReportError) as raised:
        check_rate(recent, at(1.5))
    assert raised.value.message_id == "report.error.too_many"
    assert raised.value.args_map["retry"] == int(at(10).timestamp())


@given(st.lists(st.integers(0, 60), max_size=12), st.integers(0, 80))
def test_accepted_reports_never_exceed_three_in_any_ten_minutes(offsets: list[int], _: int) -> None:
    accepted: list[datetime] = []
    for minute in sorted(offsets):
        if retry_at(accepted, at(minute)) is None:
            accepted.append(at(minute))
    for start in accepted:
        assert sum(1 for a in accepted if start <= a < start + timedelta(minutes=10)) <= 3


def test_past_the_cap_new_groups_go_to_the_summary_card() -> None:
    assert OPEN_CARDS_CAP >= 40
    assert has_own_card(OPEN_CARDS_CAP - 1) and not has_own_card(OPEN_CARDS_CAP)


def test_a_member_marked_as_abusive_is_so_for_a_day() -> None:
    assert abusive(at(60 * 24), at(0)) and not abusive(at(0), at(0)) and not abusive(None, at(0))


def test_the_sector_every_reporter_holds_a_route_role_of() -> None:
    routes = [
        Route(id=1, guild_id=1, channel_id=10, territory="R53"),
        Route(id=2, guild_id=1, channel_id=11, sector="pharmacie", role_id=304),
        Route(id=3, guild_id=1, channel_id=12, sector="librairie", role_id=305),
    ]
    pharmacists = [frozenset({304}), frozenset({304, 999})]
    assert common_sector(pharmacists, routes) == "pharmacie"
    assert common_sector([*pharmacists, frozenset({305})], routes) is None
    assert common_sector([frozenset({304, 305})], routes) is None, "two sectors: nothing chosen"
    assert common_sector([], routes) is None


# --- what the card shows ----------------------------------------------------------------------------------------


def test_what_members_typed_goes_out_inert_and_within_limits() -> None:
    from bot.reports.presentation import Card, card_message
    from bot.reports.rules import GroupStatus

    typed = "@everyone <@&304> <@1> [clic](http://evil.example) \u202e\n# TITRE\n" + "x" * 600
    facts = summarise(
        [GroupReport(1, at(0), services=("**commandes**",), details=typed), GroupReport(2, at(1), details="ok")]
    )
    card = Card(guild_id=1, group_id=7, organisation="Cerp <@&304> `x`", status=GroupStatus.OPEN, facts=facts)
    for language in ("fr", "en"):
        message = card_message(card, language)
        assert message["allowed_mentions"] == {"parse": [], "users": [], "roles": []}
        embed = message["embeds"][0]
        shown = " ".join([embed["title"], *(f["value"] for f in embed["fields"])])
        assert "@everyone" not in shown.replace("@\u200beveryone", "")
        assert "<@&304>" not in shown and "<@1>" not in shown and "\u202e" not in shown
        assert "\\[clic\\]" in shown and "\\# TITRE" in shown and "\\*\\*commandes\\*\\*" in shown
        assert all(len(f["value"]) <= 1024 for f in embed["fields"]) and len(embed["title"]) <= 256


def test_reporters_are_thanked_by_mention_at_most_a_hundred_a_post() -> None:
    from bot.reports.presentation import MENTIONS_PER_POST, thanks_posts

    short = list(range(1000, 1250))  # short ids: the 100 mentions a message are the limit
    assert [len(p["allowed_mentions"]["users"]) for p in thanks_posts(7, short, "fr")] == [100, 100, 50]
    assert MENTIONS_PER_POST == 100
    reporters = list(range(1297147232256000003, 1297147232256000253))  # Discord's ids: 2,000 characters are
    posts = thanks_posts(7, reporters, "fr")
    assert len(posts) == 4
    mentioned = [user for post in posts for user in post["allowed_mentions"]["users"]]
    assert mentioned == reporters, "each reporter exactly once"
    for post in posts:
        assert post["allowed_mentions"]["roles"] == [] and post["allowed_mentions"]["parse"] == []
        assert len(post["content"]) <= 2000
        assert all(f"<@{user}>" in post["content"] for user in post["allowed_mentions"]["users"])
        assert "panne #7" in post["content"]
