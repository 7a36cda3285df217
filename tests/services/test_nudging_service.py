"""The nudge use case (bot/reminders/use_cases/nudging.py) on a real SQLite file, driven by a manual clock and wired to
the
lifecycle as cogs/reminders.py wires it (a `tick` after every committed change, one job per incident): when each
nudge is enqueued, where, to whom, with which words, and what the bookkeeping row says.

Times in the tables below are Paris wall-clock times; the server uses the defaults (Monday–Friday 09:00–19:00,
French public holidays off, cadence critical 1 h, major 4 h, minor 24 h)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import outbox
from bot.incidents.presentation.message_parts import discord_time
from bot.incidents.rules.model import CancelReason, Severity
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.typed_input import DeclareInput, EditInput, UpdateInput
from bot.storage.store import Store
from bot.storage.times import to_db_time
from tests.services.manual_timers import ManualClock, Timers, fetch_one, last_outbox_id, outbox_rows
from tests.services.test_lifecycle import ANNE, CERP, GUILD, YANN, configure, lifecycle

PARIS = ZoneInfo("Europe/Paris")
BOT_LOG = 900
A, Y = ANNE.user_id, YANN.user_id
TITLE = "#1 · Cerp Bretagne Atlantique à l'arrêt"
NO_ONE: dict[str, list[int]] = {"parse": [], "users": [], "roles": []}
KINDS = {
    "Il est temps de publier": "cadence",
    "Vous aviez annoncé": "next_update",
    "relances sans mise à jour": "log_note",
    "La reprise estimée": "eta",
}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)


def wall(at: datetime) -> str:
    return at.astimezone(PARIS).strftime("%a %d/%m %H:%M")


def outage(severity: Severity, **changes: Any) -> DeclareInput:
    """Cerp's declaration, with no ETA (the ETA reminder is tested on its own) and started when declared."""
    return replace(CERP, severity=severity, eta=None, started=None, **changes)


@dataclass
class Bot:
    store: Store
    clock: ManualClock
    timers: Timers
    outages: Lifecycle

    async def declare(self, typed: DeclareInput) -> int:
        return (await self.outages.declare(ANNE, typed, now=self.clock.now())).thread_row

    async def update(self, typed: UpdateInput, *, by: Any = ANNE, number: int = 1) -> None:
        await self.outages.update(by, number, typed, now=self.clock.now())

    async def at(self, text: str) -> None:
        await self.timers.advance_to(paris(text))


async def running(
    store: Store, start: str, *, bot_log: int | None = BOT_LOG, cadence: dict[str, int] | None = None
) -> Bot:
    await configure(store)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE guild_settings SET bot_log_channel_id = ? WHERE guild_id = ?", (bot_log, GUILD))
        for severity, minutes in (cadence or {}).items():
            await conn.execute(
                f"UPDATE guild_settings SET cadence_{severity}_min = ? WHERE guild_id = ?", (minutes, GUILD)
            )
    clock = ManualClock(paris(start))
    timers = Timers.of(store, clock)
    outages = lifecycle(store)
    outages.after_commit.append(timers.replan)
    return Bot(store, clock, timers, outages)


async def nudges(store: Store, *, after: int, thread_row: int | None = None) -> list[tuple[str, str, int | None]]:
    """(when, which, to whom) of every nudge enqueued after row `after` (the lifecycle's own rows left out), each
    checked for its place and its mentions: a thread post pinging exactly its addressee, or the bot-log note
    naming the owner, pinging nobody."""
    found: list[tuple[str, str, int | None]] = []
    for row in await outbox_rows(store, after=after):
        content = row.payload.get("content")
        matched = [kind for words, kind in KINDS.items() if isinstance(content, str) and words in content]
        if not matched:
            assert row.payload.get("channel_id") != BOT_LOG, "only the note goes to the bot log"
            continue
        assert isinstance(content, str) and row.kind == "send_message"
        (which,) = matched
        mentioned = [int(m) for m in re.findall(r"<@!?(\d+)>", content)]
        assert "<@&" not in content and "@everyone" not in content and "@here" not in content
        if which == "log_note":
            assert row.payload["channel_id"] == BOT_LOG and row.lane == outbox.channel_lane(BOT_LOG)
            assert row.payload["allowed_mentions"] == NO_ONE
            (named,) = mentioned
            found.append((wall(row.created_at), which, named))
            continue
        if thread_row is not None:
            assert row.payload["channel_id"] == outbox.ref(thread_row, "thread_id")
        assert row.lane.startswith(f"incident:{GUILD}:")
        (to,) = row.payload["allowed_mentions"]["users"]
        assert row.payload["allowed_mentions"] == {"parse": [], "users": [to], "roles": []}
        assert mentioned == [to] and content.startswith(f"<@{to}> ")
        found.append((wall(row.created_at), which, to))
    return found


