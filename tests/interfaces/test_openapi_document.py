"""The OpenAPI document is one a client generator can use (API.md, People, operations and
deployment): every answer's schema, the bearer scheme, the command headers, an example
per command, summaries for people; and `/docs` and `/redoc` work with no internet.

The fuzz test (tests/fuzz) holds the server's answers to these schemas.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

import interfaces.http.schemas as body_schemas
from interfaces.http.app import create_app
from interfaces.http.openapi import machine_name
from interfaces.http.schemas.common import Command
from tests.conftest import bearer

DOCUMENT = create_app().openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
# The operations anyone may call (API.md: `/health`, `/ready`; `/openapi.json`, `/docs` and
# `/redoc` are not operations of the document).
PUBLIC = {"GET /health", "GET /ready"}
ADMIN = bearer("doc-admin", "admin")

# Operations of other pieces of work, committed before this test, that their own work
# documents (ARCHITECTURE.md, Documenting a route): each fails its check, strictly, so
# that it leaves this list once documented. Nothing new joins it.
PENDING_ANSWERS: frozenset[str] = frozenset()
PENDING_SUMMARIES: frozenset[str] = frozenset()
PENDING_EXAMPLES: frozenset[str] = frozenset()


def _cases(
    operations: list[tuple[str, dict[str, Any]]], pending: frozenset[str] = frozenset()
) -> list[Any]:
    """The operations as test cases, those still pending expected to fail."""
    xfail = pytest.mark.xfail(strict=True, reason="documented by its own piece of work")
    return [
        pytest.param(where, operation, id=where, marks=[xfail] if where in pending else [])
        for where, operation in operations
    ]


def _schema_of(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema of the document, with the components its references point into."""
    return {**schema, "components": DOCUMENT.get("components", {})}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        return DOCUMENT["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize(("where", "operation"), _cases(OPERATIONS, PENDING_ANSWERS))
def test_every_operation_describes_its_successful_answer(
    where: str, operation: dict[str, Any]
) -> None:
    """A 2xx with a content type and a schema that is not `{}`: an object's lists its
    properties, so a generated client has a type to read it into."""
    successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
    assert successes, where
    for response in successes.values():
        assert response.get("content"), where
        for media_type, content in response["content"].items():
            schema = _resolved(content.get("schema") or {})
            assert schema, (where, media_type)
            if media_type == "application/json":
                assert schema.get("properties"), (where, "an object with no properties")


@pytest.mark.parametrize(("where", "operation"), _cases(OPERATIONS, PENDING_SUMMARIES))
def test_every_operation_has_a_summary_for_people(where: str, operation: dict[str, Any]) -> None:
    """Not the route function's name (`Register Lead`): a docstring's first line, or
    `summary=` on the route."""
    summary = operation.get("summary", "")
    assert not machine_name(summary, operation["operationId"]), (where, summary)
    assert "`" not in summary and len(summary) <= 100, (where, summary)


@pytest.mark.parametrize(("where", "operation"), _cases(OPERATIONS))
def test_every_operation_but_health_and_ready_requires_the_bearer_token(
    where: str, operation: dict[str, Any]
) -> None:
    """The security requirement names the HTTP bearer scheme (JWT), and the operation lists
    401; `/health` and `/ready` need no token and list none."""
    if where in PUBLIC:
        assert not operation.get("security"), where
        assert "401" not in operation["responses"], where
        return
    assert operation.get("security") == [{"HTTPBearer": []}], where
    assert "401" in operation["responses"], where


def test_the_bearer_scheme_is_http_bearer_with_jwts() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["type"] == "http"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["HTTPBearer"]["bearerFormat"] == "JWT"


COMMANDS = [(where, op) for where, op in OPERATIONS if where.startswith("POST ")]


@pytest.mark.parametrize(("where", "operation"), _cases(COMMANDS, PENDING_EXAMPLES))
def test_every_command_documents_its_headers_and_an_example_body(
    where: str, operation: dict[str, Any]
) -> None:
    """`If-Match` and `Idempotency-Key` request headers, `ETag` on its answer, and a body
    example that its own schema accepts."""
    headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
    assert {"If-Match", "Idempotency-Key"} <= headers, where
    [answer] = [r for s, r in operation["responses"].items() if s in ("200", "201")]
    assert "ETag" in answer["headers"], where
    body = operation["requestBody"]["content"]["application/json"]
    assert "example" in body, (where, "a command body needs an example")
    errors = list(
        jsonschema_rs.validator_for(_schema_of(body["schema"])).iter_errors(body["example"])
    )
    assert errors == [], (where, [e.message for e in errors])


def _command_models() -> list[type[Command]]:
    models = []
    for info in pkgutil.iter_modules(body_schemas.__path__):
        module = importlib.import_module(f"{body_schemas.__name__}.{info.name}")
        models += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, Command)
            and value.__module__ == module.__name__
        ]
    return models


@pytest.mark.parametrize("model", _command_models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_body_example_passes_its_model(model: type[Command]) -> None:
    """What the API parses the body with accepts each example (it is no 422)."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    for example in examples if isinstance(examples, list) else []:
        model.model_validate(example)


# Examples of creates that name nothing else: the API takes each as it stands.
STANDALONE_CREATES = ["/customers", "/budgets", "/employees", "/price-lists", "/risks"]


@pytest.mark.parametrize("path", STANDALONE_CREATES)
def test_the_example_of_a_create_creates(client: TestClient, path: str) -> None:
    """Sent as admin to an empty database (each dialect), the example answers 201 and the
    aggregate it made reads back."""
    example = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    answer = client.post(path, json=example["example"], headers=ADMIN)
    assert answer.status_code == 201, answer.text
    assert client.get(answer.headers["Location"], headers=ADMIN).status_code == 200


def _local_urls(page: str) -> list[str]:
    """Every URL a docs page loads: scripts, styles, icons and the document itself."""
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    urls += re.findall(r"""(?:url|spec-url)\s*[:=]\s*["']([^"']+)["']""", page)
    return urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_what_mops_serves(client: TestClient, page: str) -> None:
    """No CDN: each script, style, icon and the document answer 200 from mops itself."""
    answer = client.get(page)
    assert answer.status_code == 200
    assert "http://" not in answer.text and "https://" not in answer.text
    urls = _local_urls(answer.text)
    assert "/openapi.json" in urls
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
