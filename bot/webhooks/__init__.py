"""Signed webhooks: other systems told of a server's incidents over HTTP, each delivery signed, through the outbox."""
