"""`python -m bot demo`: a local Discord double, the bot as its own process, a short session, a transcript.

The session is the Cerp Bretagne Atlantique scenario (October 2024) on the scenarios' server "Coordination Grand
Ouest" (`bot.sandbox.driver`, which tests and benches drive the bot with too); everyone is French. It opens as the
outage began: no coordinator is watching, pharmacists report it with `/signaler`, the third one alerts the
coordinators, and coord.anne declares the outage from the reports' card; then the incident's life until its
resolution. What each person sees is printed by `bot.sandbox.transcript`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bot.sandbox import DiscordDouble, InteractionHandle
from bot.sandbox.driver import (
    BotProcess,
    Server,
    add_reporters,
    build_grand_ouest,
    configure_by_commands,
    paris,
    pick,
    settle,
)
from bot.sandbox.transcript import Transcript, component, message_now

DEMO_START = datetime(2024, 10, 19, 10, 10, tzinfo=UTC)  # Saturday 19 October 2024, 12:10 in Paris


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


# --- the first steps: members report, the alert, the declaration from the card ------------------------------

CERP = "Cerp Bretagne Atlantique"
# What pharma.angouleme, who is no coordinator, tries to declare at 13:05: the same outage, refused.
IMPOSTOR: dict[str, Any] = {
    "title": CERP_TITLE,
    "organisation": CERP,
    "sector": "pharmacie",
    "territories": "53",
    "severity": "critical",
    "cause": "cyberattack_suspected",
    "started": "aujourd'hui midi",
    "services": "commandes, livraisons",
}
WORKAROUND = "Reporter toute commande à lundi matin. Urgences : contacter le confrère le plus proche."
IMPACT = "≈1 800 officines"


async def play_reports(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    """Nobody is watching at noon: three pharmacists report the outage, the third alerts the coordinators, and
    coord.anne declares it from the card (a private panel, then the form pre-filled from the reports), adding the
    workaround and the impact from the button under her confirmation."""
    m, c = server.members, server.channels

    async def report(at: datetime, member: str, said: str, options: dict[str, Any]) -> None:
        double.set_time(at)
        await _act(transcript, member, said, partial(double.run_command, m[member], c["pharmacies"], "report", options))
        await _show(double, server, transcript)

    await report(
        paris(2024, 10, 19, 12, 20),
        "pharma.stbrieuc",
        f"/signaler structure:« {CERP} » services:livraisons depuis:midi territoires:22 détails:« Livraison de "
        "midi pas arrivée, le site de commande ne répond plus. »",
        {
            "organisation": CERP,
            "services": "livraisons",
            "since": "midi",
            "territories": "22",
            "details": "Livraison de midi pas arrivée, le site de commande ne répond plus.",
        },
    )
    double.set_time(paris(2024, 10, 19, 12, 32))
    picked = await pick(double, m["pharma.brest"], c["pharmacies"], "report", "organisation", [("cerp", CERP)])
    await report(
        paris(2024, 10, 19, 12, 32),
        "pharma.brest",
        f"/signaler structure: tape « cerp », choisit la suggestion « {picked} » services:commandes territoires:29",
        {"organisation": picked, "services": "commandes", "territories": "29"},
    )
    await report(
        paris(2024, 10, 19, 12, 35),
        "pharma.brest",
        f"/signaler structure:« {CERP} » détails:« Toujours rien, téléphone saturé. » (une deuxième fois)",
        {"organisation": CERP, "details": "Toujours rien, téléphone saturé."},
    )
    await report(
        paris(2024, 10, 19, 12, 41),
        "pharma.angouleme",
        f"/signaler structure:« {CERP} » services:« commandes, livraisons » territoires:16",
        {"organisation": CERP, "services": "commandes, livraisons", "territories": "16"},
    )
    await declare_from_card(double, server, transcript)


async def declare_from_card(double: DiscordDouble, server: Server, transcript: Transcript) -> None:
    anne, here = server.members["coord.anne"], server.channels["signalements"]
    double.set_time(paris(2024, 10, 19, 12, 45))
    (card,) = [msg for msg in double.channel_messages(here) if msg.get("embeds")]
    declare = str(component(card, "tocsin:report:declare:")["custom_id"])
    clicked = await _act(
        transcript,
        "coord.anne",
        "clique « Déclarer » sur la fiche",
        partial(double.click, anne, here, int(card["id"]), declare),
    )
    await _show(double, server, transcript)
    if clicked is None:
        return
    panel_id = int((await clicked.reply())["id"])
    chosen = (("tocsin:rdecl:sev:", "Critique"), ("tocsin:rdecl:cause:", "Cyberattaque suspectée"))
    transcript.step("coord.anne : choisit « Critique » puis « Cyberattaque suspectée » dans les menus du panneau")
    for prefix, label in chosen:
        menu = component(message_now(double, here, panel_id), prefix)
        (value,) = [str(o["value"]) for o in menu["options"] if o["label"] == label]
        chose = await double.select(anne, here, panel_id, str(menu["custom_id"]), [value])
        await chose.first_response()
    transcript.private("coord.anne", message_now(double, here, panel_id))
    go = str(component(message_now(double, here, panel_id), "tocsin:rdecl:go:")["custom_id"])
    form = await double.click(anne, here, panel_id, go)
    await form.first_response()
    transcript.step("coord.anne : clique « Continuer » : le formulaire s'ouvre, prérempli depuis les signalements")
    values = transcript.form(form.modal or {})
    submitted = await _act(
        transcript,
        "coord.anne",
        f"tape le titre « {CERP_TITLE} » et envoie le formulaire",
        partial(form.submit_modal, {**values, "title": CERP_TITLE}),
    )
    await _show(double, server, transcript)
    if submitted is None:
        return
    await settle(double, server)
    (hint,) = [f for f in submitted.followups if str(f.get("content", "")).startswith("Les consignes")]
    transcript.private("coord.anne", hint)
    more = str(component(hint, "tocsin:more:")["custom_id"])
    double.set_time(paris(2024, 10, 19, 12, 47))
    opened = await double.click(anne, here, int(hint["id"]), more)
    await opened.first_response()
    transcript.step("coord.anne : clique « Ajouter consignes et impact »")
    transcript.form(opened.modal or {})
    filled = partial(opened.submit_modal, {"workaround": WORKAROUND, "impact": IMPACT})
    await _act(transcript, "coord.anne", f"consignes:« {WORKAROUND} » impact:« {IMPACT} »", filled)
    await _show(double, server, transcript)


# The Saturday, Sunday and Monday without an update, each step at the time something is due: a critical incident
# is nudged every hour after its last update (its owner, coord.anne), the fourth nudge in a row becomes a note
# in #journal-bot; a promised "next update" time nudges whoever promised it, and a passed ETA asks its owner.
QUIET_SATURDAY = (
    ((13, 50), "une heure sans mise à jour d'une panne critique : 1re relance à coord.anne"),
    ((14, 50), "2e relance à coord.anne"),
    ((15, 50), "3e relance à coord.anne"),
    ((16, 50), "toujours rien : au lieu d'une 4e relance, une note dans #journal-bot"),
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

    double.set_time(paris(2024, 10, 19, 12, 10))
    transcript.step("admin.sophie configure le serveur")

    def said(line: str, reply: dict[str, Any]) -> None:
        transcript.note(line)
        for text in transcript.screen.render(reply, double.now):
            transcript.note(f"   🔒 {text}")

    await configure_by_commands(double, server, said)
    admin = m["admin.sophie"]
    setup = await double.run_command(admin, c["journal-bot"], "setup reports", {"channel": c["signalements"]})
    said("/configurer signalements salon:#signalements", await setup.reply())

    await play_reports(double, server, transcript)

    # The reports' form had no room for the expected recovery: coord.anne gives it now.
    await command(
        paris(2024, 10, 19, 12, 50),
        "coord.anne",
        "/panne actualiser incident:#1 reprise:« lundi matin »",
        "outage update",
        {"incident": 1, "eta": "lundi matin"},
    )

    double.set_time(paris(2024, 10, 19, 12, 55))
    (bretagne,) = [msg for msg in double.channel_messages(c["bretagne"]) if "Panne en cours" in msg["content"]]
    for label, action in (("Je suis concerné·e", "affected"), ("Suivre", "follow")):
        click = partial(
            double.click,
            m["pharma.quimper"],
            c["bretagne"],
            int(bretagne["id"]),
            f"tocsin:{action}:{server.guild_id}:1",
        )
        await _act(transcript, "pharma.quimper", f"clique « {label} » sous l'annonce de #bretagne", click)
    await _show(double, server, transcript)

    double.set_time(paris(2024, 10, 19, 13, 5))
    refused = partial(double.run_command, m["pharma.angouleme"], c["pharmacies"], "outage declare", IMPOSTOR)
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
    out(
        "Scénario : la Cerp Bretagne Atlantique s'arrête (octobre 2024) ; des pharmaciens la signalent avant que "
        "personne ne la déclare. Heures de Paris, horloge simulée."
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tocsin-demo-") as workdir:
        async with DiscordDouble(now=DEMO_START) as double:
            server = build_grand_ouest(double)
            add_reporters(double, server)
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
