"""What the OpenAPI document says each kind of route answers, declared once.

API.md fixes the answers: an error is RFC 9457 `application/problem+json` whose `code`
belongs to its status (401 `unauthenticated`, 409 `invalid_state`, ...); a command answers
`{id, version, position?}` plus its extras, with `ETag: "<version>"`, and `201` with a
`Location` when it creates. A route names its kind in its decorator
(`@router.post(..., responses=COMMAND)`), so the document says what the server does and
a client (or schemathesis) can hold the server to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import FastAPI
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from interfaces.http.docs import install_docs
from interfaces.http.schemas.answers.common import Event

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One field's complaint in a `validation_error`: the field as a dotted path."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem; a broken rule's facts ride along as extra members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`/problems/<code>`")
    title: str
    status: int
    detail: str
    code: str = Field(description="the error code of API.md")


class InvalidInput(Problem):
    """A 422: `validation_error` naming each malformed field, or a business rule's code."""

    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="each malformed field (`validation_error` only)"
    )


class CommandAnswer(BaseModel):
    """A command's answer: the aggregate (or created sub-entity) and its new version."""

    model_config = ConfigDict(extra="allow")

    id: str
    version: int = Field(ge=1, description="the aggregate's version after the command")
    position: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = Field(
        default=None, description="the log position to pass as `wait_for`"
    )


# Words for a reader of the model, left out of the schema every response repeats.
_ANNOTATIONS = frozenset({"title", "description", "default"})


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, its `$defs` written out in place, without annotations.

    Inline, because FastAPI lists in `components` only the models of `model=` responses,
    and documents those as `application/json`; a problem is `application/problem+json`.
    """
    schema = model.model_json_schema()
    inlined: dict[str, Any] = _inline(schema, schema.pop("$defs", {}))
    return inlined


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref", "")
    if reference.startswith("#/$defs/"):
        return _inline(definitions[reference.removeprefix("#/$defs/")], definitions)
    inlined = {}
    for key, value in schema.items():
        if key == "properties":  # names of members, not keywords: keep every one
            inlined[key] = {name: _inline(inner, definitions) for name, inner in value.items()}
        elif key not in _ANNOTATIONS:
            inlined[key] = _inline(value, definitions)
    return inlined


# The codes each status may carry (API.md, Errors); a 422 carries `validation_error` or
# the code of the business rule that refused the command, a 413 the one of the body limit.
CODES_BY_STATUS: dict[int, tuple[str, ...]] = {
    401: ("unauthenticated",),
    403: ("forbidden", "segregation_of_duties"),
    404: ("not_found",),
    409: ("invalid_state", "version_conflict", "idempotency_key_reused"),
    413: ("payload_too_large",),
    500: ("internal_error", "corrupt_stream"),
    503: ("database_unavailable", "database_busy", "signing_key_missing"),
}
WHEN_BY_STATUS = {
    401: "no token, or a bad or expired one",
    403: "the role may not do this, or the subject may not act in that capacity",
    404: "an id names nothing that exists",
    409: "not allowed in the current state, or `If-Match` / `Idempotency-Key` conflict",
    413: "the body is larger than `MOPS_MAX_BODY_BYTES`",
    422: "malformed input (`validation_error`, with `errors`), or a business rule's code",
    500: "an unexpected error (`internal_error`, with `request_id`) or a broken stream",
    503: "the database cannot be reached, or no connection is free (`Retry-After`); "
    "or, for a seal, the deployment has no signing key",
}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response of a problem+json of one status, its codes named."""
    schema = json_schema(InvalidInput if status == 422 else Problem)
    properties = schema["properties"]
    properties["status"] = {**properties["status"], "const": status}
    if status in CODES_BY_STATUS:
        properties["code"] = {**properties["code"], "enum": list(CODES_BY_STATUS[status])}
    return {"description": WHEN_BY_STATUS[status], "content": {PROBLEM_JSON: {"schema": schema}}}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: problem_response(status) for status in statuses}


