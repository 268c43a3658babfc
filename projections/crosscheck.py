"""A second derivation of the directories: each row against the state of its aggregate.

A rebuild (projections/rebuild.py) folds the log again with the same fold, so it cannot
see a fold that is wrong: a case missing from a `match` is missing from the rebuild too.
Here each row of a directory (the tables behind the `GET /<collection>` lists) is
compared, field by field, with what the aggregate itself says, loaded from the log
through the application's repository, at the position the read model has folded to.
The expected rows are written from the aggregate's state (its attributes and derived
figures), never from events, and share nothing with the folds but the formats of
stored text (`iso_utc` times, JSON lists, money as decimal strings).

It also checks that every aggregate of the directory's type has a row and every row an
aggregate. The check reads the application through the library's `Application` (its
recorder and repository): projections import no application module.
"""

from __future__ import annotations

import json
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from domain.budget import Budget
from domain.campaign import Campaign
from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.department import department_key
from domain.employee import Employee
from domain.expense_claim import ExpenseClaim
from domain.marketing_plan import MarketingPlan
from domain.opportunity import Opportunity
from domain.price_list import PriceList
from domain.research_report import ResearchReport
from domain.risk import Risk
from domain.staffing_plan import StaffingPlan
from domain.training_program import TrainingProgram
from domain.values import normalise_name
from projections.crosscheck_formats import day, revisions, stamps, text
from projections.crosscheck_learning import research_report_row, training_program_row
from projections.events import iso_utc, iso_utc_or_none, plain
from projections.money import cents

Row = dict[str, Any]

# Notifications read from the log at a time while indexing it.
PAGE_SIZE = 1000
# A read model folding while it is read: how often to look again for a settled position.
SETTLE_ATTEMPTS = 100
SETTLE_PAUSE_SECONDS = 0.05
ABSENT = "(absent)"


@dataclass(frozen=True)
class Mismatch:
    """A field of a directory row that disagrees with the aggregate it mirrors."""

    read_model: str
    aggregate_id: str
    field: str
    row: Any
    aggregate: Any

    def __str__(self) -> str:
        return (
            f"{self.read_model} {self.aggregate_id} {self.field}: "
            f"row {self.row!r}, aggregate {self.aggregate!r}"
        )


class Unsettled(RuntimeError):
    """A read model kept folding while its rows were read: no position to compare at."""


@dataclass
class Stream:
    """One aggregate's events in the log: the topic of its first, and their positions."""

    topic: str
    positions: list[int] = field(default_factory=list)

    def version_at(self, position: int) -> int:
        """The aggregate's version once the log is folded up to `position` (0: not yet)."""
        return bisect_right(self.positions, position)


def customer_row(c: Customer, position: int) -> Row:
    """What `GET /customers` must show of a customer."""
    return {
        **stamps(c, position, "registered"),
        "name": c.name,
        "name_key": normalise_name(c.name),
        "kind": c.kind,
        "status": c.status,
        "owner_id": c.owner_id,
        "region": c.region,
        "industry": c.industry,
        "source": c.source,
        "campaign_id": text(c.campaign_id),
        "tags": json.dumps(list(c.tags)),
        "rating": c.credit["rating"] if c.credit else None,
        "on_hold": int(c.on_hold),
        "tier": c.tier,
        "points": c.points,
    }


def contract_row(c: Contract, position: int) -> Row:
    """What `GET /contracts` must show of a contract."""
    return {
        **stamps(c, position, "drafted"),
        "customer_id": str(c.customer_id),
        "owner_id": c.owner_id,
        "status": c.status,
        "channel": c.channel,
        "region": c.region,
        "total": str(c.total),
        "signed_on": day(c.signed_on),
    }


def employee_row(e: Employee, position: int) -> Row:
    """What `GET /employees` must show of a person (no people data)."""
    return {
        **stamps(e, position, "registered"),
        "name": e.name,
        "name_key": normalise_name(e.name),
        "position": e.position,
        "department": e.department,
        "status": e.status,
        "manager_id": e.manager_id,
        "hired_on": day(e.hired_on),
    }


def expense_claim_row(c: ExpenseClaim, position: int) -> Row:
    """What `GET /expense-claims` must show of a claim."""
    dated = stamps(c, position, "submitted")
    return {
        **dated,
        "submitted_at": iso_utc(c.submitted_at),  # business time, as the list shows it
        "claimant_id": c.claimant_id,
        "status": c.status,
        "expense_type": c.expense_type,
        "amount": str(c.amount),
        "spent_on": day(c.spent_on),
        "receipt_ref": c.receipt_ref,
        "budget_id": str(c.budget_id),
        "category": c.category,
        "period": c.period,
        "decided_at": iso_utc_or_none(c.decided_at),
        "decided_by": c.decided_by,
        "approver_capacity": c.approver_capacity,
        "budget_version": c.booking["budget_version"] if c.booking else None,
        "paid_on": day(c.paid_on),
    }


