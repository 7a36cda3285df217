"""An admin's delivery test: numbered messages posted through the outbox to one channel, optionally pinging a
role, then the first one edited to say the test is complete. It shows that the bot can post, mention and edit
there, and exercises pacing: more than five messages to one channel must be spread over Discord's window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.common.errors import TocsinError
from bot.common.i18n import Catalogue
from bot.delivery import outbox
from bot.delivery.kinds import OutboxKind
from bot.settings.rules.config import ServerDefaults
from bot.settings.use_cases import load_config
from bot.storage import audit
from bot.storage.store import Store

MAX_TEST_MESSAGES = 20


@dataclass(frozen=True)
class DeliveryTestRequest:
    guild_id: int
    channel_id: int
    actor_id: int
    count: int
    role_id: int | None


async def queue_delivery_test(
    store: Store,
    catalogue: Catalogue,
    request: DeliveryTestRequest,
    *,
    now: datetime,
    default_language: str,
    default_time_zone: str,
) -> list[int]:
    """Writes the test's messages, its closing edit and its audit row in one unit of work; returns row ids.
    The messages are public, so they are in the server's language."""
    if not 1 <= request.count <= MAX_TEST_MESSAGES:
        raise TocsinError("delivery_test.error.count", maximum=MAX_TEST_MESSAGES)
    mention = f"<@&{request.role_id}> " if request.role_id is not None else ""
    allowed = {"parse": [], "roles": [str(request.role_id)] if request.role_id else [], "users": []}
    lane = f"channel:{request.channel_id}"
    async with store.unit_of_work() as conn:
        config = await load_config(conn, request.guild_id, ServerDefaults(default_language, default_time_zone))
        language = config.language

        async def queue(kind: OutboxKind, content: str, *, edit: int | None = None, after: int | None = None) -> int:
            """One message of the test on the lane of its channel; with `edit`, the row whose message it edits."""
            target = {} if edit is None else {"message_id": {"$ref": edit, "field": "message_id"}}
            return await outbox.enqueue(
                conn,
                guild_id=request.guild_id,
                lane=lane,
                kind=kind,
                payload={"channel_id": request.channel_id, **target, "content": content, "allowed_mentions": allowed},
                depends_on=after,
                now=now,
            )

        rows: list[int] = []
        for number in range(1, request.count + 1):
            content = mention + catalogue.render(language, "delivery_test.message", number=number, count=request.count)
            rows.append(await queue(OutboxKind.SEND_MESSAGE, content))
        closing = mention + catalogue.render(language, "delivery_test.done", count=request.count)
        rows.append(await queue(OutboxKind.EDIT_MESSAGE, closing, edit=rows[0], after=rows[-1]))
        await audit.record(
            conn,
            guild_id=request.guild_id,
            actor_id=request.actor_id,
            action="tocsin.test_delivery",
            arguments={"channel_id": request.channel_id, "count": request.count, "role_id": request.role_id},
            result="queued",
            at=now,
        )
    return rows
