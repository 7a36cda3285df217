"""Boards: one message per chosen channel, kept up to date, listing what is down now (open incidents, worst
first, and planned maintenance in progress or due within a day), restricted to a territory and/or a sector the
way a route is. rules.py decides what a board shows and in which order; presentation.py words it within
Discord's limits; store.py holds the boards; use_cases.py plans their messages in the outbox."""
