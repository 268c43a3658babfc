"""Contract: from draft through review and signing to delivery, invoices and cash.

Rulebook: 銷售談判, 合同簽訂與執行, 催收. The credit check at signing is the customer's
(`Customer.reserve_credit`); the application saves both aggregates together.

Discount control (DOMAIN.md, PriceList) is decided at submit from the list prices the
application looked up for the submit day and the submitter's discount limit, both
handed in as plain values (see `submit`). Decisions where DOMAIN.md is silent:

- A discount at exactly the limit needs no pricing review; only one strictly above.
  Discounts are compared exactly; events carry them rounded to four places.
- A line priced above its list price has a negative discount and needs no review.
- The limit is the highest of the submitter's roles in the setting; a submitter
  holding none of them (an admin) has a limit of 0: any discount needs a pricing
  review. The limit and the role it came from are recorded in `Submitted`.
- A contract needs each department once, whatever the number of lines giving a
  reason: its reasons are joined with "; " (`required_reviews: [{department, reason}]`).
- The list prices are those in force when submitted; a price list changed later does
  not change a contract in review (it keeps them in its `Submitted` event).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID, uuid5

from domain.base import MopsAggregate
from domain.errors import (
    DuplicatePayment,
    FieldError,
    Forbidden,
    InvalidState,
    NotFound,
    NothingOverdue,
    OverDelivery,
    OverInvoicing,
    OverPayment,
    OverWriteOff,
    ReviewNotRequired,
    SegregationOfDuties,
    ValidationFailed,
)
from domain.price_list import ListPrice, discount_of, percent, rounded_ratio
from domain.values import MAX_MONEY, Cause, money, required_text, same_subject

ZERO = Decimal("0.00")
# The most of one sku a line orders (a contract's, or a quote's).
MAX_QUANTITY = 1_000_000_000
# A daily penalty rate to six places (0.0005 is 0.05 % a day); more would only be noise.
PENALTY_RATE_PLACES = Decimal("0.000001")
CENTS = Decimal("0.01")
DEFAULT_PENALTY_CAP = Decimal("0.10")
DEFAULT_INTEREST_RATE = Decimal("0.0005")


class Line(TypedDict):
    """A contract line: a sku, how many, and its unit price and cost."""

    sku: str
    description: str | None
    quantity: int
    unit_price: Decimal
    unit_cost: Decimal


class RequiredReview(TypedDict):
    """A department that must review a submitted contract, and why."""

    department: str
    reason: str


class LinePricing(TypedDict):
    """A line's price against the list price in force when submitted."""

    sku: str
    price_list_id: UUID
    list_price: Decimal
    floor_price: Decimal | None
    unit_price: Decimal
    discount: Decimal


class Invoice(TypedDict):
    """An invoice of the contract, and how much of it is paid or written off."""

    id: UUID
    amount: Decimal
    issued_on: date
    due_on: date
    settled: Decimal


class Allocation(TypedDict):
    """The share of a payment, write-off or credit that settles one invoice or debit note.

    `invoice_id` names an invoice or, since late-payment interest, a debit note: both are
    items of the receivable, settled oldest due first, and their ids never collide.
    """

    invoice_id: UUID
    amount: Decimal


class CreditAllocation(TypedDict):
    """The share of a penalty's credit note that settles one invoice or debit note."""

    penalty_id: UUID
    invoice_id: UUID
    amount: Decimal


class Penalty(TypedDict):
    """A late-delivery penalty credited to the customer, and how much of it is applied."""

    id: UUID
    amount: Decimal
    days_late: int
    assessed_on: date
    waived: bool
    applied: Decimal
    allocations: dict[str, Decimal]


class InterestBasis(TypedDict):
    """One invoice's part of a debit note: the overdue days charged and their interest."""

    invoice_id: UUID
    first_day: date
    last_day: date
    days: int
    amount: Decimal


class DebitNote(TypedDict):
    """Late-payment interest owed by the customer, settled like an invoice."""

    id: UUID
    amount: Decimal
    issued_on: date
    due_on: date
    settled: Decimal
    basis: list[InterestBasis]


class Reminder(TypedDict):
    """A reminder sent: its level, when, and the overdue amount it named."""

    level: int
    at: datetime
    amount: Decimal


# The fields `amend` may change, in the order it records them.
AMENDABLE_FIELDS = (
    "owner_id",
    "channel",
    "region",
    "lines",
    "payment_term_days",
    "delivery_due_on",
    "penalty_rate",
    "notes",
)


class ContractStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"


class SalesChannel(StrEnum):
    DIRECT = "direct"
    DISTRIBUTOR = "distributor"
    ONLINE = "online"
    AGENT = "agent"


# The role whose holders review for each department (DOMAIN.md, Contract and PriceList).
REVIEWER_ROLE = {
    "legal": "legal",
    "finance": "finance",
    "pricing": "sales_manager",
    "executive": "executive",
}

# States in which money still moves: a terminated contract keeps its receivable.
RECEIVABLE_STATES = (ContractStatus.ACTIVE, ContractStatus.TERMINATED)


def _channel(value: str) -> str:
    try:
        return SalesChannel(value).value
    except ValueError:
        allowed = ", ".join(member.value for member in SalesChannel)
        raise ValidationFailed.of("channel", f"must be one of {allowed}") from None


