"""Members' reports of a suspected outage: grouped by organisation, counted once per member, shown to
coordinators on a triage card, and turned into a declared incident (or set aside) from that card."""
