"""Benchmark of the credit and sales reports at 10 000 customers and 100 000 contracts.

Run from the repository root:

    .venv/bin/python bench/credit_report.py [--customers N] [--contracts-per-customer M]
                                            [--only sqlite|postgres] [--repeat R]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. Writes the facts of N customers (default 10 000) and N x M contracts (default 10
   each): registrations, assessments (a fifth reassessed), holds, guarantees, signings,
   one to three invoices per contract and payments and write-offs settling part of them.
   The events are made as the domain's event classes and folded by the read models' own
   pure folds (`projections.credit.fold`, `projections.sales.fold_contract` and
   `fold_facts`); the rows are then inserted in bulk (`executemany`, 5 000 rows per
   transaction), bypassing the runners, whose speed `bench/commands.py` measures. Then
   `ANALYZE`, as autovacuum would.
2. Times, R times each (default 5; p50 and min printed): the first page of
   `/reports/credit` (50 customers) at three `as_of` days, a page of 1 000, walking the
   whole report in pages of 1 000, every alert (`CreditReport.alerts`, chunks of 5 000),
   and the sales report by month, by customer and by sku x month.
3. The ceiling: one plain grouped query per fact table over every row (signed totals,
   invoices and settlements summed per customer), the least reading any credit report
   on these facts must do, in the same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from common import POSTGRES_URL, machine

from domain.contract import Contract
from domain.customer import Customer
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.settings import Settings
from projections import credit, sales
from projections.runner import READ_MODELS, close_view, construct_view

AS_OF = date(2026, 6, 30)
START = date(2025, 7, 1)
CHUNK = 5_000
SKUS = [f"SKU-{n:03d}" for n in range(50)]


# The facts.


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def envelope(aggregate_id: uuid.UUID, version: int, day: date) -> dict[str, Any]:
    return {
        "originator_id": aggregate_id,
        "originator_version": version,
        "timestamp": at(day),
        "actor": "bench",
        "occurred_at": at(day),
    }


def events(customers: int, per_customer: int, seed: int = 7) -> Iterator[Any]:
    """The events of the company, customer by customer, in a plausible order."""
    rng = random.Random(seed)
    span = (AS_OF - START).days
    for _ in range(customers):
        cid = uuid.UUID(int=rng.getrandbits(128))
        version = 1
        yield Customer.Registered(
            **envelope(cid, version, START - timedelta(days=30)),
            originator_topic="domain.customer:Customer",
            name=f"Customer {cid.hex[:8]}",
            kind="company",
            industry=None,
            region=rng.choice(["north", "south", "east", "west"]),
            source="web",
            campaign_id=None,
            contacts=[],
            owner_id="sam",
            tags=[],
        )
        limit = Decimal(rng.randrange(50_000, 500_000))
        for n, day in enumerate([START - timedelta(days=20), START + timedelta(days=180)]):
            if n and rng.random() > 0.2:
                break
            version += 1
            yield Customer.CreditAssessed(
                **envelope(cid, version, day),
                rating=rng.choice("ABCD"),
                score=rng.randrange(101),
                credit_limit=limit,
                max_payment_term_days=60,
                guarantee_required=False,
                valid_until=day + timedelta(days=rng.choice([200, 400])),
                basis="bench",
            )
        if rng.random() < 0.2:
            version += 1
            yield Customer.GuaranteeRegistered(
                **envelope(cid, version, START),
                guarantee_id=uuid.UUID(int=rng.getrandbits(128)),
                amount=Decimal(rng.randrange(10_000, 100_000)),
                kind="bank",
                expires_on=AS_OF + timedelta(days=rng.randrange(-60, 120)),
            )
        if rng.random() < 0.1:
            version += 1
            yield Customer.CreditHoldPlaced(
                **envelope(cid, version, AS_OF - timedelta(days=rng.randrange(90))),
                reason="bench",
            )
        for _ in range(per_customer):
            yield from contract_events(rng, cid, span)


def contract_events(rng: random.Random, customer_id: uuid.UUID, span: int) -> Iterator[Any]:
    """One contract from drafting to cash: signed, invoiced, partly paid or written off."""
    kid = uuid.UUID(int=rng.getrandbits(128))
    signed_on = START + timedelta(days=rng.randrange(span))
    term = rng.choice([0, 30, 60])
    lines = contract_lines(rng)
    total = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal("0.00"))
    cost = sum((line["quantity"] * line["unit_cost"] for line in lines), Decimal("0.00"))
    yield Contract.Drafted(
        **envelope(kid, 1, signed_on),
        originator_topic="domain.contract:Contract",
        customer_id=customer_id,
        owner_id=rng.choice(["sam", "sue", "ann"]),
        channel=rng.choice(["direct", "distributor", "online", "agent"]),
        region=None,
        lines=lines,
        payment_term_days=term,
        delivery_due_on=signed_on + timedelta(days=30),
        penalty_rate=Decimal("0"),
        notes=None,
    )
    yield Contract.Signed(
        **envelope(kid, 2, signed_on),
        signed_on=signed_on,
        customer_id=customer_id,
        total=total,
        cost=cost,
    )
    invoices: list[dict[str, Any]] = []
    version, day = yield from invoice_events(rng, kid, signed_on, total, term, invoices)
    yield from settlement_events(rng, kid, version, day, invoices)


def contract_lines(rng: random.Random) -> list[dict[str, Any]]:
    """Two lines of distinct skus, each with a quantity, a price and a cost."""
    return [
        {
            "sku": sku,
            "description": None,
            "quantity": rng.randrange(1, 20),
            "unit_price": Decimal(rng.randrange(100, 50_000)) / 100,
            "unit_cost": Decimal(rng.randrange(50, 20_000)) / 100,
        }
        for sku in rng.sample(SKUS, 2)
    ]


def invoice_events(
    rng: random.Random,
    kid: uuid.UUID,
    signed_on: date,
    total: Decimal,
    term: int,
    invoices: list[dict[str, Any]],
) -> Generator[Any, None, tuple[int, date]]:
    """One to three invoices, noted in `invoices`; answers the version and the last day."""
    version, day = 2, signed_on
    left = total
    for n in range(rng.randrange(1, 4)):
        day = min(day + timedelta(days=rng.randrange(0, 40)), AS_OF)
        share = Decimal(rng.choice([3, 5, 10])) / 10
        amount = left if n == 2 else (left * share).quantize(Decimal("0.01"))
        if amount <= 0:
            break
        left -= amount
        version += 1
        invoice = {"id": uuid.UUID(int=rng.getrandbits(128)), "amount": amount, "settled": 0}
        invoices.append(invoice)
        yield Contract.InvoiceIssued(
            **envelope(kid, version, day),
            invoice_id=invoice["id"],
            amount=amount,
            issued_on=day,
            due_on=day + timedelta(days=term),
        )
    return version, day


def settlement_events(
    rng: random.Random, kid: uuid.UUID, version: int, day: date, invoices: list[dict[str, Any]]
) -> Iterator[Any]:
    """Up to two payments (the second sometimes a write-off), settling the oldest first."""
    for n in range(rng.randrange(0, 3)):
        day = min(day + timedelta(days=rng.randrange(0, 60)), AS_OF)
        open_total = sum(i["amount"] - i["settled"] for i in invoices)
        amount = (open_total * Decimal(rng.choice([5, 8, 10])) / 10).quantize(Decimal("0.01"))
        if amount <= 0:
            break
        allocations: list[dict[str, Any]] = []
        for invoice in invoices:
            allocated = sum((a["amount"] for a in allocations), Decimal("0.00"))
            share = min(invoice["amount"] - invoice["settled"], amount - allocated)
            if share > 0:
                invoice["settled"] += share
                allocations.append({"invoice_id": invoice["id"], "amount": share})
        version += 1
        if n == 1 and rng.random() < 0.1:
            yield Contract.WrittenOff(
                **envelope(kid, version, day),
                amount=amount,
                reason="bench",
                allocations=allocations,
            )
        else:
            yield Contract.PaymentRecorded(
                **envelope(kid, version, day),
                amount=amount,
                received_on=day,
                reference=f"p{n}",
                allocations=allocations,
            )


def rows_of(customers: int, per_customer: int) -> tuple[dict[str, list[dict]], int]:
    """The rows the two read models' folds make of the company's events, by table."""
    tables: dict[str, list[dict]] = {}
    signed: dict[str, dict] = {}
    contracts: dict[str, dict] = {}
    count = 0
    for position, event in enumerate(events(customers, per_customer), start=1):
        count += 1
        kid = str(event.originator_id)
        for table, row, _mode in credit.fold(event, position, signed.get(kid)):
            tables.setdefault(table, []).append(row)
            if table == "credit_contracts":
                signed[kid] = row
        if isinstance(event, Contract.Drafted):
            contracts[kid] = sales.fold_contract(None, event)
            tables.setdefault("sales_contracts", []).append(contracts[kid])
        elif isinstance(event, Contract.Event):
            facts = sales.fold_facts(contracts.get(kid), event, position)
            tables.setdefault("sales_facts", []).extend(facts)
    return tables, count


# The databases.


@contextmanager
def databases(only: str | None) -> Iterator[Iterator[tuple[str, Settings]]]:
    """SQLite in a temporary directory and a fresh PostgreSQL schema, dropped at the end."""
    directory = tempfile.mkdtemp(prefix="mops_bench_")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    created = False

    def each() -> Iterator[tuple[str, Settings]]:
        nonlocal created
        if only in (None, "sqlite"):
            yield (
                "sqlite",
                Settings(database_url=f"sqlite:///{directory}/mops.db", jwt_secret=DEV_JWT_SECRET),
            )
        if only in (None, "postgres"):
            try:
                with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"CREATE SCHEMA {schema}")
                created = True
            except psycopg.Error as error:
                print(f"postgres skipped: {error}")
                return
            yield (
                "postgres",
                Settings(database_url=f"{POSTGRES_URL}?schema={schema}", jwt_secret=DEV_JWT_SECRET),
            )

    try:
        yield each()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if created:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def load(view: Any, tables: dict[str, list[dict]]) -> None:
    """Insert the rows of the view's tables in bulk, a chunk per transaction."""
    for table in type(view).table_names:
        rows = tables.get(table, [])
        if not rows:
            continue
        columns = list(rows[0])
        statement = view._sql(
            f"INSERT INTO {view.table(table)} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        for start in range(0, len(rows), CHUNK):
            with view._transaction(commit=True) as cursor:
                cursor.executemany(
                    statement, [[row[c] for c in columns] for row in rows[start : start + CHUNK]]
                )
    with view._transaction(commit=True) as cursor:
        cursor.execute("ANALYZE")


def timed(label: str, repeat: int, run: Callable[[], Any]) -> dict[str, Any]:
    """Run a query `repeat` times; print and answer its p50 and min in ms."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    figure = {
        "label": label,
        "p50": statistics.median(times),
        "min": min(times),
        "size": len(result) if hasattr(result, "__len__") else result,
    }
    print(
        f"  {label:<44} p50 {figure['p50']:9.1f} ms  min {figure['min']:9.1f} ms  "
        f"({figure['size']} rows)"
    )
    return figure


def walk(view: Any, as_of: date, size: int) -> int:
    """Every row of the credit report, page by page; answers how many."""
    after, count = 0, 0
    while True:
        rows = view.report(as_of, after=after, limit=size)
        count += len(rows)
        if len(rows) < size:
            return count
        after = rows[-1]["seq"]


def ceiling(view: Any, as_of: date) -> list[dict[str, Any]]:
    """Plain grouped sums per customer over each fact table: the least reading to do."""
    day = as_of.isoformat()
    rows: list[dict[str, Any]] = []
    for table, column, day_column in (
        ("credit_contracts", "total", "signed_on"),
        ("credit_invoices", "amount", "issued_on"),
        ("credit_settlements", "amount", "settled_on"),
    ):
        rows += view.query(
            f"SELECT customer_id, SUM({column}) AS amount FROM {view.table(table)} "
            f"WHERE {day_column} <= ? GROUP BY customer_id",
            [day],
        )
    return rows


def bench(dialect: str, settings: Settings, tables: dict, repeat: int) -> list[dict]:
    """Load the rows into both read models on one database and time their queries."""
    env = settings.persistence_env()
    views = {name: construct_view(READ_MODELS[name], env, dialect) for name in ("credit", "sales")}
    try:
        started = time.perf_counter()
        for view in views.values():
            load(view, tables)
        rows = sum(len(tables.get(t, [])) for v in views.values() for t in type(v).table_names)
        print(f"  loaded {rows} rows in {time.perf_counter() - started:.1f} s")
        view, report = views["credit"], views["sales"]
        figures = [
            timed(f"credit first page of 50, as_of {day}", repeat, lambda d=day: view.report(d))
            for day in (AS_OF, AS_OF - timedelta(days=120), AS_OF - timedelta(days=300))
        ]
        figures.append(timed("credit page of 1000", repeat, lambda: view.report(AS_OF, limit=1000)))
        figures.append(
            timed("credit: every customer, pages of 1000", repeat, lambda: walk(view, AS_OF, 1000))
        )
        figures.append(
            timed(
                "credit alerts: all (chunks of 5000)",
                repeat,
                lambda: view.alerts(AS_OF, limit=10**9),
            )
        )
        figures.append(
            timed("ceiling: 3 grouped sums, every customer", repeat, lambda: ceiling(view, AS_OF))
        )
        for keys in (["month"], ["customer"], ["sku", "month"]):
            figures.append(
                timed(f"sales by {'+'.join(keys)}", repeat, lambda k=keys: report.report(k))
            )
        return figures
    finally:
        for view in views.values():
            close_view(view)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--contracts-per-customer", type=int, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>10}: {value}")
    started = time.perf_counter()
    tables, count = rows_of(args.customers, args.contracts_per_customer)
    print(
        f"{args.customers} customers, {len(tables['credit_contracts'])} contracts, "
        f"{count} events folded in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{t} {len(r)}" for t, r in sorted(tables.items()))
    )
    results = {}
    with databases(args.only) as each:
        for dialect, settings in each:
            print(f"{dialect}:")
            results[dialect] = bench(dialect, settings, tables, args.repeat)
    print("\n| query | " + " | ".join(f"{d} p50 ms" for d in results) + " |")
    print("|---|" + "---:|" * len(results))
    labels = [f["label"] for f in next(iter(results.values()), [])]
    for i, label in enumerate(labels):
        cells = " | ".join(f"{results[d][i]['p50']:.1f}" for d in results)
        print(f"| {label} | {cells} |")


if __name__ == "__main__":
    sys.exit(main())
