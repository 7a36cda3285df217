"""What `/outage`'s commands take: each option's name and description, written once and shared by the commands
that take it (the incident, declare's facts in edit…), and the choices some of them offer."""

from __future__ import annotations

from discord import app_commands

from bot.interactions.translator import text
from cogs.common.options import Option

CAUSE_CHOICES = [
    app_commands.Choice(
        name=text("suspected cyberattack", "cmd.outage.choice.cyberattack_suspected"), value="cyberattack_suspected"
    ),
    app_commands.Choice(
        name=text("confirmed cyberattack", "cmd.outage.choice.cyberattack_confirmed"), value="cyberattack_confirmed"
    ),
    app_commands.Choice(
        name=text("technical failure", "cmd.outage.choice.technical_failure"), value="technical_failure"
    ),
    app_commands.Choice(name=text("overload", "cmd.outage.choice.overload"), value="overload"),
    app_commands.Choice(name=text("unknown", "cmd.outage.choice.unknown"), value="unknown"),
]
STATUS_CHOICES = [
    app_commands.Choice(name=text("investigating", "cmd.outage.choice.investigating"), value="investigating"),
    app_commands.Choice(name=text("cause identified", "cmd.outage.choice.identified"), value="identified"),
    app_commands.Choice(name=text("monitoring", "cmd.outage.choice.monitoring"), value="monitoring"),
]
CANCEL_CHOICES = [
    app_commands.Choice(name=text("false alarm", "cmd.outage.choice.false_alarm"), value="false_alarm"),
    app_commands.Choice(name=text("duplicate", "cmd.outage.choice.duplicate"), value="duplicate"),
]


TITLE = Option(
    text("title", "cmd.outage.opt.title.name"),
    text("What is down, in a few words (100 characters at most)", "cmd.outage.opt.title"),
)
SECTOR = Option(
    text("sector", "cmd.outage.opt.sector.name"),
    text("The sector hit (pharmacy, bookshop, local authority…)", "cmd.outage.opt.sector"),
)
TERRITORIES = Option(
    text("territories", "cmd.outage.opt.territories.name"),
    text("Territories, comma-separated: 29, Bretagne, France entière", "cmd.outage.opt.territories"),
)
SEVERITY = Option(
    text("severity", "cmd.outage.opt.severity.name"), text("How serious it is", "cmd.outage.opt.severity")
)
CAUSE = Option(
    text("cause", "cmd.outage.opt.cause.name"), text("The cause, as far as is known", "cmd.outage.opt.cause")
)
STARTED = Option(
    text("started", "cmd.outage.opt.started.name"),
    text('Since when: "aujourd\'hui midi", "depuis 8h"', "cmd.outage.opt.started"),
)
SERVICES = Option(
    text("services", "cmd.outage.opt.services.name"),
    text('Services hit, comma-separated ("orders, deliveries")', "cmd.outage.opt.services"),
)
ETA = Option(
    text("eta", "cmd.outage.opt.eta.name"), text('Expected recovery: "lundi matin", "dans 4 h"', "cmd.outage.opt.eta")
)
WORKAROUND = Option(
    text("workaround", "cmd.outage.opt.workaround.name"), text("What to do meanwhile", "cmd.outage.opt.workaround")
)
IMPACT = Option(
    text("impact", "cmd.outage.opt.impact.name"),
    text('Who or how many are affected ("≈1 800 pharmacies")', "cmd.outage.opt.impact"),
)
ORGANISATION = Option(
    text("organisation", "cmd.outage.opt.organisation.name"),
    text('Who is down ("Cerp Bretagne Atlantique")', "cmd.outage.opt.organisation"),
)
INCIDENT = Option(
    text("incident", "cmd.outage.opt.incident.name"),
    text("The incident (number or words of its title)", "cmd.outage.opt.incident"),
)
STATUS = Option(text("status", "cmd.outage.opt.status.name"), text("The new status", "cmd.outage.opt.status"))
NOTE = Option(text("note", "cmd.outage.opt.note.name"), text("What is new, in a few sentences", "cmd.outage.opt.note"))
SERVICE_CHANGES = Option(
    text("services", "cmd.outage.opt.services.name"),
    text('Service changes: "orders: restored, deliveries: degraded"', "cmd.outage.opt.service_changes"),
)
NEW_WORKAROUND = Option(
    text("workaround", "cmd.outage.opt.workaround.name"),
    text("New instructions (announced again in every channel)", "cmd.outage.opt.new_workaround"),
)
NEXT_UPDATE = Option(
    text("next_update", "cmd.outage.opt.next_update.name"),
    text('When you will post again: "demain 10h"', "cmd.outage.opt.next_update"),
)
NEW_SEVERITY = Option(
    text("severity", "cmd.outage.opt.severity.name"),
    text("A new severity (raising it pings again)", "cmd.outage.opt.new_severity"),
)
SILENT = Option(
    text("silent", "cmd.outage.opt.silent.name"), text("Post without notifying anyone", "cmd.outage.opt.silent")
)
PUBLIC = Option(
    text("public", "cmd.outage.opt.public.name"),
    text("Show it on the server's public page, or take it off", "cmd.outage.opt.public"),
)
INTERNAL = Option(
    text("internal", "cmd.outage.opt.internal.name"),
    text("Keep this update off the public page", "cmd.outage.opt.internal"),
)
SUMMARY = Option(
    text("summary", "cmd.outage.opt.summary.name"), text("How it ended, in a few words", "cmd.outage.opt.summary")
)
REOPEN_REASON = Option(
    text("reason", "cmd.outage.opt.reason.name"), text("Why it is not over", "cmd.outage.opt.reason")
)
CANCEL_REASON = Option(
    text("reason", "cmd.outage.opt.cancel_reason.name"),
    text("False alarm or duplicate", "cmd.outage.opt.cancel_reason"),
)
DUPLICATE_OF = Option(
    text("duplicate_of", "cmd.outage.opt.duplicate_of.name"),
    text("For a duplicate: the original incident", "cmd.outage.opt.duplicate_of"),
)
CANCEL_NOTE = Option(
    text("note", "cmd.outage.opt.note.name"), text("A word of explanation", "cmd.outage.opt.cancel_note")
)
COORDINATOR = Option(
    text("coordinator", "cmd.outage.opt.coordinator.name"),
    text("The coordinator who takes it over", "cmd.outage.opt.coordinator"),
)
LIST_STATUS = Option(
    text("status", "cmd.outage.opt.status.name"), text("Which ones (open by default)", "cmd.outage.opt.list_status")
)
TERRITORY = Option(
    text("territory", "cmd.outage.opt.territory.name"),
    text("Only those concerning this territory", "cmd.outage.opt.territory"),
)
LIST_SECTOR = Option(
    text("sector", "cmd.outage.opt.sector.name"), text("Only this sector", "cmd.outage.opt.list_sector")
)
PERIOD = Option(
    text("period", "cmd.outage.opt.period.name"),
    text('When: "octobre 2024", "cette semaine", "les 30 derniers jours"', "cmd.outage.opt.period"),
)
