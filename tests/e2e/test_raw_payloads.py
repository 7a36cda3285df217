"""Payloads Discord's own clients never send, sent anyway: a modified or outdated client (`DiscordDouble.send_raw`).

Discord checks, for its own clients, an option's type, its choices, its range and length, which channels, roles
and members may be picked, which buttons and menu choices exist and what a form's fields hold. Whoever edits the
client's requests passes none of those checks. Each payload below gets the sentence its bad input deserves, in the
person's language, within Discord's 3 seconds — never "unexpected problem", never silence — and its refusal is in
the audit log, whatever raised it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.common.i18n import default_catalogue
from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.api import IX_AUTOCOMPLETE, IX_COMMAND, IX_COMPONENT, IX_MODAL_SUBMIT, OPT_ROLE, OPT_USER
from tests.e2e.conftest import SCENARIO_START
from tests.e2e.harness import BotProcess, Server, build_grand_ouest
from tests.e2e.setup_steps import configure_grand_ouest

pytestmark = [pytest.mark.faults, pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("raw_payloads")]

CERP = {
    "title": "Cerp Bretagne Atlantique à l'arrêt",
    "sector": "pharmacie",
    "territories": "53",
    "severity": "critical",
}
# The essentials of a declaration in one line, so that only the altered option is wrong.
ESSENTIALS = {"title": "Panne du grossiste", "sector": "pharmacie", "territories": "29", "severity": "major"}


@dataclass
class World:
    """One server, one bot, shared by every case: an incident announced in #bretagne (its buttons), coord.yann's
    list of two reminders (its menu), a forum (a channel of another kind), and a server elsewhere with its own
    role and member."""

    double: DiscordDouble
    server: Server
    bot: BotProcess
    database: Path
    announcement: int = 0
    menu_message: int = 0
    menu_id: str = ""
    menu_values: list[str] = field(default_factory=list)
    other_guild: int = 0
    other_role: int = 0
    other_member: int = 0
    forum: int = 0

    def member(self, name: str) -> int:
        return self.server.members[name]

    def channel(self, name: str) -> int:
        return self.server.channels[name]

    def last_audit_id(self) -> int:
        with sqlite3.connect(self.database) as conn:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0])

    def audit_since(self, after: int, actor: int) -> list[tuple[str, str, str]]:
        with sqlite3.connect(self.database) as conn:
            rows = conn.execute(
                "SELECT action, arguments, result FROM audit_log WHERE id > ? AND actor_id = ? ORDER BY id",
                (after, actor),
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    workdir = tmp_path_factory.mktemp("raw-payloads")
    async with DiscordDouble(now=SCENARIO_START) as double:
        server = build_grand_ouest(double)
        bot = BotProcess(double, workdir, guild_id=server.guild_id)
        await bot.start()
        try:
            shared = World(double, server, bot, workdir / "tocsin.db")
            await configure_grand_ouest(double, server)
            guild = double.guild(server.guild_id)
            shared.forum = guild.add_forum_channel("forum-entraide")
            other = double.add_guild("Un autre serveur")
            shared.other_guild = other.id
            shared.other_role = other.add_role("coordination-ailleurs")
            shared.other_member = other.add_member("quelqu.un.d.ailleurs", roles=[shared.other_role])

            declared = await double.run_command(
                shared.member("coord.anne"), shared.channel("incidents"), "outage declare", CERP
            )
            await declared.reply()
            (announcement,) = await double.wait_for_messages(shared.channel("bretagne"), 1)
            shared.announcement = int(announcement["id"])

            yann = shared.member("coord.yann")
            for when, what in (("demain 9h", "Point DSI"), ("dans 2 h", "Relancer Cerp")):
                asked = await double.run_command(
                    yann, shared.channel("incidents"), "remind", {"when": when, "what": what, "where": "dm"}
                )
                await asked.reply()
            listing = await double.run_command(yann, shared.channel("incidents"), "reminders")
            listed = await listing.reply()
            (menu,) = [c for row in listed["components"] for c in row["components"]]
            shared.menu_message, shared.menu_id = int(listed["id"]), str(menu["custom_id"])
            shared.menu_values = [str(option["value"]) for option in menu["options"]]
            yield shared
        finally:
            await bot.stop()


# --- building what a modified client sends ---------------------------------------------------------------


def leaf_options(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The options of the command itself, under its subcommand (group) if it has one."""
    options: list[dict[str, Any]] = data.setdefault("options", [])
    while len(options) == 1 and options[0]["type"] in (1, 2):
        options = options[0].setdefault("options", [])
    return options


