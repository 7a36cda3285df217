"""Signed webhooks' pure rules: which events exist, who wants which, the body and its signature, what an answer
means, how long a delivery is tried again, when a webhook pauses, and which addresses a webhook may never reach.

- Events are a table (`EVENTS`: each kind and the catalogue key of its words): a new kind (planned maintenance)
  is one more row, and one more `event_of_*` rule that says when it happens. Three more keep a receiver's copy of
  an incident right and come with the events it chose (`COMES_WITH`): `incident_edited` (what it holds changed with
  nothing new on the public timeline), `incident_published` and `incident_withdrawn` (an incident made public, or
  private again, told to public-only webhooks: its whole public state, or its number alone).
- A body is built once, when the event is planned, and stored: every attempt sends the same bytes, with the same
  idempotency key, so a receiver drops repeats by key. What it holds is what the public page may show of the
  incident (bot/public/rules.py `public_update`: no author, no internal or bookkeeping entry), whether the hook
  takes public incidents only or all of them.
- The signature is HMAC-SHA256 with the webhook's secret over "<unix seconds>.<body>", sent as
  `Tocsin-Signature: t=<unix seconds>,v1=<hex>` (the README has the receiver's side).
- An answer 2xx is delivered; 408, 429, 5xx and no answer (refused connection, timeout, unknown name) are tried
  again with a growing back-off, for `RETRY_FOR` at most; any other answer (4xx, a redirect beyond the ones
  followed), a refused address, or failing for `RETRY_FOR` is a permanent failure. `PAUSE_AFTER` permanent
  failures in a row pause the webhook: nothing is planned for it until an admin turns it on again.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.common.errors import TocsinError
from bot.incidents.rules.lifecycle import Update
from bot.incidents.rules.model import Incident, Status
from bot.maintenance.rules import Maintenance, Stage
from bot.public.rules import public_update

SCHEMA_VERSION = 1
SIGNATURE_HEADER = "Tocsin-Signature"
EVENT_HEADER = "Tocsin-Event"
KEY_HEADER = "Tocsin-Idempotency-Key"
# A delivery failing (no answer, 408, 429, 5xx) is tried again for this long, then given up: a permanent failure.
RETRY_FOR = timedelta(hours=24)
RETRY_CEILING_S = 3600.0
# Permanent failures in a row that pause a webhook (told in the bot-log channel and by /setup check).
PAUSE_AFTER = 3
# Redirects followed at most (each target checked like the first); one more is a permanent failure.
MAX_REDIRECTS = 3
MAX_URL = 2000
MAX_WEBHOOKS = 10


class EventKind(StrEnum):
    DECLARED = "incident_declared"
    UPDATED = "incident_updated"
    RESOLVED = "incident_resolved"
    EDITED = "incident_edited"
    PUBLISHED = "incident_published"
    WITHDRAWN = "incident_withdrawn"
    MAINTENANCE_SCHEDULED = "maintenance_scheduled"
    MAINTENANCE_RESCHEDULED = "maintenance_rescheduled"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_ENDED = "maintenance_ended"
    MAINTENANCE_CANCELLED = "maintenance_cancelled"


# Every event a webhook may ask for, and the catalogue key of its name.
EVENTS: Mapping[EventKind, str] = {
    EventKind.DECLARED: "webhook.event.declared",
    EventKind.UPDATED: "webhook.event.updated",
    EventKind.RESOLVED: "webhook.event.resolved",
    EventKind.MAINTENANCE_SCHEDULED: "webhook.event.maintenance_scheduled",
    EventKind.MAINTENANCE_RESCHEDULED: "webhook.event.maintenance_rescheduled",
    EventKind.MAINTENANCE_STARTED: "webhook.event.maintenance_started",
    EventKind.MAINTENANCE_ENDED: "webhook.event.maintenance_ended",
    EventKind.MAINTENANCE_CANCELLED: "webhook.event.maintenance_cancelled",
}

# Events no admin chooses: each comes with the chosen events it keeps right. A correction with the updates; an
# incident appearing to a public-only webhook with the declarations; one leaving it with any incident event (a
# receiver told of an incident is told to take it down).
COMES_WITH: Mapping[EventKind, frozenset[EventKind]] = {
    EventKind.EDITED: frozenset({EventKind.UPDATED}),
    EventKind.PUBLISHED: frozenset({EventKind.DECLARED}),
    EventKind.WITHDRAWN: frozenset({EventKind.DECLARED, EventKind.UPDATED, EventKind.RESOLVED}),
}

# A maintenance's stage reached (its timer, or a coordinator) and the event it is. A reminder is no event (nothing
# changed for a receiver, which has the start time); an extension is a new end, told as rescheduled.
MAINTENANCE_EVENTS: Mapping[Stage, EventKind] = {
    Stage.SCHEDULED: EventKind.MAINTENANCE_SCHEDULED,
    Stage.STARTED: EventKind.MAINTENANCE_STARTED,
    Stage.ENDED: EventKind.MAINTENANCE_ENDED,
    Stage.CANCELLED: EventKind.MAINTENANCE_CANCELLED,
}


class WebhookError(TocsinError, ValueError):
    pass


class AddressError(WebhookError):
    pass


@dataclass(frozen=True)
class Webhook:
    id: int
    guild_id: int
    number: int  # the server's own numbering, as admins name it
    url: str
    events: frozenset[EventKind]
    public_only: bool
    paused_at: datetime | None
    failures: int  # permanent failures in a row


def wants(events: frozenset[EventKind], *, public_only: bool, event: EventKind, public: bool) -> bool:
    chosen = event in events or not events.isdisjoint(COMES_WITH.get(event, frozenset()))
    return chosen and (public or not public_only)


def visibility_event(*, public_only: bool, public: bool) -> EventKind:
    """What an incident made public (or private) is to a webhook: to one taking public incidents only, the incident
    appearing (published) or leaving (withdrawn); to one taking private incidents too, its `public` flag corrected."""
    if not public_only:
        return EventKind.EDITED
    return EventKind.PUBLISHED if public else EventKind.WITHDRAWN


def parse_events(values: Iterable[str]) -> frozenset[EventKind]:
    known = {kind.value: kind for kind in EVENTS}
    return frozenset(known[value] for value in values if value in known)


def event_of_change(before: Incident, after: Incident, entries: Iterable[Update]) -> EventKind | None:
    """The event a committed change of an incident is: resolved; updated when the public timeline has something new
    (or it was cancelled: its receivers learn it is no outage); edited when what a receiver holds of the incident
    changed with nothing new on that timeline (a correction, or an internal update's change: its words never
    leave); None when nothing a receiver holds changed (bookkeeping, the cause, an internal note alone)."""
    if after.status == Status.RESOLVED and before.status != Status.RESOLVED:
        return EventKind.RESOLVED
    if after.status == Status.CANCELLED and before.status != Status.CANCELLED:
        return EventKind.UPDATED
    if any(public_update(entry) is not None for entry in entries):
        return EventKind.UPDATED
    if _incident(before, public=True) != _incident(after, public=True):
        return EventKind.EDITED
    return None


def _time(value: datetime | None) -> str | None:
    """An instant in UTC ("…Z"), whatever zone it was read in (a time typed is read on the server's clock)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def delivery_body(
    event: EventKind,
    incident: Incident,
    entries: Iterable[Update],
    *,
    key: str,
    public: bool,
    occurred_at: datetime,
    server: str | None,
) -> bytes:
    """The JSON sent for one event (the same bytes at every attempt): the incident as it is now and the entries
    of this change that the public may read (for `incident_published`, its whole timeline's); never a member's name
    or id."""
    updates = [update for update in map(public_update, entries) if update is not None]
    data: dict[str, Any] = {
        **_envelope(event, key=key, occurred_at=occurred_at, guild_id=incident.guild_id, server=server),
        "incident": _incident(incident, public=public),
        "updates": [
            {
                "kind": update.kind,
                "at": _time(update.at),
                "text": update.text,
                "status": update.status,
                "severity": update.severity,
                "eta": _time(update.eta),
                "services": [{"name": name, "state": state} for name, state in update.services],
            }
            for update in updates
        ],
    }
    return _encoded(data)