def _lines(lines: Iterable[Mapping[str, Any]]) -> list[Line]:
    """Contract lines, checked: unique skus, quantity > 0, prices and costs ≥ 0."""
    cleaned: list[Line] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        sku = str(line.get("sku") or "").strip()
        given = line.get("quantity")
        # A bool is an int to Python, never a quantity to a client.
        quantity = given if isinstance(given, int) and not isinstance(given, bool) else 0
        if not sku:
            errors.append(FieldError(f"lines.{index}.sku", "is required"))
        elif sku in seen:
            errors.append(FieldError(f"lines.{index}.sku", "appears on another line"))
        seen.add(sku)
        if not 0 < quantity <= MAX_QUANTITY:
            errors.append(
                FieldError(
                    f"lines.{index}.quantity", f"must be a whole number, 1 to {MAX_QUANTITY}"
                )
            )
        try:
            unit_price = money(line.get("unit_price"), f"lines.{index}.unit_price")
            unit_cost = money(line.get("unit_cost"), f"lines.{index}.unit_cost")
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        if unit_price < 0:
            errors.append(FieldError(f"lines.{index}.unit_price", "may not be negative"))
        if unit_cost < 0:
            errors.append(FieldError(f"lines.{index}.unit_cost", "may not be negative"))
        cleaned.append(
            {
                "sku": sku,
                "description": (line.get("description") or "").strip() or None,
                "quantity": quantity,
                "unit_price": unit_price,
                "unit_cost": unit_cost,
            }
        )
    errors.extend(_sum_errors(cleaned) if not errors else [])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _sum_errors(lines: list[Line]) -> list[FieldError]:
    """The lines' price and cost each summed within MAX_MONEY, the most a read model holds."""
    errors = []
    for what, of_line in (("sell for", line_total), ("cost", line_cost)):
        summed = sum((of_line(line) for line in lines), ZERO)
        if summed > MAX_MONEY:
            errors.append(FieldError("lines", f"the lines {what} {summed}, above {MAX_MONEY}"))
    return errors


