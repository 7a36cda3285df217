"""Tocsin: a Discord bot that keeps a regional coordination server informed through outages."""

__version__ = "0.1.0"
