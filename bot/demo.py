"""`python -m bot demo`: a local Discord double, the bot as its own process, a short session, a transcript.

The session is the Cerp Bretagne Atlantique scenario (October 2024) on the scenarios' server "Coordination Grand
Ouest" (`bot.sandbox.driver`, which tests and benches drive the bot with too); everyone is French.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import PARIS, BotProcess, Server, build_grand_ouest, configure_by_commands, paris, pick, settle

DEMO_START = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)  # Saturday 19 October 2024, 12:40 in Paris
RAW_NOW = datetime(2000, 1, 1, tzinfo=UTC)


# --- reading what Discord shows, as a French client shows it ------------------------------------------------

MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")
TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_relative(moment: datetime, now: datetime) -> str:
    """Discord's `:R` style as a French client words it: "dans 2 jours", "il y a 40 minutes"."""
    seconds = (moment - now).total_seconds()
    magnitude = abs(seconds)
    for size, singular, plural in (
        (365 * 86400, "an", "ans"),
        (30 * 86400, "mois", "mois"),
        (86400, "jour", "jours"),
        (3600, "heure", "heures"),
        (60, "minute", "minutes"),
    ):
        if magnitude >= size:
            count = round(magnitude / size)
            unit = singular if count == 1 else plural
            return f"dans {count} {unit}" if seconds > 0 else f"il y a {count} {unit}"
    return "maintenant"


def french_time(timestamp: int, style: str | None, now: datetime | None = None) -> str:
    """A Discord timestamp as a French client in Europe/Paris renders it."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    date_words = f"{day} {MONTHS_FR[local.month - 1]} {local.year}"
    clock = f"{local:%H:%M}"
    match style:
        case "t":
            return clock
        case "T":
            return f"{local:%H:%M:%S}"
        case "d":
            return f"{local:%d/%m/%Y}"
        case "D":
            return date_words
        case "F":
            return f"{WEEKDAYS_FR[local.weekday()]} {date_words} {clock}"
        case "R":
            return french_relative(moment, now or datetime.now(UTC))
        case _:  # "f", Discord's default
            return f"{date_words} {clock}"


# Discord's Markdown as a terminal shows it: emphasis marks dropped, escaped characters unescaped.
MARKDOWN = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|~~(.+?)~~")
ESCAPED = re.compile(r"\\([*_~`|>#\-\\])")
LEADING_ROLES = re.compile(r"^(?:<@&\d+>\s*)+")


class Screen:
    """What a French Discord client in Paris shows: names for mentions (roles the bot made included), French
    dates for timestamps, and Markdown as plain text."""

    def __init__(self, server: Server, double: DiscordDouble) -> None:
        self.server = server
        self.double = double
        # Names of the roles seen so far: a message keeps showing a role's name after the role is deleted (a
        # follow role, once its incident is resolved), as a client that had it cached does.
        self._role_names = {rid: name for name, rid in server.roles.items()}

    def remember_roles(self) -> None:
        self._role_names.update({int(r["id"]): str(r["name"]) for r in self.double.roles(self.server.guild_id)})

    def role_name(self, role_id: int) -> str:
        if role_id not in self._role_names:
            self.remember_roles()
        return self._role_names.get(role_id, "rôle inconnu")

    def readable(self, text: str, now: datetime | None = None) -> str:
        def name(match: re.Match[str]) -> str:
            kind, target = match.group(1), int(match.group(2))
            if kind == "@&":
                return "@" + self.role_name(target)
            if kind == "#":
                return "#" + self.server.channel_name(target)
            return "@" + self.server.name_of(target)

        text = MENTION.sub(name, text)
        text = TIMESTAMP.sub(lambda m: french_time(int(m.group(1)), m.group(2), now), text)
        text = MARKDOWN.sub(lambda m: next(g for g in m.groups() if g is not None), text)
        return ESCAPED.sub(r"\1", text)

    def render(self, message: dict[str, Any], now: datetime | None = None) -> list[str]:
        """A message as lines: its content, then each embed as indented lines, then its buttons."""
        lines = [self.readable(line, now) for line in (message.get("content") or "").splitlines() if line.strip()]
        for embed in message.get("embeds", []):
            if embed.get("title"):
                lines.append(f"▌ {self.readable(embed['title'], now)}")
            if embed.get("description"):
                lines.extend(
                    f"▌   {self.readable(line, now)}" for line in embed["description"].splitlines() if line.strip()
                )
            for embed_field in embed.get("fields", []):
                value = self.readable(embed_field["value"], now).splitlines() or [""]
                lines.append(f"▌   {self.readable(embed_field['name'])} : {value[0]}")
                lines.extend(f"▌       {more}" for more in value[1:])
            if (embed.get("footer") or {}).get("text"):
                lines.append(f"▌   ({self.readable(embed['footer']['text'])})")
        labels = [
            component.get("label") or ""
            for row in message.get("components", [])
            for component in row.get("components", [])
            if component.get("type") == 2
        ]
        if labels:
            lines.append("   " + "  ".join(f"[{label}]" for label in labels if label))
        return lines

    def label(self, channel_id: int) -> str:
        """#name for a channel, "fil « name » (dans #parent)" for a thread, "MP à member" for a DM."""
        server = self.server
        if channel_id in server.channels.values():
            return "#" + server.channel_name(channel_id)
        try:
            channel = self.double.channel(channel_id)
        except Exception:  # a label for a channel the double no longer knows
            return str(channel_id)
        if channel.get("recipients"):
            return "MP à " + server.name_of(int(channel["recipients"][0]["id"]))
        parent = channel.get("parent_id")
        where = f" (dans #{server.channel_name(int(parent))})" if parent else ""
        return f"fil « {channel.get('name')} »{where}"


