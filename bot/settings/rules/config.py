"""A server's configuration as every use case needs it, with the program's defaults where it set nothing.

`bot.settings.store` reads it, `bot.settings.use_cases.load_config` completes it with the defaults."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo

from bot.common.errors import TocsinError
from bot.common.i18n import Language, default_catalogue
from bot.common.text import name_key
from bot.incidents.rules.routing import Route
from bot.reminders.rules.nudges import DEFAULT_CADENCE_MINUTES


@dataclass(frozen=True)
class ServerDefaults:
    """The language and time zone of a server that has not chosen its own (the bot's settings)."""

    language: str = "fr"
    time_zone: str = "Europe/Paris"


# Offered until an admin edits the list (pharmacie, librairie, collectivité, santé, …).
DEFAULT_SECTORS: tuple[str, ...] = (
    "pharmacie",
    "librairie",
    "collectivité",
    "santé",
    "commerce",
    "transport",
    "énergie",
    "éducation",
    "autre",
)


def default_sectors() -> dict[str, str]:
    """The sectors a server has before its first `/setup` command: key → name as written."""
    return {name_key(name): name for name in DEFAULT_SECTORS}


# The statuses a forum incident channel shows as tags, and the catalogue entries of their names.
STATUS_TAG_IDS: dict[str, str] = {
    "investigating": "incident.status.investigating",
    "identified": "incident.status.identified",
    "monitoring": "incident.status.monitoring",
    "resolved": "incident.status.resolved",
    "cancelled": "incident.status.cancelled",
}


def status_tags(tag_names: Iterable[str]) -> dict[str, str | None]:
    """For each status, the forum tag that stands for it, or None.

    A tag stands for a status when its name is the status's name in French or in English, or its code
    ("En cours d'analyse", "investigating"), compared without case or accents: admins create the tags in the
    forum's settings (the bot would need Manage Channels to create them), in the server's language or not.
    """
    catalogue = default_catalogue()
    by_key = {name_key(name): name for name in tag_names}
    found: dict[str, str | None] = {}
    for status, message_id in STATUS_TAG_IDS.items():
        accepted = {name_key(status), *(name_key(catalogue.render(lang, message_id)) for lang in ("fr", "en"))}
        found[status] = next((by_key[key] for key in accepted if key in by_key), None)
    return found


class SetupRequiredError(TocsinError):
    """The server has not configured what the command needs; the sentence says which /setup command to run."""


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays
    start: time = time(9, 0)
    end: time = time(19, 0)
    holidays_country: str = "FR"


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    language: Language
    time_zone: str
    coordinator_role_id: int | None = None
    incident_channel_id: int | None = None
    bot_log_channel_id: int | None = None
    hours: WorkingHours = field(default_factory=WorkingHours)
    archive_after_hours: int = 24
    cadence_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE_MINUTES))
    dm_cap_per_incident: int = 50
    routes: tuple[Route, ...] = ()
    sectors: dict[str, str] = field(default_factory=dict)  # key → name as written
    # Members' reports: where their cards go (None: the bot-log channel), who may report (None: every member),
    # and the alert rule (that many distinct members within that many minutes).
    reports_channel_id: int | None = None
    reports_role_id: int | None = None
    report_alert_members: int = 3
    report_alert_window_min: int = 60

    @property
    def report_cards_channel_id(self) -> int | None:
        """Where report cards and alerts go: the reports channel, else (before it is set) the bot-log channel."""
        return self.reports_channel_id if self.reports_channel_id is not None else self.bot_log_channel_id

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def require_incidents_setup(self) -> None:
        """Declaring and following outages needs an incident channel and a coordinator role."""
        if self.incident_channel_id is None and self.coordinator_role_id is None:
            raise SetupRequiredError("setup.error.not_configured")
        if self.incident_channel_id is None:
            raise SetupRequiredError("setup.error.no_incident_channel")
        if self.coordinator_role_id is None:
            raise SetupRequiredError("setup.error.no_coordinator_role")