def marketing_plan_row(p: MarketingPlan, position: int) -> Row:
    """What `GET /marketing-plans` must show of a plan."""
    return {
        **stamps(p, position, "created"),
        "fiscal_year": p.fiscal_year,
        **revisions(p),
        "measurement_count": len(p.measurements),
    }


def staffing_plan_row(p: StaffingPlan, position: int) -> Row:
    """What `GET /staffing-plans` must show of a plan."""
    return {
        **stamps(p, position, "created"),
        "department": p.department,
        "department_key": department_key(p.department),
        "fiscal_year": p.fiscal_year,
        **revisions(p),
    }


def budget_row(b: Budget, position: int) -> Row:
    """What `GET /budgets` must show of a budget."""
    return {
        **stamps(b, position, "drafted"),
        "fiscal_year": b.fiscal_year,
        "name": b.name,
        "status": b.status,
        "submitted_by": b.submitted_by,
        "approved_by": b.approved_by,
    }


def campaign_row(c: Campaign, position: int) -> Row:
    """What `GET /campaigns` must show of a campaign."""
    return {
        **stamps(c, position, "drafted"),
        "name": c.name,
        "name_key": normalise_name(c.name),
        "objective": c.objective,
        "status": c.status,
        "owner_id": c.owner_id,
        "channels": json.dumps(list(c.channels)),
        "starts_on": day(c.starts_on),
        "ends_on": day(c.ends_on),
        "budget_id": str(c.budget_id),
        "budget_period": c.budget_period,
        "budget_amount": str(c.budget_amount),
        "targets": json.dumps(plain(dict(c.targets)), sort_keys=True),
        "spend": str(c.spend),
        "impressions": c.impressions,
        "clicks": c.clicks,
        "leads": c.leads,
        "conversions": c.conversions,
        "attributed_revenue": str(c.attributed_revenue),
        "rating": c.evaluation["rating"] if c.evaluation else None,
    }


def complaint_row(c: Complaint, position: int) -> Row:
    """What `GET /complaints` must show of a complaint."""
    dated = stamps(c, position, "received")
    return {
        **dated,
        "received_at": iso_utc(c.received_at),  # business time, as the list shows it
        "customer_id": str(c.customer_id),
        "contract_id": text(c.contract_id),
        "channel": c.channel,
        "category": c.category,
        "severity": c.severity,
        "status": c.status,
        "assignee_id": c.assignee_id,
        "escalation_level": c.escalation_level,
        "respond_by": iso_utc(c.respond_by),
        "resolve_by": iso_utc(c.resolve_by),
        "responded_at": iso_utc_or_none(c.responded_at),
        "resolved_at": iso_utc_or_none(c.resolved_at),
        "closed_at": iso_utc_or_none(c.closed_at),
        "satisfaction": c.satisfaction,
        "reopen_count": len(c.reopens),
    }


def opportunity_row(o: Opportunity, position: int) -> Row:
    """What `GET /opportunities` must show of an opportunity (money in cents).

    The aggregate keeps its last loss when reopened (`GET /opportunities/{id}` shows it);
    the list's `loss_reason` is the reason of a lost opportunity, none while open again.
    """
    loss = o.loss if o.status == "lost" else None
    return {
        **stamps(o, position, "created"),
        "title": o.title,
        "name_key": normalise_name(o.title),
        "customer_id": str(o.customer_id),
        "owner_id": o.owner_id,
        "status": o.status,
        "stage": o.stage,
        "closed_from": o.closed_from,
        "expected_value": cents(o.expected_value),
        "value": cents(o.value),
        "probability": str(o.probability),
        "weighted_value": cents(o.weighted_value),
        "expected_close_on": day(o.expected_close_on),
        "opened_at": iso_utc(o.opened_at),
        "closed_at": iso_utc_or_none(o.closed_at),
        "contract_id": text(o.contract_id),
        "loss_reason": loss["reason"] if loss else None,
        "competitor": loss["competitor"] if loss else None,
        "quotes": len(o.quotes),
        "regressions": o.regressions,
    }


def price_list_row(p: PriceList, position: int) -> Row:
    """What `GET /price-lists` must show of a list."""
    return {
        **stamps(p, position, "created"),
        "name": p.name,
        "name_key": normalise_name(p.name),
        "status": p.status,
        "currency": p.currency,
        "valid_from": day(p.valid_from),
        "valid_to": day(p.valid_to),
        "price_count": len(p.active_prices),
        "published_at": iso_utc_or_none(p.published_at),
    }


def risk_row(r: Risk, position: int) -> Row:
    """What `GET /risks` must show of a risk: its current assessment and open actions."""
    current = r.current_assessment
    return {
        **stamps(r, position, "created"),
        "category": r.category,
        "title": r.title,
        "owner_id": r.owner_id,
        "status": r.status,
        "likelihood": current["likelihood"] if current else None,
        "impact": current["impact"] if current else None,
        "level": current["level"] if current else None,
        "open_actions": len(r.open_actions),
        "identified_at": iso_utc(r.identified_at),
    }


