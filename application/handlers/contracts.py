"""Handlers of the Contract commands: `(command, context) -> Decision` each."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from uuid import uuid4

from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    CancelContract,
    ChargeInterest,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    RejectContractReview,
    SendReminder,
    SignContract,
    SubmitContract,
    TerminateContract,
    WaivePenalty,
    WriteOff,
)
from application.context import Context
from application.handlers import Handlers
from application.handlers.customers import customer_named
from application.handlers.price_lists import list_prices
from application.messages import Decision
from application.permissions import EXECUTIVE_ROLES, MANAGING_ROLES
from domain.contract import Contract
from domain.customer import Customer
from domain.price_list import discount_limit_of


def is_manager(ctx: Context) -> bool:
    """True when the caller may act on contracts it does not own."""
    return ctx.caller.holds(MANAGING_ROLES)


def draft_contract(cmd: DraftContract, ctx: Context) -> Decision:
    """The contract's region defaults to its customer's."""
    customer = customer_named(ctx, cmd.customer_id)
    contract = Contract.draft(
        ctx.cause,
        id=uuid4(),
        customer_id=cmd.customer_id,
        channel=cmd.channel,
        lines=cmd.lines,
        payment_term_days=cmd.payment_term_days,
        delivery_due_on=cmd.delivery_due_on,
        region=cmd.region if cmd.region is not None else customer.region,
        owner_id=cmd.owner_id,
        penalty_rate=cmd.penalty_rate,
        notes=cmd.notes,
    )
    return Decision(contract)


def amend_contract(cmd: AmendContract, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.amend(ctx.cause, manager=is_manager(ctx), **cmd.changes)
    return Decision(contract)


def submit_contract(cmd: SubmitContract, ctx: Context) -> Decision:
    """Submit with discount control against the list prices of the day.

    The list prices in force on the submit day (`cause.now`, UTC) and the submitter's
    discount limit are looked up here and handed to the contract.
    """
    contract = ctx.addressed(cmd.contract_id, Contract)
    limit, role = discount_limit_of(ctx.caller.roles, ctx.policy.discount_limits)
    skus = [line["sku"] for line in contract.lines]
    contract.submit(
        ctx.cause,
        manager=is_manager(ctx),
        list_prices=list_prices(ctx, skus, ctx.cause.now.astimezone(UTC).date()),
        discount_limit=limit,
        discount_limit_role=role,
        require_list_price=ctx.policy.require_list_price,
    )
    return Decision(contract)


def approve_contract_review(cmd: ApproveContractReview, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.approve_review(
        ctx.cause, department=cmd.department, roles=ctx.caller.roles, comments=cmd.comments
    )
    return Decision(contract)


def reject_contract_review(cmd: RejectContractReview, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.reject_review(
        ctx.cause, department=cmd.department, roles=ctx.caller.roles, reasons=cmd.reasons
    )
    return Decision(contract)


def sign_contract(cmd: SignContract, ctx: Context) -> Decision:
    """Sign, checking the customer's credit and reserving it in the same transaction.

    The contract signs first: that checks the business date, then the state, before
    the customer's credit is looked at; a refused credit check saves neither. The
    customer's exposure is summed from its signed contracts as stored now; the
    reservation event on the customer makes a concurrent signing for the same
    customer conflict, and it is then decided again on this one's outcome.
    """
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.sign(ctx.cause, cmd.signed_on)
    customer = ctx.load(contract.customer_id, Customer)
    exposure = sum(
        (ctx.load(signed, Contract).exposure for signed in customer.signed_contracts),
        Decimal("0.00"),
    )
    customer.reserve_credit(
        ctx.cause,
        contract_id=contract.id,
        amount=contract.total,
        payment_term_days=contract.payment_term_days,
        exposure=exposure,
    )
    return Decision(contract, (customer,))


def record_delivery(cmd: RecordDelivery, ctx: Context) -> Decision:
    """A late delivery's answer adds the penalty it assessed: `{id, amount, days_late}`."""
    contract = ctx.addressed(cmd.contract_id, Contract)
    before = len(contract.penalties)
    contract.record_delivery(
        ctx.cause,
        lines=cmd.lines,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
        penalty_cap=ctx.policy.penalty_cap,
    )
    penalty = contract.last_penalty
    if penalty is None or len(contract.penalties) == before:
        return Decision(contract)
    assessed = {
        "id": str(penalty["id"]),
        "amount": str(penalty["amount"]),
        "days_late": penalty["days_late"],
    }
    return Decision(contract, extra={"penalty": assessed})


def waive_penalty(cmd: WaivePenalty, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.waive_penalty(ctx.cause, penalty_id=cmd.penalty_id, reason=cmd.reason)
    return Decision(contract)


def charge_interest(cmd: ChargeInterest, ctx: Context) -> Decision:
    """The answer names the new debit note (`debit_note_id`) and its amount."""
    contract = ctx.addressed(cmd.contract_id, Contract)
    debit_note_id = uuid4()
    contract.charge_interest(
        ctx.cause,
        debit_note_id=debit_note_id,
        through=cmd.through,
        rate=ctx.policy.late_interest_daily,
    )
    amount = contract.debit_notes[str(debit_note_id)]["amount"]
    return Decision(contract, extra={"debit_note_id": str(debit_note_id), "amount": str(amount)})


def issue_invoice(cmd: IssueInvoice, ctx: Context) -> Decision:
    """The answer names the new invoice (`invoice_id`)."""
    contract = ctx.addressed(cmd.contract_id, Contract)
    invoice_id = uuid4()
    contract.issue_invoice(
        ctx.cause, invoice_id=invoice_id, amount=cmd.amount, issued_on=cmd.issued_on
    )
    return Decision(contract, extra={"invoice_id": str(invoice_id)})


def record_payment(cmd: RecordPayment, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.record_payment(
        ctx.cause, amount=cmd.amount, received_on=cmd.received_on, reference=cmd.reference
    )
    return Decision(contract)


def send_reminder(cmd: SendReminder, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.send_reminder(ctx.cause, level=cmd.level, note=cmd.note, occurred_at=cmd.occurred_at)
    return Decision(contract)


def write_off(cmd: WriteOff, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.write_off(
        ctx.cause,
        amount=cmd.amount,
        reason=cmd.reason,
        limit=ctx.policy.write_off_limit,
        executive=ctx.caller.holds(EXECUTIVE_ROLES),
    )
    return Decision(contract)


def cancel_contract(cmd: CancelContract, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.cancel(ctx.cause, reason=cmd.reason, manager=is_manager(ctx))
    return Decision(contract)


def terminate_contract(cmd: TerminateContract, ctx: Context) -> Decision:
    contract = ctx.addressed(cmd.contract_id, Contract)
    contract.terminate(ctx.cause, reason=cmd.reason)
    return Decision(contract)


HANDLERS: Handlers = {
    DraftContract: draft_contract,
    AmendContract: amend_contract,
    SubmitContract: submit_contract,
    ApproveContractReview: approve_contract_review,
    RejectContractReview: reject_contract_review,
    SignContract: sign_contract,
    RecordDelivery: record_delivery,
    IssueInvoice: issue_invoice,
    RecordPayment: record_payment,
    SendReminder: send_reminder,
    WriteOff: write_off,
    WaivePenalty: waive_penalty,
    ChargeInterest: charge_interest,
    CancelContract: cancel_contract,
    TerminateContract: terminate_contract,
}
