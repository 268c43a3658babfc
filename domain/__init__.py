"""The mops domain: aggregates, their invariants and their events. Pure: no I/O."""
