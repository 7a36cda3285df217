"""Planned maintenance: a stop announced ahead, with a start and an end, kept apart from incidents in every figure.
rules.py decides when each of its messages is due and what may change it; store.py holds it (migration 0010);
presentation.py words its messages; use_cases.py plans them in the outbox, keeps the boards right, and turns an
overrun into an incident."""
