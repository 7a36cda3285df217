"""What tests, benches and the demo share to drive Tocsin against the double: the scenarios' server, the bot as
its own process, waiting until it has sent what it queued, and acting as the server's people.

The server is the scenarios' "Coordination Grand Ouest": two coordinators, affected members, an admin, a public
channel per region and sector, and #journal-bot for coordinators and admins only; everyone is French.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.api import DiscordDouble
from bot.sandbox.permissions import DEFAULT_EVERYONE, Overwrite, Perm

PARIS = ZoneInfo("Europe/Paris")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PUBLIC_CHANNELS = (
    "incidents",
    "bretagne",
    "pays-de-la-loire",
    "nouvelle-aquitaine",
    "occitanie",
    "pharmacies",
    "librairies",
    "collectivites",
)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Paris, as the double's clock (UTC) takes it."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


@dataclass
class Server:
    guild_id: int
    roles: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)

    def name_of(self, user_id: int) -> str:
        return next((name for name, uid in self.members.items() if uid == user_id), str(user_id))

    def channel_name(self, channel_id: int) -> str:
        return next((name for name, cid in self.channels.items() if cid == channel_id), str(channel_id))


def build_grand_ouest(double: DiscordDouble) -> Server:
    """Roles, members and channels of the scenarios' server; #journal-bot is for coordinators and admins only."""
    guild = double.add_guild("Coordination Grand Ouest", preferred_locale="fr")
    server = Server(guild_id=guild.id)
    # "Members cannot mention roles; the bot's role may": Discord's default @everyone grants Mention @everyone.
    guild.set_role_permissions(guild.everyone_role_id, int(DEFAULT_EVERYONE & ~Perm.MENTION_EVERYONE))
    server.roles["coordination"] = guild.add_role("coordination")
    server.roles["admin"] = guild.add_role("admin", permissions=int(Perm.MANAGE_GUILD))
    for role in ("pharmacies-ouest", "librairies", "collectivites-16"):
        server.roles[role] = guild.add_role(role)
    members = {
        "coord.anne": ["coordination"],
        "coord.yann": ["coordination"],
        "pharma.brest": ["pharmacies-ouest"],
        "pharma.angouleme": ["pharmacies-ouest"],
        "libr.toulouse": [],
        "agent.angouleme": ["collectivites-16"],
        "admin.sophie": ["admin"],
    }
    for name, role_names in members.items():
        server.members[name] = guild.add_member(name, roles=[server.roles[r] for r in role_names], locale="fr")
    for name in PUBLIC_CHANNELS:
        server.channels[name] = guild.add_text_channel(name)
    server.channels["journal-bot"] = guild.add_text_channel("journal-bot", overwrites=staff_only(double, server))
    return server


