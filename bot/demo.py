"""`python -m bot demo`: a local Discord double, the bot as its own process, a short session, a transcript.

The server is the scenarios' "Coordination Grand Ouest" (../shared/scenarios/README.md); everyone is French.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox import DiscordDouble
from bot.sandbox.permissions import DEFAULT_EVERYONE, Overwrite, Perm

PARIS = ZoneInfo("Europe/Paris")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_START = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)  # Saturday 19 October 2024, 12:40 in Paris
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
    only_staff = [
        Overwrite(id=guild.everyone_role_id, type=0, allow=0, deny=int(Perm.VIEW_CHANNEL)),
        Overwrite(id=server.roles["coordination"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=server.roles["admin"], type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
        Overwrite(id=guild.bot_role_id, type=0, allow=int(Perm.VIEW_CHANNEL), deny=0),
    ]
    server.channels["journal-bot"] = guild.add_text_channel("journal-bot", overwrites=only_staff)
    return server


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
    ) -> None:
        self.double = double
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
                "TOCSIN_DATABASE_PATH": str(self.workdir / "tocsin.db"),
                "TOCSIN_DEV_GUILD_ID": str(self.guild_id),
                "TOCSIN_LOG_LEVEL": self.log_level,
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


class Transcript:
    """What each person would have seen, printed as it happens."""

    def __init__(self, server: Server, double: DiscordDouble, out: Callable[[str], None] = print) -> None:
        self.server = server
        self.double = double
        self.out = out

    def step(self, title: str) -> None:
        local = self.double.now.astimezone(PARIS)
        self.out(f"\n── {local:%d/%m %H:%M} — {title}")

    def private(self, member: str, message: dict[str, Any]) -> None:
        self.out(f"   🔒 réponse privée à {member} :")
        for line in render_message(message, self.server):
            self.out(f"      {line}")

    def channels(self) -> None:
        self.out("\n══ Ce que montre chaque salon ══")
        for name, channel_id in self.server.channels.items():
            messages = self.double.channel_messages(channel_id)
            if not messages:
                self.out(f"\n#{name} : (aucun message)")
                continue
            self.out(f"\n#{name} ({len(messages)} message(s))")
            for message in messages:
                when = datetime.fromisoformat(message["timestamp"]).astimezone(PARIS)
                edited = " (modifié)" if message.get("edited_timestamp") else ""
                self.out(f"  [{when:%d/%m %H:%M}] {message['author']['username']}{edited} :")
                for line in render_message(message, self.server):
                    self.out(f"      {line}")
                notified = sorted(
                    self.server.name_of(n.user_id)
                    for n in self.double.notifications()
                    if n.message_id == int(message["id"])
                )
                self.out(f"      → notifie : {', '.join(notified) if notified else 'personne'}")


MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")


def readable(text: str, server: Server) -> str:
    """Mentions as a Discord client shows them: @role, @member, #channel."""

    def name(match: re.Match[str]) -> str:
        kind, target = match.group(1), int(match.group(2))
        if kind == "@&":
            return "@" + next((n for n, rid in server.roles.items() if rid == target), str(target))
        if kind == "#":
            return "#" + server.channel_name(target)
        return "@" + server.name_of(target)

    return MENTION.sub(name, text)


def render_message(message: dict[str, Any], server: Server) -> list[str]:
    lines = [readable(line, server) for line in (message.get("content") or "").splitlines() if line]
    for embed in message.get("embeds", []):
        if embed.get("title"):
            lines.append(f"▌ {readable(embed['title'], server)}")
        if embed.get("description"):
            lines.extend(f"▌ {readable(line, server)}" for line in embed["description"].splitlines())
        lines.extend(f"▌ {f['name']} : {readable(f['value'], server)}" for f in embed.get("fields", []))
    return lines


async def play(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    admin, channel = server.members["admin.sophie"], server.channels["journal-bot"]
    transcript.step("admin.sophie : /tocsin a-propos")
    about = await double.run_command(admin, channel, "tocsin about")
    transcript.private("admin.sophie", await about.reply())

    transcript.step("pharma.brest : /tocsin tester-diffusion salon:#pharmacies (pharma.brest n'est pas admin)")
    refused = await double.run_command(
        server.members["pharma.brest"],
        server.channels["pharmacies"],
        "tocsin test-delivery",
        {"channel": server.channels["pharmacies"], "count": 1},
    )
    transcript.private("pharma.brest", await refused.reply())

    transcript.step("admin.sophie : /tocsin tester-diffusion salon:#pharmacies nombre:3 role:@pharmacies-ouest")
    pharmacies = server.channels["pharmacies"]
    test = await double.run_command(
        admin,
        channel,
        "tocsin test-delivery",
        {"channel": pharmacies, "count": 3, "role": server.roles["pharmacies-ouest"]},
    )
    transcript.private("admin.sophie", await test.reply())
    await double.wait_for(
        lambda: any(m.get("edited_timestamp") for m in double.channel_messages(pharmacies)), timeout=30
    )
    transcript.channels()


async def run_demo(out: Callable[[str], None] = print) -> int:
    out("Tocsin — démonstration sur un Discord local (aucune connexion à Internet).")
    with tempfile.TemporaryDirectory(prefix="tocsin-demo-") as workdir:
        async with DiscordDouble(now=DEMO_START) as double:
            server = build_grand_ouest(double)
            bot = BotProcess(double, Path(workdir), guild_id=server.guild_id, log_level="WARNING")
            await bot.start()
            try:
                await play(double, server, Transcript(server, double, out))
            finally:
                code = await bot.stop()
            if code not in (0, None):
                out(f"Le bot s'est arrêté avec le code {code}.\n{bot.log_text()[-4000:]}")
                return 1
    out("\nFin de la démonstration.")
    return 0
