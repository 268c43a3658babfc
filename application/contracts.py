"""Contract commands of the back office: from draft to cash, with the credit check."""

from __future__ import annotations


class ContractCommands:
    """The Contract commands; a part of `Backoffice`, whose machinery they use."""
