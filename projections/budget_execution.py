"""Budget execution (預算執行情況, 偏差分析): per budget x category x quarter, as of a date.

Every money movement of a budget is a row of a ledger, dated by business time; the
report sums the rows dated on or before `as_of` at query time, so a back-dated
expense counts from its own date. Decisions:

- Planned amounts are the plan as it stands (not dated): the plan is not a fact of a
  day. Reallocations, approved overruns, commitments and releases count from the
  moment they were recorded (their commands take no business time), expenses from
  their `occurred_at`.
- What an expense takes from a commitment leaves `committed` on the later of the
  expense's date and the commitment's, so `committed` as of any date is never negative.
- `deviation` = spent - the straight-line share of the line's authorised amount
  (planned + adjustments + approved overruns) for the part of its quarter passed at
  `as_of` (0 before the quarter, all of it after): positive means spending ahead of plan.
- `utilisation` = (committed + spent) / (planned + adjustments + approved overruns),
  `null` when that is 0. Every report has all sixteen lines, in category then quarter
  order, and every expense type in `by_expense_type`.
- `GET /budgets` lists the budgets from this read model's directory table.
- For the early warnings (projections/warnings.py), `budget_approvals` dates each
  budget's approval and closing by the moment they were recorded, and keeps the year's
  revenue target (the sum of its quarters'). A budget is approved at a time when its
  approval was recorded by then and its closing was not. The table came after the
  others: a database folded before it needs `mops projections rebuild
  budget_execution` once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.budget import CATEGORIES, QUARTERS, ZERO, Budget, elapsed_share
from domain.values import ExpenseType
from projections.events import iso_utc
from projections.money import ratio_float
from projections.rows import directory_page, inserts, update, upsert
from projections.store import ReadModel, Statement

Row = dict[str, Any]

DIRECTORY = (
    "id",
    "fiscal_year",
    "name",
    "status",
    "submitted_by",
    "approved_by",
    "version",
    "drafted_at",
    "drafted_position",
    "updated_at",
)
LEDGER = (
    "entry",
    "budget_id",
    "category",
    "period",
    "kind",
    "amount",
    "expense_type",
    "occurred_at",
    "position",
)
STATUS_BY_EVENT = {
    Budget.Submitted: "pending_approval",
    Budget.Approved: "approved",
    Budget.Rejected: "draft",
    Budget.Closed: "closed",
}
APPROVALS = ("budget_id", "fiscal_year", "revenue_target", "approved_at", "closed_at")
# Kinds of ledger rows and the line figure each moves.
KINDS = ("adjustments", "overruns_approved", "committed", "spent")
PLAN = ("line", "budget_id", "category", "period", "planned")
COMMITMENTS = ("commitment", "budget_id", "reference", "category", "period", "occurred_at")
OVERRUNS = (
    "overrun",
    "budget_id",
    "category",
    "period",
    "amount",
    "status",
    "requested_by",
    "requested_at",
)


def ledger_row(
    event: Any,
    position: int,
    n: int,
    kind: str,
    amount: Decimal,
    category: str,
    period: str,
    *,
    occurred_at: datetime | None = None,
    expense_type: str | None = None,
) -> Row:
    """One money movement of a budget line."""
    return {
        "entry": f"{position:012d}:{n}",
        "budget_id": str(event.originator_id),
        "category": category,
        "period": period,
        "kind": kind,
        "amount": str(amount),
        "expense_type": expense_type,
        "occurred_at": iso_utc(occurred_at or event.occurred_at),
        "position": position,
    }


def ledger_rows(event: Any, position: int, lookup: Row | None = None) -> list[Row]:
    """The ledger rows of one budget event (a pure fold step).

    `lookup` is what the event needs of earlier ones: for a release or a consuming
    expense the commitment's line and date (`category`, `period`, `occurred_at`), for
    an overrun's approval the overrun's line and amount.
    """
    match event:
        case Budget.Committed():
            line = (event.category, event.period)
            return [ledger_row(event, position, 0, "committed", event.amount, *line)]
        case Budget.CommitmentReleased():
            line = _line_of(_earlier(lookup, event))
            return [ledger_row(event, position, 0, "committed", -event.amount, *line)]
        case Budget.ExpenseRecorded():
            return expense_rows(event, position, lookup)
        case Budget.OverrunApproved():
            overrun = _earlier(lookup, event)
            amount, line = Decimal(overrun["amount"]), _line_of(overrun)
            return [ledger_row(event, position, 0, "overruns_approved", amount, *line)]
        case Budget.Reallocated():
            return reallocation_rows(event, position)
    return []


def _line_of(row: Row) -> tuple[str, str]:
    """The (category, period) of a budget line a row names."""
    return row["category"], row["period"]


def _earlier(lookup: Row | None, event: Any) -> Row:
    """The row of an earlier event that this one needs."""
    if lookup is None:
        raise ValueError(f"no earlier row for {event!r}")
    return lookup


def expense_rows(event: Budget.ExpenseRecorded, position: int, lookup: Row | None) -> list[Row]:
    """An expense spent, and what it takes from its commitment: `committed` goes down on
    the later of the expense's date and the commitment's."""
    spent = ledger_row(
        event,
        position,
        0,
        "spent",
        event.amount,
        event.category,
        event.period,
        expense_type=event.expense_type,
    )
    if not event.consumed:
        return [spent]
    committed_on = datetime.fromisoformat(_earlier(lookup, event)["occurred_at"])
    consumed = ledger_row(
        event,
        position,
        1,
        "committed",
        -event.consumed,
        event.category,
        event.period,
        occurred_at=max(event.occurred_at, committed_on),
    )
    return [spent, consumed]


def reallocation_rows(event: Budget.Reallocated, position: int) -> list[Row]:
    """An amount moved from one line to another: an adjustment down, then one up."""
    amount = event.amount
    return [
        ledger_row(
            event, position, 0, "adjustments", -amount, event.from_category, event.from_period
        ),
        ledger_row(event, position, 1, "adjustments", amount, event.to_category, event.to_period),
    ]


def year_revenue_target(targets: Iterable[Mapping[str, Any]]) -> str | None:
    """A year's revenue target: the sum of its quarters' (as `Budget.targets_for` sums
    them); None when no quarter sets one."""
    revenues = [t["revenue"] for t in targets if t.get("revenue") is not None]
    return str(sum(revenues)) if revenues else None


def execution(
    plan: Iterable[Row], ledger: Iterable[Row], fiscal_year: int, as_of: datetime
) -> dict[str, Any]:
    """The lines and expense totals of a budget from its plan and its ledger rows up to as_of."""
    cutoff = iso_utc(as_of)
    figures = {
        (c, p): {"planned": ZERO, **{k: ZERO for k in KINDS}} for c in CATEGORIES for p in QUARTERS
    }
    for row in plan:
        figures[(row["category"], row["period"])]["planned"] = Decimal(row["planned"])
    by_type = {t.value: ZERO for t in ExpenseType}
    for row in ledger:
        if row["occurred_at"] > cutoff:
            continue
        amount = Decimal(row["amount"])
        figures[(row["category"], row["period"])][row["kind"]] += amount
        if row["kind"] == "spent":
            by_type[row["expense_type"]] += amount
    lines = []
    for (category, period), f in figures.items():
        authorised = f["planned"] + f["adjustments"] + f["overruns_approved"]
        used = f["committed"] + f["spent"]
        straight_line = authorised * elapsed_share(fiscal_year, period, as_of)
        lines.append(
            {
                "category": category,
                "period": period,
                "planned": str(f["planned"]),
                "adjustments": str(f["adjustments"]),
                "overruns_approved": str(f["overruns_approved"]),
                "committed": str(f["committed"]),
                "spent": str(f["spent"]),
                "available": str(authorised - used),
                # Rounded half even (the decimal context's default), as it always was.
                "utilisation": ratio_float(used, authorised, rounding=ROUND_HALF_EVEN),
                "deviation": str((f["spent"] - straight_line).quantize(ZERO)),
            }
        )
    return {"lines": lines, "by_expense_type": {t: str(v) for t, v in by_type.items()}}


class BudgetExecution(ReadModel):
    """The budgets, their plans, and a dated ledger of every money movement."""

    name = "budget_execution"
    table_names = (
        "budget_directory",
        "budget_plan",
        "budget_ledger",
        "budget_commitments",
        "budget_overruns",
        "budget_approvals",
    )
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}budget_directory ("
        "id TEXT PRIMARY KEY, fiscal_year INTEGER NOT NULL, name TEXT NOT NULL, "
        "status TEXT NOT NULL, submitted_by TEXT, approved_by TEXT, version INTEGER NOT NULL, "
        "drafted_at TEXT NOT NULL, drafted_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}budget_directory_position "
        "ON {p}budget_directory (drafted_position)",
        "CREATE TABLE IF NOT EXISTS {p}budget_plan ("
        "line TEXT PRIMARY KEY, budget_id TEXT NOT NULL, category TEXT NOT NULL, "
        "period TEXT NOT NULL, planned TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}budget_plan_budget ON {p}budget_plan (budget_id)",
        "CREATE TABLE IF NOT EXISTS {p}budget_ledger ("
        "entry TEXT PRIMARY KEY, budget_id TEXT NOT NULL, category TEXT NOT NULL, "
        "period TEXT NOT NULL, kind TEXT NOT NULL, amount TEXT NOT NULL, expense_type TEXT, "
        "occurred_at TEXT NOT NULL, position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}budget_ledger_budget ON {p}budget_ledger (budget_id)",
        "CREATE TABLE IF NOT EXISTS {p}budget_commitments ("
        "commitment TEXT PRIMARY KEY, budget_id TEXT NOT NULL, reference TEXT NOT NULL, "
        "category TEXT NOT NULL, period TEXT NOT NULL, occurred_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}budget_overruns ("
        "overrun TEXT PRIMARY KEY, budget_id TEXT NOT NULL, category TEXT NOT NULL, "
        "period TEXT NOT NULL, amount TEXT NOT NULL, status TEXT NOT NULL, "
        "requested_by TEXT NOT NULL, requested_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}budget_overruns_budget ON {p}budget_overruns (budget_id)",
        "CREATE TABLE IF NOT EXISTS {p}budget_approvals ("
        "budget_id TEXT PRIMARY KEY, fiscal_year INTEGER NOT NULL, revenue_target TEXT, "
        "approved_at TEXT, closed_at TEXT)",
    )

    def one(self, table: str, key_column: str, key: str) -> Row | None:
        rows = self.query(f"SELECT * FROM {self.table(table)} WHERE {key_column} = ?", [key])
        return rows[0] if rows else None

    def budget(self, budget_id: str) -> Row | None:
        """The directory row of a budget."""
        return self.one("budget_directory", "id", budget_id)

    def report(self, budget_id: str, as_of: datetime) -> dict[str, Any] | None:
        """Execution per line and expense totals by type, counting facts dated up to as_of."""
        budget = self.budget(budget_id)
        if budget is None:
            return None
        plan = self.query(
            f"SELECT * FROM {self.table('budget_plan')} WHERE budget_id = ?", [budget_id]
        )
        ledger = self.query(
            f"SELECT * FROM {self.table('budget_ledger')} WHERE budget_id = ? AND occurred_at <= ?",
            [budget_id, iso_utc(as_of)],
        )
        return {
            "budget_id": budget_id,
            "fiscal_year": budget["fiscal_year"],
            "name": budget["name"],
            "status": budget["status"],
            **execution(plan, ledger, budget["fiscal_year"], as_of),
        }

    def overruns(self, budget_id: str) -> list[Row]:
        return self.query(
            f"SELECT * FROM {self.table('budget_overruns')} WHERE budget_id = ? "
            "ORDER BY requested_at, overrun",
            [budget_id],
        )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        fiscal_year: int | None = None,
    ) -> list[Row]:
        """Budgets matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "budget_directory",
            "drafted_position",
            limit=limit,
            after=after,
            conditions=(("status = ?", status), ("fiscal_year = ?", fiscal_year)),
        )

    def approval_statements(self, event: Any) -> list[Statement]:
        """What a budget event changes of its dated approval and its year's revenue target."""
        table, budget_id = self.table("budget_approvals"), str(event.originator_id)
        match event:
            case Budget.Drafted():
                target = year_revenue_target(event.targets)
                values = [budget_id, event.fiscal_year, target, None, None]
                return [(upsert(table, APPROVALS, "budget_id"), values)]
            case Budget.Amended():
                changes = {"revenue_target": year_revenue_target(event.targets)}
            case Budget.Approved():
                changes = {"approved_at": iso_utc(event.occurred_at)}
            case Budget.Closed():
                changes = {"closed_at": iso_utc(event.occurred_at)}
            case _:
                return []
        return [update(table, "budget_id", budget_id, changes)]

    def plan_statements(
        self, budget_id: str, lines: Iterable[Mapping[str, Any]]
    ) -> list[Statement]:
        """A budget's plan replaced by the lines given."""
        plan = self.table("budget_plan")
        rows = [
            {
                "line": f"{budget_id}|{line['category']}|{line['period']}",
                "budget_id": budget_id,
                "category": line["category"],
                "period": line["period"],
                "planned": str(line["amount"]),
            }
            for line in lines
        ]
        return [
            (f"DELETE FROM {plan} WHERE budget_id = ?", [budget_id]),
            *inserts(plan, PLAN, rows),
        ]

    def lines_over(self, share: Decimal, as_of: datetime) -> int:
        """How many lines of the budgets approved (and not closed) at as_of are used above
        a share of what they authorise: (committed + spent) / (planned + adjustments +
        overruns_approved) > share, on the exact amounts the report shows at as_of."""
        at = iso_utc(as_of)
        budgets = self.query(
            f"SELECT budget_id FROM {self.table('budget_approvals')} "
            "WHERE approved_at <= ? AND (closed_at IS NULL OR closed_at > ?) ORDER BY budget_id",
            [at, at],
        )
        count = 0
        for budget in budgets:
            report = self.report(budget["budget_id"], as_of)
            for line in report["lines"] if report else ():
                authorised = sum(
                    Decimal(line[k]) for k in ("planned", "adjustments", "overruns_approved")
                )
                used = Decimal(line["committed"]) + Decimal(line["spent"])
                count += authorised > 0 and used > share * authorised
        return count

    def revenue_target(self, fiscal_year: int, as_of: datetime) -> Decimal | None:
        """The year's revenue target of its budget once approved at as_of (closed or not)."""
        rows = self.query(
            f"SELECT revenue_target FROM {self.table('budget_approvals')} "
            "WHERE fiscal_year = ? AND approved_at <= ?",
            [fiscal_year, iso_utc(as_of)],
        )
        target = rows[0]["revenue_target"] if rows else None
        return None if target is None else Decimal(target)


