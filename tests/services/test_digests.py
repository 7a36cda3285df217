"""Digests on a real SQLite file: set up from /setup, sent when due with what the period saw, moved off days off
covering the days between, sent once and tagged late when their time passed while the bot was down, quiet ones
said in one line or skipped."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.digests.rules import Every, WhenQuiet
from bot.digests.use_cases import Digests
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.settings.rules.config import ServerDefaults
from bot.settings.rules.model import ChannelFacts, SetupError
from bot.storage.store import Store
from tests.domain.outage_examples import paris
from tests.services.test_board import ADMIN, channel
from tests.services.test_lifecycle import ANNE, CERP, GUILD, configure

RECAP = 701


async def sent(store: Store) -> list[dict[str, Any]]:
    async with store.reading() as conn:
        rows = await conn.execute_fetchall(
            "SELECT payload FROM outbox WHERE lane = ? ORDER BY id", (f"channel:{RECAP}",)
        )
    return [json.loads(r[0]) for r in rows]


def said(payload: dict[str, Any]) -> str:
    parts = [payload.get("content", "")]
    for embed in payload.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
    return "\n".join(parts)


@pytest.fixture
async def ready(store: Store) -> tuple[Store, Lifecycle, Digests]:
    await configure(store)
    return store, Lifecycle(store, ServerDefaults()), Digests(store, ServerDefaults())


async def add_daily(digests: Digests, **more: Any) -> tuple[int, Any]:
    options: dict[str, Any] = {
        "every": Every.DAY,
        "weekday": None,
        "at": "18h",
        "working_days_only": False,
        "when_quiet": WhenQuiet.SAY,
        **more,
    }
    added = await digests.add(ADMIN, channel(RECAP), now=paris(2024, 10, 31, 10), **options)
    return added.digest_id, added.due


async def test_a_daily_digest_tells_what_is_open_declared_and_resolved_since_the_last(
    ready: tuple[Store, Lifecycle, Digests],
) -> None:
    store, lifecycle, digests = ready
    digest_id, due = await add_daily(digests)
    assert due == paris(2024, 10, 31, 18)
    assert await digests.send_due(digest_id, now=paris(2024, 10, 31, 17)) == due, "not before its time"
    assert await sent(store) == []
    await lifecycle.declare(ANNE, replace(CERP, started="aujourd'hui 11h"), now=paris(2024, 10, 31, 11))
    await lifecycle.declare(ANNE, replace(CERP, title="Mairie", started="aujourd'hui 12h"), now=paris(2024, 10, 31, 12))
    await lifecycle.resolve(ANNE, 2, summary=None, silent=False, now=paris(2024, 10, 31, 15))
    assert await digests.send_due(digest_id, now=due) == paris(2024, 11, 1, 18)
    (message,) = await sent(store)
    text = said(message)
    assert "🗞️ Récapitulatif du jour" in text and "En retard" not in text
    assert "En cours (1)" in text and "#1 · Cerp Bretagne Atlantique à l'arrêt" in text and "7 h jusqu'ici" in text
    assert "Déclarés (2)" in text and "Résolus (1)" in text and "résolu en 3 h" in text
    assert message["allowed_mentions"] == {"parse": [], "users": [], "roles": []} and message["silent"] is True
    # The next one covers from there: nothing new, but #1 is still open.
    await digests.send_due(digest_id, now=paris(2024, 11, 1, 18))
    text = said((await sent(store))[-1])
    assert "En cours (1)" in text and "Déclarés" not in text and "Résolus" not in text


async def test_off_days_are_skipped_and_covered_by_the_next_working_day(
    ready: tuple[Store, Lifecycle, Digests],
) -> None:
    store, lifecycle, digests = ready
    digest_id, due = await add_daily(digests, working_days_only=True)
    assert due == paris(2024, 10, 31, 18)
    # Friday 1 November is a public holiday: Thursday's digest is followed by Monday's, which covers the weekend.
    assert await digests.send_due(digest_id, now=due) == paris(2024, 11, 4, 18)
    await lifecycle.declare(ANNE, replace(CERP, started="samedi 9h"), now=paris(2024, 11, 2, 9))
    await digests.send_due(digest_id, now=paris(2024, 11, 4, 18))
    text = said((await sent(store))[-1])
    assert f"Début : <t:{int(paris(2024, 10, 31, 18).timestamp())}:f>" in text and "Déclarés (1)" in text


async def test_a_digest_due_while_the_bot_was_down_is_sent_once_tagged_late(
    ready: tuple[Store, Lifecycle, Digests],
) -> None:
    store, _, digests = ready
    digest_id, due = await add_daily(digests)
    # Down from Thursday 17:00 to Saturday 9:00: one digest, late, and the next one is Saturday's.
    assert await digests.send_due(digest_id, now=paris(2024, 11, 2, 9)) == paris(2024, 11, 2, 18)
    (message,) = await sent(store)
    assert message["content"].startswith("🗞️ Rien à signaler. Début : ") and "⏰ En retard" in message["content"]
    assert f"<t:{int(due.timestamp())}:f>" in message["content"]
    assert await digests.due_times() == [(digest_id, paris(2024, 11, 2, 18))]


async def test_a_quiet_digest_can_be_skipped_and_setup_checks_its_input(
    ready: tuple[Store, Lifecycle, Digests],
) -> None:
    store, _, digests = ready
    digest_id, due = await add_daily(digests, when_quiet=WhenQuiet.SKIP)
    assert await digests.send_due(digest_id, now=due) is not None
    assert await sent(store) == []
    with pytest.raises(SetupError) as twin:
        await add_daily(digests)
    assert twin.value.message_id == "digest.error.exists"
    with pytest.raises(SetupError):
        await add_daily(digests, every=Every.WEEK)  # no day
    with pytest.raises(SetupError):
        await digests.add(ADMIN, ChannelFacts(RECAP, "forum"), every=Every.DAY, weekday=None, at="18h",
                          working_days_only=False, when_quiet=WhenQuiet.SAY, now=paris(2024, 10, 31, 10))  # fmt: skip
    weekly = await digests.add(
        ADMIN, channel(RECAP), every=Every.WEEK, weekday=1, at="9h", working_days_only=False,
        when_quiet=WhenQuiet.SAY, now=paris(2024, 10, 31, 10),
    )  # fmt: skip
    assert weekly.due == paris(2024, 11, 4, 9)
    assert len(await digests.listed(GUILD)) == 2
    removed = await digests.remove(ADMIN, str(digest_id), now=paris(2024, 10, 31, 11))
    assert removed.digest_id == digest_id and len(await digests.listed(GUILD)) == 1
    assert await digests.send_due(digest_id, now=paris(2024, 11, 5, 18)) is None, "a removed digest stops"
    with pytest.raises(SetupError):
        await digests.remove(replace(ADMIN, guild_id=GUILD + 1), str(weekly.digest_id), now=paris(2024, 10, 31, 11))