ETAG = {
    "description": 'the version after the command, as `"<version>"`',
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
LOCATION = {
    "description": "the path of what the command created",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}


def _answer(
    description: str, model: type[CommandAnswer] = CommandAnswer, **headers: dict[str, Any]
) -> dict[str, Any]:
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": json_schema(model)}},
    }


# What fails any request: the server, or its database. Any request may also answer 422:
# a query parameter, even one the route does not take, holding a NUL is refused.
_SERVER = (500, 503)
# A command, in API.md's order of checks: 401 token → 403 role → 404 id → 422 body → 409
# If-Match → 409 state → 403 duties → 422 rule; or 413, a body too large to read. An id a
# body names may be unknown too, so a create may answer 404.
_COMMAND_PROBLEMS = _problems(401, 403, 404, 409, 413, 422, *_SERVER)

COMMAND: dict[int | str, dict[str, Any]] = {
    200: _answer("done: the aggregate's id and new version", ETag=ETAG),
    **_COMMAND_PROBLEMS,
}
"""A command acting on an aggregate: `POST /{collection}/{id}/{command}` → 200."""

CREATE: dict[int | str, dict[str, Any]] = {
    201: _answer("created: its id and version", ETag=ETAG, Location=LOCATION),
    **_COMMAND_PROBLEMS,
}
"""A command that creates an aggregate or a sub-entity of one → 201 with `Location`."""


def command_of(model: type[CommandAnswer], *, created: bool = False) -> dict[int | str, Any]:
    """A command whose answer carries extras (`finalize`'s `score`): `COMMAND` or `CREATE`
    with the answer's model, a `CommandAnswer` whose extras have defaults (see `position`)."""
    if created:
        answer = _answer("created: its id and version", model, ETag=ETAG, Location=LOCATION)
        return {201: answer, **_COMMAND_PROBLEMS}
    answer = _answer("done: the aggregate's id and new version", model, ETag=ETAG)
    return {200: answer, **_COMMAND_PROBLEMS}


READ: dict[int | str, dict[str, Any]] = _problems(401, 403, 404, 422, *_SERVER)
"""A query addressing something by id: `GET /{collection}/{id}`, its history, a report."""

LIST: dict[int | str, dict[str, Any]] = _problems(401, 403, 422, *_SERVER)
"""A list or a report, filtered by its query parameters (if it takes any)."""

OPEN: dict[int | str, dict[str, Any]] = _problems(422, 500)
"""A query anyone may make (`/health`): the process answers while it lives."""


# What a 2xx answers, declared on the route: `responses=read_of(CustomerView)` and the like.
# The routes answer `JSONResponse`s, so these models document the answer without
# serialising it; the fuzz test holds the server to them.

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """A page of a list: its items, and the cursor to the next page (null on the last)."""

    items: list[Item]
    next_cursor: str | None = Field(description="pass as `?cursor=` for the next page")


_PAGES: dict[type[BaseModel], type[BaseModel]] = {}


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The page model of a list's items, named after them (`CustomerItemPage`)."""
    if item not in _PAGES:
        name = f"{item.__name__.removesuffix('Item')}Page"
        _PAGES[item] = create_model(name, __base__=Page[item], __doc__=Page.__doc__)  # type: ignore[valid-type]
    return _PAGES[item]


ETAG_OF_READ = {
    "description": 'the version read, as `"<version>"`: send it as `If-Match` with a command',
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}


