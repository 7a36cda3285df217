"""What webhooks show to admins: a webhook as `/setup webhook list` and `/setup check` name it, and the words of its
events. A secret is never part of any of it (it is shown once, by the cog, in the answer that made it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.common.i18n import Msg
from bot.common.text import safe_text
from bot.settings.presentation import MsgList
from bot.webhooks.rules import EVENTS, EventKind, Webhook


def events_words(events: frozenset[EventKind]) -> Msg:
    """All events, or the list of those chosen, in the table's order."""
    if set(events) >= set(EVENTS):
        return Msg.of("webhook.events.all")
    return Msg.of("webhook.events.some", events=MsgList(tuple(Msg.of(EVENTS[e]) for e in EVENTS if e in events)))


def shown_url(url: str) -> str:
    """The target as an admin recognises it: scheme, host and path; a query (which may carry a receiver's token)
    is left out."""
    parts = urlsplit(url)
    return safe_text(f"{parts.scheme}://{parts.netloc}{parts.path}")[:200]


def webhook_line(webhook: Webhook) -> Msg:
    scope = "webhook.scope.public" if webhook.public_only else "webhook.scope.all"
    state = "webhook.state.paused" if webhook.paused_at is not None else "webhook.state.on"
    return Msg.of(
        "webhook.line",
        number=webhook.number,
        url=shown_url(webhook.url),
        events=events_words(webhook.events),
        scope=Msg.of(scope),
        state=Msg.of(state),
    )
