"""A member's data in every feature, written as the features store it (one SQL row per thing), for the privacy
tests: `seed(conn, item, member, guild, n)` adds one thing of kind `item` for `member` in `guild`, each with
the unique text `marker(member, n)` where the feature keeps text."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

AT = "2025-09-10T08:00:00.000000+00:00"
ITEMS = (
    "locale",
    "dm_channel",
    "dms_closed",
    "follow",
    "follow_roles",
    "affected",
    "reminder",
    "reminder_said",
    "report",
    "abuse",
    "decided",
    "declared",
    "update",
    "assigned",
    "visibility",
    "route",
    "board",
    "digest",
    "public_page",
    "maintenance",
    "webhook",
    "audit",
    "dm_waiting",
    "post_done",
    "thanks_waiting",
)


def webhook_secret(member: int, n: int) -> str:
    return f"whsec{member % 997}x{n}"


def marker(member: int, n: int) -> str:
    return f"zq{member % 997}x{n}secret"


async def _insert(conn: aiosqlite.Connection, sql: str, args: tuple[Any, ...]) -> int:
    cursor = await conn.execute(sql, args)
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


async def incident(conn: aiosqlite.Connection, guild: int, n: int, by: int = 5) -> int:
    return await _insert(
        conn,
        "INSERT INTO incidents (guild_id, number, title, sector, severity, cause, status, started_at, declared_at, "
        "declared_by, owner_id, updated_at) VALUES (?, ?, ?, 'pharmacie', 'major', 'unknown', 'investigating', ?, ?,"
        " ?, ?, ?)",
        (guild, 1000 + n, f"Panne {n}", AT, AT, by, by, AT),
    )


async def seed(conn: aiosqlite.Connection, item: str, member: int, guild: int, n: int) -> None:
    text = marker(member, n)
    if item == "locale":
        await conn.execute("INSERT OR REPLACE INTO member_locales VALUES (?, 'fr', ?)", (member, AT))
    elif item == "dm_channel":
        await conn.execute("INSERT OR REPLACE INTO dm_channels VALUES (?, ?, ?)", (member, 7_000_000 + n, AT))
    elif item == "dms_closed":
        await conn.execute("INSERT OR REPLACE INTO member_dm_status VALUES (?, ?, NULL)", (member, AT))
    elif item == "follow":
        await conn.execute(
            "INSERT INTO subscriptions (guild_id, user_id, kind, target, dm, created_at) "
            "VALUES (?, ?, 'sector', ?, 1, ?)",
            (guild, member, f"s{n}", AT),
        )
    elif item == "follow_roles":
        # An open incident's follow role and a territory's route role, both given by the bot.
        followed = await incident(conn, guild, n)
        await conn.execute("UPDATE incidents SET follow_role_id = ? WHERE id = ?", (9_100_000 + n, followed))
        for kind, target, roles in (("incident", str(followed), []), ("territory", f"t{n}", [9_200_000 + n])):
            await conn.execute(
                "INSERT INTO subscriptions (guild_id, user_id, kind, target, created_at, role_ids) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (guild, member, kind, target, AT, json.dumps(roles)),
            )
    elif item == "affected":
        await conn.execute(
            "INSERT INTO affected_members VALUES (?, ?, ?)", (await incident(conn, guild, n), member, AT)
        )
    elif item == "reminder":
        await conn.execute(
            "INSERT INTO reminders (guild_id, owner_id, due_at, text, place, status, created_at) "
            "VALUES (?, ?, ?, ?, 'dm', 'pending', ?)",
            (guild, member, AT, text, AT),
        )
    elif item == "reminder_said":
        posted = await _insert(
            conn,
            "INSERT INTO outbox (guild_id, lane, kind, payload, status, result, created_at, updated_at) "
            "VALUES (?, 'channel:302', 'send_message', ?, 'done', ?, ?, ?)",
            (
                guild,
                json.dumps({**_post(member, channel=302), "content": f"<@{member}> ⏰ {text}"}),
                json.dumps({"message_id": 8_000_000 + n, "channel_id": 302}),
                AT,
                AT,
            ),
        )
        await conn.execute(
            "INSERT INTO reminders (guild_id, owner_id, due_at, text, place, channel_id, status, created_at, "
            "message_row) VALUES (?, ?, ?, ?, 'here', 302, 'done', ?, ?)",
            (guild, member, AT, text, AT, posted),
        )
    elif item == "report":
        group = await _insert(
            conn,
            "INSERT INTO report_groups (guild_id, organisation, opened_at, updated_at) VALUES (?, 'Cerp', ?, ?)",
            (guild, AT, AT),
        )
        await conn.execute(
            "INSERT INTO reports (guild_id, group_id, user_id, organisation, details, at) "
            "VALUES (?, ?, ?, 'Cerp', ?, ?)",
            (guild, group, member, text, AT),
        )
    elif item == "abuse":
        await conn.execute("INSERT OR REPLACE INTO report_abuse VALUES (?, ?, ?, 5, ?)", (guild, member, AT, AT))
        await conn.execute("INSERT OR REPLACE INTO report_abuse VALUES (?, ?, ?, ?, ?)", (guild, 6 + n, AT, member, AT))
    elif item == "decided":
        await conn.execute(
            "INSERT INTO report_groups (guild_id, organisation, status, opened_at, decided_by, decided_at, updated_at) "
            "VALUES (?, 'Cerp', 'set_aside', ?, ?, ?, ?)",
            (guild, AT, member, AT, AT),
        )
    elif item == "maintenance":
        await conn.execute(
            "INSERT INTO maintenance (guild_id, number, organisation, starts_at, ends_at, scheduled_at, scheduled_by, "
            "owner_id, reminder_lead_s, updated_at) VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM maintenance "
            "WHERE guild_id = ?), 'Cerp', ?, ?, ?, ?, ?, 3600, ?)",
            (guild, guild, AT, AT, AT, member, member, AT),
        )
        await conn.execute(
            "INSERT OR REPLACE INTO maintenance_settings (guild_id, reminder_lead_s, updated_at, updated_by) "
            "VALUES (?, 3600, ?, ?)",
            (guild, AT, member),
        )
    elif item == "webhook":
        await conn.execute(
            "INSERT INTO webhooks (guild_id, number, url, secret, events, created_at, created_by, secret_set_at) "
            "VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM webhooks WHERE guild_id = ?), "
            "'https://hooks.example/t', ?, '[\"incident_declared\"]', ?, ?, ?)",
            (guild, guild, webhook_secret(member, n), AT, member, AT),
        )
        await conn.execute(
            "INSERT OR REPLACE INTO webhook_switches (guild_id, enabled, set_at, set_by) VALUES (?, 1, ?, ?)",
            (guild, AT, member),
        )
    elif item == "declared":
        await incident(conn, guild, n, by=member)
    elif item == "update":
        await conn.execute(
            "INSERT INTO updates (incident_id, kind, at, by, details) VALUES (?, 'note', ?, ?, ?)",
            (await incident(conn, guild, n), AT, member, json.dumps({"note": "ok"})),
        )
    elif item == "assigned":
        await conn.execute(
            "INSERT INTO updates (incident_id, kind, at, by, details) VALUES (?, 'assigned', ?, 5, ?)",
            (await incident(conn, guild, n), AT, json.dumps({"to": member, "from": 5})),
        )
    elif item == "visibility":
        await conn.execute(
            "INSERT OR REPLACE INTO incident_visibility VALUES (?, 1, ?, ?)",
            (await incident(conn, guild, n), AT, member),
        )
    elif item == "route":
        await conn.execute(
            "INSERT INTO routes (guild_id, channel_id, created_at, created_by) VALUES (?, ?, ?, ?)",
            (guild, 100 + n, AT, member),
        )
    elif item == "board":
        await conn.execute(
            "INSERT INTO boards (guild_id, channel_id, created_at, created_by) VALUES (?, ?, ?, ?)",
            (guild, 100 + n, AT, member),
        )
    elif item == "digest":
        await conn.execute(
            "INSERT INTO digests (guild_id, channel_id, every, at_time, covered_until, next_due_at, created_at, "
            "created_by) VALUES (?, 1, 'day', '18:00', ?, ?, ?, ?)",
            (guild, AT, AT, AT, member),
        )
    elif item == "public_page":
        await conn.execute(
            "INSERT OR REPLACE INTO public_pages (guild_id, slug, name, updated_at, updated_by) "
            "VALUES (?, ?, 'S', ?, ?)",
            (guild, f"s{guild}", AT, member),
        )
    elif item == "audit":
        await conn.execute(
            "INSERT INTO audit_log (guild_id, actor_id, action, arguments, result, at) VALUES (?, ?, 'x', ?, 'ok', ?)",
            (guild, member, json.dumps({"member": member, "text": text}), AT),
        )
        await conn.execute(
            "INSERT INTO audit_log (guild_id, actor_id, action, arguments, result, at) VALUES (?, 5, 'y', ?, 'ok', ?)",
            (guild, json.dumps({"to": member}), AT),
        )
    elif item == "dm_waiting":
        await conn.execute(
            "INSERT INTO outbox (guild_id, lane, kind, payload, created_at, updated_at) "
            "VALUES (?, ?, 'send_dm', ?, ?, ?)",
            (guild, f"dm:{member}", json.dumps(_dm(member, text)), AT, AT),
        )
    elif item == "post_done":
        await conn.execute(
            "INSERT INTO outbox (guild_id, lane, kind, payload, status, result, created_at, updated_at) "
            "VALUES (?, 'channel:300', 'send_message', ?, 'done', ?, ?, ?)",
            (guild, json.dumps(_post(member)), json.dumps({"message_id": 9_000_000 + n, "channel_id": 300}), AT, AT),
        )
    elif item == "thanks_waiting":
        await conn.execute(
            "INSERT INTO outbox (guild_id, lane, kind, payload, created_at, updated_at) "
            "VALUES (?, 'channel:301', 'send_message', ?, ?, ?)",
            (guild, json.dumps(_post(member, channel=301)), AT, AT),
        )
    else:
        raise ValueError(item)


def _dm(member: int, text: str) -> dict[str, Any]:
    return {"user_id": member, "content": text, "allowed_mentions": {"parse": [], "users": [], "roles": []}}


def _post(member: int, channel: int = 300) -> dict[str, Any]:
    return {
        "channel_id": channel,
        "content": f"<@{member}>\nMerci pour votre signalement.",
        "allowed_mentions": {"parse": [], "users": [member], "roles": []},
    }
