"""`python -m bot demo` plays the Cerp Bretagne Atlantique scenario and prints, in French, what each channel shows.

It opens with the first steps of ../shared/scenarios/cerp-reports-2024-10.md: pharmacists report the outage with
`/signaler` before any coordinator is watching, the third distinct member alerts @coordination, and coord.anne
declares the outage from the card; then the incident's life as in cerp-2024-10.md, until its resolution.
The transcript is read as a person reads it in a terminal: each reminder and nudge at the step of the time it was
due (the demo's script says which), no message twice, roles by their names, no raw Markdown, an announcement
printed once with the other channels it went to; and `--keep PATH` leaves a database `export` can read.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.long, pytest.mark.xdist_group("demo")]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TITLE = "Cerp Bretagne Atlantique à l'arrêt"
THREAD = f"fil « #1 · {TITLE} » (dans #incidents)"

# What the demo's script says is due when no update comes (bot/demo.py, QUIET_*): a critical incident's owner
# (coord.anne) is nudged an hour after the last update, then every hour; the fourth nudge in a row is a note in
# #journal-bot; the "next update" promised by coord.yann for Sunday 10:00 nudges him then; Monday's ETA of 09:00
# asks coord.anne to confirm it. Keyed by the step's time; every other step shows none of these.
NUDGE = ("relance", "coord.anne", THREAD)
NOTE = ("note", "coord.anne", "#journal-bot")
DUE = {
    "19/10 13:50": [NUDGE],
    "19/10 14:50": [NUDGE],
    "19/10 15:50": [NUDGE],
    "19/10 16:50": [NOTE],
    "20/10 10:00": [("heure promise", "coord.yann", THREAD)],
    "20/10 11:00": [NUDGE],
    "20/10 12:00": [NUDGE],
    "20/10 13:00": [NOTE],
    "21/10 09:00": [("reprise passée", "coord.anne", THREAD)],
    "21/10 09:30": [NUDGE],
    "21/10 10:30": [NUDGE],
    "21/10 11:30": [NUDGE],
    "21/10 12:30": [NOTE],
}


@dataclass
class Posted:
    """One new message as the transcript prints it: where, the other channels it also went to, when, its lines."""

    where: str
    others: str
    stamp: str
    lines: list[str] = field(default_factory=list)


def posted_in(body: str) -> list[Posted]:
    """The new messages a step's text shows, under the channel each is printed in."""
    out: list[Posted] = []
    where, others, current = "", "", None
    for line in body.splitlines():
        if new := re.match(r"^     \+ \[(\d\d/\d\d \d\d:\d\d)\] \S+ :$", line):
            current = Posted(where, others, new.group(1))
            out.append(current)
        elif line.startswith("         ") and current is not None:
            current.lines.append(line.strip())
        elif heading := re.match(r"^   (\S.*?)(?:  \(et dans (.*)\))?$", line):
            where, others, current = heading.group(1), heading.group(2) or "", None
        else:
            current = None
    return out


@dataclass
class Step:
    header: str
    time: str  # "19/10 13:40"
    body: str

    def posted(self) -> list[Posted]:
        return posted_in(self.body)


def steps(transcript: str) -> list[Step]:
    """The transcript cut at its step headers ("── samedi 19/10 12:40 — …")."""
    out: list[Step] = []
    for line in transcript.splitlines():
        if line.startswith("── "):
            found = re.match(r"^── \S+ (\d\d/\d\d \d\d:\d\d) — ", line)
            assert found, line
            out.append(Step(line, found.group(1), ""))
        elif out:
            out[-1].body += line + "\n"
    return out


def section(transcript: str, needle: str) -> str:
    found = [step.body for step in steps(transcript) if needle in step.header]
    assert found, f"no step {needle!r} in the transcript"
    return found[0]


def timer_message(posted: Posted) -> tuple[str, str, str] | None:
    """(what, for whom, where) when the message is a reminder or a nudge, else None."""
    first = posted.lines[0]
    for start, what in (
        ("Il est temps de publier une mise à jour sur #1", "relance"),
        ("Vous aviez annoncé une mise à jour de #1", "heure promise"),
        ("La reprise estimée de #1", "reprise passée"),
    ):
        person = re.match(rf"^@(\S+) {re.escape(start)}", first)
        if person:
            return what, person.group(1), posted.where
    note = re.search(r"relances sans mise à jour de @(\S+)", first)
    return ("note", note.group(1), posted.where) if note else None


