"""Issue 17, point 8: schemathesis over the live OpenAPI, on SQLite and PostgreSQL.

Every operation of `/openapi.json` is called in-process (ASGI) with requests generated
from the document, against a database holding a small demo company, so that most ids in
paths name real aggregates and commands get past 404 to their bodies, states and rules:

- the fuzzing phase: valid and invalid parameters and bodies drawn at random, as one of
  a few roles or with no token, a bounded number per operation;
- the coverage phase: schemathesis' deterministic boundary cases of every parameter and
  body field (one past each bound, each missing field, wrong types, other methods), as
  admin, who may issue every command, so that bodies reach the rules.

A request fails its test when it answers a 5xx, a status the document does not list for
its operation, or a body, content type or header that the document does not describe.
`MOPS_FUZZ_EXAMPLES` sets the examples per operation of the fuzzing phase (the default
keeps the whole run to about two minutes per database on two cores); `MOPS_FUZZ_SEED`
draws another sample (the default seed keeps CI runs repeatable).
"""

from __future__ import annotations

import os
import random
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import strategies as st
from rich.console import Console
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from application.backoffice import Backoffice
from domain.budget import Budget
from domain.campaign import Campaign
from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.employee import Employee
from domain.expense_claim import ExpenseClaim
from domain.marketing_plan import MarketingPlan
from domain.opportunity import Opportunity
from domain.price_list import PriceList
from domain.risk import Risk
from interfaces.bootstrap import build
from interfaces.demo import write_demo
from interfaces.http.app import create_app
from interfaces.trust import new_signing_key
from tests.conftest import Database, bearer

EXAMPLES = int(os.environ.get("MOPS_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("MOPS_FUZZ_SEED", "17"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

ADMIN = bearer("fuzz-admin", "admin")
# Who calls in the fuzzing phase: admin (whose commands reach their bodies and rules)
# more often than the others, roles refused most commands, and nobody at all.
CALLERS: list[dict[str, str]] = [
    ADMIN,
    ADMIN,
    bearer("fuzz-sales", "sales", "sales_manager"),
    bearer("fuzz-finance", "finance", "executive"),
    bearer("fuzz-hr", "hr"),
    bearer("fuzz-auditor", "auditor"),
    {},
]

# The aggregate a path's `/{collection}/{id}` names, and the attribute holding the
# sub-entities a further `/{part}/{id}` names.
KINDS: dict[str, type] = {
    "customers": Customer,
    "contracts": Contract,
    "budgets": Budget,
    "campaigns": Campaign,
    "complaints": Complaint,
    "employees": Employee,
    "expense-claims": ExpenseClaim,
    "marketing-plans": MarketingPlan,
    "opportunities": Opportunity,
    "price-lists": PriceList,
    "risks": Risk,
}
PARTS = {
    "guarantees": "guarantees",
    "invoices": "invoices",
    "commitments": "commitments",
    "overruns": "overruns",
    "appraisals": "appraisals",
    "improvement-plans": "improvement_plans",
    "prices": "prices",
    "actions": "actions",
}
PATH_PARAMETER = re.compile(r"/([a-z-]+)/\{([a-z_]+)\}")


@dataclass(frozen=True)
class KnownIds:
    """Ids the database held when fuzzing began: aggregates by collection, and their parts."""

    by_collection: dict[str, list[str]]
    # aggregate id -> path segment of a part (`guarantees`) -> the ids of those parts
    parts: dict[str, dict[str, list[str]]]

    @classmethod
    def of(cls, backoffice: Backoffice) -> KnownIds:
        """Every aggregate a path can name, and its parts, read from the log."""
        notifications = backoffice.recorder.select_notifications(
            start=1, limit=backoffice.max_position() + 1
        )
        collection_of = {kind: segment for segment, kind in KINDS.items()}
        by_collection: dict[str, list[str]] = {segment: [] for segment in KINDS}
        parts: dict[str, dict[str, list[str]]] = {}
        for originator_id in sorted({str(n.originator_id) for n in notifications}):
            aggregate: Any = backoffice.repository.get(UUID(originator_id))
            if type(aggregate) not in collection_of:
                continue
            by_collection[collection_of[type(aggregate)]].append(originator_id)
            parts[originator_id] = {
                segment: sorted(str(key) for key in getattr(aggregate, attribute))
                for segment, attribute in PARTS.items()
                if hasattr(aggregate, attribute)
            }
        return cls(by_collection, parts)

    def address(
        self, path: str, generated: dict[str, Any], chance: random.Random
    ) -> dict[str, Any]:
        """The generated path parameters, or (three times in four) known ids in their place.

        When the path names a part (`/guarantees/{guarantee_id}`), the aggregate is one
        that has such parts, and the part one of its own.
        """
        named = PATH_PARAMETER.findall(path)
        if not named or chance.random() < 0.25:
            return generated
        (segment, name), parts = named[0], named[1:]
        candidates = [
            known
            for known in self.by_collection.get(segment, [])
            if all(self.parts[known].get(part) for part, _ in parts)
        ]
        if not candidates:
            return generated
        aggregate_id = chance.choice(candidates)
        addressed = {**generated, name: aggregate_id}
        for part, part_name in parts:
            addressed[part_name] = chance.choice(self.parts[aggregate_id][part])
        return addressed


@dataclass(frozen=True)
class LiveApp:
    """The app under fuzzing, reached in-process, and the ids its database knows."""

    client: asgi.ASGIClient
    known: KnownIds

    def check(self, case: Case, caller: dict[str, str], chance: random.Random) -> None:
        """Send the case, its path addressing known ids by chance; every check must pass."""
        case.path_parameters = self.known.address(case.path, case.path_parameters, chance)
        case.call_and_validate(
            base_url=f"http://{asgi.HOST}", session=self.client, headers=caller, checks=CHECKS
        )

    def read_models(self, timeout: float) -> list[dict[str, Any]]:
        """`GET /projections`, once every read model caught up with the log, or at timeout."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.client.get("/projections", headers=ADMIN)
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            if all(i["lag"] == 0 for i in items) or time.monotonic() > deadline:
                return items
            time.sleep(0.2)


@pytest.fixture(scope="module")
def live_app(module_database: Database) -> Iterator[LiveApp]:
    """The app on a database holding a small demo company, its read side in-process."""
    # With a signing key, as a deployment that seals has (without, /audit/seal is a 503).
    settings = module_database.settings(signing_key=new_signing_key())
    write_demo(settings, customers=8, months=2, seed=3, console=Console(quiet=True))
    services = build(settings, run_projections=True)
    try:
        with asgi.get_client(create_app(services=services)) as client:
            live = LiveApp(client, KnownIds.of(services.backoffice))
            # The read side folds the demo first: `/ready` answers 503 while it lags.
            live.read_models(timeout=120)
            yield live
            asgi.shutdown_lifespans()
    finally:
        services.close()


# The document the app serves, read when the tests are collected (it needs no database),
# so that each operation is a test of its own; the first test checks that the live app
# serves this very document. (Schemathesis' schema-from-a-fixture runner sets pytest's
# private `_nodeid`, which pytest 9.2 no longer has.)
DOCUMENT = create_app().openapi()
fuzzing = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            # Drawing a large body is slow on a busy two-core machine; that is no failure.
            "suppress-health-check": ["too_slow"],
            # The document's examples have their own test (below): `given` takes none.
            "phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}},
        }
    ),
)
coverage = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"database": "none"},
            "phases": {"fuzzing": {"enabled": False}, "examples": {"enabled": False}},
        }
    ),
)


def test_the_fuzzed_document_is_the_one_the_app_serves(live_app: LiveApp) -> None:
    """`GET /openapi.json` of the app under test answers the document fuzzed below."""
    served = live_app.client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT


def test_every_operation_documents_its_errors_as_problems() -> None:
    """Each operation lists 422 and 500 at least, each error as problem+json with codes;
    a command lists its answer `{id, version}` (the fuzzing holds the server to it)."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            where, responses = f"{method.upper()} {path}", operation["responses"]
            assert {"422", "500"} <= responses.keys(), where
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], where
                    problem = response["content"]["application/problem+json"]["schema"]
                    assert problem["properties"]["status"]["const"] == int(status), where
            if method == "post":
                [answer] = [responses[s] for s in ("200", "201") if s in responses]
                schema = answer["content"]["application/json"]["schema"]
                assert schema["required"] == ["id", "version"], where


# The examples of the document (a body per command), each sent once, as admin.
examples = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"database": "none"},
            "phases": {"fuzzing": {"enabled": False}, "coverage": {"enabled": False}},
        }
    ),
)


