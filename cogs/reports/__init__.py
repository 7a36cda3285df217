"""The reports' Discord adapter: `/report` (`command.py`, with its form in `modal.py` and its private replies in
`replies.py`) and the buttons of the triage card and of the private reply (`buttons.py`). Loaded as the extension
`cogs.reports`."""

from cogs.reports.command import setup

__all__ = ["setup"]
