"""`/contracts`: commands, the contract, its history, and the directory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.contract import Contract, line_cost, line_total
from domain.errors import NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import (
    directory_answer,
    moment,
)
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import contracts as bodies
from interfaces.http.schemas.common import Empty
from interfaces.http.schemas.customers import Reason
from projections.events import iso_utc, plain

router = APIRouter(prefix="/contracts", tags=["contracts"])


def _invoice(invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(invoice["id"]),
        "amount": str(invoice["amount"]),
        "issued_on": invoice["issued_on"].isoformat(),
        "due_on": invoice["due_on"].isoformat(),
        "settled": str(invoice["settled"]),
        "open": str(invoice["amount"] - invoice["settled"]),
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


create_route(
    router,
    Contract,
    "contract.draft",
    bodies.DraftContract,
    lambda app, cmd, body: app.draft_contract(
        cmd,
        **body.model_dump(exclude={"lines"}),
        lines=[line.model_dump() for line in body.lines],
    ),
)


def _amend(app: Any, command: Any, contract_id: UUID, body: bodies.AmendContract) -> Any:
    changes = body.model_dump(exclude_unset=True, exclude={"lines"})
    if body.lines is not None:
        changes["lines"] = [line.model_dump() for line in body.lines]
    elif "lines" in body.model_fields_set:
        changes["lines"] = None
    return app.amend_contract(command, contract_id, **changes)


for path, permission, model, call, answer_with in (
    ("/{id}/amend", "contract.amend", bodies.AmendContract, _amend, None),
    (
        "/{id}/submit",
        "contract.submit",
        Empty,
        lambda app, cmd, cid, body: app.submit_contract(cmd, cid),
        None,
    ),
    (
        "/{id}/reviews/approve",
        "contract.review_approve",
        bodies.ApproveReview,
        lambda app, cmd, cid, body: app.approve_contract_review(
            cmd, cid, body.department, body.comments
        ),
        None,
    ),
    (
        "/{id}/reviews/reject",
        "contract.review_reject",
        bodies.RejectReview,
        lambda app, cmd, cid, body: app.reject_contract_review(
            cmd, cid, body.department, body.reasons
        ),
        None,
    ),
    (
        "/{id}/sign",
        "contract.sign",
        bodies.Sign,
        lambda app, cmd, cid, body: app.sign_contract(cmd, cid, body.signed_on),
        None,
    ),
    (
        "/{id}/deliveries",
        "contract.delivery",
        bodies.RecordDelivery,
        lambda app, cmd, cid, body: app.record_delivery(cmd, cid, body.lines, body.occurred_at),
        None,
    ),
    (
        "/{id}/invoices",
        "contract.invoice",
        bodies.IssueInvoice,
        lambda app, cmd, cid, body: app.issue_invoice(cmd, cid, body.amount, body.issued_on),
        "invoice_id",
    ),
    (
        "/{id}/payments",
        "contract.payment",
        bodies.RecordPayment,
        lambda app, cmd, cid, body: app.record_payment(
            cmd, cid, body.amount, body.received_on, body.reference
        ),
        None,
    ),
    (
        "/{id}/reminders",
        "contract.reminder",
        bodies.SendReminder,
        lambda app, cmd, cid, body: app.send_reminder(
            cmd, cid, body.level, body.note, body.occurred_at
        ),
        None,
    ),
    (
        "/{id}/write-offs",
        "contract.write_off",
        bodies.WriteOff,
        lambda app, cmd, cid, body: app.write_off(cmd, cid, body.amount, body.reason),
        None,
    ),
    (
        "/{id}/cancel",
        "contract.cancel",
        Reason,
        lambda app, cmd, cid, body: app.cancel_contract(cmd, cid, body.reason),
        None,
    ),
    (
        "/{id}/terminate",
        "contract.terminate",
        Reason,
        lambda app, cmd, cid, body: app.terminate_contract(cmd, cid, body.reason),
        None,
    ),
):
    command_route(router, Contract, path, permission, model, call, answer_with=answer_with)


@router.get("")
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


@router.get("/{contract_id}/invoices/{invoice_id}")
def get_invoice(
    contract_id: UUID, invoice_id: UUID, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """One invoice of a contract, with what is settled and what is open."""
    contract = services.backoffice.get(contract_id, Contract)
    invoice = contract.invoices.get(str(invoice_id))
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found on this contract")
    return JSONResponse(_invoice(invoice))


aggregate_reads(router, Contract, represent)
