"""The systemd unit shipped in deploy/: checked by systemd's own `systemd-analyze verify` once rendered with the paths
of an install (the environment these tests run in, settings in a temporary folder), hardened as the README says,
and its command run as systemd would run it (its environment, the token as a credential), pointed at a port that
refuses connections."""

from __future__ import annotations

import os
import shlex
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.migrations import known_version
from tests.unit.test_starting import schema_version, sentences

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "tocsin.service"
INSTALLED = "/opt/tocsin/.venv"  # where the README installs the program
SETTINGS = "/etc/tocsin"
STATE = "/var/lib/tocsin"


def render(folder: Path, *, venv: Path, state: Path | None = None) -> Path:
    """The unit with the paths of an install; `state` also moves the database (to run its command here)."""
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace(INSTALLED, str(venv)).replace(SETTINGS, str(folder / "etc")).replace("/opt/tocsin", str(ROOT))
    if state is not None:
        text = text.replace(STATE, str(state))
    unit = folder / "tocsin.service"
    unit.write_text(text, encoding="utf-8")
    return unit


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )


def service_lines(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.needs_apt
def test_systemd_verifies_the_unit_rendered_for_an_install_without_a_warning(tmp_path: Path) -> None:
    result = verify(render(tmp_path, venv=Path(sys.prefix)))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.needs_apt
def test_systemd_refuses_the_unit_when_its_program_is_not_installed(tmp_path: Path) -> None:
    result = verify(render(tmp_path, venv=tmp_path / "not-installed"))
    assert result.returncode != 0
    assert f"Command {tmp_path}/not-installed/bin/tocsin is not executable" in result.stderr


def test_the_unit_runs_as_its_own_user_hardened_and_never_loops_on_a_setting_to_fix() -> None:
    lines = service_lines(UNIT)
    assert lines["User"] == ["tocsin"] and lines["StateDirectory"] == ["tocsin"]
    assert lines["ProtectSystem"] == ["strict"] and lines["NoNewPrivileges"] == ["yes"]
    assert lines["Restart"] == ["on-failure"] and lines["RestartPreventExitStatus"] == ["2"]
    assert lines["RestartSec"] == ["10"]
    assert (lines["StartLimitIntervalSec"], lines["StartLimitBurst"]) == (["600"], ["5"])
    assert lines["LoadCredential"] == ["DISCORD_TOKEN:/etc/tocsin/discord-token"]
    assert "DISCORD_TOKEN" not in " ".join(lines.get("Environment", []))


def test_the_units_command_starts_with_its_environment_and_credential(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    unit = render(tmp_path, venv=Path(sys.prefix), state=state)
    lines = service_lines(unit)
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    name, source = lines["LoadCredential"][0].split(":", 1)
    assert source == str(tmp_path / "etc" / "discord-token")
    (credentials / name).write_text("abc.def.ghi\n", encoding="utf-8")
    with socket.socket() as probe:  # a port nothing listens on: the start fails at Discord, after the database
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
    env |= dict(line.split("=", 1) for line in lines["Environment"])
    env |= {"CREDENTIALS_DIRECTORY": str(credentials), "DISCORD_API_BASE": f"http://127.0.0.1:{closed}/api/v10"}
    env |= {"TOCSIN_HEALTH_ADDRESS": "127.0.0.1:0"}
    (command,) = lines["ExecStart"]
    result = subprocess.run(
        shlex.split(command), cwd=lines["WorkingDirectory"][0], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert sentences(result.stderr)[0].startswith(f"Cannot reach http://127.0.0.1:{closed}/api/v10 (")
    database = state / "tocsin.db"
    assert schema_version(database) == known_version()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
