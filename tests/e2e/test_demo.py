"""`python -m bot demo` plays the Cerp Bretagne Atlantique scenario and prints, in French, what each channel shows."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def sections(transcript: str) -> dict[str, str]:
    """The transcript cut at its step headers ("── samedi 19/10 12:40 — …"), keyed by header."""
    out: dict[str, str] = {}
    header = ""
    for line in transcript.splitlines():
        if line.startswith("── "):
            header = line
            out[header] = ""
        else:
            out[header] = out.get(header, "") + line + "\n"
    return out


def section(transcript: str, needle: str) -> str:
    found = [body for header, body in sections(transcript).items() if needle in header]
    assert found, f"no step {needle!r} in the transcript"
    return found[0]


@pytest.fixture(scope="module")
def demo_run() -> tuple[int, str, float]:
    async def run() -> tuple[int, str, float]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "demo",
            cwd=PROJECT_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
        except TimeoutError:
            process.kill()
            raise
        return process.returncode or 0, output.decode("utf-8", errors="replace"), time.monotonic() - started

    return asyncio.run(run())


def test_the_demo_ends_well_within_a_minute(demo_run: tuple[int, str, float]) -> None:
    code, transcript, seconds = demo_run
    assert code == 0, transcript[-4000:]
    assert seconds < 60, f"the demo took {seconds:.1f} s"
    assert "Traceback" not in transcript
    assert "⚠" not in transcript, [line for line in transcript.splitlines() if "⚠" in line]
    assert transcript.rstrip().splitlines()[-1].startswith("Fin de la démonstration")


def test_the_declaration_opens_a_thread_and_four_announcements(demo_run: tuple[int, str, float]) -> None:
    _, transcript, _ = demo_run
    declared = section(transcript, "/panne declarer titre")
    assert "🧵 fil « #1 · Cerp Bretagne Atlantique à l'arrêt » ouvert sur ce message" in declared, declared
    assert declared.count("🚨 Panne en cours : #1 · Cerp Bretagne Atlantique à l'arrêt") == 4, declared
    channels = [line.strip() for line in declared.splitlines() if line.startswith("   #")]
    for channel in ("#bretagne", "#pays-de-la-loire", "#nouvelle-aquitaine", "#pharmacies"):
        assert channel in channels, channels
    for channel in ("#occitanie", "#librairies", "#collectivites"):
        assert channel not in channels, channels
    assert "@pharmacies-ouest 🚨 Panne en cours" in declared
    assert declared.count("→ notifie : pharma.angouleme, pharma.brest") == 1, declared
    # Times read as a French client in Paris shows them, not as raw Discord timestamps.
    assert "samedi 19 octobre 2024 12:00" in declared and "lundi 21 octobre 2024 09:00" in declared
    assert "<t:" not in transcript and "<@" not in transcript and "<#" not in transcript


def test_the_refusal_and_the_recovery_are_shown(demo_run: tuple[int, str, float]) -> None:
    _, transcript, _ = demo_run
    refused = section(transcript, "pharma.angouleme : /panne declarer")
    assert "Seuls les coordinateurs" in refused and "(aucun salon n'a changé)" in refused, refused
    resolved = section(transcript, "/panne resoudre")
    assert resolved.count("✅ Rétabli : #1 · Cerp Bretagne Atlantique à l'arrêt, après 2 j 23 h.") == 4, resolved
    assert "en panne 1 j 20 h 30 min, puis dégradé 1 j 2 h 30 min" in resolved, resolved
