"""What any client meets at the double as at Discord: here, the real discord.py client sending for itself."""

from __future__ import annotations

import discord
import pytest

from bot.sandbox import DiscordDouble
from tests.e2e.harness import Server
from tests.sandbox.double_client import running


async def test_an_embed_over_6000_characters_gets_discords_400(double: DiscordDouble, server: Server) -> None:
    client = discord.Client(intents=discord.Intents.default())
    async with running(double, client) as problems:
        channel = client.get_partial_messageable(server.channels["bretagne"])
        embed = discord.Embed(title="t" * 256, description="d" * 4096)
        for number in range(2):
            embed.add_field(name=f"champ {number}", value="v" * 1000)
        assert len(embed) > 6000
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send(embed=embed)
        assert refused.value.status == 400
        assert refused.value.code == 50035
        assert "embeds" in str(refused.value.text)
        # Just under the limit is accepted: the rule is the total, not any one field.
        embed.set_field_at(1, name="champ 1", value="v" * (1000 - (len(embed) - 6000)))
        assert len(embed) == 6000
        await channel.send(embed=embed)
    assert problems.summary() == []
    assert len(double.channel_messages(server.channels["bretagne"])) == 1
