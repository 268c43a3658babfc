"""Answers of `/reports/*` (API.md, Report rows).

Money as decimal strings, counts as integers, ratios as numbers of 4 places (null when
their divisor is 0), hours of 2 places. A report echoes `as_of` when it takes one and
`known_at` when it was passed.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from interfaces.http.schemas.answers.budgets import BudgetLine
from interfaces.http.schemas.answers.common import Answer, Hours, Id, Money, Ratio, Subject


class Report(Answer):
    """What every report answers besides its rows."""

    as_of: str | None = Field(default=None, description="the business time, as passed")
    known_at: str | None = Field(
        default=None, description="the record time, as passed (only when it was)"
    )


class PagedReport(Report):
    """A report paginated like a list."""

    next_cursor: str | None = Field(default=None, description="pass as `?cursor=`")


class SalesRow(Answer):
    """Signed, delivered, invoiced, collected and written-off figures of a group.

    Only the `group_by` keys asked are present.
    """

    month: str | None = None
    quarter: str | None = None
    customer_id: Id | None = None
    region: str | None = None
    channel: str | None = None
    sku: str | None = None
    owner_id: Subject | None = None
    contracts_signed: int
    revenue: Money
    cost: Money
    gross_profit: Money
    units: int
    units_delivered: int
    invoiced: Money
    collected: Money
    written_off: Money
    penalties: Money = Field(
        default="0.00", description="penalties credited, by the delivery's date"
    )
    interest_charged: Money = Field(
        default="0.00", description="late-payment interest, by its `through`"
    )


class SalesReport(PagedReport):
    """`/reports/sales`: a row per group."""

    items: list[SalesRow]


class Overdue(Answer):
    """Overdue receivable by days past the due date."""

    over_1_30: Money = Field(alias="1_30")
    over_31_60: Money = Field(alias="31_60")
    over_61_90: Money = Field(alias="61_90")
    over_90: Money


class CreditRow(Answer):
    """A customer's credit position at `as_of`."""

    customer_id: Id
    name: str
    rating: str | None
    score: int | None
    credit_limit: Money | None
    guarantees: Money
    exposure: Money
    outstanding: Money
    overdue: Overdue
    utilisation: Ratio | None
    dso: float | None = Field(description="days sales outstanding; null when nothing invoiced")
    on_hold: bool
    alerts: list[str]


class CreditReport(PagedReport):
    """`/reports/credit`: a row per customer with an assessment or a contract."""

    items: list[CreditRow]


class CreditAlert(Answer):
    """A credit alert of a customer."""

    customer_id: Id
    alert: str
    detail: str


class CreditAlerts(PagedReport):
    """`/reports/credit/alerts`."""

    items: list[CreditAlert]


class BudgetExecutionLine(BudgetLine):
    """A budget line's execution."""

    # Declared again so that the report's `period` keeps its schema: no budget example.
    period: str
    utilisation: Ratio | None
    deviation: Money


class BudgetReport(Report):
    """`/reports/budgets/{id}`: execution per line and spend by expense type."""

    budget_id: Id
    fiscal_year: int
    lines: list[BudgetExecutionLine]
    by_expense_type: dict[str, Money]


class CampaignRow(Answer):
    """A campaign's spend, reach, leads, revenue and attainment of its targets."""

    campaign_id: Id
    name: str
    status: str
    budget: Money
    spend: Money
    impressions: int
    clicks: int
    leads: int
    attributed_leads: int
    conversions: int
    attributed_revenue: Money
    cost_per_lead: float | None
    roi: Ratio | None
    attainment: dict[str, float | None] = Field(description="a ratio per target set")


class CampaignsReport(PagedReport):
    """`/reports/campaigns`: a row per campaign."""

    items: list[CampaignRow]


class ComplaintsRow(Answer):
    """Complaint handling of a group; only the `group_by` keys asked are present."""

    period: str | None = None
    category: str | None = None
    severity: str | None = None
    count: int
    open: int
    breached: int
    responded_on_time: Ratio | None
    resolved_on_time: Ratio | None
    mean_response_hours: Hours | None
    p90_response_hours: Hours | None
    mean_resolution_hours: Hours | None
    p90_resolution_hours: Hours | None
    reopen_rate: Ratio | None
    root_causes: dict[str, int]
    satisfaction_avg: float | None


