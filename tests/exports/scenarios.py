"""The three scenarios (../shared/scenarios/) played through the outage use cases on a real SQLite file, for the
export tests, with a second server beside them whose incidents must never show up in the first one's exports.

Played through `bot.incidents.use_cases.lifecycle` rather than through the Discord double: the figures depend only on
what
the use cases store, and the double would add ~10 s per scenario for nothing the export reads
(tests/e2e/test_export.py and the Cerp scenario's step 8 cover `/export` through the double).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.common.actor import Actor
from bot.incidents.rules.model import Cause, Severity, Status
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.typed_input import DeclareInput, UpdateInput
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from bot.storage.times import to_db_time

PARIS = ZoneInfo("Europe/Paris")
GUILD, OTHER_GUILD = 1, 2
COORDINATION, OTHER_COORDINATION = 10, 20
INCIDENTS, OTHER_INCIDENTS = 100, 200
ANNE = Actor(guild_id=GUILD, user_id=1001, role_ids=frozenset({COORDINATION}))
YANN = Actor(guild_id=GUILD, user_id=1002, role_ids=frozenset({COORDINATION}))
STRANGER = Actor(guild_id=OTHER_GUILD, user_id=3001, role_ids=frozenset({OTHER_COORDINATION}))
# Wednesday 23 October 2024, 09:00 in Paris: the Cerp scenario's step 8, when admin.sophie exports.
EXPORT_NOW = datetime(2024, 10, 23, 9, 0, tzinfo=PARIS)
EVERYTHING = "du 01/07/2023 au 31/10/2024"
OTHER_TITLE = "Panne d'un autre serveur, jamais exportée ici"
FORMULA_TITLES = ('=HYPERLINK("http://x","y")', "=1+1")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


async def configure(store: Store) -> None:
    stamp = to_db_time(EXPORT_NOW)
    async with store.unit_of_work() as conn:
        for guild, role, channel in (
            (GUILD, COORDINATION, INCIDENTS),
            (OTHER_GUILD, OTHER_COORDINATION, OTHER_INCIDENTS),
        ):
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, language, time_zone, coordinator_role_id, incident_channel_id, "
                "updated_at) VALUES (?, 'fr', 'Europe/Paris', ?, ?, ?)",
                (guild, role, channel, stamp),
            )


async def play_scenarios(store: Store) -> Lifecycle:
    """Cerp (#1), Angoulême (#2, still open), Octave (#3) on server 1; one incident on server 2."""
    await configure(store)
    life = Lifecycle(store, ServerDefaults())
    cerp = await life.declare(
        ANNE,
        DeclareInput(
            title="Cerp Bretagne Atlantique à l'arrêt",
            organisation="Cerp Bretagne Atlantique",
            sector="pharmacie",
            territories="53, 52, 75",
            severity=Severity.CRITICAL,
            cause=Cause.CYBERATTACK_SUSPECTED,
            started="aujourd'hui midi",
            services="commandes, livraisons",
            eta="lundi matin",
            workaround="Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche.",
            impact="≈1 800 officines",
        ),
        now=paris(2024, 10, 19, 12, 40),
    )
    await life.update(
        YANN,
        cerp.number,
        UpdateInput(note="Toujours aucune information de la Cerp.", next_update="demain 10h"),
        now=paris(2024, 10, 19, 20, 10),
    )
    await life.update(
        ANNE,
        cerp.number,
        UpdateInput(
            status=Status.MONITORING,
            services="commandes: rétabli, livraisons: dégradé",
            workaround="Commandes de nouveau possibles ; livraisons avec retard.",
        ),
        now=paris(2024, 10, 21, 8, 30),
    )
    await life.resolve(
        ANNE,
        cerp.number,
        summary="Activité rétablie, livraisons normales.",
        silent=False,
        now=paris(2024, 10, 22, 11, 0),
    )

    angouleme = await life.declare(
        ANNE,
        DeclareInput(
            title="Cyberattaque : Ville d'Angoulême, GrandAngoulême, L'Alpha",
            organisation="Ville d'Angoulême",
            sector="collectivité",
            territories="16",
            severity=Severity.MAJOR,
            cause=Cause.CYBERATTACK_CONFIRMED,
            started="ce matin 8h",
            services="sites web, messagerie, téléphonie",
            workaround="Accueil physique uniquement, aux horaires habituels.",
        ),
        now=paris(2023, 7, 25, 9, 30),
    )
    await life.update(
        ANNE,
        angouleme.number,
        UpdateInput(services="téléphonie: rétabli", note="Lignes téléphoniques rétablies."),
        now=paris(2023, 7, 27, 14, 0),
    )
    await life.update(
        ANNE,
        angouleme.number,
        UpdateInput(note="Sites internet toujours indisponibles. Plainte déposée."),
        now=paris(2023, 7, 29, 12, 0),
    )

    octave = await life.declare(
        YANN,
        DeclareInput(
            title="Rançongiciel chez Octave : distributeurs du livre à l'arrêt",
            organisation="Octave (Pollen, Makassar, Nord Sud, Comptoir du Livre…)",
            sector="librairie",
            territories="France",
            severity=Severity.MAJOR,
            cause=Cause.CYBERATTACK_CONFIRMED,
            started="ce matin",
            services="préparation des commandes, facturation, expéditions, Periscope (stocks)",
        ),
        now=paris(2024, 8, 19, 15, 0),
    )
    await life.update(
        YANN,
        octave.number,
        UpdateInput(
            status=Status.IDENTIFIED,
            workaround=(
                "Commander via Dilicom. Les colis arrivent avec des bons de livraison ; factures et avoirs suivront."
            ),
            services="préparation des commandes: dégradé, expéditions: dégradé",
            eta="15/09 9h",
        ),
        now=paris(2024, 8, 23, 10, 0),
    )
    await life.resolve(YANN, octave.number, summary=None, silent=False, now=paris(2024, 9, 18, 17, 0))

    await life.declare(
        STRANGER,
        DeclareInput(
            title=OTHER_TITLE,
            organisation="Cerp Bretagne Atlantique",
            sector="pharmacie",
            territories="53",
            severity=Severity.CRITICAL,
            cause=Cause.UNKNOWN,
            started="aujourd'hui 8h",
            services="commandes",
        ),
        now=paris(2024, 10, 19, 9, 0),
    )
    return life


async def add_formula_titles(store: Store, life: Lifecycle) -> None:
    """Two incidents whose titles a spreadsheet would run as formulas, in October 2024."""
    for index, title in enumerate(FORMULA_TITLES):
        declared = await life.declare(
            ANNE,
            DeclareInput(
                title=title,
                organisation="@SUM(A1:A2)",
                sector="santé",
                territories="29",
                severity=Severity.MINOR,
                cause=Cause.UNKNOWN,
                started="aujourd'hui 9h",
                services="-2+3",
            ),
            now=paris(2024, 10, 2 + index, 10, 0),
        )
        await life.resolve(
            ANNE, declared.number, summary="+33 1 23 45 67 89", silent=False, now=paris(2024, 10, 2 + index, 12, 0)
        )
