"""What the OpenAPI document says each kind of route answers, declared once.

API.md fixes the answers: an error is RFC 9457 `application/problem+json` whose `code`
belongs to its status (401 `unauthenticated`, 409 `invalid_state`, ...); a command answers
`{id, version, position?}` plus its extras, with `ETag: "<version>"`, and `201` with a
`Location` when it creates. A route names its kind in its decorator
(`@router.post(..., responses=COMMAND)`), so the document says what the server does and
a client (or schemathesis) can hold the server to it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

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


def _answer(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": json_schema(CommandAnswer)}},
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

READ: dict[int | str, dict[str, Any]] = _problems(401, 403, 404, 422, *_SERVER)
"""A query addressing something by id: `GET /{collection}/{id}`, its history, a report."""

LIST: dict[int | str, dict[str, Any]] = _problems(401, 403, 422, *_SERVER)
"""A list or a report, filtered by its query parameters (if it takes any)."""

OPEN: dict[int | str, dict[str, Any]] = _problems(422, 500)
"""A query anyone may make (`/health`): the process answers while it lives."""