class ComplaintsReport(PagedReport):
    """`/reports/complaints`: a row per group."""

    items: list[ComplaintsRow]


class ComplaintTimings(Report):
    """`/reports/complaints/{id}`: one complaint's deadlines, hours and breaches."""

    complaint_id: Id
    customer_id: Id
    period: str
    channel: str
    category: str
    severity: str
    status: str
    received_at: datetime
    respond_by: datetime
    resolve_by: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    response_hours: Hours | None
    resolution_hours: Hours | None
    response_breached: bool
    resolution_breached: bool
    open: bool
    reopens: int
    root_cause: str | None
    satisfaction: int | None


class CompanyKpis(Answer):
    """The company's KPIs of a period against their targets (null when none)."""

    period: str
    revenue: Money
    revenue_target: Money | None
    revenue_attainment: Ratio | None
    new_customers: int
    new_customers_target: float | None
    contracts_signed: int
    collection_rate: Ratio | None
    sla_compliance: Ratio | None
    satisfaction_avg: float | None
    campaign_roi: Ratio | None
    budget_utilisation: Ratio | None
    market_share: float | None = Field(description="percent")
    market_share_target: float | None
    brand_awareness: float | None = Field(description="percent")
    brand_awareness_target: float | None
    customer_count: float | None
    customer_count_target: float | None


class CompanyKpisReport(Report):
    """`/reports/kpis/company`: one item, for the period asked."""

    items: list[CompanyKpis]


class MetricAttainment(Answer):
    """A targeted metric: actual against target (money metrics as decimal strings)."""

    metric: str
    actual: float | str | None
    target: float | str | None
    weight: float | None
    attainment: Ratio | None


class EmployeeKpis(Answer):
    """An employee's KPIs of a period."""

    employee_id: Subject
    period: str
    metrics: list[MetricAttainment]
    weighted_attainment: Ratio | None
    training_hours: Hours | None
    appraisal_rating: str | None


class EmployeeKpisReport(Report):
    """`/reports/kpis/employees/{id}`: one item, for the period asked."""

    items: list[EmployeeKpis]


class PipelineRow(Answer):
    """The pipeline of a group; only the `group_by` keys asked are present."""

    owner_id: Subject | None = None
    stage: str | None = None
    month: str | None = None
    open_count: int
    open_value: Money
    weighted_value: Money
    won_count: int
    won_value: Money
    lost_count: int
    win_rate: Ratio | None
    avg_cycle_days: float | None
    entered: int
    regressions: int
    loss_reasons: dict[str, int]


class PipelineReport(PagedReport):
    """`/reports/pipeline`: a row per group."""

    items: list[PipelineRow]


class PastLevel(Answer):
    """An earlier assessment of a risk."""

    likelihood: int
    impact: int
    level: str
    assessed_at: datetime


class RegisterRow(Answer):
    """A risk of the register, with its current and past levels."""

    risk_id: Id
    category: str
    title: str
    likelihood: int | None
    impact: int | None
    level: str | None
    status: str
    owner_id: Subject
    past_levels: list[PastLevel] = []


class OverdueAction(Answer):
    """An action past its due date and not done."""

    risk_id: Id
    action_id: Id
    description: str
    owner_id: Subject
    due_on: date


class Indicator(Answer):
    """A risk indicator against its threshold (DOMAIN.md, Risk)."""

    name: str
    category: str
    value: float | None
    threshold: float | None
    warning: bool
    risk_ids: list[Id]


class RiskReport(Report):
    """`/reports/risks`: the register, heat map, overdue actions and indicators."""

    # Named apart: `register` is a method of every model's class.
    risk_register: list[RegisterRow] = Field(alias="register")
    heat_map: dict[str, int] = Field(description='open risks per "<likelihood>-<impact>"')
    overdue_actions: list[OverdueAction]
    indicators: list[Indicator]


class FollowUpRow(Answer):
    """A customer due for a follow-up, with its last contact."""

    customer_id: Id
    name: str
    owner_id: Subject
    next_follow_up_on: date
    last_contact_at: datetime | None


class FollowUpsReport(PagedReport):
    """`/reports/follow-ups`."""

    items: list[FollowUpRow]
