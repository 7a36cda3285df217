"""Exports read from the database: the three scenarios' figures checked against values computed by hand, one
server's data only, the filters, one consistent snapshot, and files cut to Discord's upload limit."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest

from bot.exports import store as export_repo
from bot.exports.presentation import schema
from bot.exports.use_cases import ExportError, ExportRequest, ExportResult, export, fit
from bot.incidents.rules.model import Cause, Severity
from bot.incidents.use_cases.typed_input import DeclareInput
from bot.storage.store import Store
from tests.exports.scenarios import (
    ANNE,
    EVERYTHING,
    EXPORT_NOW,
    FORMULA_TITLES,
    GUILD,
    OTHER_GUILD,
    OTHER_TITLE,
    add_formula_titles,
    paris,
    play_scenarios,
)

CERP, ANGOULEME, OCTAVE = 1, 2, 3


@pytest.fixture
async def played(store: Store) -> AsyncIterator[Store]:
    await play_scenarios(store)
    yield store


async def run(store: Store, fmt: str = "csv", period: str = EVERYTHING, **filters: str) -> ExportResult:
    request = ExportRequest(guild_id=filters.pop("guild", GUILD), format=fmt, period=period, **filters)  # type: ignore[arg-type]
    return await export(store.path, request, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris")


def read_zip(result: ExportResult) -> dict[str, list[dict[str, str]]]:
    (file,) = result.files
    with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""), delimiter=";"))
            for name in ("incidents.csv", "services.csv", "timeline.csv")
        }


def numbers(result: ExportResult) -> list[int]:
    return [int(row["number"]) for row in read_zip(result)["incidents.csv"]]


async def test_scenarios_in_csv_match_the_durations_computed_by_hand(played: Store) -> None:
    result = await run(played)
    assert result.incidents == 3 and result.files[0].name == "tocsin-2023-07-01-2024-11-01.zip"
    files = read_zip(result)
    incidents = {int(row["number"]): row for row in files["incidents.csv"]}
    assert sorted(incidents) == [CERP, ANGOULEME, OCTAVE]
    # Cerp: Sat 19/10 12:00 → Tue 22/10 11:00 = 2 j 23 h; first update Sat 20:10, declared 12:40 = 7 h 30 min.
    assert (incidents[CERP]["duration_min"], incidents[CERP]["first_update_min"]) == (str(71 * 60), str(450))
    assert incidents[CERP]["started"] == "2024-10-19T12:00+02:00"
    assert incidents[CERP]["resolved"] == "2024-10-22T11:00+02:00"
    assert (
        incidents[CERP]["territories"]
        == "Bretagne (région 53), Pays de la Loire (région 52), Nouvelle-Aquitaine (région 75)"
    )
    assert (incidents[CERP]["severity"], incidents[CERP]["status"]) == ("Critique", "Résolu")
    # Angoulême is still open: no duration; first update Thu 27/07 14:00 − Tue 25/07 09:30 = 2 j 4 h 30 min.
    assert (incidents[ANGOULEME]["duration_min"], incidents[ANGOULEME]["first_update_min"]) == ("", str(3150))
    # Octave: Mon 19/08 09:00 ("ce matin") → Wed 18/09 17:00 = 30 j 8 h; first update Fri 23/08 10:00 = 3 j 19 h.
    assert (incidents[OCTAVE]["duration_min"], incidents[OCTAVE]["first_update_min"]) == (str(728 * 60), str(5460))

    services = {(int(row["number"]), row["service"]): row for row in files["services.csv"]}
    minutes = {key: (int(row["downtime_min"]), int(row["degraded_min"])) for key, row in services.items()}
    assert minutes[(CERP, "commandes")] == (2670, 0)  # down 1 j 20 h 30 min
    assert minutes[(CERP, "livraisons")] == (2670, 1590)  # then degraded 1 j 2 h 30 min
    assert minutes[(ANGOULEME, "téléphonie")] == (3240, 0)  # down 2 j 6 h
    assert minutes[(OCTAVE, "préparation des commandes")] == (5820, 37860)  # 4 j 1 h, then 26 j 7 h
    assert minutes[(OCTAVE, "facturation")] == (728 * 60, 0)
    assert services[(CERP, "livraisons")]["states"] == (
        "en panne 2024-10-19T12:00+02:00/2024-10-21T08:30+02:00 | dégradé 2024-10-21T08:30+02:00/2024-10-22T11:00+02:00"
    )
    timeline = [row for row in files["timeline.csv"] if row["number"] == str(CERP)]
    assert timeline[0]["at"] == "2024-10-19T12:40+02:00"
    assert any("Toujours aucune information de la Cerp." in row["text"] for row in timeline)
    assert {row["author_id"] for row in timeline} == {str(ANNE.user_id), "1002"}


async def test_scenarios_figures_in_json_validate_and_match(played: Store) -> None:
    result = await run(played, "json")
    document = json.loads(result.files[0].data)
    jsonschema.validate(document, schema())
    figures = document["figures"]
    assert (figures["incidents"], figures["resolved"], figures["open"]) == (3, 2, 1)
    assert figures["by_severity"] == {"critical": 1, "major": 2, "minor": 0}
    assert sorted((s["sector"], s["count"]) for s in figures["by_sector"]) == [
        ("collectivité", 1),
        ("librairie", 1),
        ("pharmacie", 1),
    ]
    # Each territory row counts the incidents it overlaps: Octave (France entière) is in every row.
    assert {t["ref"]: t["count"] for t in figures["by_territory"]} == {"FR": 3, "R75": 3, "16": 3, "R53": 2, "R52": 2}
    # Resolved: Cerp 4,260 min and Octave 43,680 min.
    assert figures["durations"] == {"count": 2, "total_min": 47940, "median_min": 23970, "mean_min": 23970}
    assert figures["mttr_min"] == 23970
    assert figures["first_update"] == {"count": 3, "total_min": 9060, "median_min": 3150, "mean_min": 3020}
    totals = {s["name"]: (s["incidents"], s["downtime_min"], s["degraded_min"]) for s in figures["services"]}
    assert totals["commandes"] == (1, 2670, 0)  # Angoulême is open: its services are in no total
    assert "téléphonie" not in totals
    (angouleme,) = [i for i in document["incidents"] if i["number"] == ANGOULEME]
    phones = next(s for s in angouleme["services"] if s["name"] == "téléphonie")
    assert (phones["downtime_min"], phones["ongoing"], angouleme["duration_min"]) == (3240, False, None)
    assert OTHER_TITLE not in result.files[0].data.decode()


async def test_every_format_gives_durations_and_mttr_per_territory_and_per_service(played: Store) -> None:
    """Resolved: Cerp (R53, R52, R75; 4,260 min) and Octave (France entière; 43,680 min); Angoulême (16) is open:
    counted in its rows, in none of their durations. Per service, each resolved incident's time to restore it."""
    document = json.loads((await run(played, "json")).files[0].data)
    jsonschema.validate(document, schema())
    assert document["schema_version"] == 3
    figures = document["figures"]
    per_territory = {t["ref"]: (t["count"], t["total_min"], t["mean_min"]) for t in figures["mttr_by_territory"]}
    assert per_territory == dict.fromkeys(("FR", "R75", "16", "R53", "R52"), (2, 47940, 23970))
    restore = {s["name"]: s["time_to_restore"] for s in figures["services"]}
    assert restore["livraisons"] == {"count": 1, "total_min": 4260, "median_min": 4260, "mean_min": 4260}
    assert restore["commandes"]["mean_min"] == 2670

    (archive,) = (await run(played)).files
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        text = opened.read("figures.csv").decode("utf-8-sig")
    rows = {(r["dimension"], r["key"]): r for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=";")}
    assert rows[("all", "")]["mttr_min"] == "23970"
    bretagne = rows[("territory", "R53")]
    assert (bretagne["incidents"], bretagne["resolved"], bretagne["mttr_min"]) == ("2", "2", "23970")
    assert (rows[("territory", "16")]["incidents"], rows[("territory", "16")]["resolved"]) == ("3", "2")
    deliveries = rows[("service", "livraisons")]
    assert (deliveries["resolved"], deliveries["total_min"], deliveries["mttr_min"]) == ("1", "4260", "4260")
    assert rows[("sector", "pharmacie")]["mttr_min"] == "4260"

    markdown = (await run(played, "md")).files[0].data.decode()
    territory_line = next(line for line in markdown.splitlines() if line.startswith("| Bretagne"))
    assert "16 j 15 h 30 min" in territory_line, territory_line  # 23,970 min
    service_line = next(line for line in markdown.splitlines() if line.startswith("| livraisons"))
    assert service_line.endswith("| 1 j 2 h 30 min | 2 j 23 h | 2 j 23 h |"), service_line  # degraded, median, MTTR
    html = (await run(played, "html")).files[0].data.decode()
    assert html.count("16 j 15 h 30 min") >= 5, "the MTTR of each territory row"


