"""Queries on the back office's event log that no single aggregate answers by its id."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import project_aggregate

from domain.budget import BudgetYear
from domain.price_list import ListPrice, SkuPriceWindows

if TYPE_CHECKING:
    from application.backoffice import Backoffice


def sku_price_windows(backoffice: Backoffice, sku: str) -> SkuPriceWindows | None:
    """The sku's key: the windows of the published lists pricing it, or None if none ever did.

    Projected from its events alone, as `Context.find_key` does (keys are never snapshotted).
    """
    key: SkuPriceWindows | None = project_aggregate(
        None, backoffice.events.get(SkuPriceWindows.id_for(sku.strip()))
    )
    return key


def list_price(backoffice: Backoffice, sku: str, on: date) -> ListPrice | None:
    """The price of a sku on a day from the published list in force then, or None."""
    key = sku_price_windows(backoffice, sku)
    return None if key is None else key.price_on(on)


def budget_of_year(backoffice: Backoffice, fiscal_year: int) -> UUID | None:
    """The id of the budget of a fiscal year, or None when the year has none."""
    year: BudgetYear | None = project_aggregate(
        None, backoffice.events.get(BudgetYear.id_for(fiscal_year))
    )
    return None if year is None else year.budget_id
