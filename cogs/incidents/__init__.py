"""The incidents' Discord adapter: `/outage` (`outage.py`, with what its commands take in `options.py`, the
declaration form in `modal.py`, its private replies in `replies.py` and its suggestions in `autocomplete.py`) and
the buttons under every status message and announcement (`buttons.py`). Loaded as the extension `cogs.incidents`."""

from cogs.incidents.outage import setup

__all__ = ["setup"]