@dataclass(frozen=True)
class Mirror:
    """A directory table that holds a row per aggregate of one type, and the row each
    aggregate must have there."""

    read_model: str
    table: str
    created: type[Any]
    expected: Callable[[Any, int], Row]

    @property
    def topic(self) -> str:
        """The topic of the event that creates an aggregate of the type."""
        return get_topic(self.created)


MIRRORS: dict[str, Mirror] = {
    m.read_model: m
    for m in (
        Mirror("customer_directory", "customer_directory", Customer.Registered, customer_row),
        Mirror("contract_directory", "contract_directory", Contract.Drafted, contract_row),
        Mirror(
            "employee_directory", "employee_directory", Employee.CandidateRegistered, employee_row
        ),
        Mirror("budget_execution", "budget_directory", Budget.Drafted, budget_row),
        Mirror("campaigns", "campaign_report", Campaign.Drafted, campaign_row),
        Mirror("complaints", "complaint_list", Complaint.Received, complaint_row),
        Mirror("pipeline", "pipeline_opportunities", Opportunity.Opened, opportunity_row),
        Mirror("price_lists", "price_lists", PriceList.Created, price_list_row),
        Mirror("risks", "risks", Risk.Identified, risk_row),
        Mirror("expense_claims", "expense_claims", ExpenseClaim.Submitted, expense_claim_row),
        Mirror("marketing_plans", "marketing_plans", MarketingPlan.Drafted, marketing_plan_row),
        Mirror("training", "training_programs", TrainingProgram.Planned, training_program_row),
        Mirror("competitors", "research_reports", ResearchReport.Drafted, research_report_row),
        Mirror("staffing_plans", "staffing_plans", StaffingPlan.Drafted, staffing_plan_row),
    )
}


def settled_rows(view: Any, table: str, application_name: str) -> tuple[int, dict[str, Row]]:
    """A directory's rows and the position they were folded to, read while it stood still.

    Rows commit with their tracking position, so a position the same before and after
    the read means the rows read are those of that position.
    """
    for _ in range(SETTLE_ATTEMPTS):
        before = view.max_tracking_id(application_name) or 0
        rows = view.query(f"SELECT * FROM {view.table(table)}")
        if (view.max_tracking_id(application_name) or 0) == before:
            return before, {str(row["id"]): row for row in rows}
        time.sleep(SETTLE_PAUSE_SECONDS)
    raise Unsettled(f"{table} kept folding while it was read")


def index_log(app: Application[Any], upto: int) -> dict[str, Stream]:
    """Every aggregate's stream in the log up to a position, by aggregate id."""
    streams: dict[str, Stream] = {}
    start = 1
    while start <= upto:
        page = app.recorder.select_notifications(start, PAGE_SIZE, stop=upto)
        if not page:
            break
        for notification in page:
            stream = streams.setdefault(str(notification.originator_id), Stream(notification.topic))
            stream.positions.append(notification.id)
        start = page[-1].id + 1
    return streams


def compare(read_model: str, aggregate_id: str, row: Row, expected: Row) -> list[Mismatch]:
    """The fields in which a row differs from the row its aggregate must have; a column
    one side lacks is a difference too."""
    return [
        Mismatch(read_model, aggregate_id, name, row.get(name, ABSENT), expected.get(name, ABSENT))
        for name in sorted(row.keys() | expected.keys())
        if row.get(name, ABSENT) != expected.get(name, ABSENT)
    ]


def crosscheck(
    app: Application[Any],
    mirror: Mirror,
    position: int,
    rows: Mapping[str, Row],
    streams: Mapping[str, Stream],
) -> list[Mismatch]:
    """The mismatches of one directory's rows, folded to `position`, with the aggregates."""
    name = mirror.read_model
    created = {
        aggregate_id: stream
        for aggregate_id, stream in streams.items()
        if stream.topic == mirror.topic and stream.version_at(position) > 0
    }
    found = [Mismatch(name, i, "(row)", rows[i]["version"], None) for i in rows.keys() - created]
    found += [Mismatch(name, i, "(row)", None, "exists") for i in created.keys() - rows.keys()]
    for aggregate_id in sorted(created.keys() & rows.keys()):
        stream = created[aggregate_id]
        aggregate: Any = app.repository.get(UUID(aggregate_id), version=stream.version_at(position))
        expected = mirror.expected(aggregate, stream.positions[0])
        found += compare(name, aggregate_id, rows[aggregate_id], expected)
    return sorted(found, key=lambda m: (m.aggregate_id, m.field))


def crosscheck_all(
    app: Application[Any], views: Mapping[str, Any], names: Iterable[str] | None = None
) -> dict[str, list[Mismatch]]:
    """Each directory named (every one with a view given, by default) against its
    aggregates, each at the position its read model has folded to."""
    chosen = [n for n in (names or views) if n in MIRRORS and n in views]
    read = {n: settled_rows(views[n], MIRRORS[n].table, app.name) for n in chosen}
    streams = index_log(app, max((p for p, _ in read.values()), default=0))
    return {n: crosscheck(app, MIRRORS[n], *read[n], streams) for n in chosen}
