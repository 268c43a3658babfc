"""Errors as RFC 9457 problem+json, with the codes of API.md."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from domain.errors import DomainError, ValidationFailed
from interfaces.http.json import plain

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "forbidden": 403,
    "segregation_of_duties": 403,
    "not_found": 404,
    "invalid_state": 409,
    "version_conflict": 409,
    "idempotency_key_reused": 409,
}
PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **members: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **{k: plain(v) for k, v in members.items()},
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(error: DomainError) -> JSONResponse:
    members = dict(error.facts)
    if isinstance(error, ValidationFailed):
        members["errors"] = error.errors
    return problem(
        STATUS_BY_CODE.get(error.code, 422), error.code, error.title, error.detail, **members
    )


def field_errors(error: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's complaints as `{field, message}`, the field a dotted path."""
    errors = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body",)]
        if item.get("type") == "extra_forbidden":
            message = "is not a field of this command"
        elif item.get("type") == "missing":
            message = "is required"
        else:
            message = item.get("msg", "is not valid")
        errors.append({"field": ".".join(location) or "body", "message": message})
    return errors


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into problem+json."""

    @app.exception_handler(DomainError)
    async def on_domain_error(_: Request, error: DomainError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return domain_problem(ValidationFailed([*field_errors(error)]))  # type: ignore[list-item]

    @app.exception_handler(HTTPException)
    async def on_http_error(_: Request, error: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            error.status_code, "http_error"
        )
        return problem(error.status_code, code, str(error.detail), str(error.detail))
