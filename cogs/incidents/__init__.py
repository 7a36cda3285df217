"""The incidents' Discord adapter: `/outage` (`outage.py`) and the buttons under every status message and
announcement (`buttons.py`). Loaded as the extension `cogs.incidents`."""

from cogs.incidents.outage import setup

__all__ = ["setup"]
