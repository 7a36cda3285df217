"""End-to-end harness: the double runs in the test process, the bot as its own `python -m bot run` process.

Tests act only through the double's API, as members would, and wait on the double's events, never on sleeps.
The pieces live in `bot.demo`, which the demo uses too.
"""

from bot.demo import BotProcess, Server, build_grand_ouest

__all__ = ["BotProcess", "Server", "build_grand_ouest"]
