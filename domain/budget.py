"""Budget: the annual budget by category and quarter, its execution and cost control.

Rulebook: 預算編制與執行, 成本控制, 預算外支出嚴格審批.

Decisions where DOMAIN.md is silent:

- A budget has all sixteen lines (four categories x four quarters); a line the draft
  does not name plans 0. The fiscal year is the calendar year.
- A commitment's `reference` names one commitment: a reference used before (open,
  consumed or released) is refused (`validation_error`).
- An expense with a reference consumes the open part of that commitment first; the
  reference's commitment must lie on the expense's line. What the commitment does not
  cover needs room on the line. A reference with no commitment is kept as given.
- An expense above its type's standard cites an approved overrun of its line; the
  overrun covers the part above the standard, and the parts above the standard of every
  expense citing it may not add up to more than the overrun's amount.
- An approved overrun adds its amount to the line (so to what is available).
- Releasing a commitment is allowed on an approved or a closed budget: it only frees
  money (a campaign completed after the year was closed still releases its rest).
- Closing leaves open commitments as they are; it only stops new ones and expenses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.approval import SegregatedDecision
from domain.base import FiscalYearKey, MopsAggregate
from domain.errors import (
    BudgetExceeded,
    DuplicateBudget,
    ExpenseStandardExceeded,
    FieldError,
    InvalidState,
    NotFound,
    SegregationOfDuties,
    ValidationFailed,
)
from domain.values import (
    MAX_COUNT,
    BudgetCategory,
    BudgetStatus,
    Cause,
    ExpenseType,
    OverrunStatus,
    Quarter,
    money,
    required_text,
    same_subject,
)

ZERO = Decimal("0.00")
CATEGORIES = tuple(c.value for c in BudgetCategory)
QUARTERS = tuple(q.value for q in Quarter)


class PlannedLine(TypedDict):
    """The planned amount of one line, as the Drafted and Amended events carry it."""

    category: str
    period: str
    amount: Decimal


class SalesTarget(TypedDict):
    """The sales targets of one quarter, as the Drafted and Amended events carry them."""

    period: str
    revenue: Decimal | None
    units: int | None
    new_customers: int | None


class QuarterTargets(TypedDict):
    """The sales targets of one quarter, as the budget keeps them (by quarter)."""

    revenue: Decimal | None
    units: int | None
    new_customers: int | None


class PeriodTargets(TypedDict):
    """The sales targets of a year, quarter or month; a month's counts are thirds."""

    revenue: Decimal | None
    units: Decimal | int | None
    new_customers: Decimal | int | None


class BudgetLine(TypedDict):
    """One line (category and quarter) of a budget and what its execution did to it."""

    category: str
    period: str
    planned: Decimal
    adjustments: Decimal
    overruns: Decimal
    committed: Decimal
    spent: Decimal


class Commitment(TypedDict):
    """Money of a line reserved for a purpose named by its reference."""

    reference: str
    category: str
    period: str
    amount: Decimal
    open: Decimal
    released: bool


class Overrun(TypedDict):
    """A request for money beyond a line's budget, and its decision."""

    id: UUID
    category: str
    period: str
    amount: Decimal
    justification: str
    status: str
    requested_by: str
    decided_by: str | None
    reasons: str | None
    used: Decimal


def choice(enum: type[Enum], value: Any, field: str) -> str:
    """The value of an enumeration member, or a validation error naming the field."""
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationFailed.of(field, f"must be one of {allowed}") from None


def line_key(category: str, period: str) -> str:
    """The key of a budget line: `category|period`."""
    return f"{category}|{period}"


def positive(amount: Decimal | int | str, field: str = "amount") -> Decimal:
    """A money amount greater than zero."""
    value = money(amount, field)
    if value <= 0:
        raise ValidationFailed.of(field, "must be greater than zero")
    return value


def quarter_bounds(fiscal_year: int, period: str) -> tuple[datetime, datetime]:
    """The start of a quarter and the start of the next one, in UTC."""
    number = QUARTERS.index(period)
    start = datetime(fiscal_year, 3 * number + 1, 1, tzinfo=UTC)
    end = (
        datetime(fiscal_year + 1, 1, 1, tzinfo=UTC)
        if number == 3
        else datetime(fiscal_year, 3 * number + 4, 1, tzinfo=UTC)
    )
    return start, end


