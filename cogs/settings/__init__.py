"""The settings' Discord adapter: `/setup` (`commands.py`), with the facts it reads from Discord (`facts.py`) and
the embeds its long answers fill (`embeds.py`). Loaded as the extension `cogs.settings`."""

from cogs.settings.commands import setup

__all__ = ["setup"]
