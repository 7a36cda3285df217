"""Tocsin's settings, read from the environment and `.env` (see `.env.example`, which documents each one)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.common.errors import TocsinError

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
# Health and metrics answer on the loopback interface unless told otherwise; "off" turns them off.
HEALTH_ADDRESS = "127.0.0.1:8095"


class ConfigError(TocsinError):
    """A missing or malformed setting: the program stops with one sentence naming it."""


class Settings(BaseSettings):
    # An empty line of .env.example ("TOCSIN_DEV_GUILD_ID=") means "not set", as if it were absent.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    database_path: Path = Field(default=Path("tocsin.db"), validation_alias="TOCSIN_DATABASE_PATH")
    dev_guild_id: int | None = Field(default=None, validation_alias="TOCSIN_DEV_GUILD_ID")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", validation_alias="TOCSIN_LOG_LEVEL")
    default_language: Literal["fr", "en"] = Field(default="fr", validation_alias="TOCSIN_LANGUAGE")
    time_zone: str = Field(default="Europe/Paris", validation_alias="TOCSIN_TIME_ZONE")
    discord_api_base: str = Field(default=DISCORD_API_BASE, validation_alias="DISCORD_API_BASE")
    discord_gateway_url: str = Field(default=DISCORD_GATEWAY_URL, validation_alias="DISCORD_GATEWAY_URL")
    clock_url: str | None = Field(default=None, validation_alias="TOCSIN_CLOCK_URL")
    outbox_rate_per_s: float = Field(default=45.0, gt=0, le=50, validation_alias="TOCSIN_OUTBOX_RATE")
    dm_rate_per_s: float = Field(default=5.0, gt=0, le=40, validation_alias="TOCSIN_DM_RATE")
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="TOCSIN_LOG_FORMAT")
    backup_dir: Path | None = Field(default=None, validation_alias="TOCSIN_BACKUP_DIR")
    backup_keep: int = Field(default=7, ge=1, le=1000, validation_alias="TOCSIN_BACKUP_KEEP")
    health_address: str = Field(default=HEALTH_ADDRESS, validation_alias="TOCSIN_HEALTH_ADDRESS")
    web_address: str = Field(default="off", validation_alias="TOCSIN_WEB_ADDRESS")
    web_trusted_proxy: str = Field(default="", validation_alias="TOCSIN_WEB_TRUSTED_PROXY")
    web_rate_per_s: float = Field(default=5.0, ge=0, validation_alias="TOCSIN_WEB_RATE")
    web_burst: int = Field(default=60, ge=1, validation_alias="TOCSIN_WEB_BURST")
    ready_outbox_age_s: float = Field(default=900.0, gt=0, validation_alias="TOCSIN_READY_OUTBOX_AGE")
    # Tests only: lets webhooks reach loopback addresses (never private, link-local or metadata ones).
    webhook_allow_loopback: bool = Field(default=False, validation_alias="TOCSIN_WEBHOOK_ALLOW_LOOPBACK")
    webhook_retry_first_s: float = Field(default=5.0, gt=0, le=3600, validation_alias="TOCSIN_WEBHOOK_RETRY_FIRST")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("health_address", "web_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value.strip().lower() != "off":
            host_and_port(value)
        return value.strip()

    @field_validator("web_trusted_proxy")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for address in value.split(","):
            if address.strip():
                ipaddress.ip_address(address.strip())  # a ValueError names the setting
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _lower_language(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("discord_api_base", "discord_gateway_url", "clock_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError("not an absolute URL")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def backup_folder(self) -> Path:
        """Where backups go: TOCSIN_BACKUP_DIR, else `backups` beside the database (the one `migrate` takes)."""
        return self.backup_dir if self.backup_dir is not None else self.database_path.parent / "backups"

    @property
    def health_listen(self) -> tuple[str, int] | None:
        """The host and port of health and metrics, None when turned off."""
        return None if self.health_address.lower() == "off" else host_and_port(self.health_address)

    @property
    def web_listen(self) -> tuple[str, int] | None:
        """The host and port of the public pages, None when turned off (the default)."""
        return None if self.web_address.lower() == "off" else host_and_port(self.web_address)

    @property
    def web_trusted_proxies(self) -> frozenset[str]:
        """The addresses whose forwarding headers name the client (a reverse proxy in front of the public pages)."""
        return frozenset(str(ipaddress.ip_address(a.strip())) for a in self.web_trusted_proxy.split(",") if a.strip())

    def token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError("config.error.token_missing")
        return self.discord_token.get_secret_value().strip()


def host_and_port(address: str) -> tuple[str, int]:
    """ "127.0.0.1:8095", "[::1]:8095" or "localhost:8095" as (host, port); ValueError otherwise."""
    host, separator, port = address.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("not a host:port address")
    return host, int(port)


# The environment variable behind each field, for sentences that name the setting a person must fix.
ENV_NAMES: dict[str, str] = {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Settings from the environment, `env_file`, then the files systemd hands over as credentials (one file per
    variable, named after it: the token can stay out of the environment); a bad value raises ConfigError naming
    its variable."""
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    try:
        return Settings(_env_file=env_file, _secrets_dir=credentials or None)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        location = first["loc"][0] if first["loc"] else ""
        variable = ENV_NAMES.get(str(location), str(location))
        value = first.get("input")
        shown = "" if variable == "DISCORD_TOKEN" else str(value)[:80]
        raise ConfigError("config.error.invalid", variable=variable, value=shown) from None
