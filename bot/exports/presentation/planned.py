"""What planned maintenance adds to every export, listed apart and counted in no incident figure (no MTTR, no
duration, no count): per maintenance, its organisation, services, territories, sector, planned span and how it
ended (`converted`: it overran into an incident, which is among the incidents, started at the planned start)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.exports.presentation.common import Words
from bot.maintenance.presentation import STAGE_KEYS
from bot.maintenance.rules import Maintenance, Stage

COLUMNS = ("number", "organisation", "services", "territories", "sector", "starts_at", "ends_at", "state", "ended_at")
# For machines: scheduled, in_progress, ended or converted, whatever message it reached last.
STATES = {Stage.STARTED: "in_progress", Stage.ASKED: "in_progress", Stage.REMINDED: "scheduled"}


def _state(m: Maintenance) -> str:
    return STATES.get(m.stage, m.stage.value)


def rows(items: Sequence[Maintenance], words: Words) -> list[tuple[Any, ...]]:
    return [
        (
            m.label,
            m.organisation,
            ", ".join(m.services),
            ", ".join(m.territories),
            m.sector,
            words.iso(m.starts_at),
            words.iso(m.ends_at),
            _state(m),
            words.iso(m.ended_at),
        )
        for m in items
    ]


def as_json(items: Sequence[Maintenance], words: Words) -> list[dict[str, Any]]:
    def iso(at: datetime | None) -> str | None:
        return at.astimezone(words.zone).isoformat() if at is not None else None

    return [
        {
            "number": m.label,
            "organisation": m.organisation,
            "services": list(m.services),
            "territories": list(m.territories),
            "sector": m.sector,
            "starts_at": iso(m.starts_at),
            "ends_at": iso(m.ends_at),
            "state": _state(m),
            "ended_at": iso(m.ended_at),
        }
        for m in items
    ]


def lines(items: Sequence[Maintenance], words: Words) -> list[str]:
    """One sentence per maintenance, for the HTML and Markdown reports (escaped by the caller)."""
    return [
        words(
            "export.maintenance.line",
            label=m.label,
            organisation=m.organisation,
            span=words.span(m.starts_at, m.ends_at),
            state=words(STAGE_KEYS[m.stage]),
        )
        for m in items
    ]
