"""Fuzzing of the live API: schemathesis over /openapi.json, on both databases."""