@dataclass(frozen=True)
class DemoRun:
    code: int
    transcript: str
    seconds: float
    kept: Path


async def demo_process(*arguments: str, timeout: float = 90) -> tuple[int, str]:
    """`python -m bot demo …` as a person runs it from the project; its exit status and everything it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        *arguments,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        process.kill()
        raise
    return process.returncode or 0, output.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    kept = tmp_path_factory.mktemp("demo") / "cerp.db"
    started = time.monotonic()
    code, transcript = asyncio.run(demo_process("--keep", str(kept)))
    return DemoRun(code, transcript, time.monotonic() - started, kept)


def test_the_demo_ends_well_within_a_minute(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    assert demo_run.code == 0, transcript[-4000:]
    assert demo_run.seconds < 60, f"the demo took {demo_run.seconds:.1f} s"
    assert "Traceback" not in transcript
    assert "⚠" not in transcript, [line for line in transcript.splitlines() if "⚠" in line]
    assert "pas encore disponible" not in transcript and "absente" not in transcript
    assert any(line.startswith("Fin de la démonstration") for line in transcript.splitlines())


CARD = "📣 Signalements · Cerp Bretagne Atlantique"
REPORTERS = "pharma.angouleme, pharma.brest, pharma.stbrieuc"


def changed_channels(body: str) -> list[str]:
    """The channels a step's text shows a change in (a new message or an edit), in order."""
    return re.findall(r"^   ([#f]\S.*?)(?:  \(et dans .*\))?$", body, flags=re.MULTILINE)


def test_it_opens_with_members_reports_the_alert_and_the_declaration_from_the_card(demo_run: DemoRun) -> None:
    """The first steps of the reports scenario, in its order and at its times, before anything else happens."""
    played = [step for step in steps(demo_run.transcript) if not step.header.endswith("configure le serveur")]
    assert [(step.time, step.header.split(" — ", 1)[1].split(" : ")[0]) for step in played[:5]] == [
        ("19/10 12:20", "pharma.stbrieuc"),
        ("19/10 12:32", "pharma.brest"),
        ("19/10 12:35", "pharma.brest"),
        ("19/10 12:41", "pharma.angouleme"),
        ("19/10 12:45", "coord.anne"),
    ], [step.header for step in played[:5]]
    first, picked, again, third = (step.body for step in played[:4])

    # 12:20: recorded, no outage declared yet; one card in #signalements showing the report; nobody notified.
    assert "Signalement enregistré pour Cerp Bretagne Atlantique. Aucune panne n'est déclarée" in first, first
    assert "les coordinateurs vont l'examiner" in first
    (card,) = posted_in(first)
    assert card.where == "#signalements" and card.lines[0] == f"▌ {CARD}", card
    for shown in ("Membres : 1", "Signalements : 1", "Depuis : samedi 19 octobre 2024 12:00", "Services : livraisons"):
        assert f"▌   {shown}" in card.lines, (shown, card.lines)
    assert "▌   Derniers détails : 12:20 — Livraison de midi pas arrivée, le site de commande ne répond plus." in (
        card.lines
    )
    assert card.lines[-1] == "→ notifie : personne" and changed_channels(first) == ["#signalements"]

    # 12:32, the suggestion picked: the same card, edited; 12:35, counted once, the details added.
    assert "choisit la suggestion « Cerp Bretagne Atlantique »" in played[1].header
    assert posted_in(picked) == [] and changed_channels(picked) == ["#signalements"], picked
    assert "✎ message du 19/10 12:20 modifié" in picked and "▌   Membres : 2" in picked, picked
    assert "Vous aviez déjà signalé Cerp Bretagne Atlantique : vous n'êtes compté·e qu'une fois" in again, again
    assert "▌   Signalements : 3" in again and "Membres :" not in again, again
    assert "Toujours rien, téléphone saturé." in again

    # 12:41, the third member within 60 minutes: the card shows 3, one alert pinging @coordination only.
    assert "▌   Membres : 3" in third, third
    (alert,) = posted_in(third)
    assert alert.where == "#signalements", alert
    assert alert.lines[0].startswith(
        "@coordination 🚨 3 membres signalent en moins de 60 min que Cerp Bretagne Atlantique semble en panne : "
        "https://discord.com/channels/"
    ), alert.lines
    assert alert.lines[-1] == "→ notifie : coord.anne, coord.yann", alert.lines

    # 12:45: "Déclarer" opens a private panel (pharmacie pre-selected), then the form pre-filled from the reports.
    panel = section(demo_run.transcript, "clique « Déclarer » sur la fiche")
    assert "🔒 réponse privée à coord.anne :" in panel and "⟨pharmacie ▾⟩" in panel, panel
    assert "(aucun salon n'a changé)" in panel
    chosen = section(demo_run.transcript, "choisit « Critique »")
    assert "⟨Critique ▾⟩" in chosen and "⟨Cyberattaque suspectée ▾⟩" in chosen, chosen
    form = section(demo_run.transcript, "le formulaire s'ouvre")
    for line in (
        "Titre : (vide)",
        "Structure en panne : Cerp Bretagne Atlantique",
        "Côtes-d'Armor (22), Finistère (29), Charente (16)",
        "Depuis quand : 19/10/2024 12:00",
    ):
        assert line in form, (line, form)
    assert form.count("\n      ") <= 5, "at most five fields, as Discord allows"

    # Submitted: declared; the card says by whom; the reporters are thanked by mention in the thread.
    declared = section(demo_run.transcript, "tape le titre")
    assert "Panne #1 déclarée : Cerp Bretagne Atlantique à l'arrêt" in declared, declared
    assert "▌   Suite donnée : → panne #1, déclarée par @coord.anne (samedi 19 octobre 2024 12:45)" in declared
    (thanks,) = [p for p in posted_in(declared) if p.where == THREAD and "Merci" in " ".join(p.lines)]
    assert thanks.lines[0] == "@pharma.stbrieuc @pharma.brest @pharma.angouleme", thanks.lines
    assert thanks.lines[-1] == f"→ notifie : {REPORTERS}", thanks.lines
    # The workaround and the impact, from the button under the confirmation.
    completed = section(demo_run.transcript, "consignes:« Reporter toute commande")
    assert "Panne #1 complétée" in completed and "📌 Nouvelles consignes (v1)" in completed, completed


