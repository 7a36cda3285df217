"""The pure rule of what depends on what (bot/delivery/dependencies.py): which failure of one step cancels, holds or
leaves alone each row that refers to it, how a failure is named to a person, and how a private reply words the
outcomes (bot/delivery/payloads.py `worded_outcomes`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.dependencies import (
    GAVE_UP,
    Cause,
    Fail,
    Go,
    Need,
    Owe,
    State,
    Verdict,
    Wait,
    cause_of,
    decide,
    is_owed,
    verdict_of,
)
from bot.delivery.kinds import OutboxKind
from bot.delivery.payloads import CAUSE, ITEMS, worded_outcomes

THREAD, STATUS, ROLE = 2, 1, 3


@pytest.mark.parametrize(
    ("need", "state", "decision"),
    [
        # a post into the thread needs the thread's id
        (Need.RESULT, State.DONE, Go()),
        (Need.RESULT, State.WAITING, Wait(THREAD)),
        (Need.RESULT, State.OWED, Owe(THREAD)),
        (Need.RESULT, State.FAILED, Fail(THREAD)),
        (Need.RESULT, State.SUPERSEDED, Fail(THREAD)),
        (Need.RESULT, State.UNMADE, Go()),  # the parent channel stands in for a thread refused for the cap
        # an announcement only links the thread: a stand-in link when it is not there, whatever the cause
        (Need.LINK, State.WAITING, Wait(THREAD)),
        (Need.LINK, State.RETRYING, Go()),  # tried once and refused for now: a link never waits on its retries
        (Need.RESULT, State.RETRYING, Wait(THREAD)),
        (Need.LINK, State.OWED, Go()),
        (Need.LINK, State.FAILED, Go()),
        (Need.LINK, State.UNMADE, Go()),
        # a mention with a default
        (Need.DEFAULT, State.FAILED, Go()),
        (Need.DEFAULT, State.OWED, Go()),
        (Need.DEFAULT, State.WAITING, Wait(THREAD)),
        # order only: after the other has settled for good, held while it is owed
        (Need.AFTER, State.FAILED, Go()),
        (Need.AFTER, State.OWED, Owe(THREAD)),
        (Need.AFTER, State.WAITING, Wait(THREAD)),
        # a reply that reports outcomes waits for their first try, and reports whatever they are
        (Need.SETTLED, State.WAITING, Wait(THREAD)),
        (Need.SETTLED, State.RETRYING, Go()),
        (Need.SETTLED, State.OWED, Go()),
        (Need.SETTLED, State.FAILED, Go()),
    ],
)
def test_one_use_of_one_row(need: Need, state: State, decision: object) -> None:
    assert decide([(THREAD, need)], {THREAD: state}) == decision


def test_a_row_that_does_not_exist_is_failed() -> None:
    assert decide([(THREAD, Need.RESULT)], {}) == Fail(THREAD)
    assert decide([(THREAD, Need.LINK)], {}) == Go()


def test_failing_wins_over_owing_which_wins_over_waiting() -> None:
    states = {STATUS: State.WAITING, THREAD: State.OWED, ROLE: State.FAILED}
    uses = [(STATUS, Need.RESULT), (THREAD, Need.RESULT), (ROLE, Need.RESULT)]
    assert decide(uses, states) == Fail(ROLE)
    assert decide(uses[:2], states) == Owe(THREAD)
    assert decide(uses[:1], states) == Wait(STATUS)


def test_the_thread_post_of_an_update_needs_only_the_thread_and_mentions_the_role_if_it_can() -> None:
    uses = [(THREAD, Need.RESULT), (ROLE, Need.DEFAULT)]
    assert decide(uses, {THREAD: State.DONE, ROLE: State.FAILED}) == Go()
    assert decide(uses, {THREAD: State.OWED, ROLE: State.DONE}) == Owe(THREAD)


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from(list(Need)), st.sampled_from(list(State))),
        max_size=8,
    )
)
def test_only_a_result_needed_from_a_row_failed_for_good_fails_and_only_links_defaults_and_outcomes_never_hold(
    items: list[tuple[int, Need, State]],
) -> None:
    states: dict[int, State] = {}
    for row, _, state in items:
        states.setdefault(row, state)
    uses = [(row, need) for row, need, _ in items]
    decision = decide(uses, states)
    needs_failed = any(n is Need.RESULT and states[r] in (State.FAILED, State.SUPERSEDED) for r, n in uses)
    assert isinstance(decision, Fail) == needs_failed
    soft = all(n in (Need.LINK, Need.DEFAULT, Need.SETTLED) for _, n in uses)
    if soft:
        assert not isinstance(decision, Fail | Owe)
    holding = sorted(r for r, n in uses if n in (Need.RESULT, Need.AFTER) and states[r] is State.OWED)
    if holding and not needs_failed:
        assert decision == Owe(holding[0]), "an owed row it needs holds it, whatever else it waits for"
    soft_retry = (Need.LINK, Need.SETTLED)
    waits = any(states[r] is State.WAITING or (states[r] is State.RETRYING and n not in soft_retry) for r, n in uses)
    if not holding and not needs_failed and not waits:
        assert decision == Go()


@pytest.mark.parametrize(
    ("status", "code", "text", "cause"),
    [
        (403, 50013, "Missing Permissions", Cause.MISSING_PERMISSION),
        (403, 50001, "Missing Access", Cause.MISSING_PERMISSION),
        (None, None, f"{GAVE_UP} 12 attempts: server_error_503", Cause.UNREACHABLE),
        (404, 10003, "Unknown Channel", Cause.GONE),
        (404, 10008, "Unknown Message", Cause.GONE),
        (400, 160006, "Maximum number of active threads reached", Cause.FULL),
        (400, 50035, "Invalid Form Body", Cause.REFUSED),
        (None, None, "internal error: KeyError", Cause.REFUSED),
        (403, 50007, "Cannot send messages to this user", Cause.REFUSED),
    ],
)
def test_causes(status: int | None, code: int | None, text: str, cause: Cause) -> None:
    assert cause_of(status, code, text) is cause


def test_what_is_kept_owed_is_what_an_admin_or_discord_coming_back_can_fix_in_a_channel() -> None:
    for kind in (OutboxKind.SEND_MESSAGE, OutboxKind.CREATE_THREAD, OutboxKind.EDIT_MESSAGE, OutboxKind.EDIT_THREAD):
        assert is_owed(kind, Cause.MISSING_PERMISSION) and is_owed(kind, Cause.UNREACHABLE)
        assert not is_owed(kind, Cause.GONE) and not is_owed(kind, Cause.REFUSED) and not is_owed(kind, Cause.FULL)
    for kind in (OutboxKind.SEND_DM, OutboxKind.ADD_ROLE, OutboxKind.CREATE_ROLE, OutboxKind.EDIT_INTERACTION_REPLY):
        assert not is_owed(kind, Cause.MISSING_PERMISSION)


def test_verdicts() -> None:
    states = (State.DONE, State.SUPERSEDED, State.OWED, State.RETRYING, State.FAILED, State.UNMADE)
    assert [verdict_of(s) for s in states] == [
        Verdict.DONE,
        Verdict.DONE,
        Verdict.WAITING,
        Verdict.RETRYING,
        Verdict.FAILED,
        Verdict.FULL,
    ]


def test_a_reply_says_each_verdict_once_listing_its_channels_with_their_cause() -> None:
    part = {
        "rows": [[1, "#a"], [2, "#b"], [3, "#c"], [4, "#d"], [5, "#e"]],
        "say": {
            "done": f"Annoncée dans {ITEMS}.",
            "waiting": f"Pas encore dans {ITEMS} : {CAUSE}.",
            "retrying": f"Retardée dans {ITEMS}.",
            "failed": f"Pas dans {ITEMS} : {CAUSE}.",
        },
        "causes": {"missing_permission": "permission", "gone": "introuvable", "refused": "refusé"},
    }
    outcomes = {
        1: (Verdict.DONE, None),
        2: (Verdict.WAITING, Cause.MISSING_PERMISSION),
        3: (Verdict.FAILED, Cause.GONE),
        4: (Verdict.DONE, None),
        5: (Verdict.RETRYING, Cause.UNREACHABLE),
    }
    assert worded_outcomes(part, outcomes) == (
        "\nAnnoncée dans #a, #d.\nPas encore dans #b : permission.\nRetardée dans #e.\nPas dans #c : introuvable."
    )
    # A verdict without a sentence says nothing (what went out, for a thread: its link says it).
    assert worded_outcomes({**part, "say": {"waiting": part["say"]["waiting"]}}, outcomes) == (
        "\nPas encore dans #b : permission."
    )
