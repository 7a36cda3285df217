"""Members' reports on a real SQLite file: the group each report joins, the card planned once and then edited
(edits collapsing), the alert once per group naming only the coordinator role, the rate limit, a report about a
declared outage joining it, a repeated interaction recorded once, withdrawal, abuse, a deleted card posted again,
and the summary card past the cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.reports import store as repo
from bot.reports.rules import OPEN_CARDS_CAP, ReportError, ReportState
from bot.reports.use_cases import Reports
from bot.reports.use_cases.cards import card_lane
from bot.reports.use_cases.results import ReportInput, ReportOutcome
from bot.settings.rules.config import ServerDefaults
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, COORDINATION, GUILD, NOW, PHARMACIES_ROLE, configure, lifecycle

SIGNALEMENTS = 400
JOURNAL = 401
STBRIEUC, BREST, ANGOULEME, QUIMPER = 2101, 2102, 2103, 2104


def member(user_id: int, interaction_id: int | None = None) -> Actor:
    return Actor(GUILD, user_id, frozenset({PHARMACIES_ROLE}), interaction_id)


def cerp(**more: Any) -> ReportInput:
    return ReportInput(organisation="Cerp Bretagne Atlantique", **more)


async def configured(store: Store) -> Reports:
    await configure(store)
    async with store.unit_of_work() as conn:
        await conn.execute(
            "UPDATE guild_settings SET reports_channel_id = ?, bot_log_channel_id = ? WHERE guild_id = ?",
            (SIGNALEMENTS, JOURNAL, GUILD),
        )
    return Reports(store, ServerDefaults(), lifecycle(store))


async def rows(store: Store, *, lane: str | None = None, kind: str | None = None) -> list[outbox.OutboxRow]:
    async with store.reading() as conn, conn.execute("SELECT id FROM outbox ORDER BY id") as cursor:
        ids = [int(r[0]) for r in await cursor.fetchall()]
    async with store.reading() as conn:
        found = [await outbox.get(conn, i) for i in ids]
    return [r for r in found if r is not None and lane in (None, r.lane) and kind in (None, r.kind)]


def embed_field(payload: dict[str, Any], name: str) -> str:
    return next(f["value"] for f in payload["embeds"][0]["fields"] if f["name"] == name)


async def test_reports_form_one_group_with_one_card_edited_and_one_alert(store: Store) -> None:
    reports = await configured(store)
    first = await reports.report(
        member(STBRIEUC),
        cerp(services="livraisons", since="midi", territories="22", details="Livraison de midi pas arrivée."),
        now=NOW,
    )
    assert first.outcome == ReportOutcome.RECORDED and first.group_id is not None
    lane = card_lane(GUILD, first.group_id)
    (card,) = await rows(store, lane=lane)
    assert card.kind == "send_message" and card.payload["channel_id"] == SIGNALEMENTS
    assert embed_field(card.payload, "Membres") == "1" and "22" in embed_field(card.payload, "Territoires")
    assert card.payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}

    picked = await reports.report(
        member(BREST), ReportInput(organisation="cerp bretagne-atlantique ", services="commandes"), now=NOW
    )
    assert picked.outcome == ReportOutcome.RECORDED and picked.group_id == first.group_id
    again = await reports.report(member(BREST), cerp(details="Toujours rien."), now=NOW + timedelta(minutes=3))
    assert again.outcome == ReportOutcome.AGAIN
    edits = await rows(store, lane=lane, kind="edit_message")
    assert [e.status for e in edits] == ["superseded", "pending"], "waiting edits of one card collapse"
    latest = edits[-1].payload
    assert latest["message_id"] == outbox.ref(card.id) and latest["pace_s"] == 1.0
    assert (embed_field(latest, "Membres"), embed_field(latest, "Signalements")) == ("2", "3")
    assert await rows(store, kind="send_message", lane=outbox.channel_lane(SIGNALEMENTS)) == [], "no alert yet"

    third = await reports.report(member(ANGOULEME), cerp(territories="16"), now=NOW + timedelta(minutes=9))
    assert third.outcome == ReportOutcome.RECORDED
    (alert,) = await rows(store, kind="send_message", lane=outbox.channel_lane(SIGNALEMENTS))
    assert alert.payload["allowed_mentions"] == {"parse": [], "users": [], "roles": [COORDINATION]}
    head, link = alert.payload["content"]["$concat"]
    assert head.startswith(f"<@&{COORDINATION}> ") and "Cerp Bretagne Atlantique" in head
    assert link["$ref"] == card.id and link["format"].endswith(f"/{GUILD}/{SIGNALEMENTS}/{{}}")
    # A fourth member: counted, but the group alerted once.
    await reports.report(member(QUIMPER), cerp(), now=NOW + timedelta(minutes=10))
    assert len(await rows(store, kind="send_message", lane=outbox.channel_lane(SIGNALEMENTS))) == 1


async def test_a_fourth_report_within_ten_minutes_is_refused_and_the_others_are_kept(store: Store) -> None:
    reports = await configured(store)
    for minute, organisation in enumerate(("Alliance Healthcare", "OCP", "Phoenix")):
        await reports.report(member(BREST), ReportInput(organisation=organisation), now=NOW + timedelta(minutes=minute))
    with pytest.raises(ReportError) as refused:
        await reports.report(member(BREST), ReportInput(organisation="Giphar"), now=NOW + timedelta(minutes=2))
    assert refused.value.message_id == "report.error.too_many"
    assert refused.value.args_map["retry"] == int((NOW + timedelta(minutes=10)).timestamp())
    async with store.reading() as conn:
        kept = await repo.recent_report_times(conn, GUILD, BREST, since=NOW - timedelta(hours=1))
    assert len(kept) == 3
    # Another member is not held back by it.
    await reports.report(member(QUIMPER), ReportInput(organisation="Giphar"), now=NOW + timedelta(minutes=2))


async def test_a_report_about_a_declared_outage_joins_it(store: Store) -> None:
    reports = await configured(store)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    result = await reports.report(member(QUIMPER), ReportInput(organisation="CERP Bretagne Atlantique"), now=NOW)
    assert (result.outcome, result.number) == (ReportOutcome.DECLARED, 1)
    shown = await lifecycle(store).show(GUILD, 1)
    assert shown.stored.incident.affected_count == 1
    assert [r.payload["user_id"] for r in await rows(store, kind="add_role")] == [QUIMPER], "they follow it"
    assert await rows(store, kind="send_message", lane=outbox.channel_lane(SIGNALEMENTS)) == []
    async with store.reading() as conn:
        assert await repo.open_groups(conn, GUILD) == [], "no card"


async def test_the_same_interaction_twice_records_one_report(store: Store) -> None:
    reports = await configured(store)
    first = await reports.report(member(BREST, interaction_id=77), cerp(), now=NOW)
    repeated = await reports.report(member(BREST, interaction_id=77), cerp(), now=NOW)
    assert repeated.replayed and repeated.report_id == first.report_id
    async with store.reading() as conn:
        assert len(await repo.group_reports(conn, first.group_id or 0)) == 1


async def test_a_member_withdraws_their_report_and_an_empty_group_ends(store: Store) -> None:
    reports = await configured(store)
    mine = await reports.report(member(BREST), cerp(), now=NOW)
    with pytest.raises(Exception) as refused:
        await reports.withdraw(member(QUIMPER), mine.report_id, now=NOW)
    assert getattr(refused.value, "message_id", None) == "report.error.not_yours"
    done = await reports.withdraw(member(BREST), mine.report_id, now=NOW)
    assert done.withdrawn
    again = await reports.withdraw(member(BREST), mine.report_id, now=NOW)
    assert not again.withdrawn
    async with store.reading() as conn:
        group = await repo.get_group(conn, mine.group_id or 0)
    assert group is not None and group.status == "withdrawn"
    later = await reports.report(member(QUIMPER), cerp(), now=NOW + timedelta(minutes=1))
    assert later.group_id != mine.group_id, "a new group once the first ended"


async def test_reports_of_a_member_marked_as_abusive_count_nowhere(store: Store) -> None:
    reports = await configured(store)
    async with store.unit_of_work() as conn:
        await repo.mark_abuse(conn, GUILD, BREST, until=NOW + timedelta(hours=24), by=ANNE.user_id, at=NOW)
    result = await reports.report(member(BREST), cerp(), now=NOW)
    assert result.outcome == ReportOutcome.RECORDED and result.group_id is None
    assert await rows(store) == [], "no card, no alert"
    async with store.reading() as conn:
        found = await repo.get_report(conn, result.report_id)
    assert found is not None and found.state == ReportState.ABUSE


async def test_a_card_found_deleted_is_posted_again_at_the_next_report(store: Store) -> None:
    reports = await configured(store)
    first = await reports.report(member(BREST), cerp(), now=NOW)
    (card,) = await rows(store, lane=card_lane(GUILD, first.group_id or 0))
    async with store.unit_of_work() as conn:
        await outbox.mark_done(conn, card.id, {"message_id": "9001", "channel_id": str(SIGNALEMENTS)}, now=NOW)
    await reports.report(member(QUIMPER), cerp(), now=NOW)
    (edit,) = await rows(store, kind="edit_message")
    async with store.unit_of_work() as conn:
        await outbox.mark_failed(conn, edit.id, status=404, code=10008, text="Unknown Message", now=NOW)
    await reports.report(member(ANGOULEME), cerp(), now=NOW)
    posts = await rows(store, kind="send_message", lane=card_lane(GUILD, first.group_id or 0))
    assert len(posts) == 2 and embed_field(posts[-1].payload, "Membres") == "3"


async def test_past_the_cap_new_groups_share_the_summary_card(store: Store) -> None:
    reports = await configured(store)
    for index in range(OPEN_CARDS_CAP + 2):
        reporter = replace(member(3000 + index))
        await reports.report(reporter, ReportInput(organisation=f"Structure {index}"), now=NOW)
    async with store.reading() as conn:
        assert await repo.open_carded_count(conn, GUILD) == OPEN_CARDS_CAP
        listed = await repo.summary_groups(conn, GUILD)
    assert [g.organisation for g in listed] == [f"Structure {OPEN_CARDS_CAP}", f"Structure {OPEN_CARDS_CAP + 1}"]
    summary = await rows(store, lane=card_lane(GUILD, "summary"))
    assert [r.kind for r in summary] == ["send_message", "edit_message"]
    description = summary[-1].payload["embeds"][0]["description"]
    assert f"Structure {OPEN_CARDS_CAP}" in description and f"Structure {OPEN_CARDS_CAP + 1}" in description


async def test_a_member_without_the_reports_role_is_refused(store: Store) -> None:
    reports = await configured(store)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE guild_settings SET reports_role_id = 999 WHERE guild_id = ?", (GUILD,))
    with pytest.raises(Exception) as refused:
        await reports.report(member(BREST), cerp(), now=NOW)
    assert getattr(refused.value, "message_id", None) == "report.error.role_only"
    allowed = Actor(GUILD, BREST, frozenset({999}))
    assert (await reports.report(allowed, cerp(), now=NOW)).outcome == ReportOutcome.RECORDED


async def test_setup_reports_sets_where_cards_go_who_may_report_and_the_alert_rule(store: Store) -> None:
    from bot.settings.rules.check import build_check
    from bot.settings.rules.model import ChannelFacts, RoleFacts, SetupError
    from bot.settings.use_cases import load_config, load_view, set_reports

    await configure(store)
    admin = Actor(GUILD, 1)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE guild_settings SET bot_log_channel_id = ? WHERE guild_id = ?", (JOURNAL, GUILD))
    async with store.reading() as conn:
        assert (await load_config(conn, GUILD, ServerDefaults())).report_cards_channel_id == JOURNAL, "bot log first"
    with pytest.raises(SetupError):
        await set_reports(store, admin, channel=None, role=None, threshold=None, window=None, now=NOW)
    with pytest.raises(ReportError):
        await set_reports(store, admin, channel=None, role=None, threshold=1, window=None, now=NOW)
    channel = ChannelFacts(SIGNALEMENTS, "text", "signalements", frozenset({"view", "send"}))
    outcome = await set_reports(
        store, admin, channel=channel, role=RoleFacts(999, "pharmaciens"), threshold=4, window=30, now=NOW
    )
    said = [line.message_id for line in outcome.lines]
    assert said == [
        "setup.done.reports_channel",
        "setup.warn.missing_permissions",
        "setup.done.reports_role",
        "setup.done.reports_alert",
    ]
    async with store.reading() as conn:
        config = await load_config(conn, GUILD, ServerDefaults())
    assert (config.report_cards_channel_id, config.reports_role_id) == (SIGNALEMENTS, 999)
    assert (config.report_alert_members, config.report_alert_window_min) == (4, 30)
    everyone = RoleFacts(GUILD, "@everyone", is_default=True)
    await set_reports(store, admin, channel=None, role=everyone, threshold=None, window=None, now=NOW)
    view = await load_view(store, admin)
    assert view.config.reports_role_id is None and view.config.report_alert_members == 4
    report = build_check(view, {SIGNALEMENTS: channel}, {}, can_manage_roles=True, failed=[])
    (checked,) = [c for c in report.channels if c.channel_id == SIGNALEMENTS]
    assert checked.uses == ("reports",) and checked.missing == ("embed_links", "read_history")


async def test_a_report_holds_the_write_lock_for_few_trips_to_the_database(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every statement is a trip to aiosqlite's thread and back through the event loop, and under load each trip
    waits its turn in the loop while the write lock is held: every other report and the outbox wait behind it.
    A report that edits its group's card makes few of them (reads in one trip, inserts in one trip)."""
    reports = await configured(store)
    await reports.report(member(STBRIEUC), cerp(services="livraisons"), now=NOW)
    writer, lock = store._writer, store._write_lock  # the connection and the lock a unit of work holds
    trips: list[str] = []
    real = writer._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        if lock.locked():
            trips.append(str(args[0])[:40] if args else getattr(fn, "__name__", "?"))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(writer, "_execute", counted)
    said = await reports.report(
        member(BREST, interaction_id=9001), cerp(services="commandes"), now=NOW + timedelta(minutes=1)
    )
    assert said.outcome == ReportOutcome.RECORDED
    assert len(trips) <= 18, (len(trips), trips)  # 26 when reads took three trips and inserts two
