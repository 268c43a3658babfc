"""After `mops demo`: late deliveries' penalties, one of them waived, interest debit notes
on the longest overdue invoices, and the sales and credit reports agreeing with them."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from fastapi.testclient import TestClient

from application.backoffice import Backoffice
from domain.contract import Contract
from interfaces.bootstrap import build
from interfaces.http.app import create_app
from tests.conftest import bearer

ZERO = Decimal("0.00")
SUMMARY = re.compile(
    r"(\d+) late-delivery penalties assessed \(([\d.]+)\), waived: 1 of ([\d.]+), "
    r"interest of ([\d.]+) charged on (\d+) overdue contracts"
)


def demo_contracts(database: Any) -> tuple[list[Contract], dict[str, list[Any]]]:
    """Every contract of the demo, and the waivers and interest charges in the log."""
    app = Backoffice(database.env())
    try:
        drafted = app.recorder.select_notifications(1, 10_000, topics=[get_topic(Contract.Drafted)])
        contracts = [app.get(UUID(str(n.originator_id)), Contract) for n in drafted]
        facts = {
            name: [
                event
                for c in contracts
                for event in app.events.get(c.id)
                if isinstance(event, kind)
            ]
            for name, kind in (
                ("waived", Contract.PenaltyWaived),
                ("charged", Contract.InterestCharged),
                ("assessed", Contract.PenaltyAssessed),
            )
        }
    finally:
        app.close()
    return contracts, facts


def test_the_demo_waives_one_penalty_and_charges_interest_on_the_longest_overdue(seeded_demo):
    contracts, facts = demo_contracts(seeded_demo.database)
    by_id = {c.id: c for c in contracts}
    penalties = [p for c in contracts for p in c.penalties.values()]
    # Late deliveries of contracts with a penalty rate assessed penalties; one is waived.
    assert len(penalties) >= 2 and all(p["amount"] > 0 for p in penalties)
    assert len(facts["assessed"]) == len(penalties)
    [waived] = [p for p in penalties if p["waived"]]
    [waiver] = facts["waived"]
    contract = by_id[waiver.originator_id]
    assert waiver.penalty_id == waived["id"] and waiver.amount == waived["amount"]
    # By a sales manager who does not own the contract; its credit went back on the items.
    assert waiver.actor != contract.owner_id
    assert sum((r["amount"] for r in waiver.reversals), ZERO) == waived["applied"]
    assert contract.status in ("active", "terminated")
    assert contract.penalties_credited == sum(
        (p["amount"] for p in contract.penalties.values() if not p["waived"]), ZERO
    )

    # Interest: one debit note on each charged contract, through the day of the demo,
    # over invoices overdue then; the contracts are those of the oldest overdue invoices.
    charged = facts["charged"]
    assert charged and len({e.originator_id for e in charged}) == len(charged)
    today = datetime.now(UTC).date()
    for event in charged:
        note = by_id[event.originator_id].debit_notes[str(event.debit_note_id)]
        assert note["amount"] == event.amount == sum((b["amount"] for b in event.basis), ZERO)
        assert event.amount > 0 and (today - event.through).days <= 1
        invoices = by_id[event.originator_id].invoices
        for basis in event.basis:
            assert invoices[str(basis["invoice_id"])]["due_on"] < basis["first_day"]
    overdue = {
        c.id: [
            i["due_on"]
            for i in c.invoices.values()
            if i["settled"] < i["amount"] and i["due_on"] < today
        ]
        for c in contracts
        if c.status in ("active", "terminated")
    }
    oldest = sorted((min(days), cid) for cid, days in overdue.items() if days)
    charged_ids = {e.originator_id for e in charged}
    assert {cid for _, cid in oldest[: len(charged)]} == charged_ids

    # The summary tells the same figures.
    found = SUMMARY.search(seeded_demo.output)
    assert found is not None, seeded_demo.output
    count, assessed, waived_amount, interest, on = found.groups()
    assert int(count) == len(penalties)
    assert Decimal(assessed) == sum((p["amount"] for p in penalties), ZERO)
    assert Decimal(waived_amount) == waived["amount"]
    assert Decimal(interest) == sum((c.interest_charged for c in contracts), ZERO) > 0
    assert int(on) == len(charged_ids)


def money(value: str | None) -> Decimal:
    return Decimal(value or "0")


def test_the_sales_and_credit_reports_agree_with_the_contracts(seeded_demo):
    contracts, _ = demo_contracts(seeded_demo.database)
    services = build(seeded_demo.database.settings(read_wait_seconds=120), run_projections=True)
    try:
        head = services.backoffice.max_position()
        for name in ("sales", "credit"):
            assert services.read_side.wait(name, head, timeout=120), name
        with TestClient(create_app(services=services)) as client:
            finance = bearer("f", "finance")
            sales = client.get(
                "/reports/sales",
                params={"group_by": "customer", "limit": 1000},
                headers=bearer("m", "sales_manager"),
            )
            credit = client.get("/reports/credit", params={"limit": 1000}, headers=finance)
    finally:
        services.close()
    assert sales.status_code == 200, sales.text
    assert credit.status_code == 200, credit.text
    expected: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for c in contracts:
        if c.signed_on is None:
            continue
        figures = expected[str(c.customer_id)]
        figures["penalties"] += c.penalties_credited
        figures["interest_charged"] += c.interest_charged
        figures["outstanding"] += c.outstanding
        figures["exposure"] += c.exposure
    sold = {row["customer_id"]: row for row in sales.json()["items"]}
    positions = {row["customer_id"]: row for row in credit.json()["items"]}
    for customer_id, figures in expected.items():
        for measure in ("penalties", "interest_charged"):
            assert money(sold[customer_id][measure]) == figures[measure], (customer_id, measure)
        for measure in ("outstanding", "exposure"):
            row = positions[customer_id]
            assert money(row[measure]) == figures[measure], (customer_id, measure)
    # And the totals: penalties net of the waiver, interest as the debit notes.
    for measure, rows in (
        ("penalties", sold),
        ("interest_charged", sold),
        ("outstanding", positions),
    ):
        total = sum((money(row[measure]) for row in rows.values()), ZERO)
        assert total == sum((f[measure] for f in expected.values()), ZERO), measure
    assert sum((f["penalties"] for f in expected.values()), ZERO) > 0
    assert sum((f["interest_charged"] for f in expected.values()), ZERO) > 0
