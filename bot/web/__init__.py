"""HTTP served by the bot's own process (aiohttp), beside its Discord work: `server.py` is one address with the
routes features add to it, started and stopped with the bot; `health.py` is the operators' address (health and
metrics). Another address (a public page) is another `Site` with its own routes."""
