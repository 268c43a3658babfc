"""`/audit`: the global log, and the proof that it is untampered (its hash chain and a
signed seal of its head), for auditors, executives and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.errors import Forbidden
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.errors import problem
from interfaces.http.json import iso_utc
from interfaces.http.openapi import READ, answer_of, list_of
from interfaces.http.reads import (
    caught_up,
    decode_cursor,
    moment,
    page,
    page_limit,
    read_answer,
)
from interfaces.http.schemas.answers import system as answers
from interfaces.http.schemas.answers.common import Event
from interfaces.trust import TrustError, load_signing_key, seal, verify_store
from projections.chain_store import chain_of

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events", responses=list_of(Event))
def audit_events(
    caller: CurrentCaller,
    services: ServicesDep,
    aggregate_type: str | None = None,
    aggregate_id: str | None = None,
    actor: str | None = None,
    type: str | None = None,
    recorded_from: Annotated[str | None, Query(alias="from")] = None,
    recorded_to: Annotated[str | None, Query(alias="to")] = None,
    after_position: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every business event in log order; `from`/`to` bound the recording time, inclusive."""
    if not caller.may_read_audit():
        raise Forbidden("the global log is for auditor, executive and admin")
    size = page_limit(limit)
    after = decode_cursor(cursor)
    if after_position is not None:
        after = max(after or 0, after_position)
    start = moment(recorded_from, "from", start_of_day=True)
    end = moment(recorded_to, "to")
    fresh = caught_up(services, "audit_log", wait_for)
    rows = services.read_side.view("audit_log").search(
        limit=size + 1,
        after_position=after,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        actor=actor,
        event_type=type,
        recorded_from=iso_utc(start) if start else None,
        recorded_to=iso_utc(end) if end else None,
    )
    return read_answer(page(rows, size, "position"), fresh)


@router.get("/verify", responses=answer_of(answers.ChainVerdict, READ))
def audit_verify(caller: CurrentCaller, services: ServicesDep) -> JSONResponse:
    """Recompute the log's hash chain: how far it holds, its head, and the first break."""
    if not caller.may_read_audit():
        raise Forbidden("the chain check is for auditor, executive and admin")
    verdict = verify_store(chain_of(services.backoffice.recorder))
    return JSONResponse(verdict.as_json())


@router.get("/seal", responses=answer_of(answers.Seal, READ))
def audit_seal(caller: CurrentCaller, services: ServicesDep) -> JSONResponse:
    """The current head of the chain, signed with the deployment's Ed25519 key."""
    if not caller.may_read_audit():
        raise Forbidden("seals are for auditor, executive and admin")
    if not services.settings.signing_key:
        return problem(503, "signing_key_missing", "No signing key", "MOPS_SIGNING_KEY is not set")
    try:
        key = load_signing_key(services.settings.signing_key)
    except TrustError as error:
        return problem(503, "signing_key_missing", "No usable signing key", str(error))
    return JSONResponse(seal(chain_of(services.backoffice.recorder), key))
