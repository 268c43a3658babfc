"""Decisions on what was submitted, taken by someone other than whoever submitted it.

`SegregatedDecision` is the segregation of duties a budget, the plans and a research
report share: someone decides on what was submitted, and whoever submitted it may not.
`PlanWorkflow` is the revision cycle of the marketing and the staffing plan on top of it:
`draft --submit--> pending_approval --approve--> approved`,
`pending_approval --return(comments)--> draft`, `approved --revise--> draft` with the
revision raised by one; the approved revision stays in force until the next approval.

The events here are bases only. Each plan declares its own subclass of every one under
the same name, so the stored topics keep naming the plan's module and class.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from eventsourcing.domain import Aggregate

from domain.base import MopsAggregate
from domain.errors import InvalidState, SegregationOfDuties
from domain.values import Cause, required_text, same_subject

# The status of a budget or a plan awaiting an executive's decision.
PENDING_APPROVAL = "pending_approval"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = PENDING_APPROVAL
    APPROVED = "approved"


class ReturnedRevision(TypedDict):
    """The revision last sent back to draft, with the executive's comments."""

    revision: int
    comments: str
    returned_by: str
    returned_at: datetime


class RevisionApproval(TypedDict):
    """One approved revision in the plan's history, with the plan version it reached."""

    revision: int
    version: int
    submitted_by: str | None
    approved_at: datetime
    approved_by: str


# The events a plan declares again, by name, so that their topics name the plan's class.
_PLAN_EVENTS = ("Submitted", "Returned", "Approved", "Revised")


class SegregatedDecision(MopsAggregate):
    """An aggregate decided on once submitted, by someone other than whoever submitted it.

    A subclass names `subject`, what the refusal calls it ("plan", "budget", "report"),
    and, when it is not `pending_approval`, `awaiting_decision`: the status of a
    submitted one.
    """

    awaiting_decision = PENDING_APPROVAL

    # Declared for readers and the type checker only: annotations in the class body at run
    # time would make the library turn the aggregate into a dataclass with a generated
    # __init__. The subclass's events set both.
    if TYPE_CHECKING:
        subject: ClassVar[str]
        status: str
        submitted_by: str | None

    def _refuse_undecidable(self, cause: Cause, command: str) -> None:
        """Refuse a decision (`command`) on what awaits none, or by whoever submitted it."""
        if self.status != self.awaiting_decision:
            raise InvalidState(command, self.status)
        if same_subject(cause.actor, self.submitted_by):
            raise SegregationOfDuties(
                f"whoever submitted the {self.subject} may not {command} it",
                submitted_by=self.submitted_by,
            )

    def _decide(
        self, cause: Cause, command: str, event_class: type[Aggregate.Event], **fields: Any
    ) -> None:
        """Record a decision (`command`) on what awaits one, taken by another than the submitter."""
        self._refuse_undecidable(cause, command)
        self._record(event_class, cause, **fields)


class PlanWorkflow(SegregatedDecision):
    """A plan drafted in revisions, each submitted, then approved or returned to draft.

    A subclass declares its own `Submitted`, `Returned`, `Approved` and `Revised`
    (subclasses of these), says in `_refuse_incomplete` what a revision must hold to be
    submitted and in `_approved_content` what `Approved` records of it.
    """

    subject = "plan"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # An event inherited from here would be stored under this module's topic.
        inherited = [name for name in _PLAN_EVENTS if name not in cls.__dict__]
        if inherited:
            raise TypeError(f"{cls.__qualname__} declares no {', '.join(inherited)} of its own")

    # Declared state, assigned only by the events' apply methods (see SegregatedDecision).
    if TYPE_CHECKING:
        status: str
        revision: int
        submitted_by: str | None
        submitted_at: datetime | None
        returned: ReturnedRevision | None
        # The revision in force, None before the first approval.
        approved: Mapping[str, Any] | None
        revisions: list[RevisionApproval]

    def _start_revisions(self) -> None:
        """The state of a plan just drafted: revision 1, never submitted nor approved."""
        self.status = PlanStatus.DRAFT.value
        self.revision = 1
        self.submitted_by = None
        self.submitted_at = None
        self.returned = None
        self.approved = None
        self.revisions = []

    class Submitted(MopsAggregate.Event):
        revision: int

        def apply(self, plan: PlanWorkflow) -> None:
            plan.status = PlanStatus.PENDING_APPROVAL.value
            plan.submitted_by = self.actor
            plan.submitted_at = self.occurred_at

    class Returned(MopsAggregate.Event):
        revision: int
        comments: str

        def apply(self, plan: PlanWorkflow) -> None:
            plan.status = PlanStatus.DRAFT.value
            plan.returned = ReturnedRevision(
                revision=self.revision,
                comments=self.comments,
                returned_by=self.actor,
                returned_at=self.occurred_at,
            )
            plan.submitted_by = None
            plan.submitted_at = None

    class Approved(MopsAggregate.Event):
        revision: int

        def in_force(self) -> Mapping[str, Any]:
            """The approved revision as the plan keeps it in force."""
            raise NotImplementedError

        def apply(self, plan: PlanWorkflow) -> None:
            plan.status = PlanStatus.APPROVED.value
            plan.approved = self.in_force()
            plan.revisions = [
                *plan.revisions,
                RevisionApproval(
                    revision=self.revision,
                    version=self.originator_version,
                    submitted_by=plan.submitted_by,
                    approved_at=self.occurred_at,
                    approved_by=self.actor,
                ),
            ]
            plan.returned = None

    class Revised(MopsAggregate.Event):
        # The number of the new revision drafted.
        revision: int

        def apply(self, plan: PlanWorkflow) -> None:
            plan.status = PlanStatus.DRAFT.value
            plan.revision = self.revision
            plan.submitted_by = None
            plan.submitted_at = None

    def _refuse_incomplete(self) -> None:
        """Raise ValidationFailed when the draft lacks what a submitted revision holds."""
        raise NotImplementedError

    def _approved_content(self) -> dict[str, Any]:
        """The fields of `Approved` beside the revision: what was approved, and whose."""
        raise NotImplementedError

    def submit(self, cause: Cause) -> None:
        """Put the draft revision before an executive."""
        if self.status != PlanStatus.DRAFT:
            raise InvalidState("submit", self.status)
        self._refuse_incomplete()
        self._record(self.Submitted, cause, revision=self.revision)

    def approve(self, cause: Cause) -> None:
        """An executive other than the submitter puts the revision in force."""
        self._decide(
            cause, "approve", self.Approved, revision=self.revision, **self._approved_content()
        )

    def return_(self, cause: Cause, comments: str) -> None:
        """An executive other than the submitter sends the revision back to draft."""
        comments = required_text(comments, "comments", 5000)
        self._decide(cause, "return", self.Returned, revision=self.revision, comments=comments)

    def revise(self, cause: Cause) -> None:
        """Start a new revision of the approved plan; the approved one stays in force."""
        if self.status != PlanStatus.APPROVED:
            raise InvalidState("revise", self.status)
        self._record(self.Revised, cause, revision=self.revision + 1)