def test_the_declaration_opens_a_thread_and_three_announcements(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    declared = section(transcript, "tape le titre")
    assert f"🧵 fil « #1 · {TITLE} » ouvert sur ce message" in declared, declared
    # The announcement is printed once, with the two other channels it went to (the reports' territories 22, 29
    # and 16: Bretagne and Nouvelle-Aquitaine; the sector pharmacie); the other route channels got nothing.
    assert declared.count(f"🚨 Panne en cours : #1 · {TITLE}") == 1, declared
    (announcement,) = [p for p in posted_in(declared) if p.lines[0].endswith(f"Panne en cours : #1 · {TITLE}")]
    assert announcement.where == "#bretagne", announcement
    assert announcement.others == "2 autres salons : #nouvelle-aquitaine, #pharmacies"
    for channel in ("#pays-de-la-loire", "#occitanie", "#librairies", "#collectivites"):
        assert channel not in declared, declared
    # Only #pharmacies' announcement mentions its route's role, which notifies its four members; nobody else.
    pharmacists = "pharma.angouleme, pharma.brest, pharma.quimper, pharma.stbrieuc"
    assert "→ notifie : personne\n" in declared
    assert declared.count(f"notifie {pharmacists}") == 1, declared
    assert f"→ dans #pharmacies, avec @pharmacies-ouest en tête : notifie {pharmacists}\n" in declared
    # Times read as a French client in Paris shows them, not as raw Discord timestamps.
    assert "samedi 19 octobre 2024 12:00" in declared
    assert "lundi 21 octobre 2024 09:00" in section(transcript, "reprise:« lundi matin »")
    assert "<t:" not in transcript and "<@" not in transcript and "<#" not in transcript


def test_the_refusal_and_the_recovery_are_shown(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    refused = section(transcript, "pharma.angouleme : /panne declarer")
    assert "Seuls les coordinateurs" in refused and "(aucun salon n'a changé)" in refused, refused
    resolved = section(transcript, "/panne resoudre")
    assert resolved.count(f"✅ Rétabli : #1 · {TITLE}, après 2 j 23 h.") == 1, resolved
    assert "en panne 1 j 20 h 30 min, puis dégradé 1 j 2 h 30 min" in resolved, resolved
    recovery = [p for p in posted_in(resolved) if p.lines[0].startswith("✅ Rétabli")]
    assert [(p.where, p.others) for p in recovery] == [
        ("#bretagne", "2 autres salons : #nouvelle-aquitaine, #pharmacies")
    ]


def test_every_reminder_and_nudge_shows_at_its_own_time(demo_run: DemoRun) -> None:
    shown: dict[str, list[tuple[str, str, str]]] = {}
    for step in steps(demo_run.transcript):
        for posted in step.posted():
            timer = timer_message(posted)
            if timer is None:
                continue
            assert posted.stamp == step.time, f"{timer} sent at {posted.stamp}, shown at the step of {step.time}"
            shown.setdefault(step.time, []).append(timer)
    assert shown == DUE


def test_no_message_is_shown_twice(demo_run: DemoRun) -> None:
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for step in steps(demo_run.transcript):
        for posted in step.posted():
            key = (posted.where, posted.stamp, tuple(posted.lines))
            assert key not in seen, f"shown twice at {step.header}: {key}"
            seen.add(key)


def test_each_change_to_several_channels_is_printed_once(demo_run: DemoRun) -> None:
    """The affected count (the three reporters, then pharma.quimper) edited in the status message and the three
    announcements: one edit, named channels."""
    clicked = section(demo_run.transcript, "clique « Suivre »")
    assert clicked.count("Membres concernés : 4") == 1, clicked
    assert "#incidents  (et dans 3 autres salons : #bretagne, #nouvelle-aquitaine, #pharmacies)" in clicked, clicked


def test_it_reads_as_a_terminal_shows_it(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    assert "**" not in transcript and "__" not in transcript, [
        line for line in transcript.splitlines() if "**" in line or "__" in line
    ]
    # Roles by their names, the one the bot made for the incident's followers too, even once it is deleted.
    assert not re.search(r"@\d{5,}", transcript), re.findall(r".*@\d{5,}.*", transcript)
    assert "rôle inconnu" not in transcript
    posts = [p for step in steps(transcript) for p in step.posted() if p.where == THREAD]
    updates = [p.lines[0] for p in posts if "mise à jour par" in p.lines[0]]
    assert updates and all(line.startswith(f"@suivi #1 #1 · {TITLE}") for line in updates), updates


def test_keep_leaves_a_database_that_export_reads(demo_run: DemoRun, tmp_path: Path) -> None:
    assert demo_run.kept.is_file()
    assert f"Base de données conservée : {demo_run.kept}" in demo_run.transcript
    (command,) = [line.strip() for line in demo_run.transcript.splitlines() if "python -m bot export" in line]
    arguments = shlex.split(command)
    assert arguments[:3] == ["python", "-m", "bot"], command
    arguments[arguments.index("--out") + 1] = str(tmp_path / "cerp.md")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}

    async def export() -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *arguments[1:], cwd=tmp_path, env=env | {"PYTHONPATH": str(PROJECT_ROOT)}
        )
        return await asyncio.wait_for(process.wait(), timeout=60)

    assert asyncio.run(export()) == 0
    report = (tmp_path / "cerp.md").read_text(encoding="utf-8")
    assert TITLE in report and "2 j 23 h" in report, report[:2000]
    # The members' reports that opened the demo are figures of the export: 25 minutes from the first to the
    # declaration.
    assert "4 signalements de 3 membres, le premier le samedi 19 octobre 2024 à 12:20 ; déclarée 25 min après" in (
        report
    ), report


def test_keep_refuses_a_file_that_exists(tmp_path: Path) -> None:
    there = tmp_path / "already.db"
    there.write_bytes(b"something precious")
    code, said = asyncio.run(demo_process("--keep", str(there), timeout=60))
    assert code == 2 and "n'existe pas encore" in said, said
    assert there.read_bytes() == b"something precious"
