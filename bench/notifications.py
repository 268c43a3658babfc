"""Benchmark of the notifications: a command to its webhook delivery, and the clock's tick.

Run from the repository root:

    .venv/bin/python bench/notifications.py [--quick] [--only sqlite|postgres]
                                            [--invoices N] [--samples S]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end), with
the read side running in this process as `mops serve` runs it:

1. **Command to webhook.** A receiver (`http.server` on 127.0.0.1, answering 200) is
   subscribed to `credit_alert`. S times (default 100; 30 quick), one after the other:
   a customer with a credit assessment is put on credit hold; the time from issuing
   `PlaceCreditHold` to the receiver holding the notice's POST. The path: the command
   commits; the read side's subscription reads the event, the notifications fold raises
   the `credit_alert` and writes its outbox row in the fold's transaction; the commit
   wakes the delivery worker, which signs and POSTs it. p50, p95 and max.
2. **The tick.** N open invoices (default 10 000; 1 000 quick): up to 500 customers
   with credit assessments, 5 contracts each (signed; at most N contracts), each
   contract invoiced in N / contracts parts issued on days spread over the last 120
   days with a payment term of 30 days, so that most are overdue at one of the three
   dunning levels (setup, not measured).
   Then the tick (`projections.notice_clock.tick`: every rule for every subject, a
   family at a time under the notifications lane's lock, the budget and risk reports
   read as the clock reads them) is timed: the first, which raises the dunning and
   credit notices (how many are open after it is printed), and then R = 5 more, which
   find everything raised already (the steady state of a deployment: a tick every
   `MOPS_TICK_SECONDS`, 60 by default), median and max.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

from commands import Database, on_database, percentile
from common import dialect_parser, machine, print_machine, run_each

from application.backoffice import Request
from application.commands.contracts import (
    ApproveContractReview,
    DraftContract,
    IssueInvoice,
    SignContract,
    SubmitContract,
)
from application.commands.customers import AssessCredit, PlaceCreditHold, RegisterLead
from application.commands.notifications import SubscribeWebhook
from application.permissions import Caller
from interfaces.bootstrap import Services, build
from projections.notice_clock import tick

ADMIN = Request(Caller("bench", frozenset({"admin"})))
SALES = Request(Caller("sam", frozenset({"sales"})))
LEGAL = Request(Caller("lee", frozenset({"legal"})))
FINANCE = Request(Caller("fiona", frozenset({"finance"})))
MANAGER = Request(Caller("mia", frozenset({"sales_manager"})))
CUSTOMERS = 500
CONTRACTS_EACH = 5
REPEAT = 5


class Receiver:
    """An HTTP receiver on 127.0.0.1 noting when each delivery id first arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.news = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.news:
                    delivery = self.headers["X-Mops-Delivery"]
                    receiver.arrived.setdefault(delivery, time.perf_counter())
                    receiver.news.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> float:
        """The arrival time of the count-th delivery."""
        deadline = time.monotonic() + timeout
        with self.news:
            while len(self.arrived) < count:
                if not self.news.wait(max(deadline - time.monotonic(), 0)):
                    raise TimeoutError(f"{count - len(self.arrived)} deliveries missing")
            return sorted(self.arrived.values())[count - 1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def assessed_customer(app: Any, name: str) -> UUID:
    """A customer with a credit assessment (limit 1 000 000, terms up to 60 days)."""
    customer: UUID = app.handle(
        ADMIN, RegisterLead(name=name, kind="company", source="web", contacts=[])
    ).id
    app.handle(
        ADMIN,
        AssessCredit(
            customer,
            rating="A",
            score=80,
            credit_limit=Decimal("1000000.00"),
            max_payment_term_days=60,
            guarantee_required=False,
            valid_until=date(2099, 1, 1),
            basis="bench",
        ),
    )
    return customer


def measure_latency(services: Services, samples: int) -> list[float]:
    """Milliseconds from issuing PlaceCreditHold to the webhook holding the notice."""
    app = services.backoffice
    receiver = Receiver()
    try:
        app.handle(ADMIN, SubscribeWebhook(receiver.url, "bench-secret", ("credit_alert",)))
        customers = [assessed_customer(app, f"Held {i}") for i in range(samples)]
        assert services.read_side.wait("notifications", app.max_position(), 60)
        latencies = []
        for n, customer in enumerate(customers, start=1):
            started = time.perf_counter()
            app.handle(ADMIN, PlaceCreditHold(customer, "bench"))
            latencies.append((receiver.wait_for(n) - started) * 1000)
        return latencies
    finally:
        receiver.close()


def write_invoices(services: Services, invoices: int) -> None:
    """Contracts signed and invoiced in parts, issued over the last 120 days (setup)."""
    app = services.backoffice
    today = datetime.now(UTC).date()
    contracts = min(invoices, CUSTOMERS * CONTRACTS_EACH)
    parts = max(1, invoices // contracts)
    issued = 0
    for c in range(contracts // CONTRACTS_EACH):
        customer = assessed_customer(app, f"Invoiced {c}")
        for k in range(CONTRACTS_EACH):
            line = {"sku": "A", "quantity": 1, "unit_price": Decimal(1000), "unit_cost": 1}
            contract = app.handle(
                SALES,
                DraftContract(
                    customer_id=customer,
                    channel="direct",
                    lines=[line],
                    payment_term_days=30,
                    delivery_due_on=today,
                ),
            ).id
            app.handle(SALES, SubmitContract(contract))
            app.handle(LEGAL, ApproveContractReview(contract, "legal"))
            app.handle(FINANCE, ApproveContractReview(contract, "finance"))
            app.handle(MANAGER, SignContract(contract, today - timedelta(days=121)))
            for p in range(parts):
                day = today - timedelta(days=(c * 7 + k * 13 + p * 29) % 120)
                amount = Decimal(1000) / parts
                app.handle(FINANCE, IssueInvoice(contract, amount.quantize(Decimal("0.01")), day))
                issued += 1
    print(f"  setup: {issued} invoices on {contracts} contracts", flush=True)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def measure_tick(services: Services) -> tuple[float, int, list[float]]:
    """(first tick ms, notices open after it, the following ticks in ms)."""
    read_side = services.read_side
    head = services.backoffice.max_position()
    for name in ("notifications", "budget_execution", "risks", "credit", "complaints", "sales"):
        assert read_side.wait(name, head, 600), name
    view = read_side.view("notifications")
    lane = read_side.runners["notifications"]

    def one() -> int:
        return tick(view, datetime.now(UTC), views=read_side.view, lock=lambda: lane.lock)

    first, _ = timed(one)
    again = [timed(one)[0] for _ in range(REPEAT)]
    opened = view.query(
        f"SELECT COUNT(*) AS n FROM {view.table('notices')} WHERE cleared_at IS NULL"
    )
    return first, int(opened[0]["n"]), again


def bench(db: Database, samples: int, invoices: int) -> None:
    settings = db.settings.model_copy(update={"backdating_days": 400, "tick_seconds": 1e6})
    services = build(settings, run_projections=True)
    try:
        print(f"\n== {db.dialect}", flush=True)
        latencies = measure_latency(services, samples)
        print(
            f"  command to webhook ({samples} samples): p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms",
            flush=True,
        )
        started = time.perf_counter()
        write_invoices(services, invoices)
        print(f"  setup took {time.perf_counter() - started:.0f} s", flush=True)
        first, changed, again = measure_tick(services)
        print(
            f"  tick over {invoices} open invoices: first {first:.0f} ms ({changed} notices "
            f"open after it); then median {statistics.median(again):.0f} ms, "
            f"max {max(again):.0f} ms",
            flush=True,
        )
    finally:
        services.close()


def main() -> None:
    parser = dialect_parser(__doc__, "30 samples, 1 000 invoices")
    parser.add_argument("--invoices", type=int, help="open invoices for the tick (10 000)")
    parser.add_argument("--samples", type=int, help="commands timed to their webhook (100)")
    args = parser.parse_args()
    samples = args.samples or (30 if args.quick else 100)
    invoices = args.invoices or (1000 if args.quick else 10_000)
    about = machine()
    print_machine(about)
    run_each(args.only, about, on_database(lambda db: bench(db, samples, invoices)))


if __name__ == "__main__":
    main()