async def test_scenarios_in_markdown_and_html_read_as_people_say_them(played: Store) -> None:
    markdown = (await run(played, "md")).files[0].data.decode()
    for said in ("2 j 23 h", "1 j 20 h 30 min", "1 j 2 h 30 min", "2 j 6 h", "30 j 8 h"):
        assert said in markdown, said
    html = (await run(played, "html")).files[0].data.decode()
    assert "2 j 23 h" in html and "1 j 2 h 30 min" in html and "2 j 6 h" in html


async def test_an_export_holds_only_the_asking_servers_incidents(played: Store) -> None:
    for fmt in ("csv", "json", "md", "html"):
        data = (await run(played, fmt)).files[0].data
        text = zipfile.ZipFile(io.BytesIO(data)).read("incidents.csv").decode() if fmt == "csv" else data.decode()
        assert OTHER_TITLE not in text, fmt
    other = await run(played, guild=OTHER_GUILD)  # type: ignore[arg-type]
    (row,) = read_zip(other)["incidents.csv"]
    assert (row["number"], row["title"]) == ("1", OTHER_TITLE)
    assert other.incidents == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "resolved"}, [CERP, OCTAVE]),
        ({"status": "open"}, [ANGOULEME]),
        ({"territory": "Bretagne"}, [CERP, OCTAVE]),  # France entière concerns Bretagne too
        ({"territory": "16"}, [CERP, ANGOULEME, OCTAVE]),  # Nouvelle-Aquitaine contains Charente
        ({"sector": "Librairie"}, [OCTAVE]),
        ({"organisation": "angouleme"}, [ANGOULEME]),  # case and accents aside
        ({"severity": "critical"}, [CERP]),
        ({"period": "octobre 2024"}, [CERP, ANGOULEME]),  # an open incident lasts until now
        ({"period": "juillet 2023"}, [ANGOULEME]),
        ({"period": "du 01/09/2024 au 30/09/2024", "severity": "major"}, [ANGOULEME, OCTAVE]),
    ],
)
async def test_filters(played: Store, filters: dict[str, str], expected: list[int]) -> None:
    assert numbers(await run(played, **filters)) == expected


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        ({"period": "n'importe quand"}, "la période"),
        ({"territory": "Atlantide"}, "le territoire"),
        ({"sector": "boulangerie"}, "le secteur"),
    ],
)
async def test_a_bad_option_is_refused_with_what_to_fix(played: Store, filters: dict[str, str], said: str) -> None:
    with pytest.raises(ExportError) as caught:
        await run(played, **filters)
    assert caught.value.args_map["field"].message_id.startswith("export.field.")


