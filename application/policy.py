"""The business settings the application hands to the domain as arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from domain.calendar import BusinessCalendar


def _default_expense_standards() -> dict[str, Decimal]:
    return {
        "entertainment": Decimal("5000.00"),
        "travel": Decimal("20000.00"),
        "office": Decimal("10000.00"),
    }


def _sla_response_hours() -> dict[str, int]:
    return {"critical": 2, "high": 8, "medium": 24, "low": 72}


def _sla_resolution_hours() -> dict[str, int]:
    return {"critical": 24, "high": 72, "medium": 168, "low": 336}


def _appraisal_source_weights() -> dict[str, Decimal]:
    return {
        "superior": Decimal("0.5"),
        "peer": Decimal("0.2"),
        "self": Decimal("0.1"),
        "customer": Decimal("0.2"),
    }


def _appraisal_component_weights() -> dict[str, Decimal]:
    return {"kpi": Decimal("0.6"), "goals": Decimal("0.25"), "attitude": Decimal("0.15")}


def _business_calendar() -> BusinessCalendar:
    return BusinessCalendar(zone=ZoneInfo("Asia/Shanghai"))


def _discount_limits() -> dict[str, Decimal]:
    return {"sales": Decimal("0.10"), "sales_manager": Decimal("0.20")}


def _stage_probabilities() -> dict[str, Decimal]:
    return {
        "qualification": Decimal("0.10"),
        "needs_analysis": Decimal("0.25"),
        "proposal": Decimal("0.50"),
        "negotiation": Decimal("0.75"),
        "won": Decimal("1"),
        "lost": Decimal("0"),
    }


@dataclass(frozen=True)
class Policy:
    """The business settings the domain is given as arguments."""

    backdating: timedelta = timedelta(days=31)
    # Above this a write-off needs an executive; finance may write off up to it.
    write_off_limit: Decimal = Decimal("50000.00")
    # The largest single expense of a type booked without an approved overrun.
    expense_standards: dict[str, Decimal] = field(default_factory=_default_expense_standards)
    # Complaint SLA by severity, in hours from receipt; stamped into each complaint.
    sla_response_hours: dict[str, int] = field(default_factory=_sla_response_hours)
    sla_resolution_hours: dict[str, int] = field(default_factory=_sla_resolution_hours)
    # Appraisal score: the weight of each evaluation source and of each component.
    appraisal_source_weights: dict[str, Decimal] = field(default_factory=_appraisal_source_weights)
    appraisal_component_weights: dict[str, Decimal] = field(
        default_factory=_appraisal_component_weights
    )
    # The largest discount off the list price a role may give without a pricing review.
    discount_limits: dict[str, Decimal] = field(default_factory=_discount_limits)
    # When on, a contract line whose sku has no active list price needs a pricing review.
    require_list_price: bool = False
    # The chance an opportunity in each stage is won: its weighted value in the pipeline.
    stage_probabilities: dict[str, Decimal] = field(default_factory=_stage_probabilities)
    # The hosts a webhook may be subscribed at (MOPS_WEBHOOK_HOSTS).
    webhook_hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost"})
    # Late-delivery penalties are capped at this share of a contract's total; late
    # payment is charged this daily interest rate (DOMAIN.md, Contract).
    penalty_cap: Decimal = Decimal("0.10")
    late_interest_daily: Decimal = Decimal("0.0005")
    # Complaint deadlines run round the clock, or in the business calendar's working time.
    sla_clock: Literal["24x7", "business"] = "24x7"
    business_calendar: BusinessCalendar = field(default_factory=_business_calendar)
