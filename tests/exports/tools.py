"""Headless Chromium and LibreOffice, as a person would open an export. CI installs both (.ci/run); a missing
tool fails the test with what to install rather than skipping it, so a green run always means "checked"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The report must open with no network: any address it tried to reach would fail to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
TIMEOUT_S = 120


def need(tool: str, package: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is not installed: `apt-get install -y {package}` (.ci/run installs it)"
    return found


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Chromium on `page` with a fresh profile; `args` say what to produce (--screenshot=…, --dump-dom)."""
    binary = need("chromium", "chromium")
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        timeout=TIMEOUT_S,
        check=True,
    )


def libreoffice_to_csv(sources: list[Path], out_dir: Path, profile: Path) -> None:
    """Opens each `;`-separated UTF-8 CSV in LibreOffice Calc, with formula evaluation ON (what a careless
    import would do), and saves it back as CSV: a cell that ran as a formula comes back as its result."""
    binary = need("soffice", "libreoffice-calc-nogui")
    # CSV filter tokens: separator 59 (;), quote 34 ("), charset 76 (UTF-8), first line 1, column formats (none),
    # language 0, quoted as text false, detect special numbers true, save as shown false, formulas false,
    # remove spaces false, export placeholders false, evaluate formulas TRUE.
    import_options = "CSV:59,34,76,1,,0,false,true,false,false,false,false,true"
    subprocess.run(
        [
            binary,
            "--headless",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--infilter={import_options}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1",
            "--outdir",
            str(out_dir),
            *(str(s) for s in sources),
        ],
        capture_output=True,
        timeout=TIMEOUT_S,
        check=True,
    )
