"""One way to run a command over HTTP, in the order of checks API.md fixes.

401 token → 403 role → 404 id → 422 body → 409 If-Match → 409 state → 403 duties → 422 rule.
The body is parsed here rather than by FastAPI so that an unknown id answers 404
before a malformed body answers 422, and so that JSON numbers become Decimals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from application.backoffice import Outcome
from application.backoffice import Request as Command
from application.permissions import Caller
from domain.errors import NotFound, ValidationFailed
from interfaces.bootstrap import Services
from interfaces.http.errors import field_errors

Body = TypeVar("Body", bound=BaseModel)


def expected_version(if_match: str | None) -> int | None:
    """The version named by an `If-Match: "<version>"` header."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ValidationFailed.of("If-Match", 'must be a version tag such as "3"')
    return int(tag)


def _parse(raw: bytes, model: type[Body]) -> tuple[Any, Body]:
    try:
        data = json.loads(raw or b"{}", parse_float=Decimal)
    except (ValueError, RecursionError) as error:
        # Besides malformed JSON (a ValueError, as are bad UTF-8 and an integer of more
        # digits than Python converts), arrays nested deeper than the parser recurses.
        raise ValidationFailed.of("body", f"is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValidationFailed.of("body", "must be a JSON object")
    where = _nul_in(data)
    if where is not None:
        raise ValidationFailed.of(where or "body", "must not contain a NUL character")
    try:
        return data, model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed([*field_errors(error)]) from None  # type: ignore[list-item]


def _nul_in(data: Any, path: str = "") -> str | None:
    """The dotted path of the first string (value or key) holding a NUL, or None.

    JSON allows "\\u0000" and the event store keeps it, but PostgreSQL text columns
    refuse it: one such event would stop every read model that folds the field, for good.
    """
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return path or "body"
            found = _nul_in(value, inner)
            if found is not None:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _nul_in(value, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _fingerprint(http: Request, data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{http.method} {http.url.path}\n{canonical}".encode()).hexdigest()


async def execute(
    http: Request,
    caller: Caller,
    services: Services,
    *,
    permission: str,
    model: type[Body],
    call: Callable[[Command, Body], Outcome],
    exists: Callable[[], bool] | None = None,
    answer_with: str | None = None,
    location: Callable[[Outcome], str] | None = None,
) -> JSONResponse:
    """Check the role, parse the body, call the application and answer `{id, version}`.

    `exists` tells whether the addressed aggregate exists (for 404 before 422);
    `answer_with` names the outcome's extra holding the id of a sub-entity the command
    creates (a guarantee, an invoice): that id is answered, with 201.
    """
    caller.require(permission)
    raw = await http.body()

    def run() -> JSONResponse:
        try:
            data, body = _parse(raw, model)
        except ValidationFailed:
            if exists is not None and not exists():
                raise NotFound("no such resource") from None
            raise
        command = Command(
            caller=caller,
            expected_version=expected_version(http.headers.get("if-match")),
            idempotency_key=http.headers.get("idempotency-key"),
            fingerprint=_fingerprint(http, data),
        )
        outcome = call(command, body)
        created = outcome.created or answer_with is not None
        extra = dict(outcome.extra)
        answered_id = extra.pop(answer_with) if answer_with else str(outcome.id)
        content: dict[str, Any] = {"id": answered_id, "version": outcome.version, **extra}
        if outcome.position is not None:
            content["position"] = outcome.position
        headers = {"ETag": f'"{outcome.version}"'}
        if created and location is not None:
            headers["Location"] = location(outcome)
        return JSONResponse(content, status_code=201 if created else 200, headers=headers)

    return await run_in_threadpool(run)
