"""The incidents repository on a real SQLite file: round trips, the version guard, the append-only timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiosqlite
import pytest

from bot.incidents import store as repo
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Cause, Incident, IncidentService, ServiceState, Severity, Status, Workaround
from bot.storage.store import Store

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)


def incident(number: int, *, title: str = "Cerp à l'arrêt", status: Status = Status.INVESTIGATING) -> Incident:
    return Incident(
        guild_id=1,
        number=number,
        title=title,
        sector="pharmacie",
        territories=("R53", "29"),
        severity=Severity.CRITICAL,
        cause=Cause.UNKNOWN,
        status=status,
        started_at=NOW - timedelta(hours=1),
        declared_at=NOW,
        declared_by=7,
        owner_id=7,
        updated_at=NOW,
        workaround=Workaround(version=2, text="Dilicom", set_at=NOW, set_by=7),
        services=(
            IncidentService(name="Commandes", key="commandes", state=ServiceState.DOWN, since=NOW, affected_since=NOW),
        ),
        eta=NOW + timedelta(days=2),
    )


async def test_an_incident_round_trips_and_the_version_guards_concurrent_writers(store: Store) -> None:
    async with store.unit_of_work() as conn:
        incident_id = await repo.insert(conn, incident(1), incident_channel_id=100)
        stored = await repo.get(conn, 1, 1)
    assert stored is not None and stored.id == incident_id and stored.incident == incident(1)
    async with store.unit_of_work() as conn:
        saved = await repo.save(conn, stored, replace(stored.incident, affected_count=3))
        with pytest.raises(repo.ConcurrentChangeError):
            await repo.save(conn, stored, replace(stored.incident, affected_count=4))
    assert saved.version == stored.version + 1
    async with store.reading() as conn:
        again = await repo.get(conn, 1, 1)
    assert again is not None and again.incident.affected_count == 3


async def test_the_timeline_is_append_only(store: Store) -> None:
    async with store.unit_of_work() as conn:
        incident_id = await repo.insert(conn, incident(1), incident_channel_id=100)
        await repo.append_updates(
            conn, incident_id, [Update(UpdateKind.NOTE, NOW, 7, details={"text": "x"})], thread_post_row=None
        )
    with pytest.raises(aiosqlite.Error):
        async with store.unit_of_work() as conn:
            await conn.execute("DELETE FROM updates")
    async with store.reading() as conn:
        assert [e.details for e in await repo.timeline(conn, incident_id)] == [{"text": "x"}]


async def test_handled_interactions_and_member_clicks_count_once(store: Store) -> None:
    async with store.unit_of_work() as conn:
        incident_id = await repo.insert(conn, incident(1), incident_channel_id=100)
        await repo.remember_handled(conn, 55, guild_id=1, action="outage declare", result={"number": 1}, at=NOW)
        assert await repo.handled(conn, 55) == {"number": 1}
        assert await repo.handled(conn, 56) is None
        assert await repo.add_affected(conn, incident_id, 9, at=NOW)
        assert not await repo.add_affected(conn, incident_id, 9, at=NOW)


async def test_search_and_list_use_numbers_words_statuses_and_territories(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.insert(conn, incident(1, status=Status.RESOLVED), incident_channel_id=100)
        await repo.insert(conn, incident(2, title="Octave rançongiciel"), incident_channel_id=100)
        await repo.insert(conn, incident(12, title="Mairie d'Angoulême"), incident_channel_id=100)
        assert [s.number for s in await repo.search(conn, 1, "")] == [12, 2, 1]
        assert [s.number for s in await repo.search(conn, 1, "1")] == [1, 12]
        assert [s.number for s in await repo.search(conn, 1, "octave")] == [2]
        assert await repo.search(conn, 2, "") == []  # another server's incidents are never offered
        listed = await repo.list_incidents(conn, 1, statuses=["resolved"], territory_refs=["29"])
        assert [s.number for s in listed] == [1]
        assert await repo.list_incidents(conn, 1, statuses=["investigating"], territory_refs=["R76"]) == []
        assert await repo.next_number(conn, 1) == 13
