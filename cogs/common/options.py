"""Slash-command options: a name and a description, both translated, written once and shared by the commands
that take them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from discord import app_commands

_F = TypeVar("_F", bound=Callable[..., object])


@dataclass(frozen=True)
class Option:
    name: app_commands.locale_str
    description: app_commands.locale_str


def options(**chosen: Option) -> Callable[[_F], _F]:
    """`app_commands.rename` and `app_commands.describe` of these parameters, in one decorator."""

    def decorate(func: _F) -> _F:
        func = app_commands.describe(**{param: option.description for param, option in chosen.items()})(func)
        return app_commands.rename(**{param: option.name for param, option in chosen.items()})(func)

    return decorate
