"""Department: the roster of one department, its active employees by position.

Rulebook: 招聘計劃. DOMAIN.md, Department and StaffingPlan.

Every Hire, Transfer, Promote and Terminate records its move on the departments it
touches in the same `save()` as the Employee event, so a roster is always exact and two
moves into the last place conflict (the store refuses the second writer's version; the
command is decided again on the fresh roster and refused `headcount_exceeded`).

Decisions where DOMAIN.md is silent:

- A department's id is a uuid5 of its name normalised as names are (trimmed, inner
  spaces collapsed, casefolded); its `name` is the one first written. Positions compare
  the same way: "Sales  Representative" and "sales representative" are one position.
- The effective date of a move is the hiring date, the termination date, or (transfer,
  promotion, which name no date) the day the command is recorded, in UTC. The gate reads
  the plan of that date's calendar year and quarter.
- A transfer within the department to another position, like a promotion, leaves the old
  position and joins the new one (both events carry the reason); a move that changes
  neither department nor position records nothing on the roster.
- An employee who leaves a roster they are not on (a log written before rosters, not yet
  upgraded) records nothing: `mops upgrade` writes the rosters as the Employee aggregates
  stand, joining who is missing (reason `upgrade`, dated their hiring date) and removing
  who is no longer there, so running it twice writes nothing the second time.
- `Joined` carries what the gate read: the plan, its revision, the quarter, the planned
  headcount and the count before the move (None without an approved plan: an unplanned
  move), so the recruitment report needs no other event to tell planned hires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import MopsAggregate
from domain.errors import HeadcountExceeded
from domain.values import Cause, normalise_name, required_text

DEPARTMENT_NAMESPACE = uuid5(NAMESPACE_URL, "mops:department")


class MoveReason(StrEnum):
    HIRE = "hire"
    TRANSFER = "transfer"
    PROMOTION = "promotion"
    TERMINATION = "termination"
    UPGRADE = "upgrade"


def department_key(name: str) -> str:
    """A department's name as rosters and plans compare it."""
    return normalise_name(name)


def position_key(position: str) -> str:
    """A position as rosters and plans compare it."""
    return normalise_name(position)


def department_id(name: str) -> UUID:
    """The id of a department's roster, from its name."""
    return uuid5(DEPARTMENT_NAMESPACE, department_key(name))


def quarter_of(day: date) -> str:
    """The quarter (`Q1`..`Q4`) of a day."""
    return f"Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Places:
    """What an approved staffing plan allows one position in the quarter of a move."""

    plan_id: UUID
    revision: int
    fiscal_year: int
    quarter: str
    headcount: int


class Member(TypedDict):
    """One active employee on the roster: position and since when."""

    position: str
    since: date


class Department(MopsAggregate):
    """The roster of one department: its active employees by position."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        name: str
        # Employee id -> the member's position and since when.
        members: dict[str, Member]

    class Opened(MopsAggregate.Created):
        name: str

        def apply(self, department: Department) -> None:
            department.name = self.name
            department.members = {}

    class Joined(MopsAggregate.Event):
        # The department's name, as first written, for readers of the event alone.
        department: str
        employee_id: str
        position: str
        effective_on: date
        reason: str
        # What the gate read; all None when the department had no approved plan then.
        plan_id: str | None
        revision: int | None
        quarter: str | None
        planned: int | None
        # Employees in that position before the move.
        filled: int

        def apply(self, department: Department) -> None:
            department.members = {
                **department.members,
                self.employee_id: Member(position=self.position, since=self.effective_on),
            }

    class Left(MopsAggregate.Event):
        department: str
        employee_id: str
        position: str
        effective_on: date
        reason: str

        def apply(self, department: Department) -> None:
            members = dict(department.members)
            members.pop(self.employee_id, None)
            department.members = members

    @classmethod
    def open(cls, cause: Cause, name: str) -> Department:
        """The roster of a department not seen before, empty."""
        name = required_text(name, "department", 200)
        return cls._start(cls.Opened, cause, id=department_id(name), name=name)

    @property
    def positions(self) -> dict[str, list[str]]:
        """Employee ids by position (as each member's position was written), sorted."""
        grouped: dict[str, list[str]] = {}
        for employee_id, member in sorted(self.members.items()):
            grouped.setdefault(member["position"], []).append(employee_id)
        return dict(sorted(grouped.items()))

    def filled(self, position: str) -> int:
        """How many members hold a position."""
        key = position_key(position)
        return sum(1 for m in self.members.values() if position_key(m["position"]) == key)

    def holds(self, employee_id: str, position: str | None = None) -> bool:
        """Whether the employee is a member (in that position, when one is named)."""
        member = self.members.get(employee_id)
        if member is None:
            return False
        return position is None or position_key(member["position"]) == position_key(position)

    def admit(
        self,
        cause: Cause,
        *,
        employee_id: str,
        position: str,
        effective_on: date,
        reason: MoveReason,
        places: Places | None,
    ) -> None:
        """Take an employee into a position, if the plan in force has a free place.

        A member moving to another position leaves the old one in the same decision.
        """
        filled = self.filled(position)
        if places is not None and filled + 1 > places.headcount:
            raise HeadcountExceeded(
                f"{self.name} has {filled} {position} of {places.headcount} planned "
                f"for {places.quarter} {places.fiscal_year}",
                planned=places.headcount,
                filled=filled,
                department=self.name,
                position=position,
                fiscal_year=places.fiscal_year,
                quarter=places.quarter,
                plan_id=str(places.plan_id),
            )
        if employee_id in self.members:
            self.release(cause, employee_id=employee_id, effective_on=effective_on, reason=reason)
        self._record(
            self.Joined,
            cause,
            department=self.name,
            employee_id=employee_id,
            position=position,
            effective_on=effective_on,
            reason=reason.value,
            plan_id=None if places is None else str(places.plan_id),
            revision=None if places is None else places.revision,
            quarter=None if places is None else places.quarter,
            planned=None if places is None else places.headcount,
            filled=filled,
        )

    def release(
        self, cause: Cause, *, employee_id: str, effective_on: date, reason: MoveReason
    ) -> None:
        """Take an employee off the roster; nothing when they are not on it."""
        member = self.members.get(employee_id)
        if member is None:
            return
        self._record(
            self.Left,
            cause,
            department=self.name,
            employee_id=employee_id,
            position=member["position"],
            effective_on=effective_on,
            reason=reason.value,
        )

    def reconcile(self, cause: Cause, staff: dict[str, tuple[str, date]]) -> None:
        """Make the roster the given staff (employee id -> position, hiring date): `upgrade`."""
        for employee_id in sorted(self.members):
            held = staff.get(employee_id)
            if held is None or not self.holds(employee_id, held[0]):
                self.release(
                    cause,
                    employee_id=employee_id,
                    effective_on=cause.now.astimezone(UTC).date(),
                    reason=MoveReason.UPGRADE,
                )
        for employee_id, (position, hired_on) in sorted(staff.items()):
            # Not a member: the loop above released whoever held another position.
            if not self.holds(employee_id, position):
                self.admit(
                    cause,
                    employee_id=employee_id,
                    position=position,
                    effective_on=hired_on,
                    reason=MoveReason.UPGRADE,
                    places=None,
                )
