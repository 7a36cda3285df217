"""Signed webhooks' pure rules: the body and its signature, when an attempt is tried again and when it is given up,
what counts as a permanent failure and when a webhook pauses, and which addresses a webhook may never reach."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.incidents.rules.lifecycle import Update, UpdateKind
from bot.incidents.rules.model import Cause, Incident, IncidentService, ServiceState, Severity, Status, Workaround
from bot.webhooks.rules import (
    EVENTS,
    PAUSE_AFTER,
    RETRY_FOR,
    SCHEMA_VERSION,
    AddressError,
    Attempted,
    EventKind,
    Verdict,
    check_url,
    delivery_body,
    event_of_change,
    new_secret,
    refusal,
    retry_delay,
    sign,
    signature_header,
    verdict,
    verify,
    visibility_event,
    wants,
    withdrawn_body,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MEMBER = 123456789012345678


def incident(**changes: object) -> Incident:
    base = Incident(
        guild_id=42,
        number=7,
        title="Pharmacie: LGO hors service",
        sector="pharma",
        territories=("29",),
        severity=Severity.MAJOR,
        cause=Cause.UNKNOWN,
        status=Status.INVESTIGATING,
        started_at=START,
        declared_at=START,
        declared_by=MEMBER,
        owner_id=MEMBER,
        updated_at=START,
        workaround=Workaround(version=1, text="Commandes par téléphone", set_at=START, set_by=MEMBER),
        services=(IncidentService(name="LGO", key="lgo", state=ServiceState.DOWN, since=START, affected_since=START),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- the body


def test_the_body_carries_its_schema_version_its_key_and_the_event_and_never_a_member() -> None:
    entries = [
        Update(UpdateKind.DECLARED, START, MEMBER),
        Update(UpdateKind.NOTE, START, MEMBER, details={"text": "Internal", "internal": True}),
        Update(UpdateKind.NOTE, START, MEMBER, details={"text": "On cherche"}),
    ]
    body = delivery_body(
        EventKind.DECLARED, incident(), entries, key="k-1", public=True, occurred_at=START, server="Officines"
    )
    data = json.loads(body)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["idempotency_key"] == "k-1"
    assert data["event"] == "incident_declared"
    assert data["incident"]["number"] == 7
    assert data["incident"]["public"] is True
    assert data["incident"]["workaround"] == "Commandes par téléphone"
    assert [u["kind"] for u in data["updates"]] == ["declared", "note"]
    assert str(MEMBER) not in body.decode()
    assert "Internal" not in body.decode()
    # Byte for byte stable: one event always has the same body, whatever attempt signs it.
    again = delivery_body(
        EventKind.DECLARED, incident(), entries, key="k-1", public=True, occurred_at=START, server="Officines"
    )
    assert body == again


def test_which_event_a_change_is() -> None:
    opened = incident()
    note = [Update(UpdateKind.NOTE, START, MEMBER, details={"text": "x"})]
    internal = [Update(UpdateKind.NOTE, START, MEMBER, details={"text": "x", "internal": True})]
    handover = [Update(UpdateKind.ASSIGNED, START, MEMBER, details={"to": 1})]
    resolved = incident(status=Status.RESOLVED, resolved_at=START)
    assert event_of_change(opened, opened, note) == EventKind.UPDATED
    assert event_of_change(opened, resolved, [Update(UpdateKind.RESOLVED, START, MEMBER)]) == EventKind.RESOLVED
    assert event_of_change(opened, opened, internal) is None
    assert event_of_change(opened, opened, handover) is None
    cancelled = incident(status=Status.CANCELLED, cancelled_at=START)
    assert event_of_change(opened, cancelled, []) == EventKind.UPDATED


@pytest.mark.parametrize(
    "changed",
    [
        {"title": "Autre titre"},
        {"organisation": "Autre structure"},
        {"description": "Autre description"},
        {"impact": "Autre impact"},
        {"sector": "librairie"},
        {"territories": ("29", "56")},
        {"severity": Severity.MINOR},
        {"started_at": START - timedelta(hours=1)},
        {"eta": START + timedelta(hours=5)},
        {"workaround": None},
        {"services": ()},
        {"status": Status.IDENTIFIED},
    ],
)
def test_a_change_of_what_receivers_hold_with_no_public_entry_is_an_edit(changed: dict[str, object]) -> None:
    opened = incident()
    edited = [Update(UpdateKind.EDITED, START, MEMBER, details={"changes": {"x": {"from": 1, "to": 2}}})]
    internal = [Update(UpdateKind.NOTE, START, MEMBER, details={"text": "x", "internal": True})]
    assert event_of_change(opened, incident(**changed), edited) == EventKind.EDITED
    # An internal update that moves what the public page shows corrects the receivers' copy, without its words.
    assert event_of_change(opened, incident(**changed), internal) == EventKind.EDITED
    public = [Update(UpdateKind.SEVERITY_CHANGED, START, MEMBER, details={"from": "major", "to": "minor"})]
    assert event_of_change(opened, incident(**changed), [*edited, *public]) == EventKind.UPDATED


def test_what_receivers_do_not_hold_changed_alone_is_no_event() -> None:
    opened = incident()
    edited = [Update(UpdateKind.EDITED, START, MEMBER, details={"changes": {"cause": {"from": "a", "to": "b"}}})]
    unseen = incident(
        cause=Cause.OVERLOAD, owner_id=MEMBER + 1, updated_at=START + timedelta(hours=1), next_update_at=START
    )
    assert event_of_change(opened, unseen, edited) is None


def test_a_change_of_visibility_is_published_or_withdrawn_for_public_only_webhooks_and_an_edit_for_the_others() -> None:
    assert visibility_event(public_only=True, public=True) == EventKind.PUBLISHED
    assert visibility_event(public_only=True, public=False) == EventKind.WITHDRAWN
    assert visibility_event(public_only=False, public=True) == EventKind.EDITED
    assert visibility_event(public_only=False, public=False) == EventKind.EDITED


def test_the_events_that_keep_a_receivers_copy_right_come_with_those_it_chose() -> None:
    def gets(chosen: set[EventKind], event: EventKind) -> bool:
        return wants(frozenset(chosen), public_only=True, event=event, public=True)

    assert gets({EventKind.UPDATED}, EventKind.EDITED) and not gets({EventKind.DECLARED}, EventKind.EDITED)
    assert gets({EventKind.DECLARED}, EventKind.PUBLISHED) and not gets({EventKind.UPDATED}, EventKind.PUBLISHED)
    for chosen in (EventKind.DECLARED, EventKind.UPDATED, EventKind.RESOLVED):
        assert gets({chosen}, EventKind.WITHDRAWN)
    assert not gets({EventKind.MAINTENANCE_SCHEDULED}, EventKind.WITHDRAWN)
    assert not any(gets(set(), event) for event in EventKind)
    assert not wants(frozenset(EVENTS), public_only=True, event=EventKind.EDITED, public=False)


def test_a_withdrawal_says_the_incidents_number_and_nothing_of_it() -> None:
    body = withdrawn_body(incident(), key="k-2", occurred_at=START, server="Officines")
    data = json.loads(body)
    assert data == {
        "schema_version": SCHEMA_VERSION,
        "idempotency_key": "k-2",
        "event": "incident_withdrawn",
        "occurred_at": "2026-03-02T08:00:00Z",
        "server": {"id": "42", "name": "Officines"},
        "incident": {"number": 7},
    }


def test_the_body_carries_the_description_the_public_page_shows_and_never_the_cause() -> None:
    shown = incident(description="Serveur central arrêté")
    data = json.loads(delivery_body(EventKind.EDITED, shown, [], key="k", public=True, occurred_at=START, server=None))
    assert data["incident"]["description"] == "Serveur central arrêté"
    assert "cause" not in data["incident"] and Cause.UNKNOWN.value not in json.dumps(data)


def test_the_events_are_a_table_each_with_its_words() -> None:
    assert [event.value for event in EVENTS] == [
        "incident_declared",
        "incident_updated",
        "incident_resolved",
        "maintenance_scheduled",
        "maintenance_rescheduled",
        "maintenance_started",
        "maintenance_ended",
        "maintenance_cancelled",
    ]
    assert all("." not in event.value for event in EVENTS), "a dotted name would read as a catalogue id"
    assert all(words.startswith("webhook.event.") for words in EVENTS.values())
    from bot.common.i18n import default_catalogue

    catalogue = default_catalogue()
    for language in ("fr", "en"):
        named = [catalogue.render(language, words) for words in EVENTS.values()]
        assert len(set(named)) == len(named) and not any(name.startswith("webhook.") for name in named)


def test_who_wants_what() -> None:
    events = frozenset({EventKind.DECLARED, EventKind.RESOLVED})
    assert wants(events, public_only=True, event=EventKind.DECLARED, public=True)
    assert not wants(events, public_only=True, event=EventKind.DECLARED, public=False)
    assert wants(events, public_only=False, event=EventKind.DECLARED, public=False)
    assert not wants(events, public_only=False, event=EventKind.UPDATED, public=True)


# -- the signature


@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=4_000_000_000))
def test_a_signature_verifies_with_the_secret_and_fails_with_anything_changed(body: bytes, stamp: int) -> None:
    secret = "whsec_test"
    header = signature_header(secret, stamp, body)
    assert header == f"t={stamp},v1={sign(secret, stamp, body)}"
    assert verify(secret, header, body)
    assert not verify("whsec_other", header, body)
    assert not verify(secret, header, body + b" ")
    assert not verify(secret, header.replace(f"t={stamp}", f"t={stamp + 1}"), body)


def test_the_signature_is_hmac_sha256_of_the_timestamp_a_dot_and_the_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000." + b'{"a":1}', hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, b'{"a":1}') == expected


def test_secrets_are_long_and_new_each_time() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_") and len(first) >= 40


# -- retries, permanent failures, pause


@given(st.integers(min_value=1, max_value=10_000))
def test_the_backoff_grows_and_is_bounded(attempts: int) -> None:
    delay = retry_delay(attempts, first_s=5.0)
    assert 5.0 <= delay <= 3600.0
    assert retry_delay(attempts + 1, first_s=5.0) >= delay


def test_the_backoff_schedule() -> None:
    assert [retry_delay(n, first_s=5.0) for n in range(1, 12)] == [
        5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 3600.0,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (299, Verdict.DELIVERED),
        (400, Verdict.PERMANENT),
        (401, Verdict.PERMANENT),
        (404, Verdict.PERMANENT),
        (410, Verdict.PERMANENT),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (304, Verdict.PERMANENT),
        (100, Verdict.PERMANENT),
    ],
)
def test_what_an_answer_means(status: int, expected: Verdict) -> None:
    assert verdict(Attempted(status=status), first_attempt_at=START, now=START) == expected


@given(st.integers(min_value=100, max_value=599), st.integers(min_value=0, max_value=200_000))
def test_failing_for_a_day_is_permanent_and_never_before(status: int, seconds: int) -> None:
    now = START + timedelta(seconds=seconds)
    found = verdict(Attempted(status=status), first_attempt_at=START, now=now)
    if 200 <= status < 300:
        assert found == Verdict.DELIVERED
    elif status in (408, 429) or status >= 500:
        assert found == (Verdict.PERMANENT if now - START >= RETRY_FOR else Verdict.RETRY)
    else:
        assert found == Verdict.PERMANENT
    unreachable = verdict(Attempted(status=None), first_attempt_at=START, now=now)
    assert unreachable == (Verdict.PERMANENT if now - START >= RETRY_FOR else Verdict.RETRY)


def test_a_refused_address_is_permanent_at_once() -> None:
    assert verdict(Attempted(status=None, refused=True), first_attempt_at=START, now=START) == Verdict.PERMANENT


def test_a_webhook_pauses_after_repeated_permanent_failures() -> None:
    assert PAUSE_AFTER == 3


# -- addresses


REFUSED = [
    "127.0.0.1",
    "127.0.0.2",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "224.0.0.1",
    "ff02::1",
    "0.0.0.0",
    "::",
    "100.64.0.1",
    "100.100.100.200",
    "168.63.129.16",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::1",
    "240.0.0.1",
    "255.255.255.255",
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_link_local_metadata_and_special_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_loopback_only_when_allowed_and_nothing_else() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None
    assert refusal(ipaddress.ip_address("169.254.169.254"), allow_loopback=True) is not None


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_a_v4_address_and_its_v6_mapped_form_are_judged_alike(value: int) -> None:
    v4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    assert (refusal(v4, allow_loopback=False) is None) == (refusal(mapped, allow_loopback=False) is None)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "https://user:pw@example.org/hook",
        "https:///nohost",
        "example.org/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/",
        "http://2130706433/",
        "https://example.org/" + "a" * 2100,
    ],
)
def test_urls_refused_at_once(url: str) -> None:
    with pytest.raises(AddressError):
        check_url(url, allow_loopback=False)


def test_urls_accepted() -> None:
    assert check_url(" https://hooks.example.org/tocsin?x=1 ", allow_loopback=False) == (
        "https://hooks.example.org/tocsin?x=1"
    )
    assert check_url("http://127.0.0.1:8080/hook", allow_loopback=True) == "http://127.0.0.1:8080/hook"


def test_the_readmes_verification_snippet_accepts_what_the_bot_signs_and_nothing_else() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- webhook-verification -->\n```python\n", 1)[1].split("```", 1)[0]
    found: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), found)
    check = found["verify_tocsin"]
    assert callable(check)
    body = delivery_body(
        EventKind.RESOLVED, incident(), [], key="k-9", public=True, occurred_at=START, server="Officines"
    )
    stamp = int(START.timestamp())
    header = signature_header("whsec_readme", stamp, body)
    assert check("whsec_readme", header, body, now=stamp + 10)
    assert not check("whsec_readme", header, body, now=stamp + 3600), "too old"
    assert not check("whsec_other", header, body, now=stamp)
    assert not check("whsec_readme", header, body.replace(b"k-9", b"k-8"), now=stamp)
    assert not check("whsec_readme", "v1=abc", body, now=stamp)


@given(
    st.text(min_size=1, max_size=300),
    st.text(max_size=300),
    st.booleans(),
    st.sampled_from(list(EventKind)),
)
def test_any_text_typed_comes_out_as_the_same_text_in_valid_json_and_no_member_id(
    title: str, note: str, internal: bool, event: EventKind
) -> None:
    entries = [Update(UpdateKind.NOTE, START, MEMBER, details={"text": note, "internal": internal})]
    body = delivery_body(event, incident(title=title), entries, key="k", public=True, occurred_at=START, server=None)
    data = json.loads(body.decode("utf-8"))
    assert data["incident"]["title"] == title
    texts = [u["text"] for u in data["updates"] if u["text"] is not None]
    assert texts == ([] if internal or not note.strip() else [note])
    assert str(MEMBER) not in body.decode("utf-8").replace(title, "").replace(note, "")
