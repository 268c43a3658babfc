"""What the pages show: the API's collections and reports, and how each field reads."""

from __future__ import annotations

from dataclasses import dataclass

from projections.complaints import GROUP_KEYS as COMPLAINT_KEYS
from projections.pipeline import GROUP_KEYS as PIPELINE_KEYS
from projections.sales import GROUP_KEYS as SALES_KEYS


@dataclass(frozen=True)
class Collection:
    """A collection of the API: its path, its id parameter and the aggregate it lists."""

    name: str
    id_name: str
    aggregate_type: str

    @property
    def list_path(self) -> str:
        return f"/{self.name}"

    @property
    def item_path(self) -> str:
        return f"/{self.name}/{{{self.id_name}}}"

    @property
    def history_path(self) -> str:
        return f"/{self.name}/{{{self.id_name}}}/history"


COLLECTIONS = {
    c.name: c
    for c in (
        Collection("customers", "customer_id", "Customer"),
        Collection("contracts", "contract_id", "Contract"),
        Collection("opportunities", "opportunity_id", "Opportunity"),
        Collection("price-lists", "price_list_id", "PriceList"),
        Collection("campaigns", "campaign_id", "Campaign"),
        Collection("budgets", "budget_id", "Budget"),
        Collection("marketing-plans", "plan_id", "MarketingPlan"),
        Collection("complaints", "complaint_id", "Complaint"),
        Collection("risks", "risk_id", "Risk"),
        Collection("expense-claims", "claim_id", "ExpenseClaim"),
        Collection("employees", "employee_id", "Employee"),
    )
}
BY_AGGREGATE_TYPE = {c.aggregate_type: c for c in COLLECTIONS.values()}


# Defaults meaning the clock's date, and its year, at the time of the page.
TODAY, YEAR = "{today}", "{year}"


@dataclass(frozen=True)
class Report:
    """A report of the API: its path, the ids it needs, its group keys and its defaults."""

    name: str
    path: str
    group_keys: tuple[str, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()


REPORTS = {
    r.name: r
    for r in (
        Report("sales", "/reports/sales", tuple(SALES_KEYS), (("group_by", "month"),)),
        Report("credit", "/reports/credit"),
        Report("credit/alerts", "/reports/credit/alerts"),
        Report("pipeline", "/reports/pipeline", tuple(PIPELINE_KEYS), (("group_by", "stage"),)),
        Report("campaigns", "/reports/campaigns"),
        Report("budgets", "/reports/budgets/{budget_id}"),
        Report(
            "complaints", "/reports/complaints", tuple(COMPLAINT_KEYS), (("group_by", "period"),)
        ),
        Report("complaints/timing", "/reports/complaints/{complaint_id}"),
        Report("kpis/company", "/reports/kpis/company", (), (("period", YEAR),)),
        Report("kpis/employees", "/reports/kpis/employees/{employee_id}", (), (("period", YEAR),)),
        Report("risks", "/reports/risks"),
        Report("follow-ups", "/reports/follow-ups", (), (("due_by", TODAY),)),
    )
}

# Fields holding an employee's id (or a subject, which is one in this company): shown by name.
PERSON_FIELDS = frozenset(
    {
        "owner_id",
        "manager_id",
        "assignee_id",
        "employee_id",
        "actor",
        "submitted_by",
        "approved_by",
        "rejected_by",
        "drafted_by",
        "registered_by",
        "evaluator_id",
    }
)
# Fields holding the id of an aggregate of a collection: shown as a link.
LINKED_FIELDS = {
    "customer_id": "customers",
    "contract_id": "contracts",
    "opportunity_id": "opportunities",
    "price_list_id": "price-lists",
    "campaign_id": "campaigns",
    "budget_id": "budgets",
    "plan_id": "marketing-plans",
    "complaint_id": "complaints",
    "risk_id": "risks",
    "claim_id": "expense-claims",
    **{field: "employees" for field in PERSON_FIELDS},
}
# Money fields, given as decimal strings.
MONEY_FIELDS = frozenset(
    {
        "revenue", "cost", "gross_profit", "invoiced", "collected", "written_off",
        "penalties", "interest_charged", "credit_limit", "guarantees", "exposure",
        "outstanding", "planned", "adjustments", "overruns_approved", "committed", "spent",
        "available", "deviation", "budget", "budget_amount", "spend", "attributed_revenue",
        "cost_per_lead", "open_value", "weighted_value", "won_value", "lost_value", "total",
        "amount", "expected_value", "unit_price", "unit_cost", "floor_price",
        "revenue_target", "planned_cost", "actual_cost", "market_size", "paid", "receivable",
        "1_30", "31_60", "61_90", "over_90",
    }
)  # fmt: skip
# Ratios (0.6818), shown as percentages.
RATIO_FIELDS = frozenset(
    {
        "revenue_attainment", "collection_rate", "sla_compliance", "campaign_roi",
        "budget_utilisation", "utilisation", "roi", "win_rate", "responded_on_time",
        "resolved_on_time", "reopen_rate", "attainment", "weighted_attainment",
        "completion_rate",
    }
)  # fmt: skip