def set_option(data: dict[str, Any], name: str, value: Any, *, type: int | None = None) -> dict[str, Any]:
    options = leaf_options(data)
    found = next((o for o in options if o["name"] == name), None)
    if found is None:
        found = {"name": name, "type": type if type is not None else 3}
        options.append(found)
    found["value"] = value
    if type is not None:
        found["type"] = type
    return data


def drop_option(data: dict[str, Any], name: str) -> dict[str, Any]:
    options = leaf_options(data)
    options[:] = [o for o in options if o["name"] != name]
    return data


Send = Callable[[World], Awaitable[tuple[int, InteractionHandle]]]
Options = dict[str, Any] | Callable[[World], dict[str, Any]]


def assign_options(w: World) -> dict[str, Any]:
    return {"incident": "1", "coordinator": w.member("coord.yann")}


def command(member: str, channel: str, name: str, options: Options, alter: Callable[..., Any]) -> Send:
    """A command well formed for `options`, altered by `alter(world, data)` before it is sent."""

    async def send(w: World) -> tuple[int, InteractionHandle]:
        data = w.double.command_data(w.channel(channel), name, options(w) if callable(options) else options)
        alter(w, data)
        user = w.member(member)
        return user, await w.double.send_raw(user, w.channel(channel), type=IX_COMMAND, data=data)

    return send


def click(member: str, custom_id: Callable[[World], str], *, component_type: int = 2) -> Send:
    async def send(w: World) -> tuple[int, InteractionHandle]:
        user = w.member(member)
        data = {"custom_id": custom_id(w), "component_type": component_type}
        if component_type == 3:
            data["values"] = []
        ix = await w.double.send_raw(
            user, w.channel("bretagne"), type=IX_COMPONENT, data=data, message_id=w.announcement
        )
        return user, ix

    return send


def choose(values: Callable[[World], list[str]]) -> Send:
    """coord.yann's own reminder menu (a private message), sent with these values."""

    async def send(w: World) -> tuple[int, InteractionHandle]:
        user = w.member("coord.yann")
        data = {"custom_id": w.menu_id, "component_type": 3, "values": values(w)}
        ix = await w.double.send_raw(
            user, w.channel("incidents"), type=IX_COMPONENT, data=data, message_id=w.menu_message
        )
        return user, ix

    return send


def form(values: dict[str, str], alter: Callable[[dict[str, Any]], Any]) -> Send:
    """coord.yann opens the declaration form (`/outage declare` alone) and submits it, altered."""

    async def send(w: World) -> tuple[int, InteractionHandle]:
        user = w.member("coord.yann")
        opened = await w.double.run_command(user, w.channel("incidents"), "outage declare")
        data = await opened.modal_data(values)
        alter(data)
        return user, await w.double.send_raw(user, w.channel("incidents"), type=IX_MODAL_SUBMIT, data=data)

    return send


def field_of(data: dict[str, Any], custom_id: str) -> dict[str, Any]:
    for row in data["components"]:
        for component in row.get("components") or [row.get("component")]:
            if component and component.get("custom_id") == custom_id:
                return dict(component)
    raise KeyError(custom_id)


def set_field(custom_id: str, value: str) -> Callable[[dict[str, Any]], None]:
    def alter(data: dict[str, Any]) -> None:
        for row in data["components"]:
            for component in row.get("components") or [row.get("component")]:
                if component and component.get("custom_id") == custom_id:
                    component["value"] = value

    return alter


def drop_field(custom_id: str) -> Callable[[dict[str, Any]], None]:
    def alter(data: dict[str, Any]) -> None:
        for row in data["components"]:
            if "components" in row:
                row["components"] = [c for c in row["components"] if c.get("custom_id") != custom_id]
        data["components"] = [r for r in data["components"] if r.get("components") or r.get("component")]

    return alter


FORM = {
    "title": "Panne du grossiste",
    "sector": "pharmacie",
    "territories": "29",
    "severity": "majeure",
    "started": "",
}


