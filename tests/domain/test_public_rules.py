"""What the public page may show: whatever the incident, its timeline, its members and its flags, nothing private
reaches the page (no member id, no internal or bookkeeping entry, no private or cancelled incident), and every
text typed comes out inert."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import feedparser
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.common import territories
from bot.common.i18n import default_catalogue
from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Cause, Incident, IncidentService, ServiceState, Severity, Status, Workaround
from bot.maintenance.rules import Maintenance, Stage, Told, ToldMessage
from bot.public.presentation import PublicPresenter, api
from bot.public.presentation.feeds import FeedWriter
from bot.public.rules import (
    FEED_ENTRIES,
    PUBLIC_KINDS,
    PublicIncident,
    Scope,
    SlugError,
    check_slug,
    in_scope,
    maintenance_changes_at,
    maintenance_news,
    maintenance_on_page,
    maintenance_state,
    public_incident,
    public_maintenance,
    public_update,
    sector_scope,
    shown_on_page,
    territory_scope,
)

START = datetime(2024, 10, 19, 10, 0, tzinfo=UTC)
NOW = START + timedelta(days=4)
SECRET = "SECRETINTERNE"
HOSTILE = [
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    '"><img src=x onerror=alert(1)>',
    "\u202egnp.exe",
    "&amp;",
    "</bdi>",
    "é",
    "a" * 50,
    " ",
    "\x1b\x00",
]
REFS = [t.ref for t in territories.all_territories()][:40]
presenter = PublicPresenter(default_catalogue(), ZoneInfo("Europe/Paris"))
writer = FeedWriter(default_catalogue())
validator = jsonschema.Draft202012Validator(api.schema(), format_checker=jsonschema.FormatChecker())


def public_text(max_size: int = 8) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=max_size).map("".join)


member_ids = st.integers(10**17, 10**18 - 1)


@st.composite
def private_entry(draw: st.DrawFn, members: list[int]) -> Update:
    """An entry that must never show: bookkeeping, or news a coordinator marked internal."""
    at = START + timedelta(minutes=draw(st.integers(1, 3000)))
    by = draw(st.sampled_from(members))
    kind = draw(st.sampled_from([UpdateKind.ASSIGNED, UpdateKind.AFFECTED, UpdateKind.EDITED, "internal"]))
    if kind == UpdateKind.ASSIGNED:
        return Update(kind, at, by, details={"from": by, "to": draw(st.sampled_from(members))})
    if kind == UpdateKind.AFFECTED:
        return Update(kind, at, by, details={"count": draw(st.integers(0, 10**6))})
    if kind == UpdateKind.EDITED:
        return Update(kind, at, by, details={"changes": [{"field": "title", "from": SECRET, "to": SECRET}]})
    news = draw(st.sampled_from([UpdateKind.NOTE, UpdateKind.STATUS_CHANGED, UpdateKind.WORKAROUND_CHANGED]))
    return Update(news, at, by, details={"internal": True, "text": f"{SECRET} {by}", "to": "monitoring"})


@st.composite
def public_entry(draw: st.DrawFn, members: list[int]) -> Update:
    at = START + timedelta(minutes=draw(st.integers(1, 3000)))
    by = draw(st.sampled_from(members))
    kind = draw(st.sampled_from(sorted(PUBLIC_KINDS - {UpdateKind.DECLARED})))
    details: dict[str, object] = {"text": draw(public_text())}
    if kind in (UpdateKind.STATUS_CHANGED, UpdateKind.REOPENED):
        details["to"] = draw(st.sampled_from(["investigating", "identified", "monitoring"]))
    elif kind == UpdateKind.SEVERITY_CHANGED:
        details["to"] = draw(st.sampled_from([s.value for s in Severity]))
    elif kind == UpdateKind.ETA_CHANGED:
        details["to"] = draw(st.none() | st.just((START + timedelta(days=1)).isoformat()))
    elif kind == UpdateKind.SERVICES_CHANGED:
        details["changes"] = [{"key": "k", "name": draw(public_text(3)), "to": "restored"}]
    return Update(kind, at, by, details=details)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Incident, list[Update], list[int], bool]:
    members = draw(st.lists(member_ids, min_size=1, max_size=5, unique=True))
    status = draw(st.sampled_from(list(Status)))
    workaround = draw(st.none() | public_text())
    services = tuple(
        IncidentService(
            name=draw(public_text(3)),
            key=f"s{i}",
            state=draw(st.sampled_from(list(ServiceState))),
            since=START,
            affected_since=START,
        )
        for i in range(draw(st.integers(0, 3)))
    )
    incident = Incident(
        guild_id=1,
        number=draw(st.integers(1, 10**6)),
        title=draw(public_text()),
        organisation=draw(st.none() | public_text()),
        description=draw(st.none() | public_text()),
        impact=draw(st.none() | public_text()),
        sector=draw(public_text(2)),
        territories=tuple(draw(st.lists(st.sampled_from(REFS), min_size=1, max_size=3, unique=True))),
        severity=draw(st.sampled_from(list(Severity))),
        cause=draw(st.sampled_from(list(Cause))),
        status=status,
        started_at=START,
        declared_at=START,
        declared_by=members[0],
        owner_id=members[-1],
        updated_at=START,
        next_update_by=members[0],
        workaround=Workaround(version=1, text=workaround, set_at=START, set_by=members[0]) if workaround else None,
        services=services,
        resolved_at=START + timedelta(days=2) if status == Status.RESOLVED else None,
        resolution_note=SECRET if status == Status.RESOLVED else None,
    )
    entries = [Update(UpdateKind.DECLARED, START, members[0])]
    entries += draw(st.lists(public_entry(members) | private_entry(members), max_size=8))
    return incident, entries, members, draw(st.booleans())


def both_pages(view: PublicIncident, server_name: str = "Coordination") -> list[str]:
    pages = []
    sector = Scope("sector", view.sector_key)
    for language in ("fr", "en"):
        pages.append(presenter.server_page(language, slug="cerp", server_name=server_name, incidents=[view], now=NOW))
        pages.append(
            presenter.server_page(
                language, slug="cerp", server_name=server_name, incidents=[view], now=NOW, scope=sector, scope_name="s"
            )
        )
        pages.append(presenter.incident_page(language, slug="cerp", server_name=server_name, incident=view, now=NOW))
    return pages


def feeds_and_documents(view: PublicIncident, server_name: str = "Coordination") -> tuple[list[str], list[str]]:
    """The feeds (server's, sector's, territory's, in both languages) and the API's documents of one incident, each
    checked as its reader would: feedparser without a fault, the schema shipped."""
    feeds = []
    for language in ("fr", "en"):
        for scope in (Scope(), Scope("sector", view.sector_key), Scope("territory", view.territories[0])):
            written = writer.feed(
                guild_id=1,
                slug="cerp",
                server_name=server_name,
                language=language,
                zone=ZoneInfo("Europe/Paris"),
                incidents=[view],
                since=START,
                scope=scope,
                scope_name=view.sector,
            ).decode("utf-8")
            parsed = feedparser.parse(written)
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert [entry.id for entry in parsed.entries] == [u.uid for u in view.updates][:FEED_ENTRIES]
            feeds.append(written)
    documents = [
        api.summary("cerp", server_name, "fr", (view,)),
        api.incident_list("cerp", server_name, "fr", (view,), page=1, per_page=50, total=1),
        api.incident_document("cerp", server_name, "fr", view),
    ]
    for document in documents:
        assert document.isascii() and not re.search(r"[<>&]", document)
        validator.validate(json.loads(document))
    return feeds, documents


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_nothing_private_reaches_a_page(case: tuple[Incident, list[Update], list[int], bool]) -> None:
    incident, entries, members, public = case
    view = public_incident(incident, entries, public=public, now=NOW)
    if not public or incident.status == Status.CANCELLED:
        assert view is None
        return
    assert view is not None
    assert len(view.updates) == sum(1 for e in entries if e.kind in PUBLIC_KINDS and not e.details.get("internal"))
    for page in both_pages(view):
        assert SECRET not in page
        for member in members:
            assert str(member) not in page
        # Typed text is inert: no tag, attribute or link of its own; direction overrides stay inside <bdi>.
        assert "<script" not in page and "<img" not in page and "onerror=" not in page.replace("onerror=alert", "")
        assert not re.search(r'href="\s*javascript', page)
        assert page.count("<bdi>") == page.count("</bdi>"), "a typed </bdi> cannot close the isolation"
        assert escape(incident.title) in page
    feeds, documents = feeds_and_documents(view)
    for written in feeds:
        assert SECRET not in written and not any(str(member) in written for member in members)
        assert "<script" not in written and "<img" not in written and "\x1b" not in written
    for document in documents:
        assert SECRET not in document and not any(str(member) in document for member in members)
    one = json.loads(documents[2])["incident"]
    assert one["title"] == incident.title and len(one["updates"]) == len(view.updates)


def test_ten_thousand_hostile_characters_in_every_public_field_stay_inert() -> None:
    """Beyond what Discord lets a coordinator type: every text the public sees, 10,000 characters of markup, links,
    direction overrides and control characters."""
    long = ("<script>alert(1)</script>javascript:alert(1)\u202e\x1b\"'&" * 200)[:10_000]
    incident = Incident(
        guild_id=1,
        number=7,
        title=long,
        organisation=long,
        description=long,
        impact=long,
        sector=long,
        territories=("29",),
        severity=Severity.MAJOR,
        cause=Cause.UNKNOWN,
        status=Status.MONITORING,
        started_at=START,
        declared_at=START,
        declared_by=10**17,
        owner_id=10**17,
        updated_at=START,
        workaround=Workaround(version=1, text=long, set_at=START, set_by=10**17),
        services=(IncidentService(name=long, key="k", state=ServiceState.DOWN, since=START, affected_since=START),),
    )
    entries = [
        Update(UpdateKind.DECLARED, START, 10**17),
        Update(UpdateKind.NOTE, START + timedelta(minutes=1), 10**17, details={"text": long}),
        Update(
            UpdateKind.SERVICES_CHANGED,
            START + timedelta(minutes=2),
            10**17,
            details={"changes": [{"key": "k", "name": long, "to": "degraded"}]},
        ),
    ]
    view = public_incident(incident, entries, public=True, now=NOW)
    assert view is not None
    for page in both_pages(view, server_name=long):
        assert "<script" not in page and 'href="javascript' not in page and "&lt;script&gt;" in page
        assert page.count("<bdi>") == page.count("</bdi>")
    feeds, documents = feeds_and_documents(replace(view), server_name=long)
    for written in feeds:
        assert "<script" not in written and "\x1b" not in written and "&lt;script&gt;" in written
        parsed = feedparser.parse(written)
        assert parsed.feed.author == long.replace("\x1b", "") and parsed.entries[0].content[0].type == "text/plain"
    for document in documents:
        decoded = json.loads(document)
        assert decoded["server"]["name"] == long
    assert json.loads(documents[2])["incident"]["updates"][1]["text"] == long


def test_bookkeeping_and_internal_entries_have_no_public_form() -> None:
    for kind in (UpdateKind.ASSIGNED, UpdateKind.AFFECTED, UpdateKind.EDITED, UpdateKind.NEXT_UPDATE_SET):
        assert public_update(Update(kind, START, 42, details={"text": SECRET})) is None
    assert public_update(Update(UpdateKind.NOTE, START, 42, details={"text": SECRET, "internal": True})) is None
    shown = public_update(Update(UpdateKind.NOTE, START, 42, details={"text": "Rien de neuf."}))
    assert shown is not None and shown.text == "Rien de neuf." and not hasattr(shown, "by")


def plain(
    number: int = 1, status: Status = Status.INVESTIGATING, *, territories: tuple[str, ...] = ("29",), **more: object
) -> PublicIncident:
    """A public incident with nothing typed beyond its number, status and territories."""
    fields: dict[str, object] = {
        "guild_id": 1,
        "number": number,
        "title": f"n{number}",
        "sector": "pharmacie",
        "territories": territories,
        "severity": Severity.MAJOR,
        "cause": Cause.UNKNOWN,
        "status": status,
        "started_at": START,
        "declared_at": START,
        "declared_by": 1,
        "owner_id": 1,
        "updated_at": START,
    }
    view = public_incident(Incident(**{**fields, **more}), [], public=True, now=NOW)  # type: ignore[arg-type]
    assert view is not None
    return view


def test_the_page_lists_open_incidents_first_then_the_last_90_days() -> None:
    def made(number: int, status: Status, resolved_days_ago: int | None = None) -> PublicIncident:
        resolved = NOW - timedelta(days=resolved_days_ago) if resolved_days_ago is not None else None
        return plain(number, status, started_at=START - timedelta(days=200), resolved_at=resolved)

    listed = [
        made(1, Status.RESOLVED, 10),
        made(2, Status.INVESTIGATING),
        made(3, Status.RESOLVED, 91),
        made(4, Status.RESOLVED, 2),
        made(5, Status.MONITORING),
    ]
    assert [i.number for i in shown_on_page(listed, now=NOW)] == [2, 5, 4, 1] or [
        i.number for i in shown_on_page(listed, now=NOW)
    ] == [5, 2, 4, 1]


@pytest.mark.parametrize("typed", ["cerp-bretagne", "ARS29", "a", "x" * 40])
def test_a_good_short_name(typed: str) -> None:
    assert check_slug(typed) == typed.lower()


@pytest.mark.parametrize("typed", ["", "-cerp", "cerp-", "cerp bretagne", "é", "x" * 41, "../admin", "a/b"])
def test_a_bad_short_name_is_refused(typed: str) -> None:
    with pytest.raises(SlugError):
        check_slug(typed)


@pytest.mark.parametrize(
    ("typed", "ref"),
    [("29", "29"), ("R53", "R53"), ("FR", "FR"), ("2A", "2A"), ("r53", None), ("1", None), ("99x", None), ("", None)],
)
def test_a_territorys_address_is_its_ref_as_pages_write_it(typed: str, ref: str | None) -> None:
    scope = territory_scope(typed)
    assert (scope.key if scope is not None else None) == ref


@pytest.mark.parametrize(
    ("typed", "valid"), [("pharmacie", True), ("grande distribution", True), ("Pharmacie", False), ("santé", False)]
)
def test_a_sectors_address_is_its_key(typed: str, valid: bool) -> None:
    assert (sector_scope(typed) is not None) is valid


def test_a_territorys_page_lists_what_a_route_of_that_territory_would() -> None:
    def made(*refs: str) -> PublicIncident:
        return plain(territories=refs)

    finistere, brittany = Scope("territory", "29"), Scope("territory", "R53")
    assert in_scope(made("29"), finistere) and in_scope(made("R53"), finistere) and in_scope(made("FR"), finistere)
    assert (
        in_scope(made("29"), brittany) and not in_scope(made("13"), brittany) and not in_scope(made("R93"), finistere)
    )
    assert in_scope(made("13", "29"), Scope("sector", "pharmacie")) and not in_scope(made("29"), Scope("sector", "x"))


# --- planned maintenance --------------------------------------------------------------------------------------

GONE = "MAINTENANCEANNULEE"


@st.composite
def maintenance_cases(draw: st.DrawFn) -> tuple[list[Maintenance], list[int]]:
    """Maintenance of every stage, public or not; what must never show carries `SECRET` (private) or `GONE`
    (cancelled, turned into an incident) in every typed field."""
    members = draw(st.lists(member_ids, min_size=1, max_size=4, unique=True))
    found = []
    for number in range(1, draw(st.integers(1, 5)) + 1):
        public = draw(st.booleans())
        stage = draw(st.sampled_from(list(Stage)))
        hidden = not public or stage in (Stage.CANCELLED, Stage.CONVERTED)
        marker = SECRET if not public else GONE
        starts_at = NOW + timedelta(hours=draw(st.integers(-24 * 80, 24 * 6)))
        ends_at = starts_at + timedelta(hours=draw(st.integers(1, 48)))
        found.append(
            Maintenance(
                guild_id=1,
                number=number,
                organisation=marker if hidden else draw(public_text()),
                sector=marker if hidden else draw(public_text(2)),
                territories=tuple(draw(st.lists(st.sampled_from(REFS), min_size=1, max_size=3, unique=True))),
                services=(marker,) if hidden else tuple(draw(st.lists(public_text(3), max_size=3))),
                starts_at=starts_at,
                ends_at=ends_at,
                scheduled_at=starts_at - timedelta(days=1),
                owner_id=draw(st.sampled_from(members)),
                workaround=marker if hidden else draw(st.none() | public_text()),
                stage=stage,
                ended_at=ends_at if stage == Stage.ENDED else None,
                public=public,
                thread_id=draw(st.sampled_from(members)),
            )
        )
    return found, members


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maintenance_cases())
def test_no_private_or_cancelled_maintenance_and_no_member_reaches_a_page(
    case: tuple[list[Maintenance], list[int]],
) -> None:
    found, members = case
    views = [view for m in found if (view := public_maintenance(m, now=NOW)) is not None]
    assert [v.number for v in views] == [
        m.number for m in found if m.public and m.stage not in (Stage.CANCELLED, Stage.CONVERTED)
    ]
    coming, past = maintenance_on_page(views, now=NOW)
    assert all(not m.ended and m.starts_at <= NOW + timedelta(days=7) for m in coming)
    assert all(m.ended and m.ended_at is not None and m.ended_at >= NOW - timedelta(days=90) for m in past)
    assert {m.number for m in views if not m.ended} == {m.number for m in coming}, "all start within the week"
    pages = [
        presenter.server_page(
            language,
            slug="cerp",
            server_name="Coordination",
            incidents=[],
            now=NOW,
            scope=scope,
            scope_name="s",
            maintenance=[m for m in coming if in_scope(m, scope)],
            past_maintenance=[m for m in past if in_scope(m, scope)],
        )
        for language in ("fr", "en")
        for scope in (Scope(), *(Scope("sector", v.sector_key) for v in views[:1]))
    ]
    document = api.summary("cerp", "Coordination", "fr", (), maintenance=(*coming, *past))
    assert document.isascii() and not re.search(r"[<>&]", document)
    validator.validate(json.loads(document))
    assert [m["number"] for m in json.loads(document)["maintenance"]] == [m.number for m in (*coming, *past)]
    for written in (*pages, document):
        assert SECRET not in written and GONE not in written
        assert not any(str(member) in written for member in members)
    for page in pages:
        assert "<script" not in page and "<img" not in page and not re.search(r'href="\s*javascript', page)
        assert page.count("<bdi>") == page.count("</bdi>")
    for page in (pages[0], pages[len(pages) // 2]):  # the server's page in each language
        # Its "updated" stamp, and a start and an end for each maintenance listed.
        assert page.count('<time datetime="') == 1 + 2 * (len(coming) + len(past))
    if coming:
        assert "Maintenances en cours et à venir" in pages[0]
    if past:
        assert "Maintenances terminées ces 90 derniers jours" in pages[0]


# What a reader sees follows the clock, whatever the timer has done yet (the bot down or late, a kept page).
around = st.integers(-3 * 3600, 3 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(1, 48 * 3600).map(lambda s: timedelta(seconds=s)),
    near_start=st.booleans(),
    offset=around,
    stage=st.sampled_from([s for s in Stage if s not in (Stage.CANCELLED, Stage.CONVERTED)]),
)
def test_the_shown_stage_follows_the_clock_around_the_start_and_the_end(
    length: timedelta, near_start: bool, offset: timedelta, stage: Stage
) -> None:
    starts_at = START
    ends_at = START + length
    now = (starts_at if near_start else ends_at) + offset
    expected = "planned" if now < starts_at else "in_progress" if now < ends_at else "ended"
    assert maintenance_state(starts_at, ends_at, now) == expected
    # Whatever stage its timer reached by then (behind when the bot was down, never ahead of the clock).
    reached = stage if stage != Stage.ENDED or now >= ends_at else Stage.STARTED
    m = Maintenance(
        guild_id=1,
        number=1,
        organisation="Cerp",
        sector="pharmacie",
        territories=("29",),
        services=(),
        starts_at=starts_at,
        ends_at=ends_at,
        scheduled_at=starts_at - timedelta(days=1),
        owner_id=10**17,
        stage=reached,
        ended_at=ends_at if reached == Stage.ENDED else None,
        public=True,
    )
    view = public_maintenance(m, now=now)
    assert view is not None and view.state == expected
    assert view.ended_at == (ends_at if expected == "ended" else None)
    coming, past = maintenance_on_page([view], now=now)
    assert (coming, past) == (((), (view,)) if expected == "ended" else ((view,), ()))
    # The next moment the page must change by the clock alone: the start, then the end, then nothing.
    changes = maintenance_changes_at([view], now=now)
    assert changes == (starts_at if expected == "planned" else ends_at if expected == "in_progress" else None)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=-1), "planned"),
        (timedelta(0), "in_progress"),
        (timedelta(hours=8) - timedelta(seconds=1), "in_progress"),
        (timedelta(hours=8), "ended"),
    ],
)
def test_the_start_and_the_end_are_each_the_first_instant_of_their_stage(offset: timedelta, expected: str) -> None:
    assert maintenance_state(START, START + timedelta(hours=8), START + offset) == expected


@st.composite
def told_cases(draw: st.DrawFn) -> tuple[list[Maintenance], dict[int, list[ToldMessage]], list[int]]:
    """Maintenance as above, each with the messages it told (times as they were then), some of one moment."""
    found, members = draw(maintenance_cases())
    told: dict[int, list[ToldMessage]] = {}
    for m in found:
        count = draw(st.integers(1, 40))
        at = m.scheduled_at
        messages = []
        for place in range(count):
            at += timedelta(minutes=draw(st.sampled_from([0, 0, 1, 30, 600])))
            kind = Told.SCHEDULED if place == 0 else draw(st.sampled_from([t for t in Told if t != Told.SCHEDULED]))
            moved = timedelta(hours=draw(st.integers(0, 5)))
            messages.append(ToldMessage(kind, at, place, m.starts_at + moved, m.ends_at + moved))
        told[m.number] = messages
    return found, told, members


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(told_cases())
def test_a_feed_carries_each_message_of_public_maintenance_only_newest_first_within_the_cap(
    case: tuple[list[Maintenance], dict[int, list[ToldMessage]], list[int]],
) -> None:
    found, told, members = case
    news = [n for m in found for n in maintenance_news(m, told[m.number])]
    public = [m for m in found if m.public]
    assert len(news) == sum(len(told[m.number]) for m in public), "a private maintenance tells nothing"
    for language in ("fr", "en"):
        for scope in (Scope(), Scope("territory", "FR"), *(Scope("sector", n.sector_key) for n in news[:1])):
            listed = [n for n in news if in_scope(n, scope)]
            written = writer.feed(
                guild_id=1,
                slug="cerp",
                server_name="Coordination",
                language=language,
                zone=ZoneInfo("Europe/Paris"),
                incidents=[],
                news=listed,
                since=START,
                scope=scope,
                scope_name="s",
            ).decode("utf-8")
            parsed = feedparser.parse(written)
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert SECRET not in written and not any(str(member) in written for member in members)
            assert len(parsed.entries) == min(len(listed), FEED_ENTRIES)
            stamps = [entry.updated for entry in parsed.entries]
            assert stamps == sorted(stamps, reverse=True), "newest first"
            newest = sorted(listed, key=lambda n: (n.at, n.number, n.place), reverse=True)[:FEED_ENTRIES]
            assert [entry.id for entry in parsed.entries] == [n.uid for n in newest]
    # Ids: one per message, the same whatever else is told, none an incident's.
    assert len({n.uid for n in news}) == len(news)
    again = [n.uid for m in found for n in maintenance_news(m, told[m.number][:1])]
    assert set(again) <= {n.uid for n in news}
