"""MarketingPlan commands of the back office (DOMAIN.md, MarketingPlan)."""

from __future__ import annotations


class MarketingPlanCommands:
    """The MarketingPlan commands; a part of `Backoffice`, whose machinery they use."""