def leading_roles(message: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The message without the role mentions its content starts with, and those roles."""
    content = message.get("content") or ""
    found = LEADING_ROLES.match(content)
    if found is None:
        return message, []
    roles = [int(r) for r in re.findall(r"<@&(\d+)>", found.group(0))]
    return {**message, "content": content[found.end() :]}, roles


# --- the transcript ------------------------------------------------------------------------------------------


@dataclass
class Change:
    """One message that appeared (`new`) or was edited in one channel during a step."""

    channel: int
    new: bool
    when: datetime
    author: str
    lines: list[str]  # what to print: the whole message, or the lines an edit changed
    key: tuple[str, ...]  # the same without the role mentions it starts with: one announcement, many channels
    roles: list[int]
    notified: list[str]
    thread: str | None


class Transcript:
    """What each person would have seen, printed step by step: private replies, and the messages that appeared
    or changed since the previous step, with whom each new one notified. A message posted or edited alike in
    several channels (an announcement) is printed once, with the other channels named."""

    def __init__(self, server: Server, double: DiscordDouble, out: Callable[[str], None] = print) -> None:
        self.server = server
        self.double = double
        self.screen = Screen(server, double)
        self.out = out
        self._seen: dict[str, tuple[str | None, list[str]]] = {}
        self._notified = 0

    def step(self, title: str) -> None:
        local = self.double.now.astimezone(PARIS)
        self.out(f"\n── {WEEKDAYS_FR[local.weekday()]} {local:%d/%m %H:%M} — {title}")

    def note(self, text: str) -> None:
        self.out(f"   {text}")

    def private(self, member: str, message: dict[str, Any]) -> None:
        self.out(f"   🔒 réponse privée à {member} :")
        for line in self.screen.render(message, self.double.now):
            self.out(f"      {line}")

    def _watched(self) -> list[int]:
        channels = list(self.server.channels.values())
        channels += [int(t["id"]) for t in self.double.threads(self.server.guild_id)]
        channels += [cid for uid in self.server.members.values() if (cid := self.double.world.dm_channel_of.get(uid))]
        return channels

    def _changes(self) -> list[Change]:
        self.screen.remember_roles()
        notifications = self.double.notifications()
        fresh_notes = notifications[self._notified :]
        self._notified = len(notifications)
        threads = {t["id"]: t["name"] for t in self.double.threads(self.server.guild_id)}
        now, screen = self.double.now, self.screen
        found: list[Change] = []
        for channel_id in self._watched():
            for message in self.double.channel_messages(channel_id):
                bare, roles = leading_roles(message)
                # Relative times (":R") compared as they were written, not as they read at this moment.
                raw = screen.render(bare, RAW_NOW)
                before = self._seen.get(message["id"])
                state = (message.get("edited_timestamp"), raw)
                if before is not None and before[0] == state[0]:
                    continue
                self._seen[message["id"]] = state
                shown = screen.render(bare, now)
                if before is None:
                    lines, key = screen.render(message, now), tuple(shown)
                else:
                    old = set(before[1])
                    lines = [shown[i] for i, line in enumerate(raw) if line not in old] or ["(même texte)"]
                    key = tuple(lines)
                message_id = int(message["id"])
                notified = sorted(self.server.name_of(n.user_id) for n in fresh_notes if n.message_id == message_id)
                found.append(
                    Change(
                        channel=channel_id,
                        new=before is None,
                        when=datetime.fromisoformat(message["timestamp"]).astimezone(PARIS),
                        author=message["author"]["username"],
                        lines=lines,
                        key=key,
                        roles=roles,
                        notified=notified,
                        thread=threads.get(message["id"]) if before is None else None,
                    )
                )
        return found

    def changes(self) -> None:
        """Every message that appeared or was edited since the last call; one alike in several channels once."""
        groups: dict[tuple[Any, ...], list[Change]] = {}
        for change in self._changes():
            groups.setdefault((change.new, change.when, change.author, change.key, change.thread), []).append(change)
        if not groups:
            self.out("   (aucun salon n'a changé)")
            return
        cards: dict[tuple[str, ...], str] = {}  # embeds printed in this step, and where
        for group in groups.values():
            first, others = group[0], group[1:]
            label = self.screen.label(first.channel)
            header = f"   {label}"
            if others:
                names = ", ".join(self.screen.label(c.channel) for c in others)
                more = "1 autre salon" if len(others) == 1 else f"{len(others)} autres salons"
                header += f"  (et dans {more} : {names})"
            self.out(header)
            if first.new:
                self.out(f"     + [{first.when:%d/%m %H:%M}] {first.author} :")
                for line in self._without_repeated_card(first.lines, label, cards):
                    self.out(f"         {line}")
                if first.thread is not None:
                    self.out(f"         🧵 fil « {first.thread} » ouvert sur ce message")
                self.out(f"         → notifie : {', '.join(first.notified) or 'personne'}")
            else:
                self.out(f"     ✎ message du {first.when:%d/%m %H:%M} modifié (sans notifier personne) :")
                for line in first.lines:
                    self.out(f"         {line}")
            for change in others if first.new else ():  # an edit notifies nobody, whatever it mentions
                if (change.roles, change.notified) == (first.roles, first.notified):
                    continue
                where = f"dans {self.screen.label(change.channel)}"
                if change.roles:
                    where += f", avec {' '.join('@' + self.screen.role_name(r) for r in change.roles)} en tête"
                self.out(f"         → {where} : notifie {', '.join(change.notified) or 'personne'}")

    @staticmethod
    def _without_repeated_card(lines: list[str], label: str, cards: dict[tuple[str, ...], str]) -> list[str]:
        """The message's lines, its embed replaced by a pointer when the same embed was printed in this step."""
        card = tuple(line for line in lines if line.startswith("▌"))
        if not card:
            return lines
        if card in cards:
            first = next(i for i, line in enumerate(lines) if line.startswith("▌"))
            rest = [line for line in lines[first:] if not line.startswith("▌")]
            return [*lines[:first], f"▌ (même fiche que dans {cards[card]}, ci-dessus)", *rest]
        cards[card] = label
        return lines


# --- the Cerp Bretagne Atlantique scenario ----------------------------------------------------------------------

CERP_TITLE = "Cerp Bretagne Atlantique à l'arrêt"


async def _act(
    transcript: Transcript,
    member: str,
    said: str,
    run: Callable[[], Awaitable[InteractionHandle]],
) -> InteractionHandle | None:
    """One person's command or click, and the private reply they get."""
    transcript.step(f"{member} : {said}")
    try:
        ix = await run()
        transcript.private(member, await ix.reply())
    except TimeoutError:
        transcript.note("⚠ le bot n'a pas répondu à temps")
        return None
    return ix


async def _show(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    """Once the bot has caught up with the clock and sent what that caused: what changed in the channels."""
    try:
        await settle(double, server)
    except TimeoutError as stuck:
        transcript.note(f"⚠ le bot n'a pas rattrapé l'horloge à temps : {stuck}")
    transcript.changes()


# The Saturday, Sunday and Monday without an update, each step at the time something is due: a critical incident
# is nudged every hour after its last update (its owner, coord.anne), the fourth nudge in a row becomes a note
# in #journal-bot; a promised "next update" time nudges whoever promised it, and a passed ETA asks its owner.
QUIET_SATURDAY = (
    ((13, 40), "une heure sans mise à jour d'une panne critique : 1re relance à coord.anne"),
    ((14, 40), "2e relance à coord.anne"),
    ((15, 40), "3e relance à coord.anne"),
    ((16, 40), "toujours rien : au lieu d'une 4e relance, une note dans #journal-bot"),
)
QUIET_SUNDAY = (
    ((10, 0), "10:00, l'heure promise par coord.yann : rappel à coord.yann"),
    ((11, 0), "toujours rien : relance à coord.anne, responsable de la panne"),
    ((12, 0), "relance à coord.anne"),
    ((13, 0), "au lieu d'une 4e relance, une note dans #journal-bot"),
)
QUIET_MONDAY = (
    ((9, 0), "la reprise estimée (lundi 09:00) passe : coord.anne est invitée à la confirmer ou la déplacer"),
    ((9, 30), "une heure après la mise à jour de 08:30 : relance à coord.anne"),
    ((10, 30), "relance à coord.anne"),
    ((11, 30), "relance à coord.anne"),
    ((12, 30), "au lieu d'une 4e relance, une note dans #journal-bot"),
)


async def play_cerp(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    m, c = server.members, server.channels

    async def command(at: datetime, member: str, said: str, name: str, options: dict[str, Any]) -> None:
        """At `at`, `member` runs `/name` in #incidents (said as a French client shows it); then what changed."""
        double.set_time(at)
        await _act(transcript, member, said, partial(double.run_command, m[member], c["incidents"], name, options))
        await _show(double, server, transcript)

    async def time_passes(day: tuple[int, int, int], steps: Sequence[tuple[tuple[int, int], str]]) -> None:
        for (hour, minute), what in steps:
            double.set_time(paris(*day, hour, minute))
            transcript.step(f"le temps passe : {what}")
            await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 12, 30))
    transcript.step("admin.sophie configure le serveur")

    def said(line: str, reply: dict[str, Any]) -> None:
        transcript.note(line)
        for text in transcript.screen.render(reply, double.now):
            transcript.note(f"   🔒 {text}")

    await configure_by_commands(double, server, said)

    double.set_time(paris(2024, 10, 19, 12, 40))
    declare: dict[str, Any] = {
        "title": CERP_TITLE,
        "organisation": "Cerp Bretagne Atlantique",
        "sector": "pharmacie",
        "severity": "critical",
        "cause": "cyberattack_suspected",
        "started": "aujourd'hui midi",
        "services": "commandes, livraisons",
        "eta": "lundi matin",
        "workaround": "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche.",
        "impact": "≈1 800 officines",
    }

    async def run_declare() -> InteractionHandle:
        declare["territories"] = await pick(
            double,
            m["coord.anne"],
            c["incidents"],
            "outage declare",
            "territories",
            [("53", "Bretagne"), ("52", "Pays de la Loire"), ("75", "Nouvelle-Aquitaine")],
        )
        return await double.run_command(m["coord.anne"], c["incidents"], "outage declare", declare)

    await _act(
        transcript,
        "coord.anne",
        f"/panne declarer titre:« {CERP_TITLE} » structure:« Cerp Bretagne Atlantique » secteur:pharmacie "
        "territoires:53, 52, 75 gravite:critique cause:cyberattaque suspectée depuis:« aujourd'hui midi » "
        "services:« commandes, livraisons » reprise:« lundi matin » consignes:« Reporter toute commande à lundi "
        "matin. Urgences : contacter le confrère le plus proche. » impact:« ≈1 800 officines »",
        run_declare,
    )
    await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 12, 55))
    (bretagne,) = [msg for msg in double.channel_messages(c["bretagne"]) if msg.get("components")]
    for label, action in (("Je suis concerné·e", "affected"), ("Suivre", "follow")):
        click = partial(
            double.click, m["pharma.brest"], c["bretagne"], int(bretagne["id"]), f"tocsin:{action}:{server.guild_id}:1"
        )
        await _act(transcript, "pharma.brest", f"clique « {label} » sous l'annonce de #bretagne", click)
    await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 13, 5))
    options = {k: v for k, v in declare.items() if k != "territories"} | {"territories": "53"}
    refused = partial(double.run_command, m["pharma.angouleme"], c["pharmacies"], "outage declare", options)
    await _act(transcript, "pharma.angouleme", "/panne declarer … (la même panne ; pas coordinatrice)", refused)
    await _show(double, server, transcript)

    await time_passes((2024, 10, 19), QUIET_SATURDAY)
    await command(
        paris(2024, 10, 19, 20, 10),
        "coord.yann",
        "/panne actualiser incident:#1 note:« Toujours aucune information de la Cerp. Le procureur de "
        "Saint-Brieuc indique qu'aucune plainte n'a été déposée. » prochaine-maj:« demain 10h »",
        "outage update",
        {
            "incident": 1,
            "note": "Toujours aucune information de la Cerp. Le procureur de Saint-Brieuc indique qu'aucune "
            "plainte n'a été déposée.",
            "next_update": "demain 10h",
        },
    )
    await time_passes((2024, 10, 20), QUIET_SUNDAY)
    await command(
        paris(2024, 10, 21, 8, 30),
        "coord.anne",
        "/panne actualiser incident:#1 statut:surveillance services:« commandes: rétabli, livraisons: dégradé » "
        "consignes:« Commandes de nouveau possibles ; livraisons avec retard. »",
        "outage update",
        {
            "incident": 1,
            "status": "monitoring",
            "services": "commandes: rétabli, livraisons: dégradé",
            "workaround": "Commandes de nouveau possibles ; livraisons avec retard.",
        },
    )
    await time_passes((2024, 10, 21), QUIET_MONDAY)
    await command(
        paris(2024, 10, 22, 11, 0),
        "coord.anne",
        "/panne resoudre incident:#1 resume:« Activité rétablie, livraisons normales. »",
        "outage resolve",
        {"incident": 1, "summary": "Activité rétablie, livraisons normales."},
    )


