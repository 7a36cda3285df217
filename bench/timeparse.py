"""Benchmark of `parse_when`: a few thousand realistic phrases, French and English, both directions.

Run: .venv/bin/python bench/timeparse.py
Prints the first-call costs, then p50 / p99 / max per call warm; the last line is machine-readable.
Targets (DESIGN.md): p50 under 2 ms warm, never over 50 ms for any input.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARIS = ZoneInfo("Europe/Paris")

FR_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
EN_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
FR_PARTS = ["matin", "midi", "après-midi", "soir"]
EN_PARTS = ["morning", "noon", "afternoon", "evening"]
FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]  # fmt: skip
EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"]  # fmt: skip


def phrases(rng: random.Random, count: int) -> list[tuple[str, str]]:
    def hour() -> str:
        h, m = rng.randint(0, 23), rng.choice([0, 0, 15, 30, 45])
        return f"{h}h{m:02d}" if m else f"{h}h"

    templates = [
        lambda: (f"demain {hour()}", "future"),
        lambda: (f"demain à {hour()}", "future"),
        lambda: (f"{rng.choice(FR_DAYS)} {rng.choice(FR_PARTS)}", rng.choice(["future", "past"])),
        lambda: (f"{rng.choice(FR_DAYS)} {hour()}", rng.choice(["future", "past"])),
        lambda: (f"{rng.choice(FR_DAYS)} prochain", "future"),
        lambda: (f"depuis {rng.choice(FR_DAYS)} {rng.choice(FR_PARTS)}", "past"),
        lambda: (f"dans {rng.randint(1, 90)} {rng.choice(['min', 'h', 'heures', 'jours'])}", "future"),
        lambda: (f"il y a {rng.randint(1, 48)} heures", "past"),
        lambda: (f"ce {rng.choice(['matin', 'soir'])}", rng.choice(["future", "past"])),
        lambda: (hour(), rng.choice(["future", "past"])),
        lambda: (f"depuis {hour()}", "past"),
        lambda: (f"hier {hour()}", "past"),
        lambda: (f"{rng.choice(['début', 'mi', 'fin'])} {rng.choice(FR_MONTHS)}", "future"),
        lambda: (f"le {rng.randint(1, 28)} {rng.choice(FR_MONTHS)} à {hour()}", rng.choice(["future", "past"])),
        lambda: (f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025 {hour()}", "future"),
        lambda: (f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d} {rng.randint(0, 23)}:30", "future"),
        lambda: (f"tomorrow {rng.randint(1, 12)}{rng.choice(['am', 'pm'])}", "future"),
        lambda: (f"next {rng.choice(EN_DAYS)}", "future"),
        lambda: (f"{rng.choice(EN_DAYS)} {rng.choice(EN_PARTS)}", rng.choice(["future", "past"])),
        lambda: (f"in {rng.randint(1, 72)} hours", "future"),
        lambda: (f"{rng.randint(1, 72)} hours ago", "past"),
        lambda: (f"yesterday {rng.choice(['noon', '3pm', 'evening'])}", "past"),
        lambda: (f"{rng.choice(EN_MONTHS)} {rng.randint(1, 28)}", "future"),
        # Phrases only dateparser knows, junk, and long input.
        lambda: (rng.choice(["la semaine prochaine", "next week", "in 3 months", "dans un mois"]), "future"),
        lambda: (rng.choice(["asdf", "bientôt", "quand ce sera réparé", "12", "1729339200", "99/99/9999"]), "future"),
        lambda: ("".join(rng.choice("abcdefghij klmnop 0123456789/:h") for _ in range(rng.randint(20, 100))), "future"),
        lambda: ("x" * rng.randint(101, 10_000), "future"),
        lambda: (" ".join(rng.choice(FR_DAYS + FR_MONTHS + ["le", "à", "9h"]) for _ in range(12))[:100], "future"),
    ]
    return [rng.choice(templates)() for _ in range(count)]


def main() -> None:
    started = time.perf_counter()
    from bot.common.time_parsing import TimeParseError, parse_when

    import_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(20241019)
    base = datetime(2024, 10, 19, 10, 0, tzinfo=PARIS)

    def one(text: str, prefer: str, now: datetime) -> float:
        t0 = time.perf_counter()
        with contextlib.suppress(TimeParseError):
            parse_when(text, now=now, tz=PARIS, prefer=prefer)  # type: ignore[arg-type]
        return (time.perf_counter() - t0) * 1000

    first_grammar = one("demain 9h", "future", base)
    first_fallback = one("la semaine prochaine", "future", base)
    one("next week", "future", base)

    samples = phrases(rng, 5000)
    timings: list[float] = []
    for text, prefer in samples:
        now = base + timedelta(minutes=rng.randint(-60 * 24 * 200, 60 * 24 * 200))
        timings.append(one(text, prefer, now))
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    worst = timings[-1]
    print(f"import bot.common.time_parsing (loads dateparser): {import_ms:.1f} ms")
    print(f"first call, grammar path: {first_grammar:.1f} ms; first dateparser fallback: {first_fallback:.1f} ms")
    print(f"warm, {len(timings)} phrases: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms")
    print(f"parse_p50_ms={p50:.3f} parse_max_ms={worst:.3f}")


if __name__ == "__main__":
    main()
