"""The wheel carries every file the code reads at run time: an editable install reads them from the source tree,
so a file missing from the package data would only fail once installed. Builds the wheel and looks inside."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_SUFFIXES = {".json", ".sql", ".html", ".css", ".csv"}


def test_the_wheel_holds_every_template_stylesheet_catalogue_and_migration(tmp_path: Path) -> None:
    # Built from a clean copy: a `build/` folder left by an earlier build would hand back files it holds.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("tocsin-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        path.relative_to(ROOT).as_posix()
        for top in ("bot", "migrations")
        for path in (ROOT / top).rglob("*")
        if path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts
    }
    shipped = {
        "bot/public/templates/page.html",
        "bot/public/templates/style.css",
        "bot/public/schemas/public-api.v1.json",  # the JSON API's schema, read at run time and documented
    }
    assert shipped <= wanted
    assert sorted(wanted - inside) == []
