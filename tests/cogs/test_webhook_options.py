"""What `/webhook add events:` understands: all (or nothing), or event names from the table, separated by commas."""

from __future__ import annotations

import pytest

from bot.webhooks.rules import EVENTS, EventKind, WebhookError
from cogs.settings.webhook import chosen_events


def test_all_or_nothing_is_every_event() -> None:
    assert chosen_events(None) == frozenset(EVENTS)
    assert chosen_events(" all ") == frozenset(EVENTS)


def test_a_list_of_events() -> None:
    assert chosen_events("incident_declared,incident_resolved") == {EventKind.DECLARED, EventKind.RESOLVED}
    assert chosen_events("incident_updated") == {EventKind.UPDATED}


@pytest.mark.parametrize("typed", ["incident_lost", ",", "declared", "incident_declared,nope"])
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(WebhookError):
        chosen_events(typed)
