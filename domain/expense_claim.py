"""ExpenseClaim: an employee's claim for money spent, approved onto the budget, then paid.

Rulebook: 費用管理, 費用標準和審批流程.

`submitted --Approve--> approved --MarkPaid--> paid`; `submitted --Reject--> rejected`
(final: the employee files a new claim). Any other step is `invalid_state`.

Decisions where DOMAIN.md is silent:

- The claimant is whoever submits (the token's subject, which is their employee id):
  an employee claims only for themselves, and must be an active employee (the
  application checks; `forbidden` otherwise). No expense standard and no room on the
  budget line is checked at submit: they apply at approval, against the budget as it
  then stands.
- `spent_on` is the business date of the spending: not in the future, not before the
  back-dating window (`validation_error`). Every step may be dated by its own
  `occurred_at` (now by default, within the window): the submission on or after the
  day of the spending, the approval or rejection on or after the submission.
- Approve and reject are for the claimant's manager (the `manager_id` of the claimant's
  Employee record when the decision is taken: after a transfer, the new manager
  decides) or for finance (or admin); anyone else is `forbidden`. The claimant never
  decides on their own claim, even holding finance: `segregation_of_duties`.
- The approval books the expense on the claim's budget line in the same transaction
  (`Budget.record_expense` with the claim's id as `reference`, its `overrun_id`, the
  expense standards of the settings): standards and room apply exactly as for
  RecordExpense, and a refusal (`budget_exceeded`, `expense_standard_exceeded`, a
  budget not approved or closed: `invalid_state`) leaves the claim and the budget as
  they were. The expense is booked at the approval's moment: its `occurred_at` is the
  approval's, so budget execution counts it from then; the claim keeps `spent_on`,
  and the line's `period` (named by the claimant) is the accounting period. The
  `Approved` event records the booking: the budget's version that holds the
  `ExpenseRecorded`, what it took from a commitment and what of it lay above standard.
- `MarkPaid(paid_on)` (finance): `paid_on` is a business date (not in the future, not
  before the window) and not before the day of the approval (`validation_error`).
- A receipt reference is held by one claim of its claimant at a time (`ClaimReceipt`,
  saved with the claim): a second claim of the same claimant citing it is
  `duplicate_claim`, with `existing_id`, unless the claim holding it was rejected:
  the rejection releases the receipt in the same transaction, and a later claim may
  take it again. References are compared trimmed, with inner spaces collapsed and
  case folded; different claimants may cite the same reference (a shared dinner bill
  split by two people).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import MopsAggregate
from domain.budget import Budget, choice, positive
from domain.errors import (
    DuplicateClaim,
    Forbidden,
    InvalidState,
    SegregationOfDuties,
    ValidationFailed,
)
from domain.values import (
    BudgetCategory,
    Cause,
    ExpenseType,
    Quarter,
    normalise_name,
    required_text,
    same_subject,
    subject_key,
)


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


class ApproverCapacity(StrEnum):
    MANAGER = "manager"
    FINANCE = "finance"


class Booking(TypedDict):
    """The approval's booking: the budget version, what it consumed, what lay above standard."""

    budget_version: int
    consumed: Decimal
    above_standard: Decimal