def resolve_too(data: dict[str, Any], more: dict[str, dict[str, Any]]) -> None:
    """Adds forged entries to what Discord resolved for the other options."""
    resolved = data.setdefault("resolved", {})
    for part, entries in more.items():
        resolved.setdefault(part, {}).update(entries)


def forged_role(w: World, data: dict[str, Any]) -> None:
    """Another server's role, as Discord resolves it there."""
    set_option(data, "role", str(w.other_role), type=OPT_ROLE)
    resolve_too(data, w.double.resolved(w.other_guild, OPT_ROLE, [w.other_role]))


def forged_member(w: World, data: dict[str, Any]) -> None:
    """Another server's member, with the member data Discord resolves there."""
    set_option(data, "coordinator", str(w.other_member), type=OPT_USER)
    data["resolved"] = w.double.resolved(w.other_guild, OPT_USER, [w.other_member])


def forged_user(w: World, data: dict[str, Any]) -> None:
    """Someone who is not a member here: a user, with no member data."""
    set_option(data, "coordinator", str(w.other_member), type=OPT_USER)
    data["resolved"] = w.double.resolved(None, OPT_USER, [w.other_member])


def said(message_id: str, **args: Any) -> Callable[[World], str]:
    """A sentence of another part of Tocsin, as its catalogue words it in French."""
    return lambda w: default_catalogue().render("fr", message_id, **args)