async def test_reading_in_batches_gives_the_same_records(played: Store) -> None:
    async with export_repo.snapshot(played.path) as conn:
        query = export_repo.ExportQuery(guild_id=GUILD, period=(paris(2023, 1, 1), paris(2025, 1, 1)))
        ids = await export_repo.matching_ids(conn, query)
        batches = [batch async for batch in export_repo.records(conn, query, ids, now=EXPORT_NOW, batch=1)]
        whole = [batch async for batch in export_repo.records(conn, query, ids, now=EXPORT_NOW)]
    assert [len(b) for b in batches] == [1, 1, 1]
    assert [r.incident.number for b in batches for r in b] == [r.incident.number for r in whole[0]]
    cerp = whole[0][0]
    assert cerp.incident.territories == ("R53", "R52", "R75")
    assert [s.name for s in cerp.incident.services] == ["commandes", "livraisons"]
    assert len(cerp.timeline) >= 4 and cerp.timeline[0].kind == "declared"


async def test_the_export_reads_one_snapshot_while_the_bot_writes(played: Store) -> None:
    """A declaration committed while an export is reading does not appear in it, and does not wait for it."""
    query = export_repo.ExportQuery(guild_id=GUILD, period=(paris(2023, 1, 1), paris(2025, 1, 1)))
    async with export_repo.snapshot(played.path) as conn:
        before = await export_repo.matching_ids(conn, query)
        from bot.incidents.use_cases.lifecycle import Lifecycle
        from bot.settings.rules.config import ServerDefaults

        await Lifecycle(played, ServerDefaults()).declare(  # the bot's write goes through meanwhile
            ANNE,
            DeclareInput(
                title="Déclarée pendant l'export",
                sector="santé",
                territories="29",
                severity=Severity.MINOR,
                cause=Cause.UNKNOWN,
                started="aujourd'hui 9h",
            ),
            now=paris(2024, 10, 22, 10, 0),
        )
        again = await export_repo.matching_ids(conn, query)
        records = [
            r for batch in [b async for b in export_repo.records(conn, query, again, now=EXPORT_NOW)] for r in batch
        ]
    assert again == before and len(records) == 3
    assert "Déclarée pendant l'export" not in [r.incident.title for r in records]
    assert len(numbers(await run(played))) == 4  # the next export sees it


