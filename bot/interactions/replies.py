"""Private replies to the person who acted, in their own Discord locale; and what they are told when something
fails after their action was saved.

Once a use case has committed, the person's action is done: a failure that follows (the reply refused, its answer
lost on the way back, the interaction's token expired, anything raised after the commit) must never ask them to do
it again, which would do it twice (a second declaration is a second incident). The cog says so with `mark_done`,
or `reply_done`, right after the commit: from then on the person is shown what was done once — their reply, if it
reached them after all, else the same words in a fresh message — or, when Discord takes nothing more for this
interaction, nothing at all, and a log line says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import discord

from bot.common.i18n import Catalogue, Language, Msg, language_of
from bot.common.limits import MESSAGE_CONTENT

_T = TypeVar("_T")

log = logging.getLogger(__name__)

# How long a command's work may run before its interaction is deferred. Discord wants an answer within 3 s of
# sending it; a read that is done sooner answers in one round trip instead of two.
QUICK_REPLY_S = 1.0
# Beside each interaction (`Interaction.extras`): what its person is told was done, once their action is saved;
# and whether they were shown it (or their reply saying it), once that was tried.
DONE = "tocsin.done"
SHOWN = "tocsin.done.shown"
# Discord's answer to a second response to an interaction: the first one (whose answer was lost) was taken.
ALREADY_ANSWERED = 40060
_NO_MENTIONS = discord.AllowedMentions.none()


async def defer_if_slow(
    interaction: discord.Interaction[Any], work: Awaitable[_T], *, within: float = QUICK_REPLY_S
) -> _T:
    """The work's result. The interaction is deferred (privately, "thinking…") only when the work is still
    running after `within` seconds."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        return await task


def person_language(interaction: discord.Interaction[Any]) -> Language:
    return language_of(str(interaction.locale))


async def with_notice(interaction: discord.Interaction[Any], content: str | None) -> str | None:
    """`content` with the sentence the person must be told once (their DMs were found closed), if one is due."""
    notice = getattr(interaction.client, "private_notice", None)
    told = await notice(interaction) if notice is not None else None
    if told:
        return f"{content}\n\n{told}"[:MESSAGE_CONTENT] if content else told
    return content


async def _send_private(
    interaction: discord.Interaction[Any],
    content: str | None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": _NO_MENTIONS}
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


async def reply_private(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Answer privately, whether or not the interaction was already deferred or answered. A sentence the person
    must be told once (their DMs were found closed) joins their next private reply."""
    await _send_private(interaction, await with_notice(interaction, content), embed=embed, view=view)


async def reply_msg(interaction: discord.Interaction[Any], catalogue: Catalogue, msg: Msg) -> None:
    await reply_private(interaction, catalogue.word(person_language(interaction), msg))


# --- once the action is saved -------------------------------------------------------------------------------


def mark_done(interaction: discord.Interaction[Any], statement: str) -> None:
    """The person's action is saved (its use case committed); `statement` says what was done, in their language.
    From now on whatever fails tells them that, never to try again (`tell_done`)."""
    interaction.extras[DONE] = statement[:MESSAGE_CONTENT]


def done_statement(interaction: discord.Interaction[Any]) -> str | None:
    statement = interaction.extras.get(DONE)
    return statement if isinstance(statement, str) else None


async def reply_done(
    interaction: discord.Interaction[Any], statement: str, *, view: discord.ui.View | None = None
) -> str | None:
    """The private reply to an action that is saved, `statement` saying what was done. Never raises: a failure
    is handled by `tell_done`. Returns the text the person sees (with a notice that joined it), or None when
    nothing could reach them."""
    mark_done(interaction, statement)
    content = await with_notice(interaction, statement) or statement
    mark_done(interaction, content)
    try:
        await _send_private(interaction, content, view=view)
    except Exception as failure:  # the action is done whatever went wrong here: never let it ask for a retry
        return content if await tell_done(interaction, failure) else None
    interaction.extras[SHOWN] = True
    return content


async def tell_done(interaction: discord.Interaction[Any], failure: BaseException) -> bool:
    """After `failure`, once the person's action is saved (`mark_done`): they see what was done once — their
    reply, if it reached them after all (only Discord's answer was lost), else the statement in a fresh message
    — or nothing when Discord takes nothing more for this interaction (its token expired): then only the log
    says so. True when the person sees what was done."""
    what = _action(interaction)
    if isinstance(failure, discord.HTTPException | aiohttp.ClientError | TimeoutError | OSError):
        log.warning(
            "could not show %s the reply to %s (%s); what they did was saved: they are not asked to do it again",
            interaction.user.id,
            what,
            _why(failure),
        )
    else:
        log.error(
            "unexpected error after %s by %s was saved; they are only told it was done",
            what,
            interaction.user.id,
            exc_info=failure,
        )
    if SHOWN in interaction.extras:  # shown already, or given up on: once is enough
        return bool(interaction.extras[SHOWN])
    statement = done_statement(interaction)
    if statement is None:
        return False
    interaction.extras[SHOWN] = False
    try:
        interaction.extras[SHOWN] = await _show_once(interaction, statement)
    except Exception as again:  # nothing more can reach the person: the log line is all there is
        log.warning("%s could not be told that %s was done either (%s)", interaction.user.id, what, _why(again))
    return bool(interaction.extras[SHOWN])


async def _show_once(interaction: discord.Interaction[Any], statement: str) -> bool:
    if not interaction.response.is_done():
        try:
            await interaction.response.send_message(statement, ephemeral=True, allowed_mentions=_NO_MENTIONS)
        except discord.HTTPException as refused:
            if refused.code == ALREADY_ANSWERED:
                return True  # the first answer, the reply itself, was taken: only Discord's answer was lost
            raise
        return True
    answered = interaction.response.type
    if answered is discord.InteractionResponseType.channel_message:
        return True  # the response was the reply itself, and Discord took it
    if answered is discord.InteractionResponseType.deferred_channel_message:
        original = await interaction.original_response()
        if not original.flags.loading:
            return True  # the reply completed the deferral: only Discord's answer was lost on the way back
    await interaction.followup.send(statement, ephemeral=True, allowed_mentions=_NO_MENTIONS)
    return True


def _action(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return f"the component {str(data.get('custom_id', '?'))[:100]}"


def _why(failure: BaseException) -> str:
    if isinstance(failure, discord.HTTPException):
        return f"Discord answered HTTP {failure.status}, code {failure.code}"
    if isinstance(failure, aiohttp.ClientError | TimeoutError | OSError):
        return f"Discord's answer was lost: {type(failure).__name__}"
    return type(failure).__name__
