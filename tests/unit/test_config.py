from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DISCORD_TOKEN",
        "TOCSIN_DATABASE_PATH",
        "TOCSIN_DEV_GUILD_ID",
        "TOCSIN_LOG_LEVEL",
        "TOCSIN_LANGUAGE",
        "TOCSIN_TIME_ZONE",
        "DISCORD_API_BASE",
        "DISCORD_GATEWAY_URL",
        "TOCSIN_CLOCK_URL",
        "TOCSIN_OUTBOX_RATE",
        "TOCSIN_DM_RATE",
        "TOCSIN_LOG_FORMAT",
        "TOCSIN_BACKUP_DIR",
        "TOCSIN_BACKUP_KEEP",
        "TOCSIN_HEALTH_ADDRESS",
        "TOCSIN_WEB_ADDRESS",
        "TOCSIN_WEB_TRUSTED_PROXY",
        "TOCSIN_WEB_RATE",
        "TOCSIN_WEB_BURST",
        "TOCSIN_READY_OUTBOX_AGE",
        "CREDENTIALS_DIRECTORY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_work_without_configuration(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.env")
    assert settings.database_path == Path("tocsin.db")
    assert settings.default_language == "fr"
    assert settings.time_zone == "Europe/Paris"
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.clock_url is None
    assert settings.health_listen == ("127.0.0.1", 8095), "health and metrics on the loopback interface by default"
    assert settings.backup_dir is None and settings.backup_folder == Path("backups")
    assert settings.web_trusted_proxies == frozenset(), "no proxy trusted: the client is the peer"
    assert settings.web_rate_per_s > 0 and settings.web_burst >= 1, "a request limit on by default"
    with pytest.raises(ConfigError) as refused:
        settings.token()
    assert refused.value.message_id == "config.error.token_missing"


def test_the_trusted_proxies_and_the_request_limit_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOCSIN_WEB_TRUSTED_PROXY", "127.0.0.2, ::1")
    monkeypatch.setenv("TOCSIN_WEB_RATE", "0")
    settings = load_settings(tmp_path / "absent.env")
    assert settings.web_trusted_proxies == frozenset({"127.0.0.2", "::1"})
    assert settings.web_rate_per_s == 0, "0 turns the request limit off"


def test_env_file_and_environment_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abc.def\nTOCSIN_LANGUAGE=EN\nTOCSIN_DEV_GUILD_ID=42\n", encoding="utf-8")
    monkeypatch.setenv("TOCSIN_TIME_ZONE", "America/Cayenne")
    settings = load_settings(env)
    assert settings.token() == "abc.def"
    assert settings.default_language == "en"
    assert settings.dev_guild_id == 42
    assert settings.time_zone == "America/Cayenne"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TOCSIN_TIME_ZONE", "Europe/Pariss"),
        ("TOCSIN_DEV_GUILD_ID", "not-a-number"),
        ("TOCSIN_LANGUAGE", "de"),
        ("TOCSIN_LOG_LEVEL", "LOUD"),
        ("DISCORD_API_BASE", "discord.com"),
        ("TOCSIN_OUTBOX_RATE", "500"),
        ("TOCSIN_HEALTH_ADDRESS", "0.0.0.0"),
        ("TOCSIN_HEALTH_ADDRESS", "localhost:99999"),
        ("TOCSIN_WEB_ADDRESS", "0.0.0.0"),
        ("TOCSIN_WEB_TRUSTED_PROXY", "proxy.example"),
        ("TOCSIN_WEB_TRUSTED_PROXY", "127.0.0.1, 10.0.0.300"),
        ("TOCSIN_WEB_RATE", "-1"),
        ("TOCSIN_WEB_BURST", "0"),
        ("TOCSIN_BACKUP_KEEP", "0"),
        ("TOCSIN_LOG_FORMAT", "xml"),
        ("TOCSIN_READY_OUTBOX_AGE", "-5"),
    ],
)
def test_a_malformed_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path / "absent.env")
    assert refused.value.message_id == "config.error.invalid"
    assert refused.value.args_map["variable"] == variable


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def base_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TOCSIN_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["LANG"] = "fr_FR.UTF-8"
    env["TOCSIN_DATABASE_PATH"] = str(tmp_path / "tocsin.db")
    return env


def test_run_without_token_says_what_to_do_and_exits_2(tmp_path: Path) -> None:
    result = run_cli("run", env=base_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and ".env.example" in result.stderr and "demo" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_setting_exits_2_with_one_sentence(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"TOCSIN_TIME_ZONE": "Mars/Olympus", "LANG": "en_GB.UTF-8"}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("The setting TOCSIN_TIME_ZONE has an invalid value (Mars/Olympus)")
    assert "Traceback" not in result.stderr


def test_check_reports_configuration_and_database(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"DISCORD_TOKEN": "secret-token-value", "LANG": "en_US.UTF-8"}
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DISCORD_TOKEN: set (not shown)." in result.stdout
    assert "Integrity: ok." in result.stdout
    assert "secret-token-value" not in result.stdout + result.stderr


def test_health_can_be_turned_off_or_moved_and_backups_given_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_HEALTH_ADDRESS", "off")
    monkeypatch.setenv("TOCSIN_BACKUP_DIR", str(tmp_path / "copies"))
    settings = load_settings(tmp_path / "absent.env")
    assert settings.health_listen is None
    assert settings.backup_folder == tmp_path / "copies"
    monkeypatch.setenv("TOCSIN_HEALTH_ADDRESS", "[::1]:9100")
    monkeypatch.setenv("TOCSIN_BACKUP_DIR", "")
    settings = load_settings(tmp_path / "absent.env")
    assert settings.health_listen == ("::1", 9100)
    assert settings.backup_dir is None


def test_the_public_pages_are_off_unless_given_an_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(tmp_path / "absent.env").web_listen is None
    monkeypatch.setenv("TOCSIN_WEB_ADDRESS", "127.0.0.1:8080")
    assert load_settings(tmp_path / "absent.env").web_listen == ("127.0.0.1", 8080)


def test_the_token_can_come_from_a_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "DISCORD_TOKEN").write_text("from.the.credential\n", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert load_settings(tmp_path / "absent.env").token() == "from.the.credential"
    monkeypatch.setenv("DISCORD_TOKEN", "from.the.environment")
    assert load_settings(tmp_path / "absent.env").token() == "from.the.environment"


def test_the_example_settings_file_copied_as_is_works(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings(env)
    assert settings.dev_guild_id is None and settings.backup_dir is None and settings.discord_token is None
    assert settings.health_listen == ("127.0.0.1", 8095)
