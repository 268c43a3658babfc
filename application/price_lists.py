"""PriceList commands of the back office."""

from __future__ import annotations


class PriceListCommands:
    """The PriceList commands; a part of `Backoffice`, whose machinery they use."""
