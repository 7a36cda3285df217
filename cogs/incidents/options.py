"""What `/outage`'s commands take: each option's name and description, written once and shared by the commands
that take it (the incident, declare's facts in edit…), and the choices some of them offer."""

from __future__ import annotations

from cogs.common.choices import shared_choices
from cogs.common.options import shared_option

CAUSE_CHOICES = shared_choices(
    "outage",
    cyberattack_suspected="suspected cyberattack",
    cyberattack_confirmed="confirmed cyberattack",
    technical_failure="technical failure",
    overload="overload",
    unknown="unknown",
)
STATUS_CHOICES = shared_choices(
    "outage", investigating="investigating", identified="cause identified", monitoring="monitoring"
)
CANCEL_CHOICES = shared_choices("outage", false_alarm="false alarm", duplicate="duplicate")


TITLE = shared_option("outage", "title", "What is down, in a few words (100 characters at most)")
SECTOR = shared_option("outage", "sector", "The sector hit (pharmacy, bookshop, local authority…)")
TERRITORIES = shared_option("outage", "territories", "Territories, comma-separated: 29, Bretagne, France entière")
SEVERITY = shared_option("outage", "severity", "How serious it is")
CAUSE = shared_option("outage", "cause", "The cause, as far as is known")
STARTED = shared_option("outage", "started", 'Since when: "aujourd\'hui midi", "depuis 8h"')
SERVICES = shared_option("outage", "services", 'Services hit, comma-separated ("orders, deliveries")')
ETA = shared_option("outage", "eta", 'Expected recovery: "lundi matin", "dans 4 h"')
WORKAROUND = shared_option("outage", "workaround", "What to do meanwhile")
IMPACT = shared_option("outage", "impact", 'Who or how many are affected ("≈1 800 pharmacies")')
ORGANISATION = shared_option("outage", "organisation", 'Who is down ("Cerp Bretagne Atlantique")')
INCIDENT = shared_option("outage", "incident", "The incident (number or words of its title)")
STATUS = shared_option("outage", "status", "The new status")
NOTE = shared_option("outage", "note", "What is new, in a few sentences")
SERVICE_CHANGES = shared_option(
    "outage", "service_changes", 'Service changes: "orders: restored, deliveries: degraded"', name=SERVICES.name
)
NEW_WORKAROUND = shared_option(
    "outage", "new_workaround", "New instructions (announced again in every channel)", name=WORKAROUND.name
)
NEXT_UPDATE = shared_option("outage", "next_update", 'When you will post again: "demain 10h"')
NEW_SEVERITY = shared_option("outage", "new_severity", "A new severity (raising it pings again)", name=SEVERITY.name)
SILENT = shared_option("outage", "silent", "Post without notifying anyone")
PUBLIC = shared_option("outage", "public", "Show it on the server's public page, or take it off")
INTERNAL = shared_option("outage", "internal", "Keep this update off the public page")
SUMMARY = shared_option("outage", "summary", "How it ended, in a few words")
REOPEN_REASON = shared_option("outage", "reason", "Why it is not over")
CANCEL_REASON = shared_option("outage", "cancel_reason", "False alarm or duplicate", name="reason")
DUPLICATE_OF = shared_option("outage", "duplicate_of", "For a duplicate: the original incident")
OTHER = shared_option("outage", "other", "The other outage")
UNDO = shared_option("outage", "undo", "Unlink them instead")
CANCEL_NOTE = shared_option("outage", "cancel_note", "A word of explanation", name=NOTE.name)
COORDINATOR = shared_option("outage", "coordinator", "The coordinator who takes it over")
LIST_STATUS = shared_option("outage", "list_status", "Which ones (open by default)", name=STATUS.name)
TERRITORY = shared_option("outage", "territory", "Only those concerning this territory")
LIST_SECTOR = shared_option("outage", "list_sector", "Only this sector", name=SECTOR.name)
PERIOD = shared_option("outage", "period", 'When: "octobre 2024", "cette semaine", "les 30 derniers jours"')
