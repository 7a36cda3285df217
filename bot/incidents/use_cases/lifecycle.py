"""The outage lifecycle's use cases: declare (declaring.py), update, resolve, reopen and "affected too"
(updates.py), correct, cancel and hand over (corrections.py), show, list and autocomplete (reading.py), archive
resolved threads (archiving.py), show a committed update late (lateness.py); following an incident is
bot/following's.

Each use case takes plain values (ids, what was typed: typed_input.py) and writes its whole decision in one unit
of work (commands.py): the incident, its timeline entries, the announcements, every outbox row of the messages it
causes (deliveries.py), the audit row and the interaction id it answered. Nothing here talks to Discord; the
caller wakes the outbox after the return.

Decisions taken here:
- What people type is read in the server's time zone and against the server's lists (typed_input.py).
- An interaction handled once is answered again with its first result (the same declaration, not a second).
- Only members holding the coordinator role change an incident; "Follow" and "Affected too" are open to every
  member who sees the buttons; `show` and `list` to everyone.
- A hand-over goes to a coordinator only (the owner receives the nudges and must be able to act on them).
- `resolve … silent` posts the recovery with notifications suppressed (as a silent update does).
- A resolved incident's thread is archived `archive_after_hours` after the resolution (0: at once); a reopen
  before then keeps it open (archiving.py).
"""

from __future__ import annotations

from bot.incidents.use_cases.archiving import Archiving
from bot.incidents.use_cases.corrections import Correcting
from bot.incidents.use_cases.declaring import Declaring
from bot.incidents.use_cases.lateness import Lateness
from bot.incidents.use_cases.reading import Reading
from bot.incidents.use_cases.updates import Updating


class Lifecycle(Declaring, Updating, Correcting, Reading, Archiving, Lateness):
    """Every outage use case, on one store: what the outage cog and the buttons call."""
