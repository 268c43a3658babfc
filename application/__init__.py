"""The mops application layer: load, call, save."""