def elapsed_share(fiscal_year: int, period: str, as_of: datetime) -> Decimal:
    """How much of a quarter has passed at a moment: 0 before it, 1 after it."""
    start, end = quarter_bounds(fiscal_year, period)
    if as_of <= start:
        return Decimal(0)
    if as_of >= end:
        return Decimal(1)
    return Decimal((as_of - start).total_seconds()) / Decimal((end - start).total_seconds())


def plan_lines(lines: Iterable[Mapping[str, Any]]) -> list[PlannedLine]:
    """Validated planned amounts: one entry per line named, no line named twice."""
    planned: list[PlannedLine] = []
    seen: set[str] = set()
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        try:
            category = choice(BudgetCategory, line.get("category"), f"lines.{index}.category")
            period = choice(Quarter, line.get("period"), f"lines.{index}.period")
            amount = money(line.get("amount"), f"lines.{index}.amount")
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        if amount < 0:
            errors.append(FieldError(f"lines.{index}.amount", "may not be negative"))
        if line_key(category, period) in seen:
            errors.append(FieldError(f"lines.{index}", f"{category} {period} is planned twice"))
        seen.add(line_key(category, period))
        planned.append({"category": category, "period": period, "amount": amount})
    if errors:
        raise ValidationFailed(errors)
    return planned


def _target_count(
    target: Mapping[str, Any], field: Literal["units", "new_customers"], prefix: str
) -> tuple[Any, FieldError | None]:
    """A count target as given, and the error when it is not a count from 0 to MAX_COUNT."""
    value = target.get(field)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT
    ):
        return value, FieldError(f"{prefix}.{field}", f"must be a count from 0 to {MAX_COUNT}")
    return value, None


def sales_targets(targets: Iterable[Mapping[str, Any]]) -> list[SalesTarget]:
    """Validated sales targets per quarter: revenue (money), units and new customers."""
    cleaned: list[SalesTarget] = []
    seen: set[str] = set()
    errors: list[FieldError] = []
    for index, target in enumerate(targets):
        try:
            period = choice(Quarter, target.get("period"), f"targets.{index}.period")
            given_revenue = target.get("revenue")
            revenue = (
                None if given_revenue is None else money(given_revenue, f"targets.{index}.revenue")
            )
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        if revenue is not None and revenue < 0:
            errors.append(FieldError(f"targets.{index}.revenue", "may not be negative"))
        units, units_error = _target_count(target, "units", f"targets.{index}")
        new_customers, new_customers_error = _target_count(
            target, "new_customers", f"targets.{index}"
        )
        errors.extend(error for error in (units_error, new_customers_error) if error is not None)
        if period in seen:
            errors.append(FieldError(f"targets.{index}.period", f"{period} is targeted twice"))
        seen.add(period)
        cleaned.append(
            {"period": period, "revenue": revenue, "units": units, "new_customers": new_customers}
        )
    if errors:
        raise ValidationFailed(errors)
    return cleaned


