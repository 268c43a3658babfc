"""Contract commands of the back office: from draft to cash, with the credit check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.contract import Contract
from domain.customer import Customer
from domain.price_list import discount_limit_of
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request

# Roles that may act on a contract they do not own (amend, submit, deliver, cancel).
MANAGING_ROLES = frozenset({"sales_manager", "admin"})
# Roles that may write off more than the write-off limit.
EXECUTIVE_ROLES = frozenset({"executive", "admin"})


def _manager(request: Request) -> bool:
    return bool(request.caller.roles & MANAGING_ROLES)


class ContractCommands:
    """The Contract commands; a part of `Backoffice`, whose machinery they use."""

    def draft_contract(
        self: Backoffice,
        request: Request,
        *,
        customer_id: UUID,
        channel: str,
        lines: list[Mapping[str, Any]],
        payment_term_days: int,
        delivery_due_on: date,
        region: str | None = None,
        owner_id: str | None = None,
        penalty_rate: Decimal | None = None,
        notes: str | None = None,
    ) -> Outcome:
        """Draft a contract; its region defaults to the customer's."""

        def decide(cause: Cause) -> Decision:
            customer = self._customer_of(customer_id)
            contract = Contract.draft(
                cause,
                id=uuid4(),
                customer_id=customer_id,
                channel=channel,
                lines=lines,
                payment_term_days=payment_term_days,
                delivery_due_on=delivery_due_on,
                region=region if region is not None else customer.region,
                owner_id=owner_id,
                penalty_rate=penalty_rate,
                notes=notes,
            )
            return contract, (), {}

        return self._run(request, "contract.draft", decide, created=True)

    def amend_contract(
        self: Backoffice, request: Request, contract_id: UUID, **changes: Any
    ) -> Outcome:
        return self._change(
            request,
            "contract.amend",
            contract_id,
            Contract,
            lambda c, cause: c.amend(cause, manager=_manager(request), **changes),
        )

    def submit_contract(self: Backoffice, request: Request, contract_id: UUID) -> Outcome:
        """Submit for review, with discount control against the list prices of the day.

        The list prices in force on the submit day (`cause.now`, UTC) and the
        submitter's discount limit are looked up here and handed to the contract.
        """

        def act(contract: Contract, cause: Cause) -> None:
            limit, role = discount_limit_of(request.caller.roles, self.policy.discount_limits)
            contract.submit(
                cause,
                manager=_manager(request),
                list_prices=self.list_prices(
                    [line["sku"] for line in contract.lines], cause.now.astimezone(UTC).date()
                ),
                discount_limit=limit,
                discount_limit_role=role,
                require_list_price=self.policy.require_list_price,
            )

        return self._change(request, "contract.submit", contract_id, Contract, act)

    def approve_contract_review(
        self: Backoffice,
        request: Request,
        contract_id: UUID,
        department: str,
        comments: str | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "contract.review_approve",
            contract_id,
            Contract,
            lambda c, cause: c.approve_review(
                cause, department=department, roles=request.caller.roles, comments=comments
            ),
        )

    def reject_contract_review(
        self: Backoffice, request: Request, contract_id: UUID, department: str, reasons: str
    ) -> Outcome:
        return self._change(
            request,
            "contract.review_reject",
            contract_id,
            Contract,
            lambda c, cause: c.reject_review(
                cause, department=department, roles=request.caller.roles, reasons=reasons
            ),
        )

    def sign_contract(
        self: Backoffice, request: Request, contract_id: UUID, signed_on: date
    ) -> Outcome:
        """Sign, checking the customer's credit and reserving it in the same transaction.

        The customer's exposure is summed from its signed contracts as stored now; the
        reservation event on the customer makes a concurrent signing for the same
        customer conflict, and it is then decided again on this one's outcome.
        """

        def decide(cause: Cause) -> Decision:
            contract = self._load_at(request, contract_id, Contract)
            cause.business_date(signed_on, "signed_on")
            contract.ensure_signable()
            customer = self._load(contract.customer_id, Customer)
            exposure = sum(
                (self._load(c, Contract).exposure for c in customer.signed_contracts),
                Decimal("0.00"),
            )
            customer.reserve_credit(
                cause,
                contract_id=contract.id,
                amount=contract.total,
                payment_term_days=contract.payment_term_days,
                exposure=exposure,
            )
            contract.sign(cause, signed_on)
            return contract, [customer], {}

        return self._run(request, "contract.sign", decide)

    def record_delivery(
        self: Backoffice,
        request: Request,
        contract_id: UUID,
        lines: Mapping[str, int],
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "contract.delivery",
            contract_id,
            Contract,
            lambda c, cause: c.record_delivery(
                cause, lines=lines, manager=_manager(request), occurred_at=occurred_at
            ),
        )

    def issue_invoice(
        self: Backoffice, request: Request, contract_id: UUID, amount: Decimal, issued_on: date
    ) -> Outcome:
        """Issue an invoice; the answer's id is the invoice's."""
        invoice_id = uuid4()

        def act(contract: Contract, cause: Cause) -> tuple[list, dict]:
            contract.issue_invoice(cause, invoice_id=invoice_id, amount=amount, issued_on=issued_on)
            return [], {"invoice_id": str(invoice_id)}

        return self._change(request, "contract.invoice", contract_id, Contract, act)

    def record_payment(
        self: Backoffice,
        request: Request,
        contract_id: UUID,
        amount: Decimal,
        received_on: date,
        reference: str,
    ) -> Outcome:
        return self._change(
            request,
            "contract.payment",
            contract_id,
            Contract,
            lambda c, cause: c.record_payment(
                cause, amount=amount, received_on=received_on, reference=reference
            ),
        )

    def send_reminder(
        self: Backoffice,
        request: Request,
        contract_id: UUID,
        level: int,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "contract.reminder",
            contract_id,
            Contract,
            lambda c, cause: c.send_reminder(
                cause, level=level, note=note, occurred_at=occurred_at
            ),
        )

    def write_off(
        self: Backoffice, request: Request, contract_id: UUID, amount: Decimal, reason: str
    ) -> Outcome:
        return self._change(
            request,
            "contract.write_off",
            contract_id,
            Contract,
            lambda c, cause: c.write_off(
                cause,
                amount=amount,
                reason=reason,
                limit=self.policy.write_off_limit,
                executive=bool(request.caller.roles & EXECUTIVE_ROLES),
            ),
        )

    def cancel_contract(
        self: Backoffice, request: Request, contract_id: UUID, reason: str
    ) -> Outcome:
        return self._change(
            request,
            "contract.cancel",
            contract_id,
            Contract,
            lambda c, cause: c.cancel(cause, reason=reason, manager=_manager(request)),
        )

    def terminate_contract(
        self: Backoffice, request: Request, contract_id: UUID, reason: str
    ) -> Outcome:
        return self._change(
            request,
            "contract.terminate",
            contract_id,
            Contract,
            lambda c, cause: c.terminate(cause, reason=reason),
        )
