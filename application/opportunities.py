"""Opportunity commands of the back office."""

from __future__ import annotations


class OpportunityCommands:
    """The Opportunity commands; a part of `Backoffice`, whose machinery they use."""
