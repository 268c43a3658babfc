"""StaffingPlan: the headcount a department may have per position and quarter of a year.

Rulebook: 招聘計劃. DOMAIN.md, Department and StaffingPlan.

Decisions where DOMAIN.md is silent:

- One plan per department and fiscal year (the calendar year, 1900..9998): the plan's
  id is a uuid5 of the department's normalised name and the year, so of two
  simultaneous drafts one wins and the other, decided again, finds it and is refused
  `duplicate_plan` (carrying `existing_id`).
- A line is `position x quarter -> headcount` with a budgeted monthly cost per head;
  a position named twice for one quarter (positions compare normalised) is a
  `validation_error`, as is a negative headcount or cost. A plan may be drafted with no
  line but is submitted only with one at least.
- `amend` replaces the lines of a draft as a whole. Department and year never change.
- States: `draft --submit--> pending_approval --approve--> approved`;
  `pending_approval --return(comments)--> draft`; `approved --revise--> draft` with the
  revision raised by one. Approve and return are refused to whoever submitted that
  revision (`segregation_of_duties`). The approved revision stays in force until the
  next approval; `Approved` carries the department, the year and the lines approved, so
  the recruitment report needs no other event.
- The gate reads `places(position, quarter)`: the approved headcount, 0 for a position the
  approved revision does not list; no places at all (None) before the first approval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.approval import PlanStatus, PlanWorkflow
from domain.base import MopsAggregate
from domain.budget import choice
from domain.department import Places, department_key, position_key
from domain.errors import FieldError, InvalidState, ValidationFailed, run_checks
from domain.values import Cause, Quarter, count, money, required_text

STAFFING_PLAN_NAMESPACE = uuid5(NAMESPACE_URL, "mops:staffing-plan")
MAX_LINES = 400


class StaffingLine(TypedDict):
    """The most employees a position may have at the end of a quarter, and their cost."""

    position: str
    quarter: str
    headcount: int
    monthly_cost_per_head: Decimal


class ApprovedRevision(TypedDict):
    """The revision in force: its lines, when and by whom it was approved."""

    revision: int
    lines: list[StaffingLine]
    approved_at: datetime
    approved_by: str


def staffing_plan_id(department: str, fiscal_year: int) -> UUID:
    """The id of a department's plan for a fiscal year."""
    return uuid5(STAFFING_PLAN_NAMESPACE, f"{department_key(department)}|{fiscal_year}")


