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


def offered(language: str, typed: str) -> list[tuple[str, str]]:
    from bot.common.i18n import default_catalogue
    from cogs.settings.webhook import event_choices

    catalogue = default_catalogue()
    return event_choices(lambda key: catalogue.render(language, key), typed)  # type: ignore[arg-type]


def test_the_autocomplete_offers_all_then_each_event_maintenance_included_in_both_languages() -> None:
    for language, all_words, scheduled in (
        ("fr", "tous les événements", "maintenance programmée"),
        ("en", "all events", "maintenance scheduled"),
    ):
        choices = offered(language, "")
        assert choices[0] == (all_words, "all")
        assert [value for _, value in choices[1:]] == [kind.value for kind in EVENTS]
        assert (scheduled, "maintenance_scheduled") in choices
        assert len(choices) <= 25
        found = offered(language, "maint")
        assert [value for _, value in found] == [k.value for k in EVENTS if k.value.startswith("maintenance_")]


def test_the_autocomplete_adds_an_event_to_those_already_typed() -> None:
    found = offered("en", "incident_declared, maintenance_started,mainten")
    assert (
        "incident declared, maintenance started, maintenance ended",
        "incident_declared,maintenance_started,maintenance_ended",
    ) in found
    assert all(value.startswith("incident_declared,maintenance_started,") for _, value in found)
    assert "maintenance_started,maintenance_started" not in str(found), "an event chosen is not offered again"
    assert chosen_events(found[0][1]) >= {EventKind.DECLARED, EventKind.MAINTENANCE_STARTED}
    assert offered("fr", "maintenance programm") == [("maintenance programmée", "maintenance_scheduled")]
