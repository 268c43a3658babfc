"""Complaint SLA figures against hand-computed expectations, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from application.commands.complaints import (
    AssignComplaint,
    CloseComplaint,
    ReceiveComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from domain.complaint import Complaint
from domain.values import Cause
from projections.complaints import ComplaintProjection, fold, p90, step_row
from projections.runner import READ_MODELS, close_view, fresh_view, verify
from tests.conftest import as_, bearer
from tests.factories import customer, employee

SLA_RESPONSE = {"critical": 2, "high": 8, "medium": 24, "low": 72}
SLA_RESOLUTION = {"critical": 24, "high": 72, "medium": 168, "low": 336}
SERVICE = as_("sue", "service")
AUDITOR = bearer("audrey", "auditor")


def t(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def by(at: datetime, delay: timedelta = timedelta(minutes=5)) -> Cause:
    """A cause recorded a little after the moment, so `occurred_at=at` is back-dated."""
    return Cause("sue", at + delay)


def received(at: datetime, severity: str, category: str, recorded=timedelta(hours=3)):
    return Complaint.receive(
        by(at, recorded),
        id=uuid4(),
        customer_id=uuid4(),
        channel="hotline",
        category=category,
        severity=severity,
        description="complaint",
        response_hours=SLA_RESPONSE,
        resolution_hours=SLA_RESOLUTION,
        occurred_at=at,
    )


def resolve(complaint, at, root_cause):
    complaint.resolve(
        by(at),
        resolution="fixed",
        root_cause=root_cause,
        corrective_action="fix the cause",
        occurred_at=at,
    )


@pytest.fixture
def hand_view(module_database):
    spec = READ_MODELS["complaints"]
    view = fresh_view(spec, module_database.env(), module_database.dialect, prefix="hand_")
    yield view
    view.drop()
    close_view(view)


def scenario():
    """Four complaints (times UTC, 2026):

    A high/delivery, in 03-02 09:00 (logged 12:00); answered 10:00 (logged 14:00): 1 h;
      resolved 03-03 09:00: 24 h (supplier); closed, satisfaction 4.
    B high/delivery, in 03-05 08:00; answered 20:00: 12 h, breach (due 16:00); resolved
      03-06 08:00 (process), closed 2; reopened 03-10 08:00; resolved again 03-12 08:00:
      168 h, breach (due 03-08 08:00) (product); closed 3.
    C critical/billing, in 03-20 10:00, assigned, never answered (due 12:00, 03-21 10:00).
    D medium/billing, in 04-02 12:00, answered 18:00: 6 h; unresolved (due 04-09 12:00).
    """
    a = received(t(3, 2, 9), "high", "delivery")
    a.assign(by(t(3, 2, 9, 30)), "emp-1", occurred_at=t(3, 2, 9, 30))
    a.respond(by(t(3, 2, 10), timedelta(hours=4)), "on it", occurred_at=t(3, 2, 10))
    resolve(a, t(3, 3, 9), "supplier")
    a.close(by(t(3, 3, 10)), 4, occurred_at=t(3, 3, 10))

    b = received(t(3, 5, 8), "high", "delivery")
    b.assign(by(t(3, 5, 9)), "emp-2", occurred_at=t(3, 5, 9))
    b.respond(by(t(3, 5, 20)), "sorry", occurred_at=t(3, 5, 20))
    resolve(b, t(3, 6, 8), "process")
    b.close(by(t(3, 6, 9)), 2, occurred_at=t(3, 6, 9))
    b.reopen(by(t(3, 10, 8)), "again", occurred_at=t(3, 10, 8))
    resolve(b, t(3, 12, 8), "product")
    b.close(by(t(3, 12, 9)), 3, occurred_at=t(3, 12, 9))

    c = received(t(3, 20, 10), "critical", "billing")
    c.assign(by(t(3, 20, 10, 30)), "emp-1", occurred_at=t(3, 20, 10, 30))

    d = received(t(4, 2, 12), "medium", "billing")
    d.assign(by(t(4, 2, 13)), "emp-2", occurred_at=t(4, 2, 13))
    d.respond(by(t(4, 2, 18)), "looking", occurred_at=t(4, 2, 18))
    return a, b, c, d


def project(view, *complaints):
    # Each complaint's events in its own order (their recording times interleave oddly:
    # the scenario back-dates freely).
    events = [e for c in complaints for e in c.collect_events()]
    projection = ComplaintProjection(view)
    for position, event in enumerate(events, start=1):
        projection.process_event(event, Tracking("Backoffice", position))


NONE_ROW = {
    "count": 0,
    "open": 0,
    "breached": 0,
    "responded_on_time": None,
    "resolved_on_time": None,
    "mean_response_hours": None,
    "p90_response_hours": None,
    "mean_resolution_hours": None,
    "p90_resolution_hours": None,
    "reopen_rate": None,
    "root_causes": {},
    "satisfaction_avg": None,
}


def test_sla_figures_by_hand_at_two_dates(hand_view):
    a, b, c, d = scenario()
    project(hand_view, a, b, c, d)

    # 03-08: only A and B are in; B's first resolution stands, it was not reopened yet.
    [early] = hand_view.report([], t(3, 8))
    assert early == {
        "count": 2,
        "open": 0,
        "breached": 1,
        "responded_on_time": 0.5,
        "resolved_on_time": 1.0,
        "mean_response_hours": 6.5,
        "p90_response_hours": 12.0,
        "mean_resolution_hours": 24.0,
        "p90_resolution_hours": 24.0,
        "reopen_rate": 0.0,
        "root_causes": {"process": 1, "supplier": 1},
        "satisfaction_avg": 3.0,
    }

    # 04-05: B's latest resolution counts (168 h, breached), C is open past both
    # deadlines, D answered on time with its resolution still undecided.
    [late] = hand_view.report([], t(4, 5))
    assert late == {
        "count": 4,
        "open": 2,
        "breached": 2,
        "responded_on_time": 0.5,
        "resolved_on_time": 0.3333,
        "mean_response_hours": 6.33,
        "p90_response_hours": 12.0,
        "mean_resolution_hours": 96.0,
        "p90_resolution_hours": 168.0,
        "reopen_rate": 0.5,
        "root_causes": {"product": 1, "supplier": 1},
        "satisfaction_avg": 3.5,
    }

    grouped = hand_view.report(["period", "severity"], t(4, 5))
    assert grouped == [
        {
            **NONE_ROW,
            "period": "2026-03",
            "severity": "critical",
            "count": 1,
            "open": 1,
            "breached": 1,
            "responded_on_time": 0.0,
            "resolved_on_time": 0.0,
        },
        {
            "period": "2026-03",
            "severity": "high",
            "count": 2,
            "open": 0,
            "breached": 1,
            "responded_on_time": 0.5,
            "resolved_on_time": 0.5,
            "mean_response_hours": 6.5,
            "p90_response_hours": 12.0,
            "mean_resolution_hours": 96.0,
            "p90_resolution_hours": 168.0,
            "reopen_rate": 0.5,
            "root_causes": {"product": 1, "supplier": 1},
            "satisfaction_avg": 3.5,
        },
        {
            **NONE_ROW,
            "period": "2026-04",
            "severity": "medium",
            "count": 1,
            "open": 1,
            "responded_on_time": 1.0,
            "mean_response_hours": 6.0,
            "p90_response_hours": 6.0,
        },
    ]
    by_category = hand_view.report(["category"], t(4, 5))
    assert [(r["category"], r["count"], r["breached"]) for r in by_category] == [
        ("billing", 2, 1),
        ("delivery", 2, 1),
    ]
    assert hand_view.report(["period"], t(3, 1)) == []


def test_per_complaint_timings_follow_business_time(hand_view):
    a, b, c, d = scenario()
    project(hand_view, a, b, c, d)
    # A's response was logged at 14:00 but given at 10:00: at 11:00 it counts.
    early = hand_view.timing(str(a.id), t(3, 2, 11))
    assert (early["status"], early["response_hours"], early["response_breached"]) == (
        "in_progress",
        1.0,
        False,
    )
    assert (early["open"], early["resolution_breached"]) == (True, False)
    assert hand_view.timing(str(a.id), t(3, 2, 8)) is None
    # B while reopened, past its resolution deadline: open and breached, no resolution.
    reopened = hand_view.timing(str(b.id), t(3, 11))
    assert reopened == {
        "complaint_id": str(b.id),
        "customer_id": str(b.customer_id),
        "period": "2026-03",
        "channel": "hotline",
        "category": "delivery",
        "severity": "high",
        "status": "in_progress",
        "received_at": "2026-03-05T08:00:00.000000+00:00",
        "respond_by": "2026-03-05T16:00:00.000000+00:00",
        "resolve_by": "2026-03-08T08:00:00.000000+00:00",
        "responded_at": "2026-03-05T20:00:00.000000+00:00",
        "resolved_at": None,
        "response_hours": 12.0,
        "resolution_hours": None,
        "response_breached": True,
        "resolution_breached": True,
        "open": True,
        "reopens": 1,
        "root_cause": None,
        "satisfaction": 2,
    }
    before_breach = hand_view.timing(str(c.id), t(3, 20, 11))
    assert (before_breach["status"], before_breach["response_breached"]) == ("assigned", False)
    assert hand_view.timing(str(c.id), t(3, 20, 12, 1))["response_breached"] is True


def test_p90_is_the_nearest_rank():
    assert p90([]) is None
    assert p90([Decimal(5)]) == 5
    assert p90([Decimal(n) for n in range(10, 0, -1)]) == 9
    assert p90([Decimal(n) for n in range(1, 12)]) == 10
    assert p90([Decimal(n) for n in range(1, 21)]) == 18


def test_the_fold_keeps_the_list_row_and_ignores_unknown_rows():
    a, *_ = scenario()
    row = None
    events = list(a.collect_events())
    for position, event in enumerate(events, start=1):
        row = fold(row, event, position)
        step = step_row(event, position)
        if isinstance(event, Complaint.Received):
            assert step is None
    assert (row["status"], row["assignee_id"], row["satisfaction"], row["version"]) == (
        "closed",
        "emp-1",
        4,
        5,
    )
    assert fold(None, events[-1], 9) is None


def test_live_report_over_http_and_a_rebuild_equals_the_live_read_model(
    services, client, module_database
):
    app = services.backoffice
    now = datetime.now(UTC).replace(microsecond=0)
    agent = employee(app)
    cid = customer(app)
    # Back-dated 10 days: a critical complaint answered after 3 hours (breach).
    late = app.handle(
        SERVICE,
        ReceiveComplaint(
            customer_id=cid,
            channel="online",
            category="product_quality",
            severity="critical",
            description="dead on arrival",
            occurred_at=now - timedelta(days=10),
        ),
    ).id
    app.handle(SERVICE, AssignComplaint(late, agent, now - timedelta(days=10) + timedelta(hours=1)))
    app.handle(SERVICE, RespondToComplaint(late, "replacing", now - timedelta(days=10, hours=-3)))
    app.handle(
        SERVICE,
        ResolveComplaint(
            late,
            resolution="replaced",
            root_cause="product",
            corrective_action="burn-in test",
            occurred_at=now - timedelta(days=9, hours=12),
        ),
    )
    app.handle(SERVICE, CloseComplaint(late, 5, now - timedelta(days=9)))
    # Received 2 days ago, low: nothing due yet.
    app.handle(
        SERVICE,
        ReceiveComplaint(
            customer_id=cid,
            channel="email",
            category="product_quality",
            severity="low",
            description="scratched case",
            occurred_at=now - timedelta(days=2),
        ),
    )
    as_of = (now - timedelta(days=5)).date().isoformat()
    response = client.get(
        "/reports/complaints",
        params={"group_by": "category,severity", "as_of": as_of},
        headers=AUDITOR,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == as_of
    rows = {(r["category"], r["severity"]): r for r in body["items"]}
    critical = rows[("product_quality", "critical")]
    assert (critical["count"], critical["breached"], critical["responded_on_time"]) == (1, 1, 0.0)
    assert (critical["mean_response_hours"], critical["mean_resolution_hours"]) == (3.0, 12.0)
    assert (critical["resolved_on_time"], critical["satisfaction_avg"]) == (1.0, 5.0)
    assert ("product_quality", "low") not in rows
    today = client.get(
        "/reports/complaints", params={"group_by": ["severity"]}, headers=AUDITOR
    ).json()
    assert "as_of" in today
    low = next(r for r in today["items"] if r["severity"] == "low")
    assert (low["count"], low["open"], low["breached"], low["responded_on_time"]) == (
        1,
        1,
        0,
        None,
    )
    spec = READ_MODELS["complaints"]
    assert verify(app, spec, module_database.env(), module_database.dialect) == []