def fiscal_year_of(value: Any) -> int:
    """A fiscal year, 1900..9998."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 9998:
        raise ValidationFailed.of("fiscal_year", "must be a year between 1900 and 9998")
    return value


def _line(index: int, line: Any) -> StaffingLine:
    where = f"lines.{index}"
    cost_field = f"{where}.monthly_cost_per_head"
    if not isinstance(line, Mapping):
        raise ValidationFailed.of(where, "must be an object")
    errors: list[FieldError] = []
    unknown = sorted(set(line) - set(StaffingLine.__annotations__))
    errors.extend(FieldError(f"{where}.{name}", "is not a line field") for name in unknown)
    checked = run_checks(
        errors,
        (
            ("position", lambda: required_text(line.get("position"), f"{where}.position", 200)),
            ("quarter", lambda: choice(Quarter, line.get("quarter"), f"{where}.quarter")),
            ("headcount", lambda: count(line.get("headcount"), f"{where}.headcount", most=100_000)),
            (
                "cost",
                lambda: money(line.get("monthly_cost_per_head"), f"{where}.monthly_cost_per_head"),
            ),
        ),
    )
    if "cost" in checked and checked["cost"] < 0:
        errors.append(FieldError(cost_field, "may not be negative"))
    if errors:
        raise ValidationFailed(errors)
    return StaffingLine(
        position=checked["position"],
        quarter=checked["quarter"],
        headcount=checked["headcount"],
        monthly_cost_per_head=checked["cost"],
    )


def plan_lines(lines: Iterable[Any] | None) -> list[StaffingLine]:
    """Validated lines, one per position and quarter, in the order given."""
    if lines is None or isinstance(lines, str | bytes | Mapping):
        raise ValidationFailed.of("lines", "must be a list of lines")
    cleaned: list[StaffingLine] = []
    seen: set[tuple[str, str]] = set()
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        if index >= MAX_LINES:
            errors.append(FieldError("lines", f"may hold at most {MAX_LINES} lines"))
            break
        try:
            checked = _line(index, line)
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        key = (position_key(checked["position"]), checked["quarter"])
        if key in seen:
            errors.append(
                FieldError(f"lines.{index}", f"{checked['position']} is planned twice for {key[1]}")
            )
        seen.add(key)
        cleaned.append(checked)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


class StaffingPlan(PlanWorkflow):
    """A department's staffing plan for a fiscal year: headcount by position and quarter."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        department: str
        fiscal_year: int
        # The working revision: the one drafted, submitted or returned (or approved).
        lines: list[StaffingLine]
        approved: ApprovedRevision | None

    class Drafted(MopsAggregate.Created):
        department: str
        fiscal_year: int
        lines: list[StaffingLine]

        def apply(self, plan: StaffingPlan) -> None:
            plan.department = self.department
            plan.fiscal_year = self.fiscal_year
            plan.lines = [line.copy() for line in self.lines]
            plan._start_revisions()

    class Amended(MopsAggregate.Event):
        lines: list[StaffingLine]

        def apply(self, plan: StaffingPlan) -> None:
            plan.lines = [line.copy() for line in self.lines]

    class Submitted(PlanWorkflow.Submitted):
        """The draft revision was put before an executive."""

    class Returned(PlanWorkflow.Returned):
        """An executive sent the revision back to draft, with comments."""

    class Approved(PlanWorkflow.Approved):
        # What was approved, and whose plan: the record of the decision.
        department: str
        fiscal_year: int
        lines: list[StaffingLine]

        def in_force(self) -> ApprovedRevision:
            return ApprovedRevision(
                revision=self.revision,
                lines=[line.copy() for line in self.lines],
                approved_at=self.occurred_at,
                approved_by=self.actor,
            )

    class Revised(PlanWorkflow.Revised):
        """A new revision of the approved plan was started."""

    @classmethod
    def draft(
        cls, cause: Cause, *, department: str, fiscal_year: int, lines: Iterable[Any] | None
    ) -> StaffingPlan:
        """Draft a department's plan of a fiscal year."""
        errors: list[FieldError] = []
        checked = run_checks(
            errors,
            (
                ("department", lambda: required_text(department, "department", 200)),
                ("fiscal_year", lambda: fiscal_year_of(fiscal_year)),
                ("lines", lambda: plan_lines(lines)),
            ),
        )
        if errors:
            raise ValidationFailed(errors)
        return cls._start(
            cls.Drafted,
            cause,
            id=staffing_plan_id(checked["department"], checked["fiscal_year"]),
            department=checked["department"],
            fiscal_year=checked["fiscal_year"],
            lines=checked["lines"],
        )

    def amend(self, cause: Cause, lines: Iterable[Any] | None) -> None:
        """Replace the lines of a draft."""
        cleaned = plan_lines(lines)
        if self.status != PlanStatus.DRAFT:
            raise InvalidState("amend", self.status)
        self._record(self.Amended, cause, lines=cleaned)

    def _refuse_incomplete(self) -> None:
        if not self.lines:
            raise ValidationFailed.of("lines", "a plan to submit plans a position")

    def _approved_content(self) -> dict[str, Any]:
        return {"department": self.department, "fiscal_year": self.fiscal_year, "lines": self.lines}

    def places(self, position: str, quarter: str) -> Places | None:
        """The approved headcount of a position in a quarter; None before any approval."""
        approved = self.approved
        if approved is None:
            return None
        key = position_key(position)
        headcount = next(
            (
                line["headcount"]
                for line in approved["lines"]
                if line["quarter"] == quarter and position_key(line["position"]) == key
            ),
            0,
        )
        return Places(self.id, approved["revision"], self.fiscal_year, quarter, headcount)
