"""`python -m bot demo`: a local Discord double, the bot as its own process, a short session, a transcript.

The session is the Cerp Bretagne Atlantique scenario (October 2024) on the scenarios' server "Coordination Grand
Ouest" (`bot.sandbox.driver`, which tests and benches drive the bot with too); everyone is French.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
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


def readable(text: str, server: Server, now: datetime | None = None) -> str:
    """Mentions as a Discord client shows them (@role, @member, #channel) and timestamps as French dates."""

    def name(match: re.Match[str]) -> str:
        kind, target = match.group(1), int(match.group(2))
        if kind == "@&":
            return "@" + next((n for n, rid in server.roles.items() if rid == target), str(target))
        if kind == "#":
            return "#" + server.channel_name(target)
        return "@" + server.name_of(target)

    text = MENTION.sub(name, text)
    return TIMESTAMP.sub(lambda m: french_time(int(m.group(1)), m.group(2), now), text)


def render_message(message: dict[str, Any], server: Server, now: datetime | None = None) -> list[str]:
    """A message as lines: its content, then each embed as indented lines, then its buttons."""
    lines = [readable(line, server, now) for line in (message.get("content") or "").splitlines() if line.strip()]
    for embed in message.get("embeds", []):
        if embed.get("title"):
            lines.append(f"▌ {readable(embed['title'], server, now)}")
        if embed.get("description"):
            lines.extend(
                f"▌   {readable(line, server, now)}" for line in embed["description"].splitlines() if line.strip()
            )
        for embed_field in embed.get("fields", []):
            value = readable(embed_field["value"], server, now).splitlines() or [""]
            lines.append(f"▌   {embed_field['name']} : {value[0]}")
            lines.extend(f"▌       {more}" for more in value[1:])
        if (embed.get("footer") or {}).get("text"):
            lines.append(f"▌   ({embed['footer']['text']})")
    labels = [
        component.get("label") or ""
        for row in message.get("components", [])
        for component in row.get("components", [])
        if component.get("type") == 2
    ]
    if labels:
        lines.append("   " + "  ".join(f"[{label}]" for label in labels if label))
    return lines


def channel_label(double: DiscordDouble, server: Server, channel_id: int) -> str:
    """#name for a channel, "fil « name » (dans #parent)" for a thread, "MP à member" for a DM."""
    if channel_id in server.channels.values():
        return "#" + server.channel_name(channel_id)
    try:
        channel = double.channel(channel_id)
    except Exception:  # a label for a channel the double no longer knows
        return str(channel_id)
    if channel.get("recipients"):
        return "MP à " + server.name_of(int(channel["recipients"][0]["id"]))
    parent = channel.get("parent_id")
    where = f" (dans #{server.channel_name(int(parent))})" if parent else ""
    return f"fil « {channel.get('name')} »{where}"


# --- the transcript ------------------------------------------------------------------------------------------


class Transcript:
    """What each person would have seen, printed step by step: private replies, and for every channel, thread
    and DM the messages that appeared or changed since the previous step, with whom each new one notified."""

    def __init__(self, server: Server, double: DiscordDouble, out: Callable[[str], None] = print) -> None:
        self.server = server
        self.double = double
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
        for line in render_message(message, self.server, self.double.now):
            self.out(f"      {line}")

    def _watched(self) -> list[int]:
        channels = list(self.server.channels.values())
        channels += [int(t["id"]) for t in self.double.threads(self.server.guild_id)]
        channels += [cid for uid in self.server.members.values() if (cid := self.double.world.dm_channel_of.get(uid))]
        return channels

    def changes(self) -> None:
        """Every message that appeared or was edited since the last call, channel by channel."""
        notifications = self.double.notifications()
        fresh_notes = notifications[self._notified :]
        self._notified = len(notifications)
        shown = False
        threads = {t["id"]: t["name"] for t in self.double.threads(self.server.guild_id)}
        for channel_id in self._watched():
            lines: list[str] = []
            for message in self.double.channel_messages(channel_id):
                key = message["id"]
                before = self._seen.get(key)
                # Relative times (":R") compared as they were written, not as they read at this moment.
                raw = render_message(message, self.server, RAW_NOW)
                state = (message.get("edited_timestamp"), raw)
                if before is not None and before[0] == state[0]:
                    continue
                self._seen[key] = state
                shown_lines = render_message(message, self.server, self.double.now)
                when = datetime.fromisoformat(message["timestamp"]).astimezone(PARIS)
                if before is None:
                    lines.append(f"  + [{when:%d/%m %H:%M}] {message['author']['username']} :")
                    lines.extend(f"      {line}" for line in shown_lines)
                    if message["id"] in threads:
                        lines.append(f"      🧵 fil « {threads[message['id']]} » ouvert sur ce message")
                    notified = sorted(
                        f"{self.server.name_of(n.user_id)}" for n in fresh_notes if n.message_id == int(message["id"])
                    )
                    lines.append(f"      → notifie : {', '.join(notified) if notified else 'personne'}")
                else:
                    old = set(before[1])
                    changed = [shown_lines[i] for i, line in enumerate(raw) if line not in old]
                    lines.append(f"  ✎ message du {when:%d/%m %H:%M} modifié (sans notifier personne) :")
                    lines.extend(f"      {line}" for line in changed or ["(même texte)"])
            if lines:
                shown = True
                self.out(f"   {channel_label(self.double, self.server, channel_id)}")
                for line in lines:
                    self.out(f"   {line}")
        if not shown:
            self.out("   (aucun salon n'a changé)")


# --- the Cerp Bretagne Atlantique scenario ----------------------------------------------------------------------

CERP_TITLE = "Cerp Bretagne Atlantique à l'arrêt"


async def _act(
    transcript: Transcript,
    member: str,
    said: str,
    run: Callable[[], Awaitable[InteractionHandle]],
) -> InteractionHandle | None:
    """One person's command or click; a command the bot does not offer yet is said, and the demo goes on."""
    transcript.step(f"{member} : {said}")
    try:
        ix = await run()
        transcript.private(member, await ix.reply())
    except LookupError as missing:
        transcript.note(f"⚠ pas encore disponible dans le bot : {missing}")
        return None
    except TimeoutError:
        transcript.note("⚠ le bot n'a pas répondu à temps")
        return None
    return ix


async def _show(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    try:
        await settle(double, server)
    except (TimeoutError, LookupError) as stuck:
        transcript.note(f"⚠ {stuck}")
    transcript.changes()


async def play_cerp(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    m, c = server.members, server.channels

    async def command(at: datetime, member: str, said: str, name: str, options: dict[str, Any]) -> None:
        """At `at`, `member` runs `/name` in #incidents (said as a French client shows it); then what changed."""
        double.set_time(at)
        await _act(transcript, member, said, partial(double.run_command, m[member], c["incidents"], name, options))
        await _show(double, server, transcript)

    async def time_passes(moments: Sequence[datetime], what: str) -> None:
        for moment in moments:
            double.set_time(moment)
            transcript.step(what)
            await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 12, 30))
    transcript.step("admin.sophie configure le serveur")

    def said(line: str, reply: dict[str, Any]) -> None:
        transcript.note(line)
        for text in render_message(reply, server, double.now):
            transcript.note(f"   🔒 {text}")

    try:
        await configure_by_commands(double, server, said)
    except (LookupError, TimeoutError) as missing:
        transcript.note(f"⚠ configuration incomplète (commande absente ou sans réponse) : {missing}")

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
    bretagne = next((msg for msg in double.channel_messages(c["bretagne"]) if msg.get("components")), None)
    for label, action in (("Je suis concerné·e", "affected"), ("Suivre", "follow")):

        async def click(action: str = action) -> InteractionHandle:
            if bretagne is None:
                raise LookupError("aucune annonce dans #bretagne")
            return await double.click(
                m["pharma.brest"], c["bretagne"], int(bretagne["id"]), f"tocsin:{action}:{server.guild_id}:1"
            )

        await _act(transcript, "pharma.brest", f"clique « {label} » sous l'annonce de #bretagne", click)
    await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 13, 5))

    async def refused() -> InteractionHandle:
        options = {k: v for k, v in declare.items() if k != "territories"} | {"territories": "53"}
        return await double.run_command(m["pharma.angouleme"], c["pharmacies"], "outage declare", options)

    await _act(transcript, "pharma.angouleme", "/panne declarer … (la même panne ; pas coordinatrice)", refused)
    await _show(double, server, transcript)

    await time_passes(
        [paris(2024, 10, 19, hour, 40) for hour in (13, 14, 15, 16)],
        "le temps passe (relances du responsable toutes les heures : panne critique)",
    )
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
    await time_passes(
        [paris(2024, 10, 20, hour) for hour in (10, 11, 12, 13)],
        "dimanche, pas de mise à jour (rappel à coord.yann à 10:00, puis relances)",
    )
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
    await time_passes(
        [paris(2024, 10, 21, hour, minute) for hour, minute in ((9, 0), (9, 30), (10, 30), (11, 30), (12, 30))],
        "lundi : la reprise estimée passe, la panne est toujours ouverte",
    )
    await command(
        paris(2024, 10, 22, 11, 0),
        "coord.anne",
        "/panne resoudre incident:#1 resume:« Activité rétablie, livraisons normales. »",
        "outage resolve",
        {"incident": 1, "summary": "Activité rétablie, livraisons normales."},
    )


async def run_demo(out: Callable[[str], None] = print) -> int:
    out("Tocsin — démonstration sur un Discord local (aucune connexion à Internet).")
    out("Scénario : la Cerp Bretagne Atlantique s'arrête (octobre 2024). Heures de Paris, horloge simulée.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tocsin-demo-") as workdir:
        async with DiscordDouble(now=DEMO_START) as double:
            server = build_grand_ouest(double)
            bot = BotProcess(double, Path(workdir), guild_id=server.guild_id, log_level="WARNING")
            await bot.start()
            try:
                await play_cerp(double, server, Transcript(server, double, out))
            finally:
                code = await bot.stop()
            if code not in (0, None):
                out(f"Le bot s'est arrêté avec le code {code}.\n{bot.log_text()[-4000:]}")
                return 1
    out(f"\nFin de la démonstration ({time.monotonic() - started:.1f} s).")
    return 0
