"""`defer_if_slow`: one round trip for quick work, a deferral (Discord's 3 s) for slow work, errors passed on.
Once an action is saved (`mark_done`, `reply_done`): the person sees what was done once, or only the log does."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.interactions.replies import defer_if_slow, done_statement, mark_done, reply_done, tell_done


class Response:
    """The part of an interaction's response `defer_if_slow` touches, recording what it was asked."""

    def __init__(self) -> None:
        self.deferrals: list[dict[str, Any]] = []

    def is_done(self) -> bool:
        return bool(self.deferrals)

    async def defer(self, **kwargs: Any) -> None:
        self.deferrals.append(kwargs)


class Interaction:
    def __init__(self) -> None:
        self.response = Response()


async def work(seconds: float, value: str = "done") -> str:
    await asyncio.sleep(seconds)
    return value


async def test_quick_work_is_answered_without_deferring() -> None:
    interaction = Interaction()
    assert await defer_if_slow(interaction, work(0), within=0.5) == "done"  # type: ignore[arg-type]
    assert interaction.response.deferrals == []


async def test_slow_work_defers_privately_then_gives_its_result() -> None:
    interaction = Interaction()
    assert await defer_if_slow(interaction, work(0.2), within=0.01) == "done"  # type: ignore[arg-type]
    assert interaction.response.deferrals == [{"ephemeral": True, "thinking": True}]


async def test_an_error_of_the_work_reaches_the_caller_and_nothing_is_deferred() -> None:
    async def refused() -> str:
        raise ValueError("refused")

    interaction = Interaction()
    with pytest.raises(ValueError, match="refused"):
        await defer_if_slow(interaction, refused(), within=0.5)  # type: ignore[arg-type]
    assert interaction.response.deferrals == []


# --- once the action is saved: what was done, once, never "try again" ---------------------------------------


class Sent:
    """What reached the person, and what Discord refuses from now on."""

    def __init__(self, *, refuse: int = 0, original_loading: bool = True) -> None:
        self.messages: list[str] = []
        self.refuse = refuse  # how many next sends fail
        self.original_loading = original_loading

    def take(self, content: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionResetError("the answer was lost")
        self.messages.append(content)


class SavedResponse:
    def __init__(self, sent: Sent, answered: Any = None) -> None:
        self._sent = sent
        self.type = answered

    def is_done(self) -> bool:
        return self.type is not None

    async def send_message(self, content: str, **_: Any) -> None:
        self._sent.take(content)
        self.type = discord.InteractionResponseType.channel_message


class Followup:
    def __init__(self, sent: Sent) -> None:
        self._sent = sent

    async def send(self, content: str, **_: Any) -> None:
        self._sent.take(content)
        self._sent.original_loading = False


class SavedInteraction:
    """An interaction whose action was saved: only what the reply functions touch."""

    def __init__(self, sent: Sent, answered: Any = None) -> None:
        self.response = SavedResponse(sent, answered)
        self.followup = Followup(sent)
        self.extras: dict[str, Any] = {}
        self.user = SimpleNamespace(id=7)
        self.command = SimpleNamespace(qualified_name="outage declare")
        self.client = SimpleNamespace()  # no notice to join
        self._sent = sent

    async def original_response(self) -> Any:
        return SimpleNamespace(flags=SimpleNamespace(loading=self._sent.original_loading))


DEFERRED = discord.InteractionResponseType.deferred_channel_message


async def test_a_reply_lost_before_reaching_the_person_is_sent_again_as_what_was_done() -> None:
    sent = Sent(refuse=1)
    interaction: Any = SavedInteraction(sent, DEFERRED)
    assert await reply_done(interaction, "Panne #1 déclarée") == "Panne #1 déclarée"
    assert sent.messages == ["Panne #1 déclarée"]


async def test_a_reply_that_reached_the_person_is_not_sent_twice() -> None:
    sent = Sent(original_loading=False)
    interaction: Any = SavedInteraction(sent, DEFERRED)
    mark_done(interaction, "Panne #1 déclarée")
    assert await tell_done(interaction, ConnectionResetError("answer lost"))  # the deferral was completed
    assert sent.messages == []
    interaction = SavedInteraction(sent, discord.InteractionResponseType.channel_message)
    mark_done(interaction, "Panne #1 déclarée")
    assert await tell_done(interaction, RuntimeError("after the reply"))
    assert sent.messages == []


async def test_after_the_commit_an_unanswered_interaction_hears_what_was_done_once() -> None:
    sent = Sent()
    interaction: Any = SavedInteraction(sent)
    mark_done(interaction, "Rappel noté")
    assert await tell_done(interaction, RuntimeError("a timer failed"))
    assert await tell_done(interaction, RuntimeError("and something else"))
    assert sent.messages == ["Rappel noté"]


async def test_when_nothing_reaches_the_person_only_the_log_says_it(caplog: pytest.LogCaptureFixture) -> None:
    sent = Sent(refuse=5)
    interaction: Any = SavedInteraction(sent, DEFERRED)
    assert await reply_done(interaction, "Panne #1 déclarée") is None
    assert sent.messages == []
    assert "what they did was saved" in caplog.text and "could not be told" in caplog.text


async def test_nothing_is_told_before_the_action_is_saved() -> None:
    sent = Sent()
    interaction: Any = SavedInteraction(sent)
    assert done_statement(interaction) is None
    assert not await tell_done(interaction, RuntimeError("refused before the commit"))
    assert sent.messages == []