def main(keep: str | None = None, out: Callable[[str], None] = print) -> int:
    """`python -m bot demo [--keep PATH]`: with `keep`, the bot's database is left at that path (a file that does
    not exist yet) so that `python -m bot export` can be tried on it. Returns the exit status."""
    kept = Path(keep).expanduser().resolve() if keep is not None else None
    if kept is not None and (kept.exists() or not kept.parent.is_dir()):
        out(f"--keep {kept} : il faut le chemin d'un fichier qui n'existe pas encore, dans un dossier existant.")
        return 2
    return asyncio.run(run_demo(out, keep=kept))


async def run_demo(out: Callable[[str], None] = print, *, keep: Path | None = None) -> int:
    """Plays the session and prints its transcript; with `keep`, the bot's database is written there."""
    out("Tocsin — démonstration sur un Discord local (aucune connexion à Internet).")
    out("Scénario : la Cerp Bretagne Atlantique s'arrête (octobre 2024). Heures de Paris, horloge simulée.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tocsin-demo-") as workdir:
        async with DiscordDouble(now=DEMO_START) as double:
            server = build_grand_ouest(double)
            bot = BotProcess(double, Path(workdir), guild_id=server.guild_id, log_level="WARNING", database_path=keep)
            await bot.start()
            try:
                await play_cerp(double, server, Transcript(server, double, out))
            except Exception as failure:  # the transcript so far stays readable; the bot's log says why
                await bot.stop()
                out(f"\n⚠ La démonstration s'est interrompue : {type(failure).__name__}: {failure}")
                out(bot.log_text()[-4000:])
                return 1
            code = await bot.stop()
            if code not in (0, None):
                out(f"Le bot s'est arrêté avec le code {code}.\n{bot.log_text()[-4000:]}")
                return 1
    out(f"\nFin de la démonstration ({time.monotonic() - started:.1f} s).")
    if keep is not None:
        out(f"Base de données conservée : {keep}")
        out("Pour essayer l'export hors ligne (Markdown, CSV, JSON ou HTML) :")
        out(
            f'  python -m bot export --db "{keep}" --guild {server.guild_id} --format md --period "octobre 2024" '
            "--out cerp.md"
        )
    return 0