def read_of(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """`GET /{collection}/{id}`: the aggregate (now, at a version, or as of a time), ETag."""
    answer = {"model": model, "description": "the aggregate", "headers": {"ETag": ETAG_OF_READ}}
    return {200: answer, **READ}


def list_of(
    item: type[BaseModel], errors: dict[int | str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A paginated list of items (`GET /{collection}`, history, the audit log)."""
    return {200: {"model": page_of(item), "description": "a page of items"}, **(errors or LIST)}


def history_of() -> dict[int | str, dict[str, Any]]:
    """`GET /{collection}/{id}/history`: a page of the aggregate's events, oldest first."""
    return list_of(Event, READ)


def answer_of(
    model: type[BaseModel],
    errors: dict[int | str, Any] | None = None,
    description: str = "the answer",
) -> dict[int | str, dict[str, Any]]:
    """Any other query's 200 (a report, a sub-entity, a status) with its problems."""
    return {
        200: {"model": model, "description": description},
        **(errors if errors is not None else READ),
    }


# The bearer token of API.md: FastAPI lists the scheme, and the requirement on every
# operation that depends on it (the caller's dependency does, `interfaces/http/deps.py`).
bearer = HTTPBearer(
    bearerFormat="JWT",
    description="`Authorization: Bearer <JWT>` (HS256; claims `sub`, `roles`, `exp`): "
    "`mops token --sub NAME --role ROLE` prints one",
    auto_error=False,
)

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'the version the command expects, as `"<version>"` (the `ETag` of a read); '
    "another version answers 409 `version_conflict` and writes nothing",
    "schema": {"type": "string"},
    "example": '"3"',
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "any string of the caller's: the same key with the same body answers the "
    "first answer again and writes nothing; with another body, 409 `idempotency_key_reused`",
    "schema": {"type": "string"},
    "example": "order-2026-0042",
}


def machine_name(summary: str | None, operation_id: str) -> bool:
    """Whether a summary is only the route function's name (FastAPI's default)."""
    return not summary or operation_id.startswith(summary.lower().replace(" ", "_") + "_")


def _first_clause(description: str) -> str:
    """A docstring's first line up to its role list or qualification, without markup."""
    first = description.split("\n\n")[0].replace("\n", " ").strip()
    first = re.sub(r" \([^()]*\)", "", first)  # the roles who may, a parameter's name
    return re.split(r"; |: ", first)[0].rstrip(".").replace("`", "").strip()


def _describe(document: dict[str, Any]) -> dict[str, Any]:
    """Fill in what every operation says the same way: summaries from docstrings, and the
    headers and example of each command's request."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if machine_name(operation.get("summary"), operation["operationId"]):
                written = _first_clause(operation.get("description", ""))
                if written:
                    operation["summary"] = written
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            named = {p["name"] for p in operation.get("parameters", [])}
            for header in (IF_MATCH, IDEMPOTENCY_KEY):
                if header["name"] not in named:
                    operation.setdefault("parameters", []).append(header)
            examples = body["schema"].get("examples")
            if examples and "example" not in body:
                body["example"] = examples[0]
            _name_body(document, operation, body)
    return document


def _name_body(document: dict[str, Any], operation: dict[str, Any], body: dict[str, Any]) -> None:
    """List a command's body among the components under its model's name too, so that a
    generated client has a named type for it (`RegisterLead`); two models of one name
    are told apart by their resource (`RisksReopen`, `ComplaintsReopen`). The request keeps
    its schema written out in place: a reader (or a fuzzer) of one operation needs no
    lookup."""
    schema = body["schema"]
    if "$ref" in schema:
        return
    components = document.setdefault("components", {}).setdefault("schemas", {})
    title = schema.get("title", "Body")
    resource = "".join(part.title() for part in re.split(r"[-_ ]", operation["tags"][0]))
    for name in (title, resource + title, f"{resource}{title}_{operation['operationId']}"):
        if components.get(name, schema) == schema:
            components[name] = schema
            return


# FastAPI's own `/docs` and `/redoc` load their assets from a CDN: an app passes these to
# `FastAPI(...)`, and `install` serves the pages with local assets instead (docs.py).
WITHOUT_CDN_DOCS: dict[str, Any] = {"docs_url": None, "redoc_url": None}


def install(app: FastAPI) -> None:
    """Serve `/docs`, `/redoc` and the document, with summaries, command headers, examples
    and named bodies filled in."""
    install_docs(app)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return _describe(generate())

    app.openapi = openapi  # type: ignore[method-assign]
