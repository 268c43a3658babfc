"""`/contracts`: commands, the contract, its history, and the directory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    CancelContract,
    ChargeInterest,
    ContractChanges,
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
from domain.contract import Contract, DebitNote, Invoice, Penalty, line_cost, line_total
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import (
    COMMAND,
    CREATE,
    answer_of,
    command_of,
    history_of,
    list_of,
    read_of,
)
from interfaces.http.reads import (
    aggregate_answer,
    directory_answer,
    history_answer,
    moment,
    part_of,
)
from interfaces.http.schemas import contracts as bodies
from interfaces.http.schemas.answers import contracts as answers
from interfaces.http.schemas.common import Empty
from interfaces.http.schemas.customers import Reason

router = APIRouter(prefix="/contracts", tags=["contracts"])


def _invoice(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": str(invoice["id"]),
        "amount": str(invoice["amount"]),
        "issued_on": invoice["issued_on"].isoformat(),
        "due_on": invoice["due_on"].isoformat(),
        "settled": str(invoice["settled"]),
        "open": str(invoice["amount"] - invoice["settled"]),
    }


def _penalty(penalty: Penalty) -> dict[str, Any]:
    return {
        "id": str(penalty["id"]),
        "amount": str(penalty["amount"]),
        "days_late": penalty["days_late"],
        "assessed_on": penalty["assessed_on"].isoformat(),
        "waived": penalty["waived"],
        "applied": str(penalty["applied"]),
    }


def _debit_note(note: DebitNote) -> dict[str, Any]:
    return {
        "id": str(note["id"]),
        "amount": str(note["amount"]),
        "issued_on": note["issued_on"].isoformat(),
        "due_on": note["due_on"].isoformat(),
        "settled": str(note["settled"]),
        "open": str(note["amount"] - note["settled"]),
        "basis": [
            {
                "invoice_id": str(b["invoice_id"]),
                "first_day": b["first_day"].isoformat(),
                "last_day": b["last_day"].isoformat(),
                "days": b["days"],
                "amount": str(b["amount"]),
            }
            for b in note["basis"]
        ],
    }


def _ratio(value: Any) -> float | None:
    """A ratio as reports carry it: a JSON number of 4 places."""
    return None if value is None else round(float(value), 4)


def represent(contract: Contract) -> dict[str, Any]:
    """A contract as `GET /contracts/{id}` answers it."""
    return {
        "id": str(contract.id),
        "version": contract.version,
        "status": contract.status,
        "customer_id": str(contract.customer_id),
        "owner_id": contract.owner_id,
        "channel": contract.channel,
        "region": contract.region,
        "lines": [
            {
                **plain(line),
                "total": str(line_total(line)),
                "cost": str(line_cost(line)),
                "delivered": contract.delivered.get(line["sku"], 0),
            }
            for line in contract.lines
        ],
        "total": str(contract.total),
        "cost": str(contract.cost),
        "payment_term_days": contract.payment_term_days,
        "delivery_due_on": contract.delivery_due_on.isoformat(),
        "penalty_rate": str(contract.penalty_rate),
        "notes": contract.notes,
        "submitted_by": contract.submitted_by,
        "required_reviews": contract.required_reviews,
        "reviews": contract.reviews,
        # What the discount control compared at submit: each line against the list
        # price in force that day, and the submitter's limit.
        "discount_limit": _ratio(contract.discount_limit),
        "line_pricing": [
            {**plain(line), "discount": _ratio(line["discount"])} for line in contract.line_pricing
        ],
        "signed_on": plain(contract.signed_on),
        "late_deliveries": contract.late_deliveries,
        "invoices": [_invoice(i) for i in contract.invoices.values()],
        "invoiced": str(contract.invoiced),
        "paid": str(contract.paid),
        "written_off": str(contract.written_off),
        "outstanding": str(contract.outstanding),
        # Penalties credited to the customer and interest debited (DOMAIN.md, Contract).
        "penalties": [_penalty(p) for p in contract.penalties.values()],
        "penalties_credited": str(contract.penalties_credited),
        "unapplied_credit": str(contract.unapplied_credit),
        "debit_notes": [_debit_note(n) for n in contract.debit_notes.values()],
        "interest_charged": str(contract.interest_charged),
        "exposure": str(contract.exposure),
        "reminders": [
            {"level": r["level"], "at": iso_utc(r["at"]), "overdue_amount": str(r["amount"])}
            for r in contract.reminders
        ],
        "closing_reason": contract.closing_reason,
        "completed_at": iso_utc(contract.completed_at) if contract.completed_at else None,
        "created_at": iso_utc(contract.created_on),
        "updated_at": iso_utc(contract.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "owner_id": row["owner_id"],
        "status": row["status"],
        "channel": row["channel"],
        "region": row["region"],
        "total": row["total"],
        "signed_on": row["signed_on"],
        "version": row["version"],
        "drafted_at": row["drafted_at"],
        "position": row["drafted_position"],
    }


def _lines(lines: list[bodies.LineBody]) -> list[dict[str, Any]]:
    return [line.model_dump() for line in lines]


def _contract_changes(body: bodies.AmendContract) -> ContractChanges:
    """The fields the body names, a null among them included (the contract refuses it)."""
    named = body.model_fields_set
    changes = ContractChanges()
    if "owner_id" in named:
        changes["owner_id"] = body.owner_id
    if "channel" in named:
        changes["channel"] = body.channel
    if "region" in named:
        changes["region"] = body.region
    if "lines" in named:
        changes["lines"] = None if body.lines is None else _lines(body.lines)
    if "payment_term_days" in named:
        changes["payment_term_days"] = body.payment_term_days
    if "delivery_due_on" in named:
        changes["delivery_due_on"] = body.delivery_due_on
    if "penalty_rate" in named:
        changes["penalty_rate"] = body.penalty_rate
    if "notes" in named:
        changes["notes"] = body.notes
    return changes


@router.post("", status_code=201, openapi_extra=body_schema(bodies.DraftContract), responses=CREATE)
async def draft_contract(call: CommandDep) -> JSONResponse:
    """Draft a contract for a customer; the region defaults to its own (sales, sales_manager)."""
    body = await call.read(DraftContract, bodies.DraftContract)
    command = DraftContract(
        customer_id=body.customer_id,
        channel=body.channel,
        lines=_lines(body.lines),
        payment_term_days=body.payment_term_days,
        delivery_due_on=body.delivery_due_on,
        region=body.region,
        owner_id=body.owner_id,
        penalty_rate=body.penalty_rate,
        notes=body.notes,
    )
    return await call.answer(command)


@router.post(
    "/{contract_id}/amend", openapi_extra=body_schema(bodies.AmendContract), responses=COMMAND
)
async def amend_contract(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Change a draft: any field but the customer (its owner in sales, or a sales_manager)."""
    body = await call.read(AmendContract, bodies.AmendContract, Target(Contract, contract_id))
    return await call.answer(AmendContract(contract_id, _contract_changes(body)))


