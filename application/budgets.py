"""Budget and Campaign commands of the back office."""

from __future__ import annotations


class BudgetCommands:
    """The Budget and Campaign commands; a part of `Backoffice`, whose machinery they use."""
