"""What members' reports add to the exports: per incident the reports, the reporting members, the first report and
the time to declare; over the period the median time to declare; the groups set aside listed apart in every
format and counted in no incident's figures; the JSON valid against its schema, whose version went up."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import timedelta

import jsonschema

from bot.exports.presentation import (
    SCHEMA_VERSION,
    Document,
    export_html,
    export_json,
    export_markdown,
    export_zip,
    schema,
)
from bot.exports.rules import IncidentRecord, Reported, SetAsideGroup, figures, measure
from tests.domain.outage_examples import PARIS, paris
from tests.domain.test_exports import OCTOBER, read_zip
from tests.domain.test_reporting import NOW, angouleme_resolved, cerp, octave

FIRST_REPORT = paris(2024, 10, 19, 12, 20)
POLLEN = SetAsideGroup("Pollen", "incident local chez un seul libraire", paris(2024, 10, 19, 14, 0), 1, 1)


def reported_cerp() -> IncidentRecord:
    """The Cerp incident, declared at 12:40 after members first reported it at 12:20."""
    return dataclasses.replace(cerp(), reported=Reported(5, 4, FIRST_REPORT))


def test_time_to_declare_runs_from_the_first_report_to_the_declaration() -> None:
    record = reported_cerp()
    assert record.incident.declared_at == paris(2024, 10, 19, 12, 40)
    assert measure(record, now=NOW).to_declare == timedelta(minutes=20)
    # Reports that came after the declaration joined it: they did not lead to it.
    late = dataclasses.replace(cerp(), reported=Reported(2, 2, paris(2024, 10, 19, 13, 10)))
    assert measure(late, now=NOW).to_declare is None
    assert measure(cerp(), now=NOW).to_declare is None
    figs = figures([record, late, angouleme_resolved()], now=NOW)
    assert (figs.to_declare.count, figs.to_declare.median, figs.reports) == (1, timedelta(minutes=20), 7)


def test_the_csv_carries_the_figures_and_lists_the_set_aside_reports_apart() -> None:
    files = read_zip(
        export_zip(Document([reported_cerp(), octave()], "fr", PARIS, NOW, period=OCTOBER, set_aside=[POLLEN]))
    )
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(files["incidents.csv"].lstrip("\ufeff")), delimiter=";")}
    cerp_row = rows[str(reported_cerp().incident.number)]
    assert (cerp_row["reports"], cerp_row["reporting_members"]) == ("5", "4")
    assert cerp_row["first_report"] == "2024-10-19T12:20+02:00" and cerp_row["time_to_declare_min"] == "20"
    other = rows[str(octave().incident.number)]
    assert (other["reports"], other["reporting_members"], other["first_report"], other["time_to_declare_min"]) == (
        "0",
        "0",
        "",
        "",
    )
    (aside,) = csv.DictReader(io.StringIO(files["set_aside.csv"].lstrip("\ufeff")), delimiter=";")
    assert aside == {
        "organisation": "Pollen",
        "reason": "incident local chez un seul libraire",
        "set_aside_at": "2024-10-19T14:00+02:00",
        "reports": "1",
        "reporting_members": "1",
    }
    assert "Délai de déclaration" in files["README.txt"] and "set_aside.csv" in files["README.txt"]


def test_the_json_is_valid_against_its_new_schema_version() -> None:
    assert SCHEMA_VERSION == 3 and schema()["properties"]["schema_version"] == {"const": 3}
    document = json.loads(
        export_json(Document([reported_cerp()], "en", PARIS, NOW, period=OCTOBER, set_aside=[POLLEN]))
    )
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(document)
    (incident,) = document["incidents"]
    assert (incident["reports"], incident["reporting_members"], incident["time_to_declare_min"]) == (5, 4, 20)
    assert incident["first_report_at"] == "2024-10-19T12:20:00+02:00"
    assert document["figures"]["time_to_declare"]["median_min"] == 20 and document["figures"]["reports"] == 5
    assert document["figures"]["set_aside_groups"] == 1 and document["figures"]["incidents"] == 1
    assert document["set_aside"] == [
        {
            "organisation": "Pollen",
            "reason": "incident local chez un seul libraire",
            "set_aside_at": "2024-10-19T14:00:00+02:00",
            "reports": 1,
            "reporting_members": 1,
        }
    ]


def test_the_html_and_markdown_reports_show_the_median_time_to_declare_and_the_set_aside_reports() -> None:
    html = export_html(Document([reported_cerp()], "fr", PARIS, NOW, period=OCTOBER, set_aside=[POLLEN])).decode(
        "utf-8"
    )
    assert 'id="time-to-declare"' in html and "médiane 20 min" in html
    assert 'id="set-aside"' in html and "Pollen" in html and "incident local chez un seul libraire" in html
    assert "5 signalements de 4 membres" in html and "déclarée 20 min après" in html
    text = export_markdown(Document([reported_cerp()], "en", PARIS, NOW, period=OCTOBER, set_aside=[POLLEN]))
    assert "Time to declare from the first report (1 outage): median 20 min" in text
    assert "## Reports set aside (1)" in text and "Pollen" in text
    without = export_html(Document([cerp()], "fr", PARIS, NOW, period=OCTOBER)).decode("utf-8")
    assert 'id="set-aside"' not in without