@router.post("/{contract_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_contract(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Send a draft to review, its discounts checked (its owner in sales, or a sales_manager)."""
    await call.read(SubmitContract, Empty, Target(Contract, contract_id))
    return await call.answer(SubmitContract(contract_id))


@router.post(
    "/{contract_id}/reviews/approve",
    openapi_extra=body_schema(bodies.ApproveReview),
    responses=COMMAND,
)
async def approve_review(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Approve for a department (legal, finance, sales_manager for pricing, executive)."""
    body = await call.read(
        ApproveContractReview, bodies.ApproveReview, Target(Contract, contract_id)
    )
    command = ApproveContractReview(contract_id, body.department, body.comments)
    return await call.answer(command)


@router.post(
    "/{contract_id}/reviews/reject",
    openapi_extra=body_schema(bodies.RejectReview),
    responses=COMMAND,
)
async def reject_review(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Reject for a department, back to draft (legal, finance, sales_manager, executive)."""
    body = await call.read(RejectContractReview, bodies.RejectReview, Target(Contract, contract_id))
    command = RejectContractReview(contract_id, body.department, body.reasons)
    return await call.answer(command)


@router.post("/{contract_id}/sign", openapi_extra=body_schema(bodies.Sign), responses=COMMAND)
async def sign_contract(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Sign an approved contract if the customer's credit allows it (sales_manager)."""
    body = await call.read(SignContract, bodies.Sign, Target(Contract, contract_id))
    return await call.answer(SignContract(contract_id, body.signed_on))


@router.post(
    "/{contract_id}/deliveries",
    openapi_extra=body_schema(bodies.RecordDelivery),
    responses=command_of(answers.DeliveryRecorded),
)
async def record_delivery(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Deliver quantities per sku, never more than ordered (its owner in sales)."""
    body = await call.read(RecordDelivery, bodies.RecordDelivery, Target(Contract, contract_id))
    return await call.answer(RecordDelivery(contract_id, body.lines, body.occurred_at))


@router.post(
    "/{contract_id}/invoices",
    status_code=201,
    openapi_extra=body_schema(bodies.IssueInvoice),
    responses=CREATE,
)
async def issue_invoice(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Invoice part of the total; answers the invoice's id (finance)."""
    body = await call.read(IssueInvoice, bodies.IssueInvoice, Target(Contract, contract_id))
    command = IssueInvoice(contract_id, body.amount, body.issued_on)
    return await call.answer(command, created_id="invoice_id")


@router.post(
    "/{contract_id}/payments", openapi_extra=body_schema(bodies.RecordPayment), responses=COMMAND
)
async def record_payment(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Record money received; it settles the oldest open invoice first (finance)."""
    body = await call.read(RecordPayment, bodies.RecordPayment, Target(Contract, contract_id))
    command = RecordPayment(contract_id, body.amount, body.received_on, body.reference)
    return await call.answer(command)


@router.post(
    "/{contract_id}/reminders", openapi_extra=body_schema(bodies.SendReminder), responses=COMMAND
)
async def send_reminder(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Remind the customer of overdue invoices (finance, sales)."""
    body = await call.read(SendReminder, bodies.SendReminder, Target(Contract, contract_id))
    return await call.answer(SendReminder(contract_id, body.level, body.note, body.occurred_at))


@router.post(
    "/{contract_id}/write-offs", openapi_extra=body_schema(bodies.WriteOff), responses=COMMAND
)
async def write_off(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Write off bad debt; above the write-off limit only an executive may (finance)."""
    body = await call.read(WriteOff, bodies.WriteOff, Target(Contract, contract_id))
    return await call.answer(WriteOff(contract_id, body.amount, body.reason))


@router.post("/{contract_id}/cancel", openapi_extra=body_schema(Reason), responses=COMMAND)
async def cancel_contract(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Abandon a contract before it is signed (its owner in sales, or a sales_manager)."""
    body = await call.read(CancelContract, Reason, Target(Contract, contract_id))
    return await call.answer(CancelContract(contract_id, body.reason))


@router.post("/{contract_id}/terminate", openapi_extra=body_schema(Reason), responses=COMMAND)
async def terminate_contract(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """End an active contract early; what is owed stays owed (finance, sales_manager)."""
    body = await call.read(TerminateContract, Reason, Target(Contract, contract_id))
    return await call.answer(TerminateContract(contract_id, body.reason))


@router.post(
    "/{contract_id}/penalties/{penalty_id}/waive",
    openapi_extra=body_schema(bodies.WaivePenalty),
    responses=COMMAND,
)
async def waive_penalty(contract_id: UUID, penalty_id: UUID, call: CommandDep) -> JSONResponse:
    """Reverse a late-delivery penalty (a sales_manager not owning the contract, executive)."""
    target = Target(Contract, contract_id, "penalties", penalty_id)
    body = await call.read(WaivePenalty, bodies.WaivePenalty, target)
    return await call.answer(WaivePenalty(contract_id, penalty_id, body.reason))


@router.post(
    "/{contract_id}/interest",
    status_code=201,
    openapi_extra=body_schema(bodies.ChargeInterest),
    responses=command_of(answers.InterestCharged, created=True),
)
async def charge_interest(contract_id: UUID, call: CommandDep) -> JSONResponse:
    """Charge late-payment interest through a day as one debit note (finance)."""
    body = await call.read(ChargeInterest, bodies.ChargeInterest, Target(Contract, contract_id))
    return await call.answer(ChargeInterest(contract_id, body.through), created_id="debit_note_id")


@router.get("/{contract_id}/interest/{debit_note_id}", responses=answer_of(answers.DebitNote))
def get_debit_note(
    contract_id: UUID, debit_note_id: UUID, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """One debit note of a contract: its interest, basis per invoice, settled and open."""
    contract = services.backoffice.get(contract_id, Contract)
    note = part_of(contract.debit_notes, debit_note_id, "debit note", "contract")
    return JSONResponse(_debit_note(note))


@router.get("", responses=list_of(answers.ContractItem))
def list_contracts(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    customer_id: UUID | None = None,
    owner_id: str | None = None,
    region: str | None = None,
    channel: str | None = None,
    signed_from: str | None = None,
    signed_to: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Contracts in the order they were drafted, filtered; `signed_from`/`signed_to` inclusive."""
    signed_after = moment(signed_from, "signed_from", start_of_day=True)
    signed_before = moment(signed_to, "signed_to")
    return directory_answer(
        services,
        "contract_directory",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        customer_id=str(customer_id) if customer_id else None,
        owner_id=owner_id,
        region=region,
        channel=channel,
        signed_from=signed_after.date().isoformat() if signed_after else None,
        signed_to=signed_before.date().isoformat() if signed_before else None,
    )


@router.get("/{contract_id}/invoices/{invoice_id}", responses=answer_of(answers.Invoice))
def get_invoice(
    contract_id: UUID, invoice_id: UUID, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """One invoice of a contract, with what is settled and what is open."""
    contract = services.backoffice.get(contract_id, Contract)
    invoice = part_of(contract.invoices, invoice_id, "invoice", "contract")
    return JSONResponse(_invoice(invoice))


@router.get("/{contract_id}", responses=read_of(answers.ContractView))
def get_contract(
    contract_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A contract now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Contract, contract_id, version, as_of, represent)


@router.get("/{contract_id}/history", responses=history_of())
def contract_history(
    contract_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a contract, oldest first, with actor and both times."""
    return history_answer(services, Contract, contract_id, limit, cursor, wait_for)
