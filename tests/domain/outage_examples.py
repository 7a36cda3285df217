"""The scenarios of ../shared/scenarios/ played through the pure domain, as worked examples for the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.incidents.rules.lifecycle import DeclareRequest, Outcome, Update, UpdateRequest, apply_update, declare, resolve
from bot.incidents.rules.model import Cause, Incident, Severity, Status
from bot.incidents.rules.service_changes import parse_service_changes, parse_service_names

PARIS = ZoneInfo("Europe/Paris")
GUILD = 1000
ANNE, YANN = 11, 12


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@dataclass
class Story:
    """An incident and its timeline, step by step."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def incident(self) -> Incident:
        return self.outcomes[-1].incident

    @property
    def entries(self) -> list[Update]:
        return [entry for outcome in self.outcomes for entry in outcome.entries]

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome


CERP_WORKAROUND = "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche."


def cerp_declared() -> Story:
    story = Story()
    story.add(
        declare(
            DeclareRequest(
                title="Cerp Bretagne Atlantique à l'arrêt",
                organisation="Cerp Bretagne Atlantique",
                sector="pharmacie",
                territories=["R53", "R52", "R75"],
                severity=Severity.CRITICAL,
                cause=Cause.CYBERATTACK_SUSPECTED,
                started_at=paris(2024, 10, 19, 12),
                services=parse_service_names("commandes, livraisons"),
                eta=paris(2024, 10, 21, 9),
                workaround=CERP_WORKAROUND,
                impact="≈1 800 officines",
            ),
            guild_id=GUILD,
            number=42,
            at=paris(2024, 10, 19, 12, 40),
            by=ANNE,
        )
    )
    return story


def cerp_resolved() -> Story:
    """Cerp Bretagne Atlantique, October 2024, to its resolution (scenario steps 1, 4, 6, 7)."""
    story = cerp_declared()
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(
                note="Toujours aucune information de la Cerp. Le procureur de Saint-Brieuc indique qu'aucune plainte "
                "n'a été déposée.",
                next_update_at=paris(2024, 10, 20, 10),
            ),
            at=paris(2024, 10, 19, 20, 10),
            by=YANN,
        )
    )
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(
                status=Status.MONITORING,
                service_changes=parse_service_changes("commandes: rétabli, livraisons: dégradé"),
                workaround="Commandes de nouveau possibles ; livraisons avec retard.",
            ),
            at=paris(2024, 10, 21, 8, 30),
            by=ANNE,
        )
    )
    story.add(
        resolve(story.incident, note="Activité rétablie, livraisons normales.", at=paris(2024, 10, 22, 11), by=ANNE)
    )
    return story


def angouleme() -> Story:
    """Angoulême, July 2023 (scenario steps 1, 3, 4), still open."""
    story = Story()
    story.add(
        declare(
            DeclareRequest(
                title="Cyberattaque : Ville d'Angoulême, GrandAngoulême, L'Alpha",
                sector="collectivité",
                territories=["16"],
                severity=Severity.MAJOR,
                cause=Cause.CYBERATTACK_CONFIRMED,
                started_at=paris(2023, 7, 25, 8),
                services=parse_service_names("sites web, messagerie, téléphonie"),
                workaround="Accueil physique uniquement, aux horaires habituels.",
            ),
            guild_id=GUILD,
            number=7,
            at=paris(2023, 7, 25, 9, 30),
            by=ANNE,
        )
    )
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(
                service_changes=parse_service_changes("téléphonie: rétabli"), note="Lignes téléphoniques rétablies."
            ),
            at=paris(2023, 7, 27, 14),
            by=ANNE,
        )
    )
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(note="Sites internet toujours indisponibles. Plainte déposée."),
            at=paris(2023, 7, 29, 12),
            by=ANNE,
        )
    )
    return story
