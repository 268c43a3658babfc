"""A typed client generated from `/openapi.json` runs a command and reads a report.

`datamodel-code-generator` writes pydantic models of every named schema of the document
(the command bodies and the answers); the test builds a body with them, sends it, and
reads the customer and the follow-ups report back into them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interfaces.http.app import create_app
from tests.conftest import bearer

pytest.importorskip("datamodel_code_generator", reason="the test extras hold the generator")

SALES = bearer("e-sales-01", "sales")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The models generated from the document the app serves (the same for each dialect)."""
    where = tmp_path_factory.mktemp("client")
    document = where / "openapi.json"
    document.write_text(json.dumps(create_app().openapi()))
    models = where / "mops_models.py"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            "--input",
            str(document),
            "--input-file-type",
            "openapi",
            "--output",
            str(models),
            "--output-model-type",
            "pydantic_v2.BaseModel",
            "--target-python-version",
            "3.11",
            "--formatters",
            "ruff-format",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return _imported(models)


def _imported(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # generic models look themselves up there
    spec.loader.exec_module(module)
    return module


def _sent(body: Any) -> dict[str, Any]:
    """A generated body model as the JSON it sends."""
    sent: dict[str, Any] = body.model_dump(mode="json", exclude_none=True)
    return sent


def test_the_served_document_is_the_one_generated_from(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == create_app().openapi()


def test_a_generated_client_registers_a_lead_and_reads_the_follow_ups_report(
    client: TestClient, generated: ModuleType
) -> None:
    """Command bodies and answers are typed: a lead registered from the generated
    `RegisterLead`, read back as a `CustomerView`; a follow-up logged from
    `RecordFollowUp`; the customer due in a `FollowUpsReport`."""
    lead = generated.RegisterLead.model_validate(
        {
            "name": "Suzhou Kaixin Valves Ltd.",
            "kind": "company",
            "source": "web",
            "region": "East",
            "contacts": [{"name": "Chen Jie", "email": "chen.jie@kaixin.example"}],
        }
    )
    created = client.post("/customers", json=_sent(lead), headers=SALES)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]

    read = client.get(f"/customers/{customer_id}", headers=SALES)
    customer = generated.CustomerView.model_validate(read.json())
    assert (customer.name, customer.status, customer.region) == (
        "Suzhou Kaixin Valves Ltd.",
        "lead",
        "East",
    )
    assert read.headers["ETag"] == f'"{customer.version}"'

    follow_up = generated.RecordFollowUp(
        kind="call", notes="Asked for a quote on DN100 valves", next_follow_up_on="2030-01-15"
    )
    logged = client.post(
        f"/customers/{customer_id}/follow-ups",
        json=_sent(follow_up),
        headers={**SALES, "If-Match": read.headers["ETag"]},
    )
    assert logged.status_code == 200, logged.text

    answer = client.get("/reports/follow-ups?due_by=2030-01-31", headers=SALES)
    report = generated.FollowUpsReport.model_validate(answer.json())
    [row] = [row for row in report.items if row.customer_id == customer_id]
    assert (row.name, str(row.next_follow_up_on)) == ("Suzhou Kaixin Valves Ltd.", "2030-01-15")
    assert row.last_contact_at is not None