def staff_only(double: DiscordDouble, server: Server) -> list[Overwrite]:
    """A channel's overwrites that let only coordinators, admins and the bot see it."""
    guild = double.guild(server.guild_id)
    return [
        Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.VIEW_CHANNEL)),
        Overwrite(id=server.roles["coordination"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=server.roles["admin"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
    ]


def add_reports_channel(double: DiscordDouble, server: Server) -> int:
    """#signalements, for coordinators and admins only: where the reports scenario's cards go."""
    guild = double.guild(server.guild_id)
    server.channels["signalements"] = guild.add_text_channel("signalements", overwrites=staff_only(double, server))
    return server.channels["signalements"]


def add_reporters(double: DiscordDouble, server: Server) -> None:
    """The reports scenario's additions, made before the bot starts, as the server stood that Saturday:
    #signalements, and `pharma.stbrieuc` and `pharma.quimper` with @pharmacies-ouest."""
    guild = double.guild(server.guild_id)
    for name in ("pharma.stbrieuc", "pharma.quimper"):
        server.members[name] = guild.add_member(name, roles=[server.roles["pharmacies-ouest"]], locale="fr")
    add_reports_channel(double, server)


class BotProcess:
    """The bot as its own `python -m bot run` process pointed at a double; its log goes to a file."""

    def __init__(
        self,
        double: DiscordDouble,
        workdir: Path,
        *,
        guild_id: int,
        token: str | None = None,
        log_level: str = "INFO",
        database_path: Path | None = None,
    ) -> None:
        self.double = double
        self.database_path = database_path if database_path is not None else workdir / "tocsin.db"
        self.workdir = workdir
        self.guild_id = guild_id
        self.token = token if token is not None else double.token
        self.log_level = log_level
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.extra_env: dict[str, str] = {}

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
        env.update(
            {
                "PYTHONPATH": str(PROJECT_ROOT),
                "DISCORD_TOKEN": self.token,
                "DISCORD_API_BASE": self.double.api_base,
                "DISCORD_GATEWAY_URL": self.double.gateway_url,
                "TOCSIN_CLOCK_URL": self.double.clock_url,
                "TOCSIN_DATABASE_PATH": str(self.database_path),
                "TOCSIN_DEV_GUILD_ID": str(self.guild_id),
                "TOCSIN_LOG_LEVEL": self.log_level,
                # Health and metrics on a free port: bots of several tests (or a real one) never meet on one.
                "TOCSIN_HEALTH_ADDRESS": "127.0.0.1:0",
                "LANG": "C.UTF-8",
            }
        )
        env.update(self.extra_env)
        return env

    async def start(self, *, wait_ready: bool = True) -> None:
        """Starts the process; by default returns once its commands are registered and its gateway is ready."""
        sessions_before = self.double.identified_sessions
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--env-file",
                str(self.workdir / "absent.env"),
                cwd=self.workdir,
                env=self.environment(),
                stdout=log,
                stderr=log,
            )
        if wait_ready:
            await self.double.wait_for_commands(self.guild_id, timeout=30.0)
            await self.double.wait_until_ready(timeout=30.0, sessions_before=sessions_before)

    async def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> int | None:
        """SIGTERM, as a service manager would; the bot finishes what it is sending and exits."""
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


# --- waiting for the bot -------------------------------------------------------------------------------------


async def settle(double: DiscordDouble, server: Server | None = None, *, timeout: float = 20.0) -> None:
    """Until the bot has caught up with the double: it has seen the double's current time, every reminder, nudge
    and archive due by then has run, and what they and the interactions answered before queued is on Discord —
    or held by Discord (DMs paused after a 40003, posts waiting for a forum post the server has no room for).
    The bot says so itself, through the double's clock (bot/timers/caught_up.py); `server` is not needed."""
    await double.wait_caught_up(timeout=timeout)


# --- acting as the server's people ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


async def pick(
    double: DiscordDouble,
    user: int,
    channel: int,
    command: str,
    option: str,
    items: Sequence[tuple[str, str]],
    *,
    options: dict[str, Any] | None = None,
) -> str:
    """What a person ends up with in an autocompleted (list) option: for each (typed, wanted) they type `typed`
    after what is already there and pick the choice whose name contains `wanted`."""
    value = ""
    for typed, wanted in items:
        prefix = f"{value}, " if value else ""
        choices = await double.autocomplete(
            user, channel, command, focused=option, value=prefix + typed, options=options
        )
        chosen = next((c for c in choices if _fold(wanted) in _fold(str(c["name"]))), None)
        if chosen is None:
            offered = [c["name"] for c in choices]
            raise LookupError(f"{command} {option}: typing {typed!r} offers no {wanted!r} (offered: {offered})")
        picked = str(chosen["value"])
        value = picked if not prefix or picked.startswith(prefix.rstrip(", ")) else prefix + picked
    return value


# The scenarios' routing: channel, territory typed and picked, sector, role.
GRAND_OUEST_ROUTES: tuple[tuple[str, tuple[str, str] | None, str | None, str | None], ...] = (
    ("bretagne", ("53", "Bretagne"), None, None),
    ("pays-de-la-loire", ("52", "Pays de la Loire"), None, None),
    ("nouvelle-aquitaine", ("75", "Nouvelle-Aquitaine"), None, None),
    ("occitanie", ("76", "Occitanie"), None, None),
    ("pharmacies", None, "pharmacie", "pharmacies-ouest"),
    ("librairies", None, "librairie", "librairies"),
    ("collectivites", ("16", "Charente"), "collectivité", "collectivites-16"),
)


async def configure_by_commands(
    double: DiscordDouble,
    server: Server,
    on_reply: Callable[[str, dict[str, Any]], None] | None = None,
) -> None:
    """admin.sophie configures the scenarios' server through /setup, as she would in Discord."""
    admin, here = server.members["admin.sophie"], server.channels["journal-bot"]
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (
            "/configurer salon-incidents salon:#incidents",
            "setup incident-channel",
            {"channel": server.channels["incidents"]},
        ),
        (
            "/configurer role-coordination role:@coordination",
            "setup coordinator-role",
            {"role": server.roles["coordination"]},
        ),
        (
            "/configurer salon-journal salon:#journal-bot",
            "setup log-channel",
            {"channel": server.channels["journal-bot"]},
        ),
        ("/configurer langue langue:français", "setup language", {"language": "fr"}),
    ]
    for channel, territory, sector, role in GRAND_OUEST_ROUTES:
        options: dict[str, Any] = {"channel": server.channels[channel]}
        said = f"/configurer route ajouter salon:#{channel}"
        if territory is not None:
            options["territory"] = await pick(double, admin, here, "setup route add", "territory", [territory])
            said += f" territoire:{territory[1]}"
        if sector is not None:
            options["sector"] = sector
            said += f" secteur:{sector}"
        if role is not None:
            options["role"] = server.roles[role]
            said += f" role:@{role}"
        steps.append((said, "setup route add", options))
    for said, command, options in steps:
        ix = await double.run_command(admin, here, command, options)
        reply = await ix.reply()
        if on_reply is not None:
            on_reply(said, reply)
