"""Errors as RFC 9457 problem+json, with the codes of API.md.

Every answer that is not a success is problem+json: refusals (`DomainError`), bodies and
parameters FastAPI refuses, HTTP errors of the router, and anything unexpected, which
`UnexpectedErrors` answers `500 internal_error` carrying a request id that the log line
of the error carries too (the stack trace goes to the log, never to the client).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid
from typing import Any

import psycopg
from eventsourcing.persistence import ConnectionPoolClosedError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import TooManyRequests
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.streams import CorruptStream
from domain.errors import DomainError, ValidationFailed
from interfaces.http.json import plain
from projections.postgres import DatabaseBusy

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "forbidden": 403,
    "segregation_of_duties": 403,
    "not_found": 404,
    "invalid_state": 409,
    "version_conflict": 409,
    "idempotency_key_reused": 409,
    "corrupt_stream": 500,
}
PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
# A client's X-Request-ID is kept when it is a plain token a log line can carry as is.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

logger = logging.getLogger("mops.http")
# What a client waits before trying again when the database is away or busy (seconds).
RETRY_AFTER_SECONDS = 2
# Errors of the database's connection, not of a statement: the database is away or busy.
DATABASE_ERRORS = (
    OperationalError,
    InterfaceError,
    ConnectionPoolClosedError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


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


def request_id(scope: Scope) -> str:
    """The request's id: one set for it already, the client's X-Request-ID, or a new one.

    It is kept in the request's state, so every log line of the request can carry it.
    """
    state = scope.setdefault("state", {})
    if not state.get("request_id"):
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"")
        text = given.decode("latin-1")
        state["request_id"] = text if _CLIENT_REQUEST_ID.match(text) else uuid.uuid4().hex
    return str(state["request_id"])


def internal_error(scope: Scope) -> JSONResponse:
    """`500 internal_error`, naming the request id that the log line of the error carries."""
    rid = request_id(scope)
    response = problem(
        500,
        "internal_error",
        "Internal error",
        f"the server failed to answer; quote request id {rid} when reporting it",
        request_id=rid,
    )
    response.headers[REQUEST_ID_HEADER] = rid
    return response


class UnexpectedErrors:
    """Answer an exception no handler answered as `500 internal_error` problem+json.

    An ASGI middleware rather than a handler of `Exception`: Starlette hands those to its
    outermost middleware, which answers and then raises the exception again, so the
    server logs it a second time, without the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            logger.error(
                "internal_error request_id=%s %s %s: %s",
                request_id(scope),
                scope.get("method"),
                scope.get("path"),
                type(error).__name__,
                exc_info=error,
                extra={"event": "internal_error", "request_id": request_id(scope), "status": 500},
            )
            if started:  # part of an answer went out: all that is left is to drop it
                raise
            await internal_error(scope)(scope, receive, send)


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def unreachable_or_busy(error: BaseException) -> bool:
    """Whether a database error says the database is away or busy, not that a statement
    failed: PostgreSQL's connection errors, or SQLite's lock held too long."""
    for cause in _chain(error):
        if isinstance(cause, (psycopg.OperationalError, psycopg.InterfaceError)):
            return True
        if isinstance(cause, ConnectionPoolClosedError):
            return True
        if isinstance(cause, sqlite3.OperationalError):
            return any(word in str(cause) for word in ("locked", "busy"))
    return not isinstance(error, (OperationalError, InterfaceError))


def unexpected_error(request: Request, error: BaseException) -> JSONResponse:
    """`500 internal_error`, logged as `UnexpectedErrors` logs it."""
    rid = request_id(request.scope)
    logger.error(
        "internal_error request_id=%s %s %s: %s",
        rid,
        request.method,
        request.url.path,
        type(error).__name__,
        exc_info=error,
        extra={"event": "internal_error", "request_id": rid, "status": 500},
    )
    return internal_error(request.scope)


def database_problem(request: Request, error: BaseException) -> JSONResponse:
    """`503 database_busy` when no connection was free of a full pool, else `503
    database_unavailable`; with `Retry-After`, logged with the request id."""
    chain = _chain(error)
    # The pool says which (projections/postgres.py `fail_fast`); a bare PoolTimeout, a
    # wait given up otherwise, is counted as the database being away.
    busy = any(isinstance(e, (DatabaseBusy, TooManyRequests)) for e in chain)
    code = "database_busy" if busy else "database_unavailable"
    rid = request_id(request.scope)
    logger.warning(
        "%s request_id=%s %s %s: %s",
        code,
        rid,
        request.method,
        request.url.path,
        type(chain[-1]).__name__,
        extra={"event": code, "request_id": rid, "status": 503},
    )
    detail = (
        "no database connection was free in time; try again shortly"
        if busy
        else "the database cannot be reached; try again shortly"
    )
    title = "Database busy" if busy else "Database unavailable"
    response = problem(503, code, title, detail, request_id=rid)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers[REQUEST_ID_HEADER] = rid
    return response


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal and every failure into problem+json."""
    app.add_middleware(UnexpectedErrors)

    @app.exception_handler(CorruptStream)
    async def on_corrupt_stream(request: Request, error: CorruptStream) -> JSONResponse:
        rid = request_id(request.scope)
        logger.error(
            "corrupt_stream request_id=%s %s",
            rid,
            error.detail,
            extra={
                "event": "corrupt_stream",
                "request_id": rid,
                "status": 500,
                "aggregate_id": error.facts["aggregate_id"],
            },
        )
        response = problem(
            500, error.code, error.title, error.detail, **error.facts, request_id=rid
        )
        response.headers[REQUEST_ID_HEADER] = rid
        return response

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(ConnectionPoolClosedError)
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(psycopg.InterfaceError)
    async def on_database_error(request: Request, error: Exception) -> JSONResponse:
        if not unreachable_or_busy(error):  # a statement's error, not the connection's
            return unexpected_error(request, error)
        return database_problem(request, error)

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
