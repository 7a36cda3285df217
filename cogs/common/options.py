"""Slash-command options and subcommands: a name and a description, both translated, written once and shared by
the commands that take them.

The French of each string is the catalogue entry named by a convention, so that a declaration says its English
once and its message ids follow from where it stands: a command's ids start with `cmd.` and its full English name,
words joined by `.` and `-` written `_` (`/setup log-channel`: `cmd.setup.log_channel`), then `.name` and
`.description`; its option `param` is `{that}.{param}.name` and `{that}.{param}` (`name_option` for a parameter
called `name`, whose `.name` would be the command's own). tests/i18n/test_catalogue.py reads the built commands
to check that each has its French."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from discord import app_commands

from bot.interactions.translator import text

if TYPE_CHECKING:
    from discord.app_commands.commands import CommandCallback

_F = TypeVar("_F", bound=Callable[..., object])
_P = ParamSpec("_P")
_T = TypeVar("_T")

# What a subcommand's option is declared with: its description (the option is named as its parameter), or its
# name and description, the name either English (its id by the convention) or one shared with other commands.
Described = str | tuple[str | app_commands.locale_str, str]


@dataclass(frozen=True)
class Option:
    name: app_commands.locale_str
    description: app_commands.locale_str


def _option(ids: str, key: str, description: str, name: str | app_commands.locale_str | None = None) -> Option:
    """The option whose ids are `{ids}.{key}.name` and `{ids}.{key}`; named `key` unless `name` says otherwise,
    and a `locale_str` name is one shared with another option (its own id)."""
    if not isinstance(name, app_commands.locale_str):
        name = text(name or key, f"{ids}.{key}.name")
    return Option(name, text(description, f"{ids}.{key}"))


def shared_option(
    command: str, key: str, description: str, *, name: str | app_commands.locale_str | None = None
) -> Option:
    """An option that the commands of `/command` share (or a top-level command's own), written once: its ids are
    `cmd.{command}.opt.{key}.name` and `cmd.{command}.opt.{key}`."""
    return _option(f"cmd.{command}.opt", key, description, name)


def options(**chosen: Option) -> Callable[[_F], _F]:
    """`app_commands.rename` and `app_commands.describe` of these parameters, in one decorator."""

    def decorate(func: _F) -> _F:
        func = app_commands.describe(**{param: option.description for param, option in chosen.items()})(func)
        return app_commands.rename(**{param: option.name for param, option in chosen.items()})(func)

    return decorate


def _declared(
    command: Callable[[CommandCallback[Any, _P, _T]], app_commands.Command[Any, _P, _T]],
    prefix: str,
    described: dict[str, Described | Option],
) -> Callable[[CommandCallback[Any, _P, _T]], app_commands.Command[Any, _P, _T]]:
    chosen: dict[str, Option] = {}
    for param, spec in described.items():
        if isinstance(spec, Option):
            chosen[param] = spec
            continue
        key = "name_option" if param == "name" else param
        option_name, option_description = (None, spec) if isinstance(spec, str) else spec
        chosen[param] = _option(prefix, key, option_description, option_name or param)

    def decorate(func: CommandCallback[Any, _P, _T]) -> app_commands.Command[Any, _P, _T]:
        return command(options(**chosen)(func) if chosen else func)

    return decorate


def _ids(full_name: str) -> str:
    return "cmd." + full_name.replace(" ", ".").replace("-", "_")


def server_command(
    name: str, description: str, /, **described: Described | Option
) -> Callable[[CommandCallback[Any, _P, _T]], app_commands.Command[Any, _P, _T]]:
    """A top-level command, offered in servers only, declared by the convention (the module's docstring); an
    option may also be one of those its commands share (`shared_option`)."""
    prefix = _ids(name)
    command = app_commands.command(
        name=text(name, f"{prefix}.name"), description=text(description, f"{prefix}.description")
    )
    declared = _declared(command, prefix, described)
    return lambda func: declared(app_commands.guild_only(func))


@dataclass(frozen=True)
class Subcommands:
    """Declares the subcommands of `group`, their message ids by the convention (the module's docstring)."""

    group: app_commands.Group

    def __call__(
        self, name: str, description: str, /, **described: Described | Option
    ) -> Callable[[CommandCallback[Any, _P, _T]], app_commands.Command[Any, _P, _T]]:
        prefix = _ids(f"{self.group.qualified_name} {name}")
        command = self.group.command(
            name=text(name, f"{prefix}.name"), description=text(description, f"{prefix}.description")
        )
        return _declared(command, prefix, described)
