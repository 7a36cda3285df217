"""End-to-end harness: the double runs in the test process, the bot as its own `python -m bot run` process.

Tests act only through the double's API, as members would, and wait on the double's events, never on sleeps;
to read what the bot did, they wait until it has caught up with the clock (`settle`), then read.
The pieces live in `bot.sandbox.driver`, which the demo and the benches use too.
"""

from bot.sandbox.driver import BotProcess, Server, build_grand_ouest, settle

__all__ = ["BotProcess", "Server", "build_grand_ouest", "settle"]
