"""Autocomplete of incidents through the full-text index of migration 0004, kept in step by triggers."""

from __future__ import annotations

from dataclasses import replace

from bot.incidents import store as repo
from bot.incidents.rules.model import Status
from bot.storage.store import Store
from tests.db.test_incidents_repo import incident


async def numbers(store: Store, typed: str, guild_id: int = 1) -> list[int]:
    async with store.reading() as conn:
        return [s.number for s in await repo.search(conn, guild_id, typed)]


async def test_words_match_the_start_of_title_words_whatever_the_accents_and_case(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.insert(conn, incident(1, title="Octave : rançongiciel"), incident_channel_id=100)
        await repo.insert(conn, incident(2, title="Mairie d'Angoulême à l'arrêt"), incident_channel_id=100)
        await repo.insert(conn, incident(3, title="Cerp Bretagne Atlantique"), incident_channel_id=100)
    assert await numbers(store, "RANCON") == [1]
    assert await numbers(store, "angouleme arr") == [2]
    assert await numbers(store, "bretagne cerp") == [3]
    assert await numbers(store, "tagne") == []  # words are completed from their start
    assert await numbers(store, 'oct" OR cerp') == []  # what is typed is never query syntax
    assert await numbers(store, "…") == [3, 2, 1]  # nothing searchable typed: the newest


async def test_the_typed_number_first_then_open_then_closed_newest_first(store: Store) -> None:
    async with store.unit_of_work() as conn:
        for number in (1, 2, 3, 12, 120):
            status = Status.RESOLVED if number in (2, 120) else Status.INVESTIGATING
            await repo.insert(conn, incident(number, title=f"Panne {number}", status=status), incident_channel_id=100)
    assert await numbers(store, "") == [12, 3, 1, 120, 2]
    assert await numbers(store, "#12") == [12, 120]
    assert await numbers(store, "1") == [1, 12, 120]  # the number itself, then numbers starting with it
    assert await numbers(store, "panne 2") == [2]


async def test_the_index_follows_title_and_status_changes_and_servers_stay_apart(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await repo.insert(conn, incident(1, title="Cerp à l'arrêt"), incident_channel_id=100)
        await repo.insert(conn, incident(2, title="Octave"), incident_channel_id=100)
        await repo.insert(conn, replace(incident(1, title="Cerp ailleurs"), guild_id=2), incident_channel_id=100)
    assert await numbers(store, "") == [2, 1]
    async with store.unit_of_work() as conn:
        stored = await repo.get(conn, 1, 2)
        assert stored is not None
        await repo.save(conn, stored, replace(stored.incident, title="Dilicom", status=Status.RESOLVED))
    assert await numbers(store, "octave") == []
    assert await numbers(store, "dilicom") == [2]
    assert await numbers(store, "") == [1, 2]  # resolved now: after the open one
    assert await numbers(store, "ailleurs") == []
    assert await numbers(store, "ailleurs", guild_id=2) == [1]
