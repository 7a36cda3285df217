"""What an outbox row may do, given the rows it needs and how it needs them: the pure rule (no SQL, no Discord).

A row needs another in one of five ways (bot/delivery/payloads.py reads them from its payload, the outbox adds
`depends_on` and `after_row`):
- RESULT: a field of the other's result is part of its request (a post's channel is the thread's id, an edit's
  message the message's id): it cannot be sent without it;
- DEFAULT: a field with a default (a follow role's mention): the default stands in when the other failed;
- LINK: a link to what the other makes (the thread's URL on a button): a stand-in link (the status message, the
  channel) stands in when the other is not there;
- AFTER: order only (a follow role deleted after the last post that mentions it);
- SETTLED: its outcome only (a private reply that says where an incident was announced, and where not yet).

The other row is WAITING (not tried yet, or its first try under way), RETRYING (tried, and waiting to be tried
again: a server error, a rate limit), DONE, SUPERSEDED (a newer edit replaced it), OWED (failed for a cause that
may be fixed, or waiting for such a row: asked again when it may be), FAILED (for good: the channel is gone, the
body refused) or UNMADE (a thread refused for the server's cap on active threads: its parent stands in). A link
and a report wait for the first try only: an announcement never waits on a thread Discord keeps refusing, a
private reply says "not yet" of a row Discord holds back (and is worded again once it goes out).

So one failed step cancels only what truly needs its result; what needs an owed step is owed with it, and goes
out when it is asked again; everything else goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.delivery.kinds import OutboxKind

# The text the worker records when it stops retrying a row Discord never answered for good (5xx, timeouts).
GAVE_UP = "gave up after"
# What is owed is asked for again at least this often (bot/timers/registry.py), when nothing asked sooner: a
# permission given back, the server's next declaration or update, /setup check.
OWED_RETRY = timedelta(minutes=15)
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001
TOO_MANY_THREADS = 160006
# What an admin can fix in a channel, or Discord coming back, makes these kinds deliverable again. DMs (closed by
# the member), roles and the private reply's edits (a token that expires) are not kept owed.
OWABLE_KINDS = frozenset(
    {
        OutboxKind.SEND_MESSAGE,
        OutboxKind.EDIT_MESSAGE,
        OutboxKind.DELETE_MESSAGE,
        OutboxKind.CREATE_THREAD,
        OutboxKind.EDIT_THREAD,
    }
)


class Need(StrEnum):
    RESULT = "result"
    DEFAULT = "default"
    LINK = "link"
    AFTER = "after"
    SETTLED = "settled"


class State(StrEnum):
    WAITING = "waiting"
    RETRYING = "retrying"
    DONE = "done"
    SUPERSEDED = "superseded"
    OWED = "owed"
    FAILED = "failed"
    UNMADE = "unmade"


class Cause(StrEnum):
    """Why a row failed, as a person is told it."""

    MISSING_PERMISSION = "missing_permission"
    UNREACHABLE = "unreachable"
    GONE = "gone"
    REFUSED = "refused"
    FULL = "full"


class Verdict(StrEnum):
    """What a private reply says of a row: delivered, owed (waiting for a fix), held back by Discord for now, not
    delivered, or waiting for a thread slot."""

    DONE = "done"
    WAITING = "waiting"
    RETRYING = "retrying"
    FAILED = "failed"
    FULL = "full"


@dataclass(frozen=True)
class Go:
    """Every row it needs is there (or has a stand-in): deliver it."""


@dataclass(frozen=True)
class Wait:
    row: int


@dataclass(frozen=True)
class Owe:
    """It needs a row that is owed: it is owed too, until that row is asked again."""

    row: int


@dataclass(frozen=True)
class Fail:
    """It needs the result of a row that failed for good."""

    row: int


Decision = Go | Wait | Owe | Fail


def decide(uses: Iterable[tuple[int, Need]], states: Mapping[int, State]) -> Decision:
    """The decision for a row from how it uses each other row and their states (a row not in `states` does not
    exist: failed). Failing wins (it can never go), then owing (it cannot go before the owed row is asked again),
    then waiting."""
    failed: int | None = None
    owed: int | None = None
    waiting: int | None = None
    for row, need in sorted(set(uses)):
        state = states.get(row, State.FAILED)
        if state is State.DONE:
            continue
        if state is State.WAITING or (state is State.RETRYING and need not in (Need.LINK, Need.SETTLED)):
            waiting = row if waiting is None else waiting
        elif state is State.OWED and need in (Need.RESULT, Need.AFTER):
            owed = row if owed is None else owed
        elif state in (State.FAILED, State.SUPERSEDED) and need is Need.RESULT:
            failed = row if failed is None else failed
        # DEFAULT, LINK and SETTLED take any outcome; an UNMADE thread's parent stands in for its result.
    if failed is not None:
        return Fail(failed)
    if owed is not None:
        return Owe(owed)
    if waiting is not None:
        return Wait(waiting)
    return Go()


def cause_of(status: int | None, code: int | None, text: str | None) -> Cause:
    """The cause of a failure recorded with Discord's HTTP status and JSON code (None when Discord never
    answered for good)."""
    if code == TOO_MANY_THREADS:
        return Cause.FULL
    if status == 403 and code in (MISSING_PERMISSIONS, MISSING_ACCESS):
        return Cause.MISSING_PERMISSION
    if status is None and (text or "").startswith(GAVE_UP):
        return Cause.UNREACHABLE
    if status == 404:
        return Cause.GONE
    return Cause.REFUSED


# A payload's flag: its feature posts the message again, up to date, at its next change (a report card), so an
# old copy of it is never kept owed.
POSTED_AGAIN = "posted_again"


def is_owed(kind: str, cause: Cause, payload: Mapping[str, Any] | None = None) -> bool:
    """Whether a row that failed for `cause` is kept, to be asked again when the cause may be fixed."""
    if payload is not None and payload.get(POSTED_AGAIN):
        return False
    return kind in OWABLE_KINDS and cause in (Cause.MISSING_PERMISSION, Cause.UNREACHABLE)


def verdict_of(state: State) -> Verdict:
    """What a reply says of a row in `state` (a row not tried yet is not reported: the reply waits for it)."""
    if state in (State.DONE, State.SUPERSEDED):
        return Verdict.DONE
    if state is State.OWED:
        return Verdict.WAITING
    if state is State.RETRYING:
        return Verdict.RETRYING
    if state is State.UNMADE:
        return Verdict.FULL
    return Verdict.FAILED
