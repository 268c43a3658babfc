"""Risk commands of the back office (DOMAIN.md, Risk)."""

from __future__ import annotations


class RiskCommands:
    """The Risk commands; a part of `Backoffice`, whose machinery they use."""
