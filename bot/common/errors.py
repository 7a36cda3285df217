"""Errors the domain raises; each carries a message id and its arguments, worded by the adapter."""

from __future__ import annotations

from typing import Any


class TocsinError(Exception):
    """A refusal or failure that the person who acted must read as one sentence in their language.

    `message_id` is a key of the catalogues in `bot/i18n/messages/`; `args` fill its placeholders.
    """

    def __init__(self, message_id: str, **args: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.args_map: dict[str, Any] = args

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message_id!r}, {self.args_map!r})"
