"""The file a member receives from `/privacy`: what Tocsin keeps about them, by feature and table, every row as
stored (times in UTC, ids as numbers; a negative id is a forgotten member's pseudonym)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

FILE_VERSION = 1


def member_file(user_id: int, servers: dict[str, Any], *, now: datetime) -> bytes:
    """`servers`: by server id, by feature, by table, the rows."""
    document = {
        "tocsin_member_data": FILE_VERSION,
        "member_id": user_id,
        "made_at": now.isoformat(timespec="seconds"),
        "servers": servers,
    }
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False, default=str).encode("utf-8")


def row_count(data: bytes) -> int:
    """How many rows the file holds (the private reply says it)."""
    servers = json.loads(data)["servers"]
    return sum(len(rows) for sections in servers.values() for tables in sections.values() for rows in tables.values())
