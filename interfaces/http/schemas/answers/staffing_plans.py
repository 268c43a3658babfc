"""Answers of `/staffing-plans`, `/departments/{name}` and `/reports/recruitment`: a plan,
the plans' directory, a department's roster and the recruitment report's rows."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from interfaces.http.schemas.answers.common import Aggregate, Answer, Listed, Money, Subject
from interfaces.http.schemas.answers.reports import PagedReport


class StaffingPlanLine(Answer):
    """The headcount planned for a position in a quarter, and its monthly cost per head."""

    position: str = Field(description="the job position, as written")
    quarter: str = Field(description="`Q1` to `Q4`")
    headcount: int
    monthly_cost_per_head: Money


class StaffingPlanReturn(Answer):
    """The working revision's return to draft, with the executive's comments."""

    revision: int
    comments: str
    returned_by: Subject
    returned_at: datetime


class StaffingPlanInForce(Answer):
    """The approved revision in force: its lines, approval time and approver."""

    revision: int
    lines: list[StaffingPlanLine]
    approved_at: datetime
    approved_by: Subject


class StaffingPlanRevision(Answer):
    """An approved revision and the plan version it reached (for `?version=`)."""

    revision: int
    version: int
    submitted_by: Subject | None
    approved_at: datetime
    approved_by: Subject


class StaffingPlanView(Aggregate):
    """A department's plan for a fiscal year: the working revision, the one in force
    (null before the first approval) and every approved revision."""

    status: str
    department: str
    fiscal_year: int
    revision: int = Field(description="the working revision's number")
    lines: list[StaffingPlanLine]
    submitted_by: Subject | None
    submitted_at: datetime | None
    returned: StaffingPlanReturn | None
    approved: StaffingPlanInForce | None
    revisions: list[StaffingPlanRevision]


class StaffingPlanItem(Listed):
    """A plan in the directory."""

    department: str
    fiscal_year: int
    status: str
    revision: int
    approved_revision: int | None
    approved_at: datetime | None
    approved_by: Subject | None
    created_at: datetime
    updated_at: datetime


class RosterMember(Answer):
    """An employee on the roster: the position held and since when."""

    position: str
    since: date


class DepartmentView(Aggregate):
    """A department's roster: the employees in each position, and each member's since."""

    department: str = Field(description="the department's name, as first written")
    positions: dict[str, list[Subject]] = Field(description="position → employee ids")
    members: dict[str, RosterMember] = Field(description="by employee id")


class RecruitmentRow(Answer):
    """A department's position in a quarter: plan against roster, and the hiring.

    `planned` and `open` are null when the department has no plan in force.
    """

    department: str
    fiscal_year: int
    quarter: str
    position: str
    planned: int | None
    filled: int
    open: int | None
    hires_planned: int
    hires_unplanned: int
    candidates: int
    interviewed: int
    rejected: int
    hired: int
    mean_days_to_hire: float | None
    hires_by_source: dict[str, int]


class RecruitmentReport(PagedReport):
    """`/reports/recruitment`: a row per department, quarter and position."""

    items: list[RecruitmentRow]
