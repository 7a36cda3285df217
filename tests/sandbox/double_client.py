"""Run a real discord.py client in-process against a DiscordDouble (test helper)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import discord
import yarl

from bot.sandbox import DiscordDouble


class ProblemLog(logging.Handler):
    """Collects WARNING+ records of the "discord" loggers (parser errors, handler exceptions, ...)."""

    IGNORED = (
        "PyNaCl is not installed",
        "davey is not installed",
        "Privileged message content intent is missing",
    )

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(text in record.getMessage() for text in self.IGNORED):
            self.records.append(record)

    def summary(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records]


@contextlib.asynccontextmanager
async def running(double: DiscordDouble, client: discord.Client) -> AsyncIterator[ProblemLog]:
    """Point discord.py at the double (the two module attributes the bot sets too), start, and clean up."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    problems = ProblemLog()
    logger = logging.getLogger("discord")
    logger.addHandler(problems)
    discord.http.Route.BASE = double.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)
    task = asyncio.create_task(client.start(double.token))
    try:
        await double.wait_until_ready()
        await asyncio.wait_for(client.wait_until_ready(), 20)
        yield problems
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
        logger.removeHandler(problems)
