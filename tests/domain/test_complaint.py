"""Complaint rules, in memory: the SLA stamped at receipt, the state machine, the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.complaint import Complaint, hours_between
from domain.errors import DomainError
from domain.values import Cause
from tests.gwt import NOW, cause, given, then_events, then_refused

RESPONSE = {"critical": 2, "high": 8, "medium": 24, "low": 72}
RESOLUTION = {"critical": 24, "high": 72, "medium": 168, "low": 336}
AGENT = cause("sue")
CUSTOMER = uuid4()


def later(hours: float, actor: str = "sue") -> Cause:
    return Cause(actor, NOW + timedelta(hours=hours))


def received(severity="high", occurred_at=None, **overrides):
    fields = {
        "id": uuid4(),
        "customer_id": CUSTOMER,
        "channel": "hotline",
        "category": "delivery",
        "severity": severity,
        "description": "the goods came late",
        "response_hours": RESPONSE,
        "resolution_hours": RESOLUTION,
        "occurred_at": occurred_at,
        **overrides,
    }
    return lambda: Complaint.receive(AGENT, **fields)


def in_progress(**overrides):
    return given(
        received(**overrides),
        lambda c: c.assign(later(1), "emp-1"),
        lambda c: c.respond(later(2), "we are on it"),
    )


def resolved(at_hours=5):
    complaint = in_progress()
    complaint.resolve(
        later(at_hours),
        resolution="redelivered",
        root_cause="supplier",
        corrective_action="second carrier on standby",
    )
    complaint.collect_events()
    return complaint


def test_receipt_stamps_the_sla_deadlines_from_the_back_dated_receipt():
    came_in = NOW - timedelta(hours=3)
    complaint = Complaint.receive(
        AGENT,
        id=uuid4(),
        customer_id=CUSTOMER,
        channel="hotline",
        category="delivery",
        severity="critical",
        description="line down",
        response_hours=RESPONSE,
        resolution_hours=RESOLUTION,
        occurred_at=came_in,
    )
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.Received)
    assert event.occurred_at == came_in
    assert event.timestamp == NOW
    assert event.respond_by == came_in + timedelta(hours=2)
    assert event.resolve_by == came_in + timedelta(hours=24)
    assert (complaint.status, complaint.contract_id, event.actor) == ("received", None, "sue")


@pytest.mark.parametrize(
    ("severity", "respond", "resolve"),
    [("critical", 2, 24), ("high", 8, 72), ("medium", 24, 168), ("low", 72, 336)],
)
def test_each_severity_has_its_own_deadlines(severity, respond, resolve):
    complaint = given(received(severity))
    assert complaint.respond_by == NOW + timedelta(hours=respond)
    assert complaint.resolve_by == NOW + timedelta(hours=resolve)


def test_a_later_policy_does_not_move_the_stamped_deadlines():
    complaint = given(received("low", response_hours={**RESPONSE, "low": 1}))
    assert complaint.respond_by == NOW + timedelta(hours=1)
    # The stored event carries the deadline; replaying it never consults a policy.
    copy = Complaint.receive(
        AGENT,
        id=complaint.id,
        customer_id=CUSTOMER,
        channel="email",
        category="billing",
        severity="low",
        description="x",
        response_hours=RESPONSE,
        resolution_hours=RESOLUTION,
    )
    assert copy.respond_by == NOW + timedelta(hours=72)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"category": "weather"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"description": "  "}, "description"),
        ({"occurred_at": NOW + timedelta(minutes=1)}, "occurred_at"),
        ({"occurred_at": NOW - timedelta(days=32)}, "occurred_at"),
        ({"occurred_at": datetime(2026, 6, 15, 9, 0)}, "occurred_at"),
    ],
)
def test_a_malformed_receipt_is_refused(overrides, field):
    with pytest.raises(DomainError) as refusal:
        received(**overrides)()
    assert refusal.value.code == "validation_error"
    assert refusal.value.errors[0]["field"] == field


def test_the_whole_life_of_a_complaint():
    complaint = given(received())
    steps = [
        (lambda c: c.escalate(later(0.5), 1, "customer angry"), Complaint.Escalated, "received"),
        (lambda c: c.assign(later(1), "emp-1"), Complaint.Assigned, "assigned"),
        (lambda c: c.escalate(later(1.5), 2, "still angry"), Complaint.Escalated, "assigned"),
        (
            lambda c: c.respond(later(3), "sorry", occurred_at=NOW + timedelta(hours=2)),
            Complaint.Responded,
            "in_progress",
        ),
        (
            lambda c: c.record_progress(later(4), "carrier called", True),
            Complaint.ProgressRecorded,
            "in_progress",
        ),
        (lambda c: c.escalate(later(4.5), 3, "board"), Complaint.Escalated, "in_progress"),
        (
            lambda c: c.resolve(
                later(6),
                resolution="redelivered",
                root_cause="supplier",
                corrective_action="second carrier",
            ),
            Complaint.Resolved,
            "resolved",
        ),
        (lambda c: c.close(later(7), 4), Complaint.Closed, "closed"),
        (lambda c: c.reopen(later(8), "broken again"), Complaint.Reopened, "in_progress"),
        (
            lambda c: c.resolve(
                later(9), resolution="replaced", root_cause="product", corrective_action="qa"
            ),
            Complaint.Resolved,
            "resolved",
        ),
        (lambda c: c.close(later(10)), Complaint.Closed, "closed"),
    ]
    for when, kind, status in steps:
        [event] = then_events(complaint, when)
        assert isinstance(event, kind)
        assert complaint.status == status
    assert complaint.escalation_level == 3
    assert complaint.assignee_id == "emp-1"
    assert complaint.responded_at == NOW + timedelta(hours=2)
    # The latest resolution counts; the satisfaction given before the reopen stays.
    assert complaint.resolved_at == NOW + timedelta(hours=9)
    assert (complaint.root_cause, complaint.satisfaction) == ("product", 4)
    assert len(complaint.reopens) == 1
    assert complaint.reopens[0]["resolved_at"] == NOW + timedelta(hours=6)
    timings = complaint.timings(NOW + timedelta(days=30))
    assert timings == {
        "response_hours": 2.0,
        "resolution_hours": 9.0,
        "response_breached": False,
        "resolution_breached": False,
    }


def test_resolved_carries_the_assignee():
    complaint = in_progress()
    [event] = then_events(
        complaint,
        lambda c: c.resolve(
            later(5), resolution="fixed", root_cause="people", corrective_action="training"
        ),
    )
    assert (event.assignee_id, event.root_cause, event.corrective_action) == (
        "emp-1",
        "people",
        "training",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"root_cause": "bad luck"}, "root_cause"),
        ({"root_cause": ""}, "root_cause"),
        ({"corrective_action": " "}, "corrective_action"),
        ({"corrective_action": None}, "corrective_action"),
        ({"resolution": ""}, "resolution"),
    ],
)
def test_resolving_without_root_cause_or_corrective_action_is_refused(fields, field):
    complaint = in_progress()
    body = {
        "resolution": "fixed",
        "root_cause": "process",
        "corrective_action": "checklist",
        **fields,
    }
    refusal = then_refused(complaint, lambda c: c.resolve(later(5), **body), "validation_error")
    assert refusal.errors[0]["field"] == field


def test_commands_outside_the_state_machine_are_refused():
    fresh = given(received())
    assigned = given(received(), lambda c: c.assign(later(1), "emp-1"))
    working = in_progress()
    done = resolved()
    closed = resolved()
    closed.close(later(6), 5)
    closed.collect_events()
    resolve = lambda c: c.resolve(  # noqa: E731
        later(5), resolution="r", root_cause="other", corrective_action="a"
    )
    cases = [
        (fresh, lambda c: c.respond(later(2), "hi")),
        (fresh, resolve),
        (fresh, lambda c: c.close(later(2))),
        (fresh, lambda c: c.reopen(later(2), "again")),
        (fresh, lambda c: c.record_progress(later(2), "n", False)),
        (assigned, lambda c: c.assign(later(2), "emp-2")),
        (assigned, resolve),
        (assigned, lambda c: c.record_progress(later(2), "n", False)),
        (assigned, lambda c: c.close(later(2))),
        (working, lambda c: c.assign(later(3), "emp-2")),
        (working, lambda c: c.respond(later(3), "again")),
        (working, lambda c: c.close(later(3))),
        (working, lambda c: c.reopen(later(3), "again")),
        (done, lambda c: c.escalate(later(6), 1, "late")),
        (done, lambda c: c.respond(later(6), "hi")),
        (done, resolve),
        (done, lambda c: c.record_progress(later(6), "n", True)),
        (done, lambda c: c.assign(later(6), "emp-2")),
        (closed, lambda c: c.escalate(later(7), 1, "late")),
        (closed, lambda c: c.close(later(7), 3)),
        (closed, resolve),
    ]
    for complaint, when in cases:
        then_refused(complaint, when, "invalid_state")


def test_a_step_may_precede_the_recording_of_the_previous_one_but_not_its_occurrence():
    # Assigned at NOW+1h (recorded then); the answer went out at NOW+0:30, before the
    # assignment was even recorded: refused, it precedes the assignment's occurred_at.
    assigned = given(received(), lambda c: c.assign(later(1), "emp-1"))
    refusal = then_refused(
        assigned,
        lambda c: c.respond(later(3), "hi", occurred_at=NOW + timedelta(minutes=30)),
        "validation_error",
    )
    assert refusal.errors[0]["field"] == "occurred_at"
    # The response was given at NOW+2h and recorded at NOW+5h; progress made at NOW+3h
    # precedes that recording, which is allowed.
    complaint = given(
        received(),
        lambda c: c.assign(later(1), "emp-1"),
        lambda c: c.respond(later(5), "hi", occurred_at=NOW + timedelta(hours=2)),
    )
    [event] = then_events(
        complaint,
        lambda c: c.record_progress(later(6), "n", True, occurred_at=NOW + timedelta(hours=3)),
    )
    assert event.occurred_at == NOW + timedelta(hours=3)
    then_refused(
        complaint,
        lambda c: c.resolve(
            later(7),
            resolution="r",
            root_cause="other",
            corrective_action="a",
            occurred_at=NOW + timedelta(hours=2, minutes=59),
        ),
        "validation_error",
    )


def test_a_back_dated_receipt_bounds_the_first_step():
    complaint = given(received(occurred_at=NOW - timedelta(hours=5)))
    # Receipt at NOW-5h; the response at NOW-6h would precede it.
    complaint.assign(later(0), "emp-1")
    complaint.collect_events()
    # The assignment happened when recorded (NOW): a response back-dated before it is refused.
    then_refused(
        complaint,
        lambda c: c.respond(later(1), "hi", occurred_at=NOW - timedelta(hours=1)),
        "validation_error",
    )


def test_steps_taking_business_time_refuse_the_future_and_beyond_the_window():
    complaint = given(received(), lambda c: c.assign(later(1), "emp-1"))
    for at in (NOW + timedelta(hours=3), NOW + timedelta(hours=1) - timedelta(days=32)):
        then_refused(
            complaint, lambda c, at=at: c.respond(later(2), "x", occurred_at=at), "validation_error"
        )


def test_escalation_goes_up_only_and_needs_a_reason():
    complaint = given(received(), lambda c: c.escalate(later(1), 2, "angry"))
    for level in (2, 1, 0, -1, True, "3"):
        then_refused(
            complaint,
            lambda c, level=level: c.escalate(later(2), level, "again"),
            "validation_error",
        )
    then_refused(complaint, lambda c: c.escalate(later(2), 3, " "), "validation_error")
    [event] = then_events(complaint, lambda c: c.escalate(later(2), 3, "again"))
    assert (event.level, complaint.status, complaint.escalation_level) == (3, "received", 3)


@pytest.mark.parametrize("score", [0, 6, True, "4", 3.5])
def test_satisfaction_is_one_to_five(score):
    then_refused(resolved(), lambda c: c.close(later(6), score), "validation_error")


def test_closing_without_satisfaction_is_allowed():
    complaint = resolved()
    [event] = then_events(complaint, lambda c: c.close(later(6)))
    assert (event.satisfaction, complaint.satisfaction, complaint.status) == (None, None, "closed")


def test_reopen_within_thirty_days_of_resolution():
    complaint = resolved(at_hours=5)
    resolved_at = NOW + timedelta(hours=5)
    [event] = then_events(
        complaint, lambda c: c.reopen(Cause("sue", resolved_at + timedelta(days=30)), "again")
    )
    assert isinstance(event, Complaint.Reopened)
    assert (complaint.status, complaint.resolved_at) == ("in_progress", None)
    # Keeps the deadlines it was received with.
    assert complaint.resolve_by == NOW + timedelta(hours=72)


def test_reopen_after_thirty_days_is_refused():
    complaint = resolved(at_hours=5)
    complaint.close(later(6), 2)
    complaint.collect_events()
    late = Cause("sue", NOW + timedelta(hours=5) + timedelta(days=30, seconds=1))
    refusal = then_refused(complaint, lambda c: c.reopen(late, "again"), "reopen_window_closed")
    assert refusal.facts["resolved_at"] == (NOW + timedelta(hours=5)).isoformat()
    then_refused(complaint, lambda c: c.reopen(later(7), ""), "validation_error")


def test_assign_needs_an_assignee_and_progress_a_boolean():
    then_refused(given(received()), lambda c: c.assign(later(1), " "), "validation_error")
    then_refused(
        in_progress(), lambda c: c.record_progress(later(3), "n", "yes"), "validation_error"
    )


def test_timings_judge_open_steps_at_the_moment_asked():
    complaint = given(
        received("critical"),
        lambda c: c.assign(later(1), "emp-1"),
    )
    # Respond-by NOW+2h, resolve-by NOW+24h.
    assert complaint.timings(NOW + timedelta(hours=2))["response_breached"] is False
    after = complaint.timings(NOW + timedelta(hours=2, seconds=1))
    assert (after["response_breached"], after["response_hours"]) == (True, None)
    complaint.respond(later(3), "late answer")
    complaint.collect_events()
    timings = complaint.timings(NOW + timedelta(hours=3))
    assert (timings["response_hours"], timings["response_breached"]) == (3.0, True)
    assert timings["resolution_breached"] is False


def test_hours_are_exact():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert hours_between(start, start + timedelta(hours=1, minutes=30)) == Decimal("1.5")
    assert hours_between(start, start + timedelta(days=2, seconds=36)) == Decimal("48.01")


def test_every_step_may_carry_its_business_time_in_order():
    came_in = NOW - timedelta(days=3)
    complaint = given(received("low", occurred_at=came_in))
    steps = [
        lambda c: c.assign(AGENT, "emp-1", occurred_at=came_in + timedelta(hours=1)),
        lambda c: c.respond(AGENT, "hi", occurred_at=came_in + timedelta(hours=2)),
        lambda c: c.escalate(AGENT, 1, "vip", occurred_at=came_in + timedelta(hours=3)),
        lambda c: c.resolve(
            AGENT,
            resolution="r",
            root_cause="customer",
            corrective_action="a",
            occurred_at=came_in + timedelta(hours=4),
        ),
        lambda c: c.close(AGENT, 5, occurred_at=came_in + timedelta(hours=5)),
    ]
    for hours, step in enumerate(steps, start=1):
        [event] = then_events(complaint, step)
        assert (event.occurred_at, event.timestamp) == (came_in + timedelta(hours=hours), NOW)
    # A reopen dated before the close it follows is refused; one after it is not.
    then_refused(
        complaint,
        lambda c: c.reopen(AGENT, "again", occurred_at=came_in + timedelta(hours=4, minutes=30)),
        "validation_error",
    )
    [event] = then_events(
        complaint, lambda c: c.reopen(AGENT, "again", occurred_at=came_in + timedelta(hours=6))
    )
    assert complaint.status == "in_progress"


def test_the_reopen_window_is_judged_at_the_reopens_business_time():
    complaint = resolved(at_hours=5)
    resolved_at = NOW + timedelta(hours=5)
    late_cause = Cause("sue", resolved_at + timedelta(days=31))
    then_refused(complaint, lambda c: c.reopen(late_cause, "again"), "reopen_window_closed")
    [event] = then_events(
        complaint,
        lambda c: c.reopen(late_cause, "again", occurred_at=resolved_at + timedelta(days=29)),
    )
    assert event.occurred_at == resolved_at + timedelta(days=29)
