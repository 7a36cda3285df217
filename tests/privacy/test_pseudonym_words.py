"""A forgotten member's pseudonym is shown in words wherever a message names them (no client renders `<@-1>`)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.common.formatting import member_reference
from bot.reports.presentation import Card, card_embed
from bot.reports.rules import GroupStatus, summarise


def test_a_pseudonym_is_worded_in_the_reader_language_and_a_member_stays_a_mention() -> None:
    assert member_reference(-3, "fr") == "ancien membre n° 3"
    assert member_reference(-3, "en") == "former member #3"
    assert member_reference(412345678901234567, "fr") == "<@412345678901234567>"


def test_a_card_decided_by_a_forgotten_coordinator_names_the_pseudonym() -> None:
    at = datetime(2024, 10, 19, 10, 45, tzinfo=UTC)
    card = Card(1, 2, "Cerp", GroupStatus.SET_ASIDE, summarise([]), decided_by=-2, decided_at=at, reason="doublon")
    shown = str(card_embed(card, "fr"))
    assert "ancien membre n° 2" in shown and "<@-2>" not in shown
