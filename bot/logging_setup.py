"""Logging that can never print the bot token, at any level."""

from __future__ import annotations

import logging
import sys

REDACTED = "[token hidden]"


class TokenRedactingFilter(logging.Filter):
    """Replaces the token wherever it appears in a record, whatever logger or level produced it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a pre-filled exc_text, so the traceback can be redacted here like the message.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for attribute in ("exc_text", "stack_info"):
            text = getattr(record, attribute)
            if text:
                for secret in self._secrets:
                    text = text.replace(secret, REDACTED)
                setattr(record, attribute, text)
        return True


def configure_logging(level: str, *, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(TokenRedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.http logs whole request bodies and headers at DEBUG; the filter hides the token, and this keeps
    # members' typed text out of logs too.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, logging.getLevelName(level)))