async def test_formulas_typed_into_titles_come_out_inert(played: Store) -> None:
    from bot.incidents.use_cases.lifecycle import Lifecycle
    from bot.settings.rules.config import ServerDefaults

    await add_formula_titles(played, Lifecycle(played, ServerDefaults()))
    files = read_zip(await run(played, period="octobre 2024"))
    titles = [row["title"] for row in files["incidents.csv"]]
    assert [f"'{title}" for title in FORMULA_TITLES] == [t for t in titles if t.startswith("'")]
    for name, rows in files.items():
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


def test_a_large_file_is_zipped_then_cut_into_parts_that_join_back() -> None:
    text = b"incident;" * 2000  # compresses far below the limit
    (whole,), zipped, split = fit("r.json", text, limit=4096)
    assert (whole.name, zipped, split) == ("r.json.zip", True, False)
    assert zipfile.ZipFile(io.BytesIO(whole.data)).read("r.json") == text

    noise = os.urandom(10_000)  # does not compress: parts of at most 4,096 bytes
    parts, zipped, split = fit("r.zip", noise, limit=4096)
    assert [p.name for p in parts] == ["r.zip.001", "r.zip.002", "r.zip.003"] and split and not zipped
    assert all(len(p.data) <= 4096 for p in parts) and b"".join(p.data for p in parts) == noise
    with pytest.raises(ExportError) as caught:
        fit("r.zip", noise, limit=1000, max_parts=8)
    assert caught.value.message_id == "export.error.too_large"


async def test_past_the_upload_limit_the_export_comes_in_parts(played: Store, tmp_path: Path) -> None:
    request = ExportRequest(guild_id=GUILD, format="html", period=EVERYTHING)
    result = await export(
        played.path, request, now=EXPORT_NOW, default_language="fr", default_time_zone="Europe/Paris", limit=4000
    )
    assert result.split and result.zipped and len(result.files) > 1
    joined = b"".join(f.data for f in result.files)
    assert zipfile.ZipFile(io.BytesIO(joined)).read("tocsin-2023-07-01-2024-11-01.html").startswith(b"<!DOCTYPE html>")
