"""`mops demo` staffs the company through hiring and ends with a quarterly appraisal."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.contract import Contract
from domain.customer import Customer
from domain.employee import Employee, appraisal_score
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli


def test_demo_staff_are_hired_employees_who_act_and_are_appraised(database):
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    demo = runner.invoke(cli, ["demo", "--customers", "8", "--seed", "5"], env=env)
    assert demo.exit_code == 0, demo.output
    output = " ".join(demo.output.split())
    assert "20 staff hired (2 candidates turned down)" in output

    app = Backoffice(database.env())
    try:

        def all_of(event_class):
            found = app.recorder.select_notifications(1, 100_000, topics=[get_topic(event_class)])
            return [n.originator_id for n in found]

        people = [app.get(i, Employee) for i in all_of(Employee.CandidateRegistered)]
        owners = {app.get(i, Customer).owner_id for i in all_of(Customer.Registered)}
        contract_owners = {app.get(i, Contract).owner_id for i in all_of(Contract.Drafted)}
        actors = {n.actor for n in [*app.events.get(people[0].id)]}
        every_actor = {
            e.actor
            for i in [*all_of(Customer.Registered), *all_of(Contract.Drafted)]
            for e in app.events.get(i)
        }
    finally:
        app.close()

    statuses = Counter(p.status for p in people)
    assert statuses == {"active": 20, "rejected": 2}
    by_id = {str(p.id): p for p in people}
    for person in people:
        if person.status == "active":
            kinds = [i["kind"] for i in person.interviews if i["result"] == "pass"]
            assert {"interview", "background_check"} <= set(kinds)
            assert person.manager_id is None or by_id[person.manager_id].status == "active"
    sales = {str(p.id) for p in people if p.department == "sales" and p.targets}
    assert len(sales) == 5
    # Customers and contracts are owned and worked by real employees.
    assert owners <= sales and contract_owners <= sales
    assert every_actor <= set(by_id) and "it-admin" in actors
    finalized = [a for p in people for a in p.appraisals.values() if a["status"] == "finalized"]
    assert len(finalized) >= 10
    for appraisal in finalized:
        inputs = appraisal["inputs"]
        sources = {e["source"] for e in appraisal["evaluations"]}
        assert {"superior", "self", "peer"} <= sources
        # The stored inputs give the stored score again.
        reading = inputs["kpi_attainment"]
        again = appraisal_score(
            appraisal["evaluations"],
            inputs["source_weights"],
            inputs["component_weights"],
            reading["kpi_score"] if reading else None,
        )
        assert again["score"] == appraisal["score"]
        assert appraisal["score"] == appraisal["score"].quantize(Decimal("0.01"))

    rebuilt = runner.invoke(cli, ["projections", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["projections", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
