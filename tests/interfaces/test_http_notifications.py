"""Notifications over HTTP and webhooks to a real receiver, on SQLite and PostgreSQL.

The receiver is an `http.server` on 127.0.0.1 started by the test: it answers each POST
with the next status of its script (200 once the script is spent) and keeps what it was
sent. The notice used is a `credit_alert` of level `credit_hold`: a customer of sam's with
a credit assessment is put on credit hold (event-driven, raised by the fold). Retries
are set short (0.2 s doubling up to 0.4 s) so that a receiver down for a while is
retried within the test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from application.commands.customers import (
    AssessCredit,
    PlaceCreditHold,
    RecordFollowUp,
    RegisterLead,
)
from interfaces.bootstrap import build
from interfaces.http.app import create_app
from projections.notice_clock import NoticeSettings, deliver_due, tick
from tests.conftest import as_, assert_problem, bearer

SECRET = "s3cret-of-the-test"
ADMIN = bearer("ada", "admin")
SAM = as_("sam", "sales")
FINANCE = as_("fiona", "finance")


class Receiver:
    """An HTTP receiver on 127.0.0.1: answers POSTs with scripted statuses, keeps them."""

    def __init__(self, script: list[int] | None = None, port: int = 0) -> None:
        self.script = list(script or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 20) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, self.received
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def quick(database, **overrides):
    settings = database.settings(
        **{
            "webhook_retry_seconds": 0.2,
            "webhook_retry_max_seconds": 0.4,
            "tick_seconds": 1e6,
            **overrides,
        }
    )
    return build(settings, run_projections=True)


@pytest.fixture
def deployment(database):
    services = quick(database)
    with TestClient(create_app(services=services)) as client:
        yield services, client
    services.close()


def subscribe(client, url, rules=("credit_alert",)):
    response = client.post(
        "/webhooks", json={"url": url, "secret": SECRET, "rules": list(rules)}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def customer_on_hold(app) -> str:
    customer = app.handle(
        SAM, RegisterLead(name=f"Held {uuid4().hex[:6]}", kind="company", source="web", contacts=[])
    ).id
    app.handle(
        FINANCE,
        AssessCredit(
            customer,
            rating="B",
            score=60,
            credit_limit=Decimal("5000.00"),
            max_payment_term_days=30,
            guarantee_required=False,
            valid_until=date(2099, 1, 1),
            basis="accounts",
        ),
    )
    app.handle(FINANCE, PlaceCreditHold(customer, "unpaid bills"))
    return str(customer)


def test_a_webhook_outside_the_allowed_hosts_or_by_a_non_admin_is_refused(deployment):
    services, client = deployment
    before = services.backoffice.max_position()
    body = {"url": "http://example.com/hook", "secret": SECRET, "rules": ["credit_alert"]}
    assert_problem(client.post("/webhooks", json=body, headers=ADMIN), 422, "validation_error")
    body["url"] = "http://127.0.0.1:1/hook"
    assert_problem(
        client.post("/webhooks", json=body, headers=bearer("fiona", "finance")), 403, "forbidden"
    )
    body["rules"] = ["no_such_rule"]
    assert_problem(client.post("/webhooks", json=body, headers=ADMIN), 422, "validation_error")
    assert services.backoffice.max_position() == before
    assert_problem(client.get("/webhooks", headers=bearer("fiona", "finance")), 403, "forbidden")


def test_a_notice_reaches_the_inbox_and_the_webhook_signed(deployment):
    services, client = deployment
    receiver = Receiver()
    try:
        hook = subscribe(client, receiver.url)
        customer = customer_on_hold(services.backoffice)
        [(headers, body)] = receiver.wait_for(1)
    finally:
        receiver.close()
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Mops-Signature"] == expected
    sent = json.loads(body)
    assert (sent["rule"], sent["subject_id"], sent["level"]) == (
        "credit_alert",
        customer,
        "credit_hold",
    )
    assert headers["X-Mops-Delivery"] == sent["id"]
    inbox = client.get("/notifications?rule=credit_alert", headers=bearer("sam", "sales")).json()
    [item] = [i for i in inbox["items"] if i["subject_id"] == customer]
    assert item["id"] == sent["id"] and item["cleared_at"] is None
    assert (item["read"], item["acknowledged"]) == (False, False)
    deadline = time.monotonic() + 10
    while not item["deliveries"] and time.monotonic() < deadline:
        time.sleep(0.05)
        inbox = client.get("/notifications", headers=bearer("sam", "sales")).json()
        [item] = [i for i in inbox["items"] if i["subject_id"] == customer]
    assert [(d["webhook_id"], d["status"], d["ok"]) for d in item["deliveries"]] == [
        (hook, 200, True)
    ]
    finance = client.get("/notifications", headers=bearer("fiona", "finance")).json()
    assert sent["id"] in [i["id"] for i in finance["items"]]


def test_read_and_acknowledge_by_a_recipient_only(deployment):
    services, client = deployment
    customer = customer_on_hold(services.backoffice)
    sam = bearer("sam", "sales")
    [item] = [
        i
        for i in client.get("/notifications", headers=sam).json()["items"]
        if i["subject_id"] == customer
    ]
    before = services.backoffice.max_position()
    stranger = bearer("sue", "sales")
    assert_problem(
        client.post(f"/notifications/{item['id']}/read", json={}, headers=stranger),
        404,
        "not_found",
    )
    assert services.backoffice.max_position() == before
    assert client.post(f"/notifications/{item['id']}/read", json={}, headers=sam).status_code == 200
    unread = client.get("/notifications?unread=true", headers=sam).json()["items"]
    assert item["id"] not in [i["id"] for i in unread]
    answer = client.post(f"/notifications/{item['id']}/acknowledge", json={}, headers=sam)
    assert answer.status_code == 200
    [item] = [
        i
        for i in client.get("/notifications", headers=sam).json()["items"]
        if i["id"] == item["id"]
    ]
    assert (item["read"], item["acknowledged"]) == (True, True)
    # Finance's own receipt is its own: unread for fiona.
    fiona = client.get("/notifications?unread=true", headers=bearer("fiona", "finance")).json()
    assert item["id"] in [i["id"] for i in fiona["items"]]


def test_a_receiver_answering_500_gets_the_same_delivery_again(deployment):
    services, client = deployment
    receiver = Receiver(script=[500, 503])
    try:
        hook = subscribe(client, receiver.url)
        customer_on_hold(services.backoffice)
        received = receiver.wait_for(3)
    finally:
        receiver.close()
    ids = {headers["X-Mops-Delivery"] for headers, _ in received}
    assert len(ids) == 1 and len({body for _, body in received}) == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [listed] = [
            w for w in client.get("/webhooks", headers=ADMIN).json()["items"] if w["id"] == hook
        ]
        if len(listed["deliveries"]) == 3:
            break
        time.sleep(0.05)
    assert [(d["status"], d["ok"]) for d in listed["deliveries"]] == [
        (500, False),
        (503, False),
        (200, True),
    ]
    assert listed["pending"] == 0 and "secret" not in listed
    metrics = client.get("/metrics", headers=ADMIN).text
    assert 'mops_notification_deliveries{outcome="failed"} 2.0' in metrics
    assert 'mops_notification_deliveries{outcome="delivered"} 1.0' in metrics
    assert 'mops_notification_deliveries{outcome="pending"} 0.0' in metrics


def test_a_restart_delivers_what_was_pending(database):
    port = free_port()
    first = quick(database)
    with TestClient(create_app(services=first)) as client:
        subscribe(client, f"http://127.0.0.1:{port}/hook")
    customer = customer_on_hold(first.backoffice)
    view = first.read_side.view("notifications")
    deadline = time.monotonic() + 10
    while not view.delivery_outcomes()["failed"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert view.delivery_outcomes()["failed"] >= 1  # nobody listens yet: refused, to be retried
    first.close()
    receiver = Receiver(port=port)
    second = quick(database)
    try:
        [(_, body)] = receiver.wait_for(1)
        assert json.loads(body)["subject_id"] == customer
    finally:
        second.close()
        receiver.close()


def test_two_processes_and_two_ticks_deliver_once(database):
    receiver = Receiver()
    one, two = quick(database), quick(database)
    try:
        with TestClient(create_app(services=one)) as client:
            subscribe(client, receiver.url)
        customer_on_hold(two.backoffice)
        receiver.wait_for(1)
        for services in (one, two):
            assert services.read_side.wait("notifications", two.backoffice.max_position(), 20)
        view = one.read_side.view("notifications")
        tick(view, datetime.now(UTC))
        tick(two.read_side.view("notifications"), datetime.now(UTC))
        time.sleep(1.0)
        assert len(receiver.received) == 1
        rows = view.query(f"SELECT id FROM {view.table('notices')} WHERE rule = 'credit_alert'")
        assert len(rows) == 1
        assert [one.read_side.leading, two.read_side.leading].count(True) == 1
    finally:
        one.close()
        two.close()
        receiver.close()


def test_a_deleted_webhook_receives_nothing_more(deployment):
    services, client = deployment
    receiver = Receiver()
    try:
        hook = subscribe(client, receiver.url)
        assert client.post(f"/webhooks/{hook}/delete", json={}, headers=ADMIN).status_code == 200
        before = services.backoffice.max_position()
        again = client.post(f"/webhooks/{hook}/delete", json={}, headers=ADMIN)
        assert_problem(again, 409, "invalid_state")
        unknown = client.post(f"/webhooks/{uuid4()}/delete", json={}, headers=ADMIN)
        assert_problem(unknown, 404, "not_found")
        assert services.backoffice.max_position() == before
        customer = customer_on_hold(services.backoffice)
        sam = client.get("/notifications", headers=bearer("sam", "sales")).json()["items"]
        assert customer in [i["subject_id"] for i in sam]
        time.sleep(1.0)
        assert receiver.received == []
    finally:
        receiver.close()
    [listed] = client.get("/webhooks", headers=ADMIN).json()["items"]
    assert listed["deleted_at"] is not None and listed["deliveries"] == []


def test_the_clock_ticks_in_the_one_process_holding_the_read_side(database):
    one, two = quick(database, tick_seconds=0.3), quick(database, tick_seconds=0.3)
    try:
        customer = one.backoffice.handle(
            SAM, RegisterLead(name="Due today", kind="company", source="web", contacts=[])
        ).id
        today = datetime.now(UTC).date()
        one.backoffice.handle(SAM, RecordFollowUp(customer, "call", "hi", next_follow_up_on=today))
        view = one.read_side.view("notifications")
        statement = f"SELECT * FROM {view.table('notices')} WHERE rule = 'follow_up_due'"
        deadline = time.monotonic() + 20
        while not view.query(statement) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # some more ticks
        [due] = view.query(statement)
        assert (due["subject_id"], due["level"], due["cleared_at"]) == (
            str(customer),
            today.isoformat(),
            None,
        )
        clocks = [services.read_side._clock for services in (one, two)]
        assert [clock is not None and clock.ticks >= 2 for clock in clocks].count(True) == 1
        assert [clock is None for clock in clocks].count(True) == 1
    finally:
        one.close()
        two.close()


def test_retries_double_from_10_s_up_to_an_hour_and_stop_after_24_h(deployment):
    schedule = [NoticeSettings().backoff(n).total_seconds() for n in range(1, 11)]
    assert schedule == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    services, client = deployment
    receiver = Receiver(script=[500] * 50)
    try:
        subscribe(client, receiver.url)
        customer_on_hold(services.backoffice)
        receiver.wait_for(1)
        view = services.read_side.view("notifications")
        deadline = time.monotonic() + 10
        while not view.delivery_outcomes()["failed"] and time.monotonic() < deadline:
            time.sleep(0.02)  # the worker's first attempt logged: the next is in 10 s
        later = datetime.now(UTC) + timedelta(hours=25)
        deliver_due(view, NoticeSettings(), clock=lambda: later)
    finally:
        receiver.close()
    outcomes = view.delivery_outcomes()
    assert (outcomes["given_up"], outcomes["pending"], outcomes["delivered"]) == (1, 0, 0)
    assert outcomes["failed"] == len(receiver.received) >= 1