def drafted(event: Budget.Drafted, position: int) -> Row:
    """The directory row of a budget just drafted."""
    return {
        "id": str(event.originator_id),
        "fiscal_year": event.fiscal_year,
        "name": event.name,
        "status": "draft",
        "submitted_by": None,
        "approved_by": None,
        "version": event.originator_version,
        "drafted_at": iso_utc(event.timestamp),
        "drafted_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def directory_changes(event: Any) -> Row:
    """What a later budget event sets on the directory row: its version and time, always."""
    changes: Row = {"version": event.originator_version, "updated_at": iso_utc(event.timestamp)}
    status = STATUS_BY_EVENT.get(type(event))
    if status is not None:
        changes["status"] = status
    match event:
        case Budget.Submitted():
            changes["submitted_by"] = event.actor
        case Budget.Approved():
            changes["approved_by"] = event.actor
        case Budget.Amended():
            changes["name"] = event.name
    return changes


def commitment_row(event: Budget.Committed) -> Row:
    """A commitment's line and date, which its release and the expenses taking it need."""
    budget_id = str(event.originator_id)
    return {
        "commitment": f"{budget_id}|{event.reference}",
        "budget_id": budget_id,
        "reference": event.reference,
        "category": event.category,
        "period": event.period,
        "occurred_at": iso_utc(event.occurred_at),
    }


def overrun_row(event: Budget.OverrunRequested) -> Row:
    """An overrun requested, pending until approved or rejected."""
    budget_id = str(event.originator_id)
    return {
        "overrun": f"{budget_id}|{event.overrun_id}",
        "budget_id": budget_id,
        "category": event.category,
        "period": event.period,
        "amount": str(event.amount),
        "status": "pending",
        "requested_by": event.actor,
        "requested_at": iso_utc(event.occurred_at),
    }


class BudgetExecutionProjection(Projection[BudgetExecution]):
    """Folds Budget events into the directory, the plan and the ledger; tracks every event."""

    name = "budget_execution"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Budget.Event,)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Budget.Event):
            self.view.insert_tracking(tracking)
            return
        position = tracking.notification_id
        ledger = ledger_rows(domain_event, position, self._lookup(domain_event))
        statements = [
            self._directory(domain_event, position),
            *self._records(domain_event),
            *inserts(self.view.table("budget_ledger"), LEDGER, ledger),
            *self.view.approval_statements(domain_event),
        ]
        self.view.write(statements, tracking)

    def _directory(self, event: Any, position: int) -> Statement:
        table = self.view.table("budget_directory")
        if isinstance(event, Budget.Drafted):
            row = drafted(event, position)
            return upsert(table, DIRECTORY), [row[c] for c in DIRECTORY]
        return update(table, "id", str(event.originator_id), directory_changes(event))

    def _records(self, event: Any) -> list[Statement]:
        """The plan, commitment and overrun rows an event writes."""
        view, budget_id = self.view, str(event.originator_id)
        match event:
            case Budget.Drafted() | Budget.Amended():
                return view.plan_statements(budget_id, event.lines)
            case Budget.Committed():
                return inserts(
                    view.table("budget_commitments"), COMMITMENTS, [commitment_row(event)]
                )
            case Budget.OverrunRequested():
                return inserts(view.table("budget_overruns"), OVERRUNS, [overrun_row(event)])
            case Budget.OverrunApproved() | Budget.OverrunRejected():
                approved = isinstance(event, Budget.OverrunApproved)
                decision = {"status": "approved" if approved else "rejected"}
                key = f"{budget_id}|{event.overrun_id}"
                return [update(view.table("budget_overruns"), "overrun", key, decision)]
        return []

    def _lookup(self, event: Any) -> Row | None:
        """The commitment or overrun an event's ledger rows need (see `ledger_rows`)."""
        budget_id = str(event.originator_id)
        match event:
            case Budget.CommitmentReleased():
                key = f"{budget_id}|{event.reference}"
                return self.view.one("budget_commitments", "commitment", key)
            case Budget.ExpenseRecorded() if event.consumed:
                key = f"{budget_id}|{event.reference}"
                return self.view.one("budget_commitments", "commitment", key)
            case Budget.OverrunApproved():
                key = f"{budget_id}|{event.overrun_id}"
                return self.view.one("budget_overruns", "overrun", key)
        return None
