"""The reports' use cases: a member's report and its withdrawal, and what autocomplete and `/following` read
(reporting.py); what coordinators decide on a card: declare, attach, merge, set aside and undo, mark abuse
(deciding.py); the messages a group causes, its card, the summary card and the alert (cards.py).

Each use case writes its whole decision in one unit of work: the reports and groups, every outbox row of the
messages it causes, the audit row and the interaction it answered. Nothing here talks to Discord; the caller wakes
the outbox after the return.
"""

from __future__ import annotations

from bot.reports.use_cases.deciding import Deciding
from bot.reports.use_cases.reporting import Reporting


class Reports(Reporting, Deciding):
    """Every reports use case, on one store: what the reports cog and the card's buttons call."""