@fuzzing.parametrize()
@fuzzing.given(caller=st.sampled_from(CALLERS), chance=st.randoms(use_true_random=False))
def test_random_requests_answer_as_documented(
    case: Case, caller: dict[str, str], chance: random.Random, live_app: LiveApp
) -> None:
    """No 5xx; every status, body, content type and header as the document says."""
    live_app.check(case, caller, chance)


# Only commands (POST) carry examples: a GET would run no case, and only be skipped.
@examples.include(method="POST").parametrize()
def test_example_requests_answer_as_documented(case: Case, live_app: LiveApp) -> None:
    """The same, for the document's examples of each operation, sent as admin."""
    live_app.check(case, ADMIN, random.Random(zlib.crc32(f"{case.method} {case.path}".encode())))


@coverage.parametrize()
def test_boundary_requests_answer_as_documented(case: Case, live_app: LiveApp) -> None:
    """The same, for each boundary case of the operation, sent as admin."""
    # A case is fixed before the database exists: it addresses known ids by a chance
    # seeded with the case itself, the same in every run.
    body = None if isinstance(case.body, NotSet) else case.body  # NotSet's repr is an address
    seed = zlib.crc32(repr((case.method, case.path, case.path_parameters, body)).encode())
    live_app.check(case, ADMIN, random.Random(seed))


def test_every_read_model_folded_all_the_fuzzing_wrote(live_app: LiveApp) -> None:
    """After the fuzzing (this test runs after it), no fold failed on what it wrote and
    every read model caught up with the log: no request poisoned a read model."""
    items = live_app.read_models(timeout=15)
    assert [i["name"] for i in items if i["state"] == "failed"] == []
    assert [i["name"] for i in items if i["lag"] != 0] == []
