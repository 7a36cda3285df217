"""Digests: a daily or weekly summary posted in a channel, pinging nobody, at a time of the server's zone (open
incidents with their durations so far, what was declared, resolved and planned since the last digest).
rules.py decides when each is due and what it covers; presentation.py words it; store.py holds the digests;
use_cases.py sets them up from `/setup` and sends each when its timer (bot/timers/registry.py) comes."""