def _incident(incident: Incident, *, public: bool) -> dict[str, Any]:
    """What a receiver holds of an incident: what the public page may show of it (never its cause, owner or
    thread), whatever event carries it."""
    return {
        "number": incident.number,
        "title": incident.title,
        "public": public,
        "status": incident.status.value,
        "severity": incident.severity.value,
        "sector": incident.sector,
        "territories": list(incident.territories),
        "organisation": incident.organisation,
        "description": incident.description,
        "impact": incident.impact,
        "started_at": _time(incident.started_at),
        "resolved_at": _time(incident.resolved_at if incident.status == Status.RESOLVED else None),
        "eta": _time(incident.eta),
        "workaround": incident.workaround.text if incident.workaround is not None else None,
        "services": [{"name": s.name, "state": s.state.value} for s in incident.services],
    }


def withdrawn_body(incident: Incident, *, key: str, occurred_at: datetime, server: str | None) -> bytes:
    """An incident made private, to a webhook taking public incidents only: which one to take down, nothing of it."""
    data: dict[str, Any] = {
        **_envelope(EventKind.WITHDRAWN, key=key, occurred_at=occurred_at, guild_id=incident.guild_id, server=server),
        "incident": {"number": incident.number},
    }
    return _encoded(data)


def maintenance_body(
    event: EventKind, maintenance: Maintenance, *, key: str, occurred_at: datetime, server: str | None
) -> bytes:
    """The JSON sent for one maintenance event: the same envelope as an incident's, with a `maintenance` object
    (what the public page may show of it, and whether it is public) in place of `incident` and `updates`; never its
    owner or its thread."""
    m = maintenance
    data: dict[str, Any] = {
        **_envelope(event, key=key, occurred_at=occurred_at, guild_id=m.guild_id, server=server),
        "maintenance": {
            "number": m.number,
            "title": m.title,
            "public": m.public,
            "stage": m.stage.value,
            "organisation": m.organisation,
            "sector": m.sector,
            "territories": list(m.territories),
            "services": list(m.services),
            "starts_at": _time(m.starts_at),
            "ends_at": _time(m.ends_at),
            "ended_at": _time(m.ended_at),
            "workaround": m.workaround,
        },
    }
    return _encoded(data)