def a_date(value: object, field: str) -> date:
    """A calendar date, not a timestamp."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailed.of(field, "must be a date YYYY-MM-DD")
    return value


class ExpenseClaim(MopsAggregate):
    """An employee's claim for money spent on a budget line (費用報銷)."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        claimant_id: str
        expense_type: str
        amount: Decimal
        spent_on: date
        description: str
        receipt_ref: str
        budget_id: UUID
        category: str
        period: str
        overrun_id: UUID | None
        status: str
        submitted_at: datetime
        # Set by the approval or the rejection.
        decided_at: datetime | None
        decided_by: str | None
        approver_capacity: str | None
        booking: Booking | None
        rejection: str | None
        paid_on: date | None
        paid_by: str | None

    class Submitted(MopsAggregate.Created):
        claimant_id: str
        expense_type: str
        amount: Decimal
        spent_on: date
        description: str
        receipt_ref: str
        budget_id: UUID
        category: str
        period: str
        overrun_id: UUID | None

        def apply(self, claim: ExpenseClaim) -> None:
            claim.claimant_id = self.claimant_id
            claim.expense_type = self.expense_type
            claim.amount = self.amount
            claim.spent_on = self.spent_on
            claim.description = self.description
            claim.receipt_ref = self.receipt_ref
            claim.budget_id = self.budget_id
            claim.category = self.category
            claim.period = self.period
            claim.overrun_id = self.overrun_id
            claim.status = ClaimStatus.SUBMITTED.value
            claim.submitted_at = self.occurred_at
            claim.decided_at = None
            claim.decided_by = None
            claim.approver_capacity = None
            claim.booking = None
            claim.rejection = None
            claim.paid_on = None
            claim.paid_by = None

    class Approved(MopsAggregate.Event):
        capacity: str
        # The booking on the budget: the budget's version holding the ExpenseRecorded,
        # what the expense took from a commitment, and what of it lay above standard.
        budget_version: int
        consumed: Decimal
        above_standard: Decimal

        def apply(self, claim: ExpenseClaim) -> None:
            claim.status = ClaimStatus.APPROVED.value
            claim.decided_at = self.occurred_at
            claim.decided_by = self.actor
            claim.approver_capacity = self.capacity
            claim.booking = Booking(
                budget_version=self.budget_version,
                consumed=self.consumed,
                above_standard=self.above_standard,
            )

    class Rejected(MopsAggregate.Event):
        capacity: str
        reasons: str

        def apply(self, claim: ExpenseClaim) -> None:
            claim.status = ClaimStatus.REJECTED.value
            claim.decided_at = self.occurred_at
            claim.decided_by = self.actor
            claim.approver_capacity = self.capacity
            claim.rejection = self.reasons

    class Paid(MopsAggregate.Event):
        paid_on: date

        def apply(self, claim: ExpenseClaim) -> None:
            claim.status = ClaimStatus.PAID.value
            claim.paid_on = self.paid_on
            claim.paid_by = self.actor

    @classmethod
    def submit(
        cls,
        cause: Cause,
        *,
        id: UUID,
        expense_type: str,
        amount: Decimal,
        spent_on: date,
        description: str,
        receipt_ref: str,
        budget_id: UUID,
        category: str,
        period: str,
        overrun_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> ExpenseClaim:
        """The caller claims money they spent; the application checks they are an employee."""
        expense_type = choice(ExpenseType, expense_type, "expense_type")
        amount = positive(amount)
        spent_on = cause.business_date(a_date(spent_on, "spent_on"), "spent_on")
        description = required_text(description, "description", 5000)
        receipt_ref = required_text(receipt_ref, "receipt_ref", 200)
        category = choice(BudgetCategory, category, "category")
        period = choice(Quarter, period, "period")
        submitted = cause.occurred(occurred_at)
        if submitted.astimezone(UTC).date() < spent_on:
            raise ValidationFailed.of("occurred_at", "may not lie before the day of spent_on")
        return cls._start(
            cls.Submitted,
            cause,
            id=id,
            occurred_at=submitted,
            claimant_id=cause.actor,
            budget_id=budget_id,
            overrun_id=overrun_id,
            expense_type=expense_type,
            amount=amount,
            spent_on=spent_on,
            description=description,
            receipt_ref=receipt_ref,
            category=category,
            period=period,
        )

    # Rules shared by the decisions.

    def _decider(self, cause: Cause, command: str, manager_id: str | None, as_finance: bool) -> str:
        """The capacity the caller decides in; the claimant and strangers may not decide."""
        if self.status != ClaimStatus.SUBMITTED:
            raise InvalidState(command, self.status)
        if same_subject(cause.actor, self.claimant_id):
            raise SegregationOfDuties(
                f"the claimant may not {command} their own claim", claimant_id=self.claimant_id
            )
        if same_subject(cause.actor, manager_id):
            return ApproverCapacity.MANAGER.value
        if as_finance:
            return ApproverCapacity.FINANCE.value
        raise Forbidden(
            f"only the claimant's manager or finance may {command} the claim",
            manager_id=manager_id,
        )

    def _after_submission(self, cause: Cause, occurred_at: datetime | None) -> datetime:
        at = cause.occurred(occurred_at)
        if at < self.submitted_at:
            raise ValidationFailed.of(
                "occurred_at",
                f"may not lie before the claim was submitted ({self.submitted_at.isoformat()})",
            )
        return at

    # Commands.

    def approve(
        self,
        cause: Cause,
        budget: Budget,
        standards: dict[str, Decimal],
        *,
        manager_id: str | None,
        as_finance: bool,
        occurred_at: datetime | None = None,
    ) -> None:
        """The manager or finance approves; the expense is booked on the budget line at once."""
        if budget.id != self.budget_id:
            raise ValueError("a claim is booked on its own budget")
        at = self._after_submission(cause, occurred_at)
        capacity = self._decider(cause, "approve", manager_id, as_finance)
        budget.record_expense(
            cause,
            standards,
            category=self.category,
            period=self.period,
            amount=self.amount,
            expense_type=self.expense_type,
            description=self.description,
            reference=str(self.id),
            overrun_id=self.overrun_id,
            occurred_at=at,
        )
        # The ExpenseRecorded just triggered: the budget's last pending event.
        booked = budget.pending_events[-1]
        assert isinstance(booked, Budget.ExpenseRecorded)
        self._record(
            self.Approved,
            cause,
            occurred_at=at,
            capacity=capacity,
            budget_version=booked.originator_version,
            consumed=booked.consumed,
            above_standard=booked.above_standard,
        )

    def reject(
        self,
        cause: Cause,
        reasons: str,
        *,
        manager_id: str | None,
        as_finance: bool,
        occurred_at: datetime | None = None,
    ) -> None:
        """The manager or finance turns the claim down, for good."""
        reasons = required_text(reasons, "reasons", 5000)
        at = self._after_submission(cause, occurred_at)
        capacity = self._decider(cause, "reject", manager_id, as_finance)
        self._record(self.Rejected, cause, occurred_at=at, capacity=capacity, reasons=reasons)

    def mark_paid(self, cause: Cause, paid_on: date) -> None:
        """Finance pays the approved claim out to the claimant."""
        paid_on = cause.business_date(a_date(paid_on, "paid_on"), "paid_on")
        # An approved claim has its decision time; the second test is for the type checker.
        if self.status != ClaimStatus.APPROVED or self.decided_at is None:
            raise InvalidState("pay", self.status)
        approved_on = self.decided_at.astimezone(UTC).date()
        if paid_on < approved_on:
            raise ValidationFailed.of(
                "paid_on", f"may not lie before the approval ({approved_on.isoformat()})"
            )
        self._record(self.Paid, cause, paid_on=paid_on)


RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "mops:expense-claim-receipt")


