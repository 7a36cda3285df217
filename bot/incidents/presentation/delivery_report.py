"""The words of a private reply's account of where a command's messages went, once the outbox has settled them:
announced here, not yet there and why, not at all there and why, in the person's language.

Each kind of message ("what": the status message, the thread, an announcement, a news message, the thread post) has
a sentence per verdict of the outbox (bot/delivery/dependencies.py `Verdict`: done, waiting, retrying, failed,
full) and
one set of words per cause (`Cause`). The sentences keep two holes the outbox fills once it knows: `items` (the
channels concerned) and `cause`.
"""

from __future__ import annotations

from typing import Any

from bot.common.i18n import Language, default_catalogue

WHATS = ("status", "thread", "announcement", "news", "post")

_SENTENCES: dict[str, dict[str, str]] = {
    "status": {
        "waiting": "outage.delivery.status.waiting",
        "retrying": "outage.delivery.status.retrying",
        "failed": "outage.delivery.status.failed",
    },
    "thread": {
        "waiting": "outage.delivery.thread.waiting",
        "retrying": "outage.delivery.thread.retrying",
        "failed": "outage.delivery.thread.failed",
        "full": "outage.delivery.thread.full",
    },
    "announcement": {
        "waiting": "outage.delivery.announcement.waiting",
        "retrying": "outage.delivery.announcement.retrying",
        "failed": "outage.delivery.announcement.failed",
    },
    "news": {
        "waiting": "outage.delivery.news.waiting",
        "retrying": "outage.delivery.news.retrying",
        "failed": "outage.delivery.news.failed",
    },
    "post": {
        "waiting": "outage.delivery.post.waiting",
        "retrying": "outage.delivery.post.retrying",
        "failed": "outage.delivery.post.failed",
    },
}
_DONE: dict[str, str] = {"announcement": "outage.reply.announced_in", "news": "outage.reply.news_in"}
_CAUSES: dict[str, str] = {
    "missing_permission": "outage.delivery.cause.missing_permission",
    "unreachable": "outage.delivery.cause.unreachable",
    "gone": "outage.delivery.cause.gone",
    "refused": "outage.delivery.cause.refused",
}


def report_words(
    language: Language,
    what: str,
    *,
    log_channel_id: int | None,
    say_done: bool,
    items: str,
    cause: str,
) -> dict[str, Any]:
    """{"say": {verdict: sentence}, "causes": {cause: words}} for messages of kind `what`, with `items` and
    `cause` left as holes; what was done is said only with `say_done` (and only where it is news: an
    announcement, a news message)."""
    catalogue = default_catalogue()
    if log_channel_id is not None:
        admins = catalogue.render(language, "outage.delivery.admins.told", channel=f"<#{log_channel_id}>")
    else:
        admins = catalogue.render(language, "outage.delivery.admins.untold")
    say: dict[str, str] = {}
    if say_done and what in _DONE:
        say["done"] = catalogue.render(language, _DONE[what], channels=items)
    for verdict, message_id in _SENTENCES[what].items():
        say[verdict] = catalogue.render(language, message_id, channels=items, cause=cause, admins=admins)
    causes = {name: catalogue.render(language, message_id) for name, message_id in _CAUSES.items()}
    return {"say": say, "causes": causes}
