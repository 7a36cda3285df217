"""The pure rules of a member's data: which columns hold a member's id and what a forget does to each, the
pseudonym that replaces a forgotten member's id, and the rewrite of the JSON and text that name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Treatment(StrEnum):
    # The row is the member's own (a follow, a reminder, a mark): it is deleted.
    ERASED = "erased"
    # The row is part of a record that must stay (who declared, who decided): the id becomes the pseudonym.
    PSEUDONYMISED = "pseudonymised"


@dataclass(frozen=True)
class MemberColumn:
    """A column holding a member's id (`id_column`), or text and JSON that may name one (`text_column`)."""

    table: str
    column: str
    treatment: Treatment
    holds_text: bool = False


def id_column(table: str, column: str, treatment: Treatment) -> MemberColumn:
    return MemberColumn(table, column, treatment)


def text_column(table: str, column: str) -> MemberColumn:
    return MemberColumn(table, column, Treatment.PSEUDONYMISED, holds_text=True)


# Column names that say "a Discord member" (tests/privacy/test_member_columns.py holds every such column of the
# schema to a declaration in the registry): ids of people, and who did something.
MEMBER_NAME = re.compile(r"(^|_)(user|member|owner|actor|author|reporter|subscriber|by)(_|$)")
# Ids that are not people's: a new `…_id` column outside these words must be declared one way or the other.
OTHER_ID_WORDS = frozenset(
    {
        "guild", "channel", "role", "message", "incident", "group", "interaction", "thread", "board", "digest",
        "route", "reminder", "report", "webhook", "maintenance", "application", "row", "card",
    }
)  # fmt: skip


def names_a_member(column: str) -> bool:
    return MEMBER_NAME.search(column) is not None


def is_other_id(column: str) -> bool:
    return column.endswith("_id") and column.removesuffix("_id").rsplit("_", 1)[-1] in OTHER_ID_WORDS


# --- pseudonyms ---------------------------------------------------------------------------------------------


def pseudonym(number: int) -> int:
    """The id standing for the `number`th member forgotten in a server: negative, so never a Discord id."""
    if number < 1:
        raise ValueError("pseudonym numbers start at 1")
    return -number


def is_pseudonym(user_id: int) -> bool:
    return user_id < 0


def pseudonym_number(user_id: int) -> int:
    return -user_id


# --- rewriting what names a member --------------------------------------------------------------------------


def _bare(user_id: int) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d-]){user_id}(?!\d)")


def _mention(user_id: int) -> re.Pattern[str]:
    return re.compile(rf"<@!?{user_id}>")


def names(text: str | None, user_id: int) -> bool:
    """Whether `text` (JSON, a lane, a sentence) holds `user_id` as a number of its own."""
    return text is not None and _bare(user_id).search(text) is not None


@dataclass(frozen=True)
class Rewrite:
    """A forget's rewrite of what names `user_id`: a mention becomes `label` (the pseudonym in words, inert), any
    other occurrence of the id the pseudonym, and the id leaves every list of people a message may ping."""

    user_id: int
    pseudonym: int
    label: str

    def text(self, value: str) -> str:
        value = _mention(self.user_id).sub(self.label, value)
        return _bare(self.user_id).sub(str(self.pseudonym), value)

    def json(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.pseudonym if value == self.user_id else value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "users" and isinstance(item, list):
                    item = [user for user in item if user not in (self.user_id, str(self.user_id))]
                out[self.text(key)] = self.json(item)
            return out
        return value
