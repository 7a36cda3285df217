"""What a French Discord client in Paris shows of the double, printed as a terminal transcript: the demo's
(`bot/demo.py`) reading of each step — private replies, then the messages that appeared or changed in each channel,
with whom each new one notified.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.api import DiscordDouble
from bot.sandbox.driver import PARIS, Server

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
        for row in message.get("components", []):
            items = row.get("components", [])
            labels = [str(item.get("label") or "") for item in items if item.get("type") == 2]
            if any(labels):
                lines.append("   " + "  ".join(f"[{label}]" for label in labels if label))
            lines.extend(f"   {menu}" for menu in (self._menu(item) for item in items if item.get("type") == 3))
        return lines

    @staticmethod
    def _menu(menu: dict[str, Any]) -> str:
        """A select menu as a client shows it: its choice, or its placeholder while nothing is chosen."""
        chosen = [str(option["label"]) for option in menu.get("options", []) if option.get("default")]
        return f"⟨{', '.join(chosen) or menu.get('placeholder') or '…'} ▾⟩"

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

    def form(self, modal: dict[str, Any]) -> dict[str, str]:
        """A form as it opens, each field with what it is pre-filled with; returns those values by field id."""
        self.out(f"   📝 formulaire « {modal.get('title', '')} » :")
        values: dict[str, str] = {}
        for row in modal.get("components", []):
            for item in row.get("components") or [row.get("component") or {}]:
                label = row.get("label") or item.get("label") or item.get("custom_id")
                values[str(item.get("custom_id"))] = value = str(item.get("value") or "")
                self.out(f"      {label} : {value or '(vide)'}")
        return values

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


def component(message: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The button or menu of a message whose custom id starts with `prefix`."""
    for row in message.get("components", []):
        for item in row.get("components", []):
            if str(item.get("custom_id", "")).startswith(prefix):
                return dict(item)
    raise LookupError(f"no component {prefix!r} in the message")


def message_now(double: DiscordDouble, channel_id: int, message_id: int) -> dict[str, Any]:
    """A message as it stands now, a private one (a panel only its coordinator sees) included."""
    found = double.world.find_message(channel_id, message_id)
    if found is None:
        raise LookupError(f"no message {message_id} in {channel_id}")
    return double.world.message_dict(found)
