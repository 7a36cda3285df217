"""Exports of incidents for admins: CSV files zipped, JSON with its schema, Markdown, a
self-contained HTML report, and one incident's dated account for `/outage summary`.

Pure: records in (`bot.exports.rules.IncidentRecord`), bytes or text out. Nothing here reads a database or
talks to Discord; the caller filters records to one server and a period (`reporting.in_period`) and delivers the
files. Every writer refuses records of more than one server.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.common.i18n.catalogue import Language
from bot.exports.presentation.common import SCHEMA_VERSION, Document
from bot.exports.presentation.csv_files import audit_csv, export_zip, write_csvs
from bot.exports.presentation.html_report import export_html, summary_html
from bot.exports.presentation.json_file import export_json, schema
from bot.exports.presentation.markdown import export_markdown, summary_markdown
from bot.exports.rules import IncidentRecord


def incident_summary(
    record: IncidentRecord, language: Language, zone: ZoneInfo, now: datetime | None = None
) -> tuple[str, bytes]:
    """`/outage summary`: one incident's dated account, as Markdown and as a self-contained HTML file.

    `now` is the time of the account (what an open incident is measured to); it defaults to the incident's last
    change, so the same incident always gives the same document.
    """
    at = now if now is not None else record.incident.updated_at
    return summary_markdown(record, language, zone, at), summary_html(record, language, zone, at)


__all__ = [
    "SCHEMA_VERSION",
    "Document",
    "audit_csv",
    "export_html",
    "export_json",
    "export_markdown",
    "export_zip",
    "incident_summary",
    "schema",
    "write_csvs",
]
