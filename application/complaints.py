"""Complaint commands of the back office."""

from __future__ import annotations


class ComplaintCommands:
    """The Complaint commands; a part of `Backoffice`, whose machinery they use."""
