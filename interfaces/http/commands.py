"""One way to run a command over HTTP, in the order of checks API.md fixes.

401 token → 403 role → 404 id → 422 body → 409 If-Match → 409 state → 403 duties → 422 rule.
A route takes a `CommandCall` (`CommandDep`), reads its body with `call.read` (the role,
then the body, and 404 for an unknown id before 422 for a bad body), builds the command,
and answers with `call.answer`. The body is parsed here rather than by FastAPI so that an unknown
id answers 404 before a malformed body answers 422, and so that JSON numbers become
Decimals.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from application.commands import Command
from application.messages import Request as CommandRequest
from application.permissions import Caller
from domain.errors import NotFound, ValidationFailed
from interfaces.bootstrap import Services
from interfaces.http.deps import CurrentCaller, ServicesDep
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


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The request body for OpenAPI, since bodies are parsed here rather than by FastAPI."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}},
        }
    }


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """A JSON schema with its local `$defs` references written out in place."""
    if isinstance(schema, dict):
        reference = schema.get("$ref", "")
        if reference.startswith("#/$defs/"):
            return _inline(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


@dataclass(frozen=True)
class Target:
    """The aggregate a command addresses, and the sub-entity of it the path names, if any.

    `part` names the aggregate's attribute holding its sub-entities by id (as strings):
    `Target(Customer, customer_id, "guarantees", guarantee_id)`.
    """

    kind: type[Aggregate]
    id: UUID
    part: str | None = None
    part_id: UUID | str | None = None

    def exists(self, services: Services) -> bool:
        """True when the aggregate, and the sub-entity if one is named, exist."""
        if self.part is None:
            return services.backoffice.exists(self.id, self.kind)
        try:
            aggregate = services.backoffice.get(self.id, self.kind)
        except NotFound:
            return False
        return str(self.part_id) in getattr(aggregate, self.part)


class CommandCall:
    """One command request over HTTP: its caller and headers, its body, then its answer."""

    def __init__(self, http: Request, caller: Caller, services: Services) -> None:
        self.http = http
        self.caller = caller
        self.services = services
        self.target: Target | None = None
        self.data: Any = None

    async def read(
        self, command: type[Command], model: type[Body], target: Target | None = None
    ) -> Body:
        """Check the caller's role for the command, then parse the body (404 before 422)."""
        self.http.state.command = command.__name__  # its outcome is counted and logged
        self.caller.require(command.permission)
        self.target = target
        raw = await self.http.body()
        try:
            self.data, body = _parse(raw, model)
        except ValidationFailed:
            if target is not None and not await run_in_threadpool(target.exists, self.services):
                raise NotFound("no such resource") from None
            raise
        return body

    async def answer(self, command: Command, *, created_id: str | None = None) -> JSONResponse:
        """Run the command and answer `{id, version, position}`, with ETag (and Location).

        `created_id` names the outcome's extra holding the id of a sub-entity the command
        creates (a guarantee, an invoice): that id is answered, with 201.
        """
        return await run_in_threadpool(self._run, command, created_id)

    def _run(self, command: Command, created_id: str | None) -> JSONResponse:
        key = self.http.headers.get("idempotency-key")
        request = CommandRequest(
            caller=self.caller,
            expected_version=expected_version(self.http.headers.get("if-match")),
            idempotency_key=key,
            # Only a key's replay compares fingerprints: without a key, none is computed.
            fingerprint=_fingerprint(self.http, self.data) if key is not None else "",
        )
        target = self.target
        # The application checks If-Match on the aggregate before the handler looks for
        # the sub-entity: an unknown one must answer 404 first (404 -> 409).
        if (
            target is not None
            and target.part is not None
            and request.expected_version is not None
            and not target.exists(self.services)
        ):
            raise NotFound("no such resource")
        outcome = self.services.backoffice.handle(request, command)
        extra = dict(outcome.extra)
        answered_id = extra.pop(created_id) if created_id else str(outcome.id)
        content: dict[str, Any] = {"id": answered_id, "version": outcome.version, **extra}
        if outcome.position is not None:
            content["position"] = outcome.position
        self.http.state.aggregate_id = str(outcome.id)  # for the request's log line
        self.http.state.position = outcome.position
        headers = {"ETag": f'"{outcome.version}"'}
        created = outcome.created or created_id is not None
        if created:
            headers["Location"] = f"{self.http.url.path}/{answered_id}"
        return JSONResponse(content, status_code=201 if created else 200, headers=headers)


async def command_call(http: Request, caller: CurrentCaller, services: ServicesDep) -> CommandCall:
    """The command request of a route: authenticated (401 before anything else)."""
    return CommandCall(http, caller, services)


CommandDep = Annotated[CommandCall, Depends(command_call)]