OUTDATED = (
    "Cette commande a changé depuis que votre application Discord l'a chargée : rechargez Discord (Ctrl+R, "
    "ou relancez l'application) puis recommencez."
)
COMPONENT_OUTDATED = (
    "Ce bouton ou ce menu ne fonctionne plus (il vient d'une ancienne version de Tocsin, ou a été modifié) : "
    "utilisez de nouveau la commande."
)
UNREADABLE = (
    "« {} » contient un caractère qu'aucun clavier ne tape (un caractère de contrôle, ou un caractère cassé) : "
    "retapez ce texte."
)
# (case, how it is sent, the sentence, the message id the audit row records)
CASES: list[tuple[str, Send, Callable[[World], str], str]] = [
    (
        "a-value-outside-the-choices",
        command("coord.anne", "incidents", "outage declare", ESSENTIALS,
                lambda w, d: set_option(d, "severity", "catastrophique")),
        lambda w: "« catastrophique » ne fait pas partie des choix de « gravite » : choisissez critique, majeure "
        "ou mineure.",
        "core.error.option_choice",
    ),
    (
        "a-string-for-an-integer",
        command("admin.sophie", "journal-bot", "setup archive-delay", {"hours": 24},
                lambda w, d: set_option(d, "hours", "douze", type=3)),
        lambda w: "« heures » attend un nombre entier, pas « douze ».",
        "core.error.option_kind",
    ),
    (
        "an-integer-option-holding-text",
        command("admin.sophie", "journal-bot", "setup archive-delay", {"hours": 24},
                lambda w, d: set_option(d, "hours", "12")),
        lambda w: "« heures » attend un nombre entier, pas « 12 ».",
        "core.error.option_kind",
    ),
    (
        "a-number-above-the-range",
        command("admin.sophie", "journal-bot", "setup archive-delay", {"hours": 24},
                lambda w, d: set_option(d, "hours", 999)),
        lambda w: "« heures » doit valoir au plus 168, pas 999.",
        "core.error.option_maximum",
    ),
    (
        "a-number-below-the-range",
        command("admin.sophie", "journal-bot", "tocsin test-delivery", lambda w: {"channel": w.channel("bretagne")},
                lambda w, d: set_option(d, "count", 0, type=4)),
        lambda w: "« nombre » doit valoir au moins 1, pas 0.",
        "core.error.option_minimum",
    ),
    (
        "a-boolean-holding-text",
        command("coord.anne", "incidents", "outage resolve", {"incident": "1", "silent": True},
                lambda w, d: set_option(d, "silent", "oui")),
        lambda w: "« silencieux » attend oui ou non, pas « oui ».",
        "core.error.option_kind",
    ),
    (
        "a-string-longer-than-discord-takes",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: set_option(d, "incident", "1" * 7000)),
        lambda w: "Trop long : « incident » fait 7000 caractères, 6000 au plus. Raccourcissez-le.",
        "core.error.option_too_long",
    ),
    (
        "an-unknown-option",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: set_option(d, "bogus", "x")),
        lambda w: OUTDATED,
        "core.error.outdated_command",
    ),
    (
        "a-required-option-missing",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: drop_option(d, "incident")),
        lambda w: "« incident » est obligatoire : remplissez ce champ.",
        "core.error.option_required",
    ),
    (
        "an-unknown-subcommand",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: d["options"][0].update(name="explode")),
        lambda w: OUTDATED,
        "core.error.outdated_command",
    ),
    (
        "an-unknown-command",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: d.update(name="panique")),
        lambda w: OUTDATED,
        "core.error.outdated_command",
    ),
    (
        "a-lone-surrogate-in-an-option",
        command("coord.anne", "incidents", "outage declare", ESSENTIALS,
                lambda w, d: set_option(d, "title", "Panne \ud800 du grossiste")),
        lambda w: UNREADABLE.format("titre"),
        "core.error.unreadable_text",
    ),
    (
        "a-nul-in-an-option",
        command("admin.sophie", "journal-bot", "setup timezone", {"zone": "Europe/Paris"},
                lambda w, d: set_option(d, "zone", "Europe/Paris\x00")),
        lambda w: UNREADABLE.format("fuseau"),
        "core.error.unreadable_text",
    ),
    (
        "an-autocompleted-value-not-from-the-list",
        command("coord.anne", "incidents", "outage show", {"incident": "1"},
                lambda w, d: set_option(d, "incident", "la grosse panne")),
        said("outage.error.incident_number", text="la grosse panne"),
        "outage.error.incident_number",
    ),
    (
        "a-route-not-from-the-list",
        command("admin.sophie", "journal-bot", "setup route remove", {"route": "1"},
                lambda w, d: set_option(d, "route", "la route de Brest")),
        said("setup.error.unknown_route", text="la route de Brest"),
        "setup.error.unknown_route",
    ),
    (
        "a-territory-not-from-the-list",
        command("pharma.brest", "bretagne", "follow", {"territory": "29"},
                lambda w, d: set_option(d, "territory", "Atlantide")),
        said("follow.error.territory_unknown", territory="Atlantide"),
        "follow.error.territory_unknown",
    ),
    (
        "a-time-zone-not-from-the-list",
        command("admin.sophie", "journal-bot", "setup timezone", {"zone": "Europe/Paris"},
                lambda w, d: set_option(d, "zone", "Mars/Olympus")),
        said("setup.error.bad_zone", zone="Mars/Olympus"),
        "setup.error.bad_zone",
    ),
    (
        "a-channel-of-the-wrong-kind",
        command("admin.sophie", "journal-bot", "tocsin test-delivery", lambda w: {"channel": w.channel("bretagne")},
                lambda w, d: (set_option(d, "channel", str(w.forum), type=7),
                              d.update(resolved=w.double.resolved(w.server.guild_id, 7, [w.forum])))),
        lambda w: f"<#{w.forum}> est un forum : pour « salon », choisissez un salon textuel ou un salon d'annonces.",
        "core.error.channel_kind",
    ),
    (
        "a-channel-claimed-of-another-kind-than-it-is",
        command("admin.sophie", "journal-bot", "tocsin test-delivery", lambda w: {"channel": w.channel("bretagne")},
                lambda w, d: (set_option(d, "channel", str(w.forum), type=7),
                              d.update(resolved=w.double.resolved(w.server.guild_id, 7, [w.forum])),
                              d["resolved"]["channels"][str(w.forum)].update(type=0))),
        lambda w: f"<#{w.forum}> est un forum : pour « salon », choisissez un salon textuel ou un salon d'annonces.",
        "core.error.channel_kind",
    ),
    (
        "a-setup-channel-of-the-wrong-kind",
        command("admin.sophie", "journal-bot", "setup log-channel", lambda w: {"channel": w.channel("journal-bot")},
                lambda w, d: (set_option(d, "channel", str(w.forum), type=7),
                              d.update(resolved=w.double.resolved(w.server.guild_id, 7, [w.forum])))),
        lambda w: f"<#{w.forum}> est un forum : pour « salon », choisissez un salon textuel ou un salon d'annonces.",
        "core.error.channel_kind",
    ),
    (
        "a-channel-resolved-nowhere",
        command("admin.sophie", "journal-bot", "setup log-channel", lambda w: {"channel": w.channel("journal-bot")},
                lambda w, d: (set_option(d, "channel", "123456789", type=7), d.pop("resolved", None))),
        said("access.error.other_server", channel="<#123456789>"),
        "access.error.other_server",
    ),
    (
        "a-role-of-another-server",
        command("admin.sophie", "journal-bot", "setup coordinator-role", lambda w: {"role": w.server.roles["admin"]},
                forged_role),
        lambda w: f"Le rôle <@&{w.other_role}> n'appartient pas à ce serveur : choisissez un rôle de ce serveur.",
        "access.error.other_server_role",
    ),
    (
        "a-role-of-another-server-in-an-optional-option",
        command("admin.sophie", "journal-bot", "tocsin test-delivery", lambda w: {"channel": w.channel("bretagne")},
                forged_role),
        lambda w: f"Le rôle <@&{w.other_role}> n'appartient pas à ce serveur : choisissez un rôle de ce serveur.",
        "access.error.other_server_role",
    ),
    (
        "a-member-of-another-server",
        command("coord.anne", "incidents", "outage assign", assign_options, forged_member),
        lambda w: f"<@{w.other_member}> n'est pas membre de ce serveur : choisissez un membre de ce serveur.",
        "access.error.other_server_member",
    ),
    (
        "a-user-who-is-not-a-member",
        command("coord.anne", "incidents", "outage assign", assign_options, forged_user),
        lambda w: f"<@{w.other_member}> n'est pas membre de ce serveur : choisissez un membre de ce serveur.",
        "access.error.other_server_member",
    ),
    (
        "a-member-id-that-is-not-an-id",
        command("coord.anne", "incidents", "outage assign", assign_options,
                lambda w, d: set_option(d, "coordinator", "anne", type=OPT_USER)),
        lambda w: "« coordinateur » attend un membre de ce serveur, pas « anne ».",
        "core.error.option_kind",
    ),
    (
        "an-unknown-button",
        click("pharma.brest", lambda w: "tocsin:explode"),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-malformed-button",
        click("pharma.brest", lambda w: f"tocsin:follow:{w.server.guild_id}:un"),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-button-of-an-older-version",
        click("pharma.brest", lambda w: "tocsin:follow:1"),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-well-formed-button-the-message-does-not-carry",
        click("pharma.brest", lambda w: f"tocsin:follow:{w.server.guild_id}:99"),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-button-sent-as-a-menu",
        click("pharma.brest", lambda w: f"tocsin:follow:{w.server.guild_id}:1", component_type=3),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-button-with-a-lone-surrogate",
        click("pharma.brest", lambda w: f"tocsin:follow:{w.server.guild_id}:1\udc00"),
        lambda w: COMPONENT_OUTDATED,
        "core.error.component_outdated",
    ),
    (
        "a-menu-value-with-a-lone-surrogate",
        choose(lambda w: [w.menu_values[0] + "\ud800"]),
        lambda w: f"« {w.menu_values[0]}\ufffd » ne fait pas partie des choix de ce menu : choisissez de nouveau "
        "dans la liste.",
        "core.error.menu_choice",
    ),
    (
        "a-menu-value-that-is-not-a-number",
        choose(lambda w: ["abc"]),
        lambda w: "« abc » ne fait pas partie des choix de ce menu : choisissez de nouveau dans la liste.",
        "core.error.menu_choice",
    ),
    (
        "a-menu-value-it-does-not-offer",
        choose(lambda w: ["999999"]),
        lambda w: "« 999999 » ne fait pas partie des choix de ce menu : choisissez de nouveau dans la liste.",
        "core.error.menu_choice",
    ),
    (
        "too-many-menu-values",
        choose(lambda w: list(w.menu_values)),
        lambda w: "Choisissez un seul élément dans ce menu.",
        "core.error.menu_one",
    ),
    (
        "a-form-field-missing",
        form(FORM, drop_field("title")),
        lambda w: "« Titre » est obligatoire : remplissez ce champ.",
        "core.error.option_required",
    ),
    (
        "a-form-field-over-its-length",
        form(FORM, set_field("title", "x" * 500)),
        lambda w: "Trop long : « Titre » fait 500 caractères, 100 au plus. Raccourcissez-le.",
        "core.error.option_too_long",
    ),
    (
        "a-lone-surrogate-in-a-form",
        form(FORM, set_field("sector", "pharma\udc00cie")),
        lambda w: UNREADABLE.format("Secteur"),
        "core.error.unreadable_text",
    ),
    (
        "a-control-character-in-a-form",
        form(FORM, set_field("territories", "29\x07")),
        lambda w: UNREADABLE.format("Territoires (séparés par des virgules)"),
        "core.error.unreadable_text",
    ),
    (
        "a-form-that-is-not-open",
        form(FORM, lambda d: d.update(custom_id="a-form-never-opened")),
        lambda w: "Ce formulaire n'est plus ouvert (il a expiré, ou Tocsin a redémarré) : relancez la commande pour "
        "en obtenir un nouveau.",
        "core.error.form_closed",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("send", "sentence", "refusal"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_payload_discord_would_have_filtered_gets_its_sentence_and_is_audited(
    world: World, send: Send, sentence: Callable[[World], str], refusal: str
) -> None:
    before = world.last_audit_id()
    user, ix = await send(world)
    first = await ix.first_response(timeout=2.9)
    reply = await ix.reply()
    assert first["type"] in (4, 5), first
    assert ix.ephemeral
    assert reply["content"] == sentence(world), reply["content"]
    await world.double.wait_for(
        lambda: any(result == f"refused: {refusal}" for _, _, result in world.audit_since(before, user)),
        what=f"the refusal {refusal} audited",
    )
    rows = world.audit_since(before, user)
    assert [result for _, _, result in rows] == [f"refused: {refusal}"], rows


async def test_the_sentence_follows_the_persons_language(world: World) -> None:
    data = world.double.command_data(world.channel("incidents"), "outage declare", ESSENTIALS)
    set_option(data, "severity", "catastrophic")
    user = world.member("coord.anne")
    ix = await world.double.send_raw(user, world.channel("incidents"), type=IX_COMMAND, data=data, locale="en-GB")
    reply = await ix.reply()
    assert reply["content"] == (
        "“catastrophic” is not one of the choices for “severity”: choose critical, major or minor."
    ), reply["content"]


async def test_a_forged_autocomplete_is_answered_with_no_suggestion(world: World) -> None:
    user = world.member("coord.anne")
    for alter in (
        lambda d: set_option(d, "incident", "pan\ud800ne"),
        lambda d: set_option(d, "bogus", "x"),
        lambda d: leaf_options(d)[0].pop("focused"),
    ):
        data = world.double.command_data(world.channel("incidents"), "outage show", {"incident": "1"})
        leaf_options(data)[0]["focused"] = True
        alter(data)
        ix = await world.double.send_raw(user, world.channel("incidents"), type=IX_AUTOCOMPLETE, data=data)
        assert await ix.choices() == []


async def test_a_refusal_is_audited_whatever_raised_it(world: World) -> None:
    """Discord's own client, a person too quick: discord.py's cooldown refuses, and the refusal is audited."""
    user, here = world.member("admin.sophie"), world.channel("journal-bot")
    before = world.last_audit_id()
    for i in range(6):
        ix = await world.double.run_command(user, here, "remind", {"when": "dans 1 h", "what": f"n°{i}", "where": "dm"})
        said = (await ix.reply())["content"]
    assert said.startswith("Doucement : réessayez dans"), said

    def refused() -> list[str]:
        return [result for _, _, result in world.audit_since(before, user) if result.startswith("refused")]

    await world.double.wait_for(lambda: bool(refused()), what="the cooldown audited")
    assert refused() == ["refused: core.error.cooldown"]


async def test_nothing_reached_discord_py_s_log_as_an_error(world: World) -> None:
    """After every case above: nothing failed unseen (a task's exception, an ignored error, an unexpected one)."""
    log = world.bot.log_text()
    for sign in ("Traceback", "Ignoring exception", "unexpected error", "ERROR"):
        assert sign not in log, log[-4000:]