def receipt_key(claimant_id: str, receipt_ref: str) -> str:
    """A claimant's receipt as duplicate detection compares it."""
    return f"{subject_key(claimant_id)}|{normalise_name(receipt_ref)}"


class ClaimReceipt(MopsAggregate):
    """One claimant's receipt and the claim holding it; its id derives from both.

    Saved with the claim that takes it: of two simultaneous claims of one receipt one
    wins, the other is decided again and refused `duplicate_claim`.
    """

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        # The claimant and the receipt as compared (`receipt_key`).
        key: str
        # The claim holding the receipt; None once that claim was rejected.
        claim_id: UUID | None

    class Claimed(MopsAggregate.Created):
        key: str
        claim_id: UUID

        def apply(self, receipt: ClaimReceipt) -> None:
            receipt.key = self.key
            receipt.claim_id = self.claim_id

    class Reclaimed(MopsAggregate.Event):
        claim_id: UUID

        def apply(self, receipt: ClaimReceipt) -> None:
            receipt.claim_id = self.claim_id

    class Released(MopsAggregate.Event):
        def apply(self, receipt: ClaimReceipt) -> None:
            receipt.claim_id = None

    @staticmethod
    def id_for(claimant_id: str, receipt_ref: str) -> UUID:
        """The aggregate id of a claimant's receipt."""
        return uuid5(RECEIPT_NAMESPACE, receipt_key(claimant_id, receipt_ref))

    @classmethod
    def claim(cls, cause: Cause, claim: ExpenseClaim, held: ClaimReceipt | None) -> ClaimReceipt:
        """Take the receipt for a new claim, unless a claim not rejected holds it."""
        if held is None:
            return cls._start(
                cls.Claimed,
                cause,
                id=cls.id_for(claim.claimant_id, claim.receipt_ref),
                key=receipt_key(claim.claimant_id, claim.receipt_ref),
                claim_id=claim.id,
            )
        if held.claim_id is not None:
            raise DuplicateClaim(
                "this receipt is already claimed by a claim that was not rejected",
                existing_id=str(held.claim_id),
                receipt_ref=claim.receipt_ref,
            )
        held._record(cls.Reclaimed, cause, claim_id=claim.id)
        return held

    def release(self, cause: Cause, claim_id: UUID) -> bool:
        """The rejected claim gives the receipt up; False when it did not hold it."""
        if self.claim_id != claim_id:
            return False
        self._record(self.Released, cause)
        return True