async def book(store: Store, incident_id: int = 1) -> dict[str, Any]:
    names = ("consecutive_nudges", "log_noted", "planned_kind", "planned_at")
    values = await fetch_one(
        store, f"SELECT {', '.join(names)} FROM incident_nudges WHERE incident_id = ?", incident_id
    )
    return dict(zip(names, values, strict=True))


def planned(kind: str | None, text: str | None) -> dict[str, Any]:
    return {"planned_kind": kind, "planned_at": to_db_time(paris(text)) if text else None}


# --- cadence ---------------------------------------------------------------------------------------------------


async def test_a_critical_incident_is_nudged_hourly_any_day_then_one_note_in_the_bot_log(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")  # Saturday
    thread = await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    assert {k: v for k, v in (await book(store)).items() if k.startswith("planned")} == planned(
        "cadence", "2024-10-19 13:40"
    )
    await bot.at("2024-10-20 12:00")
    assert await nudges(store, after=mark, thread_row=thread) == [
        ("Sat 19/10 13:40", "cadence", A),
        ("Sat 19/10 14:40", "cadence", A),
        ("Sat 19/10 15:40", "cadence", A),
        ("Sat 19/10 16:40", "log_note", A),
    ]
    first, *_, note = await outbox_rows(store, after=mark)
    declared_at = f"samedi 19 octobre à 12:40 ({discord_time(paris('2024-10-19 12:40'), 'R')})"
    assert first.payload["content"] == (
        f"<@{A}> Il est temps de publier une mise à jour sur {TITLE} — la dernière date du {declared_at}. "
        "Même sans nouvelle, dites-le : `/panne actualiser`."
    )
    assert note.payload["content"].startswith(
        f"{TITLE} : 3 relances sans mise à jour de <@{A}> depuis le {declared_at}."
    )
    assert await book(store) == {"consecutive_nudges": 3, "log_noted": 1, **planned(None, None)}
    assert bot.timers.jobs == {}, "nothing is planned until the next update"
    assert await bot.timers.nudging.tick(1, bot.clock.now()) is None


@pytest.mark.parametrize(
    ("severity", "cadence", "first"),
    [
        (Severity.CRITICAL, None, "2024-10-15 10:00"),
        (Severity.MAJOR, None, "2024-10-15 13:00"),
        (Severity.MINOR, None, "2024-10-16 09:00"),
        (Severity.MAJOR, {"major": 90}, "2024-10-15 10:30"),
        (Severity.MINOR, {"minor": 120}, "2024-10-15 11:00"),
        (Severity.CRITICAL, {"critical": 15}, "2024-10-15 09:15"),
    ],
)
async def test_the_first_nudge_comes_one_cadence_after_the_declaration(
    store: Store, severity: Severity, cadence: dict[str, int] | None, first: str
) -> None:
    bot = await running(store, "2024-10-15 09:00", cadence=cadence)  # a Tuesday morning
    await bot.declare(outage(severity))
    mark = await last_outbox_id(store)
    assert (await book(store))["planned_at"] == to_db_time(paris(first))
    await bot.timers.advance_to(paris(first) - timedelta(minutes=1))
    assert await nudges(store, after=mark) == []
    await bot.timers.advance_to(paris(first))
    assert await nudges(store, after=mark) == [(wall(paris(first)), "cadence", A)]


async def test_a_major_incident_is_nudged_in_working_hours_only(store: Store) -> None:
    bot = await running(store, "2024-08-19 15:00")  # Octave: Monday afternoon; 19:00 is after hours
    await bot.declare(outage(Severity.MAJOR))
    mark = await last_outbox_id(store)
    await bot.at("2024-08-23 12:00")
    assert await nudges(store, after=mark) == [
        ("Tue 20/08 09:00", "cadence", A),
        ("Tue 20/08 13:00", "cadence", A),
        ("Tue 20/08 17:00", "cadence", A),
        ("Wed 21/08 09:00", "log_note", A),  # 21:00 is after hours: the note waits for the morning too
    ]


@pytest.mark.parametrize(
    ("severity", "declared", "first"),
    [
        (Severity.MAJOR, "2024-11-08 17:00", "Tue 12/11 09:00"),  # Friday evening; Monday 11 November is off
        (Severity.MAJOR, "2024-12-24 17:00", "Thu 26/12 09:00"),  # 21:00 on the 24th, then Christmas Day
        (Severity.MINOR, "2024-12-24 10:00", "Thu 26/12 09:00"),  # 24 h later is Christmas Day
        (Severity.MINOR, "2024-05-07 10:00", "Fri 10/05 09:00"),  # 8 May (Victory Day), 9 May (Ascension)
        (Severity.CRITICAL, "2024-12-25 10:00", "Wed 25/12 11:00"),  # critical: holidays included
        (Severity.CRITICAL, "2024-11-11 03:00", "Mon 11/11 04:00"),  # and nights
    ],
)
async def test_french_public_holidays_are_quiet_for_non_critical_incidents(
    store: Store, severity: Severity, declared: str, first: str
) -> None:
    bot = await running(store, declared)
    await bot.declare(outage(severity))
    mark = await last_outbox_id(store)
    await bot.timers.advance_to(bot.clock.now() + timedelta(days=5))
    sent = await nudges(store, after=mark)
    assert sent[0] == (first, "cadence", A)


# --- the committed next update ------------------------------------------------------------------------------------


async def test_a_committed_next_update_replaces_the_cadence_and_nudges_who_committed(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    thread = await bot.declare(outage(Severity.CRITICAL))
    await bot.at("2024-10-19 13:00")
    await bot.update(UpdateInput(note="Point à 16 h.", next_update="dans 3 h"), by=YANN)
    mark = await last_outbox_id(store)
    assert {k: v for k, v in (await book(store)).items() if k.startswith("planned")} == planned(
        "next_update_due", "2024-10-19 16:00"
    )
    await bot.at("2024-10-20 12:00")
    assert await nudges(store, after=mark, thread_row=thread) == [
        ("Sat 19/10 16:00", "next_update", Y),  # not 14:00: the commitment replaces the cadence
        ("Sat 19/10 17:00", "cadence", A),  # then the cadence resumes, to the owner
        ("Sat 19/10 18:00", "cadence", A),
        ("Sat 19/10 19:00", "log_note", A),  # the commitment's nudge counted as one of the three
    ]
    (first, *_) = await outbox_rows(store, after=mark)
    due = f"samedi 19 octobre à 16:00 ({discord_time(paris('2024-10-19 16:00'), 'R')})"
    assert first.payload["content"] == (
        f"<@{Y}> Vous aviez annoncé une mise à jour de {TITLE} pour le {due} ; rien n'a été publié depuis. "
        "Publiez-la avec `/panne actualiser`, ou annoncez une nouvelle heure."
    )


async def test_a_commitment_kept_by_the_next_update_is_not_nudged(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    await bot.update(UpdateInput(note="Point à 15 h.", next_update="dans 2 h 20 min"), by=YANN)  # 15:00
    await bot.at("2024-10-19 14:55")
    await bot.update(UpdateInput(note="Toujours en cours."), by=YANN)  # no new commitment: the cadence is back
    mark = await last_outbox_id(store)
    await bot.at("2024-10-19 16:00")
    assert await nudges(store, after=mark) == [("Sat 19/10 15:55", "cadence", A)]


async def test_a_major_incidents_commitment_on_a_sunday_is_nudged_on_monday_morning(store: Store) -> None:
    bot = await running(store, "2024-10-18 17:00")  # Friday
    await bot.declare(outage(Severity.MAJOR))
    await bot.update(UpdateInput(note="Point dimanche.", next_update="dimanche 10h"), by=YANN)
    mark = await last_outbox_id(store)
    await bot.at("2024-10-21 12:00")
    assert await nudges(store, after=mark) == [("Mon 21/10 09:00", "next_update", Y)]


# --- late, stopped, closed ----------------------------------------------------------------------------------------


async def test_a_long_stop_gives_one_late_nudge_not_a_burst_and_the_cadence_counts_from_it(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    thread = await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-19 12:50")  # the bot stops here; five nudges' times pass

    back = paris("2024-10-19 18:05")
    restarted = Timers.of(store, ManualClock(back))
    await restarted.start()
    assert await nudges(store, after=mark, thread_row=thread) == [("Sat 19/10 18:05", "cadence", A)]
    assert {k: v for k, v in (await book(store)).items() if k != "log_noted"} == {
        "consecutive_nudges": 1,
        **planned("cadence", "2024-10-19 19:05"),
    }
    # A second start-up at once (a crash loop) sends nothing more.
    again = Timers.of(store, ManualClock(back + timedelta(seconds=30)))
    await again.start()
    await again.advance_to(paris("2024-10-19 19:30"))
    assert await nudges(store, after=mark) == [("Sat 19/10 18:05", "cadence", A), ("Sat 19/10 19:05", "cadence", A)]


async def test_a_major_incident_left_over_a_weekend_down_is_nudged_once_on_monday(store: Store) -> None:
    bot = await running(store, "2024-10-18 17:00")  # Friday
    await bot.declare(outage(Severity.MAJOR))
    mark = await last_outbox_id(store)
    restarted = Timers.of(store, ManualClock(paris("2024-10-21 10:30")))  # down until Monday 10:30
    await restarted.start()
    await restarted.advance_to(paris("2024-10-21 15:00"))
    assert await nudges(store, after=mark) == [("Mon 21/10 10:30", "cadence", A), ("Mon 21/10 14:30", "cadence", A)]


async def test_no_nudge_for_a_resolved_or_cancelled_incident_and_a_reopen_brings_them_back(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    await bot.declare(outage(Severity.CRITICAL, title="Doublon"))
    await bot.at("2024-10-19 13:00")
    await bot.outages.resolve(ANNE, 1, summary=None, silent=False, now=bot.clock.now())
    await bot.outages.cancel(
        ANNE, 2, reason=CancelReason.FALSE_ALARM, duplicate_of=None, note=None, now=bot.clock.now()
    )
    mark = await last_outbox_id(store)
    assert bot.timers.jobs == {}
    assert await book(store, 1) == {"consecutive_nudges": 0, "log_noted": 0, **planned(None, None)}
    assert (await book(store, 2))["planned_at"] is None
    await bot.at("2024-10-21 13:00")
    assert await bot.timers.nudging.open_incidents() == []
    for incident_id in (1, 2):
        assert await bot.timers.nudging.tick(incident_id, bot.clock.now()) is None
    restarted = Timers.of(store, ManualClock(paris("2024-10-21 13:00")))
    await restarted.start()
    assert restarted.jobs == {} and await nudges(store, after=mark) == []

    await bot.outages.reopen(ANNE, 1, reason="Rechute", now=bot.clock.now())
    mark = await last_outbox_id(store)
    await bot.at("2024-10-21 14:30")
    assert await nudges(store, after=mark) == [("Mon 21/10 14:00", "cadence", A)]


async def test_an_update_stops_the_nudges_and_starts_the_count_again(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-19 15:00")
    await bot.update(UpdateInput(note="Sauvegardes saines."))
    # The timer planned for 15:40 before the update finds nothing to send when it fires.
    assert await bot.timers.nudging.tick(1, paris("2024-10-19 15:40")) == paris("2024-10-19 16:00")
    await bot.at("2024-10-19 20:30")
    await bot.update(UpdateInput(note="Restauration en cours."))
    await bot.at("2024-10-19 21:45")
    thread_posts = {wall(r.created_at) for r in await outbox_rows(store, after=mark) if "Sauvegardes" in str(r.payload)}
    assert thread_posts, "the update itself was posted"
    assert await nudges(store, after=mark) == [
        ("Sat 19/10 13:40", "cadence", A),
        ("Sat 19/10 14:40", "cadence", A),
        ("Sat 19/10 16:00", "cadence", A),  # one cadence after the update, not 15:40
        ("Sat 19/10 17:00", "cadence", A),
        ("Sat 19/10 18:00", "cadence", A),  # three new ones before the note: the count started again
        ("Sat 19/10 19:00", "log_note", A),
        ("Sat 19/10 21:30", "cadence", A),  # after the note, the next update brings them back
    ]


async def test_a_hand_over_sends_the_next_nudges_to_the_new_owner_without_restarting_the_count(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-19 14:00")
    await bot.outages.assign(ANNE, 1, to=Y, to_roles=YANN.role_ids, now=bot.clock.now())
    await bot.at("2024-10-19 18:00")
    assert await nudges(store, after=mark) == [
        ("Sat 19/10 13:40", "cadence", A),
        ("Sat 19/10 14:40", "cadence", Y),
        ("Sat 19/10 15:40", "cadence", Y),
        ("Sat 19/10 16:40", "log_note", Y),
    ]


async def test_without_a_bot_log_channel_the_note_is_recorded_but_not_sent(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40", bot_log=None)
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-20 12:00")
    assert [which for _, which, _ in await nudges(store, after=mark)] == ["cadence"] * 3
    assert await book(store) == {"consecutive_nudges": 3, "log_noted": 1, **planned(None, None)}


async def test_a_passed_eta_is_asked_about_once_beside_the_nudges_without_counting(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(replace(outage(Severity.CRITICAL), eta="dans 2 h"))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-20 12:00")
    assert await nudges(store, after=mark) == [
        ("Sat 19/10 13:40", "cadence", A),
        ("Sat 19/10 14:40", "cadence", A),
        ("Sat 19/10 14:40", "eta", A),  # after the nudge of the same minute
        ("Sat 19/10 15:40", "cadence", A),
        ("Sat 19/10 16:40", "log_note", A),
    ]
    eta_row = (await outbox_rows(store, after=mark))[2]
    assert ", prévue le samedi 19 octobre à 14:40, est passée" in eta_row.payload["content"]


async def test_the_hourly_cadence_is_real_time_across_the_october_clock_change(store: Store) -> None:
    declared = datetime.fromisoformat("2024-10-27T01:40:00+02:00")  # 40 min before the clocks go back
    bot = await running(store, "2024-10-27 01:40")
    assert bot.clock.now() == declared
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.timers.advance_to(declared + timedelta(hours=6))
    sent = [(r.created_at, r.payload["channel_id"] == BOT_LOG) for r in await outbox_rows(store, after=mark)]
    assert sent == [
        (datetime.fromisoformat("2024-10-27T02:40:00+02:00"), False),
        (datetime.fromisoformat("2024-10-27T02:40:00+01:00"), False),  # the same wall time, an hour later
        (datetime.fromisoformat("2024-10-27T03:40:00+01:00"), False),
        (datetime.fromisoformat("2024-10-27T04:40:00+01:00"), True),
    ]


async def test_after_a_long_stop_one_tick_sends_the_late_nudge_and_the_eta_question_once_each(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(replace(outage(Severity.CRITICAL), eta="dans 2 h"))
    mark = await last_outbox_id(store)
    back = paris("2024-10-19 18:00")  # stopped since 12:40: four nudges and the ETA passed meanwhile
    assert await Timers.of(store, ManualClock(back)).nudging.tick(1, back) == paris("2024-10-19 19:00")
    assert await nudges(store, after=mark) == [("Sat 19/10 18:00", "cadence", A), ("Sat 19/10 18:00", "eta", A)]
    assert await bot.timers.nudging.tick(1, back) == paris("2024-10-19 19:00")
    assert len(await nudges(store, after=mark)) == 2


async def test_two_ticks_at_once_send_one_nudge(store: Store) -> None:
    # The incident's job and the lifecycle's after-commit hook can wake at the same moment.
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    due = paris("2024-10-19 13:40")
    nudging = bot.timers.nudging
    planned = await asyncio.gather(*(nudging.tick(1, due) for _ in range(3)))
    assert planned == [paris("2024-10-19 14:40")] * 3
    assert await nudges(store, after=mark) == [("Sat 19/10 13:40", "cadence", A)]


async def test_a_correction_neither_resets_the_count_nor_delays_the_next_nudge(store: Store) -> None:
    bot = await running(store, "2024-10-19 12:40")
    await bot.declare(outage(Severity.CRITICAL))
    mark = await last_outbox_id(store)
    await bot.at("2024-10-19 14:00")
    await bot.outages.edit(ANNE, 1, EditInput(title="Cerp Bretagne Atlantique : arrêt total"), now=bot.clock.now())
    await bot.at("2024-10-19 18:00")
    assert [(when, which) for when, which, _ in await nudges(store, after=mark)] == [
        ("Sat 19/10 13:40", "cadence"),
        ("Sat 19/10 14:40", "cadence"),  # not 15:00: an edit is not news
        ("Sat 19/10 15:40", "cadence"),
        ("Sat 19/10 16:40", "log_note"),
    ]
