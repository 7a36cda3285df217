"""The public status page: a server's incidents made public, shown on the web to people outside Discord, with
nothing private (members, internal updates, reports, private incidents) let through (`rules`)."""
