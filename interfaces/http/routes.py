"""Declaring command routes: one line per command of an aggregate's resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from application.backoffice import Backoffice
from application.permissions import COMMAND_ROLES
from domain.errors import NotFound
from interfaces.http.commands import execute
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import history_answer, moment
from interfaces.http.schemas.common import Command


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


def body_schema(model: type[Command]) -> dict[str, Any]:
    """The request body for OpenAPI: bodies are parsed by hand (see commands.py)."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}},
        }
    }


def _summary(kind: type, permission: str) -> str:
    roles = ", ".join(sorted(COMMAND_ROLES[permission] | {"admin"}))
    return f"{kind.__name__} command {permission} ({roles})."


def create_route(
    router: APIRouter,
    kind: type,
    permission: str,
    model: type[Command],
    call: Callable[[Backoffice, Any, Any], Any],
) -> None:
    """Register `POST` on the collection: a command creating an aggregate, answered 201."""

    async def route(http: Request, caller: CurrentCaller, services: ServicesDep) -> JSONResponse:
        backoffice = services.backoffice
        return await execute(
            http,
            caller,
            services,
            permission=permission,
            model=model,
            call=lambda command, body: call(backoffice, command, body),
            location=lambda o: f"{router.prefix}/{o.id}",
        )

    route.__doc__ = _summary(kind, permission)
    router.add_api_route(
        "",
        route,
        methods=["POST"],
        name=permission,
        status_code=201,
        openapi_extra=body_schema(model),
    )


def command_route(
    router: APIRouter,
    kind: type,
    path: str,
    permission: str,
    model: type[Command],
    call: Callable[..., Any],
    *,
    answer_with: str | None = None,
    sub: type | None = None,
    sub_in: Callable[[Any], Any] | None = None,
) -> None:
    """Register a route running one command on the aggregate whose id is in the path.

    `path` names the id `{id}`. With `answer_with`, the command creates a sub-entity at
    `path`: its id is answered, with 201 and a Location below `path`. With `sub` (`str`
    or `UUID`), the command addresses a sub-entity named `{sub}` in the path (a
    guarantee, an overrun), and `call` takes it after the aggregate's id; `sub_in` gives
    the aggregate's sub-entities by id, so that an unknown one answers 404 before a bad
    body answers 422, as an unknown aggregate does.
    """

    async def run(
        id: UUID, subject: Any, http: Request, caller: Any, services: Any
    ) -> JSONResponse:
        backoffice = services.backoffice
        here = f"{router.prefix}{path.format(id=id, sub=subject)}"
        ids = (id,) if sub is None else (id, subject)

        def exists() -> bool:
            if sub_in is None:
                return backoffice.exists(id, kind)
            try:
                return str(subject) in sub_in(backoffice.get(id, kind))
            except NotFound:
                return False

        def act(command: Any, body: Any) -> Any:
            # The application checks If-Match on the aggregate before the command looks
            # for the sub-entity: an unknown one must answer 404 first (404 -> 409).
            if sub_in is not None and command.expected_version is not None and not exists():
                raise NotFound("no such resource")
            return call(backoffice, command, *ids, body)

        return await execute(
            http,
            caller,
            services,
            permission=permission,
            model=model,
            call=act,
            exists=exists,
            answer_with=answer_with,
            location=lambda o: f"{here}/{o.extra[answer_with]}" if answer_with else here,
        )

    async def on_aggregate(
        id: UUID, http: Request, caller: CurrentCaller, services: ServicesDep
    ) -> JSONResponse:
        return await run(id, None, http, caller, services)

    async def on_named(
        id: UUID, sub: str, http: Request, caller: CurrentCaller, services: ServicesDep
    ) -> JSONResponse:
        return await run(id, sub, http, caller, services)

    async def on_identified(
        id: UUID, sub: UUID, http: Request, caller: CurrentCaller, services: ServicesDep
    ) -> JSONResponse:
        return await run(id, sub, http, caller, services)

    route = {None: on_aggregate, str: on_named, UUID: on_identified}[sub]
    route.__doc__ = _summary(kind, permission)
    router.add_api_route(
        path,
        route,
        methods=["POST"],
        name=permission,
        status_code=201 if answer_with else 200,
        openapi_extra=body_schema(model),
    )


def aggregate_reads(
    router: APIRouter, kind: type, represent: Callable[[Any], dict[str, Any]]
) -> None:
    """Register `GET /{id}` (now, `?version=`, `?as_of=`) and `GET /{id}/history`."""
    noun = kind.__name__.lower()

    def get_one(
        id: UUID,
        caller: CurrentCaller,
        services: ServicesDep,
        version: int | None = None,
        as_of: str | None = None,
    ) -> JSONResponse:
        aggregate = services.backoffice.get(id, kind, version=version, as_of=moment(as_of, "as_of"))
        return JSONResponse(represent(aggregate), headers={"ETag": f'"{aggregate.version}"'})

    def history(
        id: UUID,
        caller: CurrentCaller,
        services: ServicesDep,
        limit: int | None = None,
        cursor: str | None = None,
        wait_for: int | None = None,
    ) -> JSONResponse:
        return history_answer(services, kind, id, limit, cursor, wait_for)

    get_one.__doc__ = (
        f"A {noun} now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."
    )
    history.__doc__ = f"Every event of a {noun}, oldest first, with actor and both times."
    router.add_api_route("/{id}", get_one, methods=["GET"], name=f"{noun}.get")
    router.add_api_route("/{id}/history", history, methods=["GET"], name=f"{noun}.history")
