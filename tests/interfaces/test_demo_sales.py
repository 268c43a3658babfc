"""`mops demo` writes a year of contracts that the read models replay to the same rows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.contract import Contract
from interfaces.cli import cli


def test_demo_writes_contracts_in_many_states_consistently_and_verify_passes(seeded_demo):
    database, env, output = seeded_demo.database, seeded_demo.env, seeded_demo.output
    runner = CliRunner()
    assert "1 signing refused: credit_limit_exceeded (exposure" in output
    assert " contracts (" in output and " signed, " in output and " completed)" in output

    app = Backoffice(database.env())
    try:
        drafted = app.recorder.select_notifications(1, 10_000, topics=[get_topic(Contract.Drafted)])
        contracts = [app.get(n.originator_id, Contract) for n in drafted]
        written_off = app.recorder.select_notifications(
            1, 10_000, topics=[get_topic(Contract.WrittenOff)]
        )
        events = {c.id: list(app.events.get(c.id)) for c in contracts}
    finally:
        app.close()

    assert len(contracts) >= 10
    statuses = Counter(c.status for c in contracts)
    assert {"completed", "active", "cancelled", "terminated", "approved"} <= set(statuses)
    assert len(written_off) == 1
    today = datetime.now(UTC).date()
    for contract in contracts:
        for event in events[contract.id]:
            assert event.occurred_at <= datetime.now(UTC)
            if isinstance(event, Contract.InvoiceIssued):
                assert contract.signed_on <= event.issued_on <= today
            if isinstance(event, Contract.PaymentRecorded):
                issued = min(i["issued_on"] for i in contract.invoices.values())
                assert issued <= event.received_on <= today
            if isinstance(event, Contract.DeliveryRecorded):
                assert event.occurred_at.date() >= contract.signed_on
        assert contract.invoiced <= contract.total
        assert contract.paid + contract.written_off <= contract.invoiced

    rebuilt = runner.invoke(cli, ["projections", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["projections", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
