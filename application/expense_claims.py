"""ExpenseClaim commands of the back office (DOMAIN.md, ExpenseClaim)."""

from __future__ import annotations


class ExpenseClaimCommands:
    """The ExpenseClaim commands; a part of `Backoffice`, whose machinery they use."""
