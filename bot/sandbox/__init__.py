"""A local Discord double: REST and gateway subset that discord.py 2.7 speaks, driven from tests by a Python API.

See README.md in this package for what it implements and the numbers it enforces.
"""

from bot.sandbox.api import DiscordDouble, GuildHandle, InteractionHandle
from bot.sandbox.faults import Fault, FaultPlan
from bot.sandbox.notifications import Notification
from bot.sandbox.permissions import Overwrite, Perm
from bot.sandbox.server import RequestRecord

__all__ = [
    "DiscordDouble",
    "Fault",
    "FaultPlan",
    "GuildHandle",
    "InteractionHandle",
    "Notification",
    "Overwrite",
    "Perm",
    "RequestRecord",
]