class Entries(dict[str, Commitment]):
    """A mapping of the Budget that is never changed in place: a change makes a new one.

    The library deep-copies an aggregate from its cache on every load. The commitments
    of a year run into the thousands; copying them made each command on the hot Budget
    cost time in proportion to their number (at 2 000 commitments the copy took 6 ms,
    seven times the rest of a commitment). Shared instead of copied, it takes 0.1 ms.
    Entries themselves are replaced, never changed, too.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Entries:
        return self

    # `self` is a Mapping, not Entries: a budget loaded from a snapshot holds its
    # commitments in a plain dict, and the events call `Entries.put(budget.commitments, ...)`.
    def put(self: Mapping[str, Commitment], key: str, value: Commitment) -> Entries:
        """A copy with one entry added or replaced."""
        changed = Entries(self)
        changed[key] = value
        return changed


def _lines_from(planned: list[PlannedLine]) -> dict[str, BudgetLine]:
    amounts = {line_key(p["category"], p["period"]): p["amount"] for p in planned}
    return {
        line_key(category, period): {
            "category": category,
            "period": period,
            "planned": amounts.get(line_key(category, period), ZERO),
            "adjustments": ZERO,
            "overruns": ZERO,
            "committed": ZERO,
            "spent": ZERO,
        }
        for category in CATEGORIES
        for period in QUARTERS
    }


def _targets_from(targets: list[SalesTarget]) -> dict[str, QuarterTargets]:
    return {
        t["period"]: {
            "revenue": t["revenue"],
            "units": t["units"],
            "new_customers": t["new_customers"],
        }
        for t in targets
    }


def available_on(line: BudgetLine) -> Decimal:
    """What a line still allows: planned + adjustments + overruns - committed - spent."""
    return (
        line["planned"] + line["adjustments"] + line["overruns"] - line["committed"] - line["spent"]
    )


class Budget(SegregatedDecision):
    """The budget of one fiscal year: planned lines, and every commitment and expense."""

    subject = "budget"

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        fiscal_year: int
        name: str
        status: str
        # By line key `category|period`: all sixteen lines.
        lines: dict[str, BudgetLine]
        # By quarter.
        targets: dict[str, QuarterTargets]
        # By reference; an `Entries`, or a plain dict when loaded from a snapshot.
        commitments: dict[str, Commitment]
        # By overrun id (as text).
        overruns: dict[str, Overrun]
        spent_by_type: dict[str, Decimal]
        submitted_by: str | None
        approved_by: str | None
        rejection: str | None

    class Drafted(MopsAggregate.Created):
        fiscal_year: int
        name: str
        lines: list[PlannedLine]
        targets: list[SalesTarget]

        def apply(self, budget: Budget) -> None:
            budget.fiscal_year = self.fiscal_year
            budget.name = self.name
            budget.status = BudgetStatus.DRAFT.value
            budget.lines = _lines_from(self.lines)
            budget.targets = _targets_from(self.targets)
            budget.commitments = Entries()
            budget.overruns = {}
            budget.spent_by_type = {}
            budget.submitted_by = None
            budget.approved_by = None
            budget.rejection = None

    class Amended(MopsAggregate.Event):
        name: str
        lines: list[PlannedLine]
        targets: list[SalesTarget]

        def apply(self, budget: Budget) -> None:
            budget.name = self.name
            budget.lines = _lines_from(self.lines)
            budget.targets = _targets_from(self.targets)

    class Submitted(MopsAggregate.Event):
        def apply(self, budget: Budget) -> None:
            budget.status = BudgetStatus.PENDING_APPROVAL.value
            budget.submitted_by = self.actor

    class Approved(MopsAggregate.Event):
        def apply(self, budget: Budget) -> None:
            budget.status = BudgetStatus.APPROVED.value
            budget.approved_by = self.actor
            budget.rejection = None

    class Rejected(MopsAggregate.Event):
        reasons: str

        def apply(self, budget: Budget) -> None:
            budget.status = BudgetStatus.DRAFT.value
            budget.rejection = self.reasons

    class Committed(MopsAggregate.Event):
        category: str
        period: str
        amount: Decimal
        reference: str

        def apply(self, budget: Budget) -> None:
            budget.lines[line_key(self.category, self.period)]["committed"] += self.amount
            budget.commitments = Entries.put(
                budget.commitments,
                self.reference,
                {
                    "reference": self.reference,
                    "category": self.category,
                    "period": self.period,
                    "amount": self.amount,
                    "open": self.amount,
                    "released": False,
                },
            )

    class CommitmentReleased(MopsAggregate.Event):
        reference: str
        # The open part of the commitment when it was released.
        amount: Decimal

        def apply(self, budget: Budget) -> None:
            commitment = budget.commitments[self.reference]
            budget.lines[line_key(commitment["category"], commitment["period"])]["committed"] -= (
                self.amount
            )
            budget.commitments = Entries.put(
                budget.commitments,
                self.reference,
                {**commitment, "open": ZERO, "released": True},
            )

    class ExpenseRecorded(MopsAggregate.Event):
        category: str
        period: str
        amount: Decimal
        expense_type: str
        reference: str | None
        overrun_id: UUID | None
        description: str
        # Decided when recorded: what the expense took from its reference's commitment,
        # and what of it lay above the standard of its type (covered by the overrun).
        consumed: Decimal
        above_standard: Decimal

        def apply(self, budget: Budget) -> None:
            line = budget.lines[line_key(self.category, self.period)]
            line["spent"] += self.amount
            line["committed"] -= self.consumed
            if self.consumed and self.reference is not None:
                commitment = budget.commitments[self.reference]
                budget.commitments = Entries.put(
                    budget.commitments,
                    self.reference,
                    {**commitment, "open": commitment["open"] - self.consumed},
                )
            budget.spent_by_type[self.expense_type] = (
                budget.spent_by_type.get(self.expense_type, ZERO) + self.amount
            )
            if self.overrun_id is not None and self.above_standard:
                budget.overruns[str(self.overrun_id)]["used"] += self.above_standard

    class OverrunRequested(MopsAggregate.Event):
        overrun_id: UUID
        category: str
        period: str
        amount: Decimal
        justification: str

        def apply(self, budget: Budget) -> None:
            budget.overruns[str(self.overrun_id)] = {
                "id": self.overrun_id,
                "category": self.category,
                "period": self.period,
                "amount": self.amount,
                "justification": self.justification,
                "status": OverrunStatus.PENDING.value,
                "requested_by": self.actor,
                "decided_by": None,
                "reasons": None,
                "used": ZERO,
            }

    class OverrunApproved(MopsAggregate.Event):
        overrun_id: UUID

        def apply(self, budget: Budget) -> None:
            overrun = budget.overruns[str(self.overrun_id)]
            overrun["status"] = OverrunStatus.APPROVED.value
            overrun["decided_by"] = self.actor
            budget.lines[line_key(overrun["category"], overrun["period"])]["overruns"] += overrun[
                "amount"
            ]

    class OverrunRejected(MopsAggregate.Event):
        overrun_id: UUID
        reasons: str

        def apply(self, budget: Budget) -> None:
            overrun = budget.overruns[str(self.overrun_id)]
            overrun["status"] = OverrunStatus.REJECTED.value
            overrun["decided_by"] = self.actor
            overrun["reasons"] = self.reasons

    class Reallocated(MopsAggregate.Event):
        from_category: str
        from_period: str
        to_category: str
        to_period: str
        amount: Decimal
        reason: str

        def apply(self, budget: Budget) -> None:
            budget.lines[line_key(self.from_category, self.from_period)]["adjustments"] -= (
                self.amount
            )
            budget.lines[line_key(self.to_category, self.to_period)]["adjustments"] += self.amount

    class Closed(MopsAggregate.Event):
        def apply(self, budget: Budget) -> None:
            budget.status = BudgetStatus.CLOSED.value

    # Planning and approval.

    @classmethod
    def draft(
        cls,
        cause: Cause,
        *,
        id: UUID,
        fiscal_year: int,
        lines: Iterable[Mapping[str, Any]],
        name: str | None = None,
        targets: Iterable[Mapping[str, Any]] = (),
    ) -> Budget:
        """Draft the budget of a fiscal year: planned amounts per line, sales targets."""
        if not 1900 <= fiscal_year <= 9998:
            raise ValidationFailed.of("fiscal_year", "must be a year between 1900 and 9998")
        return cls._start(
            cls.Drafted,
            cause,
            id=id,
            fiscal_year=fiscal_year,
            name=required_text(name, "name", 200) if name else f"Budget {fiscal_year}",
            lines=plan_lines(lines),
            targets=sales_targets(targets),
        )

    def amend(
        self,
        cause: Cause,
        *,
        name: str | None = None,
        lines: Iterable[Mapping[str, Any]] | None = None,
        targets: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        """Revise a draft (a rejected budget comes back as a draft): name, lines, targets.

        Lines and targets given replace the earlier ones as a whole.
        """
        if self.status != BudgetStatus.DRAFT:
            raise InvalidState("amend", self.status)
        if name is None and lines is None and targets is None:
            raise ValidationFailed.of("body", "names no field to change")
        self._record(
            self.Amended,
            cause,
            name=required_text(name, "name", 200) if name is not None else self.name,
            lines=plan_lines(lines) if lines is not None else self._planned(),
            targets=sales_targets(targets) if targets is not None else self._target_list(),
        )

    def _planned(self) -> list[PlannedLine]:
        return [
            {"category": line["category"], "period": line["period"], "amount": line["planned"]}
            for line in self.lines.values()
            if line["planned"]
        ]

    def _target_list(self) -> list[SalesTarget]:
        return [{"period": period, **target} for period, target in self.targets.items()]

    def submit(self, cause: Cause) -> None:
        """Put the draft before an executive."""
        if self.status != BudgetStatus.DRAFT:
            raise InvalidState("submit", self.status)
        if not any(line["planned"] > 0 for line in self.lines.values()):
            raise ValidationFailed.of("lines", "a budget to submit plans at least one amount")
        self._record(self.Submitted, cause)

    def approve(self, cause: Cause) -> None:
        """An executive other than the submitter approves the budget; it may now be spent."""
        self._decide(cause, "approve", self.Approved)

    def reject(self, cause: Cause, reasons: str) -> None:
        """An executive other than the submitter sends the budget back to draft."""
        reasons = required_text(reasons, "reasons", 5000)
        self._decide(cause, "reject", self.Rejected, reasons=reasons)

    def close(self, cause: Cause) -> None:
        """Close the year: no more commitments or expenses."""
        if self.status != BudgetStatus.APPROVED:
            raise InvalidState("close", self.status)
        self._record(self.Closed, cause)

    # Execution.

    def _line(self, category: str, period: str, prefix: str = "") -> BudgetLine:
        category = choice(BudgetCategory, category, f"{prefix}category")
        period = choice(Quarter, period, f"{prefix}period")
        return self.lines[line_key(category, period)]

    def _require_approved(self, command: str) -> None:
        if self.status != BudgetStatus.APPROVED:
            raise InvalidState(command, self.status)

    def available(self, category: str, period: str) -> Decimal:
        """What a line still allows."""
        return available_on(self._line(category, period))

    @staticmethod
    def _room_for(line: BudgetLine, amount: Decimal) -> None:
        available = available_on(line)
        if amount > available:
            raise BudgetExceeded(
                f"{line['category']} {line['period']} has {available} available, "
                f"{amount} was asked",
                category=line["category"],
                period=line["period"],
                available=available,
                requested=amount,
                shortfall=amount - available,
            )

    def commit(
        self, cause: Cause, *, category: str, period: str, amount: Decimal, reference: str
    ) -> None:
        """Reserve money of a line for a purpose named by the reference."""
        line = self._line(category, period)
        amount = positive(amount)
        reference = required_text(reference, "reference", 200)
        self._require_approved("commitments")
        if reference in self.commitments:
            raise ValidationFailed.of("reference", "names a commitment made before")
        self._room_for(line, amount)
        self._record(
            self.Committed,
            cause,
            category=line["category"],
            period=line["period"],
            amount=amount,
            reference=reference,
        )

    def open_commitment(self, reference: str) -> Decimal:
        """The still open part of a commitment (0 when there is none)."""
        commitment = self.commitments.get(reference)
        return commitment["open"] if commitment else ZERO

    def release_commitment(self, cause: Cause, reference: str) -> None:
        """Give back what is still open of a commitment."""
        commitment = self.commitments.get(reference)
        if commitment is None:
            raise NotFound(f"commitment {reference!r} not found on this budget")
        if self.status not in (BudgetStatus.APPROVED, BudgetStatus.CLOSED):
            raise InvalidState("commitments/release", self.status)
        if commitment["released"] or commitment["open"] <= 0:
            raise InvalidState(
                "commitments/release",
                "released" if commitment["released"] else "consumed",
                "nothing of this commitment is open",
            )
        self._record(self.CommitmentReleased, cause, reference=reference, amount=commitment["open"])

    def record_expense(
        self,
        cause: Cause,
        standards: Mapping[str, Decimal],
        *,
        category: str,
        period: str,
        amount: Decimal,
        expense_type: str,
        description: str,
        reference: str | None = None,
        overrun_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Book money spent, consuming the reference's commitment first (費用管理)."""
        line = self._line(category, period)
        amount = positive(amount)
        expense_type = choice(ExpenseType, expense_type, "expense_type")
        description = required_text(description, "description", 5000)
        reference = (reference or "").strip() or None
        occurred = cause.occurred(occurred_at)
        self._require_approved("expenses")
        commitment = self.commitments.get(reference) if reference else None
        consumed = ZERO
        if commitment is not None and commitment["open"] > 0:
            if (commitment["category"], commitment["period"]) != (line["category"], line["period"]):
                raise ValidationFailed.of(
                    "reference",
                    f"is committed on {commitment['category']} {commitment['period']}",
                )
            consumed = min(commitment["open"], amount)
        above_standard = self._above_standard(line, standards, expense_type, amount, overrun_id)
        self._room_for(line, amount - consumed)
        self._record(
            self.ExpenseRecorded,
            cause,
            occurred_at=occurred,
            category=line["category"],
            period=line["period"],
            amount=amount,
            expense_type=expense_type,
            reference=reference,
            overrun_id=overrun_id,
            description=description,
            consumed=consumed,
            above_standard=above_standard,
        )

    def _above_standard(
        self,
        line: BudgetLine,
        standards: Mapping[str, Decimal],
        expense_type: str,
        amount: Decimal,
        overrun_id: UUID | None,
    ) -> Decimal:
        """The part of an expense above its standard, which a cited overrun must cover."""
        overrun = self.overruns.get(str(overrun_id)) if overrun_id is not None else None
        if overrun_id is not None and (
            overrun is None
            or overrun["status"] != OverrunStatus.APPROVED
            or (overrun["category"], overrun["period"]) != (line["category"], line["period"])
        ):
            raise ValidationFailed.of("overrun_id", "names no approved overrun of this budget line")
        standard = standards.get(expense_type)
        if standard is None or amount <= standard:
            return ZERO
        above = amount - standard
        remaining = overrun["amount"] - overrun["used"] if overrun else ZERO
        if above > remaining:
            raise ExpenseStandardExceeded(
                f"a single {expense_type} expense above {standard} needs an approved overrun"
                " of its line covering the excess",
                expense_type=expense_type,
                standard=standard,
                amount=amount,
                above_standard=above,
                overrun_remaining=remaining,
            )
        return above

    def request_overrun(
        self,
        cause: Cause,
        *,
        overrun_id: UUID,
        category: str,
        period: str,
        amount: Decimal,
        justification: str,
    ) -> None:
        """Ask for money beyond the line's budget (預算外支出), to be approved by an executive."""
        line = self._line(category, period)
        amount = positive(amount)
        justification = required_text(justification, "justification", 5000)
        self._require_approved("overruns")
        self._record(
            self.OverrunRequested,
            cause,
            overrun_id=overrun_id,
            category=line["category"],
            period=line["period"],
            amount=amount,
            justification=justification,
        )

    def _pending_overrun(self, cause: Cause, overrun_id: UUID, command: str) -> Overrun:
        overrun = self.overruns.get(str(overrun_id))
        if overrun is None:
            raise NotFound(f"overrun {overrun_id} not found on this budget")
        self._require_approved(command)
        if overrun["status"] != OverrunStatus.PENDING:
            raise InvalidState(command, overrun["status"], f"the overrun is {overrun['status']}")
        if same_subject(cause.actor, overrun["requested_by"]):
            raise SegregationOfDuties(
                "whoever requested an overrun may not decide on it",
                requested_by=overrun["requested_by"],
            )
        return overrun

    def approve_overrun(self, cause: Cause, overrun_id: UUID) -> None:
        """An executive other than the requester grants the overrun; the line grows by it."""
        self._pending_overrun(cause, overrun_id, "overruns/approve")
        self._record(self.OverrunApproved, cause, overrun_id=overrun_id)

    def reject_overrun(self, cause: Cause, overrun_id: UUID, reasons: str) -> None:
        """An executive other than the requester refuses the overrun."""
        reasons = required_text(reasons, "reasons", 5000)
        self._pending_overrun(cause, overrun_id, "overruns/reject")
        self._record(self.OverrunRejected, cause, overrun_id=overrun_id, reasons=reasons)

    def reallocate(
        self,
        cause: Cause,
        *,
        from_category: str,
        from_period: str,
        to_category: str,
        to_period: str,
        amount: Decimal,
        reason: str,
    ) -> None:
        """Move available money from one line to another."""
        source = self._line(from_category, from_period, "from_")
        target = self._line(to_category, to_period, "to_")
        amount = positive(amount)
        reason = required_text(reason, "reason", 5000)
        if source is target:
            raise ValidationFailed.of("to_period", "a reallocation moves money between two lines")
        self._require_approved("reallocations")
        self._room_for(source, amount)
        self._record(
            self.Reallocated,
            cause,
            from_category=source["category"],
            from_period=source["period"],
            to_category=target["category"],
            to_period=target["period"],
            amount=amount,
            reason=reason,
        )

    # Targets.

    def targets_for(self, period: str) -> PeriodTargets:
        """Sales targets of `YYYY`, `YYYY-Qn`, `Qn` or `YYYY-MM` of this fiscal year.

        A month's target is its quarter's divided by three (revenue to the cent, counts
        as decimals), a year's the sum of its quarters; a figure no quarter sets is None.
        """
        # Reads only `fiscal_year` and `targets`: the KPI read model calls it on its own
        # copy of a budget's targets.
        year, _, part = period.rpartition("-")
        if period == str(self.fiscal_year):
            return _year_targets(list(self.targets.values()))
        if year not in ("", str(self.fiscal_year)):
            raise ValidationFailed.of("period", f"is not in fiscal year {self.fiscal_year}")
        if part in QUARTERS:
            target = self.targets.get(part)
            if target is None:
                return {"revenue": None, "units": None, "new_customers": None}
            return {
                "revenue": target.get("revenue"),
                "units": target.get("units"),
                "new_customers": target.get("new_customers"),
            }
        if year and part.isdigit() and len(part) == 2 and 1 <= int(part) <= 12:
            return _month_targets(self.targets_for(QUARTERS[(int(part) - 1) // 3]))
        raise ValidationFailed.of("period", "must be YYYY, YYYY-Qn, Qn or YYYY-MM")


def _year_targets(quarters: list[QuarterTargets]) -> PeriodTargets:
    """The sums of the quarters' targets; a figure no quarter sets is None."""
    revenues = [r for q in quarters if (r := q.get("revenue")) is not None]
    units = [u for q in quarters if (u := q.get("units")) is not None]
    new_customers = [n for q in quarters if (n := q.get("new_customers")) is not None]
    return {
        # Decimal(0) + x is what sum() computes from its int 0: the same Decimal.
        "revenue": sum(revenues, Decimal(0)) if revenues else None,
        "units": sum(units) if units else None,
        "new_customers": sum(new_customers) if new_customers else None,
    }


def _month_targets(quarter: PeriodTargets) -> PeriodTargets:
    """A third of a quarter's targets: revenue to the cent, counts as decimals."""
    revenue, units, new_customers = quarter["revenue"], quarter["units"], quarter["new_customers"]
    return {
        "revenue": None if revenue is None else money_third(revenue),
        "units": None if units is None else Decimal(units) / 3,
        "new_customers": None if new_customers is None else Decimal(new_customers) / 3,
    }


def money_third(amount: Decimal) -> Decimal:
    """A third of an amount, to the cent."""
    return (amount / 3).quantize(ZERO)


FISCAL_YEAR_NAMESPACE = uuid5(NAMESPACE_URL, "mops:budget-fiscal-year")


class BudgetYear(FiscalYearKey):
    """The fiscal year a budget holds: one budget a year (`duplicate_budget`)."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        fiscal_year: int
        budget_id: UUID

    namespace = FISCAL_YEAR_NAMESPACE
    holder = "budget_id"
    what = "budget"
    duplicate = DuplicateBudget

    class Claimed(MopsAggregate.Created):
        fiscal_year: int
        budget_id: UUID

        def apply(self, year: BudgetYear) -> None:
            year.fiscal_year = self.fiscal_year
            year.budget_id = self.budget_id
