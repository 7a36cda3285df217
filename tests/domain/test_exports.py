"""Export files, read back the way their readers would: the CSV with the csv module, the JSON against its
schema, the HTML with html.parser, the Markdown as text. Figures are those of test_reporting (hand-computed)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.common.formatting import format_datetime, format_duration
from bot.common.i18n.catalogue import Language
from bot.exports.presentation import (
    SCHEMA_VERSION,
    Document,
    export_html,
    export_json,
    export_markdown,
    export_zip,
    incident_summary,
    schema,
)
from bot.exports.presentation.charts import MAX_BARS
from bot.exports.presentation.common import Words
from bot.exports.presentation.csv_files import (
    FIGURE_COLUMNS,
    FORMULA_STARTS,
    INCIDENT_COLUMNS,
    SERVICE_COLUMNS,
    TIMELINE_COLUMNS,
    Cells,
    inert,
)
from bot.exports.rules import IncidentRecord
from bot.incidents.rules.lifecycle import DeclareRequest, UpdateRequest, apply_update, declare, resolve
from bot.incidents.rules.model import Severity
from tests.domain.outage_examples import ANNE, GUILD, PARIS, Story, paris
from tests.domain.test_reporting import (
    AUTHORS,
    NOW,
    angouleme_open,
    angouleme_resolved,
    cerp,
    false_alarm,
    octave,
    scenarios,
)

OCTOBER = (paris(2024, 10, 1), paris(2024, 11, 1))
FORMULAS = ['=HYPERLINK("http://x")', "+33 1 23 45 67 89", "@SUM(A1:A2)", "-2+3", "\t=1+1"]


def hostile(number: int = 66, title: str = FORMULAS[0], **overrides: Any) -> IncidentRecord:
    """An incident whose every typed field tries to be a formula, markup or a mention."""
    story = Story()
    story.add(
        declare(
            DeclareRequest(
                title=title,
                organisation=overrides.get("organisation", FORMULAS[1]),
                sector=overrides.get("sector", "-2+3"),
                territories=["35"],
                severity=Severity.MINOR,
                services=[overrides.get("service", "@SUM(A1:A2)")],
                workaround=overrides.get("workaround", "=1+1 <b>gras</b>"),
                impact="@everyone",
            ),
            guild_id=GUILD,
            number=number,
            at=paris(2024, 10, 10, 9),
            by=ANNE,
        )
    )
    story.add(
        apply_update(
            story.incident,
            UpdateRequest(note=overrides.get("note", "=cmd|' /C calc'!A0")),
            at=paris(2024, 10, 10, 10),
            by=ANNE,
        )
    )
    story.add(resolve(story.incident, at=paris(2024, 10, 10, 11), by=ANNE))
    return IncidentRecord(story.incident, story.entries, {ANNE: "=evil()"}, None)


def read_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def read_csv(text: str, delimiter: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "UTF-8 with BOM"
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row, strict=True)) for row in body]


# --- CSV ---------------------------------------------------------------------------------------------------


def test_zip_holds_six_csv_files_and_a_readme() -> None:
    files = read_zip(export_zip(Document(scenarios(), "fr", PARIS, NOW, period=OCTOBER)))
    assert sorted(files) == [
        "README.txt",
        "figures.csv",
        "incidents.csv",
        "planned_maintenance.csv",
        "services.csv",
        "set_aside.csv",
        "timeline.csv",
    ]
    readme = files["README.txt"]
    assert "Définitions" in readme and "MTTR" in readme and "chevauche la période" in readme
    assert "Période : du mardi 1er octobre 2024 au jeudi 31 octobre 2024" in readme
    for name, columns in (
        ("incidents.csv", INCIDENT_COLUMNS),
        ("services.csv", SERVICE_COLUMNS),
        ("timeline.csv", TIMELINE_COLUMNS),
        ("figures.csv", FIGURE_COLUMNS),
    ):
        assert files[name].startswith("\ufeff" + ";".join(columns) + "\r\n")


def test_incidents_csv_in_french() -> None:
    rows = {
        row["number"]: row
        for row in read_csv(read_zip(export_zip(Document(scenarios(), "fr", PARIS, NOW)))["incidents.csv"], ";")
    }
    assert set(rows) == {"42", "7", "12"}
    cerp_row = rows["42"]
    assert cerp_row["title"] == "Cerp Bretagne Atlantique à l'arrêt"
    assert cerp_row["status"] == "Résolu"
    assert cerp_row["severity"] == "Critique"
    assert cerp_row["cause"] == "Cyberattaque suspectée"
    assert (
        cerp_row["territories"] == "Bretagne (région 53), Pays de la Loire (région 52), Nouvelle-Aquitaine (région 75)"
    )
    assert cerp_row["started"] == "2024-10-19T12:00+02:00"
    assert cerp_row["declared"] == "2024-10-19T12:40+02:00"
    assert cerp_row["resolved"] == "2024-10-22T11:00+02:00"
    assert cerp_row["duration_min"] == "4260"
    assert cerp_row["first_update_min"] == "450"
    assert cerp_row["updates"] == "3"
    assert cerp_row["link"] == f"https://discord.com/channels/{GUILD}/942"
    assert rows["7"]["duration_min"] == "9180"
    assert rows["12"]["duration_min"] == "43740"


def test_services_csv_has_the_scenario_durations() -> None:
    files = read_zip(export_zip(Document(scenarios(), "fr", PARIS, NOW)))
    services = {(r["number"], r["service"]): r for r in read_csv(files["services.csv"], ";")}
    assert (services["42", "commandes"]["downtime_min"], services["42", "commandes"]["degraded_min"]) == ("2670", "0")
    assert (services["42", "livraisons"]["downtime_min"], services["42", "livraisons"]["degraded_min"]) == (
        "2670",
        "1590",
    )
    assert services["7", "téléphonie"]["downtime_min"] == "3240"
    assert services["42", "livraisons"]["states"] == (
        "en panne 2024-10-19T12:00+02:00/2024-10-21T08:30+02:00 | dégradé 2024-10-21T08:30+02:00/2024-10-22T11:00+02:00"
    )
    assert services["42", "livraisons"]["state"] == "rétabli"


def test_an_open_incident_leaves_its_duration_empty() -> None:
    files = read_zip(export_zip(Document([angouleme_open()], "fr", PARIS, NOW)))
    (row,) = read_csv(files["incidents.csv"], ";")
    assert (row["status"], row["resolved"], row["duration_min"]) == ("En cours d'analyse", "", "")
    services = {r["service"]: r for r in read_csv(files["services.csv"], ";")}
    assert services["téléphonie"]["downtime_min"] == "3240"
    assert services["sites web"]["state"] == "en panne"


def test_timeline_csv_has_one_row_per_entry_with_author_and_words() -> None:
    rec = cerp()
    rows = read_csv(read_zip(export_zip(Document([rec], "fr", PARIS, NOW)))["timeline.csv"], ";")
    assert len(rows) == len(rec.timeline)
    assert rows[0]["kind"] == "Déclaration" and rows[0]["author"] == "coord.anne"
    note = next(r for r in rows if r["kind"] == "Note")
    assert note["author"] == "coord.yann" and note["at"] == "2024-10-19T20:10+02:00"
    assert note["text"].startswith("Toujours aucune information de la Cerp.")
    services = next(r for r in rows if r["kind"] == "Services")
    assert "commandes : en panne → rétabli, après 1 j 20 h 30 min" in services["text"]
    workaround = next(r for r in rows if r["kind"] == "Consignes")
    assert workaround["text"] == "Consignes (version 2) : Commandes de nouveau possibles ; livraisons avec retard."


def test_english_export_uses_commas_and_english_words() -> None:
    files = read_zip(export_zip(Document([cerp()], "en", PARIS, NOW)))
    assert files["incidents.csv"].startswith("\ufeff" + ",".join(INCIDENT_COLUMNS))
    (row,) = read_csv(files["incidents.csv"], ",")
    assert (row["status"], row["severity"], row["duration_min"]) == ("Resolved", "Critical", "4260")


def test_formulas_typed_anywhere_come_out_inert() -> None:
    files = read_zip(
        export_zip(
            Document([hostile(title=title, number=60 + i) for i, title in enumerate(FORMULAS)], "fr", PARIS, NOW)
        )
    )
    incidents = read_csv(files["incidents.csv"], ";")
    assert [row["title"] for row in incidents] == [
        '\'=HYPERLINK("http://x")',
        "'+33 1 23 45 67 89",
        "'@SUM(A1:A2)",
        "'-2+3",
        "'=1+1",  # a leading tab is not kept by input cleaning; the = behind it is still made inert
    ]
    assert all(row["organisation"] == "'+33 1 23 45 67 89" and row["sector"] == "'-2+3" for row in incidents)
    services = read_csv(files["services.csv"], ";")
    assert {row["service"] for row in services} == {"'@SUM(A1:A2)"}
    timeline = read_csv(files["timeline.csv"], ";")
    assert {row["author"] for row in timeline} == {"'=evil()"}
    assert any(row["text"] == "'=cmd|' /C calc'!A0" for row in timeline)
    for name in ("incidents.csv", "services.csv", "timeline.csv"):
        for row in read_csv(files[name], ";"):
            assert not any(cell.startswith(FORMULA_STARTS) for cell in row.values())


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=40
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_TEXT, organisation=_TEXT, sector=_TEXT, service=_TEXT, note=_TEXT, prefix=st.sampled_from(["", *"=+-@\t\r"])
)
def test_no_cell_ever_starts_like_a_formula(
    title: str, organisation: str, sector: str, service: str, note: str, prefix: str
) -> None:
    try:
        rec = hostile(
            title=prefix + title,
            organisation=prefix + organisation,
            sector=prefix + sector,
            service=prefix + service,
            note=prefix + note,
        )
    except ValueError:  # input the bot refuses (a field left empty once cleaned): nothing to export
        return
    languages: tuple[tuple[Language, str], ...] = (("fr", ";"), ("en", ","))
    for language, delimiter in languages:
        files = read_zip(export_zip(Document([rec], language, PARIS, NOW)))
        for name in ("incidents.csv", "services.csv", "timeline.csv"):
            for row in read_csv(files[name], delimiter):
                for cell in row.values():
                    assert not cell.startswith(FORMULA_STARTS), (name, cell)


_CELL = st.one_of(
    st.text(alphabet=st.sampled_from([*"ab ;,\"'\r\n\t=+-@é"]), max_size=12),
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, min_size=2, max_size=8), st.sampled_from([";", ","]))
def test_cells_are_written_as_the_csv_module_writes_them(values: list[Any], separator: str) -> None:
    # The writer quotes cells itself (for speed): byte for byte what csv.writer writes of the inert values.
    expected = io.StringIO(newline="")
    csv.writer(expected, delimiter=separator, lineterminator="\r\n").writerow(
        ["" if value is None else inert(value) for value in values]
    )
    assert Cells(separator).line(values) == expected.getvalue()
    reread = next(csv.reader(io.StringIO(expected.getvalue(), newline=""), delimiter=separator))
    assert reread == ["" if value is None else str(inert(value)) for value in values]


_ZONES = ["Europe/Paris", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(min_value=paris(1990, 1, 1).replace(tzinfo=None), max_value=paris(2040, 1, 1).replace(tzinfo=None)),
    st.sampled_from(_ZONES),
    st.sampled_from(_ZONES),
    st.booleans(),
)
def test_iso_dates_are_the_instant_in_the_server_zone(naive: Any, stored: str, server: str, fold: bool) -> None:
    # Half-hour and 45-minute offsets, the repeated autumn hour (fold) and dates given in another zone.
    at = naive.replace(tzinfo=ZoneInfo(stored), fold=int(fold))
    words = Words("fr", ZoneInfo(server), NOW)
    for _ in range(2):  # the second time from the cache
        assert words.iso(at) == at.astimezone(ZoneInfo(server)).isoformat(timespec="minutes")


def test_iso_dates_tell_the_two_repeated_autumn_hours_apart() -> None:
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 02:30 summer time, then 02:30 winter time
    words = Words("fr", PARIS, NOW)
    assert [words.iso(first), words.iso(first + timedelta(hours=1))] == [
        "2024-10-27T02:30+02:00",
        "2024-10-27T02:30+01:00",
    ]


def test_csv_writers_take_a_generator() -> None:
    data = export_zip(Document((rec for rec in scenarios()), "fr", PARIS, NOW))
    assert len(read_csv(read_zip(data)["incidents.csv"], ";")) == 3


def test_one_export_never_mixes_servers() -> None:
    other = cerp()
    other = IncidentRecord(
        other.incident.__class__(**{**other.incident.__dict__, "guild_id": GUILD + 1}), other.timeline
    )
    for export in (export_zip, export_json, export_html, export_markdown):
        with pytest.raises(ValueError, match="guilds"):
            export(Document([cerp(), other], "fr", PARIS, NOW))


def test_the_zip_is_the_same_bytes_for_the_same_export() -> None:
    assert export_zip(Document(scenarios(), "fr", PARIS, NOW)) == export_zip(Document(scenarios(), "fr", PARIS, NOW))


# --- JSON --------------------------------------------------------------------------------------------------


def validate(document: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(document)
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(loaded)
    return loaded


@pytest.mark.parametrize("language", ["fr", "en"])
def test_json_validates_against_its_schema(language: str) -> None:
    records = [*scenarios(), angouleme_open(), false_alarm(), hostile()]
    # angouleme_open and angouleme_resolved share number 7 on purpose: the schema does not forbid it, the
    # database does; what is checked here is the shape.
    document = validate(export_json(Document(records, language, PARIS, NOW, period=OCTOBER)))  # type: ignore[arg-type]
    assert document["schema_version"] == SCHEMA_VERSION
    assert len(document["definitions"]) >= 5
    assert [i["number"] for i in document["cancelled"]] == [50]
    assert 50 not in [i["number"] for i in document["incidents"]]


def test_json_figures_and_incidents() -> None:
    document = validate(export_json(Document(scenarios(), "fr", PARIS, NOW)))
    figures = document["figures"]
    assert figures["by_severity"] == {"critical": 1, "major": 2, "minor": 0}
    assert figures["durations"] == {"count": 3, "total_min": 57180, "median_min": 9180, "mean_min": 19060}
    assert figures["mttr_min"] == 19060
    assert figures["first_update"]["median_min"] == 3150
    incidents = {i["number"]: i for i in document["incidents"]}
    cerp_json = incidents[42]
    assert cerp_json["duration_min"] == 4260
    assert document["guild_id"] == str(GUILD)
    assert {s["name"]: (s["downtime_min"], s["degraded_min"]) for s in cerp_json["services"]} == {
        "commandes": (2670, 0),
        "livraisons": (2670, 1590),
    }
    assert len(cerp_json["timeline"]) == len(cerp().timeline)
    assert cerp_json["timeline"][0]["by"] == {"id": "11", "name": "coord.anne"}
    assert cerp_json["workaround"]["version"] == 2


def test_empty_export_is_valid_json() -> None:
    document = validate(export_json(Document([], "fr", PARIS, NOW)))
    assert document["incidents"] == [] and document["guild_id"] is None


# --- HTML --------------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a test needs to know of a page: tags, ids, attributes, text, and which section each text is in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
            if name == "id" and value:
                self.ids.add(value)
                if tag == "section":
                    self.sections.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def parse(document: bytes) -> Page:
    page = Page()
    page.feed(document.decode("utf-8"))
    page.close()
    return page


def assert_self_contained(page: Page, allowed_links: set[str]) -> None:
    assert not {"script", "link", "img", "iframe", "object", "embed", "base", "image"} & set(page.tags)
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name not in ("src", "srcset"), (tag, name, value)
        if name in ("href", "xlink:href"):  # the chart's <use> point inside the page
            assert value.startswith("#") or value in allowed_links, value
        assert "http://" not in value and ("https://" not in value or value in allowed_links), (tag, name, value)
        assert "url(http" not in value.replace(" ", "")


def test_html_report_sections_and_figures() -> None:
    records = [*scenarios(), false_alarm()]
    page = parse(export_html(Document(records, "fr", PARIS, NOW, period=OCTOBER)))
    assert page.sections == ["definitions", "summary", "figures", "chart", "incidents", "cancelled"]
    assert {"incident-42", "incident-7", "incident-12", "incident-50"} <= page.ids
    text = page.all_text
    assert "Rapport des pannes" in text
    assert "Période : du mardi 1er octobre 2024 au jeudi 31 octobre 2024" in text
    assert "chevauche la période" in text  # the definitions
    assert "2 j 23 h" in text  # Cerp
    assert "samedi 19 octobre à 12:00" in text
    assert "1 j 2 h 30 min" in text and "1 j 20 h 30 min" in text  # livraisons down, then degraded
    assert "MTTR 13 j 5 h 40 min" in text  # 19,060 min
    assert "lundi 31 juillet 2023 à 17:00" in text  # another year than the report's: the year is written
    assert "3 pannes comptées : 3 résolues, aucune en cours ; 1 annulée (hors chiffres)." in text
    assert_self_contained(page, {f"https://discord.com/channels/{GUILD}/{900 + n}" for n in (42, 7, 12, 50)})
    assert "svg" in page.tags and "path" in page.tags


def test_html_escapes_what_people_typed() -> None:
    rec = hostile(title='<script>alert("x")</script> & <img src=x onerror=alert(1)>', workaround="<b>gras</b>")
    raw = export_html(Document([rec], "fr", PARIS, NOW))
    page = parse(raw)
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    assert '<script>alert("x")</script> & <img src=x onerror=alert(1)>' in page.all_text
    assert "<b>gras</b>" in page.all_text
    assert_self_contained(page, set())


def test_html_link_must_be_a_web_address() -> None:
    rec = cerp()
    bad = IncidentRecord(rec.incident, rec.timeline, AUTHORS, "javascript:alert(1)")
    page = parse(export_html(Document([bad], "fr", PARIS, NOW)))
    assert not any(name == "href" and value.startswith("javascript") for _, name, value in page.attrs)


def test_html_chart_is_aggregated_past_the_bar_limit() -> None:
    base = hostile(title="Panne")
    many = [
        IncidentRecord(base.incident.__class__(**{**base.incident.__dict__, "number": n}), base.timeline, {}, None)
        for n in range(1, MAX_BARS + 2)
    ]
    page = parse(export_html(Document(many, "fr", PARIS, NOW)))
    assert "le graphique compte les pannes en cours chaque jour" in page.all_text
    assert "Pannes en cours chaque jour, par gravité" in page.all_text
    assert_self_contained(page, set())


def test_html_in_english() -> None:
    text = parse(export_html(Document([cerp()], "en", PARIS, NOW))).all_text
    assert "Outage report" in text and "2 d 23 h" in text and "Saturday 19 October at 12:00" in text


# --- Markdown ----------------------------------------------------------------------------------------------


def test_markdown_report() -> None:
    text = export_markdown(Document([*scenarios(), false_alarm()], "fr", PARIS, NOW, period=OCTOBER))
    for heading in (
        "# Rapport des pannes",
        "## Définitions",
        "## Chiffres",
        "## Synthèse",
        "## Pannes",
        "## Pannes annulées",
    ):
        assert f"\n{heading}\n" in f"\n{text}"
    assert "### #42 · Cerp Bretagne Atlantique à l'arrêt" in text
    assert "- **Durée** : 2 j 23 h" in text
    assert "- **livraisons** — rétabli — en panne 1 j 20 h 30 min, puis dégradé 1 j 2 h 30 min" in text
    assert "- **samedi 19 octobre à 20:10** — coord.yann · Note" in text
    assert "| pharmacie | 1 | 1 | 2 j 23 h | 2 j 23 h |" in text


def test_markdown_escapes_what_people_typed() -> None:
    text = export_markdown(Document([hostile(title="# Titre *gras* [lien](http://x) | <b>")], "fr", PARIS, NOW))
    assert r"\# Titre \*gras\* \[lien\](http://x) \| \<b\>" in text
    assert "# Titre *gras*" not in text.replace("### #66 · \\# Titre", "")


# --- /outage summary ---------------------------------------------------------------------------------------


def test_incident_summary_is_a_dated_account() -> None:
    markdown, html = incident_summary(cerp(), "fr", PARIS)
    assert markdown.startswith("# Compte rendu de la panne #42 · Cerp Bretagne Atlantique à l'arrêt\n")
    for expected in (
        "Généré le mardi 22 octobre 2024 à 11:00",
        "- **Début** : samedi 19 octobre à 12:00",
        "- **Déclarée** : samedi 19 octobre à 12:40, par coord.anne",
        "- **Durée** : 2 j 23 h",
        "- Version 1, le samedi 19 octobre à 12:40, par coord.anne",
        "- Version 2, le lundi 21 octobre à 08:30, par coord.anne",
        "- **samedi 19 octobre à 20:10** — coord.yann · Note",
        "- **mardi 22 octobre à 11:00** — coord.anne · Résolution",
        "> commandes : en panne → rétabli, après 1 j 20 h 30 min",
    ):
        assert expected in markdown, expected
    page = parse(html)
    assert "incident-42" in page.ids and "definitions" in page.ids
    assert "svg" in page.tags  # its services over time
    text = page.all_text
    assert (
        "Compte rendu de la panne #42" in text
        and "coord.yann" in text
        and "Rétablis à la résolution : livraisons" in text
    )
    assert_self_contained(page, {f"https://discord.com/channels/{GUILD}/942"})


def test_summary_of_an_open_incident_and_of_a_cancelled_one() -> None:
    markdown, html = incident_summary(angouleme_open(), "fr", PARIS, paris(2023, 7, 29, 20))
    assert "en cours (depuis 4 j 12 h)" in markdown
    assert "téléphonie** — rétabli — en panne 2 j 6 h" in markdown
    markdown, html = incident_summary(false_alarm(), "en", PARIS)
    assert "Cancelled" in markdown and "false alarm" in markdown
    parse(html)


# --- shared wording ----------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=paris(2000, 1, 1).replace(tzinfo=None), max_value=paris(2040, 1, 1).replace(tzinfo=None)),
    st.sampled_from(["fr", "en"]),
    st.sampled_from(["Europe/Paris", "America/Cayenne", "Indian/Reunion", "UTC"]),
)
def test_dates_read_as_formatting_writes_them(naive: Any, language: str, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    at = naive.replace(tzinfo=ZoneInfo("UTC"))
    words = Words(language, zone, NOW)  # type: ignore[arg-type]
    assert words.date(at) == format_datetime(at, language, zone, NOW)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10_000_000, max_value=10_000_000), st.sampled_from(["fr", "en"]))
def test_durations_read_as_formatting_writes_them(seconds: int, language: str) -> None:
    words = Words(language, PARIS, NOW)  # type: ignore[arg-type]
    delta = timedelta(seconds=seconds)
    assert words.duration(delta) == format_duration(delta, language)  # type: ignore[arg-type]
    assert words.duration(delta) == format_duration(delta, language)  # type: ignore[arg-type]  # cached


def test_exports_import_neither_discord_nor_a_database() -> None:
    code = (
        "import sys, bot.exports, bot.exports.rules; "
        "bad = [m for m in ('discord', 'aiosqlite', 'apscheduler') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_octave_france_entiere_in_every_export() -> None:
    rows = read_csv(read_zip(export_zip(Document([octave()], "fr", PARIS, NOW)))["incidents.csv"], ";")
    assert rows[0]["territories"] == "France entière"
    assert "France entière" in parse(export_html(Document([octave()], "fr", PARIS, NOW))).all_text
    resolved = angouleme_resolved()
    assert resolved.incident.resolved_at == paris(2023, 7, 31, 17)