def _envelope(
    event: EventKind, *, key: str, occurred_at: datetime, guild_id: int, server: str | None
) -> dict[str, Any]:
    """What every event's JSON says first, whatever it is about: its schema, key, kind, time and server."""
    return {
        "schema_version": SCHEMA_VERSION,
        "idempotency_key": key,
        "event": event.value,
        "occurred_at": _time(occurred_at),
        "server": {"id": str(guild_id), "name": server},
    }


def _encoded(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# -- the signature


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (the README's snippet is this, with a check that the timestamp is recent)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), parts.get("v1", ""))


# -- what an attempt's answer means


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Attempted:
    """What one attempt got: an HTTP status, or none (no answer); `refused` when the guard refused the address."""

    status: int | None
    refused: bool = False


def verdict(attempt: Attempted, *, first_attempt_at: datetime, now: datetime) -> Verdict:
    status = attempt.status
    if attempt.refused:
        return Verdict.PERMANENT
    if status is not None and 200 <= status < 300:
        return Verdict.DELIVERED
    if status is None or status in (408, 429) or status >= 500:
        return Verdict.PERMANENT if now - first_attempt_at >= RETRY_FOR else Verdict.RETRY
    return Verdict.PERMANENT


def retry_delay(attempts: int, *, first_s: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling from `first_s`, at most an hour."""
    return min(RETRY_CEILING_S, first_s * (2.0 ** min(max(0, attempts - 1), 32)))


def pauses(failures: int) -> bool:
    return failures >= PAUSE_AFTER


# -- addresses


# Cloud metadata services reachable on a public-looking address (the others are link-local or private anyway).
METADATA = frozenset({ipaddress.ip_address("168.63.129.16"), ipaddress.ip_address("100.100.100.200")})
NAT64 = ipaddress.ip_network("64:ff9b::/96")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: Address, *, allow_loopback: bool) -> str | None:
    """Why a webhook may not reach `address` (loopback, private, link-local, multicast, unspecified, metadata,
    reserved), or None. A v6 address carrying a v4 one (mapped, 6to4, NAT64, Teredo) is judged by that one."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            return refusal(inner, allow_loopback=allow_loopback)
    if address in METADATA:
        return "metadata"
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("link_local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return reason
    return None if address.is_global else "private"


_NAME = re.compile(r"[a-z0-9_.-]+")
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")


def _number(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    return int(part, 8) if len(part) > 1 and part.startswith("0") and part.isdigit() else int(part)


def literal_address(host: str) -> Address | None:
    """The address a URL's host names directly, None for a name. The numeric forms resolvers read as addresses
    ("2130706433", "0x7f000001", "127.1", "0177.0.0.1") count as the address they stand for; one out of range
    as the unspecified address (refused)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    try:
        numbers = [_number(part) for part in parts]
    except ValueError:
        return ipaddress.IPv4Address(0)
    *leading, last = numbers
    value = 0
    for number in leading:
        if number > 0xFF:
            return ipaddress.IPv4Address(0)
        value = value * 256 + number
    room = 8 * (4 - len(leading))
    if last >= 1 << room:
        return ipaddress.IPv4Address(0)
    return ipaddress.IPv4Address((value << room) + last)


def check_url(text: str, *, allow_loopback: bool) -> str:
    """A webhook's target as typed: http(s), a host, no credentials, not too long; an address written in it is
    judged at once (a name is judged when it is resolved, at `add` and at each attempt)."""
    url = text.strip()
    if len(url) > MAX_URL:
        raise AddressError("webhook.error.url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressError("webhook.error.url") from exc
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password or port == 0:
        raise AddressError("webhook.error.url")
    if ":" not in host and _NAME.fullmatch(host) is None:
        raise AddressError("webhook.error.url")
    address = literal_address(host)
    if address is not None and refusal(address, allow_loopback=allow_loopback) is not None:
        raise AddressError("webhook.error.address")
    return url
