from __future__ import annotations

import pytest

from bot.sandbox.faults import Fault, FaultPlan


def test_take_matches_method_and_full_path() -> None:
    plan = FaultPlan()
    fault = plan.inject(Fault(method="POST", path_pattern=r"/channels/123/messages", status=502))
    assert plan.take("GET", "/channels/123/messages") is None
    assert plan.take("POST", "/channels/123/messages/9") is None
    assert plan.take("POST", "/channels/1234/messages") is None
    assert plan.take("post", "/channels/123/messages") is fault
    assert plan.take("POST", "/channels/123/messages") is None
    assert plan.pending() == []


def test_api_prefix_and_query_are_ignored() -> None:
    plan = FaultPlan()
    fault = plan.inject(Fault(method=None, path_pattern=r"/channels/\d+/messages"))
    assert plan.take("DELETE", "/api/v10/channels/5/messages?limit=2") is fault


def test_times_counts_uses_and_forever_never_ends() -> None:
    plan = FaultPlan()
    plan.inject(Fault(method="GET", path_pattern=r"/a", times=2, status=500))
    forever = plan.inject(Fault(method="GET", path_pattern=r"/b", times=-1, delay_s=0.5))
    assert [plan.take("GET", "/a") is not None for _ in range(3)] == [True, True, False]
    assert all(plan.take("GET", "/b") is forever for _ in range(50))
    assert plan.pending() == [forever]
    assert forever.hits == 50


def test_first_injected_wins_then_the_next() -> None:
    plan = FaultPlan()
    first = plan.inject(Fault(method=None, path_pattern=r"/x", status=500))
    second = plan.inject(Fault(method=None, path_pattern=r"/.*", lose_response=True, before_action=False))
    assert plan.take("GET", "/x") is first
    assert plan.take("GET", "/x") is second
    assert plan.take("GET", "/x") is None


def test_clear() -> None:
    plan = FaultPlan()
    plan.inject(Fault(method=None, path_pattern=r"/x", retry_after=60, is_global=True))
    plan.clear()
    assert plan.take("GET", "/x") is None


def test_bad_faults_are_refused() -> None:
    with pytest.raises(ValueError):
        Fault(method=None, path_pattern="/x", times=0)
    with pytest.raises(ValueError):
        Fault(method=None, path_pattern="/x", delay_s=-1)
    with pytest.raises(Exception):  # noqa: B017 - re.error is the point: the regex is compiled at once
        Fault(method=None, path_pattern="(")