def _payment_term(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
        raise ValidationFailed.of("payment_term_days", "must be a whole number of days, 0 to 3650")
    return days


def _penalty_rate(rate: Decimal | None) -> Decimal:
    rate = Decimal("0") if rate is None else Decimal(rate)
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise ValidationFailed.of("penalty_rate", "must be a fraction between 0 and 1")
    if rate != rate.quantize(PENALTY_RATE_PLACES):
        raise ValidationFailed.of("penalty_rate", "has at most six decimal places")
    return rate


def line_total(line: Mapping[str, Any]) -> Decimal:
    """What a line sells for: quantity times unit price."""
    return line["quantity"] * line["unit_price"]


def line_cost(line: Mapping[str, Any]) -> Decimal:
    """What a line costs: quantity times unit cost."""
    return line["quantity"] * line["unit_cost"]


def settle_oldest_first(invoices: Iterable[Mapping[str, Any]], amount: Decimal) -> list[Allocation]:
    """Spread an amount over the open invoices, oldest first: [{invoice_id, amount}]."""
    allocations: list[Allocation] = []
    left = amount
    for invoice in invoices:
        open_amount = invoice["amount"] - invoice["settled"]
        if left <= 0:
            break
        if open_amount <= 0:
            continue
        share = min(open_amount, left)
        allocations.append({"invoice_id": invoice["id"], "amount": share})
        left -= share
    return allocations


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, half up."""
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def late_penalty(
    *, rate: Decimal, days_late: int, late_value: Decimal, room: Decimal
) -> tuple[Decimal, Decimal]:
    """(uncapped, assessed) penalty: rate x days late x value delivered late, to the cent,
    then no more than the room left under the contract's cap (never below zero)."""
    uncapped = cents(rate * days_late * late_value)
    return uncapped, max(min(uncapped, room), ZERO)


def unpaid_at_end_of(
    amount: Decimal, movements: Iterable[tuple[date, Decimal]], day: date
) -> Decimal:
    """An item's amount less every settlement dated on or before the day."""
    return amount - sum((m for on, m in movements if on <= day), ZERO)


def interest_basis(
    invoice: Mapping[str, Any],
    movements: list[tuple[date, Decimal]],
    *,
    charged_through: date | None,
    through: date,
    rate: Decimal,
) -> InterestBasis | None:
    """Interest on one invoice for its overdue days up to `through` not yet charged.

    A day is overdue after the due date; each day charges the amount unpaid at its end
    times the daily rate; the sum is rounded to the cent once. None when the invoice is
    not overdue at `through` (not yet due, or settled by then) or has no day left.
    """
    due_on: date = invoice["due_on"]
    if due_on >= through or unpaid_at_end_of(invoice["amount"], movements, through) <= 0:
        return None
    first = due_on + timedelta(days=1)
    if charged_through is not None and charged_through >= first:
        first = charged_through + timedelta(days=1)
    if first > through:
        return None
    days = (through - first).days + 1
    unpaid_days = sum(
        (
            max(unpaid_at_end_of(invoice["amount"], movements, first + timedelta(days=n)), ZERO)
            for n in range(days)
        ),
        ZERO,
    )
    return {
        "invoice_id": invoice["id"],
        "first_day": first,
        "last_day": through,
        "days": days,
        "amount": cents(unpaid_days * rate),
    }


def apply_credits(
    penalties: Iterable[Penalty], items: Iterable[Mapping[str, Any]]
) -> list[CreditAllocation]:
    """The unapplied credit of the penalties (oldest first) spread over the open items
    (oldest due first)."""
    open_items = [[item["id"], item["amount"] - item["settled"]] for item in items]
    allocations: list[CreditAllocation] = []
    for penalty in penalties:
        left = penalty["amount"] - penalty["applied"]
        for item in open_items:
            if left <= 0:
                break
            share = min(item[1], left)
            if share <= 0:
                continue
            allocations.append(
                {"penalty_id": penalty["id"], "invoice_id": item[0], "amount": share}
            )
            item[1] -= share
            left -= share
    return allocations


class Contract(MopsAggregate):
    """A sales contract with a customer: its lines, reviews, signing, delivery and cash."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        customer_id: UUID
        owner_id: str
        channel: str
        region: str | None
        lines: list[Line]
        payment_term_days: int
        delivery_due_on: date
        penalty_rate: Decimal
        notes: str | None
        status: str
        submitted_by: str | None
        required_reviews: list[RequiredReview]
        discount_limit: Decimal | None
        line_pricing: list[LinePricing]
        reviews: dict[str, str]
        signed_on: date | None
        delivered: dict[str, int]
        late_deliveries: int
        invoices: dict[str, Invoice]
        payment_references: list[str]
        paid: Decimal
        written_off: Decimal
        reminders: list[Reminder]
        closing_reason: str | None
        completed_at: datetime | None
        penalties: dict[str, Penalty]
        debit_notes: dict[str, DebitNote]
        interest_through: dict[str, date]
        movements: dict[str, list[tuple[date, Decimal]]]

    class Drafted(MopsAggregate.Created):
        customer_id: UUID
        owner_id: str
        channel: str
        region: str | None
        lines: list[Line]
        payment_term_days: int
        delivery_due_on: date
        penalty_rate: Decimal
        notes: str | None

        def apply(self, contract: Contract) -> None:
            contract.customer_id = self.customer_id
            contract.owner_id = self.owner_id
            contract.channel = self.channel
            contract.region = self.region
            contract.lines = self.lines
            contract.payment_term_days = self.payment_term_days
            contract.delivery_due_on = self.delivery_due_on
            contract.penalty_rate = self.penalty_rate
            contract.notes = self.notes
            contract.status = ContractStatus.DRAFT.value
            contract.submitted_by = None
            contract.required_reviews = []
            contract.discount_limit = None
            contract.line_pricing = []
            contract.reviews = {}
            contract.signed_on = None
            contract.delivered = {}
            contract.late_deliveries = 0
            contract.invoices = {}
            contract.payment_references = []
            contract.paid = ZERO
            contract.written_off = ZERO
            contract.reminders = []
            contract.closing_reason = None
            contract.completed_at = None
            # Penalties and interest (see PenaltyAssessed, InterestCharged); `movements`
            # holds each item's settlements by business day, which interest is charged on.
            contract.penalties = {}
            contract.debit_notes = {}
            contract.interest_through = {}
            contract.movements = {}

    class Amended(MopsAggregate.Event):
        """Fields of a draft changed: `changed` names them, in order; the others are None."""

        class_version = 2
        changed: list[str]
        owner_id: str | None = None
        channel: str | None = None
        region: str | None = None
        lines: list[Line] | None = None
        payment_term_days: int | None = None
        delivery_due_on: date | None = None
        penalty_rate: Decimal | None = None
        notes: str | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 carried `changes: {field: value}`."""
            changes = state.pop("changes")
            state["changed"] = list(changes)
            state.update(dict.fromkeys(AMENDABLE_FIELDS), **changes)

        @property
        def changes(self) -> dict[str, Any]:
            """The changed fields and their values (what v1 stored), for the read models."""
            return {field: getattr(self, field) for field in self.changed}

        def apply(self, contract: Contract) -> None:
            # Only region and notes may be changed to None, so only they need `changed`;
            # every other field is None exactly when it was not changed.
            if self.owner_id is not None:
                contract.owner_id = self.owner_id
            if self.channel is not None:
                contract.channel = self.channel
            if "region" in self.changed:
                contract.region = self.region
            if self.lines is not None:
                contract.lines = self.lines
            if self.payment_term_days is not None:
                contract.payment_term_days = self.payment_term_days
            if self.delivery_due_on is not None:
                contract.delivery_due_on = self.delivery_due_on
            if self.penalty_rate is not None:
                contract.penalty_rate = self.penalty_rate
            if "notes" in self.changed:
                contract.notes = self.notes

    class Submitted(MopsAggregate.Event):
        required_reviews: list[RequiredReview]
        # Discount control: the submitter's limit, the role it came from, and per line
        # with a list price its list price, floor and discount (None before it existed).
        discount_limit: Decimal | None = None
        discount_limit_role: str | None = None
        line_pricing: list[LinePricing] | None = None

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.IN_REVIEW.value
            contract.submitted_by = self.actor
            contract.required_reviews = self.required_reviews
            contract.discount_limit = self.discount_limit
            contract.line_pricing = self.line_pricing or []
            contract.reviews = {r["department"]: "pending" for r in self.required_reviews}

    class ReviewApproved(MopsAggregate.Event):
        department: str
        comments: str | None

        def apply(self, contract: Contract) -> None:
            contract.reviews = {**contract.reviews, self.department: "approved"}

    class Approved(MopsAggregate.Event):
        """Every required department approved; the contract may be signed."""

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.APPROVED.value

    class ReviewRejected(MopsAggregate.Event):
        department: str
        reasons: str

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.DRAFT.value
            contract.reviews = {
                d: ("rejected" if d == self.department else "pending") for d in contract.reviews
            }

    class Signed(MopsAggregate.Event):
        signed_on: date
        customer_id: UUID
        total: Decimal
        cost: Decimal

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.ACTIVE.value
            contract.signed_on = self.signed_on

    class DeliveryRecorded(MopsAggregate.Event):
        lines: dict[str, int]
        late: bool

        def apply(self, contract: Contract) -> None:
            delivered = dict(contract.delivered)
            for sku, quantity in self.lines.items():
                delivered[sku] = delivered.get(sku, 0) + quantity
            contract.delivered = delivered
            contract.late_deliveries += 1 if self.late else 0

    class InvoiceIssued(MopsAggregate.Event):
        invoice_id: UUID
        amount: Decimal
        issued_on: date
        due_on: date

        def apply(self, contract: Contract) -> None:
            contract.invoices = {
                **contract.invoices,
                str(self.invoice_id): {
                    "id": self.invoice_id,
                    "amount": self.amount,
                    "issued_on": self.issued_on,
                    "due_on": self.due_on,
                    "settled": ZERO,
                },
            }

    class PaymentRecorded(MopsAggregate.Event):
        amount: Decimal
        received_on: date
        reference: str
        allocations: list[Allocation]

        def apply(self, contract: Contract) -> None:
            contract.paid += self.amount
            contract.payment_references = [*contract.payment_references, self.reference]
            contract._settle(self.allocations, self.received_on)

    class ReminderSent(MopsAggregate.Event):
        level: int
        note: str | None
        overdue_invoices: list[UUID]
        overdue_amount: Decimal

        def apply(self, contract: Contract) -> None:
            contract.reminders = [
                *contract.reminders,
                {"level": self.level, "at": self.occurred_at, "amount": self.overdue_amount},
            ]

    class WrittenOff(MopsAggregate.Event):
        amount: Decimal
        reason: str
        allocations: list[Allocation]

        def apply(self, contract: Contract) -> None:
            contract.written_off += self.amount
            contract._settle(self.allocations, self.occurred_at.astimezone(UTC).date())

    class Cancelled(MopsAggregate.Event):
        reason: str

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.CANCELLED.value
            contract.closing_reason = self.reason

    class Terminated(MopsAggregate.Event):
        reason: str

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.TERMINATED.value
            contract.closing_reason = self.reason

    class Completed(MopsAggregate.Event):
        """Everything delivered, and paid or written off: the system closes the contract."""

        def apply(self, contract: Contract) -> None:
            contract.status = ContractStatus.COMPLETED.value
            contract.completed_at = self.occurred_at

    class PenaltyAssessed(MopsAggregate.Event):
        """A late delivery's penalty, a credit note owed to the customer (違約責任).

        `uncapped` is rate x days late x `late_value`; `amount` is what the cap left of it.
        Its credit settles open items by the `CreditApplied` recorded with it, or later.
        """

        penalty_id: UUID
        amount: Decimal
        days_late: int
        late_value: Decimal
        rate: Decimal
        uncapped: Decimal
        cap: Decimal

        def apply(self, contract: Contract) -> None:
            contract.penalties = {
                **contract.penalties,
                str(self.penalty_id): {
                    "id": self.penalty_id,
                    "amount": self.amount,
                    "days_late": self.days_late,
                    "assessed_on": self.occurred_at.astimezone(UTC).date(),
                    "waived": False,
                    "applied": ZERO,
                    "allocations": {},
                },
            }

    class CreditApplied(MopsAggregate.Event):
        """Penalty credit settling open invoices or debit notes, on a business day."""

        on: date
        allocations: list[CreditAllocation]

        def apply(self, contract: Contract) -> None:
            penalties = dict(contract.penalties)
            for allocation in self.allocations:
                key, item = str(allocation["penalty_id"]), str(allocation["invoice_id"])
                penalty = penalties[key]
                shares = dict(penalty["allocations"])
                shares[item] = shares.get(item, ZERO) + allocation["amount"]
                penalties[key] = {
                    **penalty,
                    "applied": penalty["applied"] + allocation["amount"],
                    "allocations": shares,
                }
            contract.penalties = penalties
            contract._settle(
                [{"invoice_id": a["invoice_id"], "amount": a["amount"]} for a in self.allocations],
                self.on,
            )

    class PenaltyWaived(MopsAggregate.Event):
        """A penalty reversed: what its credit settled is open again (`reversals`)."""

        penalty_id: UUID
        reason: str
        amount: Decimal
        reversals: list[Allocation]

        def apply(self, contract: Contract) -> None:
            key = str(self.penalty_id)
            contract.penalties = {
                **contract.penalties,
                key: {**contract.penalties[key], "waived": True},
            }
            contract._settle(
                [{"invoice_id": r["invoice_id"], "amount": -r["amount"]} for r in self.reversals],
                self.occurred_at.astimezone(UTC).date(),
            )

    class InterestCharged(MopsAggregate.Event):
        """A debit note of late-payment interest, due on `through`, owed by the customer."""

        debit_note_id: UUID
        amount: Decimal
        through: date
        rate: Decimal
        basis: list[InterestBasis]

        def apply(self, contract: Contract) -> None:
            contract.debit_notes = {
                **contract.debit_notes,
                str(self.debit_note_id): {
                    "id": self.debit_note_id,
                    "amount": self.amount,
                    "issued_on": self.through,
                    "due_on": self.through,
                    "settled": ZERO,
                    "basis": self.basis,
                },
            }
            contract.interest_through = {
                **contract.interest_through,
                **{str(b["invoice_id"]): b["last_day"] for b in self.basis},
            }

    def _settle(self, allocations: list[Allocation], on: date) -> None:
        """Settle items (invoices or debit notes) by allocations dated on a business day."""
        invoices, notes = dict(self.invoices), dict(self.debit_notes)
        movements = dict(self.movements)
        for allocation in allocations:
            key, amount = str(allocation["invoice_id"]), allocation["amount"]
            if key in invoices:
                invoices[key] = {**invoices[key], "settled": invoices[key]["settled"] + amount}
            else:
                notes[key] = {**notes[key], "settled": notes[key]["settled"] + amount}
            movements[key] = [*movements.get(key, []), (on, amount)]
        self.invoices, self.debit_notes, self.movements = invoices, notes, movements

    # Derived figures.

    @property
    def total(self) -> Decimal:
        """Σ quantity times unit price."""
        return sum((line_total(line) for line in self.lines), ZERO)

    @property
    def cost(self) -> Decimal:
        """Σ quantity times unit cost."""
        return sum((line_cost(line) for line in self.lines), ZERO)

    @property
    def invoiced(self) -> Decimal:
        return sum((i["amount"] for i in self.invoices.values()), ZERO)

    @property
    def interest_charged(self) -> Decimal:
        """Σ the debit notes of late-payment interest."""
        return sum((n["amount"] for n in self.debit_notes.values()), ZERO)

    @property
    def penalties_credited(self) -> Decimal:
        """Σ the penalties assessed and not waived (credited to the customer)."""
        return sum((p["amount"] for p in self.penalties.values() if not p["waived"]), ZERO)

    @property
    def unapplied_credit(self) -> Decimal:
        """Penalty credit not yet settling an item: it waits for the next invoice."""
        return sum(
            (p["amount"] - p["applied"] for p in self.penalties.values() if not p["waived"]), ZERO
        )

    @property
    def outstanding(self) -> Decimal:
        """Open on invoices and debit notes: invoiced + interest charged - paid - written
        off - penalty credit applied to them."""
        return sum((i["amount"] - i["settled"] for i in self._open_invoices()), ZERO)

    @property
    def exposure(self) -> Decimal:
        """What the customer owes or will owe under this contract once signed."""
        if self.status not in RECEIVABLE_STATES:
            return ZERO
        return (
            self.total
            + self.interest_charged
            - self.paid
            - self.written_off
            - self.penalties_credited
        )

    def _open_invoices(self) -> list[Any]:
        """Invoices and debit notes, oldest due first (issue day, then as recorded, on a tie)."""
        items: list[Any] = [*self.invoices.values(), *self.debit_notes.values()]
        return sorted(items, key=lambda i: (i["due_on"], i["issued_on"]))

    # Commands.

    @classmethod
    def draft(
        cls,
        cause: Cause,
        *,
        id: UUID,
        customer_id: UUID,
        channel: str,
        lines: Iterable[Mapping[str, Any]],
        payment_term_days: int,
        delivery_due_on: date,
        region: str | None,
        owner_id: str | None = None,
        penalty_rate: Decimal | None = None,
        notes: str | None = None,
    ) -> Contract:
        """Draft a contract for a customer; the drafting actor owns it unless one is named."""
        return cls._start(
            cls.Drafted,
            cause,
            id=id,
            customer_id=customer_id,
            owner_id=(owner_id or "").strip() or cause.actor,
            channel=_channel(channel),
            region=(region or "").strip() or None,
            lines=_lines(lines),
            payment_term_days=_payment_term(payment_term_days),
            delivery_due_on=delivery_due_on,
            penalty_rate=_penalty_rate(penalty_rate),
            notes=(notes or "").strip() or None,
        )

    def _require_owner_or_manager(self, cause: Cause, manager: bool, command: str) -> None:
        if not manager and not same_subject(cause.actor, self.owner_id):
            raise Forbidden(f"only the contract's owner or a sales manager may {command} it")

    def amend(self, cause: Cause, *, manager: bool, **changes: Any) -> None:
        """Change a draft: any field but the customer."""
        cleaned: dict[str, Any] = {}
        for field in ("owner_id", "channel", "lines", "payment_term_days", "delivery_due_on"):
            if field in changes and changes[field] is None:
                raise ValidationFailed.of(field, "is required and may not be null")
        if "owner_id" in changes:
            cleaned["owner_id"] = required_text(changes["owner_id"], "owner_id", 200)
        if "channel" in changes:
            cleaned["channel"] = _channel(changes["channel"])
        if "region" in changes:
            cleaned["region"] = (changes["region"] or "").strip() or None
        if "lines" in changes:
            cleaned["lines"] = _lines(changes["lines"])
        if "payment_term_days" in changes:
            cleaned["payment_term_days"] = _payment_term(changes["payment_term_days"])
        if "delivery_due_on" in changes:
            cleaned["delivery_due_on"] = changes["delivery_due_on"]
        if "penalty_rate" in changes:
            cleaned["penalty_rate"] = _penalty_rate(changes["penalty_rate"])
        if "notes" in changes:
            cleaned["notes"] = (changes["notes"] or "").strip() or None
        unknown = changes.keys() - cleaned.keys()
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "cannot be amended")
        if not cleaned:
            raise ValidationFailed.of("body", "names no field to change")
        if self.status != ContractStatus.DRAFT:
            raise InvalidState("amend", self.status)
        self._require_owner_or_manager(cause, manager, "amend")
        self._record(self.Amended, cause, changed=list(cleaned), **cleaned)

    def submit(
        self,
        cause: Cause,
        *,
        manager: bool,
        list_prices: Mapping[str, ListPrice] | None = None,
        discount_limit: Decimal | None = None,
        discount_limit_role: str | None = None,
        require_list_price: bool = False,
    ) -> None:
        """Send a draft to review; the departments it needs are fixed now, with reasons.

        `list_prices` maps each sku with a list price in force on the submit day to it
        (a sku without one is absent); `discount_limit` is the submitter's largest
        discount without a pricing review (from `discount_limit_role`; 0 without one).
        """
        if self.status != ContractStatus.DRAFT:
            raise InvalidState("submit", self.status)
        self._require_owner_or_manager(cause, manager, "submit")
        errors = []
        if not self.lines:
            errors.append(FieldError("lines", "a contract needs at least one line"))
        elif self.total <= 0:
            errors.append(FieldError("lines", "the contract total must be above 0"))
        if errors:
            raise ValidationFailed(errors)
        limit = ZERO if discount_limit is None else discount_limit
        line_pricing, pricing_reasons, below_floor = self._priced_lines(
            list_prices or {}, limit, discount_limit_role, require_list_price
        )
        required = self._required_reviews(pricing_reasons, below_floor)
        self._record(
            self.Submitted,
            cause,
            required_reviews=required,
            discount_limit=discount_limit,
            discount_limit_role=discount_limit_role,
            line_pricing=line_pricing,
        )

    def _priced_lines(
        self,
        list_prices: Mapping[str, ListPrice],
        limit: Decimal,
        limit_role: str | None,
        require_list_price: bool,
    ) -> tuple[list[LinePricing], list[str], list[str]]:
        """Each line against its list price: what submit records, why pricing must review,
        and the lines below their floor price."""
        pricing_reasons: list[str] = []
        line_pricing: list[LinePricing] = []
        below_floor: list[str] = []
        for line in self.lines:
            sku, unit_price = line["sku"], line["unit_price"]
            listed = list_prices.get(sku)
            if listed is None:
                if require_list_price:
                    pricing_reasons.append(f"no active list price for {sku}")
                continue
            discount = discount_of(listed.unit_price, unit_price)
            line_pricing.append(
                {
                    "sku": sku,
                    "price_list_id": listed.price_list_id,
                    "list_price": listed.unit_price,
                    "floor_price": listed.floor_price,
                    "unit_price": unit_price,
                    "discount": rounded_ratio(discount),
                }
            )
            if discount > limit:
                whose = (
                    f"the {limit_role} limit"
                    if limit_role
                    else "the limit of a submitter without a discount role"
                )
                pricing_reasons.append(
                    f"discount {percent(discount)} on {sku} above {whose} {percent(limit)}"
                )
            if listed.floor_price is not None and unit_price < listed.floor_price:
                below_floor.append(f"{sku} (floor {listed.floor_price})")
        return line_pricing, pricing_reasons, below_floor

    def _required_reviews(
        self, pricing_reasons: list[str], below_floor: list[str]
    ) -> list[RequiredReview]:
        """The departments a submitted contract needs, each once, with its reasons."""
        required: list[RequiredReview] = [
            {"department": "legal", "reason": "every contract"},
            {"department": "finance", "reason": "every contract"},
        ]
        if pricing_reasons:
            required.append({"department": "pricing", "reason": "; ".join(pricing_reasons)})
        below_cost = [line["sku"] for line in self.lines if line["unit_price"] < line["unit_cost"]]
        executive_reasons = []
        if below_cost:
            executive_reasons.append(f"priced below cost: {', '.join(below_cost)}")
        if below_floor:
            executive_reasons.append(f"priced below floor: {', '.join(below_floor)}")
        if executive_reasons:
            required.append({"department": "executive", "reason": "; ".join(executive_reasons)})
        return required

    def _reviewable(
        self, cause: Cause, department: str, roles: frozenset[str], command: str
    ) -> None:
        role = REVIEWER_ROLE.get(department)
        if role is None:
            allowed = ", ".join(REVIEWER_ROLE)
            raise ValidationFailed.of("department", f"must be one of {allowed}")
        if role not in roles and "admin" not in roles:
            raise Forbidden(f"reviewing for {department} needs the role {role}")
        if self.status != ContractStatus.IN_REVIEW:
            raise InvalidState(command, self.status)
        if department not in self.reviews:
            raise ReviewNotRequired(
                f"this contract needs no {department} review", department=department
            )
        if self.reviews[department] != "pending":
            raise InvalidState(
                command,
                self.status,
                f"the {department} review was already {self.reviews[department]}",
            )
        if same_subject(cause.actor, self.owner_id):
            raise SegregationOfDuties("the contract's owner may not review it")
        if same_subject(cause.actor, self.submitted_by):
            raise SegregationOfDuties("whoever submitted the contract may not review it")

    def approve_review(
        self, cause: Cause, *, department: str, roles: frozenset[str], comments: str | None = None
    ) -> None:
        """A department approves; the last approval makes the contract signable."""
        self._reviewable(cause, department, roles, "reviews/approve")
        self._record(
            self.ReviewApproved,
            cause,
            department=department,
            comments=(comments or "").strip() or None,
        )
        if all(state == "approved" for state in self.reviews.values()):
            self._record(self.Approved, cause)

    def reject_review(
        self, cause: Cause, *, department: str, roles: frozenset[str], reasons: str
    ) -> None:
        """A department rejects: back to draft, earlier approvals cleared."""
        reasons = required_text(reasons, "reasons", 5000)
        self._reviewable(cause, department, roles, "reviews/reject")
        self._record(self.ReviewRejected, cause, department=department, reasons=reasons)

    def sign(self, cause: Cause, signed_on: date) -> None:
        """Sign an approved contract; the application then reserves the customer's credit."""
        signed_on = cause.business_date(signed_on, "signed_on")
        if self.status != ContractStatus.APPROVED:
            raise InvalidState("sign", self.status)
        self._record(
            self.Signed,
            cause,
            signed_on=signed_on,
            customer_id=self.customer_id,
            total=self.total,
            cost=self.cost,
        )

    def record_delivery(
        self,
        cause: Cause,
        *,
        lines: Mapping[str, int],
        manager: bool,
        occurred_at: datetime | None = None,
        penalty_cap: Decimal = DEFAULT_PENALTY_CAP,
    ) -> None:
        """Deliver quantities per sku; never more than ordered; late after the due date.

        A late delivery assesses its penalty in the same transaction (see `_assess_penalty`).
        """
        occurred = cause.occurred(occurred_at)
        ordered = {line["sku"]: line["quantity"] for line in self.lines}
        errors = []
        if not lines:
            errors.append(FieldError("lines", "names no sku to deliver"))
        for sku, quantity in lines.items():
            if sku not in ordered:
                errors.append(FieldError(f"lines.{sku}", "is not a line of this contract"))
            elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                errors.append(FieldError(f"lines.{sku}", "must be a whole number above 0"))
        if errors:
            raise ValidationFailed(errors)
        if self.status != ContractStatus.ACTIVE:
            raise InvalidState("deliveries", self.status)
        self._require_owner_or_manager(cause, manager, "deliver")
        for sku, quantity in lines.items():
            already = self.delivered.get(sku, 0)
            if already + quantity > ordered[sku]:
                raise OverDelivery(
                    f"{sku}: {already} of {ordered[sku]} delivered, {quantity} more is too many",
                    sku=sku,
                    ordered=ordered[sku],
                    delivered=already,
                    requested=quantity,
                )
        day = occurred.astimezone(UTC).date()
        late = day > self.delivery_due_on
        self._record(
            self.DeliveryRecorded, cause, occurred_at=occurred, lines=dict(lines), late=late
        )
        if late:
            self._assess_penalty(cause, occurred, lines, penalty_cap)
        self._complete_if_done(cause)

    def _assess_penalty(
        self, cause: Cause, occurred: datetime, lines: Mapping[str, int], cap: Decimal
    ) -> None:
        """Penalty = rate x days late x value delivered late, all of the contract's penalties
        (not waived) capped at `cap` x total; its credit settles open items at once."""
        day = occurred.astimezone(UTC).date()
        prices = {line["sku"]: line["unit_price"] for line in self.lines}
        late_value = sum((prices[sku] * quantity for sku, quantity in lines.items()), ZERO)
        days_late = (day - self.delivery_due_on).days
        cap_amount = cents(cap * self.total)
        uncapped, amount = late_penalty(
            rate=self.penalty_rate,
            days_late=days_late,
            late_value=late_value,
            room=cap_amount - self.penalties_credited,
        )
        if amount <= 0:
            return
        self._record(
            self.PenaltyAssessed,
            cause,
            occurred_at=occurred,
            # Derived from the contract and its count of penalties: a replay names it again.
            penalty_id=uuid5(self.id, f"penalty-{len(self.penalties) + 1}"),
            amount=amount,
            days_late=days_late,
            late_value=late_value,
            rate=self.penalty_rate,
            uncapped=uncapped,
            cap=cap_amount,
        )
        self._apply_credit(cause, day)

    def _apply_credit(self, cause: Cause, on: date) -> None:
        """Apply penalty credit still unapplied to the open items, oldest due first."""
        live = [p for p in self.penalties.values() if not p["waived"]]
        allocations = apply_credits(live, self._open_invoices())
        if allocations:
            self._record(self.CreditApplied, cause, on=on, allocations=allocations)

    @property
    def last_penalty(self) -> Penalty | None:
        """The penalty assessed last, if any (a delivery's answer names it)."""
        return list(self.penalties.values())[-1] if self.penalties else None

    def issue_invoice(
        self, cause: Cause, *, invoice_id: UUID, amount: Decimal, issued_on: date
    ) -> None:
        """Invoice part of the total; the due date follows from the payment term."""
        amount = money(amount)
        if amount <= 0:
            raise ValidationFailed.of("amount", "must be greater than zero")
        issued_on = cause.business_date(issued_on, "issued_on")
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("invoices", self.status)
        if self.invoiced + amount > self.total:
            raise OverInvoicing(
                f"invoicing {amount} would bring the invoiced sum above the total {self.total}",
                total=str(self.total),
                invoiced=str(self.invoiced),
                requested=str(amount),
            )
        self._record(
            self.InvoiceIssued,
            cause,
            invoice_id=invoice_id,
            amount=amount,
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=self.payment_term_days),
        )
        self._apply_credit(cause, issued_on)
        self._complete_if_done(cause)

    def record_payment(
        self, cause: Cause, *, amount: Decimal, received_on: date, reference: str
    ) -> None:
        """Money received: it settles the oldest open invoice first."""
        amount = money(amount)
        if amount <= 0:
            raise ValidationFailed.of("amount", "must be greater than zero")
        reference = required_text(reference, "reference", 200)
        received_on = cause.business_date(received_on, "received_on")
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("payments", self.status)
        if reference in self.payment_references:
            raise DuplicatePayment(
                f"a payment with reference {reference!r} is already recorded",
                reference=reference,
            )
        if amount > self.outstanding:
            raise OverPayment(
                f"paying {amount} exceeds the {self.outstanding} invoiced and still open",
                outstanding=str(self.outstanding),
                requested=str(amount),
            )
        self._record(
            self.PaymentRecorded,
            cause,
            amount=amount,
            received_on=received_on,
            reference=reference,
            allocations=settle_oldest_first(self._open_invoices(), amount),
        )
        self._complete_if_done(cause)

    def overdue_on(self, day: date) -> list[Invoice]:
        """Invoices past their due date and not settled, on a day."""
        return [
            i for i in self._open_invoices() if i["due_on"] < day and i["settled"] < i["amount"]
        ]

    def send_reminder(
        self,
        cause: Cause,
        *,
        level: int,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Remind the customer of overdue invoices (催收)."""
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 3:
            raise ValidationFailed.of("level", "must be 1, 2 or 3")
        occurred = cause.occurred(occurred_at)
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("reminders", self.status)
        overdue = self.overdue_on(occurred.astimezone(UTC).date())
        if not overdue:
            raise NothingOverdue("no invoice of this contract is overdue")
        self._record(
            self.ReminderSent,
            cause,
            occurred_at=occurred,
            level=level,
            note=(note or "").strip() or None,
            overdue_invoices=[i["id"] for i in overdue],
            overdue_amount=sum((i["amount"] - i["settled"] for i in overdue), ZERO),
        )

    def write_off(
        self,
        cause: Cause,
        *,
        amount: Decimal,
        reason: str,
        limit: Decimal,
        executive: bool,
    ) -> None:
        """Write off bad debt; above the limit only an executive may."""
        amount = money(amount)
        if amount <= 0:
            raise ValidationFailed.of("amount", "must be greater than zero")
        reason = required_text(reason, "reason", 5000)
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("write-offs", self.status)
        if amount > limit and not executive:
            raise Forbidden(f"writing off more than {limit} needs an executive")
        if amount > self.outstanding:
            raise OverWriteOff(
                f"writing off {amount} exceeds the {self.outstanding} outstanding",
                outstanding=str(self.outstanding),
                requested=str(amount),
            )
        self._record(
            self.WrittenOff,
            cause,
            amount=amount,
            reason=reason,
            allocations=settle_oldest_first(self._open_invoices(), amount),
        )
        self._complete_if_done(cause)

    def cancel(self, cause: Cause, *, reason: str, manager: bool) -> None:
        """Abandon a contract before it is signed."""
        reason = required_text(reason, "reason", 5000)
        if self.status not in (
            ContractStatus.DRAFT,
            ContractStatus.IN_REVIEW,
            ContractStatus.APPROVED,
        ):
            raise InvalidState("cancel", self.status)
        self._require_owner_or_manager(cause, manager, "cancel")
        self._record(self.Cancelled, cause, reason=reason)

    def terminate(self, cause: Cause, *, reason: str) -> None:
        """End an active contract early; what is owed stays owed."""
        reason = required_text(reason, "reason", 5000)
        if self.status != ContractStatus.ACTIVE:
            raise InvalidState("terminate", self.status)
        self._record(self.Terminated, cause, reason=reason)

    def waive_penalty(self, cause: Cause, *, penalty_id: UUID, reason: str) -> None:
        """Reverse a penalty (sales_manager or executive, never the contract's owner)."""
        penalty = self.penalties.get(str(penalty_id))
        if penalty is None:
            raise NotFound(f"penalty {penalty_id} not found on this contract")
        reason = required_text(reason, "reason", 5000)
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("penalties/waive", self.status)
        if penalty["waived"]:
            raise InvalidState("penalties/waive", self.status, "the penalty is already waived")
        if same_subject(cause.actor, self.owner_id):
            raise SegregationOfDuties("the contract's owner may not waive its penalty")
        reversals: list[Allocation] = [
            {"invoice_id": self._item_id(key), "amount": amount}
            for key, amount in penalty["allocations"].items()
            if amount
        ]
        self._record(
            self.PenaltyWaived,
            cause,
            penalty_id=penalty["id"],
            reason=reason,
            amount=penalty["amount"],
            reversals=reversals,
        )
        self._apply_credit(cause, cause.now.astimezone(UTC).date())

    def _item_id(self, key: str) -> UUID:
        item = self.invoices.get(key) or self.debit_notes[key]
        return item["id"]

    def charge_interest(
        self, cause: Cause, *, debit_note_id: UUID, through: date, rate: Decimal
    ) -> None:
        """Charge late-payment interest through a day on every invoice overdue then."""
        through = cause.business_date(through, "through")
        if self.status not in RECEIVABLE_STATES:
            raise InvalidState("interest", self.status)
        basis = [
            found
            for invoice in sorted(self.invoices.values(), key=lambda i: i["due_on"])
            if (
                found := interest_basis(
                    invoice,
                    self.movements.get(str(invoice["id"]), []),
                    charged_through=self.interest_through.get(str(invoice["id"])),
                    through=through,
                    rate=rate,
                )
            )
        ]
        amount = sum((b["amount"] for b in basis), ZERO)
        if amount <= 0:
            raise NothingOverdue(f"no invoice of this contract owes interest through {through}")
        self._record(
            self.InterestCharged,
            cause,
            debit_note_id=debit_note_id,
            amount=amount,
            through=through,
            rate=rate,
            basis=basis,
        )
        self._apply_credit(cause, through)

    def _complete_if_done(self, cause: Cause) -> None:
        """Completed when all is delivered and paid + written off + penalties credited
        equals total + interest charged."""
        if self.status != ContractStatus.ACTIVE:
            return
        delivered_all = all(
            self.delivered.get(line["sku"], 0) == line["quantity"] for line in self.lines
        )
        settled = self.paid + self.written_off + self.penalties_credited
        if delivered_all and settled == self.total + self.interest_charged:
            self._record(self.Completed, cause)
