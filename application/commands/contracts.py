"""Contract commands (DOMAIN.md, Contract): from draft through review and signing to cash."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from application.commands import Command


class ContractChanges(TypedDict, total=False):
    """The fields an amendment names; a field left out is left as it is."""

    owner_id: str | None
    channel: str | None
    region: str | None
    lines: Sequence[Mapping[str, Any]] | None
    payment_term_days: int | None
    delivery_due_on: date | None
    penalty_rate: Decimal | None
    notes: str | None


@dataclass(frozen=True)
class DraftContract(Command):
    """Draft a contract for a customer; its region defaults to the customer's."""

    permission = "contract.draft"
    creates = True
    customer_id: UUID
    channel: str
    lines: Sequence[Mapping[str, Any]]
    payment_term_days: int
    delivery_due_on: date
    region: str | None = None
    owner_id: str | None = None
    penalty_rate: Decimal | None = None
    notes: str | None = None


@dataclass(frozen=True)
class AmendContract(Command):
    """Change a draft contract: any field but the customer (the owner or a sales manager)."""

    permission = "contract.amend"
    contract_id: UUID
    changes: ContractChanges


@dataclass(frozen=True)
class SubmitContract(Command):
    """Send a draft to review, its prices compared with the list prices of the day."""

    permission = "contract.submit"
    contract_id: UUID


@dataclass(frozen=True)
class ApproveContractReview(Command):
    """A department approves the contract; the last approval makes it signable."""

    permission = "contract.review_approve"
    contract_id: UUID
    department: str
    comments: str | None = None


@dataclass(frozen=True)
class RejectContractReview(Command):
    """A department rejects the contract: back to draft, earlier approvals cleared."""

    permission = "contract.review_reject"
    contract_id: UUID
    department: str
    reasons: str


@dataclass(frozen=True)
class SignContract(Command):
    """Sign an approved contract, reserving the customer's credit in the same transaction."""

    permission = "contract.sign"
    contract_id: UUID
    signed_on: date


@dataclass(frozen=True)
class RecordDelivery(Command):
    """Deliver quantities per sku, never more than ordered; late after the due date."""

    permission = "contract.delivery"
    contract_id: UUID
    lines: Mapping[str, int]
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class IssueInvoice(Command):
    """Invoice part of the contract's total; answers the invoice's id."""

    permission = "contract.invoice"
    contract_id: UUID
    amount: Decimal
    issued_on: date


@dataclass(frozen=True)
class RecordPayment(Command):
    """Money received for the contract; it settles the oldest open invoice first."""

    permission = "contract.payment"
    contract_id: UUID
    amount: Decimal
    received_on: date
    reference: str


@dataclass(frozen=True)
class SendReminder(Command):
    """Remind the customer of the contract's overdue invoices (催收)."""

    permission = "contract.reminder"
    contract_id: UUID
    level: int
    note: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class WriteOff(Command):
    """Write off bad debt of the contract; above the limit only an executive may."""

    permission = "contract.write_off"
    contract_id: UUID
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class CancelContract(Command):
    """Abandon a contract before it is signed."""

    permission = "contract.cancel"
    contract_id: UUID
    reason: str


@dataclass(frozen=True)
class TerminateContract(Command):
    """End an active contract early; what is owed stays owed."""

    permission = "contract.terminate"
    contract_id: UUID
    reason: str


@dataclass(frozen=True)
class WaivePenalty(Command):
    """Reverse a late-delivery penalty (a sales_manager not owning the contract, or executive)."""

    permission = "contract.waive_penalty"
    contract_id: UUID
    penalty_id: UUID
    reason: str


@dataclass(frozen=True)
class ChargeInterest(Command):
    """Charge late-payment interest through a day: one debit note, answered with its id."""

    permission = "contract.interest"
    contract_id: UUID
    through: date
