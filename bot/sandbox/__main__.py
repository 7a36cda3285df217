"""Run the Discord double standalone for manual trials: `python -m bot.sandbox --port 0 --scenario basic`.

Prints the settings a bot needs (DISCORD_API_BASE, DISCORD_GATEWAY_URL, TOCSIN_CLOCK_URL, DISCORD_TOKEN) and
serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime

from bot.sandbox.api import DiscordDouble


def build_basic(double: DiscordDouble) -> dict[str, int]:
    guild = double.add_guild("Coordination Grand Ouest", preferred_locale="fr")
    coordination = guild.add_role("coordination")
    pharmacies = guild.add_role("pharmacies-ouest", mentionable=True)
    return {
        "guild": guild.id,
        "annonces": guild.add_text_channel("annonces"),
        "incidents": guild.add_forum_channel("incidents", tags=["en cours", "résolu"]),
        "coordination-role": coordination,
        "pharmacies-role": pharmacies,
        "coordinator": guild.add_member("coordinatrice", roles=[coordination]),
        "pharmacist": guild.add_member("pharmacien", roles=[pharmacies]),
    }


async def serve(port: int, scenario: str) -> None:
    double = DiscordDouble(datetime.now(UTC).replace(microsecond=0))
    await double.start(port)
    try:
        ids = build_basic(double) if scenario == "basic" else {}
        print(f"DISCORD_API_BASE={double.api_base}")
        print(f"DISCORD_GATEWAY_URL={double.gateway_url}")
        print(f"TOCSIN_CLOCK_URL={double.clock_url}")
        print(f"DISCORD_TOKEN={double.token}")
        for name, value in ids.items():
            print(f"# {name}: {value}")
        print("# serving until Ctrl-C", flush=True)
        await asyncio.Event().wait()
    finally:
        await double.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description="Run the local Discord double.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--scenario", choices=["empty", "basic"], default="basic")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.scenario))


if __name__ == "__main__":
    main()
