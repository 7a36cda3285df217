"""What the program says to the operator at the terminal: one sentence each, in the operator's language (from the
usual locale variables), and the exit statuses a service manager acts on.

0: done, or stopped on request. 1: a problem that may pass (Discord unreachable, the database busy or held by
another bot): starting again later can work. 2: a configuration to fix (a missing or refused token, a malformed
setting): starting again changes nothing, so a service manager must not loop (`RestartPreventExitStatus=2`).
"""

from __future__ import annotations

import os
import sys

from bot.common.errors import TocsinError
from bot.common.i18n import Language, default_catalogue, language_of

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


def operator_language() -> Language:
    """The language of the person at the terminal, from the usual locale variables."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(variable):
            return language_of(value.replace("_", "-"), fallback="en")
    return "en"


def say(message_id: str, **args: object) -> None:
    print(default_catalogue().render(operator_language(), message_id, **args))


def say_error(error: TocsinError) -> None:
    print(default_catalogue().render(operator_language(), error.message_id, **error.args_map), file=sys.stderr)
