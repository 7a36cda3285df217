"""Logging that can never print a token or what members typed, at any level.

Three kinds of secret could reach a log: the bot token (given at start), interaction tokens (each lets its
holder answer as the bot for 15 minutes; discord.py's webhook module logs the URLs that carry them) and what
members typed (discord.py's HTTP and gateway loggers dump payloads at DEBUG, aiosqlite logs SQL parameters).
The first two are redacted from every record; the loggers that dump payloads are kept at INFO or above.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

REDACTED = "[token hidden]"
# Discord's interaction tokens are base64 of "interaction:…"; webhook and interaction URLs carry one (or a
# webhook's own token) as the path segment after the id.
INTERACTION_TOKEN = re.compile(r"aW50ZXJhY3Rpb246[\w-]+|(?<=/webhooks/)(\d+/)[\w.-]+|(?<=/interactions/)(\d+/)[\w.-]+")
# Loggers that write whole payloads at DEBUG: requests and responses, gateway events, SQL with its parameters.
PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook", "discord.state", "aiosqlite")


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return INTERACTION_TOKEN.sub(lambda m: (m.group(1) or m.group(2) or "") + REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    """Replaces the token wherever it appears in a record, whatever logger or level produced it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a pre-filled exc_text, so the traceback can be redacted here like the message.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for attribute in ("exc_text", "stack_info"):
            text = getattr(record, attribute)
            if text:
                setattr(record, attribute, redact(text, self._secrets))
        return True


class RetryWithoutTraceback(logging.Filter):
    """discord.py logs each of its gateway reconnection attempts with a full traceback (dozens of lines while the
    network is down): one line each is enough, with the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "discord.client" and str(record.msg).startswith("Attempting a reconnect") and record.exc_info:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


class JsonLines(logging.Formatter):
    """One event a line, as a JSON object (time, level, logger, message, and the traceback if any), for log
    collectors. The redacting filter has run before: what is formatted here is already free of tokens."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["traceback"] = record.exc_text
        if record.stack_info:
            event["stack"] = record.stack_info
        return json.dumps(event, ensure_ascii=False)


def configure_logging(level: str, *, secrets: list[str], json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RetryWithoutTraceback())
    handler.addFilter(TokenRedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The filter hides tokens; keeping these at INFO keeps members' typed text out of logs too.
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
