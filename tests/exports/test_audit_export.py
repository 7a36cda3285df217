"""The audit log exported as CSV for a period (`/export format: audit log`): one server's entries only, those of
the period only, oldest first; member ids as Discord shows them, their names beside; no cell a spreadsheet runs."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from bot.exports.use_cases import ExportError, ExportRequest, audit_log_export, export
from bot.storage import audit
from bot.storage.store import Store
from tests.exports.scenarios import EXPORT_NOW, GUILD, OTHER_GUILD, paris

SOPHIE = 112233445566778899  # a real snowflake's size: a spreadsheet would round it if it were a number
ANNE = 1001


async def write(store: Store, guild_id: int | None, at: datetime, action: str, result: str = "ok", **args: str) -> None:
    async with store.unit_of_work() as conn:
        await audit.record(
            conn, guild_id=guild_id, actor_id=SOPHIE, action=action, arguments=args, result=result, at=at
        )


def rows_of(data: bytes, separator: str = ";") -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


async def test_the_audit_log_of_a_period_comes_as_one_csv_of_that_servers_entries(store: Store) -> None:
    await write(store, GUILD, paris(2024, 9, 30, 23, 59), "setup language", language="fr")  # before the period
    await write(store, GUILD, paris(2024, 10, 19, 12, 40), "outage declare", title='=HYPERLINK("http://x")')
    await write(store, OTHER_GUILD, paris(2024, 10, 19, 13, 0), "outage declare", title="Autre serveur")
    await write(store, GUILD, paris(2024, 10, 19, 14, 5), "reminder create", "+33 6 12", reminder="4")
    await write(store, None, paris(2024, 10, 20, 9, 0), "operator restore")  # the operator's, no server's
    await write(store, GUILD, paris(2024, 11, 1, 0, 0), "outage resolve")  # after the period

    result = await audit_log_export(
        store.path,
        GUILD,
        "octobre 2024",
        now=EXPORT_NOW,
        default_language="fr",
        default_time_zone="Europe/Paris",
        names=lambda ids: {SOPHIE: "@Sophie (admin)"} if SOPHIE in ids else {},
    )
    (file,) = result.files
    assert file.name == "tocsin-audit-2024-10-01-2024-11-01.csv" and result.incidents == 2
    declared, reminded = rows_of(file.data)
    assert list(declared) == ["at", "member_id", "member", "action", "arguments", "result"]
    assert declared["at"] == "2024-10-19T12:40:00+02:00"
    assert declared["member_id"] == str(SOPHIE) and declared["member"] == "'@Sophie (admin)"
    assert declared["action"] == "outage declare" and '"=HYPERLINK' in declared["arguments"]
    assert not declared["arguments"].startswith(("=", "+", "-", "@"))
    assert reminded["action"] == "reminder create" and reminded["result"] == "'+33 6 12"
    assert "Autre serveur" not in file.data.decode("utf-8-sig")


async def test_an_audit_export_in_english_is_comma_separated_and_a_bad_period_says_what_to_fix(store: Store) -> None:
    async with store.unit_of_work() as conn:
        await conn.execute(
            "INSERT INTO guild_settings (guild_id, language, time_zone, updated_at) VALUES (?, 'en', 'UTC', ?)",
            (GUILD, "2024-10-01T00:00:00Z"),
        )
    await write(store, GUILD, paris(2024, 10, 19, 12, 40), "outage declare", title="Cerp")
    result = await audit_log_export(
        store.path, GUILD, "October 2024", now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris"
    )
    (row,) = rows_of(result.files[0].data, ",")
    assert row["at"] == "2024-10-19T10:40:00+00:00" and row["member"] == str(SOPHIE)
    with pytest.raises(ExportError) as refused:
        await audit_log_export(
            store.path,
            GUILD,
            "le mois des quatre jeudis",
            now=EXPORT_NOW,
            default_language="fr",
            default_time_zone="Europe/Paris",
        )
    assert refused.value.message_id == "export.error.in_field"


async def test_the_audit_log_goes_through_export_and_refuses_the_incidents_filters(store: Store) -> None:
    await write(store, GUILD, paris(2024, 10, 19, 12, 40), "outage declare", title="Cerp")
    asked = ExportRequest(guild_id=GUILD, format="audit", period="octobre 2024")
    result = await export(store.path, asked, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris")
    assert result.files[0].name.startswith("tocsin-audit-") and result.incidents == 1
    narrowed = ExportRequest(guild_id=GUILD, format="audit", period="octobre 2024", territory="29")
    with pytest.raises(ExportError) as refused:
        await export(store.path, narrowed, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris")
    assert refused.value.message_id == "export.error.audit_filters"
